"""The ``disa-deploy`` command line: the group (:mod:`.app`) and its commands by kind.

Importing this package registers every command on :data:`cli`; ``main`` is the console
script's entry point.
"""

from __future__ import annotations

from deployer.cli import operate, ship
from deployer.cli.app import cli

__all__ = ["cli", "main", "operate", "ship"]


def main() -> None:
    cli()
