"""JSON-line logs and EMF metric lines."""

from __future__ import annotations

import json

import pytest
from disa_common import log


@pytest.fixture(autouse=True)
def fresh_log_context():
    log.configure("disa_test", "INFO", "req-1")
    yield
    log.configure("disa_test", "INFO", None)


def lines(capsys) -> list[dict]:
    return [json.loads(line) for line in capsys.readouterr().out.splitlines()]


def test_each_call_is_one_json_line_with_correlation_ids(capsys) -> None:
    log.info("claimed", id="k-1", execution="k-1-abc-r1", attempt=2)

    (line,) = lines(capsys)
    assert line["event"] == "claimed" and line["level"] == "INFO"
    assert (line["id"], line["execution"], line["attempt"]) == ("k-1", "k-1-abc-r1", 2)
    assert (line["function"], line["requestId"]) == ("disa_test", "req-1")
    assert line["time"].endswith("+00:00")


def test_a_body_field_is_dropped_even_if_passed(capsys) -> None:
    log.error("oops", id="k", message="SECRET-BODY", body="SECRET-BODY")

    (line,) = lines(capsys)
    assert "SECRET-BODY" not in json.dumps(line)


def test_level_filters_lower_levels(capsys) -> None:
    log.configure("disa_test", "WARNING")
    log.info("quiet")
    log.debug("quieter")
    log.warning("loud")

    assert [line["event"] for line in lines(capsys)] == ["loud"]


def test_metric_line_is_embedded_metric_format_and_the_event_it_counts(capsys) -> None:
    log.configure("disa_test", "WARNING")
    log.metric("PublishFailures", "DISA", "dev", event="publish failed", level="ERROR", id="k")

    (line,) = lines(capsys)  # one line: the event and its metric
    assert (line["level"], line["event"], line["function"]) == ("ERROR", "publish failed",
                                                              "disa_test")  # fmt: skip
    directive = line["_aws"]["CloudWatchMetrics"][0]
    assert directive == {
        "Namespace": "DISA",
        "Dimensions": [["Environment"]],
        "Metrics": [{"Name": "PublishFailures", "Unit": "Count"}],
    }
    assert isinstance(line["_aws"]["Timestamp"], int)
    assert (line["Environment"], line["PublishFailures"], line["id"]) == ("dev", 1, "k")


def test_a_metric_whose_event_the_level_hides_is_written_as_the_metric_alone(capsys) -> None:
    log.configure("disa_test", "WARNING")
    log.metric("PublishSuccesses", "DISA", "dev", event="published", id="k")

    (line,) = lines(capsys)
    assert "event" not in line and "level" not in line
    assert (line["PublishSuccesses"], line["id"]) == (1, "k")
