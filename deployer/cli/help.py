"""The words of ``disa-deploy --help``: what the tool does, its envs, a session, exit codes.

Kept apart from :mod:`deployer.cli` so the commands stay short. Paragraphs that open with
``\\b`` are printed as written (Click would otherwise rewrap them); the exit code table must
match :class:`deployer.errors.ExitCode` (a test holds the two together).
"""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class CommandHelp:
    short: str  # the line in the group's command list
    text: str  # the whole `disa-deploy COMMAND --help` text


GROUP = """\
Ship DISA (DynamoDB -> Step Functions -> SNS, with scheduled retries) to AWS or to an
embedded emulator on this machine.

disa-deploy builds the Lambda zips, uploads what changed, deploys the nested CloudFormation
stacks through a change set, follows their events, and can send a message through the
deployed system to prove it works.

\b
Environments (--env):
  local  the default: an embedded emulator (moto) on 127.0.0.1, started
         on demand; no AWS account, no Docker (port: DISA_LOCAL_PORT)
  NAME   deployer/environments/NAME.yaml (or --config-dir, DISA_CONFIG_DIR):
         account, region, parameters and tags of an AWS environment
  CI set and no --env: refused (exit 2), so a pipeline that forgot --env
  fails instead of deploying to an emulator.

\b
A typical session:
  disa-deploy validate           # check templates, handlers, values; no AWS
  disa-deploy up                 # start the emulator, deploy everything
  disa-deploy send "hello"       # one message, followed to Successful
  disa-deploy status             # stacks, outputs, items by status
  disa-deploy destroy --yes      # delete the stack, stop the emulator
In CI:
  disa-deploy up --env dev --output json

\b
Exit codes:
  0    ok, or nothing to change (no-op)
  1    internal error: a bug in disa-deploy (rerun with --debug)
  2    bad command line, config, credentials or emulator problem;
       validate's findings (an error in the tree or the env's values)
  3    refused by pre-flight: wrong account, stack state, replacement,
       protected env, a stale saved plan, another run got there first
  4    deploy failed: AWS tried and the stack failed (or the smoke message did)
  5    timeout: a stack did not settle in time
  130  interrupted (Ctrl-C): CloudFormation carries on with what it started
With --output json, stdout holds exactly one JSON document for every exit.
Durations (--timeout) are seconds: 90, 90s, 15m, 1h.
"""

VALIDATE = CommandHelp(
    "Check templates, handlers and the env's values; no AWS.",
    """\
Check everything that can be known before a deploy, without any AWS call.

\b
  - cfn-lint over every template (root, nested, artifact store, deployer
    role), the state machine's ASL inlined so rule E3601 checks it;
  - YAML/JSON syntax, and every path the packager would follow;
  - the env's parameters (file and --parameter) and the env and project
    names against each template parameter's Type, AllowedValues,
    AllowedPattern, Min/MaxLength and Min/MaxValue;
  - schedule expressions (rate(N unit), cron() with six fields);
  - every function's zip compiles, and its handler imports in an
    interpreter that has only what Lambda's has (boto3).

Lists every finding as file:line:column: severity RULE message, and exits 2 if any
is an error (warnings alone exit 0). package, plan and up run the same checks first.
Silence a cfn-lint rule for one template with its Metadata: cfn-lint: config:
ignore_checks.

\b
Examples:
  disa-deploy validate
  disa-deploy validate --env dev --parameter MaxAttempts=8 --output json
""",
)

PACKAGE = CommandHelp(
    "Build the zips, upload changed artifacts.",
    """\
Build deterministic zips and upload changed artifacts to the env's bucket.

Checks the tree first (as `validate` does; exit 2 on an error, before any AWS call).
Creates the env's artifact store (KMS key + private bucket) on first use, then uploads
only what is not there yet: artifacts are named by content hash, so an unchanged tree
uploads nothing. The packaged root template, the zips and manifest.json land in
.disa/<env>/. `up` runs this step itself.

\b
Example:
  disa-deploy package --env dev
""",
)

