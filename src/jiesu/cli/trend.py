"""`jiesu trend`: the monthly ranking of a level over a period, in one pass."""

from __future__ import annotations

from typing import Annotated

import typer

from . import governance, scorecard
from .options import NaiveTimezoneOpt, OutputOpt, Paths, ProfileOpt, SchedulerOpt


def command(
    paths: Paths,
    first: governance.FromOpt,
    last: governance.ToOpt,
    level: Annotated[str, typer.Option("--level", help="street, district (territorial), department or enterprise.")] = "district",
    profile: ProfileOpt = None,
    fmt: governance.FormatOpt = "table",
    output: OutputOpt = None,
    lang: scorecard.LangOpt = None,
    naive_timezone: NaiveTimezoneOpt = None,
    scheduler: SchedulerOpt = None,
) -> None:
    """Per unit of a level and month: requests, the three rates, the composite, the rank, the
    change and the classes, exactly as `jiesu rank` gives them month by month, read in one pass."""
    from ..analysis.trend import COLUMNS, trend
    from ..schema import UNIT_LEVELS

    scorecard.check_choice(level, UNIT_LEVELS, "--level")
    p, lang = governance.prepare(fmt, output, profile, lang, {"--from": first, "--to": last}, paths)
    rows = scorecard.run("counting", trend, paths, profile=p, first=first, last=last, level=level,
                         naive_timezone=naive_timezone, scheduler=scheduler or None)
    what = f"{'趋势' if lang == 'zh' else 'trend'} · {level}"
    governance.write(rows, fmt, output, paths=paths, columns=COLUMNS, lang=lang, title=scorecard.title(p, lang, what, f"{first}..{last}"))
