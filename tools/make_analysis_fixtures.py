"""Write the hand-worked governance-analysis fixtures (fixtures/analysis/cases.csv and warn.csv).

Run from the repository root: python tools/make_analysis_fixtures.py
Every row is listed here in a compact form; fixtures/analysis/README.md works the numbers out by hand.
"""

from __future__ import annotations

import csv
from datetime import datetime, timedelta
from pathlib import Path

OUT = Path(__file__).resolve().parents[1] / "fixtures" / "analysis"
FIELDS = ["case_id", "received_at", "channel", "request_type", "category", "district", "street", "disposition",
          "dispatched_at", "unit", "unit_level", "deadline_at", "closed_at", "status", "callback_at", "callback_valid",
          "contacted", "resolved", "satisfaction", "excluded", "exclusion_reason", "objections",
          "objection_upheld", "topic"]
DISTRICT = {"S11": "D1", "S12": "D1", "S13": "D1", "S21": "D2", "S22": "D2", "S23": "D2"}
LEVEL = {"D1": "district", "D2": "district", "M1": "department"}

# id, month, category, street, unit, answers (resolved, satisfaction) or a flag, extras
# answers: "yes" = contacted, resolved, satisfied; "basic" = contacted, resolved, basically satisfied;
# "no" = contacted, not resolved, dissatisfied; "invalid" = callback not valid; "answered" = not dispatched
CASES = [
    # 2023-03: the year before March 2024 (P1's year-ago volume)
    *[(f"Y0{i}", "2023-03", "NOISE", "S11", "S11", "yes", {}) for i in range(1, 5)],
    # January 2024
    ("A", "2024-01", "NOISE", "S11", "S11", "yes", {}),
    ("B", "2024-01", "NOISE", "S11", "S11", "yes", {}),
    ("C", "2024-01", "NOISE", "S11", "S11", "yes", {}),
    ("D", "2024-01", "NOISE", "S12", "S12", "basic", {}),
    ("F", "2024-01", "PARK", "S11", "S11", "yes", {}),
    ("G", "2024-01", "PARK", "S11", "S11", "yes", {}),
    ("L", "2024-01", "ROAD", "S21", "D2", "yes", {}),
    ("M", "2024-01", "ROAD", "S21", "D2", "no", {}),
    ("P", "2024-01", "WATER", "S22", "M1", "invalid", {}),
    ("Q", "2024-01", "WATER", "S22", None, "answered", {}),
    # February 2024
    ("E", "2024-02", "NOISE", "S11", "S11", "no", {}),
    ("H", "2024-02", "PARK", "S21", "S21", "yes", {"topic": "P2", "objections": 1, "objection_upheld": "false"}),
    ("I", "2024-02", "PARK", "S21", "S21", "yes", {"topic": "P2"}),
    ("J", "2024-02", "PARK", "S21", "S21", "yes", {"topic": "P2"}),
    ("K", "2024-02", "PARK", "S22", "S22", "yes", {"excluded": "true", "exclusion_reason": "duplicate"}),
    ("N", "2024-02", "ROAD", "S12", "D1", "yes", {}),
    ("O", "2024-02", "ROAD", "S12", "D1", "no", {}),
    ("V", "2024-02", "ROAD", "S13", "D1", "yes", {"objections": 2, "objection_upheld": "true", "excluded": "true",
                                                 "exclusion_reason": "objection_upheld"}),
    # March 2024
    ("R", "2024-03", "NOISE", "S11", "S11", "yes", {}),
    ("S", "2024-03", "NOISE", "S11", "S11", "yes", {}),
    ("T", "2024-03", "PARK", "S21", "S21", "yes", {}),
    ("U", "2024-03", "ROAD", "S21", "D2", "no", {}),
]

# warn.csv: requests per (month, category, street, unit); all dispatched, callbacks not needed
WARN_SERIES = {
    ("NOISE", "S11", "S11"): [10, 12, 8, 11, 9, 10, 30],
    ("PARK", "S21", "S21"): [0, 0, 0, 0, 0, 0, 5],
    ("ROAD", "S22", "D2"): [0, 0, 0, 0, 0, 0, 4],
    ("WATER", "S13", "M1"): [20, 20, 20, 20, 20, 20, 29],
}
WARN_MONTHS = ["2023-07", "2023-08", "2023-09", "2023-10", "2023-11", "2023-12", "2024-01"]


def z(t: datetime) -> str:
    return t.strftime("%Y-%m-%dT%H:%M:%SZ")


def row(case_id: str, month: str, k: int, category: str, street: str, unit: str | None, answers: str,
        extra: dict) -> dict:
    received = datetime.fromisoformat(f"{month}-05T02:00:00") + timedelta(minutes=k)
    out = dict.fromkeys(FIELDS, "")
    out.update(case_id=case_id, received_at=z(received), channel="phone", request_type="help", category=category,
               district=DISTRICT[street], street=street, status="closed")
    if answers == "answered":
        out.update(disposition="answered", closed_at=z(received + timedelta(minutes=10)))
        return out
    dispatched = received + timedelta(hours=1)
    out.update(disposition="dispatched", dispatched_at=z(dispatched), unit=unit,
               unit_level=LEVEL.get(unit, "street"), deadline_at=z(dispatched + timedelta(days=7)),
               closed_at=z(dispatched + timedelta(days=3)),
               callback_at=z(received + timedelta(days=10)), callback_valid="true", excluded="false",
               objections=0)
    if answers == "invalid":
        out["callback_valid"] = "false"
    else:
        out.update(contacted="true", resolved="false" if answers == "no" else "true",
                   satisfaction={"yes": "satisfied", "basic": "basically_satisfied", "no": "dissatisfied"}[answers])
    out.update(extra)
    return out


def write(path: Path, rows: list[dict]) -> None:
    with path.open("w", newline="", encoding="utf-8") as f:
        writer = csv.DictWriter(f, FIELDS, lineterminator="\n")
        writer.writeheader()
        writer.writerows(rows)


def main() -> None:
    write(OUT / "cases.csv", [row(c[0], c[1], k, *c[2:]) for k, c in enumerate(CASES)])
    rows = []
    for (category, street, unit), counts in WARN_SERIES.items():
        for month, n in zip(WARN_MONTHS, counts):
            for i in range(n):
                rows.append(row(f"W-{category}-{month}-{i:02d}", month, i, category, street, unit, "yes", {}))
    write(OUT / "warn.csv", rows)


if __name__ == "__main__":
    main()
