"""Three-rate scoring: hand-worked fixtures (fixtures/scoring/README.md), months in the city's zone,
mergeable aggregates, and a property test against a plain reference implementation."""

from __future__ import annotations

import dataclasses
from collections import defaultdict
from datetime import UTC, datetime, timedelta
from pathlib import Path
from zoneinfo import ZoneInfo

import numpy as np
import pyarrow as pa
import pyarrow.parquet as pq
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from jiesu.errors import ArgumentError
from jiesu.io.cases import iter_cases
from jiesu.io.sources import discover
from jiesu.months import month_index, months_of, parse_month
from jiesu.profile import load_profile
from jiesu.scoring import (
    MEASURES,
    Aggregate,
    Scorer,
    aggregate,
    score,
    score_rows,
)

FIX = Path(__file__).resolve().parents[1] / "fixtures" / "scoring"
CASES = FIX / "cases.csv"


@pytest.fixture(scope="module")
def city():
    return load_profile(FIX / "profile.toml")


def by_key(rows, key="unit"):
    return {r[key]: r for r in rows}


# ---------------------------------------------------------------- hand-worked fixture

def test_february_by_unit_matches_the_hand_worked_numbers(city):
    rows = by_key(score([CASES], profile=city, by="unit", month="2024-02"))
    assert sorted(rows, key=str) == ["D1", "D2", "M1", "S11", "S12", "S21", "S22"]
    s11 = rows["S11"]
    assert (s11["scored"], s11["contacted"], s11["resolved"], s11["satisfied"], s11["basically_satisfied"]) == (5, 4, 3, 2, 2)
    assert s11["response_rate"] == pytest.approx(0.8)
    assert s11["resolution_rate"] == pytest.approx(0.6)
    assert s11["satisfaction_rate"] == pytest.approx(0.76)
    assert s11["composite"] == pytest.approx(68.4)
    assert rows["S12"]["composite"] == pytest.approx(82.0)
    assert rows["S21"]["scored"] == 10 and rows["S21"]["composite"] == pytest.approx(82.0)
    assert rows["S22"]["scored"] == 2 and rows["S22"]["composite"] == pytest.approx(100.0)
    assert rows["D2"]["composite"] == pytest.approx(0.0)  # a real zero, not "missing"
    # excluded as "unreasonable" is not a removal reason in this profile: still scored
    assert rows["M1"]["scored"] == 3 and rows["M1"]["composite"] == pytest.approx(200 / 3)


def test_month_boundaries_are_in_beijing_time(city):
    jan = by_key(score([CASES], profile=city, month="2024-01"))
    # J01-J03 (J03 at 15:59:59Z = 23:59:59 Beijing); F05 at 16:30Z on Jan 31 is already February
    assert jan["S11"]["scored"] == 3 and jan["S11"]["composite"] == pytest.approx(10.0)
    mar = by_key(score([CASES], profile=city, month="2024-03"))
    assert list(mar) == ["S11"] and mar["S11"]["scored"] == 1  # F06: Feb 29 16:30Z = Mar 1 Beijing
    every = score([CASES], profile=city)
    assert [r["month"] for r in every] == sorted(r["month"] for r in every)
    assert {r["month"] for r in every} == {"2024-01", "2024-02", "2024-03"}


def test_the_same_cases_in_utc_months_would_differ(city):
    utc_city = dataclasses.replace(city, timezone="UTC")
    feb = by_key(score([CASES], profile=utc_city, month="2024-02"))
    # in UTC, F05 falls back into January and F06 stays in February: still 5, but other answers
    s11 = feb["S11"]
    assert (s11["scored"], s11["satisfied"], s11["basically_satisfied"]) == (5, 3, 1)
    assert by_key(score([CASES], profile=utc_city, month="2024-03")) == {}


def test_by_district_groups_by_location_with_unknown_last(city):
    rows = score([CASES], profile=city, by="district", month="2024-02")
    assert [(r["district"], r["scored"]) for r in rows] == [("D1", 15), ("D2", 11), (None, 1)]


