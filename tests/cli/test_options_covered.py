"""Options and levels that had no test: --weights, --by category|unit_level, the enterprise level,
the GitHub annotation's line for CSV rows, and colour only on a terminal without NO_COLOR."""

from __future__ import annotations

import csv
import io
import json
import sys
import tomllib
from datetime import datetime
from pathlib import Path

import pytest
from typer.testing import CliRunner

from jiesu.cli.app import app
from jiesu.cli.common import use_color
from jiesu.profile import load_profile, write_profile

ROOT = Path(__file__).resolve().parents[2]
FIX = ROOT / "fixtures"
SCORING = FIX / "scoring"
runner = CliRunner()


def invoke(*args: str):
    return runner.invoke(app, list(args))


def read_records(path: Path) -> list[dict]:
    """The fixture CSV as typed records, read with the csv module (not with jiesu)."""
    out = []
    with open(path, encoding="utf-8", newline="") as f:
        for row in csv.DictReader(f):
            rec: dict = {}
            for k, v in row.items():
                if v == "":
                    rec[k] = None
                elif k.endswith("_at"):
                    rec[k] = datetime.fromisoformat(v)
                elif v in ("true", "false"):
                    rec[k] = v == "true"
                else:
                    rec[k] = v
            for k in ("first_contact_at", "request_type", "contacted", "resolved", "satisfaction"):
                rec.setdefault(k, None)
            out.append(rec)
    return out


@pytest.mark.parametrize("by", ["category", "unit_level", "street", "district"])
def test_score_by_every_key_equals_the_plain_reference(tmp_path, by):
    from tests.test_scoring import reference_score

    with open(SCORING / "cases.csv", encoding="utf-8", newline="") as f:
        rows = list(csv.DictReader(f))
    cats = ["GEN", "ENV", "URB"]
    for i, row in enumerate(rows):  # spread the cases over three categories
        row["category"] = cats[i % 3]
    path = tmp_path / "cases.csv"
    with open(path, "w", encoding="utf-8", newline="") as f:
        w = csv.DictWriter(f, fieldnames=list(rows[0]))
        w.writeheader()
        w.writerows(rows)
    profile = load_profile(SCORING / "profile.toml")
    result = invoke("score", str(path), "-p", str(SCORING / "profile.toml"), "--by", by, "-f", "json")
    assert result.exit_code == 0, result.stderr
    got = json.loads(result.stdout)
    want = reference_score(read_records(path), profile, by)
    assert [{k: v for k, v in r.items() if "rate" not in k and k != "composite"} for r in got] == \
           [{k: v for k, v in r.items() if "rate" not in k and k != "composite"} for r in want]
    for g, w in zip(got, want):
        for k in ("response_rate", "resolution_rate", "satisfaction_rate", "composite"):
            assert g[k] == pytest.approx(w[k]) if w[k] is not None else g[k] is None
    assert len(got) >= 3


def test_rank_with_another_weight_set():
    result = invoke("rank", str(SCORING / "cases.csv"), "-p", str(SCORING / "profile.toml"),
                    "--month", "2024-02", "--weights", "zhungeer", "-f", "json")
    assert result.exit_code == 0, result.stderr
    rows = {r["unit"]: r for r in json.loads(result.stdout)}
    # hand-worked with 0.3 / 0.35 / 0.35: S12 and S21 5/4/4 of 5 (and 10/8/8 of 10) -> 86;
    # S11 4/3/(2 + 0.9*2) of 5 -> 100*(0.3*0.8 + 0.35*0.6 + 0.35*0.76) = 71.6
    assert rows["S12"]["composite"] == pytest.approx(86.0) and rows["S21"]["composite"] == pytest.approx(86.0)
    assert rows["S11"]["composite"] == pytest.approx(71.6)
    assert (rows["S12"]["rank"], rows["S21"]["rank"], rows["S11"]["rank"]) == (1, 1, 3)
    bad = invoke("rank", str(SCORING / "cases.csv"), "-p", str(SCORING / "profile.toml"),
                 "--month", "2024-02", "--weights", "nope")
    assert bad.exit_code == 2 and "no weight set 'nope'" in bad.stderr


def test_enterprise_level_is_ranked(tmp_path):
    data = tomllib.loads((SCORING / "profile.toml").read_text(encoding="utf-8"))
    data["units"] += [{"id": "E1", "name": "水务集团", "level": "enterprise"},
                      {"id": "E2", "name": "燃气集团", "level": "enterprise"}]
    profile = tmp_path / "city.toml"
    profile.write_text(write_profile(data), encoding="utf-8")
    header = ("case_id,received_at,channel,request_type,category,disposition,dispatched_at,unit,unit_level,"
              "deadline_at,status,callback_at,callback_valid,contacted,resolved,satisfaction\n")
    lines = []
    for i in range(3):  # E1: three scored, all yes -> 100; E2: three scored, contacted only -> 10
        for unit, answers in (("E1", "true,true,satisfied"), ("E2", "true,false,dissatisfied")):
            lines.append(f"{unit}-{i},2024-02-0{i + 1}T02:00:00Z,phone,help,GEN,dispatched,2024-02-0{i + 1}T03:00:00Z,"
                         f"{unit},enterprise,2024-02-08T03:00:00Z,closed,2024-02-10T02:00:00Z,true,{answers}\n")
    cases = tmp_path / "cases.csv"
    cases.write_text(header + "".join(lines), encoding="utf-8")
    result = invoke("rank", str(cases), "-p", str(profile), "--month", "2024-02", "--level", "enterprise", "-f", "json")
    assert result.exit_code == 0, result.stderr
    rows = json.loads(result.stdout)
    assert [(r["unit"], r["rank"], r["composite"], r["classes"]) for r in rows] == [
        ("E1", 1, 100.0, ["advanced", "governance"]),  # 3 requests each: tied, both governance
        ("E2", 2, pytest.approx(10.0), ["rectification", "governance"])]
    assert all(r["requests"] == 3 for r in rows)


def test_github_annotation_lines_count_the_csv_header():
    result = invoke("validate", "--format", "github", str(FIX / "invalid" / "street-names-gb18030.csv"))
    first = result.stdout.splitlines()[0]
    # samples are data rows 1, 2, 3: lines 2, 3, 4 of the file (line 1 is the header)
    assert first.startswith("::error file=") and ",line=2," in first


class FakeTTY(io.StringIO):
    def isatty(self) -> bool:
        return True


def test_colour_only_on_a_terminal_without_no_color(monkeypatch):
    monkeypatch.delenv("NO_COLOR", raising=False)
    monkeypatch.setattr(sys, "stderr", io.StringIO())
    assert use_color() is False  # not a terminal
    monkeypatch.setattr(sys, "stderr", FakeTTY())
    assert use_color() is True
    monkeypatch.setenv("NO_COLOR", "")  # set, even empty, turns colour off (no-color.org)
    assert use_color() is False
