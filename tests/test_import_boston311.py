"""Boston 311 importer: the mapping on a hand-made CSV, the CLI, and end to end on the real 2015 file."""

from __future__ import annotations

import csv
import gzip
import re
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pyarrow.parquet as pq
import pytest
from typer.testing import CliRunner

from jiesu.cli.app import app
from jiesu.errors import InputError, OutputError
from jiesu.importers import import_boston311
from jiesu.importers.boston311 import assign_codes, slug
from jiesu.profile import load_profile
from jiesu.records import arrow_schema
from jiesu.validation import validate

REAL = Path(__file__).resolve().parents[1].parent / "shared" / "data" / "boston311-2015" / "boston311_2015_by_type_combined.csv.gz"
COLUMNS = [
    "source_row_index", "CASE_ENQUIRY_ID", "OPEN_DT", "TARGET_DT", "CLOSED_DT", "OnTime_Status", "CASE_STATUS",
    "CLOSURE_REASON", "CASE_TITLE", "SUBJECT", "REASON", "TYPE", "QUEUE", "Department", "SubmittedPhoto",
    "ClosedPhoto", "Location", "neighborhood", "LOCATION_STREET_NAME", "LOCATION_ZIPCODE", "LATITUDE",
    "LONGITUDE", "Source", "Geocoded_Location",
]
QUOTED_QUEUE = 'INFO03_Mobile "Other" Requests'
BACKSLASH_QUEUE = "PWDx_Missed Trash\\Recycling\\Yard Waste\\Bulk Item"
ODD_QUEUE = "BTDT_Café\tqueue\x7f"
SECRET = "SECRET"
# case id, OPEN_DT, TARGET_DT, CLOSED_DT, CASE_STATUS, TYPE, QUEUE, neighborhood, Source
ROWS = [
    ("101000000001", "03/08/2015 02:30:00 AM", "03/10/2015 02:30:00 PM", "03/09/2015 09:00:00 AM", "Closed",
     "Heat - Excessive  Insufficient", QUOTED_QUEUE, "Back Bay", "Constituent Call"),  # nonexistent 02:30
    ("101000000002", "11/01/2015 01:30:00 AM", "", "", "Open",
     "Pothole Repair (Internal)", BACKSLASH_QUEUE, "", "Citizens Connect App"),  # ambiguous 01:30
    ("101000000003", "06/01/2015 10:00:00 AM", "06/05/2015 10:00:00 AM", "05/31/2015 10:00:00 AM", "Closed",
     "Pothole Repair (Internal)", BACKSLASH_QUEUE, "South Boston / South Boston Waterfront", "Self Service"),
    ("101000000004", "07/04/2015 12:00:00 PM", "", "", "Open", "Needle Pickup", "", "Dorchester", "Twitter"),
    ("101000000005", "07/04/2015 12:05:00 PM", "", "07/05/2015 12:00:00 PM", "Closed", "Needle Pickup",
     "No Queue Assigned To User", "Dorchester", "Employee Generated"),
    ("101000000006", "01/05/2015 12:40:41 PM", "01/06/2015 12:40:41 PM", "", "Open", "Needle Pickup", ODD_QUEUE,
     "Dorchester", "City Worker App"),
    ("101000000007", "12/31/2015 11:59:59 PM", "", "", "Open", "Needle Pickup", QUOTED_QUEUE, "Roxbury",
     "Maximo Integration"),
    ("101000000008", "02/02/2015 08:00:00 AM", "01/01/2015 08:00:00 AM", "", "Open", "Needle Pickup", QUOTED_QUEUE,
     "Roxbury", "Carrier Pigeon"),  # target before open, unknown source
    ("", "02/02/2015 08:00:00 AM", "", "", "Open", "Needle Pickup", QUOTED_QUEUE, "Roxbury", "Twitter"),  # no id
    ("101000000010", "not a time", "", "", "Open", "Needle Pickup", QUOTED_QUEUE, "Roxbury", "Twitter"),
]
runner = CliRunner()


def utc(*args: int) -> datetime:
    return datetime(*args, tzinfo=UTC)


