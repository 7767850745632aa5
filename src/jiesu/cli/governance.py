"""What the governance-analysis commands (topics, warn, trend, disputes) share: formats, the
period options, and writing rows with a summary line."""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path
from typing import TYPE_CHECKING, Annotated, Any

import typer

from . import scorecard
from .common import emit, message, output_target

if TYPE_CHECKING:
    from ..profile import Profile

FORMATS = ("table", "csv", "json", "markdown", "xlsx", "html")
FormatOpt = Annotated[str, typer.Option("--format", "-f", help="table, csv, json, markdown, xlsx or html (xlsx to --output, or to stdout when it is not a terminal).")]
FromOpt = Annotated[str, typer.Option("--from", help="First month, YYYY-MM (profile's time zone).")]
ToOpt = Annotated[str, typer.Option("--to", help="Last month, YYYY-MM (included).")]


def prepare(fmt: str, output: str | None, profile: str | None, lang: str | None,
            months: dict[str, str | None], paths: Sequence[Path] = ()) -> tuple[Profile, str]:
    """Check the format, output and months (exit 2: also an output that is a folder, a device, an
    input, or xlsx to a terminal) and load the profile; returns it and the language."""
    from ..output import needs_file

    scorecard.check_choice(fmt, FORMATS, "--format")
    for option, value in months.items():
        scorecard.check_month(value, option)
    output_target(output, paths, binary=needs_file(fmt))
    return scorecard.load(profile, None, lang)


def write(rows: list[dict[str, Any]], fmt: str, output: str | None, *, columns: tuple[str, ...], lang: str,
          title: str, summary: str | None = None, chart: tuple[str, str] | None = None,
          paths: Sequence[Path] = ()) -> None:
    """Render the rows; the summary line follows a table or Markdown, and goes to stderr otherwise."""
    from ..output import render

    text = render(rows, fmt, columns=list(columns), lang=lang, title=title, chart=chart)
    if summary and fmt in ("table", "markdown"):
        from ..safe import markdown_text, printable

        text = f"{text}\n{markdown_text(summary) if fmt == 'markdown' else printable(summary)}\n"
    elif summary:
        message(f"jiesu: {summary}")
    emit(text, output, paths)
