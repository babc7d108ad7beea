from __future__ import annotations

import os
import stat
from pathlib import Path

import pytest

from templating import fileio


def test_write_atomic_replaces_the_file_and_leaves_no_temporary(tmp_path: Path) -> None:
    target = tmp_path / "deep" / "out.json"
    fileio.write_atomic(target, "first\r\n")
    fileio.write_atomic(target, "é\r\n", durable=True)
    assert target.read_bytes() == "é\r\n".encode()
    assert [p.name for p in target.parent.iterdir()] == ["out.json"]


def test_a_failed_write_keeps_the_old_file_and_cleans_up(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    target = tmp_path / "out.json"
    target.write_bytes(b"old")

    def refuse(src: str, dst: str) -> None:
        raise OSError("disk full")

    monkeypatch.setattr(fileio.os, "replace", refuse)
    with pytest.raises(OSError):
        fileio.write_atomic(target, b"new")
    assert target.read_bytes() == b"old"
    assert [p.name for p in tmp_path.iterdir()] == ["out.json"]


def test_written_files_get_the_umask_mode_and_replaced_files_keep_theirs(tmp_path: Path) -> None:
    umask = os.umask(0o022)
    os.umask(umask)
    target = tmp_path / "out.json"
    fileio.write_atomic(target, "new")
    assert stat.S_IMODE(target.stat().st_mode) == fileio.NEW_FILE_MODE == 0o666 & ~umask  # not mkstemp's 0o600
    target.chmod(0o640)
    fileio.write_atomic(target, "changed")
    assert stat.S_IMODE(target.stat().st_mode) == 0o640
