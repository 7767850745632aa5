"""`jiesu profile diff` with hand-made variants of the fixture profile (fixtures/scoring/).

The rank changes are checked against the hand-worked ranking of fixtures/scoring/README.md, and
every month and level against `jiesu.rank` run separately under each profile.
"""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from typer.testing import CliRunner

import jiesu
from jiesu.cli.app import app
from jiesu.profile_diff import RankChange, SettingChange, profile_diff, render_profile_diff

SCORING = Path(__file__).resolve().parents[1] / "fixtures" / "scoring"
PROFILE = SCORING / "profile.toml"
CASES = SCORING / "cases.csv"
runner = CliRunner()


def variant(tmp_path: Path, name: str, *edits: tuple[str, str]) -> Path:
    text = PROFILE.read_text("utf-8")
    for old, new in edits:
        assert text.count(old) == 1, old
        text = text.replace(old, new)
    path = tmp_path / f"{name}.toml"
    path.write_text(text, encoding="utf-8")
    return path


def test_the_same_profile_changes_nothing():
    d = profile_diff(PROFILE, PROFILE, [CASES])
    assert d.settings == [] and d.ranks == [] and not d.changed
    assert d.months == ["2024-01", "2024-02", "2024-03"]
    assert d.levels == ["district", "street", "department", "enterprise"]


def test_setting_changes_are_listed_one_by_one(tmp_path):
    new = variant(
        tmp_path, "settings",
        ('name = "一街"', 'name = "第一街道"'),                                   # renamed
        ('id = "S22"\nname = "四街"', 'id = "S23"\nname = "四街"'),               # re-coded
        ('[[units]]\nid = "M1"\nname = "市某局"\nlevel = "department"\n',
         '[[units]]\nid = "E1"\nname = "水务公司"\nlevel = "enterprise"\n'),       # M1 removed, E1 added
        ('handler = "street"', 'handler = "district"\ntime_limit_hours = 72'),      # re-mapped, limit
        ("consultation = 24\nhelp = 168", "consultation = 48\nhelp = 168"),        # a time limit
        ("response = 0.1\nresolution = 0.5", "response = 0.2\nresolution = 0.4"),  # weights in use
        ("class_size = 1", "class_size = 2"),
        ('exclusion_reasons = ["objection_upheld", "duplicate"]', 'exclusion_reasons = ["objection_upheld"]'),
    )
    d = profile_diff(PROFILE, new)
    assert d.ranks is None and d.changed
    assert d.settings == [
        SettingChange("time_limits", "time_limits.consultation", "changed", 24.0, 48.0),
        SettingChange("scoring", "scoring.weight_sets.practitioner.response", "changed", 0.1, 0.2),
        SettingChange("scoring", "scoring.weight_sets.practitioner.resolution", "changed", 0.5, 0.4),
        SettingChange("scoring", "scoring.weights (in use)", "changed",
                      {"response": 0.1, "resolution": 0.5, "satisfaction": 0.4},
                      {"response": 0.2, "resolution": 0.4, "satisfaction": 0.4}),
        SettingChange("scoring", "scoring.exclusion_reasons", "changed", ["objection_upheld", "duplicate"], ["objection_upheld"]),
        SettingChange("ranking", "ranking.class_size", "changed", 1, 2),
        SettingChange("units", "S22", "re-coded", "S22", "S23"),
        SettingChange("units", "M1", "removed", "市某局 (department)", None),
        SettingChange("units", "E1", "added", None, "水务公司 (enterprise)"),
        SettingChange("units", "S11", "renamed", "一街", "第一街道"),
        SettingChange("categories", "GEN", "re-mapped", "street", "district"),
        SettingChange("categories", "GEN.time_limit_hours", "changed", None, 72.0),
    ]


def test_another_weight_set_is_a_change_of_the_weights_in_use(tmp_path):
    new = variant(tmp_path, "zhungeer", ('weight_set = "practitioner"', 'weight_set = "zhungeer"'))
    d = profile_diff(PROFILE, new, [CASES], levels=["street"], months=["2024-02"])
    assert [(c.key, c.old, c.new) for c in d.settings] == [
        ("scoring.weight_set", "practitioner", "zhungeer"),
        ("scoring.weights (in use)", {"response": 0.1, "resolution": 0.5, "satisfaction": 0.4},
         {"response": 0.3, "resolution": 0.35, "satisfaction": 0.35})]
    # by hand (README numbers, 0.3/0.35/0.35): S11 71.6, S12 86, S21 86, S22 unranked; January S11 30,
    # S12 100: the same ranks and classes as before, so no unit is listed
    assert d.ranks == [] and not d.changed


