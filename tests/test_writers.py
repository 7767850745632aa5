"""Parquet as other tools write it (fixtures/writers/, made by tools/writers.py): pyarrow's and
pandas' defaults, DuckDB, Spark's INT96, zone-less Hive/pandas timestamps, Arrow's view layouts.

validate and score must give the same results on every writer's file, equal to one another and
to DuckDB's own reading of the same file (an independent engine).
"""

from __future__ import annotations

import re
import sys
from pathlib import Path

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc
import pyarrow.parquet as pq
import pytest

from jiesu.errors import ArgumentError, InputError
from jiesu.io.parquet_reader import naive_to_utc
from jiesu.ranking import rank
from jiesu.scoring import score
from jiesu.validation import validate

ROOT = Path(__file__).resolve().parents[1]
WRITERS = ROOT / "fixtures" / "writers"
sys.path.insert(0, str(ROOT / "tools"))
from writers import NAIVE_ZONE, STYLES

duckdb = pytest.importorskip("duckdb")


def _file(style: str) -> Path:
    return WRITERS / f"{style}.parquet"


def test_every_style_has_a_fixture_with_the_layout_it_names():
    types = {s: pq.ParquetFile(_file(s), coerce_int96_timestamp_unit="us").schema_arrow for s in STYLES}
    assert types["pyarrow"].field("received_at").type == pa.timestamp("ms", tz="Asia/Shanghai")
    assert types["pandas"].field("objections").type == pa.float64()
    assert types["pandas"].field("unit").type == pa.large_string()
    assert types["pandas"].field("received_at").type == pa.timestamp("ns", tz="Asia/Shanghai")
    assert types["duckdb"].field("received_at").type == pa.timestamp("us", tz="UTC")
    assert types["spark"].field("received_at").type == pa.timestamp("us")  # INT96, no zone
    assert pq.ParquetFile(_file("spark")).metadata.schema.column(1).physical_type == "INT96"
    assert types["naive"].field("received_at").type == pa.timestamp("ns")
    assert types["views"].field("case_id").type == pa.string_view()
    assert pa.types.is_dictionary(types["views"].field("satisfaction").type)
    # pyarrow's default writer dictionary-encodes every column, timestamps too
    meta = pq.ParquetFile(_file("pyarrow")).metadata.row_group(0)
    assert "RLE_DICTIONARY" in meta.column(1).encodings


def _validate(style: str):
    return validate([_file(style)], naive_timezone=NAIVE_ZONE.get(style))


def _notices(report) -> list[tuple]:
    return [(n.code, n.field, n.count) for n in report.notices]


def test_validate_gives_the_same_report_on_every_writer():
    reference = validate([ROOT / "fixtures" / "valid" / "cases.ndjson"])
    for style in STYLES:
        report = _validate(style)
        assert report.rows == 60, style
        assert report.valid, style
        assert _notices(report) == _notices(reference), style


@pytest.mark.parametrize("by", ["unit", "street", "district", "category"])
def test_score_gives_the_same_rows_on_every_writer(by):
    reference = score([ROOT / "fixtures" / "valid" / "cases.ndjson"], by=by)
    assert reference
    for style in STYLES:
        assert score([_file(style)], by=by, naive_timezone=NAIVE_ZONE.get(style)) == reference, style


def test_rank_gives_the_same_rows_on_every_writer():
    reference = rank([_file("jiesu")], month="2024-03", level="street")
    for style in STYLES:
        assert rank([_file(style)], month="2024-03", level="street", naive_timezone=NAIVE_ZONE.get(style)) == reference


def _local_callback(style: str) -> str:
    """DuckDB's expression for the callback's wall-clock time in Beijing, from the file's own type."""
    if style in NAIVE_ZONE:  # zone-less: wall-clock times in the zone the writer used
        return f"timezone('Asia/Shanghai', timezone('{NAIVE_ZONE[style]}', callback_at::TIMESTAMP))"
    return "timezone('Asia/Shanghai', callback_at)"


