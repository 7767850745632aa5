"""docs/mapping.md's worked example runs as written: the files it shows are the files in
docs/examples/, and the report it quotes is the report jiesu prints."""

from __future__ import annotations

import json
import re
import shutil
from pathlib import Path

from typer.testing import CliRunner

from jiesu.cli.app import app

ROOT = Path(__file__).resolve().parents[1]
DOC = (ROOT / "docs" / "mapping.md").read_text(encoding="utf-8")
runner = CliRunner()


def block(lang: str, index: int = 0) -> str:
    return re.findall(rf"```{lang}\n(.*?)```", DOC, re.DOTALL)[index]


def test_the_doc_shows_the_example_files():
    assert block("csv") == (ROOT / "docs" / "examples" / "riverton.csv").read_text(encoding="utf-8")
    assert block("toml") == (ROOT / "docs" / "examples" / "riverton.toml").read_text(encoding="utf-8")


def test_the_worked_example_runs_as_written(tmp_path: Path, monkeypatch):
    for name in ("riverton.csv", "riverton.toml"):
        shutil.copy(ROOT / "docs" / "examples" / name, tmp_path / name)
    monkeypatch.chdir(tmp_path)
    assert runner.invoke(app, ["mapping", "check", "riverton.toml"]).exit_code == 0
    result = runner.invoke(app, ["import", "riverton.csv", "--mapping", "riverton.toml", "--output", "riverton.parquet",
                                 "--profile-out", "riverton-profile.toml"])
    assert result.exit_code == 0, result.stderr
    assert block("text") in result.stdout  # the report quoted in the doc, table for table
    valid = runner.invoke(app, ["validate", "--profile", "riverton-profile.toml", "riverton.parquet"])
    assert valid.exit_code == 0 and "4 rows in 1 file; 0 errors, 0 warnings" in valid.stdout
    score = runner.invoke(app, ["score", "riverton.parquet", "--profile", "riverton-profile.toml", "--by", "unit",
                                "-f", "json"])
    rates = {r["unit"]: r["on_time_rate"] for r in json.loads(score.stdout)}
    assert rates == {"roads": 0.5, "lighting": 0.0}
