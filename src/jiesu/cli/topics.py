"""`jiesu topics`: choosing (candidates) and tracking (track) the 每月一题 problems."""

from __future__ import annotations

from typing import Annotated

import typer

from . import governance, scorecard
from .options import NaiveTimezoneOpt, OutputOpt, Paths, ProfileOpt, SchedulerOpt

app = typer.Typer(help="每月一题: candidate problems from the requests, and the registered problems' monthly tracking.",
                  no_args_is_help=True, rich_markup_mode=None)


@app.command("candidates")
def candidates(
    paths: Paths,
    first: governance.FromOpt,
    last: governance.ToOpt,
    profile: ProfileOpt = None,
    fmt: governance.FormatOpt = "table",
    output: OutputOpt = None,
    lang: scorecard.LangOpt = None,
    naive_timezone: NaiveTimezoneOpt = None,
    scheduler: SchedulerOpt = None,
) -> None:
    """Rank the categories (and the topics the data carry) of a period as candidates for next year's
    problems: dispatched volume, share, streets and districts reached, months among the top N,
    resolution and satisfaction rates, repeats, the streets where they concentrate, and a weighted
    score whose weights are profile settings (analysis.candidate_weights, illustrative)."""
    from ..analysis.candidates import COLUMNS, candidates

    p, lang = governance.prepare(fmt, output, profile, lang, {"--from": first, "--to": last}, paths)
    rows = scorecard.run("counting", candidates, paths, profile=p, first=first, last=last, naive_timezone=naive_timezone,
                         scheduler=scheduler or None)
    what = "每月一题候选" if lang == "zh" else "topic candidates"
    governance.write(rows, fmt, output, paths=paths, columns=COLUMNS, lang=lang,
                     title=scorecard.title(p, lang, what, f"{first}..{last}"), chart=("name", "score"))


@app.command("track")
def track(
    paths: Paths,
    month: Annotated[str, typer.Option("--month", help="The month to track, YYYY-MM (profile's time zone).")],
    profile: ProfileOpt = None,
    fmt: governance.FormatOpt = "table",
    output: OutputOpt = None,
    lang: scorecard.LangOpt = None,
    naive_timezone: NaiveTimezoneOpt = None,
    scheduler: SchedulerOpt = None,
) -> None:
    """Track the profile's registered problems ([[topics]]) in a month: dispatched volume, change
    month on month and year on year, whether it fell by more than the profile's threshold
    (analysis.decline_threshold, 10 % by default, illustrative), the three rates and the top
    streets; then a summary line such as "15 of 27 problems declining"."""
    from ..analysis.tracking import COLUMNS, track

    p, lang = governance.prepare(fmt, output, profile, lang, {"--month": month}, paths)
    if not p.topics:
        from .common import message

        message(f"jiesu: profile {p.id!r} registers no problem ([[topics]]): there is nothing to track")
    result = scorecard.run("counting", track, paths, profile=p, month=month, naive_timezone=naive_timezone,
                           scheduler=scheduler or None)
    what = "每月一题跟踪" if lang == "zh" else "topic tracking"
    governance.write(result.rows, fmt, output, paths=paths, columns=COLUMNS, lang=lang,
                     title=scorecard.title(p, lang, what, month), summary=result.summary(lang))
