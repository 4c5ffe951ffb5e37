"""The operate services' clients are made on first use, once, and then are the real client."""

from __future__ import annotations

from typing import Any

from deployer.gateways.aws import AwsTarget, LazyClient, make_clients


def test_a_lazy_client_is_made_on_first_use_and_only_once() -> None:
    made: list[str] = []

    class Real:
        region = "eu-west-1"

    def make() -> Any:
        made.append("client")
        return Real()

    lazy = LazyClient(make)
    assert made == []
    assert (lazy.region, lazy.region) == ("eu-west-1", "eu-west-1")
    assert made == ["client"]


def test_make_clients_makes_no_operate_client_until_one_is_used() -> None:
    clients = make_clients(AwsTarget("eu-west-1", endpoint_url="http://127.0.0.1:9", emulated=True))

    assert all(isinstance(c, LazyClient) for c in (clients.logs, clients.stepfunctions,
                                                   clients.lambda_, clients.sqs))  # fmt: skip
    assert clients.sqs.meta.service_model.service_name == "sqs"
    assert clients.sqs.meta.region_name == "eu-west-1"
