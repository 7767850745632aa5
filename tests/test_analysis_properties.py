"""Property tests: every analysis command against a plain reference written from its definition
(loops over records, the standard library's normal quantile and lgamma sums), on random cases."""

from __future__ import annotations

import math
import statistics
from collections import defaultdict
from datetime import UTC, datetime, timedelta
from pathlib import Path
from zoneinfo import ZoneInfo

import pyarrow as pa
import pyarrow.parquet as pq
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from jiesu.analysis.candidates import candidate_rows
from jiesu.analysis.cube import Cube, CubeCounter
from jiesu.analysis.detector import upper_bounds
from jiesu.analysis.disputes import dispute_rows
from jiesu.analysis.tracking import tracking_rows
from jiesu.months import parse_month
from jiesu.profile import load_profile
from jiesu.ranking import rank
from jiesu.schema import EXCLUSION_REASONS

FIX = Path(__file__).resolve().parents[1] / "fixtures" / "analysis"
CITY = load_profile(FIX / "city.toml")
ZONE = ZoneInfo(CITY.timezone)
BASE = datetime(2024, 2, 29, 12, tzinfo=UTC)  # near the end of February: months 2024-01..2024-04
MONTHS = [parse_month(m) for m in ("2024-01", "2024-02", "2024-03", "2024-04")]

ts = st.integers(-40 * 24, 40 * 24).map(lambda h: BASE + timedelta(hours=h, seconds=11))
record = st.fixed_dictionaries({
    "received_at": ts,
    "callback_at": st.one_of(ts, ts, st.none()),
    "disposition": st.sampled_from(["dispatched", "dispatched", "answered", "transferred"]),
    "callback_valid": st.sampled_from([True, True, False, None]),
    "contacted": st.sampled_from([True, False, None]),
    "resolved": st.sampled_from([True, False, None]),
    "satisfaction": st.sampled_from(["satisfied", "basically_satisfied", "dissatisfied", None]),
    "excluded": st.sampled_from([False, False, True, None]),
    "exclusion_reason": st.sampled_from([*EXCLUSION_REASONS, None]),
    "objections": st.sampled_from([0, 0, 1, 2, 3, None]),
    "objection_upheld": st.sampled_from([True, False, None]),
    "category": st.sampled_from(["NOISE", "PARK", "ROAD", "WATER"]),
    "topic": st.sampled_from(["P1", "P2", None, None]),
    "street": st.sampled_from(["S11", "S12", "S21", None]),
    "district": st.sampled_from(["D1", "D2", None]),
    "unit": st.sampled_from(["S11", "S21", "D1", "M1", None]),
})
records_st = st.lists(record, min_size=0, max_size=50)
STRINGS = ("disposition", "satisfaction", "exclusion_reason", "category", "topic", "street", "district", "unit")


def table_of(records: list[dict], dictionary: bool) -> pa.Table:
    tsu = pa.timestamp("us", tz="UTC")
    cols = {}
    for name in STRINGS:
        arr = pa.array([r[name] for r in records], pa.string())
        cols[name] = arr.dictionary_encode() if dictionary else arr
    for name in ("received_at", "callback_at"):
        cols[name] = pa.array([r[name] for r in records], tsu)
    for name in ("callback_valid", "contacted", "resolved", "excluded", "objection_upheld"):
        cols[name] = pa.array([r[name] for r in records], pa.bool_())
    cols["objections"] = pa.array([r["objections"] for r in records], pa.int64())
    return pa.table(cols)


def month_of(t: datetime) -> int:
    local = t.astimezone(ZONE)
    return local.year * 12 + local.month - 1


def fill(cubes: list[Cube], records: list[dict], split: int, dictionary: bool, response: bool = True) -> list[Cube]:
    """Count in batches of ``split`` rows, each into its own counter, merged like partitions."""
    table = table_of(records, dictionary)
    if not response:  # the columns a counter without the response rate does not read
        table = table.drop_columns(["contacted"])
    total = [Cube(c.dims, c.groups, c.period, c.required) for c in cubes]
    for start in range(0, max(table.num_rows, 1), split):
        part = CubeCounter(CITY, cubes, response=response)
        part.add(table.slice(start, split))
        for mine, theirs in zip(total, part.cubes):
            mine.merge(theirs)
    return total


# ---------------------------------------------------------------- references

def scored(r: dict) -> bool:
    return (r["disposition"] == "dispatched" and r["callback_at"] is not None and r["callback_valid"] is True
            and not (r["excluded"] is True and r["exclusion_reason"] in CITY.scoring.exclusion_reasons))