@pytest.mark.parametrize("style", STYLES)
def test_score_counts_equal_duckdb_reading_the_same_file(style):
    con = duckdb.connect()
    rows = con.execute(f"""
        SELECT strftime({_local_callback(style)}, '%Y-%m') AS m, unit, count(*),
               count(*) FILTER (WHERE contacted), count(*) FILTER (WHERE resolved),
               count(*) FILTER (WHERE satisfaction = 'satisfied'),
               count(*) FILTER (WHERE satisfaction = 'basically_satisfied')
        FROM read_parquet(?)
        WHERE disposition = 'dispatched' AND callback_valid AND callback_at IS NOT NULL
          AND NOT (coalesce(excluded, false) AND coalesce(exclusion_reason IN
                   ('objection_upheld', 'unreasonable', 'duplicate', 'other'), false))
        GROUP BY ALL ORDER BY m, unit""", [str(_file(style))]).fetchall()
    total = con.execute("SELECT count(*), count(objections), sum(objections) FROM read_parquet(?)",
                        [str(_file(style))]).fetchone()
    ours = score([_file(style)], by="unit", naive_timezone=NAIVE_ZONE.get(style))
    got = [(r["month"], r["unit"], r["scored"], r["contacted"], r["resolved"], r["satisfied"],
            r["basically_satisfied"]) for r in ours if r["scored"]]
    assert got == [tuple(r) for r in rows]
    assert len(got) >= 10
    report = _validate(style)
    assert report.rows == total[0] == 60
    table = pq.read_table(_file(style), columns=["objections"])
    assert table.column(0).null_count == 60 - total[1] and pc.sum(table.column(0)).as_py() == total[2]


@pytest.mark.parametrize("style", sorted(NAIVE_ZONE))
def test_zone_less_timestamps_are_refused_without_a_zone(style):
    with pytest.raises(InputError) as err:
        validate([_file(style)])
    assert "--naive-timezone" in err.value.message and "without a time zone" in err.value.message
    with pytest.raises(InputError):
        score([_file(style)])
    with pytest.raises(ArgumentError):
        score([_file(style)], naive_timezone="Nowhere/Atlantis")


def test_the_zone_decides_the_instants():
    from jiesu.io.cases import iter_cases
    from jiesu.io.sources import Source

    def instants(style: str, zone: str | None) -> pa.Array:
        source = Source(_file(style), "parquet", naive_timezone=zone)
        (table,) = iter_cases([source], ["callback_at"])
        return table.column(0).cast(pa.timestamp("us", tz="UTC"))

    truth = instants("jiesu", None)
    assert instants("spark", "UTC").equals(truth)  # Spark's INT96 hold UTC instants
    assert instants("naive", "Asia/Shanghai").equals(truth)  # Beijing wall-clock times
    later = pc.add(truth, pa.scalar(8 * 3_600_000_000, pa.duration("us")))
    assert instants("naive", "UTC").equals(later)  # the same wall-clock times read as UTC: 8 h later


def _pandas_frame_file(tmp_path: Path, objections: pa.Array) -> Path:
    table = pq.read_table(_file("pandas"))
    path = tmp_path / "frame.parquet"
    pq.write_table(table.set_column(table.column_names.index("objections"), "objections", objections), path)
    return path


def test_integer_fields_stored_as_double_must_be_integral(tmp_path):
    values = [float(i % 3) if i % 7 else None for i in range(60)]
    values[4], values[9], values[11] = 1.5, float("nan"), 3e20  # 3e20 is an integer, out of range
    path = _pandas_frame_file(tmp_path, pa.array(values, pa.float64(), from_pandas=False))
    report = validate([path])
    wrong = [n for n in report.notices if n.code == "wrong-type"]
    assert [(n.field, n.count) for n in wrong] == [("objections", 2)]
    assert [s.row for s in wrong[0].samples] == [5, 10]
    assert [s.value for s in wrong[0].samples] == ["1.5", "NaN"]
    ranged = [n for n in report.notices if n.code == "out-of-range"]
    assert [(n.field, n.count, [s.row for s in n.samples]) for n in ranged] == [("objections", 1, [12])]
    assert not report.valid


