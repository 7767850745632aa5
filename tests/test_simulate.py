"""The simulation: queueing theory, Little's law, schema validity, calibration, reproducibility."""

from __future__ import annotations

import json
import math
from datetime import datetime
from pathlib import Path

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc
import pyarrow.parquet as pq
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from jiesu.errors import ArgumentError, ProfileError
from jiesu.profile import load_profile
from jiesu.records import json_records
from jiesu.simulation import erlang_c, fifo_starts, load_scenario, simulate
from jiesu.simulation.run import littles_law
from jiesu.simulation.scenario import DEFAULTS, MAXIMA, apply_override

ROOT = Path(__file__).resolve().parents[1]
MMC = ROOT / "fixtures" / "scenarios" / "mmc.toml"
DAY = 86400.0


# ---------------------------------------------------------------- the queue against theory

def test_erlang_c_formula_known_values() -> None:
    # M/M/2 with a = 1 erlang: C = 1/3, mean wait = C / (c mu - lambda) = 1/3 service time
    r = erlang_c(2, 3600.0, 1.0)
    assert r.p_wait == pytest.approx(1 / 3)
    assert r.mean_wait_seconds == pytest.approx(1 / 3)
    # M/M/1: C = rho, Wq = rho / (mu - lambda)
    r = erlang_c(1, 0.8 * 3600 / 60, 60.0)
    assert r.p_wait == pytest.approx(0.8)
    assert r.mean_wait_seconds == pytest.approx(0.8 * 60 / 0.2)
    assert erlang_c(3, 4 * 3600.0, 1.0).p_wait == 1.0  # overloaded


def _naive_fifo(arrivals, services, servers, patience=None):
    """Reference: scan a list of server-free times for the earliest, customer by customer."""
    free = [0.0] * servers
    out = []
    for i, (t, s) in enumerate(zip(arrivals, services)):
        k = min(range(servers), key=free.__getitem__)
        start = max(t, free[k])
        if patience is not None and start - t > patience[i]:
            out.append(float("nan"))
            continue
        free[k] = start + s
        out.append(start)
    return np.array(out)


@pytest.mark.parametrize("servers", [1, 3, 7])
@pytest.mark.parametrize("with_patience", [False, True])
def test_fifo_starts_matches_a_naive_multiserver_queue(servers: int, with_patience: bool) -> None:
    rng = np.random.default_rng(servers)
    n = 3000
    arrivals = np.cumsum(rng.exponential(1.0 / (0.95 * servers), n))
    services = rng.exponential(1.0, n)
    patience = rng.exponential(2.0, n) if with_patience else None
    got = fifo_starts(arrivals, services, servers, patience)
    want = _naive_fifo(arrivals, services, servers, patience)
    np.testing.assert_array_equal(np.isnan(got), np.isnan(want))
    np.testing.assert_allclose(got[~np.isnan(got)], want[~np.isnan(want)], rtol=0, atol=1e-9)
    assert (got[~np.isnan(got)] >= arrivals[~np.isnan(got)]).all()
    if with_patience:
        assert np.isnan(got).any()


def test_mmc_agrees_with_erlang_c() -> None:
    """About 2 million callers per seed on M/M/10 at 85 % load: P(wait) and mean wait within 2 %."""
    p_ratio, w_ratio = [], []
    for seed in (101, 202, 303):
        s = simulate(MMC, days=163, seed=seed)
        theory = s["intake"]["erlang_c"]
        assert theory["applies"]
        assert s["requests"] > 1_900_000
        assert theory["utilisation"] == pytest.approx(0.85)
        p_ratio.append(s["intake"]["p_wait"] / theory["p_wait"])
        w_ratio.append(s["intake"]["mean_wait_seconds"] / theory["mean_wait_seconds"])
    assert all(abs(r - 1) < 0.02 for r in p_ratio), p_ratio
    assert all(abs(r - 1) < 0.02 for r in w_ratio), w_ratio
    assert abs(np.mean(p_ratio) - 1) < 0.01 and abs(np.mean(w_ratio) - 1) < 0.01


def test_intake_summary_agrees_with_the_records(tmp_path: Path) -> None:
    out = tmp_path / "mmc.parquet"
    s = simulate(MMC, days=3, seed=9, output=out)
    t = pq.read_table(out, columns=["received_at", "answered_at"])
    wait = (pc.subtract(t["answered_at"].cast("int64"), t["received_at"].cast("int64"))).to_numpy() / 1e6
    assert t.num_rows == s["cases"] == s["requests"]
    assert s["intake"]["p_wait"] == pytest.approx(float((wait > 0).mean()), abs=2e-6)
    assert s["intake"]["mean_wait_seconds"] == pytest.approx(float(wait.mean()), abs=1e-3)


