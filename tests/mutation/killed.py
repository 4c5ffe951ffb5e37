"""pytest for mutmut: a mutant that breaks collection or a conftest's import is killed.

mutmut 2 counts only exit code 1 as a kill, so a mutant that makes a module fail to
import (a status enum value set to None) would pass for a survivor.
"""

from __future__ import annotations

import sys

import pytest

if __name__ == "__main__":
    code = pytest.main(sys.argv[1:])
    broken = (pytest.ExitCode.INTERRUPTED, pytest.ExitCode.USAGE_ERROR)  # import errors
    sys.exit(1 if code in broken else int(code))
