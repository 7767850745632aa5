"""`jiesu warn`: 未诉先办 early warning on category x street and category x district series."""

from __future__ import annotations

from typing import Annotated

import typer

from . import governance, scorecard
from .options import NaiveTimezoneOpt, OutputOpt, Paths, ProfileOpt, SchedulerOpt


def command(
    paths: Paths,
    month: Annotated[str | None, typer.Option("--month", help="Check this month, YYYY-MM.")] = None,
    days: Annotated[int | None, typer.Option("--days", help="Check the last N days instead (1 to 92).")] = None,
    until: Annotated[str | None, typer.Option("--until", help="With --days: the last day, YYYY-MM-DD (default: the last day with a case).")] = None,
    profile: ProfileOpt = None,
    fmt: governance.FormatOpt = "table",
    output: OutputOpt = None,
    lang: scorecard.LangOpt = None,
    naive_timezone: NaiveTimezoneOpt = None,
    scheduler: SchedulerOpt = None,
) -> None:
    """Warn where the requests of a category in a street (or a district) in a month, or in the last
    N days, are far above their own history: a negative-binomial upper bound on each series'
    baseline (the Farrington-flexible threshold of Noufaily et al.; settings in the profile's
    [warn] table, illustrative). See docs/analysis.md for its measured false-alarm and detection
    rates. Exit 0 whether or not it warns."""
    from ..analysis.warn import COLUMNS, warn

    if (month is None) == (days is None):
        raise typer.BadParameter("give --month YYYY-MM or --days N", param_hint="--month/--days")
    if until is not None and days is None:
        raise typer.BadParameter("--until goes with --days", param_hint="--until")
    p, lang = governance.prepare(fmt, output, profile, lang, {"--month": month}, paths)
    result = scorecard.run("counting", warn, paths, profile=p, month=month, days=days, until=until,
                           naive_timezone=naive_timezone, scheduler=scheduler or None)
    what = "未诉先办预警" if lang == "zh" else "early warning"
    governance.write(result.rows, fmt, output, paths=paths, columns=COLUMNS, lang=lang,
                     title=scorecard.title(p, lang, what, result.period), summary=result.summary(lang))
