"""Beijing's ranked units as the official record counts them (issue 16): 343 streets and townships
(349 statistical entries less six zones), 17 units at district tier (16 districts and 经开区), the
territorial district ranking counting each case once, and the levels named in Chinese.

Every expectation is computed from ../shared/reference/beijing or worked out by hand below, never
from the profile's own methods.
"""

from __future__ import annotations

import csv
import json
import re
import shlex
import tomllib
from collections import Counter
from pathlib import Path

import pyarrow as pa
import pyarrow.compute as pc
import pyarrow.parquet as pq
import pytest
from typer.testing import CliRunner

from jiesu.cli.app import app
from jiesu.errors import ProfileError
from jiesu.profile import load_profile, parse_profile, profile_problems
from jiesu.ranking import rank

ROOT = Path(__file__).resolve().parents[1]
REF = ROOT.parent / "shared" / "reference" / "beijing"
PROFILE_FILE = ROOT / "src" / "jiesu" / "profiles" / "beijing.toml"
DOC = ROOT / "docs" / "beijing.md"
BDA = "110115403"  # 北京经济技术开发区
ZONES = {BDA, "110115404", "110115405", "110115406", "110116400", "110118400"}
runner = CliRunner()


def reference() -> tuple[dict[str, str], dict[str, tuple[str, str]]]:
    """(district code -> name, township-level code -> (name, district code)) from the reference CSVs."""
    with open(REF / "districts.csv", encoding="utf-8") as f:
        districts = {r["code"]: r["name"] for r in csv.DictReader(f)}
    with open(REF / "streets.csv", encoding="utf-8") as f:
        streets = {r["code"]: (r["name"], r["district_code"]) for r in csv.DictReader(f)}
    return districts, streets


# ---------------------------------------------------------------- the profile's counts

def test_the_counts_come_from_the_reference_data():
    districts, streets = reference()
    assert (len(districts), len(streets)) == (16, 349)
    assert {c for c in streets if c[6] == "4"} == ZONES  # the six entries with 4 as 7th digit
    p = load_profile()
    # every statistical entry stays a valid case location, in the district it lies in
    assert {u.id: (u.name, u.district) for u in p.places} == streets
    assert p.street_ids == set(streets)
    assert {u.id for u in p.units if u.kind == "zone"} == ZONES
    # the street ranking: 349 - 6 = 343 streets and townships
    street_units = p.ranked_units("street")
    assert len(street_units) == 343
    assert {u.id for u in street_units} == set(streets) - ZONES
    # the district tier: 16 districts + 经开区 = 17
    tier = {u.id: u.name for u in p.ranked_units("district")}
    assert tier == {**districts, BDA: "北京经济技术开发区"}
    bda = p.unit_by_id[BDA]
    assert (bda.level, bda.kind, bda.district, bda.territory) == ("district", "zone", "110115", (BDA,))
    # the five other zones: street level, never ranked, their territory their district's
    for z in ZONES - {BDA}:
        assert p.unit_by_id[z].level == "street"
        assert p.territory_of[z] == streets[z][1]
    assert p.territory_of[BDA] == BDA


def test_the_zone_setting_is_illustrative_and_says_so():
    data = tomllib.loads(PROFILE_FILE.read_text(encoding="utf-8"))
    assert data["zones"]["illustrative"] is True
    assert data["zones"]["dispatch"] == "district"
    assert "does not publish" in data["zones"]["note"]
    for z in sorted(ZONES - {BDA}):
        assert z in data["zones"]["note"]
    assert load_profile().zones.illustrative
    bda = next(u for u in data["units"] if u["id"] == BDA)
    assert "16区和经开区" in bda["note"]


def _data() -> dict:
    return tomllib.loads(PROFILE_FILE.read_text(encoding="utf-8"))


def _unit(data: dict, uid: str) -> dict:
    return next(u for u in data["units"] if u["id"] == uid)


def _index(data: dict, uid: str) -> int:
    return next(i for i, u in enumerate(data["units"]) if u["id"] == uid)


BDA_AT = _index(_data(), BDA)
ZONE_AT = _index(_data(), "110115404")


