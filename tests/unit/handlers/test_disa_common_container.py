"""The container: clients created once each, with bounded retries and timeouts, pointed
wherever AWS_ENDPOINT_URL says (the local emulator); overrides and the per-container cache."""

from __future__ import annotations

from disa_common.container import Container


def test_a_client_is_created_once_per_container() -> None:
    container = Container()
    first = container.client("sns")
    assert container.client("sns") is first
    assert Container().client("sns") is not first


def test_clients_have_standard_retries_and_timeouts() -> None:
    config = Container().client("dynamodb").meta.config
    assert config.retries == {"mode": "standard", "total_max_attempts": 4}
    assert (config.connect_timeout, config.read_timeout) == (3, 10)
    assert config.tcp_keepalive is True


def test_clients_honour_aws_endpoint_url(monkeypatch) -> None:
    monkeypatch.setenv("AWS_ENDPOINT_URL", "http://127.0.0.1:4566")

    assert Container().client("stepfunctions").meta.endpoint_url == "http://127.0.0.1:4566"


def test_an_override_stands_in_for_a_client() -> None:
    fake = object()
    assert Container(overrides={"sns": fake}).client("sns") is fake


def test_kept_values_are_built_once() -> None:
    container, built = Container(), []

    def build() -> list[int]:
        built.append(1)
        return [len(built)]

    assert container.keep("k", build) is container.keep("k", build)
    assert built == [1]
    assert container.keep("other", build) == [2]


def test_a_handler_without_a_container_uses_the_process_one() -> None:
    from disa_common import kit

    seen = []
    handler = kit.entry("probe", (), lambda event, context, deps: seen.append(deps.container))
    handler({}, None)
    assert seen == [kit.PROCESS_CONTAINER] and isinstance(seen[0], Container)
    assert kit.Write(False, {}) == kit.REFUSED