UP = CommandHelp(
    "Package and deploy (create or update) the stack.",
    """\
Package and deploy (create or update) the env's stack.

Checks the tree first (as `validate` does; exit 2 on an error, before the emulator
starts or any AWS call). Shows the plan (the change set as a tree, and every parameter
and tag that changes, old -> new), executes it and follows every nested stack's events;
prints the outputs, or the root cause of a failure (exit 4). Only when the deployed
template, every parameter (defaults included), the tags and termination protection all
match is nothing done ("no changes", exit 0). Replacing or removing tables, keys or
buckets is refused (exit 3) unless --allow-replace. With --plan FILE it executes exactly
the change set `plan --save FILE` kept, and refuses (exit 3) if anything moved since.
On the local env the emulator is started first.

\b
Examples:
  disa-deploy up
  disa-deploy up --env dev --smoke
  disa-deploy up --env dev --output json --timeout 30m
  disa-deploy up --env prod --plan plan.json
""",
)

PLAN = CommandHelp(
    "Show the change set an `up` would execute.",
    """\
Show what an `up` would do; never execute it.

Checks the tree first (as `validate` does), packages (uploads are content-addressed, so
this is safe), creates the change set and prints the plan: the action (CREATE, UPDATE,
RECREATE or NOOP), the change set as a tree, and every parameter (with the resources it
reaches), tag and termination-protection value that changes, old -> new. Then deletes
the change set, unless --save FILE: that keeps it and writes the plan, which
`up --plan FILE` executes exactly.

\b
Example:
  disa-deploy plan --env prod --save plan.json
""",
)

DESTROY = CommandHelp(
    "Delete the stack; local: stop the emulator.",
    """\
Delete the env's stack (and optionally its artifacts); local: stop the emulator.

Lists what will go, asks for confirmation at a terminal (--yes in scripts; without a
terminal and without --yes it refuses), and reports what retention policies kept.
Protected envs (protected: true) also need --force-protected.

\b
Examples:
  disa-deploy destroy --yes
  disa-deploy destroy --env dev --yes --purge-artifacts
""",
)

STATUS = CommandHelp(
    "Stack states, outputs, item counts and dead-letter queue depths.",
    """\
Stack states, outputs, item counts per status and dead-letter queue depths.

Read-only: the root, nested and artifact store stacks with their status, the root
stack's outputs (on AWS also the CloudWatch dashboard's URL), the messages table's
items counted by status, and how many messages each dead-letter queue holds (counted,
never read: they hold message bodies). Counting items reads the whole table, so a
table DynamoDB estimates at more than --count-limit items (default 100,000) is not
counted unless you pass --count-limit 0. On the local env it never starts the emulator.

\b
Examples:
  disa-deploy status
  disa-deploy status --env dev --output json
  disa-deploy status --env prod --count-limit 0
""",
)

SEND = CommandHelp(
    "Send one message and follow it (smoke test).",
    """\
Write one message item and follow it to a terminal status (a smoke test).

The message is MESSAGE, standard input when MESSAGE is -, or the text of --file PATH
(UTF-8, sent exactly as read), so a message too large for a command line can be sent.
Prints the trail of status changes with timings, the execution and the SNS message id.
Exit 4 unless the message ends Successful within --timeout; the error then names
`trace ID` and `logs --id ID` for the item, which show why.

\b
Examples:
  disa-deploy send "hello"
  disa-deploy send "hello" --env dev --timeout 5m
  disa-deploy send --file message.txt
  echo "hello" | disa-deploy send -
""",
)

