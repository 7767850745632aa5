"""Write the small fixtures under fixtures/valid and fixtures/invalid (deterministic).

Run from the repository root: python tools/make_fixtures.py
valid/: the same 60 realistic cases as Parquet, CSV, NDJSON and JSON.
invalid/: one NDJSON file per data error code, each breaking the valid cases in one way, plus
a GB18030 CSV with street names where codes belong, and files that cannot be read at all (exit 3).
"""

from __future__ import annotations

import csv
import json
from datetime import timedelta, timezone
from pathlib import Path

import pyarrow as pa
import pyarrow.parquet as pq

from jiesu.records import json_records
from jiesu.synthetic import generate

ROOT = Path(__file__).resolve().parents[1] / "fixtures"
BEIJING = timezone(timedelta(hours=8))


def records() -> list[dict]:
    table = generate(60, seed=12345, start="2024-03-01", days=30)
    seconds = pa.timestamp("s", tz="UTC")  # whole seconds in Beijing time, as a city's export looks
    table = pa.table({n: (c.cast(seconds, safe=False) if pa.types.is_timestamp(c.type) else c)
                      for n, c in zip(table.column_names, table.columns)})
    return json_records(table, BEIJING)


def write_ndjson(path: Path, recs: list) -> None:
    path.write_text("".join(json.dumps(r, ensure_ascii=False) + "\n" for r in recs), encoding="utf-8")


def write_csv(path: Path, recs: list[dict], encoding: str = "utf-8") -> None:
    fields = list(dict.fromkeys(k for r in recs for k in r))
    with open(path, "w", newline="", encoding=encoding) as f:
        w = csv.DictWriter(f, fieldnames=fields)
        w.writeheader()
        for r in recs:
            w.writerow({k: ("true" if v is True else "false" if v is False else v) for k, v in r.items()})


def first(recs: list[dict], pred) -> dict:
    return next(r for r in recs if pred(r))


def mutations(base: list[dict]) -> dict[str, list]:
    def copy() -> list[dict]:
        return json.loads(json.dumps(base))

    out: dict[str, list] = {}
    dispatched = lambda r: r.get("disposition") == "dispatched"

    r = copy(); del r[0]["received_at"]; out["missing-required"] = r
    r = copy(); r[1]["objections"] = "two"; r[2]["contacted"] = "yes"; out["wrong-type"] = r
    r = copy(); r[3]["received_at"] = "2024-03-05 08:00:00"; r[4]["answered_at"] = "2024-02-30T08:00:00+08:00"; out["invalid-date-time"] = r
    r = copy(); r[5]["channel"] = "fax"; out["not-in-enum"] = r
    r = copy(); r[6]["case_id"] = "BJ 0001"; out["pattern-mismatch"] = r
    r = copy(); r[7]["topic"] = "T" * 65; out["bad-length"] = r
    r = copy(); first(r, dispatched)["objections"] = -1; out["out-of-range"] = r
    r = copy(); r[8]["requester_phone"] = "13812345678"; out["unknown-field"] = r
    r = copy(); del first(r, dispatched)["unit"]; out["conditional-required"] = r
    r = copy(); r[9] = ["not", "an", "object"]; out["not-an-object"] = r
    r = copy(); r[10]["case_id"] = r[11]["case_id"]; out["duplicate-case-id"] = r
    r = copy(); x = first(r, dispatched); x["dispatched_at"] = "2000-01-01T00:00:00+08:00"; out["time-order"] = r
    r = copy(); x = first(r, lambda x: "callback_at" in x); x["callback_at"] = "9999-12-31T23:59:59-14:00"; out["date-time-out-of-range"] = r
    r = copy(); first(r, dispatched)["unit"] = "NO-SUCH-UNIT"; out["unknown-unit"] = r
    r = copy(); r[12]["category"] = "NO-SUCH-CAT"; out["unknown-category"] = r
    r = copy(); first(r, lambda x: "district" in x)["district"] = "999999"; out["unknown-district"] = r
    r = copy(); first(r, lambda x: "street" in x)["street"] = "999999999"; out["unknown-street"] = r
    r = copy(); x = first(r, lambda x: x.get("callback_valid") is True); x["callback_valid"] = False; out["answer-without-valid-callback"] = r
    r = copy(); r[13]["topic"] = "call-13812345678"; out["personal-data"] = r
    r = copy()
    x = first(r, lambda x: x.get("street", "").startswith("110105"))
    x["district"] = "110101"; out["street-outside-district"] = r
    r = copy(); x = first(r, lambda x: x.get("unit_level") == "street"); x["unit_level"] = "department"; out["unit-level-mismatch"] = r
    r = copy(); x = first(r, lambda x: x.get("status") == "closed"); del x["closed_at"]; out["closed-without-closed-at"] = r
    r = copy(); x = first(r, lambda x: "callback_at" in x and "deadline_at" in x); x["callback_at"] = x["dispatched_at"]; out["callback-before-deadline"] = r
    r = copy(); x = first(r, lambda x: x.get("callback_valid") is True)
    for k in ("contacted", "resolved", "satisfaction"):
        x.pop(k, None)
    out["valid-callback-without-answers"] = r
    out["time-order-pairs"] = time_order_pairs(copy())
    return out


