"""pytest for mutmut: a mutant that breaks collection (exit 2) is killed, not survived.

mutmut 2 counts only exit code 1 as a kill, so a mutant that makes a module fail to
import (a status enum value set to None) would pass for a survivor.
"""

from __future__ import annotations

import sys

import pytest

if __name__ == "__main__":
    code = pytest.main(sys.argv[1:])
    sys.exit(1 if code == pytest.ExitCode.INTERRUPTED else int(code))
