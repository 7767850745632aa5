"""`jiesu export --to open311`: GeoReport v2 JSON or NDJSON, times with their offsets, and the round
trip: importing an export through the open311 mapping gives back every field Open311 carries."""

from __future__ import annotations

import io
import json
from pathlib import Path

import pyarrow as pa
import pyarrow.parquet as pq
import pytest
from typer.testing import CliRunner

from jiesu.cli.app import app
from jiesu.errors import ArgumentError
from jiesu.export import export_open311
from jiesu.importers.run import import_cases
from jiesu.records import parquet_writer
from jiesu.synthetic import generate

ROOT = Path(__file__).resolve().parents[1]
runner = CliRunner()
#: what GeoReport v2 (with notes[]) carries; the rest of a case record has no place in it
CARRIED = ["case_id", "received_at", "category", "unit", "status", "deadline_at", "dispatched_at",
           "first_contact_at", "callback_at", "closed_at"]


@pytest.fixture(scope="module")
def cases(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """Generated cases of every status, with microseconds, plus the 60 fixture cases."""
    d = tmp_path_factory.mktemp("open311")
    table = generate(400, seed=11)
    status = table["status"].cast(pa.string()).to_pylist()
    rewritten = [["open", "in_progress", "closed", "cancelled"][i % 4] if s == "closed" and i % 5 == 0 else s
                 for i, s in enumerate(status)]
    table = table.set_column(table.schema.get_field_index("status"), "status",
                             pa.array(rewritten).dictionary_encode().cast(table.schema.field("status").type))
    path = d / "cases.parquet"
    with parquet_writer(path, table.schema) as w:
        w.write_table(table)
        w.write_table(pq.read_table(ROOT / "fixtures" / "valid" / "cases.parquet").cast(table.schema))
    return path


def records(path: Path) -> dict[str, dict]:
    t = pq.read_table(path, columns=CARRIED)
    return {r["case_id"]: r for r in t.to_pylist()}


@pytest.mark.parametrize("fmt", ["json", "ndjson"])
def test_round_trip_gives_back_every_field_open311_carries(cases, tmp_path: Path, fmt):
    exported = tmp_path / f"requests.{fmt}"
    result = export_open311([cases], output=exported, format=fmt)
    assert result.rows == 460
    report = import_cases([exported], mapping="open311", output=tmp_path / "back.parquet")
    assert (report.rows_read, report.rows_written, report.rows_rejected) == (460, 460, 0)
    original, back = records(cases), records(tmp_path / "back.parquet")
    assert original.keys() == back.keys()
    for cid, rec in original.items():
        got = back[cid]
        for name in CARRIED:
            if name in ("dispatched_at", "unit") and rec["unit"] is None:
                continue  # no agency: Open311 cannot say a case was dispatched
            if name == "closed_at" and rec["status"] not in ("closed", "cancelled"):
                assert got[name] is None
                continue
            assert got[name] == rec[name], (cid, name)


def test_the_json_is_georeport(cases):
    buf = io.BytesIO()
    export_open311([ROOT / "fixtures" / "valid" / "cases.parquet"], output=buf)
    data = json.loads(buf.getvalue())
    first = next(r for r in data if r["service_request_id"] == "BJ000000000001")
    assert first == {
        "service_request_id": "BJ000000000001", "status": "closed", "status_notes": "closed", "service_code": "OTHER",
        "service_name": "其他", "agency_responsible": "110114113",
        "requested_datetime": "2024-03-03T01:01:23.291152+08:00", "updated_datetime": "2024-03-04T23:12:39.853252+08:00",
        "expected_datetime": "2024-03-04T02:27:37.117193+08:00",
        "notes": [
            {"type": "dispatched", "summary": "Dispatched to the handling unit", "datetime": "2024-03-03T02:27:37.117193+08:00"},
            {"type": "first_contact", "summary": "The handling unit contacted the requester",
             "datetime": "2024-03-03T04:20:20.014168+08:00"},
            {"type": "closed", "summary": "Closed", "datetime": "2024-03-03T06:48:31.042371+08:00"},
            {"type": "callback", "summary": "The hotline called the requester back", "datetime": "2024-03-04T23:12:39.853252+08:00"},
        ],
    }
    assert len(data) == 60 and all("description" not in r and "address" not in r for r in data)


def test_offsets_follow_daylight_saving(tmp_path: Path):
    from datetime import datetime
    from zoneinfo import ZoneInfo

    import numpy as np

    from jiesu.export.open311 import rfc3339

    seconds = [1426400000, 1446355800, 1446359400, 1446400000]  # EDT; 01:30 EDT and 01:30 EST (fall back); EST
    us = np.array([s * 1_000_000 for s in seconds] + [0], np.int64)
    got = rfc3339(us, np.array([True] * 4 + [False]), "America/New_York").to_pylist()
    zone = ZoneInfo("America/New_York")
    assert got == [f'"{datetime.fromtimestamp(s, zone).isoformat()}"' for s in seconds] + [None]
    assert got[1:3] == ['"2015-11-01T01:30:00-04:00"', '"2015-11-01T01:30:00-05:00"']


def test_cli_stdout_file_and_errors(cases, tmp_path: Path):
    result = runner.invoke(app, ["export", "--to", "open311", str(ROOT / "fixtures" / "valid" / "cases.parquet")])
    assert result.exit_code == 0 and len(json.loads(result.stdout)) == 60
    out = tmp_path / "r.ndjson"
    result = runner.invoke(app, ["export", str(cases), "-f", "ndjson", "-o", str(out)])
    assert result.exit_code == 0 and "460 requests written" in result.stderr
    assert len(out.read_text(encoding="utf-8").splitlines()) == 460
    assert runner.invoke(app, ["export", "--to", "csv", str(cases)]).exit_code == 2
    missing = runner.invoke(app, ["export", str(tmp_path / "none.parquet"), "-o", str(tmp_path / "x.json")])
    assert missing.exit_code == 3 and not (tmp_path / "x.json").exists()
    with pytest.raises(ArgumentError):
        export_open311([cases], output=tmp_path / "y.json", format="xml")


def test_a_case_without_any_event_is_kept(tmp_path: Path):
    """An open case never dispatched has no note at all (Arrow's join with null_handling="skip"
    drops such rows in pyarrow 26: the export must not)."""
    t = pq.read_table(ROOT / "fixtures" / "valid" / "cases.parquet").slice(0, 3)
    nulls = pa.nulls(3, pa.timestamp("us", tz="UTC"))
    for name in ("dispatched_at", "first_contact_at", "closed_at", "callback_at"):
        t = t.set_column(t.schema.get_field_index(name), name, nulls)
    src = tmp_path / "none.parquet"
    with parquet_writer(src, t.schema) as w:
        w.write_table(t)
    buf = io.BytesIO()
    assert export_open311([src], output=buf).rows == 3
    data = json.loads(buf.getvalue())
    assert [r["notes"] for r in data] == [[], [], []] and len({r["service_request_id"] for r in data}) == 3