def time_order_pairs(r: list[dict]) -> list[dict]:
    """Six complete dispatched cases, each breaking exactly one (later, earlier) pair of the
    time-order check by moving the later field one hour before the earlier one."""
    from datetime import datetime

    complete = [x for x in r if all(k in x for k in (
        "answered_at", "dispatched_at", "closed_at", "first_contact_at", "deadline_at", "callback_at"))]
    pairs = [("answered_at", "received_at"), ("dispatched_at", "received_at"), ("closed_at", "received_at"),
             ("first_contact_at", "dispatched_at"), ("deadline_at", "dispatched_at"),
             ("callback_at", "dispatched_at")]
    for x, (later, earlier) in zip(complete, pairs):
        x[later] = (datetime.fromisoformat(x[earlier]) - timedelta(hours=1)).isoformat()
    return r


def main() -> None:
    base = records()
    valid, invalid = ROOT / "valid", ROOT / "invalid"
    valid.mkdir(parents=True, exist_ok=True)
    invalid.mkdir(parents=True, exist_ok=True)
    write_ndjson(valid / "cases.ndjson", base)
    (valid / "cases.json").write_text(json.dumps(base, ensure_ascii=False, indent=1) + "\n", encoding="utf-8")
    write_csv(valid / "cases.csv", base)
    gb = json.loads(json.dumps(base))
    for r in gb[:3]:
        r["street"] = "东华门街道"  # a name where the code belongs, as office exports often do
    write_csv(invalid / "street-names-gb18030.csv", gb, encoding="gb18030")
    table = generate(60, seed=12345, start="2024-03-01", days=30)
    pq.write_table(table, valid / "cases.parquet", compression="zstd")
    for code, recs in mutations(base).items():
        write_ndjson(invalid / f"{code}.ndjson", recs)
    (invalid / "invalid-json.ndjson").write_text(
        (valid / "cases.ndjson").read_text(encoding="utf-8") + '{"case_id": "BJ9", "received_at": \n', encoding="utf-8")
    # cannot be read at all (exit 3)
    data = (valid / "cases.parquet").read_bytes()
    (invalid / "truncated.parquet").write_bytes(data[: len(data) // 2])
    (invalid / "garbage.csv").write_bytes(bytes(range(256)) * 8)
    wrong = table.set_column(table.column_names.index("received_at"), "received_at",
                             pa.array(range(len(table)), pa.int64()))
    pq.write_table(wrong, invalid / "wrong-column-type.parquet")
    naive = table.set_column(table.column_names.index("received_at"), "received_at",
                             table.column("received_at").cast(pa.timestamp("us")))
    pq.write_table(naive, invalid / "naive-timestamp.parquet")
    print(f"wrote fixtures under {ROOT}")


if __name__ == "__main__":
    main()
