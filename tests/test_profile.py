"""City profiles: the built-in Beijing profile matches the real reference data; broken ones fail clearly."""

from __future__ import annotations

import csv
import importlib.util
import tomllib
from pathlib import Path

import pytest

from jiesu.errors import ProfileError
from jiesu.profile import load_profile, parse_profile

ROOT = Path(__file__).resolve().parents[1]
REF = ROOT.parent / "shared" / "reference" / "beijing"
PROFILE_FILE = ROOT / "src" / "jiesu" / "profiles" / "beijing.toml"


def test_beijing_profile_has_every_real_district_and_street():
    p = load_profile()
    with open(REF / "districts.csv", encoding="utf-8") as f:
        districts = {r["code"]: r["name"] for r in csv.DictReader(f)}
    with open(REF / "streets.csv", encoding="utf-8") as f:
        streets = {r["code"]: (r["name"], r["district_code"]) for r in csv.DictReader(f)}
    assert {u.id: u.name for u in p.units_of_level("district")} == districts
    assert {u.id: (u.name, u.district) for u in p.units_of_level("street")} == streets
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
    (lambda d: d["city"].update(timezone="Mars/Base"), "unknown time zone"),
    (lambda d: d["scoring"]["weight_sets"]["practitioner"].update(response=0.5), "add up to 1"),
    (lambda d: d["scoring"].update(weight_set="nope"), "no weight set"),
    (lambda d: d["scoring"].update(response_method="guess"), "response_method"),
    (lambda d: d["units"].append(dict(d["units"][0])), "duplicate unit id"),
    (lambda d: d["units"].append({"id": "S1", "name": "x", "level": "street", "district": "nowhere"}), "street needs"),
    (lambda d: d["categories"].append({"code": "X", "name": "x", "handler": "nobody"}), "handler"),
    (lambda d: d["time_limits"].pop("help"), "missing 'help'"),
    (lambda d: d["ranking"].update(class_size=0), "class_size"),
    (lambda d: d["scoring"].update(min_scored="five"), "expected int"),
])
def test_broken_profiles_fail_with_one_clear_message(breaks, message):
    data = _data()
    breaks(data)
    with pytest.raises(ProfileError, match=message):
        parse_profile(data)


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