def test_timestamp_response_method(city):
    ts = dataclasses.replace(city, scoring=dataclasses.replace(city.scoring, response_method="timestamp"))
    (row,) = score([FIX / "timestamp.csv"], profile=ts)
    assert row["month"] == "2024-03" and row["scored"] == 5
    assert row["contacted"] == 3 and row["response_rate"] == pytest.approx(0.6)
    assert row["composite"] == pytest.approx(96.0)
    # with the callback method, the same file's contacted answers (all false) count
    (plain,) = score([FIX / "timestamp.csv"], profile=city)
    assert plain["response_rate"] == 0.0


def test_absent_answers_give_empty_rates_not_zero(city):
    (row,) = score([FIX / "no_answers.csv"], profile=city)
    assert row["scored"] == 3
    assert row["response_rate"] is None and row["resolution_rate"] is None
    assert row["satisfaction_rate"] is None and row["composite"] is None


def test_no_callback_at_all_scores_nothing(city):
    assert score([FIX / "no_callback.csv"], profile=city) == []


def test_named_weight_set_changes_the_composite(city):
    z = by_key(score([CASES], profile=city.with_weight_set("zhungeer"), month="2024-02"))
    assert z["S11"]["composite"] == pytest.approx(100 * (0.3 * 0.8 + 0.35 * 0.6 + 0.35 * 0.76))


def test_bad_month_and_bad_key_are_usage_errors(city):
    with pytest.raises(ArgumentError):
        parse_month("2024-13")
    with pytest.raises(ArgumentError):
        parse_month("2024-1")
    with pytest.raises(ArgumentError):
        score([CASES], profile=city, by="phone")


# ---------------------------------------------------------------- formats and partitions

def _to_parquet(src: Path, target: Path, row_group_size: int | None = None) -> None:
    tables = list(iter_cases(discover([src]), [f for f in _fields()]))
    table = pa.concat_tables(tables)
    table = table.drop_columns([c for c in table.column_names if table.column(c).null_count == len(table)])
    pq.write_table(table, target, row_group_size=row_group_size)


def _fields() -> list[str]:
    from jiesu.schema import field_names

    return field_names()


def test_parquet_partitions_and_csv_agree(city, tmp_path):
    whole = tmp_path / "whole.parquet"
    _to_parquet(CASES, whole, row_group_size=7)  # many small row groups
    part = tmp_path / "parts" / "x=1"
    part.mkdir(parents=True)
    tables = list(iter_cases(discover([CASES]), _fields()))
    t = pa.concat_tables(tables)
    pq.write_table(t.slice(0, 20), part / "a.parquet")
    pq.write_table(t.slice(20), tmp_path / "parts" / "b.parquet")
    expected = score([CASES], profile=city)
    assert score([whole], profile=city) == expected
    assert score([tmp_path / "parts"], profile=city) == expected


def test_sources_from_discover_are_accepted_as_well_as_paths(city):
    assert score(discover([CASES]), profile=city) == score([str(CASES)], profile=city)


def test_parquet_without_any_scoring_column_scores_nothing(city, tmp_path):
    path = tmp_path / "ids.parquet"
    pq.write_table(pa.table({"case_id": ["A1", "A2"]}), path)
    assert score([path], profile=city) == []


def test_huge_row_groups_are_read_in_slices(city, tmp_path, monkeypatch):
    import jiesu.io.cases

    path = tmp_path / "one-group.parquet"
    _to_parquet(CASES, path)
    expected = score([CASES], profile=city)
    monkeypatch.setattr(jiesu.io.cases, "ROW_GROUP_LIMIT", 5)
    monkeypatch.setattr(jiesu.io.cases, "BATCH_ROWS", 4)
    sizes = [t.num_rows for t in jiesu.io.cases.case_tables(discover([path]), ["unit"])]
    assert max(sizes) == 4 and sum(sizes) == 38
    assert score([path], profile=city) == expected


def test_aggregates_merge_to_the_whole(city):
    table = pa.concat_tables(list(iter_cases(discover([CASES]), Scorer(city).columns)))
    whole = Scorer(city, "unit")
    whole.add(table)
    parts = []
    for start in range(0, table.num_rows, 9):
        s = Scorer(city, "unit")
        s.add(table.slice(start, 9))
        parts.append(s.aggregate)
    merged = Aggregate("unit")
    for p in reversed(parts):
        merged.merge(p)
    assert score_rows(merged, city) == score_rows(whole.aggregate, city)
    shipped = Aggregate.from_records("unit", merged.to_records())
    assert score_rows(shipped, city) == score_rows(whole.aggregate, city)
    with pytest.raises(ValueError):
        merged.merge(Aggregate("street"))