def test_abandonment_lowers_the_wait_and_loses_callers() -> None:
    base = simulate(MMC, days=5, seed=4, overrides=["intake.arrival_rate_per_hour=590"])
    impatient = simulate(MMC, days=5, seed=4, overrides=["intake.arrival_rate_per_hour=590",
                                                 "intake.mean_patience_seconds=20"])
    assert base["intake"]["abandoned"] == 0
    assert impatient["intake"]["abandonment_rate"] > 0.05
    assert impatient["cases"] + impatient["intake"]["abandoned"] == impatient["requests"]
    assert impatient["intake"]["mean_wait_seconds"] < base["intake"]["mean_wait_seconds"]


# ---------------------------------------------------------------- the Beijing baseline

@pytest.fixture(scope="module")
def beijing(tmp_path_factory) -> tuple[dict, pa.Table, int]:
    """60 days of the Beijing baseline (about 3.6 M cases), with its summary."""
    folder = tmp_path_factory.mktemp("beijing")
    days = 60
    simulate("beijing-baseline", days=days, seed=2024, output=folder / "cases.parquet", summary=folder / "summary.json")
    summary = json.loads((folder / "summary.json").read_text("utf-8"))
    table = pq.read_table(folder / "cases.parquet")
    return summary, table, days


def test_beijing_volume_and_dispatched_share_match_the_published_figures(beijing) -> None:
    summary, table, days = beijing
    assert summary["days"] == days and summary["seed"] == 2024
    assert summary["cases"] == table.num_rows
    assert abs(summary["cases_per_day"] / 60_000 - 1) < 0.05  # about 60,000 a day (2024)
    assert abs(summary["dispatched_share"] / 0.415 - 1) < 0.05  # about 41.5 % dispatched
    cb = summary["callback"]
    assert abs(cb["resolution_rate"] - 0.967) < 0.01  # 2024: 96.7 % resolved
    assert abs(cb["satisfaction_rate"] - 0.970) < 0.01  # 2024: 97.0 % satisfied
    dispatched = pc.sum(pc.equal(table["disposition"].cast(pa.string()), "dispatched")).as_py()
    assert dispatched == summary["dispositions"]["dispatched"]


def test_summary_rates_are_the_records_rates_as_score_counts_them(beijing, tmp_path_factory) -> None:
    """The three rates of the summary, recomputed from the records with plain pyarrow (the rules of
    docs/scoring.md, the profile's exclusion reasons and basically-satisfied weight), and by score."""
    summary, t, _ = beijing
    profile = load_profile("beijing")
    s = lambda col: t[col].cast(pa.string()) if pa.types.is_dictionary(t[col].type) else t[col]
    dispatched = pc.equal(s("disposition"), "dispatched")
    removed = pc.and_(pc.fill_null(t["excluded"], False),
                      pc.is_in(s("exclusion_reason"), value_set=pa.array(list(profile.scoring.exclusion_reasons))))
    scored = pc.and_(pc.and_(dispatched, pc.fill_null(t["callback_valid"], False)), pc.invert(pc.fill_null(removed, False)))
    n = pc.sum(scored).as_py()
    yes = lambda col: pc.sum(pc.and_(scored, pc.fill_null(t[col], False))).as_py()
    sat = lambda v: pc.sum(pc.and_(scored, pc.fill_null(pc.equal(s("satisfaction"), v), False))).as_py()
    w = profile.scoring.basically_satisfied_weight
    want = {"response_rate": yes("contacted") / n, "resolution_rate": yes("resolved") / n,
            "satisfaction_rate": (sat("satisfied") + w * sat("basically_satisfied")) / n}
    cb = summary["callback"]
    assert cb["scored"] == n
    for k, v in want.items():
        assert cb[k] == pytest.approx(v, abs=1e-6)
    assert sat("basically_satisfied") > 1000  # the weight matters here
    assert cb["satisfaction_rate"] != pytest.approx((sat("satisfied") + sat("basically_satisfied")) / n, abs=1e-4)


def _seconds(col: pa.ChunkedArray, origin: int) -> np.ndarray:
    return col.cast(pa.int64()).to_numpy(zero_copy_only=False) / 1e6 - origin


