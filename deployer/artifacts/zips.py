"""Deterministic Lambda zips: the same source gives the same bytes on any machine.

A function's zip holds its package directory (``code/python/<fn>/`` as ``<fn>/…``) and the
shared ``disa_common/`` package at the zip root, so the handler string
``<fn>.handler.lambda_handler`` resolves in Lambda's ``/var/task``.

Why each fixed field: entries are sorted (directory listing order differs between file
systems); every timestamp is 1980-01-01, the earliest a zip can hold (mtimes differ per
checkout, and a fresh timestamp would change the hash and force a needless Lambda update on
every deploy); modes are a fixed 0644 (umask differs per machine); the "made by" system is
fixed to Unix; caches (``__pycache__``, ``*.pyc``) and dotfiles are left out, since they
depend on which interpreter last ran the code. Compression level is pinned too.
"""

from __future__ import annotations

import io
import zipfile
from collections.abc import Iterator
from pathlib import Path

FIXED_DATE = (1980, 1, 1, 0, 0, 0)
FILE_MODE = 0o100644  # regular file, rw-r--r--
UNIX_SYSTEM = 3
COMPRESS_LEVEL = 9
SKIPPED_DIRS = frozenset({"__pycache__"})
SKIPPED_SUFFIXES = (".pyc", ".pyo")


def _included(rel: Path) -> bool:
    if any(part in SKIPPED_DIRS or part.startswith(".") for part in rel.parts):
        return False
    return not rel.name.endswith(SKIPPED_SUFFIXES)


def iter_sources(directory: Path, prefix: str) -> Iterator[tuple[str, Path]]:
    """(archive name, path) for every file under ``directory``, skipping caches."""
    for path in directory.rglob("*"):
        rel = path.relative_to(directory)
        if path.is_file() and not path.is_symlink() and _included(rel):
            yield f"{prefix}/{rel.as_posix()}", path


def build_zip(function_dir: Path, common_dir: Path | None) -> bytes:
    """Zip a function package dir plus the shared package, byte-for-byte reproducibly."""
    entries = dict(iter_sources(function_dir, function_dir.name))
    if common_dir is not None and common_dir.is_dir():
        entries.update(iter_sources(common_dir, common_dir.name))
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w") as archive:
        for name in sorted(entries):
            info = zipfile.ZipInfo(name, date_time=FIXED_DATE)
            info.create_system = UNIX_SYSTEM
            info.external_attr = FILE_MODE << 16
            info.compress_type = zipfile.ZIP_DEFLATED
            archive.writestr(info, entries[name].read_bytes(), compresslevel=COMPRESS_LEVEL)
    return buffer.getvalue()
