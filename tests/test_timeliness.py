"""Timeliness for data without callbacks: hand-worked counts per unit and month, the as-of rule,
the mergeable hours histogram's stated error bound, ranking on the on-time rate, and the Boston
check against the city's own OnTime_Status."""

from __future__ import annotations

import csv
import json
import math
from pathlib import Path

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc
import pyarrow.csv as pcsv
import pyarrow.parquet as pq
import pytest
from typer.testing import CliRunner

from jiesu.cli.app import app
from jiesu.profile import load_profile, write_profile
from jiesu.timeliness import (
    VERDICTS,
    HoursSketch,
    aggregate_timeliness,
    latest_time,
    missing_columns,
    rank_timeliness,
    timeliness,
    verdicts,
)

ROOT = Path(__file__).resolve().parents[1]
PROFILE = ROOT / "fixtures" / "scoring" / "profile.toml"
runner = CliRunner()
COLS = ["case_id", "received_at", "channel", "request_type", "category", "disposition", "dispatched_at", "unit",
        "unit_level", "deadline_at", "first_contact_at", "closed_at", "status"]
# id, unit, received, deadline, closed, status, first contact (dispatch = received + 1 h where dispatched)
CASES = [
    ("T1", "S11", "2024-02-01T02:00:00Z", "2024-02-08T02:00:00Z", "2024-02-05T02:00:00Z", "closed", "2024-02-01T05:00:00Z"),
    ("T2", "S11", "2024-02-02T02:00:00Z", "2024-02-08T02:00:00Z", "2024-02-10T02:00:00Z", "closed", None),
    ("T3", "S11", "2024-02-03T02:00:00Z", "2024-02-08T02:00:00Z", None, "open", None),
    ("T4", "S11", "2024-02-03T02:00:00Z", "2024-02-08T03:00:00Z", "2024-02-08T03:00:00Z", "closed", None),
    ("T5", "S11", "2024-02-04T02:00:00Z", None, None, "open", None),  # no deadline
    ("T6", "S11", "2024-02-04T03:00:00Z", "2024-02-08T02:00:00Z", None, "closed", None),  # closed, no time
    ("T7", None, "2024-02-04T04:00:00Z", None, "2024-02-04T05:00:00Z", "closed", None),  # answered
    ("T8", "S12", "2024-02-05T02:00:00Z", "2024-03-20T02:00:00Z", None, "in_progress", None),
    ("T9", "S11", "2024-03-01T02:00:00Z", "2024-03-05T02:00:00Z", "2024-03-04T02:00:00Z", "closed", None),
    ("T10", "S11", "2024-03-02T02:00:00Z", "2024-03-06T02:00:00Z", "2024-03-15T02:00:00Z", "closed", None),
    ("T11", "S11", "2024-03-03T02:00:00Z", "2024-03-07T02:00:00Z", "2024-03-05T02:00:00Z", "closed", None),
    ("T12", "S12", "2024-02-29T17:00:00Z", "2024-03-10T02:00:00Z", "2024-03-09T02:00:00Z", "closed", None),  # March in Beijing
    ("T13", "S12", "2024-03-10T02:00:00Z", "2024-03-12T02:00:00Z", None, "open", None),
]


def hours(a: str, b: str) -> float:
    from datetime import datetime

    return (datetime.fromisoformat(b) - datetime.fromisoformat(a)).total_seconds() / 3600


@pytest.fixture(scope="module")
def cases(tmp_path_factory: pytest.TempPathFactory) -> Path:
    path = tmp_path_factory.mktemp("timeliness") / "cases.csv"
    with open(path, "w", newline="", encoding="utf-8") as fh:
        w = csv.writer(fh)
        w.writerow(COLS)
        for cid, unit, rec, dl, cl, st, fc in CASES:
            disp = "dispatched" if unit else "answered"
            dispatched = "" if not unit else rec[:11] + "03:00:00Z" if rec.endswith("02:00:00Z") else rec
            w.writerow([cid, rec, "phone", "help", "GEN", disp, dispatched, unit or "", "street" if unit else "",
                        dl or "", fc or "", cl or "", st])
    return path


def by_key(rows: list[dict]) -> dict:
    return {(r["month"], r["unit"]): r for r in rows}