def test_littles_law_holds_for_every_unit(beijing) -> None:
    """L (time-average number of open cases, from the records) = lambda x W for every unit.

    Measured over days 7..60 (the unit queues start empty); the window's two edges leave a
    fluctuation of about 2 % per unit, so each unit must agree within 10 % and all units together
    within 1 %.
    """
    summary, table, days = beijing
    t = table.filter(pc.is_valid(table["unit"])).select(["unit", "dispatched_at", "closed_at"])
    origin = int(datetime.fromisoformat("2024-03-01T00:00:00+08:00").timestamp())
    a = _seconds(t["dispatched_at"], origin)
    z = t["closed_at"]
    assert z.null_count == 0
    z = _seconds(z, origin)
    unit = t["unit"].combine_chunks()
    codes = unit.indices.to_numpy()
    lo, hi = 7 * DAY, days * DAY
    n_units = len(unit.dictionary)
    # independently of jiesu: sweep each unit's arrivals (+1) and closings (-1) in time order and
    # integrate the number of open cases over the window [lo, hi)
    ev_unit = np.concatenate([codes, codes])
    ev_time = np.concatenate([a, z])
    ev_step = np.concatenate([np.ones(len(a)), -np.ones(len(z))])
    order = np.lexsort((ev_time, ev_unit))
    ev_unit, ev_time, ev_step = ev_unit[order], ev_time[order], ev_step[order]
    open_after = np.cumsum(ev_step)
    first = np.r_[True, ev_unit[1:] != ev_unit[:-1]]
    open_after -= np.repeat(np.r_[0, open_after[:-1]][first], np.diff(np.r_[np.flatnonzero(first), len(ev_unit)]))
    nxt = np.r_[ev_time[1:], hi]
    nxt[np.r_[first[1:], True]] = hi  # the last event of a unit runs to the window's end
    span = np.clip(nxt, lo, hi) - np.clip(ev_time, lo, hi)
    area = np.bincount(ev_unit, weights=open_after * span, minlength=n_units)
    big_l = area / (hi - lo)
    inside = (a >= lo) & (a < hi)
    count = np.bincount(codes[inside], minlength=n_units)
    lam = count / (hi - lo)
    w = np.divide(np.bincount(codes[inside], weights=(z - a)[inside], minlength=n_units), count,
                  out=np.zeros(n_units), where=count > 0)
    seen = count > 0
    # every unit that receives cases: 17 district-tier units (16 districts and 经开区), 343 streets
    # and townships (the five other zones send their cases to their districts) and the named handlers
    profile = load_profile("beijing")
    named = {c.handler for c in profile.categories} - {"street", "district"}
    assert seen.sum() == 17 + 343 + len(named) == 378
    ratio = big_l[seen] / (lam[seen] * w[seen])
    worst = int(np.argmax(np.abs(ratio - 1)))
    assert np.all(np.abs(ratio - 1) < 0.10), (unit.dictionary[np.flatnonzero(seen)[worst]], ratio[worst])
    assert abs(big_l[seen].sum() / (lam[seen] * w[seen]).sum() - 1) < 0.01
    # jiesu's helper, which the summary uses, computes the same three figures
    j_l, j_lam, j_w, j_count = littles_law(codes, a, z, lo, hi, n_units)
    assert np.array_equal(j_count, count)
    assert np.allclose(j_l, big_l, rtol=1e-9, atol=1e-12) and np.allclose(j_lam, lam) and np.allclose(j_w, w)
    # the summary reports the same law per unit
    units = {u["unit"]: u for u in summary["units"]}
    assert len(units) == 378
    for u in units.values():
        assert abs(u["mean_in_system"] / u["littles_lambda_w"] - 1) < 0.15


