#!/usr/bin/env bash
# IAM policy lint of every identity policy and the permissions boundary in cft/ with
# parliament (Duo Labs), run from its own virtual environment like the checkov scan. The
# templates' intrinsic functions are first resolved to an example environment
# (tests/support/iam_policies.py), since parliament reads plain JSON policies.
# Usage (from the project root, with the project's venv active): bash .ci/parliament.sh
# Each finding is explained in README.md, "Security model".
set -euo pipefail
cd "$(dirname "$0")/.."
venv="${XDG_CACHE_HOME:-$HOME/.cache}/disa-tools/parliament"
if [ ! -x "$venv/bin/parliament" ]; then
  python3 -m venv "$venv"
  "$venv/bin/pip" install -q --disable-pip-version-check parliament
fi
out="$(mktemp -d)"
trap 'rm -rf "$out"' EXIT
python tests/support/iam_policies.py "$out" > /dev/null
"$venv/bin/parliament" --directory "$out" --include_policy_extension .json \
  --include-community-auditors "$@" | sed "s|$out/||"
