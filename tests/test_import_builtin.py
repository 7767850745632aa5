"""The built-in mappings end to end on their fixtures (fixtures/import/, made by
tools/make_import_fixtures.py): every row accounted for, values checked by hand, the inferred
profile valid, the records valid against it, and nothing from a never-read column anywhere."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from pathlib import Path

import pyarrow.parquet as pq
import pytest

from jiesu.importers.mapping import load_mapping
from jiesu.importers.run import import_cases
from jiesu.profile import check_profile, load_profile
from jiesu.validation import validate

FIX = Path(__file__).resolve().parents[1] / "fixtures" / "import"
SECRET, FAKE = "SECRET", "138-0000-0000"


def utc(*a: int) -> datetime:
    return datetime(*a, tzinfo=UTC)


@pytest.fixture(scope="module")
def imported(tmp_path_factory: pytest.TempPathFactory):
    """Each fixture imported once: name -> (report, records by case_id, cases path, profile path)."""
    d = tmp_path_factory.mktemp("builtin")
    out = {}
    for name, mapping in (("nyc-311.csv", "nyc-311"), ("nyc-311-iso.csv", "nyc-311"), ("open311.json", "open311"),
                          ("cn-12345-gb18030.csv", "cn-12345"), ("cn-12345.xlsx", "cn-12345")):
        cases, prof = d / f"{name}.parquet", d / f"{name}.toml"
        report = import_cases([FIX / name], mapping=mapping, output=cases, profile_output=prof)
        rows = {r["case_id"]: r for r in pq.read_table(cases).to_pylist()}
        out[name] = (report, rows, cases, prof)
    return out


@pytest.mark.parametrize(("name", "read", "written", "rejections"), [
    ("nyc-311.csv", 14, 12, {("case_id", "missing"): 1, ("received_at", "unreadable-time"): 1}),
    ("open311.json", 8, 6, {("received_at", "unreadable-time"): 1, ("(row)", "not-an-object"): 1}),
    ("cn-12345-gb18030.csv", 10, 8, {("received_at", "unreadable-time"): 1, ("deadline_at", "needed-when-dispatched"): 1}),
    ("cn-12345.xlsx", 10, 8, {("received_at", "unreadable-time"): 1, ("deadline_at", "needed-when-dispatched"): 1}),
])
def test_every_row_accounted_for(imported, name, read, written, rejections):
    report = imported[name][0]
    assert (report.rows_read, report.rows_written, report.rows_rejected) == (read, written, read - written)
    assert {k: r.count for k, r in report.rejections.items()} == rejections


@pytest.mark.parametrize("name", ["nyc-311.csv", "open311.json", "cn-12345-gb18030.csv"])
def test_inferred_profile_is_valid_and_the_records_validate(imported, name):
    _, _, cases, prof = imported[name]
    assert check_profile(prof) == []
    report = validate([cases], profile=prof)
    assert report.errors == 0, [(n.code, n.field, n.count) for n in report.notices]


@pytest.mark.parametrize("name", ["nyc-311.csv", "open311.json", "cn-12345-gb18030.csv", "cn-12345.xlsx"])
def test_never_read_columns_reach_no_output(imported, name):
    report, rows, _, prof = imported[name]
    text = str(report.to_dict()) + str(list(rows.values())) + prof.read_text(encoding="utf-8")
    assert SECRET not in text and "0000-0000" not in text and "某某" not in text
    never = load_mapping(report.mapping).never_read
    assert not never & set(load_mapping(report.mapping).columns)


def test_nyc_both_time_layouts_give_the_same_records(imported):
    assert imported["nyc-311.csv"][1] == imported["nyc-311-iso.csv"][1]


def test_nyc_values(imported):
    report, rows, *_ = imported["nyc-311.csv"]
    r = rows["30000001"]
    assert (r["received_at"], r["closed_at"], r["deadline_at"]) == (utc(2015, 1, 5, 13, 15), utc(2015, 1, 5, 16, 45),
                                                                    utc(2015, 1, 5, 21, 15))
    assert (r["unit"], r["unit_level"], r["category"], r["district"], r["street"], r["channel"], r["status"]) == (
        "NYPD", "department", "noise-residential", "brooklyn", "01-brooklyn", "phone", "closed")
    assert rows["30000004"]["received_at"] == utc(2015, 3, 8, 7, 30)  # 02:30 does not exist: +1 h
    assert rows["30000005"]["received_at"] == utc(2015, 11, 1, 5, 30)  # 01:30 twice: the first
    r6 = rows["30000006"]
    assert r6["deadline_at"] == r6["received_at"] + timedelta(hours=168) and r6["status"] == "in_progress"
    assert r6["closed_at"] is None and r6["channel"] == "other"
    assert (rows["30000007"]["district"], rows["30000007"]["street"], rows["30000007"]["status"]) == (None, None, "open")
    assert rows["30000008"]["closed_at"] is None and rows["30000008"]["status"] == "closed"  # closed before created
    assert rows["30000009"]["closed_at"] == utc(2015, 5, 5, 12)  # from Resolution Action Updated Date
    assert rows["30000010"]["status"] == "open" and rows["30000010"]["closed_at"] is None  # unknown status word
    r14 = rows["30000014"]
    assert (r14["disposition"], r14["unit"], r14["dispatched_at"], r14["deadline_at"]) == ("not_dispatched", None, None, None)
    assert dict(report.fields["status"].unknown_words) == {"Unspecified": 1}
    assert dict(report.fields["channel"].unknown_words) == {"Fax": 1}
    f = report.fields["received_at"]
    assert (f.ambiguous_times, f.nonexistent_times) == (1, 1)


def test_open311_values(imported):
    _, rows, *_ = imported["open311.json"]
    r1 = rows["SR15-00000001"]
    assert (r1["received_at"], r1["closed_at"], r1["deadline_at"], r1["status"]) == (
        utc(2015, 6, 1, 14), utc(2015, 6, 3, 16, 30), utc(2015, 6, 8, 14), "closed")
    assert (r1["unit"], r1["category"], r1["dispatched_at"]) == ("streets-and-sanitation", "4fd3b167e750846744000005",
                                                                 r1["received_at"])
    r2 = rows["SR15-00000002"]
    assert r2["deadline_at"] == r2["received_at"] + timedelta(hours=168) and r2["closed_at"] is None
    assert rows["SR15-00000003"]["closed_at"] == utc(2015, 6, 4, 13)  # updated_datetime of a closed request
    r4 = rows["SR15-00000004"]
    assert (r4["disposition"], r4["status"], r4["closed_at"]) == ("not_dispatched", "closed", utc(2015, 6, 4, 14))
    r5 = rows["SR15-00000005"]
    assert (r5["status"], r5["dispatched_at"], r5["first_contact_at"], r5["closed_at"]) == (
        "in_progress", utc(2015, 6, 5, 11), utc(2015, 6, 6, 10), None)
    assert rows["SR15-00000006"]["received_at"] == utc(2015, 6, 6, 10)  # no offset: the mapping's zone (UTC)


def test_cn_12345_xlsx_and_gb18030_csv_give_the_same_records(imported):
    assert imported["cn-12345.xlsx"][1] == imported["cn-12345-gb18030.csv"][1]
    assert imported["cn-12345-gb18030.csv"][0].sources[0]["encoding"] == "gb18030"


def test_cn_12345_values(imported):
    report, rows, _, prof = imported["cn-12345-gb18030.csv"]
    r = rows["GD202403010001"]
    assert (r["received_at"], r["dispatched_at"], r["deadline_at"], r["closed_at"], r["callback_at"]) == (
        utc(2024, 3, 1, 0, 30), utc(2024, 3, 1, 1), utc(2024, 3, 8, 1), utc(2024, 3, 3, 9), utc(2024, 3, 9, 2))
    assert (r["channel"], r["request_type"], r["status"], r["unit_level"], r["callback_valid"], r["contacted"],
            r["resolved"], r["satisfaction"]) == ("phone", "complaint", "closed", "street", True, True, True, "satisfied")
    assert r["unit"] == r["street"] and r["unit"].startswith("x")  # the same name, the same code
    r2 = rows["GD202403010002"]
    assert r2["unit_level"] == "enterprise" and r2["deadline_at"] == r2["dispatched_at"] + timedelta(hours=24)
    r3 = rows["GD202403010003"]
    assert (r3["disposition"], r3["unit"], r3["status"], r3["callback_valid"]) == ("answered", None, "closed", None)
    r5 = rows["GD202403020005"]  # another layout; a bare limit in days; a department; still open
    assert (r5["received_at"], r5["unit_level"], r5["status"]) == (utc(2024, 3, 2, 8, 5), "department", "open")
    assert r5["deadline_at"] == r5["dispatched_at"] + timedelta(days=15)
    assert rows["GD202403040008"]["satisfaction"] is None
    r9 = rows["GD202403040009"]
    assert r9["dispatched_at"] == r9["received_at"] and r9["deadline_at"] == r9["received_at"] + timedelta(days=7)
    assert (rows["GD202403050010"]["channel"], rows["GD202403050010"]["contacted"]) == ("wechat", True)
    assert dict(report.fields["satisfaction"].unknown_words) == {"一般": 1}
    assert dict(report.fields["deadline_at"].unknown_words) == {"15个工作日": 1}
    p = load_profile(prof)
    assert p.language == "zh" and p.scoring.metrics == "rates"  # the export has callbacks
    levels = {u.name: (u.level, p.unit_by_id[u.district].name if u.district else None) for u in p.units}
    assert levels["东华门街道"] == ("street", "东城区") and levels["三里屯街道"] == ("street", "朝阳区")
    assert levels["北京市自来水集团有限责任公司"] == ("enterprise", None)
    assert levels["北京市交通委员会"] == ("department", None) and levels["海淀区"] == ("district", None)