def test_requests_are_counted_by_month_received(city):
    agg = aggregate([CASES], profile=city, by="unit")
    feb = month_index(2024, 2)
    assert agg.get(feb, "S11")["requests"] == 8
    assert agg.get(month_index(2024, 1), "S11")["requests"] == 4  # J01-J03 and F05
    assert agg.get(feb, "S21")["requests"] == 10


# ---------------------------------------------------------------- months

def _utc_us(text: str) -> int:
    dt = datetime.fromisoformat(text)
    return (dt - datetime(1970, 1, 1, tzinfo=UTC)) // timedelta(microseconds=1)


@pytest.mark.parametrize("zone,instant,month", [
    ("Asia/Shanghai", "2024-01-31T16:30:00+00:00", (2024, 2)),
    ("Asia/Shanghai", "2024-01-31T15:59:59.999999+00:00", (2024, 1)),
    ("America/New_York", "2024-04-01T03:59:59+00:00", (2024, 3)),   # 23:59:59 EDT
    ("America/New_York", "2024-04-01T04:00:00+00:00", (2024, 4)),
    ("America/New_York", "2024-12-01T04:59:59+00:00", (2024, 11)),  # 23:59:59 EST
    ("America/New_York", "2024-12-01T05:00:00+00:00", (2024, 12)),
    ("Europe/London", "2024-03-31T23:00:00+00:00", (2024, 4)),      # BST midnight
    ("Asia/Shanghai", "1900-01-31T15:54:17+00:00", (1900, 2)),      # local mean time +8:05:43
    ("Asia/Shanghai", "1900-01-31T15:54:16+00:00", (1900, 1)),      # (not on a quarter-hour)
])
def test_months_of_is_exact_across_daylight_saving(zone, instant, month):
    us = np.array([_utc_us(instant), _utc_us("2023-06-15T00:00:00+00:00")], dtype=np.int64)
    rel, lo = months_of(us, ZoneInfo(zone))
    assert rel[0] + lo == month_index(*month)
    assert rel[1] + lo == month_index(2023, 6)


# ---------------------------------------------------------------- property test

def reference_score(records, profile, by):
    """Plain loops, straight from the definitions in the issue."""
    zone = ZoneInfo(profile.timezone)
    sc = profile.scoring
    groups: dict = defaultdict(lambda: defaultdict(int))
    for r in records:
        if r["disposition"] != "dispatched" or r["callback_at"] is None:
            continue
        local = r["callback_at"].astimezone(zone)
        g = groups[(f"{local.year:04d}-{local.month:02d}", r[by])]
        g["callbacks"] += 1
        if r["callback_valid"] is not True:
            continue
        if r["excluded"] is True and r["exclusion_reason"] in sc.exclusion_reasons:
            continue
        g["scored"] += 1
        if sc.response_method == "callback":
            if r["contacted"] is not None:
                g["contacted_known"] += 1
            g["contacted"] += r["contacted"] is True
        else:
            hours = sc.response_hours.get(r["request_type"])
            if r["first_contact_at"] is not None and r["dispatched_at"] is not None and hours is not None:
                g["contacted_known"] += 1
                g["contacted"] += r["first_contact_at"] - r["dispatched_at"] <= timedelta(hours=hours)
        if r["resolved"] is not None:
            g["resolved_known"] += 1
        g["resolved"] += r["resolved"] is True
        if r["satisfaction"] is not None:
            g["sat_known"] += 1
        g["satisfied"] += r["satisfaction"] == "satisfied"
        g["basically"] += r["satisfaction"] == "basically_satisfied"
    out = []
    for (month, key), g in groups.items():
        n = g["scored"]
        resp = g["contacted"] / n if n and g["contacted_known"] else None
        res = g["resolved"] / n if n and g["resolved_known"] else None
        sat = (g["satisfied"] + sc.basically_satisfied_weight * g["basically"]) / n if n and g["sat_known"] else None
        w = sc.weights
        comp = (100 * (w.response * resp + w.resolution * res + w.satisfaction * sat)
                if None not in (resp, res, sat) else None)
        out.append({"month": month, by: key, "scored": n, "contacted": g["contacted"], "resolved": g["resolved"],
                    "satisfied": g["satisfied"], "basically_satisfied": g["basically"],
                    "response_rate": resp, "resolution_rate": res, "satisfaction_rate": sat, "composite": comp})
    out.sort(key=lambda r: (r["month"], r[by] is None, r[by] or ""))
    return out


