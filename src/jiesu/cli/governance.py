"""What the governance-analysis commands (topics, warn, trend, disputes) share: formats, the
period options, and writing rows with a summary line."""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING, Annotated, Any

import typer

from . import scorecard
from .common import emit, message

if TYPE_CHECKING:
    from ..profile import Profile

FORMATS = ("table", "csv", "json", "markdown", "xlsx", "html")
FormatOpt = Annotated[str, typer.Option("--format", "-f", help="table, csv, json, markdown, xlsx or html (xlsx needs --output).")]
FromOpt = Annotated[str, typer.Option("--from", help="First month, YYYY-MM (profile's time zone).")]
ToOpt = Annotated[str, typer.Option("--to", help="Last month, YYYY-MM (included).")]


def prepare(fmt: str, output: Path | None, profile: str | None, lang: str | None,
            months: dict[str, str | None]) -> tuple[Profile, str]:
    """Check the format, output and months (exit 2) and load the profile; returns it and the language."""
    scorecard.check_choice(fmt, FORMATS, "--format")
    for option, value in months.items():
        scorecard.check_month(value, option)
    scorecard.check_output(fmt, output)
    return scorecard.load(profile, None, lang)


def write(rows: list[dict[str, Any]], fmt: str, output: Path | None, *, columns: tuple[str, ...], lang: str,
          title: str, summary: str | None = None, chart: tuple[str, str] | None = None) -> None:
    """Render the rows; the summary line follows a table or Markdown, and goes to stderr otherwise."""
    from ..output import render

    text = render(rows, fmt, columns=list(columns), lang=lang, title=title, chart=chart)
    if summary and fmt in ("table", "markdown"):
        from ..safe import markdown_text, printable

        text = f"{text}\n{markdown_text(summary) if fmt == 'markdown' else printable(summary)}\n"
    elif summary:
        message(f"jiesu: {summary}")
    emit(text, None if output is None else str(output))