@pytest.mark.parametrize("breaks, message", [
    (lambda d: _unit(d, BDA).update(territory=["110115403", "nowhere"]),
     f"units[{BDA_AT}].territory[1]: 'nowhere' is not the id of a street or zone unit$"),
    (lambda d: _unit(d, BDA).update(territory=["110115403", "110101"]),
     f"units[{BDA_AT}].territory[1]: '110101' is not the id of a street or zone unit$"),
    (lambda d: _unit(d, "110115").update(territory=["110115001", "110115403"]),
     "units[11].territory[1]: '110115403' is a unit of district tier with a territory of its own$"),
    (lambda d: _unit(d, "110115").update(territory=["110115001", "110115404"]) or _unit(d, BDA).update(
        territory=["110115403", "110115001"]),
     f"units[{BDA_AT}].territory[1]: '110115001' is already in the territory of units[11]$"),
    (lambda d: _unit(d, BDA).update(territory=["110115403", "110115403"]),
     f"units[{BDA_AT}].territory: ['110115403', '110115403'] has non-unique elements$"),
    (lambda d: _unit(d, "110101001").update(territory=["110101001"]),
     "units[16].level: 'district' was expected$"),
    (lambda d: _unit(d, "M-ZJW").update(kind="zone", district="110101"),
     "is not one of ['street', 'district']$"),
    (lambda d: _unit(d, "110115404").pop("district"),
     f"units[{ZONE_AT}]: 'district' is a required property$"),
    (lambda d: _unit(d, "110115404").update(district="M-ZJW"),
     f"units[{ZONE_AT}].district: street '110115404' needs the id of a district unit, got 'M-ZJW'$"),
    (lambda d: _unit(d, BDA).update(district=BDA),
     f"units[{BDA_AT}].district: zone '110115403' needs the id of the district unit it lies in, got '110115403'$"),
    (lambda d: _unit(d, BDA).update(kind="park"), f"units[{BDA_AT}].kind: 'park' is not one of ['zone']$"),
    (lambda d: d["zones"].update(dispatch="city"), "zones.dispatch: 'city' is not one of ['district', 'zone']$"),
])
def test_broken_zones_and_territories_fail_with_one_line_naming_the_key(breaks, message):
    data = _data()
    breaks(data)
    problems = profile_problems(data)
    assert len(problems) == 1, problems
    assert re.search(re.escape(message[:-1]) + "$", problems[0]), problems[0]
    with pytest.raises(ProfileError):
        parse_profile(data)


def test_the_docs_excerpt_of_the_profile_is_the_profile():
    block = re.search(r"```toml\n(.*?)```", DOC.read_text(encoding="utf-8"), re.DOTALL).group(1)
    excerpt, data = tomllib.loads(block), _data()
    assert len(excerpt["units"]) == 3
    for unit in excerpt["units"]:
        assert unit.items() <= _unit(data, unit["id"]).items()
    assert excerpt["zones"]["dispatch"] == data["zones"]["dispatch"]
    assert excerpt["zones"]["illustrative"] == data["zones"]["illustrative"]


def test_profile_check_passes_on_the_built_in_profile():
    result = runner.invoke(app, ["profile", "check", str(PROFILE_FILE)])
    assert result.exit_code == 0 and result.stdout == ""


# ---------------------------------------------------------------- the territorial rule, by hand

CITY = """
[city]
id = "zoned"
name = "测试市"
timezone = "Asia/Shanghai"
language = "zh"

[time_limits]
consultation = 24
help = 168
complaint = 168
report = 168
suggestion = 360
other = 168

[scoring]
response_method = "callback"
basically_satisfied_weight = 0.9
weight_set = "w"
min_scored = 1

[scoring.weight_sets.w]
response = 0.1
resolution = 0.5
satisfaction = 0.4

[ranking]
class_size = 1

[[categories]]
code = "GEN"
name = "一般"
handler = "street"

[[units]]
id = "D1"
name = "一区"
level = "district"

[[units]]
id = "D2"
name = "二区"
level = "district"

[[units]]
id = "Z"
name = "开发区"
level = "district"
kind = "zone"
district = "D1"
territory = ["Z", "S12"]

[[units]]
id = "S11"
name = "一街"
level = "street"
district = "D1"

[[units]]
id = "S12"
name = "二街"
level = "street"
district = "D1"

[[units]]
id = "S21"
name = "三街"
level = "street"
district = "D2"

[[units]]
id = "Y"
name = "机场"
level = "street"
kind = "zone"
district = "D2"

[[units]]
id = "M1"
name = "市某局"
level = "department"
"""

