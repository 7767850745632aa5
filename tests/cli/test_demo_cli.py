"""`jiesu demo`: simulate, validate, score and rank with no input."""

from __future__ import annotations

import itertools

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
    lines = [line for line in result.stdout.splitlines() if line.strip()]
    assert "ranking" in lines[0] and "街道乡镇" in lines[0]  # the level in the profile's language
    assert len(lines) == 1 + 2 + 5  # title, header and rule, five rows
    assert (tmp_path / "cases.parquet").exists()


def test_demo_usage_errors():
    assert CliRunner().invoke(app, ["demo", "--level", "planet"]).exit_code == 2
    assert CliRunner().invoke(app, ["demo", "--days", "0"]).exit_code == 2