LOGS = CommandHelp(
    "Read the functions' and the state machine's logs.",
    """\
Read the functions' and the state machine's log lines, interleaved by time.

Handlers' JSON lines are shown as level, event and fields; Lambda's START/END/REPORT
lines and tracebacks as written. --id ITEM keeps the item's lines and the untagged lines
of the invocations that handled it (a traceback names no item); --errors keeps errors
only. --follow polls for new lines (every 5 s on AWS, backing off to 60 s while nothing
comes) until Ctrl-C, which exits 130. --output json gives every line, raw, in one
document (not with --follow). --since takes 30s, 15m, 2h or 1d.

\b
Cost: one FilterLogEvents call per log group and page (4 groups for --function all);
--id adds one GetItem and, per log stream holding the item, one more FilterLogEvents.
On the local env it never starts the emulator.

\b
Examples:
  disa-deploy logs --since 1h --errors
  disa-deploy logs --env dev --function process --follow
  disa-deploy logs --id 3f2a... --since 1d
""",
)

TRACE = CommandHelp(
    "One item's life: attributes, executions, logs.",
    """\
Show one item's life: its attributes, every execution of every run with the states it
went through, the SNS message id, where it stands in the retry schedule, and the log
lines that carry its id.

The message is shown by type, size and SHA-256 only (--show-message prints it), and so
are attributes DISA does not own. An unknown id exits 2.

\b
Cost: DescribeStacks, one GetItem, per run one DescribeExecution and one
GetExecutionHistory (the newest 20 runs), and the calls of `logs --id` from shortly
before the first execution.

\b
Examples:
  disa-deploy trace 3f2a...
  disa-deploy trace 3f2a... --env dev --output json
""",
)

ITEMS = CommandHelp(
    "List items in a status, newest first.",
    """\
List items, newest first (by updated_at), optionally in one status.

\b
Cost, stated because a table can be large:
  Failure, Retrying  one Scan of the sparse retry-index (it holds only these
                     items, a few bytes each) and one BatchGetItem per 100 of
                     them: the cost follows the failures, not the table
  other / none       a Scan of the table, filtered by status on the server and
                     projected to the listed attributes; DynamoDB charges for
                     every item read whatever the filter keeps, so it stops
                     after --scan-limit items (default 10,000)
The answer says how many items were read, whether that was all, and the read units
DynamoDB reported.

\b
Examples:
  disa-deploy items --status Failure
  disa-deploy items --env dev --status Exhausted --limit 200
  disa-deploy items --env prod --status Successful --scan-limit 0
""",
)

REDRIVE = CommandHelp(
    "Send Failure or Exhausted items again.",
    """\
Start a new run for items in Failure or Exhausted (after the cause is fixed), through
the retry function's own claim and start (code/python/disa_common/redrive.py).

Select with --status Failure|Exhausted or with --id ID (repeatable). Each item is read
first; Successful items are skipped (never sent again), Processing and Retrying ones are
in flight, Invalid ones are refused (their message can never be published), unknown ids
are reported. The claim is a conditional write that holds only while the item is still
as read, so an item that moved on meanwhile is skipped and counted. An Exhausted item
gets a fresh MaxAttempts budget; a Failure item keeps its attempts. --dry-run lists what
would be redriven and writes nothing; otherwise a terminal asks first, and without one
--yes is required (exit 3). --rate bounds starts per second.

\b
Cost, in AWS calls:
  per item   one GetItem (state attributes only, never the message),
             one conditional UpdateItem, one StartExecution
  once       GetFunctionConfiguration of the retry function (its settings)
  --status   a Scan of the retry index (Failure) or of the table
             (Exhausted), reading at most --scan-limit items
Exit codes: 0 done (skipped items included), 2 an unknown id, 3 refused
(an Invalid item, or no consent), 4 a claim or a start failed.

\b
Examples:
  disa-deploy redrive --status Exhausted --dry-run
  disa-deploy redrive --env dev --status Exhausted --yes --rate 5
  disa-deploy redrive --id 3f2a... --id 9c1b... --yes --output json
""",
)

COMMANDS = {
    "validate": VALIDATE,
    "package": PACKAGE,
    "up": UP,
    "plan": PLAN,
    "destroy": DESTROY,
    "status": STATUS,
    "send": SEND,
    "logs": LOGS,
    "trace": TRACE,
    "items": ITEMS,
    "redrive": REDRIVE,
}