def test_integral_doubles_are_valid_and_float32_too(tmp_path):
    values = [float(i % 3) if i % 7 else None for i in range(60)]
    for arrow_type in (pa.float64(), pa.float32()):
        report = validate([_pandas_frame_file(tmp_path, pa.array(values, arrow_type))])
        assert report.valid and report.errors == 0


def test_naive_times_are_converted_exactly_and_daylight_saving_gaps_refused():
    stamps = np.array(["2024-03-01T00:00:00", "2024-07-15T12:30:00", "2024-11-03T00:59:59"], "datetime64[us]")
    arr = pa.array(stamps.astype(np.int64), pa.timestamp("us"))
    for zone in ("Asia/Shanghai", "UTC", "America/New_York", "Asia/Kolkata"):
        expected = pc.assume_timezone(arr, zone).cast(pa.int64())
        assert naive_to_utc(arr, zone).cast(pa.int64()).equals(expected), zone
    with_null = pa.array([None, *(stamps.astype(np.int64) // 1000).tolist()], pa.timestamp("ms"))
    got = naive_to_utc(with_null, "Asia/Shanghai")
    assert got.type == pa.timestamp("ms", tz="UTC") and got.null_count == 1
    assert got[1].value == with_null[1].value - 8 * 3_600_000
    sliced = naive_to_utc(with_null.slice(1), "Asia/Shanghai")  # an array that starts at an offset
    assert sliced.cast(pa.int64()).equals(got.slice(1).cast(pa.int64())) and sliced.null_count == 0
    assert naive_to_utc(with_null.slice(0, 2), "Asia/Shanghai").to_pylist() == got.slice(0, 2).to_pylist()
    gap = pa.array(np.array(["2024-03-10T02:30:00"], "datetime64[us]").astype(np.int64), pa.timestamp("us"))
    with pytest.raises(InputError):
        naive_to_utc(gap, "America/New_York")


# every command that reads case records takes --naive-timezone: a zone-less file read in its zone
# gives what the zoned file gives, and without the option the command stops with the hint
READING_COMMANDS = {
    "warn": ["warn", "--month", "2024-03", "-f", "json"],
    "trend": ["trend", "--from", "2024-03", "--to", "2024-03", "--level", "street", "-f", "json"],
    "candidates": ["topics", "candidates", "--from", "2024-03", "--to", "2024-03", "-f", "json"],
    "track": ["topics", "track", "--month", "2024-03", "-f", "json"],
    "disputes": ["disputes", "--month", "2024-03", "-f", "json"],
    "report": ["report", "--month", "2024-03", "-f", "html"],
    "export": ["export", "--to", "open311"],
}


@pytest.mark.parametrize("name", list(READING_COMMANDS))
def test_every_reading_command_reads_zone_less_timestamps_in_the_zone_it_is_given(name):
    from typer.testing import CliRunner

    from jiesu.cli.app import app

    runner = CliRunner()
    args = READING_COMMANDS[name]
    ours = runner.invoke(app, [*args, str(_file("jiesu"))])  # µs, the reference
    zoned = runner.invoke(app, [*args, str(_file("pyarrow"))])  # ms in Beijing's zone
    naive = runner.invoke(app, [*args, str(_file("naive")), "--naive-timezone", "Asia/Shanghai"])  # ns
    assert ours.exit_code == zoned.exit_code == naive.exit_code == 0, (zoned.stderr, naive.stderr)
    strip = re.compile(r"<code id=\"command\">.*?</code>|(?:jiesu|naive|pyarrow)\.parquet", re.DOTALL)
    assert strip.sub("", ours.stdout) == strip.sub("", zoned.stdout) == strip.sub("", naive.stdout)
    assert len(ours.stdout) > 100 or name == "warn"  # the fixture's month raises no warning
    refused = runner.invoke(app, [*args, str(_file("naive"))])
    assert refused.exit_code == 3 and "--naive-timezone" in refused.stderr
