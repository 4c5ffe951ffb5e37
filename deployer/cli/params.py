"""Command line values every command reads the same way: durations and message sources.

One unit for ``--timeout`` (and ``logs --since``) across commands: seconds, written ``90``,
``90s``, ``15m``, ``1h`` or ``1d``. A message for ``send`` comes from the argument, from ``-``
(standard input) or from
``--file PATH``, sent exactly as read (UTF-8; a trailing newline is part of the message), so
a message larger than the command line allows can still be sent.
"""

from __future__ import annotations

import re
import sys
from pathlib import Path
from typing import TYPE_CHECKING, Any

import click

from deployer.errors import ConfigError

_DURATION = re.compile(r"^\s*(\d+(?:\.\d+)?)\s*([smhd]?)\s*$")
_UNIT_SECONDS = {"": 1, "s": 1, "m": 60, "h": 3600, "d": 86400}


if TYPE_CHECKING:
    _ParamType = click.ParamType[float]  # generic in the Click we type-check against
else:
    _ParamType = click.ParamType  # not subscriptable in older Click


class Duration(_ParamType):
    """Seconds: ``90``, ``90s``, ``15m``, ``1h``, ``1d`` (at least one second)."""

    name = "DURATION"

    def convert(self, value: Any, param: click.Parameter | None,
                ctx: click.Context | None) -> float:  # fmt: skip
        if isinstance(value, int | float) and not isinstance(value, bool):
            seconds = float(value)
        else:
            match = _DURATION.match(str(value).lower())
            if match is None:
                self.fail(f"{value!r} is not a duration: use seconds (90, 90s), minutes (15m), "
                          "hours (1h) or days (1d)", param, ctx)  # fmt: skip
            seconds = float(match[1]) * _UNIT_SECONDS[match[2]]
        if seconds < 1:
            self.fail(f"{value!r} is shorter than one second", param, ctx)
        return seconds


DURATION = Duration()


def show_duration(seconds: float) -> str:
    """How a default is shown in --help: 60m, 2m, 90s."""
    for unit, size in (("h", 3600), ("m", 60)):
        if seconds >= size and seconds % size == 0 and not (unit == "h" and seconds < 7200):
            return f"{int(seconds // size)}{unit}"
    return f"{seconds:g}s"


def read_message(argument: str | None, file: Path | None) -> str:
    """The message to send: the argument, standard input for ``-``, or the file's text."""
    if (argument is None) == (file is None):
        raise ConfigError(
            "send needs exactly one message: MESSAGE, - (standard input) or --file PATH",
            hint='disa-deploy send "hello" | disa-deploy send --file msg.txt | cat msg | '
            "disa-deploy send -",
        )
    if file is not None:
        return _decode(file.read_bytes() if file.is_file() else _missing(file), str(file))
    if argument == "-":
        return _decode(sys.stdin.buffer.read(), "standard input")
    assert argument is not None
    return argument


def _missing(file: Path) -> bytes:
    raise ConfigError(f"--file {file}: no such file")


def _decode(data: bytes, source: str) -> str:
    try:
        return data.decode("utf-8")
    except UnicodeDecodeError as err:
        raise ConfigError(
            f"{source}: not UTF-8 text (byte {err.start} is {data[err.start]:#04x})",
            hint="a DISA message is a DynamoDB string: send text encoded as UTF-8",
        ) from err