def test_hand_worked_counts(cases):
    rows = by_key(timeliness([cases], profile=PROFILE, by="unit"))  # as of the latest time: T10's closing
    feb = rows[("2024-02", "S11")]
    assert {k: feb[k] for k in ("cases", "due", "closed_on_time", "closed_late", "open_past_deadline", "open_not_due")} == {
        "cases": 6, "due": 5, "closed_on_time": 2, "closed_late": 1, "open_past_deadline": 1, "open_not_due": 0}
    assert feb["on_time_rate"] == 0.5  # 2 / (2 + 1 + 1); T6 closed without a time is not judged
    close = sorted([hours(CASES[0][2], CASES[0][4]), hours(CASES[1][2], CASES[1][4]), hours(CASES[3][2], CASES[3][4])])
    assert close == [96.0, 121.0, 192.0]
    assert abs(feb["median_hours_to_close"] - 121) <= 121 * HoursSketch.ALPHA  # nearest rank: the 2nd of 3
    assert abs(feb["p90_hours_to_close"] - 192) <= 192 * HoursSketch.ALPHA  # the 3rd of 3
    assert abs(feb["median_hours_to_first_contact"] - 2) <= 2 * HoursSketch.ALPHA
    s12 = rows[("2024-02", "S12")]
    assert (s12["due"], s12["open_not_due"], s12["on_time_rate"], s12["median_hours_to_close"]) == (1, 1, None, None)
    mar = rows[("2024-03", "S11")]
    assert (mar["closed_on_time"], mar["closed_late"], mar["on_time_rate"]) == (2, 1, 2 / 3)
    assert rows[("2024-03", "S12")]["cases"] == 2  # T12 belongs to March in Beijing time
    assert ("2024-02", None) not in rows  # answered cases are no unit's


def test_as_of_judges_open_cases_and_leaves_later_cases_out(cases):
    rows = by_key(timeliness([cases], profile=PROFILE, by="unit", as_of="2024-03-05"))
    mar = rows[("2024-03", "S11")]
    # T10 closed after the as-of time: open then, and not yet due (deadline 03-06)
    assert (mar["closed_on_time"], mar["closed_late"], mar["open_not_due"], mar["on_time_rate"]) == (2, 0, 1, 1.0)
    assert rows[("2024-03", "S12")]["cases"] == 1  # T13 was received after the as-of time
    assert latest_time([cases]) == 1710468000000000  # 2024-03-15T02:00Z, T10's closing


def test_verdicts_rule():
    us = np.array([10, 10, 10, 10, 10, 10], np.int64)
    deadline_ok = np.array([1, 1, 1, 1, 1, 0], bool)
    closed = np.array([10, 11, 0, 0, 0, 5], np.int64)
    closed_ok = np.array([1, 1, 0, 0, 0, 1], bool)
    ended = np.array([1, 1, 0, 1, 0, 1], bool)
    got = verdicts(us, deadline_ok, closed, closed_ok, ended, as_of=np.int64(12))
    assert [VERDICTS[v] for v in got] == ["on_time", "late", "open_past_deadline", "not_judged", "open_past_deadline",
                                         "no_deadline"]
    later = verdicts(us, deadline_ok, closed, closed_ok, ended, as_of=np.int64(9))
    assert [VERDICTS[v] for v in later][:3] == ["open_not_due", "open_not_due", "open_not_due"]


def test_sketch_error_bound_and_merge():
    rng = np.random.default_rng(7)
    values = np.concatenate([rng.lognormal(3, 2, 20_000), np.zeros(50), rng.uniform(0, 1 / 3600, 30),
                             rng.uniform(1000, 90_000, 500)])
    months = rng.integers(100, 103, values.size)
    keys = rng.integers(0, 4, values.size)
    whole = HoursSketch()
    whole.add(months, keys, values)
    parts = [HoursSketch() for _ in range(3)]
    for i, part in enumerate(parts):
        sel = slice(i, None, 3)
        part.add(months[sel], keys[sel], values[sel])
    merged = HoursSketch()
    for part in parts:
        merged.merge(part)
    assert merged.to_list() == whole.to_list()
    qs = (0.01, 0.1, 0.5, 0.9, 0.99, 1.0)
    for m in range(100, 103):
        for k in range(4):
            exact = np.sort(values[(months == m) & (keys == k)])
            n, got = whole.quantiles(m, k, qs)
            assert n == exact.size
            for q, g in zip(qs, got):
                x = exact[max(1, math.ceil(q * n)) - 1]
                if x < 1 / 3600:
                    assert g == 0
                else:
                    assert abs(g - x) <= HoursSketch.ALPHA * x + 1e-3, (q, g, x)  # + the 3-decimal rounding