def write_csv(path: Path, rows=ROWS, columns=COLUMNS) -> Path:
    opener = gzip.open if path.suffix == ".gz" else open
    with opener(path, "wt", encoding="utf-8", newline="") as fh:
        w = csv.writer(fh)
        w.writerow(columns)
        for i, (cid, op, tg, cl, st, ty, qu, nb, src) in enumerate(rows):
            rec = dict.fromkeys(columns, "")
            rec.update({
                "source_row_index": str(i), "CASE_ENQUIRY_ID": cid, "OPEN_DT": op, "TARGET_DT": tg, "CLOSED_DT": cl,
                "CASE_STATUS": st, "TYPE": ty, "QUEUE": qu, "neighborhood": nb, "Source": src,
                "CLOSURE_REASON": f"Case Resolved {SECRET} crew note", "CASE_TITLE": f"{SECRET} title",
                "Location": f"1 {SECRET} St  Boston  MA  02115 call 13812345678",
                "LOCATION_STREET_NAME": f"1 {SECRET} St", "LATITUDE": "42.35", "LONGITUDE": "-71.08",
                "Geocoded_Location": "(42.35, -71.08)", "SubmittedPhoto": f"http://x/{SECRET}.jpg",
            })
            w.writerow([rec[c] for c in columns])
    return path


@pytest.fixture
def tiny(tmp_path: Path):
    src = write_csv(tmp_path / "boston.csv")
    out, prof = tmp_path / "cases.parquet", tmp_path / "boston.toml"
    seen: list[tuple[int, int | None]] = []
    result = import_boston311(src, out, prof, progress=lambda d, t: seen.append((d, t)))
    rows = {r["case_id"]: r for r in pq.read_table(out).to_pylist()}
    return result, rows, out, prof, seen


# ---------------------------------------------------------------- mapping on a hand-made file

def test_rows_and_drops(tiny):
    result, rows, out, _, seen = tiny
    assert result.rows_read == 10 and result.rows_written == 8 == len(rows)
    assert result.dropped == {"bad_case_id": 1, "no_open_dt": 1}
    assert result.times["OPEN_DT"]["unparseable"] == 1
    assert seen[-1] == (10, 10)
    assert pq.read_schema(out).remove_metadata() == arrow_schema()


def test_dst_nonexistent_and_ambiguous(tiny):
    result, rows, *_ = tiny
    # 2015-03-08 02:30 does not exist in New York: read with EST (-5), i.e. 03:30 EDT
    assert rows["101000000001"]["received_at"] == utc(2015, 3, 8, 7, 30)
    # 2015-11-01 01:30 happens twice: the first (EDT, -4) is taken
    assert rows["101000000002"]["received_at"] == utc(2015, 11, 1, 5, 30)
    assert result.times["OPEN_DT"]["nonexistent"] == 1 and result.times["OPEN_DT"]["ambiguous"] == 1
    assert result.dst_fixes == 2
    # ordinary winter and summer times
    assert rows["101000000006"]["received_at"] == utc(2015, 1, 5, 17, 40, 41)
    assert rows["101000000004"]["received_at"] == utc(2015, 7, 4, 16, 0)
    assert rows["101000000001"]["deadline_at"] == utc(2015, 3, 10, 18, 30)


def test_deadline_closed_status(tiny):
    result, rows, *_ = tiny
    r2 = rows["101000000002"]
    assert r2["deadline_at"] == r2["received_at"] + timedelta(hours=168)
    r3 = rows["101000000003"]  # closed before it opened: kept, closed_at emptied, status kept
    assert r3["closed_at"] is None and r3["status"] == "closed"
    r8 = rows["101000000008"]  # target before open: default limit
    assert r8["deadline_at"] == r8["received_at"] + timedelta(hours=168)
    assert result.counts["closed_before_open"] == 1
    assert result.counts["deadline_from_default"] == 2  # rows 2 and 7 (row 4 and 5 are not dispatched)
    assert result.counts["deadline_before_open"] == 1
    assert rows["101000000001"]["closed_at"] == utc(2015, 3, 9, 13, 0)
    assert rows["101000000001"]["status"] == "closed" and rows["101000000004"]["status"] == "open"