def reference_cube(records: list[dict], dims: tuple[str, ...]) -> dict:
    out: dict = defaultdict(lambda: defaultdict(int))
    for r in records:
        cell = tuple(r[d] for d in dims)
        g = out[(month_of(r["received_at"]), cell)]
        g["cases"] += 1
        if r["disposition"] == "dispatched":
            g["requests"] += 1
            g["repeats"] += r["excluded"] is True and r["exclusion_reason"] == "duplicate"
            n = r["objections"] or 0
            g["objected"] += n > 0
            g["objections"] += n
            g["repeated_objections"] += n >= 2
            g["upheld"] += r["objection_upheld"] is True
            if r["excluded"] is True and r["exclusion_reason"]:
                g[f"excluded_{r['exclusion_reason']}"] += 1
        if r["disposition"] == "dispatched" and r["callback_at"] is not None:
            c = out[(month_of(r["callback_at"]), cell)]
            c["callbacks"] += 1
            if scored(r):
                c["scored"] += 1
                c["contacted"] += r["contacted"] is True
                c["contacted_known"] += r["contacted"] is not None
                c["resolved"] += r["resolved"] is True
                c["resolved_known"] += r["resolved"] is not None
                c["satisfied"] += r["satisfaction"] == "satisfied"
                c["basically_satisfied"] += r["satisfaction"] == "basically_satisfied"
                c["satisfaction_known"] += r["satisfaction"] is not None
    return {k: {m: v for m, v in g.items() if v} for k, g in out.items() if any(g.values())}


def cube_as_dict(cube: Cube) -> dict:
    out = {}
    for rec in cube.to_records():
        key = (parse_month(rec["period"]), tuple(rec[d] for d in cube.dims))
        out[key] = {m: rec[m] for m in cube.measures if rec[m]}
    return out


def reference_rates(rs: list[dict]) -> tuple[float | None, float | None]:
    n = len(rs)
    if not n:
        return None, None
    res = sum(r["resolved"] is True for r in rs) / n if any(r["resolved"] is not None for r in rs) else None
    sat = (sum(r["satisfaction"] == "satisfied" for r in rs) + 0.9 * sum(r["satisfaction"] == "basically_satisfied" for r in rs)) / n \
        if any(r["satisfaction"] is not None for r in rs) else None
    return res, sat


def reference_candidates(records: list[dict], months: list[int], kind: str) -> list[dict]:
    key = "category" if kind == "category" else "topic"
    disp = [r for r in records if r["disposition"] == "dispatched" and month_of(r["received_at"]) in months]
    codes = sorted({r[key] for r in disp if r[key] is not None})
    if not codes:
        return []
    w = CITY.analysis.candidate_weights
    volume = {c: sum(r[key] == c for r in disp) for c in codes}
    biggest = max(volume.values())
    top = dict.fromkeys(codes, 0)
    for m in months:
        per = {c: sum(r[key] == c and month_of(r["received_at"]) == m for r in disp) for c in codes}
        for c in codes:
            if per[c] and sum(v > per[c] for v in per.values()) < CITY.analysis.top_n:
                top[c] += 1
    out = []
    for c in codes:
        mine = [r for r in disp if r[key] == c]
        streets = {r["street"] for r in mine if r["street"] is not None}
        cb = [r for r in records if r[key] == c and scored(r) and month_of(r["callback_at"]) in months]
        res, sat = reference_rates(cb)
        repeats = sum(r["excluded"] is True and r["exclusion_reason"] == "duplicate" for r in mine)
        score = 100 * (w.volume * volume[c] / biggest + w.spread * len(streets) / 6 + w.persistence * top[c] / len(months)
                       + w.unresolved * (0 if res is None else 1 - res) + w.dissatisfied * (0 if sat is None else 1 - sat)
                       + w.repeats * repeats / volume[c])
        out.append({"code": c, "requests": volume[c], "streets": len(streets),
                    "districts": len({CITY.unit_by_id[s].district for s in streets}),
                    "months_in_top": top[c], "repeats": repeats, "resolution_rate": res, "satisfaction_rate": sat,
                    "score": score})
    return out


def nb_quantile(q: float, mean: float, phi: float) -> int:
    """Smallest k with P(Y <= k) >= q: the negative binomial with this mean and variance phi x mean
    (a Poisson when phi = 1), its pmf summed term by term (p(k+1) = p(k) (k + r)(1 - 1/phi)/(k + 1)
    with r (phi - 1) = mean, written so that phi just above 1 stays exact)."""
    if phi > 1:
        log_p0 = -mean * math.log1p(phi - 1) / (phi - 1)
    else:
        log_p0 = -mean
    pk, cdf, k = math.exp(log_p0), 0.0, 0
    while True:
        cdf += pk
        if cdf >= q - 1e-12:
            return k
        step = (k * (phi - 1) + mean) / phi if phi > 1 else mean
        pk *= step / (k + 1)
        k += 1


