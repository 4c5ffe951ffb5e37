"""The emulator process: moto's server with DISA's patches, bound to 127.0.0.1.

Started by ``emulator.ensure_emulator`` as ``python -m deployer.local.server --port N
--state-dir D`` in its own session; runs until SIGTERM. It refuses to start when a moto
internal the patches need has moved (exit 3, naming it), and answers ``/_disa/health`` so
the launcher can tell this emulator (pid, port, state dir) from anything else on the port.
Every other request runs under the emulator's lock (:mod:`deployer.local.serial`): moto's
backends are not thread-safe; the health answer does not wait for it.
"""

from __future__ import annotations

import argparse
import json
import logging
import os
import signal
import sys
import threading
from collections.abc import Callable, Iterable
from pathlib import Path
from typing import Any

from deployer.local.emulator import HEALTH_PATH, SERVICE_NAME

EXIT_MOTO_MOVED = 3

WsgiApp = Callable[[dict[str, Any], Callable[..., Any]], Iterable[bytes]]


def with_health(app: WsgiApp, port: int, state_dir: Path) -> WsgiApp:
    # The state dir tells a user which project's emulator holds a port they wanted.
    answer = {
        "service": SERVICE_NAME,
        "pid": os.getpid(),
        "port": port,
        "state_dir": str(state_dir),
    }
    body = json.dumps(answer).encode()

    def health_app(environ: dict[str, Any], start_response: Callable[..., Any]) -> Iterable[bytes]:
        if environ.get("PATH_INFO") == HEALTH_PATH:
            start_response("200 OK", [("Content-Type", "application/json")])
            return [body]
        return app(environ, start_response)

    return health_app


def parse_args(argv: list[str]) -> argparse.Namespace:
    parser = argparse.ArgumentParser(prog="python -m deployer.local.server")
    parser.add_argument("--port", type=int, required=True)
    parser.add_argument("--state-dir", type=Path, required=True)
    return parser.parse_args(argv)


def main(argv: list[str] | None = None) -> int:
    args = parse_args(sys.argv[1:] if argv is None else argv)
    logging.basicConfig(
        level=logging.INFO,
        format="%(asctime)s %(name)s %(levelname)s %(message)s",
        stream=sys.stderr,
    )
    logging.getLogger("werkzeug").setLevel(logging.WARNING)
    log = logging.getLogger("disa.local.server")
    # moto's Step Functions interpreter calls back on localhost:MOTO_PORT.
    os.environ["MOTO_PORT"] = str(args.port)
    os.environ.setdefault("AWS_DEFAULT_REGION", "us-east-1")

    from deployer.local.patches import Settings, install_all, missing_internals
    from deployer.local.serial import serialised

    missing = missing_internals()
    if missing:
        log.error("this moto lacks what the local emulator patches: %s", ", ".join(missing))
        return EXIT_MOTO_MOVED
    endpoint = f"http://127.0.0.1:{args.port}"
    install_all(Settings(endpoint=endpoint, state_dir=args.state_dir.resolve()))

    from moto.moto_server.werkzeug_app import (
        DomainDispatcherApplication,
        MotoRequestHandler,
        create_backend_app,
    )
    from werkzeug.serving import make_server

    moto_app = serialised(DomainDispatcherApplication(create_backend_app))
    app = with_health(moto_app, args.port, args.state_dir.resolve())
    server = make_server(
        "127.0.0.1", args.port, app, threaded=True, request_handler=MotoRequestHandler
    )
    signal.signal(signal.SIGTERM, lambda *_: threading.Thread(target=server.shutdown).start())
    log.info("ready on %s (pid %d)", endpoint, os.getpid())
    server.serve_forever()
    log.info("stopped")
    return 0


if __name__ == "__main__":
    sys.exit(main())
