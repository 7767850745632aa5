"""The governance commands through the CLI: JSON parity with the library, the formats for people,
safe outputs, summary lines and exit codes."""

from __future__ import annotations

import csv
import io
import json
from pathlib import Path

import pytest
from openpyxl import load_workbook
from typer.testing import CliRunner

import jiesu
from jiesu.cli.app import app

FIX = Path(__file__).resolve().parents[2] / "fixtures" / "analysis"
CASES, WARN, PROFILE = str(FIX / "cases.csv"), str(FIX / "warn.csv"), str(FIX / "city.toml")
runner = CliRunner()
CITY = jiesu.load_profile(PROFILE)

COMMANDS = {
    "candidates": (["topics", "candidates", CASES, "--from", "2024-01", "--to", "2024-02"],
                   lambda: jiesu.topic_candidates([CASES], profile=CITY, first="2024-01", last="2024-02")),
    "track": (["topics", "track", CASES, "--month", "2024-03"],
              lambda: jiesu.track_topics([CASES], profile=CITY, month="2024-03").rows),
    "warn": (["warn", WARN, "--month", "2024-01"], lambda: jiesu.warn([WARN], profile=CITY, month="2024-01").rows),
    "trend": (["trend", CASES, "--from", "2024-01", "--to", "2024-02"],
              lambda: jiesu.trend([CASES], profile=CITY, first="2024-01", last="2024-02", level="district")),
    "disputes": (["disputes", CASES, "--month", "2024-02"], lambda: jiesu.disputes([CASES], profile=CITY, month="2024-02")),
}


def run(*args: str):
    return runner.invoke(app, [*args, "-p", PROFILE])


@pytest.mark.parametrize("name", list(COMMANDS))
def test_json_equals_the_library(name):
    args, library = COMMANDS[name]
    result = run(*args, "-f", "json")
    assert result.exit_code == 0, result.stderr
    assert json.loads(result.stdout) == json.loads(json.dumps(library()))


@pytest.mark.parametrize("name", list(COMMANDS))
@pytest.mark.parametrize("fmt", ["table", "csv", "markdown", "html"])
def test_every_format_for_people_and_machines(name, fmt):
    result = run(*COMMANDS[name][0], "-f", fmt)
    assert result.exit_code == 0, result.stderr
    assert result.stdout.strip()
    if fmt == "html":
        assert result.stdout.startswith("<!DOCTYPE html>") and "<script" not in result.stdout


@pytest.mark.parametrize("name", list(COMMANDS))
def test_xlsx_needs_a_file_and_writes_one(name, tmp_path, monkeypatch):
    args = COMMANDS[name][0]
    with monkeypatch.context() as m:  # xlsx never goes to a terminal (to a pipe it may)
        m.setattr("jiesu.io.atomic.stdout_is_terminal", lambda: True)
        assert run(*args, "-f", "xlsx").exit_code == 2
    out = tmp_path / "out.xlsx"
    result = run(*args, "-f", "xlsx", "-o", str(out), "--lang", "zh")
    assert result.exit_code == 0, result.stderr
    header = [c.value for c in next(load_workbook(out).active.iter_rows())]
    assert header and all(isinstance(h, str) for h in header)


def test_track_prints_the_summary_line():
    result = run("topics", "track", CASES, "--month", "2024-03")
    assert result.stdout.rstrip().endswith("2024-03: 1 of 2 problems declining month on month (1 fell by more than 10%)")
    zh = run("topics", "track", CASES, "--month", "2024-03", "--lang", "zh")
    assert "环比" in zh.stdout and zh.stdout.rstrip().endswith("2 个问题中 1 个派单量环比下降，1 个降幅超10%")
    js = run("topics", "track", CASES, "--month", "2024-03", "-f", "json")
    assert "1 of 2 problems declining" in js.stderr and "declining" not in js.stdout.splitlines()[0]