# (case, handler, street, district, the district-tier unit it counts for, worked out by hand)
ROWS = [
    ("A01", "S11", "S11", "D1", "D1"),
    ("A02", "D1", "S11", "D1", "D1"),
    ("A03", "S12", "S12", "D1", "Z"),    # S12 lies in Z's territory; D1 is what Z is carved from
    ("A04", "Z", "S12", "D1", "Z"),
    ("A05", "D1", "S12", "D1", None),    # D1 handled it, but S12 lies in Z's territory
    ("A06", "Z", "Z", "D1", "Z"),        # Z's own entry, statistically in D1
    ("A07", "Z", "Z", "Z", "Z"),         # the district column may name Z itself
    ("A08", "Z", "", "D1", "Z"),         # no street: D1 does not contradict Z
    ("A09", "Z", "", "", "Z"),
    ("A10", "Z", "S11", "D1", None),     # S11 lies in D1's territory
    ("A11", "Y", "Y", "D2", "D2"),       # a zone below district tier lies in its district
    ("A12", "D2", "Y", "D2", "D2"),
    ("A13", "Z", "", "D2", None),
    ("A14", "M1", "S21", "D2", None),    # a department is no district's
    ("A15", "S11", "S99", "D1", None),   # a place the profile does not know lies nowhere
    ("A16", "D1", "Z", "D1", None),      # Z's entry is Z's, not D1's
    ("A17", "D1", "", "Z", None),
    ("A18", "S12", "", "", "Z"),
]
LEVEL = {"D1": "district", "D2": "district", "Z": "district", "S11": "street", "S12": "street",
         "Y": "street", "M1": "department"}


@pytest.fixture(scope="module")
def zoned(tmp_path_factory):
    folder = tmp_path_factory.mktemp("zoned")
    (folder / "city.toml").write_text(CITY, encoding="utf-8")
    with open(folder / "cases.csv", "w", encoding="utf-8", newline="") as f:
        w = csv.writer(f)
        w.writerow(["case_id", "received_at", "disposition", "district", "street", "unit", "unit_level",
                    "callback_at", "callback_valid", "contacted", "resolved", "satisfaction", "excluded"])
        for case, unit, street, district, _ in ROWS:
            w.writerow([case, "2024-02-05T02:00:00Z", "dispatched", district, street, unit, LEVEL[unit],
                        "2024-02-20T02:00:00Z", "true", "true", "true", "satisfied", "false"])
    return folder / "city.toml", folder / "cases.csv"


def test_each_case_counts_for_one_territory_at_most(zoned):
    city, cases = zoned
    rows = {r["unit"]: r for r in rank([cases], profile=city, month="2024-02", level="district")}
    expected = Counter(t for *_, t in ROWS if t is not None)
    assert expected == {"D1": 2, "Z": 7, "D2": 2}
    assert {u: r["requests"] for u, r in rows.items()} == expected
    assert {u: r["scored"] for u, r in rows.items()} == expected
    assert sum(r["requests"] for r in rows.values()) == 11  # of 18 cases: none twice


def test_zones_below_district_tier_are_not_in_the_street_ranking(zoned):
    city, cases = zoned
    rows = rank([cases], profile=city, month="2024-02", level="street")
    assert {r["unit"]: r["requests"] for r in rows} == {"S11": 2, "S12": 2, "S21": 0}


def test_the_street_and_district_columns_may_name_a_place_or_its_territory():
    from jiesu.validation.semantic import semantic_failures

    p = load_profile()
    pairs = [(BDA, "110115"), (BDA, BDA), (BDA, "110101"), ("110115001", BDA), ("110115001", "110115"),
             ("110115404", "110115"), ("110115404", BDA), (None, BDA)]
    table = pa.table({"street": [s for s, _ in pairs], "district": [d for _, d in pairs]})
    found = {code: m.tolist() for code, _, _, m in semantic_failures(table, p, {})}
    assert found["street-outside-district"] == [False, False, True, True, False, False, True, False]
    assert not any(found["unknown-street"]) and not any(found["unknown-district"])


# ---------------------------------------------------------------- simulated Beijing, through the CLI

def doc_commands() -> list[list[str]]:
    """The `jiesu` lines of docs/beijing.md's sh block (the doc's example, run as the test)."""
    block = re.search(r"```sh\n(.*?)```", DOC.read_text(encoding="utf-8"), re.DOTALL).group(1)
    return [shlex.split(line)[1:] for line in block.splitlines() if line.startswith("jiesu ")]


