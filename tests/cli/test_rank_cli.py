"""`jiesu rank` through the CLI: JSON parity with the library, xlsx/html/markdown, exit codes."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from openpyxl import load_workbook
from typer.testing import CliRunner

from jiesu.cli.app import app
from jiesu.profile import load_profile
from jiesu.ranking import rank

FIX = Path(__file__).resolve().parents[2] / "fixtures" / "scoring"
CASES = str(FIX / "cases.csv")
PROFILE = str(FIX / "profile.toml")
runner = CliRunner()


def run(*args: str):
    return runner.invoke(app, ["rank", *args])


@pytest.mark.parametrize("level", ["street", "district", "department"])
def test_json_equals_the_library(level):
    result = run(CASES, "-p", PROFILE, "--month", "2024-02", "--level", level, "-f", "json")
    assert result.exit_code == 0, result.stderr
    data = json.loads(result.stdout)
    assert data == rank([CASES], profile=load_profile(PROFILE), month="2024-02", level=level)
    assert set(data[0]) == {"rank", "unit", "name", "level", "composite", "previous_composite", "change", "scored",
                            "requests", "classes", "response_rate", "resolution_rate", "satisfaction_rate"}


def test_xlsx_has_the_full_table_and_a_sheet_per_class(tmp_path):
    out = tmp_path / "rank.xlsx"
    result = run(CASES, "-p", PROFILE, "--month", "2024-02", "-f", "xlsx", "-o", str(out), "--lang", "zh")
    assert result.exit_code == 0, result.stderr
    wb = load_workbook(out)
    assert wb.sheetnames == ["全部", "先进类", "进步类", "整改类", "治理类"]
    full = [[c.value for c in row] for row in wb["全部"].iter_rows()]
    assert full[0][:3] == ["排名", "承办单位", "名称"]
    assert [(r[0], r[1]) for r in full[1:]] == [(1, "S12"), (1, "S21"), (3, "S11"), (None, "S22")]
    units = {name: [r[1].value for r in wb[name].iter_rows(min_row=2)] for name in wb.sheetnames[1:]}
    assert units == {"先进类": ["S12", "S21"], "进步类": ["S11"], "整改类": ["S11"], "治理类": ["S22"]}
    composite_col = full[0].index("综合成绩")
    assert full[3][composite_col] == pytest.approx(68.4)
    en = tmp_path / "rank-en.xlsx"
    assert run(CASES, "-p", PROFILE, "--month", "2024-02", "-f", "xlsx", "-o", str(en)).exit_code == 0
    assert load_workbook(en).sheetnames[1:] == ["advanced", "improving", "rectification", "governance"]


def test_html_page_with_chart(tmp_path):
    out = tmp_path / "rank.html"
    assert run(CASES, "-p", PROFILE, "--month", "2024-02", "-f", "html", "-o", str(out)).exit_code == 0
    page = out.read_text(encoding="utf-8")
    assert "<svg" in page and page.count("<rect") == 4 and "二街" in page and "<script" not in page


def test_markdown_reads_back():
    text = run(CASES, "-p", PROFILE, "--month", "2024-02", "-f", "markdown", "--lang", "en").stdout
    lines = [ln for ln in text.splitlines() if ln.startswith("|")]
    header = [c.strip() for c in lines[0].strip("|").split("|")]
    body = [[c.strip() for c in ln.strip("|").split("|")] for ln in lines[2:]]
    assert header[:2] == ["rank", "unit"]
    assert [(r[0], r[1]) for r in body] == [("1", "S12"), ("1", "S21"), ("3", "S11"), ("", "S22")]
    assert body[2][header.index("classes")] == "improving, rectification"


@pytest.mark.parametrize("args", [
    [], ["--month", "2024-02-01"], ["--month", "2024-02", "--level", "city"],
    ["--month", "2024-02", "-f", "xlsx"], ["--month", "2024-02", "-f", "pdf"],
])
def test_bad_options_exit_2(args, monkeypatch):
    monkeypatch.setattr("jiesu.io.atomic.stdout_is_terminal", lambda: True)  # xlsx: not to a terminal
    assert run(CASES, "-p", PROFILE, *args).exit_code == 2


def test_unranked_level_of_the_profile_exits_2(tmp_path):
    text = Path(PROFILE).read_text(encoding="utf-8").replace(
        'levels = ["street", "district", "department", "enterprise"]', 'levels = ["street"]')
    p = tmp_path / "p.toml"
    p.write_text(text, encoding="utf-8")
    result = run(CASES, "-p", str(p), "--month", "2024-02", "--level", "district")
    assert result.exit_code == 2 and "district" in result.stderr