BASE = datetime(2024, 3, 31, 12, tzinfo=UTC)  # near a month end and, in New York/London, after DST
maybe = st.none()
ts = st.integers(-80, 80).map(lambda h: BASE + timedelta(hours=h, seconds=17))
record = st.fixed_dictionaries({
    "disposition": st.sampled_from(["dispatched", "dispatched", "dispatched", "answered", None]),
    "unit": st.sampled_from(["U1", "U2", "U3", None]),
    "street": st.sampled_from(["S1", "S2", None]),
    "request_type": st.sampled_from(["help", "suggestion", "other", None]),
    "callback_at": st.one_of(ts, ts, ts, maybe),
    "dispatched_at": st.one_of(ts, ts, maybe),
    "first_contact_at": st.one_of(ts, ts, maybe),
    "callback_valid": st.sampled_from([True, True, True, False, None]),
    "contacted": st.sampled_from([True, False, None]),
    "resolved": st.sampled_from([True, False, None]),
    "satisfaction": st.sampled_from(["satisfied", "basically_satisfied", "dissatisfied", None]),
    "excluded": st.sampled_from([False, True, None]),
    "exclusion_reason": st.sampled_from(["duplicate", "unreasonable", "other", None]),
})


def _table(records, dictionary: bool) -> pa.Table:
    tsu = pa.timestamp("us", tz="UTC")
    cols = {}
    for name in ("disposition", "unit", "street", "request_type", "satisfaction", "exclusion_reason"):
        arr = pa.array([r[name] for r in records], pa.string())
        cols[name] = arr.dictionary_encode() if dictionary else arr
    for name in ("callback_at", "dispatched_at", "first_contact_at"):
        cols[name] = pa.array([r[name] for r in records], tsu)
    for name in ("callback_valid", "contacted", "resolved", "excluded"):
        cols[name] = pa.array([r[name] for r in records], pa.bool_())
    cols["received_at"] = pa.array([BASE] * len(records), tsu)
    return pa.table(cols)


@settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(
    records=st.lists(record, min_size=0, max_size=60),
    by=st.sampled_from(["unit", "street"]),
    zone=st.sampled_from(["Asia/Shanghai", "America/New_York", "Europe/London"]),
    method=st.sampled_from(["callback", "timestamp"]),
    reasons=st.sampled_from([("duplicate",), ("duplicate", "unreasonable", "other"), ()]),
    dictionary=st.booleans(),
    split=st.integers(1, 60),
)
def test_scoring_equals_a_plain_reference(records, by, zone, method, reasons, dictionary, split):
    base = load_profile(FIX / "profile.toml")
    profile = dataclasses.replace(base, timezone=zone, scoring=dataclasses.replace(
        base.scoring, response_method=method, exclusion_reasons=reasons))
    table = _table(records, dictionary)
    total = Aggregate(by)
    for start in range(0, max(table.num_rows, 1), split):  # batches, merged like partitions
        part = Scorer(profile, by)
        part.add(table.slice(start, split))
        total.merge(part.aggregate)
    got = score_rows(total, profile)
    want = reference_score(records, profile, by)
    assert [{k: v for k, v in r.items() if not k.endswith(("rate", "composite"))} for r in got] == \
           [{k: v for k, v in r.items() if not k.endswith(("rate", "composite"))} for r in want]
    for g, w in zip(got, want):
        for k in ("response_rate", "resolution_rate", "satisfaction_rate", "composite"):
            assert (g[k] is None) == (w[k] is None), k
            if w[k] is not None:
                assert g[k] == pytest.approx(w[k], rel=1e-12, abs=1e-12)


def test_measures_cover_the_issue_counts():
    assert {"scored", "contacted", "resolved", "satisfied", "basically_satisfied", "requests"} <= set(MEASURES)
