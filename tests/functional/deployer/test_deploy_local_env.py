"""The default env drives the emulator through deployer.local's three functions (faked here,
over a plain moto server), and never starts it just to read status or destroy."""

from __future__ import annotations

import json
import re
import socket
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest
from deploy_harness import Cli, FakeClock
from moto.server import ThreadedMotoServer

from deployer.local.patches import installed
from deployer.wiring import Edge


class FakeEmulator:
    """deployer.local's interface over a moto server this test owns."""

    def __init__(self, endpoint: str) -> None:
        self.endpoint = endpoint
        self.running = False
        self.calls: list[tuple[str, Path]] = []
        self.ports: list[int] = []

    def ensure_emulator(self, state_dir: Path, port: int, log: Callable[[str], None]) -> str:
        self.calls.append(("ensure", state_dir))
        self.ports.append(port)
        self.running = True
        log(f"fake emulator at {self.endpoint}")
        return self.endpoint

    def stop_emulator(self, state_dir: Path) -> bool:
        self.calls.append(("stop", state_dir))
        was, self.running = self.running, False
        return was

    def emulator_status(
        self, state_dir: Path, log: Callable[[str], None] | None = None
    ) -> str | None:
        self.calls.append(("status", state_dir))
        return self.endpoint if self.running else None


@pytest.fixture
def emulator() -> Iterator[FakeEmulator]:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    server = ThreadedMotoServer(ip_address="127.0.0.1", port=port)
    server.start()
    # "localhost": plain moto reads path-style TemplateURLs only on that host name
    # (deployer.local patches the same for 127.0.0.1). The artifact bucket needs the
    # emulator's public access block patch, as on the real emulator.
    with installed("s3_public_access"):
        yield FakeEmulator(f"http://localhost:{port}")
    server.stop()


@pytest.fixture
def local(run: Cli, clock: FakeClock, emulator: FakeEmulator) -> Cli:
    return Cli(run.project, Edge(emulator=emulator, clock=clock, sleep=clock.sleep), run.env)


def test_status_and_destroy_do_not_start_the_emulator(local: Cli, emulator: FakeEmulator) -> None:
    status = local("status")
    destroy = local("destroy", "--yes")

    assert status.exit_code == 0 and destroy.exit_code == 0
    assert "emulator not running" in status.stdout
    assert "nothing to destroy" in destroy.stdout
    assert [name for name, _ in emulator.calls] == ["status", "status", "stop"]


def test_local_up_status_destroy_round_trip(
    local: Cli, emulator: FakeEmulator, project: Path
) -> None:
    up = local("up", "--output", "json")

    assert up.exit_code == 0, up.output
    first_line = up.stderr.splitlines()[0]
    assert first_line.startswith("disa-deploy up: env local, local emulator on 127.0.0.1:4599")
    assert emulator.calls[0] == ("ensure", project / ".disa" / "local")
    assert json.loads(up.stdout)["changed"] is True
    assert (
        'next: disa-deploy send "hello" | disa-deploy status | disa-deploy destroy --yes'
        in up.stderr.splitlines()
    )

    again = local("up", "--output", "json")
    assert json.loads(again.stdout)["changed"] is False

    status = local("status")
    assert re.search(r"disa-local/StorageStack +CREATE_COMPLETE", status.stdout)

    destroy = local("destroy", "--yes")
    assert destroy.exit_code == 0, destroy.output
    assert "emulator stopped" in destroy.stdout
    assert emulator.calls[-1][0] == "stop" and not emulator.running


def test_disa_local_port_moves_the_emulator(local: Cli, emulator: FakeEmulator) -> None:
    result = local("up", env={"DISA_LOCAL_PORT": "4610"})

    assert result.exit_code == 0, result.output
    assert "local emulator on 127.0.0.1:4610" in result.stderr.splitlines()[0]
    assert emulator.ports == [4610]


@pytest.mark.parametrize(
    ("case", "value"),
    [
        ("not a number", "http"),
        ("privileged port", "80"),
        ("above the port range", "70000"),
        ("negative", "-4599"),
    ],
)
def test_a_bad_disa_local_port_is_refused_naming_the_variable(
    local: Cli, emulator: FakeEmulator, case: str, value: str
) -> None:
    result = local("up", env={"DISA_LOCAL_PORT": value})

    assert result.exit_code == 2
    assert (
        f"error: environment variable DISA_LOCAL_PORT: expected a port number 1024-65535, "
        f"got {value!r}" in result.stderr
    )
    assert "unset it to use emulator_port from local.yaml" in result.stderr
    assert emulator.calls == []
