"""The monthly ranking: hand-worked fixture (fixtures/scoring/README.md) and rules on built counts."""

from __future__ import annotations

import dataclasses
from pathlib import Path

import pytest

from jiesu.errors import ArgumentError
from jiesu.months import month_index
from jiesu.profile import Unit, load_profile
from jiesu.ranking import class_tables, rank, rank_rows
from jiesu.scoring import Aggregate

FIX = Path(__file__).resolve().parents[1] / "fixtures" / "scoring"
CASES = FIX / "cases.csv"


@pytest.fixture(scope="module")
def city():
    return load_profile(FIX / "profile.toml")


def by_unit(rows):
    return {r["unit"]: r for r in rows}


# ---------------------------------------------------------------- the fixture, by hand

def test_street_ranking_february(city):
    rows = rank([CASES], profile=city, month="2024-02", level="street")
    assert [(r["unit"], r["rank"]) for r in rows] == [("S12", 1), ("S21", 1), ("S11", 3), ("S22", None)]
    u = by_unit(rows)
    assert u["S12"]["name"] == "二街" and u["S12"]["level"] == "street"
    assert u["S12"]["composite"] == pytest.approx(82.0) and u["S21"]["composite"] == u["S12"]["composite"]
    assert u["S12"]["previous_composite"] == pytest.approx(100.0) and u["S12"]["change"] == pytest.approx(-18.0)
    assert u["S21"]["previous_composite"] is None and u["S21"]["change"] is None
    assert u["S11"]["composite"] == pytest.approx(68.4) and u["S11"]["change"] == pytest.approx(58.4)
    assert u["S22"]["scored"] == 2 and u["S22"]["composite"] == pytest.approx(100.0)  # shown, not ranked
    assert {k: u[k]["requests"] for k in u} == {"S11": 8, "S12": 5, "S21": 10, "S22": 2}
    assert {k: u[k]["classes"] for k in u} == {
        "S12": ["advanced"], "S21": ["advanced"],
        "S11": ["improving", "rectification"],
        "S22": ["governance"],  # 20 requests per 10,000 residents, the most; no minimum needed
    }
    assert u["S11"]["response_rate"] == pytest.approx(0.8)


def test_district_ranking_is_territorial(city):
    rows = rank([CASES], profile=city, month="2024-02", level="district")
    u = by_unit(rows)
    assert [r["unit"] for r in rows] == ["D2", "D1"]
    assert u["D1"]["scored"] == 11 and u["D1"]["composite"] == pytest.approx(852 / 11)
    assert u["D1"]["previous_composite"] == pytest.approx(55.0)
    assert u["D1"]["change"] == pytest.approx(852 / 11 - 55)
    assert u["D2"]["scored"] == 12 and u["D2"]["composite"] == pytest.approx(85.0)
    assert (u["D1"]["requests"], u["D2"]["requests"]) == (14, 12)
    assert u["D2"]["classes"] == ["advanced"]
    assert u["D1"]["classes"] == ["improving", "rectification", "governance"]


def test_department_ranking_has_no_room_for_advanced(city):
    (m1,) = rank([CASES], profile=city, month="2024-02", level="department")
    assert m1["rank"] == 1 and m1["composite"] == pytest.approx(200 / 3)
    assert m1["classes"] == ["governance"]


def test_no_callback_export_lists_units_unranked_with_requests(city):
    rows = by_unit(rank([FIX / "no_callback.csv"], profile=city, month="2024-05", level="street"))
    assert all(r["rank"] is None and r["composite"] is None and r["response_rate"] is None for r in rows.values())
    assert (rows["S11"]["requests"], rows["S21"]["requests"]) == (2, 1)
    assert rows["S11"]["classes"] == ["governance"]


def test_unknown_level_is_a_usage_error(city):
    only_streets = dataclasses.replace(city, ranking=dataclasses.replace(city.ranking, levels=("street",)))
    with pytest.raises(ArgumentError):
        rank([CASES], profile=only_streets, month="2024-02", level="district")
    with pytest.raises(ArgumentError):
        rank([CASES], profile=city, month="2024-02", level="city")


# ---------------------------------------------------------------- rules on built counts

MONTH = month_index(2024, 6)


def counts(scored, contacted, resolved, satisfied, basically=0, requests=0):
    return {"scored": scored, "contacted": contacted, "contacted_known": scored, "resolved": resolved,
            "resolved_known": scored, "satisfied": satisfied, "basically_satisfied": basically,
            "satisfaction_known": scored, "callbacks": scored, "requests": requests}


