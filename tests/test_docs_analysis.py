"""The examples of docs/analysis.md and the README run: each `$ jiesu ...` line of a ```console
block is run and its output must be the block's text."""

from __future__ import annotations

import re
import shlex
from pathlib import Path

import pytest
from typer.testing import CliRunner

from jiesu.cli.app import app

ROOT = Path(__file__).resolve().parents[1]
BLOCK = re.compile(r"```console\n(.*?)```", re.DOTALL)


def examples(path: Path) -> list[tuple[str, str]]:
    out = []
    for block in BLOCK.findall(path.read_text(encoding="utf-8")):
        command, _, expected = block.partition("\n")
        assert command.startswith("$ jiesu "), command
        out.append((command[2:], expected.rstrip("\n")))
    return out


CASES = [pytest.param(cmd, want, id=f"{path.name}: {cmd[:60]}")
         for path in (ROOT / "docs" / "analysis.md", ROOT / "README.md") for cmd, want in examples(path)]


def test_the_docs_have_examples():
    assert len(CASES) >= 8


@pytest.mark.parametrize(("command", "expected"), CASES)
def test_example_output_is_real(command, expected, monkeypatch):
    monkeypatch.chdir(ROOT)
    result = CliRunner().invoke(app, shlex.split(command)[1:], env={"COLUMNS": "250", "NO_COLOR": "1"})
    assert result.exit_code == 0, result.stderr
    assert result.stdout.rstrip("\n") == expected