def test_partial_aggregates_merge_to_the_whole(cases, tmp_path: Path):
    from jiesu.io.sources import as_sources

    table = pcsv.read_csv(cases)
    a, b = tmp_path / "a.csv", tmp_path / "b.csv"
    pcsv.write_csv(table.slice(0, 6), a)
    pcsv.write_csv(table.slice(6), b)
    as_of = latest_time([cases])
    whole = aggregate_timeliness([cases], profile=PROFILE, as_of=as_of)
    merged = aggregate_timeliness(as_sources([b]), profile=PROFILE, as_of=as_of)
    merged.merge(aggregate_timeliness(as_sources([a]), profile=PROFILE, as_of=as_of))
    assert whole.months() == merged.months() and sorted(whole.keys, key=str) == sorted(merged.keys, key=str)
    for m in whole.months():
        for key in whole.keys:
            assert merged.get(m, key) == whole.get(m, key)
            for sketch in ("close_hours", "contact_hours"):
                mine = getattr(merged, sketch).quantiles(m, merged.keys.index(key), (0.5, 0.9))
                assert mine == getattr(whole, sketch).quantiles(m, whole.keys.index(key), (0.5, 0.9))
    with pytest.raises(ValueError, match="different as-of"):
        merged.merge(aggregate_timeliness([a], profile=PROFILE, as_of=as_of + 1))


def timeliness_profile(tmp_path: Path) -> Path:
    import tomllib

    data = tomllib.loads(PROFILE.read_text(encoding="utf-8"))
    data["scoring"]["metrics"] = "timeliness"
    path = tmp_path / "timely.toml"
    path.write_text(write_profile(data), encoding="utf-8")
    return path


def test_rank_on_the_on_time_rate(cases, tmp_path: Path):
    from jiesu.ranking import rank

    prof = timeliness_profile(tmp_path)
    rows = {r["unit"]: r for r in rank([cases], profile=prof, month="2024-03", level="street")}
    s11, s12 = rows["S11"], rows["S12"]
    assert (s11["rank"], s11["on_time_rate"], s11["previous_on_time_rate"]) == (1, 2 / 3, 0.5)
    assert s11["change"] == pytest.approx(100 * (2 / 3 - 0.5))
    assert s11["classes"] == ["improving", "governance"]  # one ranked unit: no advanced / rectification
    assert (s12["rank"], s12["due"], s12["closed_on_time"]) == (None, 2, 1)  # 1 judged < min_scored 3
    assert rank_timeliness([cases], profile=PROFILE, month="2024-03", level="street")[0]["unit"] == "S11"


def test_cli_score_metrics_and_rank(cases, tmp_path: Path):
    result = runner.invoke(app, ["score", str(cases), "-p", str(PROFILE), "--metrics", "timeliness", "-f", "json"])
    assert result.exit_code == 0, result.stderr
    rows = by_key(json.loads(result.stdout))
    assert rows[("2024-02", "S11")]["on_time_rate"] == 0.5 and result.stderr == ""
    prof = timeliness_profile(tmp_path)  # the profile's own choice, no option needed
    again = runner.invoke(app, ["score", str(cases), "-p", str(prof), "-f", "json"])
    assert json.loads(again.stdout) == json.loads(result.stdout)
    ranked = runner.invoke(app, ["rank", str(cases), "-p", str(prof), "--month", "2024-03", "-f", "csv"])
    assert ranked.exit_code == 0 and ranked.stdout.splitlines()[0].startswith("rank,unit,name,level,due,closed_on_time")
    table = runner.invoke(app, ["score", str(cases), "-p", str(PROFILE), "--metrics", "timeliness", "--lang", "zh"])
    assert "按时办结率" in table.stdout
    bad = runner.invoke(app, ["score", str(cases), "-p", str(PROFILE), "--metrics", "speed"])
    assert bad.exit_code == 2


