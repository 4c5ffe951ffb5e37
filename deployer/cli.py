"""Command-line entry point of disa-deploy (Click). Commands parse, call a use case, render."""

from __future__ import annotations

import click

from deployer import __version__


@click.group()
@click.version_option(__version__, prog_name="disa-deploy")
def cli() -> None:
    """Package, deploy and destroy DISA on AWS or the embedded local emulator."""


def main() -> None:
    cli()
