"""`jiesu report`: the monthly report a governance office reads, one self-contained page (or workbook)."""

from __future__ import annotations

import shlex
from pathlib import Path
from typing import Annotated

import typer

from . import scorecard
from .common import emit
from .options import NaiveTimezoneOpt, OutputOpt, Paths, ProfileOpt, SchedulerOpt

FORMATS = ("html", "xlsx")


def command(
    paths: Paths,
    month: Annotated[str, typer.Option("--month", help="The month to report, YYYY-MM (profile's time zone).")],
    profile: ProfileOpt = None,
    weights: scorecard.WeightsOpt = None,
    fmt: Annotated[str | None, typer.Option("--format", "-f", help="html or xlsx (default: xlsx when --output ends in .xlsx, else html).")] = None,
    output: OutputOpt = None,
    lang: scorecard.LangOpt = None,
    naive_timezone: NaiveTimezoneOpt = None,
    scheduler: SchedulerOpt = None,
) -> None:
    """Write the monthly report: headline figures against last month, the four classes and the
    sortable ranking of every ranked level, 12-month trends of the three rates and volume (city
    and districts), a district x category heat map, the rising categories, the 每月一题 tracking
    and the 未诉先办 early warnings, and how the page was made. html is one self-contained page
    (no network; prints on A4); xlsx has the same content as sheets (to --output, or to stdout
    when it is not a terminal)."""
    from ..report import monthly_report, render

    fmt = fmt or ("xlsx" if output is not None and output.lower().endswith(".xlsx") else "html")
    p, lang = scorecard.prepare(fmt, FORMATS, month, output, profile, weights, lang, paths)
    report = scorecard.run("counting", monthly_report, paths, profile=p, month=month,
                           naive_timezone=naive_timezone, scheduler=scheduler or None)
    emit(render(report, fmt, lang=lang,
                command=reproduce(paths, month, profile, weights, fmt, output, lang, naive_timezone)),
         output, paths)


def reproduce(paths: list[Path], month: str, profile: str | None, weights: str | None, fmt: str,
              output: str | None, lang: str, naive_timezone: str | None = None) -> str:
    """The command line that makes the same page again (shell-quoted)."""
    args = ["jiesu", "report", "--month", month]
    for option, value in (("--profile", profile), ("--weights", weights), ("--naive-timezone", naive_timezone)):
        if value is not None:
            args += [option, value]
    args += ["--format", fmt, "--lang", lang]
    if output is not None:
        args += ["--output", output]
    return shlex.join([*args, *map(str, paths)])
