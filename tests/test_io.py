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


# ---------------------------------------------------------------- the output guard and deep JSON (issue 8)

def test_output_target_kinds(tmp_path):
    from jiesu.errors import OutputError
    from jiesu.io.atomic import output_target

    assert output_target(None).kind == output_target("-").kind == "stdout"
    assert output_target(os.devnull).kind == "null"
    real = tmp_path / "real.csv"
    real.write_text("x")
    link = tmp_path / "link.csv"
    link.symlink_to(real)
    assert output_target(link).path == real  # the link's target is what gets replaced
    dangling = tmp_path / "dangling.csv"
    dangling.symlink_to(tmp_path / "new.csv")
    assert output_target(dangling).path == tmp_path / "new.csv"
    for bad in ("", " ", tmp_path, "/dev/zero", tmp_path / "no" / "x.csv"):
        with pytest.raises(OutputError):
            output_target(bad)
    with pytest.raises(OutputError, match="input"):
        output_target(link, inputs=[real])  # the same file under another name
    with pytest.raises(OutputError, match="input"):
        output_target(real, inputs=[tmp_path])  # a data file inside an input folder


def test_parquet_writer_streams_to_stdout_and_writes_through_links(tmp_path, capsysbinary):
    import pyarrow as pa
    import pyarrow.parquet as pq

    from jiesu.records import parquet_writer

    table = pa.table({"a": [1, 2]})
    with parquet_writer("-", table.schema) as w:
        w.write_table(table)
    assert pq.read_table(pa.BufferReader(capsysbinary.readouterr().out)).equals(table)
    (tmp_path / "real.parquet").write_bytes(b"old")
    (tmp_path / "link.parquet").symlink_to("real.parquet")
    with parquet_writer(tmp_path / "link.parquet", table.schema) as w:
        w.write_table(table)
    assert (tmp_path / "link.parquet").is_symlink() and pq.read_table(tmp_path / "real.parquet").equals(table)


@pytest.mark.parametrize(("openings", "deep"), [(64, False), (65, True)])
def test_lines_that_may_nest_deeper_than_the_limit_are_found(openings, deep):
    import numpy as np

    from jiesu.io.json_reader import MAX_OPENINGS, _too_deep

    assert MAX_OPENINGS == 64
    nested = "[" * (openings - 1)  # the line's own { makes ``openings``; closers need not balance
    flat = '{"case_id": "A", "topic": "x"}\n' * 1000  # many lines with one opening each
    raw = np.frombuffer((flat + '{"x": "' + "]" * 500 + '", "y": ' + "[" * 70 + "}\n" + flat).encode(), np.uint8)
    ends = np.flatnonzero(raw == 10)
    assert _too_deep(raw, ends, len(ends))  # closers in a string cannot hide the openers
    raw = np.frombuffer((flat + '{"x": ' + nested + "}\n" + flat).encode(), np.uint8)
    ends = np.flatnonzero(raw == 10)
    assert _too_deep(raw, ends, len(ends)) is deep


def test_a_deep_line_is_reported_by_python_not_read_by_arrow(tmp_path):
    from jiesu.io.raw import iter_raw
    from jiesu.io.sources import discover

    path = tmp_path / "deep.ndjson"
    good = '{"case_id": "A", "received_at": "2024-03-01T08:00:00+08:00"}\n'
    path.write_text(good + '{"case_id": "B", "x": ' + "[" * 5000 + "]" * 5000 + "}\n" + good, encoding="utf-8")
    (batch,) = list(iter_raw(discover([path])[0]))
    assert batch.num_rows == 3 and [(code, pos) for code, pos, _ in batch.bad_rows] == [("invalid-json", 1)]