def test_missing_columns_named():
    rows = [{"on_time_rate": None, "median_hours_to_close": 3.0, "p90_hours_to_close": 4.0,
             "median_hours_to_first_contact": None, "p90_hours_to_first_contact": None}]
    assert missing_columns(rows) == {"on_time_rate": "deadline_at (and closed_at)",
                                     "median_hours_to_first_contact": "first_contact_at and dispatched_at",
                                     "p90_hours_to_first_contact": "first_contact_at and dispatched_at"}


# ---------------------------------------------------------------- Boston, against the city's own verdicts

def test_boston_on_time_verdicts_agree_with_ontime_status(boston):
    """Each closed case with a target date: our verdict (closed_at <= deadline_at, read from the
    imported records) against Boston's OnTime_Status (read straight from the CSV)."""
    from tests.conftest import BOSTON

    _, out, _ = boston
    cols = ["CASE_ENQUIRY_ID", "OnTime_Status", "TARGET_DT", "CASE_STATUS"]
    src = pcsv.read_csv(BOSTON, convert_options=pcsv.ConvertOptions(
        include_columns=cols, column_types=dict.fromkeys(cols, pa.string()), strings_can_be_null=True))
    t = pq.read_table(out, columns=["case_id", "deadline_at", "closed_at", "status"])

    def us(name: str) -> tuple[np.ndarray, np.ndarray]:
        col = t[name].combine_chunks()
        return col.cast(pa.int64()).fill_null(0).to_numpy(), np.asarray(col.is_valid())

    ended = np.asarray(pc.is_in(t["status"].cast(pa.string()), pa.array(["closed", "cancelled"])))
    verdict = verdicts(*us("deadline_at"), *us("closed_at"), ended, latest_time([out]))
    joined = src.join(pa.table({"case_id": t["case_id"], "v": pa.array(verdict)}), "CASE_ENQUIRY_ID", "case_id")
    closed = joined.filter(pc.and_(pc.equal(joined["CASE_STATUS"], "Closed"), pc.is_valid(joined["TARGET_DT"])))
    assert closed.num_rows == 79_208
    pairs: dict[tuple, int] = {}
    for city, ours in zip(closed["OnTime_Status"].to_pylist(), closed["v"].to_pylist()):
        pairs[(city, VERDICTS[ours])] = pairs.get((city, VERDICTS[ours]), 0) + 1
    assert pairs == {
        ("ONTIME", "on_time"): 59_997, ("OVERDUE", "late"): 19_072,
        (None, "late"): 82,  # Boston gave these no verdict at all
        ("ONTIME", "not_judged"): 57,  # closed seconds before they were opened: the import empties closed_at
    }
    agree = pairs[("ONTIME", "on_time")] + pairs[("OVERDUE", "late")]
    assert agree / closed.num_rows >= 0.995  # 99.82 %


def test_boston_timeliness_per_department_and_month(boston):
    _, out, prof = boston
    rows = timeliness([out], profile=prof, by="unit")
    assert {r["month"] for r in rows} == {f"2015-{m:02d}" for m in range(1, 13)}
    assert sum(r["cases"] for r in rows) == 121_144  # every dispatched case, once
    assert sum(r["closed_on_time"] for r in rows) == 76_558  # 59,997 of them with a TARGET_DT, the rest by 168 h
    assert missing_columns(rows) == {"median_hours_to_first_contact": "first_contact_at and dispatched_at",
                                     "p90_hours_to_first_contact": "first_contact_at and dispatched_at"}
    result = runner.invoke(app, ["score", str(out), "-p", str(prof), "--month", "2015-03", "-f", "json"])
    assert result.exit_code == 0 and json.loads(result.stdout)[0]["month"] == "2015-03"
    assert ("median_hours_to_first_contact is empty: it needs first_contact_at and dispatched_at, which the data "
            "does not give") in result.stderr
    assert load_profile(prof).scoring.metrics == "timeliness"
