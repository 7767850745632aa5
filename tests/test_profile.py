"""City profiles: the built-in Beijing profile matches the real reference data; broken ones fail clearly."""

from __future__ import annotations

import csv
import importlib.util
import json
import tomllib
from pathlib import Path

import pytest

from jiesu.errors import ProfileError
from jiesu.profile import (
    load_profile,
    parse_profile,
    profile_problems,
    profile_schema,
    write_profile,
)

ROOT = Path(__file__).resolve().parents[1]
REF = ROOT.parent / "shared" / "reference" / "beijing"
PROFILE_FILE = ROOT / "src" / "jiesu" / "profiles" / "beijing.toml"


def test_beijing_profile_has_every_real_district_and_street():
    p = load_profile()
    with open(REF / "districts.csv", encoding="utf-8") as f:
        districts = {r["code"]: r["name"] for r in csv.DictReader(f)}
    with open(REF / "streets.csv", encoding="utf-8") as f:
        streets = {r["code"]: (r["name"], r["district_code"]) for r in csv.DictReader(f)}
    # 经开区 (a township-level entry of 大兴) is at district tier; every entry stays a case location
    assert {u.id: u.name for u in p.units_of_level("district")} == {**districts, "110115403": "北京经济技术开发区"}
    assert {u.id: (u.name, u.district) for u in p.places} == streets
    assert p.timezone == "Asia/Shanghai"


def test_committed_profile_is_what_the_builder_makes():
    spec = importlib.util.spec_from_file_location("builder", ROOT / "tools" / "build_beijing_profile.py")
    builder = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(builder)  # type: ignore[union-attr]
    assert builder.build(REF) == PROFILE_FILE.read_text(encoding="utf-8")


def test_unpublished_settings_are_marked_illustrative():
    data = tomllib.loads(PROFILE_FILE.read_text(encoding="utf-8"))
    for table in ("time_limits", "scoring", "ranking"):
        assert data[table]["illustrative"] is True
    p = load_profile()
    assert p.scoring.illustrative and p.ranking.illustrative
    assert (p.scoring.weights.response, p.scoring.weights.resolution, p.scoring.weights.satisfaction) == (0.1, 0.5, 0.4)
    assert p.scoring.basically_satisfied_weight == 0.9


def test_weight_sets_are_named_and_switchable():
    p = load_profile().with_weight_set("zhungeer")
    assert p.scoring.weights.response == 0.3
    with pytest.raises(ProfileError, match="no weight set"):
        load_profile().with_weight_set("nope")


def _data() -> dict:
    return tomllib.loads(PROFILE_FILE.read_text(encoding="utf-8"))


@pytest.mark.parametrize("breaks, message", [
    (lambda d: d["city"].update(timezone="Mars/Base"), "city.timezone: unknown time zone 'Mars/Base'"),
    (lambda d: d["scoring"]["weight_sets"]["practitioner"].update(response=0.5),
     "scoring.weight_sets.practitioner: response, resolution and satisfaction must add up to 1"),
    (lambda d: d["scoring"].update(weight_set="nope"), "scoring.weight_set: no weight set named 'nope'"),
    (lambda d: d["scoring"].update(response_method="guess"), "scoring.response_method: 'guess' is not one of"),
    (lambda d: d["units"].append(dict(d["units"][0])), "units[395].id: '110101' is already the id of units[0]"),
    (lambda d: d["units"].append({"id": "S1", "name": "x", "level": "street", "district": "nowhere"}),
     "units[395].district: street 'S1' needs the id of a district unit"),
    (lambda d: d["categories"].append({"code": "X", "name": "x", "handler": "nobody"}),
     "categories[26].handler: 'nobody' is neither street, district nor a unit id"),
    (lambda d: d["categories"].append(dict(d["categories"][0])), "categories[26].code: 'ENV-SANIT' is already"),
    (lambda d: d["time_limits"].pop("help"), "time_limits: 'help' is a required property"),
    (lambda d: d["time_limits"].update(help="abc"), "time_limits.help: 'abc' is not of type 'number'"),
    (lambda d: d["time_limits"].update(help=-1), "time_limits.help: -1 is less than or equal to the minimum of 0"),
    (lambda d: d["time_limits"].update(help=1e308), "time_limits.help: 1e+308 is greater than the maximum of 87600"),
    (lambda d: d["time_limits"].update(help=float("nan")), "time_limits.help: must be a number, got nan$"),
    (lambda d: d["categories"][0].update(time_limit_hours=float("inf")), "categories[0].time_limit_hours: inf is greater"),
    (lambda d: d["scoring"].update(exclusion_reasons=5), "scoring.exclusion_reasons: 5 is not of type 'array'"),
    (lambda d: d["scoring"].update(exclusion_reasons=["lost"]), "scoring.exclusion_reasons[0]: 'lost' is not one of"),
    (lambda d: d["scoring"].update(response_hours=5), "scoring.response_hours: 5 is not of type 'object'"),
    (lambda d: d["ranking"].update(class_size=0), "ranking.class_size: 0 is less than the minimum of 1"),
    (lambda d: d["ranking"].update(governance_per_residents=0), "ranking.governance_per_residents: 0 is less than"),
    (lambda d: d["ranking"].update(levels=["city"]), "ranking.levels[0]: 'city' is not one of ['district', 'street', 'department', 'enterprise']$"),
    (lambda d: d["scoring"].update(min_scored="five"), "scoring.min_scored: 'five' is not of type 'integer'"),
    (lambda d: d["units"][0].update(level="city"), "units[0].level: 'city' is not one of"),
    (lambda d: d["units"][0].update(population=True), "units[0].population: True is not of type 'integer'"),
    (lambda d: d["city"].update(flavour="sweet"), "city: Additional properties are not allowed ('flavour' was unexpected)$"),
])
def test_broken_profiles_fail_with_one_line_naming_the_key(breaks, message):
    data = _data()
    breaks(data)
    with pytest.raises(ProfileError) as info:
        parse_profile(data)
    if message.endswith("$"):
        assert info.value.message == "profile <profile>: " + message[:-1]
    else:
        assert info.value.message.startswith("profile <profile>: " + message)
    assert len(profile_problems(data)) == 1