def test_record_times_are_in_order_and_ids_from_the_profile(beijing) -> None:
    _, t, _ = beijing
    ge = lambda x, y: pc.sum(pc.less(t[x], t[y])).as_py() == 0  # nulls are skipped
    assert ge("answered_at", "received_at")
    assert ge("dispatched_at", "received_at")
    assert ge("first_contact_at", "dispatched_at")
    assert ge("closed_at", "received_at")
    assert ge("callback_at", "dispatched_at")
    assert ge("deadline_at", "dispatched_at")
    assert pc.count_distinct(t["case_id"]).as_py() == t.num_rows
    profile = load_profile("beijing")
    dispatched = pc.equal(t["disposition"].cast(pa.string()), "dispatched")
    for col in ("dispatched_at", "unit", "unit_level", "deadline_at", "callback_at", "excluded"):
        assert pc.sum(pc.and_(dispatched, pc.is_null(t[col]))).as_py() == 0, col
        assert pc.sum(pc.and_(pc.invert(dispatched), pc.is_valid(t[col]))).as_py() == 0, col
    no_valid = pc.invert(pc.fill_null(t["callback_valid"], False))
    for col in ("contacted", "resolved", "satisfaction"):
        assert pc.sum(pc.and_(no_valid, pc.is_valid(t[col]))).as_py() == 0, col
    excluded = pc.fill_null(t["excluded"], False)
    assert pc.sum(pc.and_(excluded, pc.is_null(t["exclusion_reason"]))).as_py() == 0
    used = lambda col: set(pc.unique(t[col].cast(pa.string())).drop_null().to_pylist())
    assert used("unit") <= set(profile.unit_by_id)
    assert used("district") <= profile.district_ids
    assert used("street") <= profile.street_ids
    assert used("category") <= set(profile.category_by_code)
    # units are those the directory names: a street case goes to the case's street or district
    levels = {u.id: u.level for u in profile.units}
    sample = t.filter(dispatched).slice(0, 20000).select(["unit", "unit_level"]).to_pylist()
    assert all(levels[r["unit"]] == r["unit_level"] for r in sample)


def test_units_differ_timeliness_matters_and_rankings_move(beijing) -> None:
    _, t, _ = beijing
    t = t.filter(pc.fill_null(t["callback_valid"], False)).select(
        ["unit", "unit_level", "received_at", "resolved", "deadline_at", "closed_at"])
    late = pc.greater(t["closed_at"], t["deadline_at"])
    resolved = t["resolved"].to_numpy(zero_copy_only=False)
    late_np = late.to_numpy(zero_copy_only=False)
    assert resolved[late_np].mean() < resolved[~late_np].mean() - 0.05
    streets = pc.equal(t["unit_level"].cast(pa.string()), "street").to_numpy(zero_copy_only=False)
    month = pc.month(pc.cast(t["received_at"], pa.timestamp("us", tz="Asia/Shanghai")))  # local
    month = month.to_numpy(zero_copy_only=False)
    codes = t["unit"].combine_chunks().indices.to_numpy()
    rates = []
    for m in (3, 4):
        sel = streets & (month == m)
        n = np.bincount(codes[sel], minlength=codes.max() + 1)
        r = np.bincount(codes[sel], weights=resolved[sel].astype(float), minlength=codes.max() + 1)
        rates.append(np.divide(r, n, out=np.full(n.size, np.nan), where=n > 0))
    ok = ~np.isnan(rates[0]) & ~np.isnan(rates[1])
    assert ok.sum() > 300
    assert np.nanstd(rates[0][ok]) > 0.01  # units differ
    rank = [np.argsort(np.argsort(r[ok])) for r in rates]
    rho = np.corrcoef(rank[0], rank[1])[0, 1]
    assert 0.2 < rho < 0.95  # quality persists, yet the ranking moves from month to month


# ---------------------------------------------------------------- records and files

def _small(tmp_path: Path, name: str, seed: int = 5, **kw) -> tuple[Path, Path]:
    out, summ = tmp_path / f"{name}.parquet", tmp_path / f"{name}.json"
    simulate("beijing-baseline", days=1, seed=seed, output=out, summary=summ,
        overrides=["intake.arrival_rate_per_hour=150", "dispatch.objection_probability=0.3"], **kw)
    return out, summ


def test_every_record_is_valid_against_the_published_schema(tmp_path: Path) -> None:
    from jiesu.schema import record_validator

    out, _ = _small(tmp_path, "small")
    table = pq.read_table(out)
    assert 2000 < table.num_rows < 6000
    records = json_records(table)
    assert any(r.get("objection_upheld") for r in records)
    assert any(r.get("exclusion_reason") == "objection_upheld" for r in records)
    assert {r["disposition"] for r in records} == {"answered", "dispatched", "transferred", "not_dispatched"}
    validator = record_validator()
    errors = [(i, e.message) for i, r in enumerate(records) for e in validator.iter_errors(r)]
    assert errors == []
    # and the check can fail: a dispatched record without its unit is invalid
    broken = next(r for r in records if r["disposition"] == "dispatched")
    broken = {k: v for k, v in broken.items() if k != "unit"}
    assert list(validator.iter_errors(broken))


