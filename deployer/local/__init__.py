"""Local mode: DISA on an embedded AWS emulator (moto plus DISA's patches), no account needed.

The deployer uses only these three functions; see ``emulator`` for the process rules,
``records`` for what the state dir holds, and ``patches`` for what the emulator adds to moto.
"""

from __future__ import annotations

from deployer.local.emulator import emulator_status, ensure_emulator, stop_emulator

__all__ = ["emulator_status", "ensure_emulator", "stop_emulator"]