@pytest.fixture(scope="module")
def simulated(tmp_path_factory, request):
    """Two days of the Beijing baseline, simulated and ranked by the commands in docs/beijing.md."""
    import os

    folder = tmp_path_factory.mktemp("bj")
    here = os.getcwd()
    os.chdir(folder)
    try:
        outputs = []
        for args in doc_commands():
            result = runner.invoke(app, args)
            assert result.exit_code == 0, (args, result.stderr)
            outputs.append(result.stdout)
    finally:
        os.chdir(here)
    return folder, outputs


def _territorial_requests(cases: Path, month: tuple[int, int]) -> tuple[Counter, int]:
    """Requests (dispatched, received in the month in Beijing time) per district-tier unit under the
    rule of docs/beijing.md, computed from the reference CSVs; and how many cases were counted."""
    districts, streets = reference()
    t = pq.read_table(cases, columns=["case_id", "disposition", "received_at", "unit", "street", "district"])
    t = t.filter(pc.equal(t["disposition"].cast(pa.string()), "dispatched"))
    local = pc.cast(t["received_at"], pa.timestamp("us", tz="Asia/Shanghai"))
    t = t.filter(pc.and_(pc.equal(pc.year(local), month[0]), pc.equal(pc.month(local), month[1])))
    place = {code: (BDA if code == BDA else d) for code, (_, d) in streets.items()}  # where each place lies
    handler = {**{d: d for d in districts}, **place}
    counts: Counter = Counter()
    cols = [t[c].cast(pa.string()).to_pylist() for c in ("case_id", "unit", "street", "district")]
    seen = set()
    for case, unit, street, district in zip(*cols):
        home = handler.get(unit)
        if home is None:
            continue
        if street is not None and place.get(street) != home:
            continue
        if district is not None and district != home and not (home == BDA and district == "110115"):
            continue
        counts[home] += 1
        seen.add(case)
    return counts, len(seen)


def test_simulated_beijing_ranks_343_streets_and_17_district_tier_units(simulated):
    folder, outputs = simulated
    districts, streets = reference()
    street_rows = json.loads(outputs[1])
    assert len(street_rows) == 343
    assert {r["unit"] for r in street_rows} == set(streets) - ZONES
    assert {r["level"] for r in street_rows} == {"street"}  # machine formats keep the key
    district_rows = json.loads(outputs[2])
    assert len(district_rows) == 17
    assert {r["unit"]: r["name"] for r in district_rows} == {**districts, BDA: "北京经济技术开发区"}
    # no case counted twice: each unit's requests and their sum equal an independent count
    expected, cases = _territorial_requests(folder / "cases.parquet", (2024, 3))
    assert {r["unit"]: r["requests"] for r in district_rows} == {u: expected.get(u, 0) for u in {**districts, BDA: 0}}
    assert sum(r["requests"] for r in district_rows) == sum(expected.values()) == cases
    bda = next(r for r in district_rows if r["unit"] == BDA)
    assert bda["requests"] > 0 and bda["scored"] > 0


def test_the_chinese_table_names_the_level_in_chinese(simulated):
    _, outputs = simulated
    text = outputs[3]
    assert text.startswith("# 北京市 · 排名 · 区 · 2024-03\n")
    body = [[c.strip() for c in ln.strip("|").split("|")] for ln in text.splitlines() if ln.startswith("|")]
    level = body[0].index("层级")
    assert {row[level] for row in body[2:]} == {"区"}
    assert any("北京经济技术开发区" in row for row in body[2:])


def test_simulated_cases_in_zones_are_valid_and_dispatched_by_the_directory(simulated):
    from jiesu.validation import validate

    folder, _ = simulated
    cases = folder / "cases.parquet"
    report = validate([cases])
    assert report.errors == 0
    t = pq.read_table(cases, columns=["disposition", "street", "district", "unit", "unit_level", "category"])
    t = t.filter(pc.equal(t["disposition"].cast(pa.string()), "dispatched"))
    rows = [r for r in t.to_pylist() if r["street"] in ZONES]
    located = Counter(r["street"] for r in rows)
    assert set(located) == ZONES  # every zone is a case location
    _, streets = reference()
    p = load_profile()
    tiers = Counter()
    for r in rows:
        assert r["district"] == streets[r["street"]][1]  # the district column: where it lies
        if p.category_by_code[r["category"]].handler not in ("street", "district"):
            continue  # a department's or enterprise's case (or, after an upheld objection, the district's)
        # 经开区 handles every street- or district-tier case located in it, at district tier; the
        # five other zones send theirs to their district (zones.dispatch = "district"), even after
        # an upheld objection (the district's case then goes to the case's "street": the district)
        expected = BDA if r["street"] == BDA else r["district"]
        assert (r["unit"], r["unit_level"]) == (expected, "district"), r
        tiers[r["street"] == BDA] += 1
    assert tiers[True] > 0 and tiers[False] > 0