def test_simulated_output_passes_jiesu_validate(tmp_path: Path) -> None:
    from jiesu.validation import validate

    out, _ = _small(tmp_path, "v")
    report = validate([out], profile="beijing")
    assert report.rows == pq.read_metadata(out).num_rows
    assert report.errors == 0, [n for n in report.notices][:3]


def test_parquet_metadata_and_schema(tmp_path: Path) -> None:
    from jiesu.records import arrow_schema
    from jiesu.schema import schema_version

    out, _ = _small(tmp_path, "m", seed=77)
    f = pq.ParquetFile(out)
    meta = f.schema_arrow.metadata
    assert meta[b"jiesu.schema_version"].decode() == schema_version()
    assert meta[b"jiesu.seed"] == b"77"
    assert meta[b"jiesu.scenario"] == b"beijing-baseline"
    params = json.loads(meta[b"jiesu.parameters"])
    assert params["intake"]["arrival_rate_per_hour"] == 150.0
    assert f.schema_arrow.remove_metadata().equals(arrow_schema())
    assert f.metadata.row_group(0).column(0).compression == "ZSTD"


def test_same_seed_same_bytes_other_seed_other_bytes(tmp_path: Path) -> None:
    a, sa = _small(tmp_path, "a", seed=42)
    b, sb = _small(tmp_path, "b", seed=42)
    c, _ = _small(tmp_path, "c", seed=43)
    assert a.read_bytes() == b.read_bytes()
    ja, jb = json.loads(sa.read_text()), json.loads(sb.read_text())
    ja.pop("output"), jb.pop("output")
    assert ja == jb
    assert a.read_bytes() != c.read_bytes()


def test_no_output_written_when_the_run_fails(tmp_path: Path) -> None:
    out = tmp_path / "x.parquet"
    with pytest.raises(ArgumentError):
        simulate("beijing-baseline", days=1, seed=1, output=out, overrides=["intake.agents=0"])
    assert not out.exists()


# ---------------------------------------------------------------- scenarios

def test_overrides_are_typed_and_echoed(tmp_path: Path) -> None:
    sc = load_scenario("beijing-baseline", ["intake.agents=800", "intake.arrival_rate_per_hour=2000",
                                            "dispatch.exclude_upheld=false", "scenario.start=2024-05-01",
                                            "handling.capacity.110101=9",
                                            "cases.category_weights.HEALTH=3"])
    assert sc.get("intake.agents") == 800 and isinstance(sc.get("intake.agents"), int)
    assert sc.get("intake.arrival_rate_per_hour") == 2000.0
    assert isinstance(sc.get("intake.arrival_rate_per_hour"), float)
    assert sc.get("dispatch.exclude_upheld") is False
    assert sc.get("scenario.start") == "2024-05-01"
    assert sc.get("handling.capacity") == {"110101": 9}
    assert sc.overrides["intake.agents"] == 800
    s = simulate(sc, days=1, seed=1)
    assert s["parameters"]["intake"]["agents"] == 800
    assert s["overrides"]["intake.agents"] == 800
    cap = {u["unit"]: u["capacity"] for u in s["units"]}
    assert cap["110101"] == 9


@pytest.mark.parametrize("item", ["intake.agnts=5", "intake=5", "intake.agents", "intake.agents=abc",
                                  "intake.agents=2.5", "intake.agents=0", "dispatch.exclude_upheld=2",
                                  "intake.hourly_profile=[1,2]", "nope.x=1",
                                  "dispatch.objection_probability=1.5"])
def test_bad_overrides_are_usage_errors(item: str) -> None:
    with pytest.raises(ArgumentError):
        load_scenario("beijing-baseline", [item])


def test_override_with_unknown_profile_id_is_a_usage_error() -> None:
    with pytest.raises(ArgumentError):
        simulate("beijing-baseline", days=1, seed=1, overrides=["cases.category_weights.NOPE=2"])


@pytest.mark.parametrize("text", [
    "[intake]\nagnts = 5\n",
    "[intake]\nagents = 'many'\n",
    "[intake]\nagents = 0\n",
    "not toml [",
    "[intake.channel_shares]\nfax = 1.0\n",
    "[cases.category_weights]\nNOPE = 1.0\n",
    "[disposition.dispatched]\nhelp = 0.9\n[disposition.transferred]\nhelp = 0.2\n",
])
def test_broken_scenario_files_are_profile_errors(tmp_path: Path, text: str) -> None:
    path = tmp_path / "bad.toml"
    path.write_text(text, encoding="utf-8")
    with pytest.raises(ProfileError):
        simulate(path, days=1, seed=1)