def reference_alarm(base: list[int], y: int, alpha: float, min_count: int) -> tuple[bool, int]:
    b = len(base)
    mu = sum(base) / b
    if mu == 0:
        return y >= min_count and y > max(min_count - 1, 0), max(min_count - 1, 0)
    phi = max(1.0, sum((v - mu) ** 2 / mu for v in base) / (b - 1))
    mu_q = mu * math.exp(statistics.NormalDist().inv_cdf(1 - alpha) * math.sqrt(phi / (b * mu)))
    upper = nb_quantile(1 - alpha / 2, mu_q, phi)
    return y > upper and y >= min_count, upper


# ---------------------------------------------------------------- the properties

SETTINGS = settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.too_slow])


@SETTINGS
@given(records=records_st, split=st.integers(1, 50), dictionary=st.booleans(),
       dims=st.sampled_from([("category",), ("category", "street"), ("unit", "category"),
                             ("category", "topic", "street", "district")]))
def test_cube_counts_equal_plain_loops(records, split, dictionary, dims):
    (cube,) = fill([Cube(dims, ("cases", "requests", "scores", "disputes"))], records, split, dictionary)
    assert cube_as_dict(cube) == reference_cube(records, dims)


@SETTINGS
@given(records=records_st, split=st.integers(1, 50))
def test_candidates_equal_a_plain_reference(records, split):
    months = MONTHS[:3]
    cubes = fill([Cube(("category", "street"), ("requests",)),
                  Cube(("topic", "street"), ("requests",), required=("topic",)),
                  Cube(("category", "topic"), ("scores",))], records, split, True, response=False)
    for cube in cubes:
        cube.counts = {m: a for m, a in cube.counts.items() if m in months}
    got = candidate_rows(*cubes, CITY, months)
    for kind in ("category", "topic"):
        mine = {r["code"]: r for r in got if r["kind"] == kind}
        want = {r["code"]: r for r in reference_candidates(records, months, kind)}
        assert set(mine) == set(want)
        for code, w in want.items():
            g = mine[code]
            for k in ("requests", "streets", "districts", "months_in_top", "repeats"):
                assert g[k] == w[k], (kind, code, k)
            for k in ("resolution_rate", "satisfaction_rate", "score"):
                assert (g[k] is None) == (w[k] is None) and (w[k] is None or g[k] == pytest.approx(w[k], abs=1e-9))
        ranks = sorted((r["rank"], r["code"]) for r in mine.values())
        scores = {c: round(w["score"], 9) for c, w in want.items()}
        assert ranks == sorted((1 + sum(v > scores[c] for v in scores.values()), c) for c in scores)


@SETTINGS
@given(records=records_st, split=st.integers(1, 50), month=st.sampled_from(MONTHS[1:]))
def test_tracking_equals_a_plain_reference(records, split, month):
    volume, answers = fill([Cube(("category", "street"), ("requests",)), Cube(("category",), ("scores",))],
                           records, split, False)
    got = tracking_rows(volume, answers, CITY, month).rows
    covered = {month_of(r["received_at"]) for r in records if r["disposition"] == "dispatched"}
    for row, topic in zip(got, CITY.topics):
        cats = set(topic.categories)
        n = {m: sum(r["disposition"] == "dispatched" and r["category"] in cats and month_of(r["received_at"]) == m
                    for r in records) for m in (month, month - 1)}
        assert row["requests"] == n[month]
        assert row["previous"] == (n[month - 1] if month - 1 in covered else None)
        assert row["declining"] == (month - 1 in covered and n[month] < n[month - 1])
        change = (n[month] - n[month - 1]) / n[month - 1] if month - 1 in covered and n[month - 1] else None
        assert row["fell"] == (change is not None and change < -CITY.analysis.decline_threshold)
        cb = [r for r in records if r["category"] in cats and scored(r) and month_of(r["callback_at"]) == month]
        res, _ = reference_rates(cb)
        assert (row["resolution_rate"] is None) == (res is None)