def test_missing_queue_is_not_dispatched(tiny):
    result, rows, *_ = tiny
    for cid in ("101000000004", "101000000005"):
        r = rows[cid]
        assert r["disposition"] == "not_dispatched"
        assert r["unit"] is None and r["unit_level"] is None and r["dispatched_at"] is None
        assert r["deadline_at"] is None
    r = rows["101000000001"]
    assert r["disposition"] == "dispatched" and r["unit_level"] == "department"
    assert r["dispatched_at"] == r["received_at"] and r["unit"] == "info03_mobile-other-requests"
    assert result.counts["not_dispatched"] == 2


def test_source_to_channel(tiny):
    result, rows, *_ = tiny
    got = {cid: rows[cid]["channel"] for cid in rows}
    assert got == {
        "101000000001": "phone", "101000000002": "app", "101000000003": "web", "101000000004": "other",
        "101000000005": "other", "101000000006": "app", "101000000007": "other", "101000000008": "other",
    }
    assert result.counts["channel_unmapped"] == 1


def test_codes_and_nulls(tiny):
    result, rows, *_ = tiny
    r = rows["101000000001"]
    assert r["category"] == "heat-excessive-insufficient" and r["district"] == "back-bay"
    assert r["request_type"] == "other" and r["street"] is None
    assert rows["101000000002"]["district"] is None and result.counts["district_missing"] == 1
    assert rows["101000000003"]["district"] == "south-boston-south-boston-waterfront"
    for rec in rows.values():
        for name in ("answered_at", "objections", "objection_upheld", "first_contact_at", "callback_at",
                     "callback_valid", "contacted", "resolved", "satisfaction", "excluded",
                     "exclusion_reason", "proactive", "topic", "street"):
            assert rec[name] is None, name


def test_free_text_never_in_output(tiny):
    _, rows, out, prof, _ = tiny
    assert list(pq.read_schema(out).names) == arrow_schema().names
    for rec in rows.values():
        for v in rec.values():
            assert not (isinstance(v, str) and (SECRET in v or "1381234" in v or "42.35" in v))
    text = prof.read_text(encoding="utf-8")
    assert SECRET not in text and "13812345678" not in text


def test_profile_loads_with_escaped_names(tiny):
    result, _, _, prof, _ = tiny
    p = load_profile(prof)
    assert p.timezone == "America/New_York" and p.language == "en"
    names = {u.id: u.name for u in p.units if u.level == "department"}
    assert set(names.values()) == {QUOTED_QUEUE, BACKSLASH_QUEUE, ODD_QUEUE}
    assert {u.name for u in p.units if u.level == "district"} == {
        "Back Bay", "South Boston / South Boston Waterfront", "Dorchester", "Roxbury"}
    assert all(c.handler == "district" for c in p.categories)
    raw = p.raw
    assert raw["time_limits"]["illustrative"] and raw["scoring"]["illustrative"] and raw["ranking"]["illustrative"]
    assert (result.units, result.districts, result.categories) == (3, 4, 3)


def test_tiny_file_validates(tiny):
    _, _, out, prof, _ = tiny
    report = validate([out], profile=prof)
    assert report.errors == 0
    assert {(n.code, n.count) for n in report.notices} == {("closed-without-closed-at", 1)}


def test_gzip_gives_the_same_records(tmp_path: Path, tiny):
    _, rows, *_ = tiny
    src = write_csv(tmp_path / "b.csv.gz")
    import_boston311(src, tmp_path / "gz.parquet")
    assert {r["case_id"]: r for r in pq.read_table(tmp_path / "gz.parquet").to_pylist()} == rows


def test_unreadable_inputs(tmp_path: Path):
    with pytest.raises(InputError, match="no such file"):
        import_boston311(tmp_path / "nope.csv", tmp_path / "o.parquet")
    bad = write_csv(tmp_path / "other.csv", rows=[], columns=["CASE_ENQUIRY_ID", "OPEN_DT", "TYPE"])
    with pytest.raises(InputError, match="missing column"):
        import_boston311(bad, tmp_path / "o.parquet")
    broken = tmp_path / "broken.csv.gz"
    broken.write_bytes(b"\x1f\x8b" + b"not really gzip" * 10)
    with pytest.raises(InputError):
        import_boston311(broken, tmp_path / "o.parquet")
    with pytest.raises(OutputError, match="does not exist"):
        import_boston311(write_csv(tmp_path / "ok.csv"), tmp_path / "no" / "o.parquet")
    assert not list(tmp_path.glob("*.parquet")) and not list(tmp_path.glob(".*.tmp"))


