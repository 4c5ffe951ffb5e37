import hashlib
import re

import pytest
from disa_common import model

NAME_RULE = re.compile(r"^[0-9A-Za-z_-]{1,80}$")
TOKEN = model.request_token("k", "event-1")


@pytest.mark.parametrize(
    ("key", "run"),
    [
        pytest.param("order-42", 3, id="plain"),
        pytest.param("a b/c:d?é", 3, id="unsafe-characters"),
        pytest.param("x" * 2048, 3, id="very-long"),
        pytest.param("x" * 2048, 10**14, id="very-long-and-many-runs"),
    ],
)
def test_execution_name_follows_step_functions_rules(key: str, run: int) -> None:
    assert NAME_RULE.match(model.execution_name(key, TOKEN, run))


def test_a_name_uses_all_80_characters_when_the_run_needs_room() -> None:
    name = model.execution_name("x" * 2048, TOKEN, 10**15)
    assert len(name) == 80 and name.endswith(f"-{TOKEN}-r{10**15}")


def test_statuses_and_reasons_are_the_documented_words() -> None:
    assert [s.value for s in model.Status] == [
        "Processing", "Successful", "Failure", "Retrying", "Invalid", "Exhausted",
    ]  # fmt: skip
    assert [r.value for r in model.InvalidReason] == [
        "MissingMessage", "EmptyMessage", "NotAString", "TooLarge",
    ]  # fmt: skip


def test_execution_name_is_stable_per_request_and_run_and_distinct_otherwise() -> None:
    other = model.request_token("k", "event-2")
    assert model.execution_name("k", TOKEN, 1) == model.execution_name("k", TOKEN, 1)
    assert model.execution_name("k", TOKEN, 1) != model.execution_name("k", TOKEN, 2)
    assert model.execution_name("k", TOKEN, 1) != model.execution_name("k", other, 1)


def test_request_token_is_per_record_and_per_item() -> None:
    assert model.request_token("k", "e") == model.request_token("k", "e")
    assert model.request_token("k", "e") != model.request_token("k", "f")
    assert model.request_token("k", "e") != model.request_token("j", "e")
    assert re.fullmatch(r"[0-9a-f]{12}", model.request_token("k", "e"))


def test_keys_that_sanitise_alike_get_distinct_names() -> None:
    first = model.execution_name("a/b", model.request_token("a/b", "e"), 1)
    second = model.execution_name("a:b", model.request_token("a:b", "e"), 1)
    assert first != second


def test_legacy_token_names_runs_as_before_tokens() -> None:
    """Names were <key[:50] sanitised>-<sha256(key)[:12]>-r<run>; in-flight items keep them."""
    key = "order/42" + "x" * 60
    legacy = f"{'order_42' + 'x' * 42}-{hashlib.sha256(key.encode()).hexdigest()[:12]}-r3"
    assert model.execution_name(key, model.legacy_token(key), 3) == legacy


def test_retry_shard_is_stable_and_in_range() -> None:
    shards = {model.retry_shard(f"item-{i}", 4) for i in range(200)}
    assert shards == {"0", "1", "2", "3"}
    assert model.retry_shard("item-1", 4) == model.retry_shard("item-1", 4)