def test_every_problem_is_listed_one_line_each():
    data = _data()
    data["time_limits"]["help"] = "abc"
    data["units"][3]["level"] = "city"
    data["ranking"]["class_size"] = 0
    assert profile_problems(data) == [
        "ranking.class_size: 0 is less than the minimum of 1",
        "time_limits.help: 'abc' is not of type 'number'",
        "units[3].level: 'city' is not one of ['district', 'street', 'department', 'enterprise']",
    ]


def test_profile_schema_takes_its_enums_from_the_case_record_schema():
    from jiesu.schema import EXCLUSION_REASONS, REQUEST_TYPES, case_record_schema

    schema = profile_schema()
    assert tuple(schema["properties"]["time_limits"]["required"]) == REQUEST_TYPES
    assert tuple(schema["properties"]["scoring"]["properties"]["response_hours"]["required"]) == REQUEST_TYPES
    data = _data()
    for reason in EXCLUSION_REASONS:
        data["scoring"]["exclusion_reasons"] = [reason]
        assert profile_problems(data) == []
    assert case_record_schema()["$id"] in json.dumps(schema)


def test_written_profiles_round_trip_and_broken_ones_are_not_written(tmp_path):
    data = _data()
    hostile = 'a "quoted" \\ name\ttab\x01\x7f\nnew line Café 北京 =HYPERLINK("x")'
    data["city"]["name"] = hostile
    data["units"][0]["name"] = hostile
    text = write_profile(data)
    (tmp_path / "p.toml").write_text(text, encoding="utf-8")
    p = load_profile(tmp_path / "p.toml")
    assert p.name == hostile and p.units[0].name == hostile
    data["ranking"]["class_size"] = 0
    with pytest.raises(ProfileError, match="ranking.class_size"):
        write_profile(data)


def test_profile_file_errors(tmp_path):
    with pytest.raises(ProfileError, match="not found"):
        load_profile(tmp_path / "missing.toml")
    bad = tmp_path / "bad.toml"
    bad.write_text("this is = = not toml")
    with pytest.raises(ProfileError, match="not valid TOML"):
        load_profile(bad)
    good = tmp_path / "city.toml"
    good.write_text(PROFILE_FILE.read_text(encoding="utf-8").replace('id = "beijing"', 'id = "testcity"', 1))
    assert load_profile(good).id == "testcity"


def test_a_profile_saved_with_a_byte_order_mark_loads(tmp_path):
    path = tmp_path / "bom.toml"
    path.write_bytes(b"\xef\xbb\xbf" + (ROOT / "fixtures" / "scoring" / "profile.toml").read_bytes())
    assert load_profile(path).id == "fixture"


def test_a_file_with_several_problems_names_the_first_and_counts_the_rest(tmp_path):
    data = _data()
    data["time_limits"]["help"] = "abc"
    data["ranking"]["class_size"] = 0
    path = tmp_path / "two.toml"
    path.write_text(write_profile(_data()).replace("class_size = 10", "class_size = 0").replace("help = 168", 'help = "abc"'))
    with pytest.raises(ProfileError, match=r"ranking.class_size: 0 is less than the minimum of 1 \(and 1 more problems: run `jiesu profile check "):
        load_profile(path)


def test_profile_check_cli_lists_every_problem_and_exits_1(tmp_path):
    from typer.testing import CliRunner

    from jiesu.cli.app import app

    bad = tmp_path / "bad.toml"
    bad.write_text(write_profile(_data()).replace("class_size = 10", "class_size = 0").replace("help = 168", 'help = "abc"'))
    good = ROOT / "fixtures" / "scoring" / "profile.toml"
    notoml = tmp_path / "no.toml"
    notoml.write_text("a = = b")
    result = CliRunner().invoke(app, ["profile", "check", str(good), str(bad), str(notoml)])
    assert result.exit_code == 1
    assert result.stdout.splitlines() == [
        f"{bad}: ranking.class_size: 0 is less than the minimum of 1",
        f"{bad}: time_limits.help: 'abc' is not of type 'number'",
        f"{notoml}: not valid TOML (Invalid value (at line 1, column 5))",
    ]
    assert f"{good}: ok" in result.stderr
    ok = CliRunner().invoke(app, ["profile", "check", str(good)])
    assert ok.exit_code == 0 and ok.stdout == ""
    missing = CliRunner().invoke(app, ["profile", "check", str(tmp_path / "none.toml")])
    assert missing.exit_code == 3 and "not found" in missing.stderr


def test_a_profile_that_is_a_fifo_or_a_device_is_refused_without_blocking(tmp_path):
    import os

    fifo = tmp_path / "city.toml"
    os.mkfifo(fifo)  # no writer: reading it would block for ever
    with pytest.raises(ProfileError, match=r"is a FIFO \(named pipe\); jiesu reads regular files"):
        load_profile(fifo)
    with pytest.raises(ProfileError, match="is a device"):
        load_profile("/dev/zero")
