"""`jiesu profile infer`: a profile from the data (facts) with every setting marked illustrative;
time limits read from the deadlines the data gives (hand-worked medians)."""

from __future__ import annotations

import csv
import tomllib
from pathlib import Path

import pytest
import tomli_w
from typer.testing import CliRunner

from jiesu.cli.app import app
from jiesu.importers.infer import infer_profile
from jiesu.profile import check_profile, load_profile

FIX = Path(__file__).resolve().parents[1] / "fixtures" / "import"
runner = CliRunner()
MAPPING = {
    "mapping_version": 1, "id": "town", "name": "Town",
    "source": {"timezone": "Europe/Paris", "time_formats": ["%Y-%m-%d %H:%M"]},
    "fields": {
        "case_id": {"column": "No"}, "received_at": {"column": "Opened"}, "channel": {"value": "phone"},
        "request_type": {"column": "Type", "values": {"Q": "consultation", "C": "complaint"}},
        "category": {"column": "Kind"}, "district": {"column": "Area"}, "street": {"column": "Quarter"},
        "unit": {"column": "Team"}, "disposition": {"derive": "unit_named", "default": "answered"},
        "dispatched_at": {"from": "received_at", "when": "dispatched"},
        "unit_level": {"column": "Level", "when": "dispatched"},
        "deadline_at": {"column": "Due", "limit_hours": 240}, "status": {"derive": "closed_at"},
        "closed_at": {"column": "Closed"},
    },
}
# A: six deadlines 24, 24, 48, 48, 48, 72 h -> median (nearest rank, 3rd of 6) 48; B: two -> too few
DUE_HOURS = {"A": [24, 24, 48, 48, 48, 72], "B": [10, 30]}


def write(tmp_path: Path) -> tuple[Path, Path]:
    src = tmp_path / "town.csv"
    with open(src, "w", newline="", encoding="utf-8") as fh:
        w = csv.writer(fh)
        w.writerow(["No", "Opened", "Type", "Kind", "Area", "Quarter", "Team", "Level", "Due", "Closed"])
        n = 0
        for kind, due in DUE_HOURS.items():
            for h in due:
                n += 1
                team, level = ("North Quarter", "street") if n % 2 else ("Water Co", "enterprise")
                w.writerow([f"N{n}", "2024-05-01 08:00", "C", kind, "North", "North Quarter", team, level,
                            f"2024-05-{1 + (8 + h) // 24:02d} {(8 + h) % 24:02d}:00", ""])
        w.writerow(["N99", "2024-05-02 08:00", "Q", "A", "South", "", "", "", "", "2024-05-02 08:10"])
    m = tmp_path / "town.toml"
    m.write_text(tomli_w.dumps(MAPPING), encoding="utf-8")
    return src, m


def test_facts_from_the_data_and_settings_marked(tmp_path: Path):
    src, m = write(tmp_path)
    result = infer_profile([src], mapping=m, output=tmp_path / "city.toml", city_id="town", city_name="Town")
    assert check_profile(tmp_path / "city.toml") == []
    p = load_profile(tmp_path / "city.toml")
    data = tomllib.loads((tmp_path / "city.toml").read_text(encoding="utf-8"))
    assert (p.id, p.name, p.timezone) == ("town", "Town", "Europe/Paris")
    units = {u.name: (u.level, u.district) for u in p.units}
    assert units == {"North": ("district", None), "South": ("district", None),
                     "North Quarter": ("street", "North"), "Water Co": ("enterprise", None)}
    cats = {c["code"]: c for c in data["categories"]}
    assert cats["A"]["time_limit_hours"] == 48 and cats["A"]["illustrative"] is True
    assert "time_limit_hours" not in cats["B"]  # two deadlines are too few
    # complaints: 10 24 24 30 48 48 48 72 -> the 4th of 8 (nearest rank); consultation has none: all cases
    assert (data["time_limits"]["complaint"], data["time_limits"]["consultation"]) == (30, 30)
    for table in ("time_limits", "scoring", "ranking"):
        assert data[table]["illustrative"] is True
    assert p.scoring.metrics == "timeliness" and result.report.rows_read == 9
    assert data["ranking"]["levels"] == ["district", "street", "enterprise"]


def test_cli_stdout_and_errors(tmp_path: Path):
    src, m = write(tmp_path)
    result = runner.invoke(app, ["profile", "infer", str(src), "--mapping", str(m)])
    assert result.exit_code == 0 and tomllib.loads(result.stdout)["city"]["id"] == "town"
    assert "9 rows read; 4 units, 2 categories, metrics timeliness" in result.stderr
    out = tmp_path / "p.toml"
    assert runner.invoke(app, ["profile", "infer", str(src), "-m", str(m), "-o", str(out)]).exit_code == 0
    assert runner.invoke(app, ["profile", "check", str(out)]).exit_code == 0
    bad = runner.invoke(app, ["profile", "infer", str(src), "-m", str(tmp_path / "none.toml"), "-o", str(tmp_path / "q.toml")])
    assert bad.exit_code == 3 and not (tmp_path / "q.toml").exists()


@pytest.mark.parametrize("name", ["cn-12345.xlsx"])
def test_limits_from_a_time_limit_column(name, tmp_path: Path):
    result = infer_profile([FIX / name], mapping="cn-12345")
    # seven dispatched deadlines from 办理时限: 24 h twice, 7 days four times, 15 days once -> 168 h
    assert set(result.data["time_limits"].values()) >= {168.0}
    assert all(v == 168.0 for k, v in result.data["time_limits"].items() if k not in ("illustrative", "note"))


def test_a_unit_named_like_a_district_keeps_its_level_ranked(tmp_path: Path):
    """The same name is the same code: a team called like a district becomes that district unit, and
    the level its cases name stays in the ranked levels (its ranking may be empty, not refused)."""
    src = tmp_path / "same.csv"
    src.write_text("No,Opened,Type,Kind,Area,Quarter,Team,Level,Due,Closed\n"
                   "S1,2024-05-01 08:00,C,A,North,,North,department,2024-05-02 08:00,\n", encoding="utf-8")
    m = tmp_path / "town.toml"
    m.write_text(tomli_w.dumps(MAPPING), encoding="utf-8")
    data = infer_profile([src], mapping=m).data
    assert data["units"] == [{"id": "North", "name": "North", "level": "district"}]
    assert data["ranking"]["levels"] == ["district", "department"]
