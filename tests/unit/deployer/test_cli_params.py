"""Durations in one unit (seconds, with s/m/h/d accepted) and the three sources of a message."""

from __future__ import annotations

import io
from pathlib import Path

import click
import pytest

from deployer.cli.params import DURATION, read_message, show_duration
from deployer.errors import ConfigError


@pytest.mark.parametrize(
    ("case", "text", "seconds"),
    [
        ("bare number is seconds", "90", 90.0),
        ("seconds", "90s", 90.0),
        ("minutes", "15m", 900.0),
        ("hours", "1h", 3600.0),
        ("days, for logs --since", "1d", 86400.0),
        ("fraction of a minute", "1.5m", 90.0),
        ("upper case and spaces", " 2M ", 120.0),
        ("a number from code", 30, 30.0),
    ],
)
def test_durations(case: str, text: object, seconds: float) -> None:
    assert DURATION.convert(text, None, None) == seconds


@pytest.mark.parametrize("text", ["soon", "15 minutes", "-5", "0", "0.5s", "1w", ""])
def test_bad_durations_are_usage_errors(text: str) -> None:
    with pytest.raises(click.BadParameter):
        DURATION.convert(text, None, None)


@pytest.mark.parametrize(("seconds", "shown"), [(3600, "60m"), (7200, "2h"), (120, "2m"),
                                                (90, "90s"), (1.5, "1.5s")])  # fmt: skip
def test_defaults_are_shown_as_written(seconds: float, shown: str) -> None:
    assert show_duration(seconds) == shown
    assert DURATION.convert(shown, None, None) == seconds


def test_the_argument_is_the_message() -> None:
    assert read_message("hello", None) == "hello"


def test_a_file_is_sent_exactly_as_read(tmp_path: Path) -> None:
    path = tmp_path / "m.txt"
    path.write_bytes("größer\nthan a line\n".encode())

    assert read_message(None, path) == "größer\nthan a line\n"


def test_dash_reads_standard_input(monkeypatch: pytest.MonkeyPatch) -> None:
    big = "x" * 200_000  # over what one command line argument may hold on Linux
    monkeypatch.setattr("sys.stdin", io.TextIOWrapper(io.BytesIO(big.encode())))

    assert read_message("-", None) == big


@pytest.mark.parametrize(("argument", "file"), [(None, None), ("hello", Path("m.txt"))])
def test_exactly_one_source(argument: str | None, file: Path | None) -> None:
    with pytest.raises(ConfigError, match="exactly one message"):
        read_message(argument, file)


def test_a_file_that_is_not_utf8_is_refused(tmp_path: Path) -> None:
    path = tmp_path / "m.bin"
    path.write_bytes(b"ok\xff")

    with pytest.raises(ConfigError, match=r"not UTF-8 text \(byte 2 is 0xff\)"):
        read_message(None, path)