def test_slugs_and_clashes():
    assert slug("PWDx_District 1C: Downtown") == "pwdx_district-1c-downtown"
    codes = assign_codes(["A B", "A/B", "***", "x" * 100], set())
    assert codes["A B"] == "a-b" and codes["A/B"].startswith("a-b-") and codes["A/B"] != "a-b"
    pattern = re.compile(r"^[A-Za-z0-9][A-Za-z0-9._-]*$")
    assert all(pattern.match(c) and len(c) <= 64 for c in codes.values())
    assert len(set(codes.values())) == 4
    # the input order does not matter
    assert assign_codes(["A/B", "A B"], set()) == {k: codes[k] for k in ("A/B", "A B")}


# ---------------------------------------------------------------- CLI

def test_cli_ok_and_counts(tmp_path: Path):
    src = write_csv(tmp_path / "b.csv")
    out, prof = tmp_path / "c.parquet", tmp_path / "b.toml"
    result = runner.invoke(app, ["import", "boston311", str(src), "--output", str(out), "--profile-out", str(prof)])
    assert result.exit_code == 0, result.stderr
    assert result.stdout == ""
    assert "8 of 10 rows written" in result.stderr and "1 closed before opening" in result.stderr
    assert "3 units, 4 districts, 3 categories" in result.stderr
    assert pq.read_metadata(out).num_rows == 8 and load_profile(prof).id == "boston"


@pytest.mark.parametrize("kind", ["missing", "not-boston"])
def test_cli_exit_3(tmp_path: Path, kind: str):
    src = tmp_path / "nope.csv"
    if kind == "not-boston":
        write_csv(src, rows=[], columns=["case_id", "received_at"])
    result = runner.invoke(app, ["import", "boston311", str(src), "-o", str(tmp_path / "c.parquet")])
    assert result.exit_code == 3
    lines = result.stderr.strip().splitlines()
    assert len(lines) == 1 and lines[0].startswith("jiesu: error:")
    assert not (tmp_path / "c.parquet").exists()


# ---------------------------------------------------------------- the real 2015 export, end to end

@pytest.fixture(scope="module")
def real(tmp_path_factory: pytest.TempPathFactory):
    if not REAL.is_file():
        pytest.skip(f"real Boston data not found at {REAL}")
    d = tmp_path_factory.mktemp("boston311")
    out, prof = d / "cases.parquet", d / "boston.toml"
    return import_boston311(REAL, out, prof), out, prof


def test_real_import_counts(real):
    result, out, _ = real
    assert result.rows_read == 121_145
    assert result.rows_written == 121_145 and result.dropped_total == 0
    assert pq.read_metadata(out).num_rows == 121_145
    assert result.counts["closed_before_open"] == 197
    assert result.counts["deadline_from_default"] == 26_991
    assert result.counts["not_dispatched"] == 1  # the one "No Queue Assigned To User" case
    assert result.times["OPEN_DT"] == {"nonexistent": 0, "ambiguous": 1, "unparseable": 0}
    assert result.channels == {"phone": 62_285, "web": 12_305, "app": 18_838 + 12_783, "wechat": 0, "email": 0,
                               "sms": 0, "other": 14_675 + 198 + 61}
    assert (result.units, result.districts, result.categories) == (149, 23, 158)


def test_real_validates(real):
    _, out, prof = real
    report = validate([out], profile=prof)
    assert report.rows == 121_145
    assert report.errors == 0
    # the only notice is the documented choice: closing times before opening are left empty
    assert [(n.code, n.count) for n in report.notices] == [("closed-without-closed-at", 197)]


def test_real_scores_are_empty_not_zero(real):
    from jiesu.scoring import MEASURES, aggregate, score, score_rows

    _, out, prof = real
    p = load_profile(prof)
    assert score([out], profile=p, by="unit") == []  # no callback, so no group has a callback month
    agg = aggregate([out], profile=p, by="unit")  # the cases do reach the scorer: dispatched volume by month
    assert sum(int(arr[:, MEASURES.index("requests")].sum()) for arr in agg.counts.values()) == 121_144
    assert score_rows(agg, p) == []
