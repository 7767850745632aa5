"""`jiesu disputes`: dispatch objections and removals from scoring, counts only."""

from __future__ import annotations

from typing import Annotated

import typer

from . import governance, scorecard
from .options import NaiveTimezoneOpt, OutputOpt, Paths, ProfileOpt, SchedulerOpt


def command(
    paths: Paths,
    month: Annotated[str, typer.Option("--month", help="The month (cases received in it), YYYY-MM.")],
    by: Annotated[str, typer.Option("--by", help="unit or category.")] = "unit",
    profile: ProfileOpt = None,
    fmt: governance.FormatOpt = "table",
    output: OutputOpt = None,
    lang: scorecard.LangOpt = None,
    naive_timezone: NaiveTimezoneOpt = None,
    scheduler: SchedulerOpt = None,
) -> None:
    """Dispatch objections (派单异议) and removals from scoring (核减) of a month per unit or per
    category: dispatched cases, cases objected to, objections, cases objected to twice or more,
    objections upheld and their share, exclusions by reason, and a total row. Counts only: no
    published rule decides a dispute. The hours a decision took and the units a case passed
    through are not in the case record (see docs/analysis.md)."""
    from ..analysis.disputes import BY, COLUMNS, disputes

    scorecard.check_choice(by, BY, "--by")
    p, lang = governance.prepare(fmt, output, profile, lang, {"--month": month}, paths)
    rows = scorecard.run("counting", disputes, paths, profile=p, month=month, by=by,
                         naive_timezone=naive_timezone, scheduler=scheduler or None)
    if lang == "zh":  # one language per page
        rows = [dict(r, name="合计") if r["key"] is None else r for r in rows]
    what = f"{'派单异议与核减' if lang == 'zh' else 'disputes'} · {by}"
    governance.write(rows, fmt, output, paths=paths, columns=COLUMNS, lang=lang, title=scorecard.title(p, lang, what, month))
