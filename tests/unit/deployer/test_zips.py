"""Deterministic zips: same source, same bytes, whatever the mtimes, umask or caches."""

from __future__ import annotations

import io
import os
import shutil
import zipfile
from pathlib import Path

from deployer.artifacts.zips import build_zip

FIXTURE = Path(__file__).parents[2] / "functional" / "deployer" / "fixtures" / "project"


def _copy_source(target: Path, umask: int, mtime: float) -> Path:
    old = os.umask(umask)
    try:
        shutil.copytree(FIXTURE / "code", target / "code", copy_function=shutil.copy)
    finally:
        os.umask(old)
    for path in (target / "code").rglob("*"):
        os.utime(path, (mtime, mtime))
    return target / "code" / "python"


def test_zips_of_two_copies_with_different_mtimes_and_umasks_are_byte_identical(
    tmp_path: Path,
) -> None:
    first = _copy_source(tmp_path / "a", 0o022, 1_600_000_000)
    second = _copy_source(tmp_path / "b", 0o077, 1_700_000_000)
    (second / "disa_process" / "__pycache__").mkdir()
    (second / "disa_process" / "__pycache__" / "handler.cpython-311.pyc").write_bytes(b"junk")
    (second / "disa_common" / "stale.pyc").write_bytes(b"junk")

    one = build_zip(first / "disa_process", first / "disa_common")
    two = build_zip(second / "disa_process", second / "disa_common")

    assert one == two


def test_zip_holds_the_function_package_and_the_shared_package_at_the_root(tmp_path: Path) -> None:
    source = _copy_source(tmp_path, 0o022, 1_600_000_000)
    archive = zipfile.ZipFile(
        io.BytesIO(build_zip(source / "disa_process", source / "disa_common"))
    )

    names = archive.namelist()
    assert names == sorted(names)
    assert names == [
        "disa_common/__init__.py",
        "disa_process/__init__.py",
        "disa_process/handler.py",
    ]
    for info in archive.infolist():
        assert info.date_time == (1980, 1, 1, 0, 0, 0)
        assert info.external_attr >> 16 == 0o100644


def test_a_changed_handler_changes_the_zip(tmp_path: Path) -> None:
    source = _copy_source(tmp_path, 0o022, 1_600_000_000)
    before = build_zip(source / "disa_process", source / "disa_common")
    (source / "disa_process" / "handler.py").write_text("# changed\n")

    assert build_zip(source / "disa_process", source / "disa_common") != before
