"""cfn-lint through its Python API: decode templates, inline the ASL, lint, report findings.

Three things the command line of cfn-lint would not do for us:

- **One rule set for every template.** Loading cfn-lint's 300-odd rules costs about half a
  second; they are loaded once per process (:func:`_rules`) and run over each template, and
  each template's own ``Metadata: cfn-lint: config: ignore_checks`` still applies (cfn-lint
  reads it per template, and per resource in a resource's ``Metadata``), which is the one
  way to silence a rule. The set is cfn-lint's own plus the serverless rules of
  ``cfn-lint-serverless`` (:data:`EXTRA_RULES`: ids ``ES``/``WS``, such as ES7000, an SNS
  subscription without a dead-letter queue), as ``cfn-lint -a cfn_lint_serverless.rules``
  would load them.
- **The state machine's ASL is linted in place.** :func:`inline_definition` puts a
  definition file (the one ``DefinitionS3Location.Key`` names as a local path, which the
  packager uploads), decoded with cfn-lint's own line-keeping JSON decoder, in as the
  resource's ``Definition``, so rule E3601 checks it; a finding inside it names the ASL file
  and its line.
- **Syntax errors are findings.** A template that is not YAML/JSON, or an ASL file that is not
  JSON, gives ``file:line:column: message`` like any other finding.

Nothing here reads the environment or calls AWS: the caller reads the bytes (so it can hash
what it checked) and gives the region to lint for.
"""

from __future__ import annotations

import functools
import json
from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from deployer.findings import Finding, Severity

SEVERITIES = {"E": Severity.ERROR, "W": Severity.WARNING, "I": Severity.INFO}
PARSE_RULE = "E0000"
# Rule modules loaded beside cfn-lint's own; their ids keep cfn-lint's first letter for the
# severity (ES... error, WS... warning).
EXTRA_RULES = ("cfn_lint_serverless.rules",)


@dataclass
class Decoded:
    """One template as cfn-lint sees it; ``template`` is None when it could not be read."""

    name: str  # the file as findings name it
    path: Path
    template: dict[str, Any] | None
    findings: list[Finding] = field(default_factory=list)
    # logical id of a state machine -> the ASL file (name, path) inlined as its Definition
    definitions: dict[str, tuple[str, Path]] = field(default_factory=dict)


def decode_template(name: str, path: Path, text: str) -> Decoded:
    """Decode ``text`` (the file at ``path``) keeping line marks; syntax errors become findings."""
    from cfnlint.decode.decode import decode_str

    template, matches = decode_str(text)
    if matches:
        return Decoded(name, path, None, [_finding(name, m) for m in matches])
    if not isinstance(template, dict) or not template:
        kind = "list" if isinstance(template, list) else "single value"
        what = "empty" if not template else f"a {kind}, not a mapping"
        problem = f"a CloudFormation template is a mapping of sections; this one is {what}"
        return Decoded(name, path, None, [Finding(Severity.ERROR, PARSE_RULE, name, problem, 1, 1)])
    return Decoded(name, path, template)


def inline_definition(decoded: Decoded, logical_id: str, name: str, text: str) -> list[Finding]:
    """Put the ASL ``text`` (file ``name``) into the state machine as its Definition."""
    from cfnlint.decode import cfn_json

    try:
        json.loads(text)  # the standard decoder's messages and positions are the clearest
        definition = cfn_json.loads(text)
    except json.JSONDecodeError as err:
        return [Finding(Severity.ERROR, PARSE_RULE, name, f"not valid JSON: {err.msg}",
                        err.lineno, err.colno)]  # fmt: skip
    except cfn_json.JSONDecodeError as err:  # duplicate keys
        return [_finding(name, m) for m in err.matches]
    assert decoded.template is not None
    props = decoded.template["Resources"][logical_id]["Properties"]
    del props["DefinitionS3Location"]
    props["Definition"] = definition
    decoded.definitions[logical_id] = (name, decoded.path)
    return []


def lint(templates: Sequence[Decoded], region: str) -> list[Finding]:
    """Every cfn-lint finding over the decoded templates, linted for ``region``."""
    from cfnlint.config import ConfigMixIn
    from cfnlint.helpers import REGION_PRIMARY, REGIONS
    from cfnlint.runner.template.runner import run_template_by_data

    rules = _rules()
    findings: list[Finding] = []
    if region not in REGIONS:
        message = (f"cfn-lint {cfn_lint_version()} does not know region {region}; the templates "
                   f"were linted for {REGION_PRIMARY}")  # fmt: skip
        findings.append(Finding(Severity.WARNING, "DISA-REGION", templates[0].name, message))
        region = REGION_PRIMARY
    for decoded in templates:
        if decoded.template is None:
            continue
        config = ConfigMixIn([], regions=[region])
        for match in run_template_by_data(decoded.template, config, rules):
            findings.append(_finding(_file_of(decoded, match), match))
    return findings


def cfn_lint_version() -> str:
    from cfnlint.version import __version__

    return str(__version__)


@functools.cache
def _rules() -> Any:
    from cfnlint.config import ConfigMixIn
    from cfnlint.rules import Rules

    rules = Rules()
    for directory in ConfigMixIn([]).append_rules:
        rules.update(Rules.create_from_directory(directory))
    for module in EXTRA_RULES:
        rules.update(Rules.create_from_module(module))
    return rules


def _file_of(decoded: Decoded, match: Any) -> str:
    path = list(getattr(match, "path", None) or ())
    if len(path) > 3 and path[0] == "Resources" and path[2:4] == ["Properties", "Definition"]:
        inlined = decoded.definitions.get(str(path[1]))
        if inlined is not None:
            return inlined[0]
    return decoded.name


def _finding(name: str, match: Any) -> Finding:
    rule = str(match.rule.id)
    severity = SEVERITIES.get(rule[:1], Severity.ERROR)
    line = int(match.linenumber) if match.linenumber else None
    column = int(match.columnnumber) if match.columnnumber and line else None
    return Finding(severity, rule, name, str(match.message), line, column)
