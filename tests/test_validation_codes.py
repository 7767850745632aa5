"""Every validation code on its fixture, exactly: the notices fired, their fields, counts and rows,
and nothing else. The expectations are worked out by hand from tools/make_fixtures.py, which breaks
the 60 valid cases in one known way per file (rows are 1-based lines of the NDJSON file)."""

from __future__ import annotations

import gzip
import json
import shutil
from pathlib import Path

import pyarrow as pa
import pyarrow.parquet as pq
import pytest

from jiesu.validation import CHECKS, validate

FIX = Path(__file__).resolve().parents[1] / "fixtures"

# fixture -> [(code, field, count, rows of the samples)], in the report's order (errors first, then
# by the code's place in CHECKS, then field). "first dispatched" is row 2, "first with a district or
# a street" row 1, "first closed" row 1, "first street-level unit" row 2, "first valid callback" row 2,
# "first street in 110105" row 8 of fixtures/valid/cases.ndjson.
EXPECTED: dict[str, list[tuple[str, str | None, int, list[int]]]] = {
    "missing-required": [("missing-required", "received_at", 1, [1])],  # r[0] loses received_at
    "wrong-type": [("wrong-type", "contacted", 1, [3]), ("wrong-type", "objections", 1, [2])],
    "invalid-date-time": [("invalid-date-time", "answered_at", 1, [5]), ("invalid-date-time", "received_at", 1, [4])],
    "not-in-enum": [("not-in-enum", "channel", 1, [6])],
    "pattern-mismatch": [("pattern-mismatch", "case_id", 1, [7])],
    "bad-length": [("bad-length", "topic", 1, [8])],
    "out-of-range": [("out-of-range", "objections", 1, [2])],
    # an unknown column is also free text, so a phone number in it is personal data too
    "unknown-field": [("unknown-field", "requester_phone", 1, [9]), ("personal-data", "requester_phone", 1, [9])],
    "conditional-required": [("conditional-required", "unit", 1, [2])],
    "not-an-object": [("not-an-object", None, 1, [10])],
    "invalid-json": [("invalid-json", None, 1, [61])],  # the 60 valid lines, then a broken 61st
    "duplicate-case-id": [("duplicate-case-id", "case_id", 1, [12])],  # r[10] takes r[11]'s id
    "time-order": [("time-order", "dispatched_at", 1, [2])],
    # the first case with a callback (row 2) is called back at 9999-12-31T23:59:59-14:00
    "date-time-out-of-range": [("date-time-out-of-range", "callback_at", 1, [2])],
    "unknown-unit": [("unknown-unit", "unit", 1, [2])],
    "unknown-category": [("unknown-category", "category", 1, [13])],
    "unknown-district": [("unknown-district", "district", 1, [1])],
    "unknown-street": [("unknown-street", "street", 1, [1])],
    "answer-without-valid-callback": [("answer-without-valid-callback", f, 1, [2])
                                      for f in ("contacted", "resolved", "satisfaction")],
    "personal-data": [("personal-data", "topic", 1, [14])],
    "street-outside-district": [("street-outside-district", "street", 1, [8])],
    "unit-level-mismatch": [("unit-level-mismatch", "unit_level", 1, [2])],
    "closed-without-closed-at": [("closed-without-closed-at", "closed_at", 1, [1])],
    "callback-before-deadline": [("callback-before-deadline", "callback_at", 1, [2])],
    "valid-callback-without-answers": [("valid-callback-without-answers", "callback_valid", 1, [2])],
    # six complete dispatched cases (rows 2, 4, 12, 13, 15, 16), each breaking one pair; moving the
    # callback before the dispatch also puts it before the deadline
    "time-order-pairs": [
        ("time-order", "answered_at", 1, [2]), ("time-order", "callback_at", 1, [16]),
        ("time-order", "closed_at", 1, [12]), ("time-order", "deadline_at", 1, [15]),
        ("time-order", "dispatched_at", 1, [4]), ("time-order", "first_contact_at", 1, [13]),
        ("callback-before-deadline", "callback_at", 1, [16]),
    ],
}


def notices(path: Path, **kw) -> list[tuple[str, str | None, int, list[int]]]:
    return [(n.code, n.field, n.count, [s.row for s in n.samples]) for n in validate([path], **kw).notices]


@pytest.mark.parametrize("name", sorted(EXPECTED))
def test_each_fixture_fires_exactly_its_notices(name):
    assert notices(FIX / "invalid" / f"{name}.ndjson") == EXPECTED[name]


def test_every_data_code_has_an_exact_expectation():
    covered = {code for expected in EXPECTED.values() for code, *_ in expected}
    assert covered == set(CHECKS)


def test_time_order_names_both_fields_of_each_pair():
    report = validate([FIX / "invalid" / "time-order-pairs.ndjson"])
    messages = {(n.field, n.message) for n in report.notices if n.code == "time-order"}
    assert messages == {
        ("answered_at", "is before received_at"), ("dispatched_at", "is before received_at"),
        ("closed_at", "is before received_at"), ("first_contact_at", "is before dispatched_at"),
        ("deadline_at", "is before dispatched_at"), ("callback_at", "is before dispatched_at"),
    }


def test_json_in_a_cases_wrapper_reads_like_an_array(tmp_path):
    records = [json.loads(line) for line in (FIX / "invalid" / "not-in-enum.ndjson").read_text("utf-8").splitlines()]
    for key in ("cases", "records"):
        path = tmp_path / f"{key}.json"
        path.write_text(json.dumps({key: records}), encoding="utf-8")
        assert notices(path) == EXPECTED["not-in-enum"]
        assert validate([path]).rows == 60
    (tmp_path / "other.json").write_text(json.dumps({"items": records}), encoding="utf-8")
    from jiesu.errors import InputError

    with pytest.raises(InputError, match="must be an array of case records"):
        validate([tmp_path / "other.json"])


def test_gzipped_csv_validates_like_the_plain_file(tmp_path):
    plain = FIX / "invalid" / "street-names-gb18030.csv"
    packed = tmp_path / "streets.csv.gz"
    with open(plain, "rb") as src, gzip.open(packed, "wb") as dst:
        shutil.copyfileobj(src, dst)
    expected = [("pattern-mismatch", "street", 3, [1, 2, 3]), ("unknown-street", "street", 3, [1, 2, 3])]
    assert notices(plain) == expected
    assert notices(packed) == expected
    assert validate([packed]).files[0].encoding == "gb18030"


def test_large_string_and_dictionary_parquet_columns_validate_alike(tmp_path):
    table = pq.read_table(FIX / "valid" / "cases.parquet")
    big = pa.table({n: (c.cast(pa.large_string()) if pa.types.is_string(c.type) else c)
                    for n, c in zip(table.column_names, table.columns)})
    big = big.set_column(big.column_names.index("channel"), "channel",
                         pa.array(["fax"] + table.column("channel").to_pylist()[1:], pa.large_string()))
    pq.write_table(big, tmp_path / "large.parquet")
    assert [(n.code, n.field, n.count, [s.row for s in n.samples]) for n in validate([tmp_path / "large.parquet"]).notices] \
        == [("not-in-enum", "channel", 1, [1])]