@SETTINGS
@given(records=records_st, split=st.integers(1, 50), by=st.sampled_from(["unit", "category"]))
def test_disputes_equal_a_plain_reference(records, split, by):
    month = MONTHS[1]
    (cube,) = fill([Cube(("unit", "category"), ("requests", "disputes"))], records, split, True)
    got = {r["key"]: r for r in dispute_rows(cube, CITY, month, by)}
    disp = [r for r in records if r["disposition"] == "dispatched" and month_of(r["received_at"]) == month]
    keys = {r[by] for r in disp} - {None}  # a dispatched case without a unit counts in the total only
    assert set(got) == keys | ({None} if disp else set())
    if disp:
        assert got[None]["requests"] == len(disp) and got[None]["name"] == "total"
    for key in keys:
        mine = [r for r in disp if r[by] == key]
        g = got[key]
        assert g["requests"] == len(mine)
        assert g["objected"] == sum((r["objections"] or 0) > 0 for r in mine)
        assert g["objections"] == sum(r["objections"] or 0 for r in mine)
        assert g["upheld"] == sum(r["objection_upheld"] is True for r in mine)
        for reason in EXCLUSION_REASONS:
            assert g[f"excluded_{reason}"] == sum(r["excluded"] is True and r["exclusion_reason"] == reason for r in mine)


@settings(max_examples=200, deadline=None)
@given(base=st.lists(st.lists(st.integers(0, 60), min_size=4, max_size=8), min_size=1, max_size=6),
       extra=st.integers(0, 80), alpha=st.sampled_from([0.001, 0.01, 0.05]), min_count=st.integers(0, 6))
def test_detector_equals_a_plain_reference(base, extra, alpha, min_count):
    b = min(len(x) for x in base)
    rows = [x[:b] for x in base]
    observed = [round(sum(x) / b) + extra for x in rows]
    got = upper_bounds(rows, observed, alpha=alpha, min_count=min_count)
    for i, (x, y) in enumerate(zip(rows, observed)):
        alarm, upper = reference_alarm(x, y, alpha, min_count)
        assert int(got.upper[i]) == upper and bool(got.alarm[i]) == alarm


@settings(max_examples=25, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(counts=st.lists(st.tuples(st.sampled_from(["NOISE", "PARK"]), st.sampled_from(["S11", "S12", "S21"]),
                                 st.integers(0, 6), st.integers(0, 20)), min_size=1, max_size=25))
def test_warn_equals_a_plain_reference(counts, tmp_path_factory):
    """warn() from files: monthly counts per (category, street) -> the reference detector."""
    from jiesu.analysis.warn import warn

    first = parse_month("2023-07")
    per: dict = defaultdict(int)
    for cat, street, k, n in counts:
        per[(cat, street, first + k)] += n
    per[("WATER", "S13", first)] += 1  # every month from 2023-07 to 2024-01 has a case: all covered
    for k in range(7):
        per[("WATER", "S13", first + k)] += 1
    rows = []
    for (cat, street, m), n in per.items():
        t = datetime(m // 12, m % 12 + 1, 10, tzinfo=ZONE).astimezone(UTC)
        rows += [{"received_at": t, "category": cat, "street": street,
                  "district": {"S11": "D1", "S12": "D1", "S13": "D1", "S21": "D2"}[street]}] * n
    path = tmp_path_factory.mktemp("warn") / "w.parquet"
    pq.write_table(pa.table({"received_at": pa.array([r["received_at"] for r in rows], pa.timestamp("us", tz="UTC")),
                             **{c: pa.array([r[c] for r in rows]) for c in ("category", "street", "district")},
                             "disposition": pa.array(["answered"] * len(rows))}), path)
    result = warn([path], profile=CITY, month="2024-01")
    got = {(r["level"], r["category"], r["place"]): (r["observed"], r["upper_bound"]) for r in result.rows}
    want = {}
    for level, place_of in (("street", lambda s: s), ("district", lambda s: {"S21": "D2"}.get(s, "D1"))):
        series: dict = defaultdict(lambda: [0] * 7)
        for (cat, street, m), n in per.items():
            series[(cat, place_of(street))][m - first] += n
        for (cat, place), ys in series.items():
            alarm, upper = reference_alarm(ys[:6], ys[6], CITY.warn.alpha, CITY.warn.min_count)
            if alarm:
                want[(level, cat, place)] = (ys[6], upper)
    assert got == want


@settings(max_examples=20, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(records=records_st, level=st.sampled_from(["street", "district"]))
def test_trend_equals_rank_month_by_month(records, level, tmp_path_factory):
    from jiesu.analysis.trend import trend

    path = tmp_path_factory.mktemp("trend") / "t.parquet"
    table = table_of(records, True)
    table = table.append_column("unit_level", pa.array(
        [{"D1": "district", "M1": "department"}.get(r["unit"], "street") if r["unit"] else None for r in records], pa.string()))
    pq.write_table(table, path)
    rows = trend([path], profile=CITY, first="2024-02", last="2024-03", level=level)
    for month in ("2024-02", "2024-03"):
        assert [{k: v for k, v in r.items() if k != "month"} for r in rows if r["month"] == month] == \
               rank([path], profile=CITY, month=month, level=level)