def test_built_in_scenario_names_and_defaults() -> None:
    from jiesu.simulation import built_in_scenarios

    assert "beijing-baseline" in built_in_scenarios()
    sc = load_scenario(MMC)
    assert sc.name == "mmc" and sc.get("intake.agents") == 10
    with pytest.raises(ProfileError):
        load_scenario("no-such-scenario")


def test_category_dispatch_factor_and_fewer_agents_are_what_ifs() -> None:
    base = ["intake.arrival_rate_per_hour=400"]
    off = simulate("beijing-baseline", days=2, seed=3, keep_table=True,
              overrides=[*base, "disposition.category_dispatch_factor.HEALTH=0"])
    t = off.table
    health = pc.equal(t["category"].cast(pa.string()), "HEALTH")
    dispatched = pc.equal(t["disposition"].cast(pa.string()), "dispatched")
    assert pc.sum(health).as_py() > 200
    assert pc.sum(pc.and_(health, dispatched)).as_py() == 0
    assert pc.sum(dispatched).as_py() > 0
    full = simulate("beijing-baseline", days=2, seed=3, keep_table=True,
               overrides=[*base, "disposition.category_dispatch_factor.HEALTH=100"])
    t = full.table
    health = pc.equal(t["category"].cast(pa.string()), "HEALTH")
    types = t.filter(pc.and_(health, pc.equal(t["disposition"].cast(pa.string()), "answered")))
    # the factor is capped at 1 - transferred - not dispatched: nothing is left answered
    assert types.num_rows == 0
    short = simulate("beijing-baseline", days=2, seed=3, overrides=[*base, "intake.agents=36"])
    assert short["intake"]["p_wait"] > off["intake"]["p_wait"] + 0.05


def test_progress_reaches_the_end_in_order(tmp_path: Path) -> None:
    seen: list[tuple[int, int]] = []
    simulate(MMC, days=1, seed=1, output=tmp_path / "p.parquet", progress=lambda done, total: seen.append((done, total)))
    done = [d for d, _ in seen]
    assert done == sorted(done) and done[-1] == seen[-1][1] == 1000 and len(done) >= 7


def test_a_scenario_file_names_its_profile_relative_to_itself(tmp_path: Path) -> None:
    from importlib import resources

    text = resources.files("jiesu").joinpath("profiles", "beijing.toml").read_text("utf-8")
    (tmp_path / "city.toml").write_text(text.replace('id = "beijing"', 'id = "copycity"', 1), "utf-8")
    (tmp_path / "s.toml").write_text('[scenario]\nprofile = "city.toml"\n', "utf-8")
    s = simulate(tmp_path / "s.toml", days=1, seed=1)
    assert s["profile"] == "copycity"
    (tmp_path / "t.toml").write_text('[scenario]\nprofile = "missing.toml"\n', "utf-8")
    with pytest.raises(ProfileError):
        simulate(tmp_path / "t.toml", days=1, seed=1)


# ---------------------------------------------------------------- the --set parser, property-tested


@settings(max_examples=200, deadline=None)
@given(agents=st.integers(1, 10**6), rate=st.floats(0, 1e7, allow_nan=False),
       flag=st.booleans(), name=st.text(st.characters(blacklist_categories=("Cs",)), max_size=30))
def test_overrides_round_trip_their_types(agents: int, rate: float, flag: bool, name: str) -> None:
    import copy

    params = copy.deepcopy(DEFAULTS)
    assert apply_override(params, f"intake.agents={agents}") == ("intake.agents", agents)
    _, value = apply_override(params, f"intake.arrival_rate_per_hour={rate!r}")
    assert value == rate and isinstance(value, float)
    assert apply_override(params, f"dispatch.exclude_upheld={str(flag).lower()}")[1] is flag
    assert apply_override(params, f"scenario.description={name}")[1] == name.strip()
    assert params["intake"]["agents"] == agents


@settings(max_examples=200, deadline=None)
@given(st.text(max_size=40))
def test_override_parser_never_crashes(item: str) -> None:
    import copy

    try:
        apply_override(copy.deepcopy(DEFAULTS), item)
    except ArgumentError:
        pass


