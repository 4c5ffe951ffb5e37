"""Patch: Step Functions executions reuse what they can and call services in-process.

What moto lacks (in speed, not behaviour): for every execution its interpreter parses the
state machine's ASL again with an ANTLR grammar, for every Task state it creates a new boto3
client that calls the service back on the emulator over HTTP (a new connection, a new server
thread each time), and for every JSONPath it builds a new parser (a PLY grammar). In the local
burst benchmark these took about half of the emulator's CPU
(``tests/benchmarks/bench_local.py --profile``).

What the patch does: executions of one definition share its parsed program (an LRU cache by
definition text; the program holds no execution state: that lives in each execution's
``Environment``), and Task states share one client per region and service (boto3 clients are
thread-safe) with the settings moto uses (no retries, its timeouts), answered by moto's own
in-process dispatch (the one ``mock_aws`` uses) under the emulator's lock instead of over
HTTP; a JSONPath is parsed once (parsed paths are immutable).
"""

from __future__ import annotations

import functools
import importlib
import sys
import threading
from typing import Any

from deployer.local.patches import Installer, Patch
from deployer.local.serial import MOTO_LOCK

_CLIENT_MODULE = "moto.stepfunctions.parser.asl.utils.boto_client"
_WORKER_MODULE = "moto.stepfunctions.parser.backend.execution_worker"
_PREPROCESSOR = "moto.stepfunctions.parser.asl.parse.preprocessor"
_JSON_PATH_MODULE = "moto.stepfunctions.parser.asl.utils.json_path"
_TIMEOUT_MODULE = "moto.stepfunctions.parser.asl.component.common.timeouts.timeout"


def install(installer: Installer) -> None:
    workers = importlib.import_module(_WORKER_MODULE)
    original_entrypoint = workers.ExecutionWorker._get_evaluation_entrypoint

    def entrypoint(self: Any) -> Any:
        details = getattr(getattr(self, "_evaluation_details", None), "state_machine_details", None)
        definition = getattr(details, "definition", None)
        if not isinstance(definition, str):
            return original_entrypoint(self)  # moto moved it: parse as moto does
        return parsed_program(definition)

    installer.replace(workers.ExecutionWorker, "_get_evaluation_entrypoint", entrypoint)
    installer.on_undo(parsed_program.cache_clear)
    json_path = importlib.import_module(_JSON_PATH_MODULE)
    installer.replace(json_path, "parse", functools.lru_cache(maxsize=512)(json_path.parse))
    importlib.import_module(_PREPROCESSOR)  # loads every Task state module that calls out
    original_client = importlib.import_module(_CLIENT_MODULE).boto_client_for
    shared = shared_clients(original_client)
    for module in list(sys.modules.values()):
        name = getattr(module, "__name__", "") or ""
        if name.startswith("moto.stepfunctions.parser") and (
            getattr(module, "boto_client_for", None) is original_client
        ):
            installer.replace(module, "boto_client_for", shared)


@functools.lru_cache(maxsize=32)
def parsed_program(definition: str) -> Any:
    from moto.stepfunctions.parser.asl.parse.asl_parser import AmazonStateLanguageParser

    return AmazonStateLanguageParser.parse(definition)[0]


def shared_clients(original: Any) -> Any:
    clients: dict[tuple[str, str], Any] = {}
    lock = threading.Lock()

    def boto_client_for(region: str, service: str, state_credentials: Any = None) -> Any:
        with lock:
            client = clients.get((region, service))
            if client is None:
                client = clients[(region, service)] = make_client(original, region, service)
            return client

    return boto_client_for


def make_client(original: Any, region: str, service: str) -> Any:
    """moto's client for a Task state, answered in this process instead of over HTTP."""
    from moto.core.models import botocore_stubber

    if botocore_stubber.enabled:  # in-process moto (mock_aws): it intercepts every client
        return original(region, service)
    import boto3
    from botocore.config import Config

    timeout = importlib.import_module(_TIMEOUT_MODULE).TimeoutSeconds.DEFAULT_TIMEOUT_SECONDS
    client = boto3.client(
        service,
        region_name=region,
        aws_access_key_id="ak",
        aws_secret_access_key="sk",
        config=Config(
            parameter_validation=False,
            retries={"max_attempts": 0, "total_max_attempts": 1},
            connect_timeout=timeout,
            read_timeout=timeout,
        ),
    )
    client.meta.events.register("before-send", answer_in_process)
    return client


def answer_in_process(request: Any, **kwargs: Any) -> Any:
    """moto's own in-process dispatch (what ``mock_aws`` uses), under the emulator's lock.

    The request is handled by the same backend code an HTTP request reaches, so answers and
    errors are the same; it only skips the socket, the server thread and the HTTP parsing.
    A Lambda invocation lets go of the lock while its worker runs, as over HTTP.
    """
    from botocore.awsrequest import AWSResponse
    from moto.core.botocore_stubber import MockRawResponse
    from moto.core.models import botocore_stubber

    with MOTO_LOCK:
        answer = botocore_stubber.process_request(request)
    if answer is None:
        raise RuntimeError(f"the emulator has no backend for {request.url}")
    status, headers, body = answer
    return AWSResponse(request.url, status, headers, MockRawResponse(body))


PATCH = Patch(
    name="sfn_reuse",
    requires=(
        (_WORKER_MODULE, "ExecutionWorker._get_evaluation_entrypoint"),
        ("moto.stepfunctions.parser.asl.parse.asl_parser", "AmazonStateLanguageParser.parse"),
        (_CLIENT_MODULE, "boto_client_for"),
        (_PREPROCESSOR, "Preprocessor"),
        (_JSON_PATH_MODULE, "parse"),
        ("moto.core.models", "botocore_stubber"),
        ("moto.core.botocore_stubber", "BotocoreStubber.process_request"),
        ("moto.core.botocore_stubber", "MockRawResponse"),
        (_TIMEOUT_MODULE, "TimeoutSeconds.DEFAULT_TIMEOUT_SECONDS"),
        (
            "moto.stepfunctions.parser.asl.component.state.exec.state_task.lambda_eval_utils",
            "boto_client_for",
        ),
        (
            "moto.stepfunctions.parser.asl.component.state.exec.state_task.service."
            "state_task_service_dynamodb",
            "boto_client_for",
        ),
    ),
    install=install,
)
