"""Atomic writes: all or nothing, with ordinary file permissions."""

from __future__ import annotations

import os

import pytest

from jiesu.io.atomic import atomic_path, write_bytes_atomic


def test_atomic_write_replaces_and_leaves_no_temp(tmp_path):
    target = tmp_path / "out.json"
    write_bytes_atomic(target, b"one")
    write_bytes_atomic(target, b"two")
    assert target.read_bytes() == b"two"
    assert [p.name for p in tmp_path.iterdir()] == ["out.json"]


def test_failed_write_keeps_the_old_file(tmp_path):
    target = tmp_path / "out.json"
    target.write_bytes(b"old")
    with pytest.raises(RuntimeError), atomic_path(target) as tmp:
        tmp.write_bytes(b"half")
        raise RuntimeError("interrupted")
    assert target.read_bytes() == b"old"
    assert [p.name for p in tmp_path.iterdir()] == ["out.json"]


def test_new_files_get_the_umask_mode_and_old_files_keep_theirs(tmp_path):
    umask = os.umask(0o022)
    try:
        target = tmp_path / "new.csv"
        write_bytes_atomic(target, b"x")
        assert target.stat().st_mode & 0o777 == 0o644
        old = tmp_path / "old.csv"
        old.write_bytes(b"x")
        old.chmod(0o640)
        write_bytes_atomic(old, b"y")
        assert old.stat().st_mode & 0o777 == 0o640
    finally:
        os.umask(umask)
