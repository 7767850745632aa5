"""`jiesu demo`: simulate, validate, score and rank with no input."""

from __future__ import annotations

import itertools
import re

import pyarrow.parquet as pq
from typer.testing import CliRunner

from jiesu.cli.app import app
from jiesu.demo import run_demo
from jiesu.profile import load_profile


def test_run_demo_end_to_end(tmp_path):
    result = run_demo(tmp_path, days=12, seed=7)
    assert (tmp_path / "cases.parquet").exists()
    assert result.report.valid and result.report.errors == 0
    assert result.report.rows == result.summary["cases"]
    streets = {u.id for u in load_profile().units_of_level("street")}
    assert {r["unit"] for r in result.ranking} <= streets
    ranked = [r for r in result.ranking if r["rank"] is not None]
    assert ranked and all(a["composite"] >= b["composite"] for a, b in itertools.pairwise(ranked))


def test_demo_cli_prints_the_ranking(tmp_path):
    result = CliRunner().invoke(app, ["demo", "--days", "12", "--seed", "7", "--top", "5", "--keep", str(tmp_path)])
    assert result.exit_code == 0, result.stderr
    assert "validation: valid" in result.stderr
    # requests = cases recorded + calls abandoned before an answer, each number said once
    said = re.search(r"([\d,]+) requests simulated \(([\d,]+) hung up before an answer\), ([\d,]+) cases "
                     r"recorded; validation: valid \(([\d,]+) rows", result.stderr)
    requests, abandoned, cases, rows = (int(g.replace(",", "")) for g in said.groups())
    assert requests == abandoned + cases and cases == rows == len(pq.read_table(tmp_path / "cases.parquet"))
    lines = [line for line in result.stdout.splitlines() if line.strip()]
    assert "ranking" in lines[0] and "街道乡镇" in lines[0]  # the level in the profile's language
    assert len(lines) == 1 + 2 + 5  # title, header and rule, five rows
    assert (tmp_path / "cases.parquet").exists()
    # it ends by writing the month's report into the --keep folder, and says where
    pages = list(tmp_path.glob("report-*.html"))
    assert len(pages) == 1
    last = result.stderr.strip().splitlines()[-1]
    assert str(pages[0].resolve()) in last and "monthly report" in last
    page = pages[0].read_text(encoding="utf-8")
    assert page.startswith("<!DOCTYPE html>") and "北京市接诉即办月度报告" in page


def test_demo_writes_the_report_where_asked(tmp_path):
    target = tmp_path / "month.html"
    result = CliRunner().invoke(app, ["demo", "--days", "3", "--seed", "7", "--top", "1", "--report", str(target)])
    assert result.exit_code == 0, result.stderr
    assert target.exists() and str(target.resolve()) in result.stderr.strip().splitlines()[-1]
    assert CliRunner().invoke(app, ["demo", "--report", str(tmp_path / "no" / "such.html")]).exit_code == 2


def test_demo_usage_errors():
    assert CliRunner().invoke(app, ["demo", "--level", "planet"]).exit_code == 2
    assert CliRunner().invoke(app, ["demo", "--days", "0"]).exit_code == 2