def test_zones_may_handle_their_own_street_cases(tmp_path):
    text = PROFILE_FILE.read_text(encoding="utf-8").replace('dispatch = "district"', 'dispatch = "zone"', 1)
    prof = tmp_path / "bj-zone.toml"
    prof.write_text(text, encoding="utf-8")
    out = tmp_path / "z.parquet"
    from jiesu.simulation import simulate

    simulate("beijing-baseline", profile=prof, days=1, seed=3, output=out,
             overrides=["intake.arrival_rate_per_hour=4000", "dispatch.objection_probability=0"])
    t = pq.read_table(out, columns=["disposition", "street", "unit", "category"]).to_pylist()
    p = load_profile(prof)
    handled = Counter((r["street"], r["unit"]) for r in t if r["disposition"] == "dispatched"
                      and r["street"] in ZONES and p.category_by_code[r["category"]].handler == "street")
    assert {street for street, unit in handled if unit == street} == ZONES
    assert all(unit == street for street, unit in handled)


# ---------------------------------------------------------------- levels for people

FIX = ROOT / "fixtures" / "scoring"


def test_one_table_of_level_labels_covers_the_schema_levels():
    from jiesu.output import LEVEL_LABELS, level_label
    from jiesu.schema import UNIT_LEVELS

    assert set(LEVEL_LABELS) == set(UNIT_LEVELS)
    assert [level_label(lv, "zh") for lv in ("street", "district", "department", "enterprise")] == [
        "街道乡镇", "区", "市级部门", "市属企业"]
    assert [level_label(lv, "en") for lv in UNIT_LEVELS] == list(UNIT_LEVELS)


@pytest.mark.parametrize("lang, heading, cell", [
    ("zh", "# 测试市 · 排名 · 街道乡镇 · 2024-02", "街道乡镇"),
    ("en", "# Fixture City · ranking · street · 2024-02", "street"),
])
def test_rank_heading_and_level_cells_in_the_output_language(lang, heading, cell, tmp_path):
    from openpyxl import load_workbook

    args = ["rank", str(FIX / "cases.csv"), "-p", str(FIX / "profile.toml"), "--month", "2024-02", "--lang", lang]
    text = runner.invoke(app, [*args, "-f", "markdown"]).stdout
    assert text.splitlines()[0] == heading
    body = [[c.strip() for c in ln.strip("|").split("|")] for ln in text.splitlines() if ln.startswith("|")]
    column = body[0].index("层级" if lang == "zh" else "level")
    assert {row[column] for row in body[2:]} == {cell}
    assert runner.invoke(app, [*args, "-f", "xlsx", "-o", str(tmp_path / "r.xlsx")]).exit_code == 0
    sheet = load_workbook(tmp_path / "r.xlsx").worksheets[0]
    header = [c.value for c in sheet[1]]
    assert {row[header.index("层级" if lang == "zh" else "level")] for row in sheet.iter_rows(min_row=2, values_only=True)} == {cell}
    page = runner.invoke(app, [*args, "-f", "html", "-o", str(tmp_path / "r.html")])
    assert page.exit_code == 0 and f'<td class="t">{cell}</td>' in (tmp_path / "r.html").read_text(encoding="utf-8")
    # machine formats keep the schema's value
    data = json.loads(runner.invoke(app, [*args, "-f", "json"]).stdout)
    assert {r["level"] for r in data} == {"street"}


def test_score_by_unit_level_names_levels_for_people():
    args = ["score", str(FIX / "cases.csv"), "-p", str(FIX / "profile.toml"), "--by", "unit_level", "--month", "2024-02"]
    zh = runner.invoke(app, [*args, "--lang", "zh", "-f", "markdown"]).stdout
    assert "| 街道乡镇 " in zh and "| 区 " in zh and "| 市级部门 " in zh
    csv_text = runner.invoke(app, [*args, "-f", "csv"]).stdout
    assert {r["unit_level"] for r in csv.DictReader(csv_text.splitlines())} == {"street", "district", "department"}