def test_warn_summary_and_choices():
    result = run("warn", WARN, "--month", "2024-01")
    assert result.exit_code == 0
    assert result.stdout.rstrip().endswith("4 warnings for 2024-01: 4 street series checked, 4 district series "
                                           "checked against 6 baseline periods")
    assert run("warn", WARN).exit_code == 2
    assert run("warn", WARN, "--month", "2024-01", "--days", "7").exit_code == 2
    assert run("warn", WARN, "--month", "2024-01", "--until", "2024-01-31").exit_code == 2
    assert run("warn", WARN, "--days", "0").exit_code == 2
    assert run("warn", WARN, "--days", "7", "--until", "2024-13-01").exit_code == 2
    days = run("warn", WARN, "--days", "7", "--until", "2024-01-11", "-f", "json")
    assert days.exit_code == 0 and "2024-01-05..2024-01-11" in days.stderr


@pytest.mark.parametrize("args", [
    ["topics", "candidates", CASES, "--from", "2024-03", "--to", "2024-01"],
    ["topics", "candidates", CASES, "--from", "2024-13", "--to", "2024-01"],
    ["topics", "track", CASES, "--month", "24-03"],
    ["trend", CASES, "--from", "2024-01", "--to", "2024-02", "--level", "city"],
    ["disputes", CASES, "--month", "2024-02", "--by", "street"],
    ["topics", "candidates", CASES, "--from", "2024-01", "--to", "2024-02", "-f", "yaml"],
])
def test_usage_errors_exit_2(args):
    result = run(*args)
    assert result.exit_code == 2, result.stdout
    assert "Traceback" not in result.stderr


def test_missing_input_exits_3(tmp_path):
    result = run("disputes", str(tmp_path / "none.csv"), "--month", "2024-02")
    assert result.exit_code == 3 and "jiesu: error:" in result.stderr


def test_outputs_are_neutralised(tmp_path):
    """A topic that is a formula or a phone number never reaches a spreadsheet or a page as such."""
    with open(CASES, encoding="utf-8") as f:
        rows = list(csv.DictReader(f))
    for r in rows:
        if r["case_id"] == "H":
            r["topic"] = "=HYPERLINK(1)"
        if r["case_id"] == "I":
            r["topic"] = "13812345678"
    path = tmp_path / "evil.csv"
    with path.open("w", newline="", encoding="utf-8") as f:
        w = csv.DictWriter(f, list(rows[0]), lineterminator="\n")
        w.writeheader()
        w.writerows(rows)
    args = ["topics", "candidates", str(path), "--from", "2024-01", "--to", "2024-02"]
    out = run(*args, "-f", "csv").stdout
    codes = [r["code"] for r in csv.DictReader(io.StringIO(out))]
    assert "'=HYPERLINK(1)" in codes and "13812345678" not in out
    xlsx = tmp_path / "evil.xlsx"
    assert run(*args, "-f", "xlsx", "-o", str(xlsx)).exit_code == 0
    cells = [c for row in load_workbook(xlsx).active.iter_rows() for c in row if isinstance(c.value, str)]
    assert all(c.data_type == "s" for c in cells if c.value.startswith("="))
    page = run(*args, "-f", "html").stdout
    assert "13812345678" not in page


def test_profile_show_lists_the_new_settings_as_illustrative():
    text = runner.invoke(app, ["profile", "show"]).stdout
    assert "class size per level: street 10, district 3, department 5, enterprise 5; exclusive classes: no" in text
    assert "Analysis (topics) [illustrative" in text and "Early warning (warn) [illustrative" in text
    assert "registered problems: EX-PROP, EX-PARK, EX-HEAT, EX-NOISE" in text
    data = json.loads(runner.invoke(app, ["profile", "show", "--format", "json"]).stdout)
    assert data["warn"]["alpha"] == 0.001 and data["ranking"]["class_sizes"]["district"] == 3