# ---------------------------------------------------------------- limits (issue 8)

def _over(key: str, limit: float) -> str:
    """A --set just past a parameter's bound (an open table's key named from the profile)."""
    from jiesu.simulation.scenario import SYMMETRIC

    name = {"cases.category_weights.*": "cases.category_weights.ENV-SANIT",
            "cases.district_weights.*": "cases.district_weights.110101",
            "disposition.category_dispatch_factor.*": "disposition.category_dispatch_factor.ENV-SANIT",
            "handling.capacity.*": "handling.capacity.110101001",
            "intake.channel_shares.*": "intake.channel_shares.web",
            "cases.request_type_shares.*": "cases.request_type_shares.help"}.get(key, key)
    if key in ("intake.hourly_profile", "intake.weekday_profile"):
        n = 24 if key.endswith("hourly_profile") else 7
        return f"{name}=[{', '.join([repr(float(limit) * 2)] + ['1.0'] * (n - 1))}]"
    value = -2 * limit if name in SYMMETRIC else 2 * limit
    return f"{name}={int(value) if isinstance(limit, int) else repr(float(value))}"


@pytest.mark.parametrize("key", sorted(k for k in MAXIMA if not k.startswith("surges.")))
def test_every_bounded_parameter_refuses_a_value_past_its_bound(key: str) -> None:
    with pytest.raises(ArgumentError, match="must be"):
        load_scenario("beijing-baseline", [_over(key, MAXIMA[key])])


def test_a_surge_is_bounded_and_counted_in_the_size_estimate(tmp_path: Path) -> None:
    from jiesu.simulation.run import BASE_BYTES, BYTES_PER_REQUEST, size_estimate

    surge = ('[intake]\narrival_rate_per_hour = 1000.0\n[surges.flood]\ncategory = "ENV-SANIT"\n'
             'start = "2024-01-03"\ndays = 2\nfactor = {}\n')
    path = tmp_path / "s.toml"
    path.write_text(surge.format(1001.0), encoding="utf-8")
    with pytest.raises(ProfileError, match="factor must be more than 0 and at most 1,000"):
        load_scenario(path)
    path.write_text(surge.format(11.0), encoding="utf-8")
    scenario = load_scenario(path)
    # 10 more times the category's share of 1000 an hour, for the surge's 48 hours (in 10 days)
    weights = scenario.get("cases.category_weights")
    share = weights.get("ENV-SANIT", 1.0) / sum(weights.get(c.code, 1.0) for c in load_profile().categories)
    assert size_estimate(scenario, 10)[0] == math.ceil(240_000 + 10 * share * 1000 * 48)
    assert size_estimate(scenario, 2)[0] == 48_000  # the run ends before the surge starts (day 3)
    extra = math.ceil(72_000 + 10 * share * 1000 * 24)  # 3 days: the surge's first day only
    assert size_estimate(scenario, 3) == (extra, BASE_BYTES + BYTES_PER_REQUEST * extra)


def test_size_estimate_is_rate_times_hours() -> None:
    from jiesu.errors import TooLargeError
    from jiesu.simulation.run import BASE_BYTES, BYTES_PER_REQUEST, check_size, size_estimate

    scenario = load_scenario("beijing-baseline", ["intake.arrival_rate_per_hour=1000"])
    assert size_estimate(scenario, 10) == (240_000, BASE_BYTES + 240_000 * BYTES_PER_REQUEST)
    check_size(scenario, 10, available=BASE_BYTES + 240_000 * BYTES_PER_REQUEST)  # fits exactly
    with pytest.raises(TooLargeError, match="240,000 requests"):
        check_size(scenario, 10, available=BASE_BYTES + 240_000 * BYTES_PER_REQUEST - 1)


def test_simulate_never_writes_over_its_scenario_or_profile(tmp_path: Path) -> None:
    from jiesu.errors import OutputError

    scenario = tmp_path / "s.toml"
    scenario.write_text(MMC.read_text(encoding="utf-8"), encoding="utf-8")
    before = scenario.read_bytes()
    for kw in ({"output": scenario}, {"summary": scenario}, {"output": tmp_path / "x.parquet", "summary": tmp_path / "x.parquet"}):
        with pytest.raises(OutputError):
            simulate(scenario, days=1, **kw)
    assert scenario.read_bytes() == before and not (tmp_path / "x.parquet").exists()