def agg_of(groups: dict[tuple[int, str], dict]) -> Aggregate:
    recs = [{"month": f"{m // 12:04d}-{m % 12 + 1:02d}", "key": k, **c} for (m, k), c in groups.items()]
    return Aggregate.from_records("unit", recs)


def street_city(n: int, class_size: int = 10, population: bool = False, min_scored: int = 5):
    base = load_profile(FIX / "profile.toml")
    units = [Unit("D1", "一区", "district")] + [
        Unit(f"X{i:02d}", f"街{i}", "street", "D1", None, 1000 * (i + 1) if population else None) for i in range(n)]
    return dataclasses.replace(
        base, units=tuple(units),
        scoring=dataclasses.replace(base.scoring, min_scored=min_scored),
        ranking=dataclasses.replace(base.ranking, class_size=class_size))


def test_ties_need_exact_arithmetic_and_use_competition_ranking():
    p = street_city(3)
    # X00: 0.1*1 + 0.5*0.8 + 0.4*1 = 0.9; X01: 0.1*0.5 + 0.5*0.9 + 0.4*1 = 0.9 -> both 90; X02 lower
    agg = agg_of({(MONTH, "X00"): counts(10, 10, 8, 10), (MONTH, "X01"): counts(10, 5, 9, 10),
                  (MONTH, "X02"): counts(10, 10, 5, 10)})
    rows = rank_rows(agg, p, MONTH, "street")
    assert [(r["unit"], r["rank"]) for r in rows] == [("X00", 1), ("X01", 1), ("X02", 3)]
    assert rows[0]["composite"] == rows[1]["composite"] == pytest.approx(90.0)


def test_minimum_volume_and_incomplete_composites_are_unranked():
    p = street_city(3, min_scored=5)
    agg = agg_of({(MONTH, "X00"): counts(4, 4, 4, 4), (MONTH, "X01"): counts(5, 0, 0, 0)})
    rows = by_unit(rank_rows(agg, p, MONTH, "street"))
    assert rows["X00"]["rank"] is None and rows["X00"]["composite"] == pytest.approx(100.0)
    assert rows["X01"]["rank"] == 1 and rows["X01"]["composite"] == 0.0
    assert rows["X02"]["rank"] is None and rows["X02"]["scored"] == 0 and rows["X02"]["composite"] is None


def test_class_cut_offs_include_ties_and_top_and_bottom_never_overlap():
    p = street_city(12, class_size=2)
    # composites 100, 90, 90, 80, ..., with X11 and X10 tied at the bottom
    values = [10, 9, 9, 8, 7, 6, 6, 5, 4, 3, 2, 2]
    agg = agg_of({(MONTH, f"X{i:02d}"): counts(10, 10, v, v) for i, v in enumerate(values)})
    rows = by_unit(rank_rows(agg, p, MONTH, "street"))
    adv = {u for u, r in rows.items() if "advanced" in r["classes"]}
    rect = {u for u, r in rows.items() if "rectification" in r["classes"]}
    assert adv == {"X00", "X01", "X02"}  # 2 places, the tie at the cut-off included
    assert rect == {"X10", "X11"}
    everyone_tied = agg_of({(MONTH, f"X{i:02d}"): counts(10, 10, 10, 10) for i in range(12)})
    rows = rank_rows(everyone_tied, p, MONTH, "street")
    assert all(r["rank"] == 1 and r["classes"] == ["advanced"] for r in rows)  # never also rectification


def test_improving_needs_a_ranked_previous_month_and_a_gain():
    p = street_city(4, class_size=1, min_scored=5)
    prev = MONTH - 1
    agg = agg_of({
        (MONTH, "X00"): counts(10, 10, 10, 10), (prev, "X00"): counts(10, 10, 9, 10),   # +5
        (MONTH, "X01"): counts(10, 10, 8, 8), (prev, "X01"): counts(10, 10, 2, 2),      # +54, best gain
        (MONTH, "X02"): counts(10, 10, 10, 10), (prev, "X02"): counts(2, 0, 0, 0),      # prev below minimum
        (MONTH, "X03"): counts(10, 10, 5, 5), (prev, "X03"): counts(10, 10, 6, 6),      # a loss
    })
    rows = by_unit(rank_rows(agg, p, MONTH, "street"))
    assert [u for u, r in rows.items() if "improving" in r["classes"]] == ["X01"]
    assert rows["X01"]["change"] == pytest.approx(54.0)
    assert rows["X02"]["previous_composite"] == pytest.approx(0.0) and rows["X02"]["change"] == pytest.approx(100.0)