def test_a_lower_minimum_moves_ranks_and_classes(tmp_path):
    new = variant(tmp_path, "min2", ("min_scored = 3", "min_scored = 2"))
    d = profile_diff(PROFILE, new, [CASES], levels=["street"], months=["2024-02"])
    # README, street ranking 2024-02: S12 82, S21 82, S11 68.4 ranked 1, 1, 3; S22 (2 scored,
    # composite 100) unranked. With a minimum of 2, S22 ranks first; one advanced place (min(1,
    # 4 // 2)) goes to S22 alone; rectification stays S11, improving S11, governance S22.
    assert sorted(d.ranks, key=lambda r: r.unit) == [
        RankChange("2024-02", "street", "S11", "一街", 3, 4, ("improving", "rectification"),
                   ("improving", "rectification"), pytest.approx(68.4), pytest.approx(68.4)),
        RankChange("2024-02", "street", "S12", "二街", 1, 2, ("advanced",), (), pytest.approx(82), pytest.approx(82)),
        RankChange("2024-02", "street", "S21", "三街", 1, 2, ("advanced",), (), pytest.approx(82), pytest.approx(82)),
        RankChange("2024-02", "street", "S22", "四街", None, 1, ("governance",), ("advanced", "governance"),
                   pytest.approx(100), pytest.approx(100)),
    ]


@pytest.mark.parametrize("edits", [
    (("min_scored = 3", "min_scored = 2"),),
    (("class_size = 1", "class_size = 2"), ("weight_set = \"practitioner\"", "weight_set = \"zhungeer\"")),
    (('id = "S22"\nname = "四街"', 'id = "S23"\nname = "四街"'), ('levels = ["street", "district", "department", "enterprise"]',
                                                                'levels = ["street", "district"]')),
])
def test_every_month_and_level_agrees_with_jiesu_rank(tmp_path, edits):
    new = variant(tmp_path, "v", *edits)
    d = profile_diff(PROFILE, new, [CASES])
    old_p, new_p = jiesu.load_profile(PROFILE), jiesu.load_profile(new)
    def ranked(p, month, level):
        if level not in p.ranking.levels:
            return {}
        return {r["unit"]: (r["rank"], tuple(r["classes"]))
                for r in jiesu.rank([CASES], profile=p, month=month, level=level)}

    expected = set()
    for month in d.months:
        for level in d.levels:
            a, b = ranked(old_p, month, level), ranked(new_p, month, level)
            for unit in a.keys() | b.keys():
                if a.get(unit) != b.get(unit):
                    expected.add((month, level, unit, *(a.get(unit) or (None, ())), *(b.get(unit) or (None, ()))))
    got = {(r.month, r.level, r.unit, r.old_rank, r.old_classes, r.new_rank, r.new_classes) for r in d.ranks}
    assert got == expected and len(got) == len(d.ranks)
    assert got  # each variant changes something


def test_cli_formats_exit_codes_and_safe_output(tmp_path):
    new = variant(tmp_path, "min2", ("min_scored = 3", "min_scored = 2"), ('name = "一街"', 'name = "一街\\u001b[31m|*x*"'))
    args = ["profile", "diff", str(PROFILE), str(new), str(CASES), "--level", "street", "--month", "2024-02"]
    text = runner.invoke(app, args)
    assert text.exit_code == 0
    assert "\x1b" not in text.stdout and "一街\\x1b[31m|*x*" in text.stdout
    assert "unranked → 1" in text.stdout and "governance → advanced, governance" in text.stdout
    md = runner.invoke(app, [*args, "-f", "markdown"]).stdout
    assert "| units | S11 | renamed | 一街 | 一街\\\\x1b\\[31m\\|\\*x\\* |" in md
    js = runner.invoke(app, [*args, "-f", "json"])
    assert json.loads(js.stdout)["changed"] is True
    assert runner.invoke(app, [*args, "--fail-on-change"]).exit_code == 1
    same = runner.invoke(app, ["profile", "diff", str(PROFILE), str(PROFILE), str(CASES), "--fail-on-change"])
    assert same.exit_code == 0 and "No unit's rank or classes change" in same.stdout
    assert runner.invoke(app, ["profile", "diff", str(PROFILE), str(new), "--fail-on-change"]).exit_code == 1
    missing = runner.invoke(app, ["profile", "diff", str(PROFILE), str(tmp_path / "none.toml")])
    assert missing.exit_code == 3 and "[broken-profile]" in missing.stderr
    bad_level = runner.invoke(app, [*args[:5], "--level", "village"])
    assert bad_level.exit_code == 2 and "ranked by neither profile" in bad_level.stderr
    assert runner.invoke(app, [*args[:5], "--month", "2024-13"]).exit_code == 2


def test_render_without_cases():
    d = profile_diff(PROFILE, "beijing")
    text = render_profile_diff(d)
    assert text.splitlines()[0].startswith(f"jiesu profile diff: {PROFILE} → built-in:beijing: ")
    assert "No unit's rank" not in text
