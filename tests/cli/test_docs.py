"""cli.md in step with the application: generated from --help, every command helped, every
validation code and every error code documented with its exit code."""

from __future__ import annotations

from pathlib import Path

import typer

from jiesu.cli.app import app
from jiesu.cli.common import EXIT_CODES, exit_code
from jiesu.cli.docs import _commands, generate
from jiesu.errors import ERRORS
from jiesu.validation import CHECKS

ROOT = Path(__file__).resolve().parents[2]


def test_cli_md_matches_the_app():
    committed = (ROOT / "cli.md").read_text(encoding="utf-8")
    assert committed == generate(), "cli.md is stale: run `python -m jiesu.cli.docs > cli.md`"


def test_every_command_and_sub_command_has_help():
    root = typer.main.get_command(app)
    paths = _commands(root, [])
    assert ["validate"] in paths and ["profile", "check"] in paths
    for path in paths:
        cmd = root
        for part in path:
            cmd = cmd.get_command(typer.Context(cmd), part)  # type: ignore[attr-defined]
        assert cmd.help or cmd.short_help, f"jiesu {' '.join(path)} has no help"


def test_every_validation_code_and_error_code_is_documented():
    text = (ROOT / "cli.md").read_text(encoding="utf-8")
    for code in CHECKS:
        assert f"| `{code}` |" in text, code
    for cls in ERRORS:
        error = cls("x")
        assert f"| `{cls.code}` | {exit_code(error)} |" in text, cls.code
    assert {cls for cls, _ in EXIT_CODES} >= set(ERRORS)