def test_governance_per_residents_only_when_every_unit_has_a_population():
    agg = agg_of({(MONTH, "X00"): counts(10, 10, 10, 10, requests=50),
                  (MONTH, "X01"): counts(10, 10, 10, 10, requests=30)})
    raw = by_unit(rank_rows(agg, street_city(2, class_size=1), MONTH, "street"))
    assert [u for u, r in raw.items() if "governance" in r["classes"]] == ["X00"]
    # populations 1000 and 2000: 500 vs 150 per 10,000 -> still X00; make X01 smaller
    per = street_city(2, class_size=1, population=True)
    per = dataclasses.replace(per, units=tuple(
        dataclasses.replace(u, population=100) if u.id == "X01" else u for u in per.units))
    rows = rank_rows(agg, per, MONTH, "street")
    assert [r["unit"] for r in rows if "governance" in r["classes"]] == ["X01"]  # 3000 vs 500 per 10,000
    assert class_tables(rows, per)["governance"][0]["unit"] == "X01"


def test_class_tables_order_each_class_in_its_own_sense(city):
    rows = rank([CASES], profile=city, month="2024-02", level="street")
    tables = class_tables(rows, city)
    assert [r["unit"] for r in tables["advanced"]] == ["S12", "S21"]
    assert [r["unit"] for r in tables["rectification"]] == ["S11"]
    assert [r["unit"] for r in tables["improving"]] == ["S11"]
    assert [r["unit"] for r in tables["governance"]] == ["S22"]


def test_improving_never_takes_a_unit_whose_composite_fell_or_stayed():
    p = street_city(4, class_size=3, min_scored=5)
    prev = MONTH - 1
    agg = agg_of({
        (MONTH, "X00"): counts(10, 10, 10, 10), (prev, "X00"): counts(10, 10, 9, 10),   # +5
        (MONTH, "X01"): counts(10, 10, 8, 8), (prev, "X01"): counts(10, 10, 2, 2),      # +54
        (MONTH, "X02"): counts(10, 10, 7, 7), (prev, "X02"): counts(10, 10, 7, 7),      # 0: no gain
        (MONTH, "X03"): counts(10, 10, 5, 5), (prev, "X03"): counts(10, 10, 6, 6),      # a loss
    })
    rows = by_unit(rank_rows(agg, p, MONTH, "street"))
    # three places, but only two units gained
    assert sorted(u for u, r in rows.items() if "improving" in r["classes"]) == ["X00", "X01"]


def test_governance_counts_raw_requests_when_only_some_units_have_a_population():
    agg = agg_of({(MONTH, "X00"): counts(10, 10, 10, 10, requests=30),
                  (MONTH, "X01"): counts(10, 10, 10, 10, requests=50)})
    some = street_city(2, class_size=1)
    some = dataclasses.replace(some, units=tuple(
        dataclasses.replace(u, population=100) if u.id == "X01" else u for u in some.units))
    # raw counts: X01 (50) leads X00 (30); dividing only X01 by its population would put X00 first
    rows = rank_rows(agg, some, MONTH, "street")
    assert [r["unit"] for r in rows if "governance" in r["classes"]] == ["X01"]
    assert [r["unit"] for r in class_tables(rows, some)["governance"]] == ["X01"]


# ---------------------------------------------------------------- classes per level (issue 13)

def _with_classes(city, sizes, exclusive=False):
    return dataclasses.replace(city, ranking=dataclasses.replace(city.ranking, class_sizes=sizes,
                                                                 exclusive_classes=exclusive))


def test_a_level_has_its_own_class_size(city):
    three = _with_classes(city, {"street": 3})
    u = by_unit(rank([CASES], profile=three, month="2024-02", level="street"))
    # governance per 10,000 residents: S22 20, S11 8, S12 2.5, S21 1 -> the three most
    assert {k for k, r in u.items() if "governance" in r["classes"]} == {"S22", "S11", "S12"}
    assert u["S12"]["classes"] == ["advanced", "governance"]  # advanced still capped at half the ranked
    (m1,) = rank([CASES], profile=three, month="2024-02", level="department")
    assert m1["classes"] == ["governance"]  # the department level keeps class_size 1


def test_exclusive_classes_place_a_unit_once(city):
    rows = by_unit(rank([CASES], profile=_with_classes(city, {"street": 3}, exclusive=True), month="2024-02",
                        level="street"))
    assert {k: r["classes"] for k, r in rows.items()} == {
        "S12": ["advanced"], "S21": ["advanced"], "S11": ["rectification"], "S22": ["governance"]}
