import re

import pytest
from disa_common import model

NAME_RULE = re.compile(r"^[0-9A-Za-z_-]{1,80}$")


@pytest.mark.parametrize(
    "key",
    [
        pytest.param("order-42", id="plain"),
        pytest.param("a b/c:d?é", id="unsafe-characters"),
        pytest.param("x" * 2048, id="very-long"),
    ],
)
def test_execution_name_follows_step_functions_rules(key: str) -> None:
    assert NAME_RULE.match(model.execution_name(key, 3))


def test_execution_name_is_stable_per_run_and_distinct_across_runs() -> None:
    assert model.execution_name("k", 1) == model.execution_name("k", 1)
    assert model.execution_name("k", 1) != model.execution_name("k", 2)


def test_keys_that_sanitise_alike_get_distinct_names() -> None:
    assert model.execution_name("a/b", 1) != model.execution_name("a:b", 1)


def test_retry_shard_is_stable_and_in_range() -> None:
    shards = {model.retry_shard(f"item-{i}", 4) for i in range(200)}
    assert shards == {"0", "1", "2", "3"}
    assert model.retry_shard("item-1", 4) == model.retry_shard("item-1", 4)
