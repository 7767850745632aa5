"""`jiesu score`: the three rates and the composite per month and group."""

from __future__ import annotations

from typing import Annotated

import typer

from . import scorecard
from .common import message
from .options import Inputs, MonthOpt, NaiveTimezoneOpt, OutputOpt, ProfileOpt, SchedulerOpt

FORMATS = ("table", "csv", "json", "jsonl", "markdown", "parquet")


def command(
    paths: Inputs,
    by: Annotated[str, typer.Option("--by", help="Group by unit, street, district, category or unit_level.")] = "unit",
    month: MonthOpt = None,
    profile: ProfileOpt = None,
    weights: scorecard.WeightsOpt = None,
    fmt: Annotated[str, typer.Option("--format", "-f", help="table, csv, json, jsonl, markdown or parquet.")] = "table",
    output: OutputOpt = None,
    lang: scorecard.LangOpt = None,
    metrics: Annotated[str | None, typer.Option("--metrics", help="rates (the three rates, from callbacks) or "
                                                "timeliness (closed within the deadline, hours to close); "
                                                "default: the profile's scoring.metrics.")] = None,
    as_of: Annotated[str | None, typer.Option("--as-of", help="Timeliness: judge open cases at this date "
                                              "(YYYY-MM-DD, end of day) or local time; default: the latest "
                                              "time received or closed in the data.")] = None,
    naive_timezone: NaiveTimezoneOpt = None,
    scheduler: SchedulerOpt = None,
) -> None:
    """Score cases: response, resolution and satisfaction rates and the composite per month (of the
    callback, in the profile's time zone) and group; or, with --metrics timeliness (data without
    callbacks), cases due, closed on time, closed late, open past their deadline, the on-time rate
    and median / p90 hours to close and to first contact per month received and group. Formats:
    table, csv, json, jsonl, markdown, parquet (to --output, or to stdout when it is not a
    terminal). A figure the data cannot give is empty, not 0, and a message names the column it
    needs."""
    from ..scoring import BY_KEYS, score

    scorecard.check_choice(by, BY_KEYS, "--by")
    p, lang = scorecard.prepare(fmt, FORMATS, month, output, profile, weights, lang, paths)
    if scorecard.check_choice(metrics or p.scoring.metrics, ("rates", "timeliness"), "--metrics") == "timeliness":
        scorecard.timeliness(paths, p, by, month, as_of, fmt, output, lang, naive_timezone=naive_timezone,
                             scheduler=scheduler or None)
        return
    rows = scorecard.run("scoring", score, paths, profile=p, by=by, month=month, naive_timezone=naive_timezone,
                         scheduler=scheduler or None)
    if not rows:
        message("jiesu: no dispatched case has a callback in the period: there is nothing to score "
                "(the three rates need callback_at and callback_valid; without callbacks use --metrics timeliness)")
    columns = ["month", by, "scored", "contacted", "resolved", "satisfied", "basically_satisfied",
               "response_rate", "resolution_rate", "satisfaction_rate", "composite"]
    title = scorecard.title(p, lang, "三率" if lang == "zh" else "three rates", month)
    scorecard.write(rows, fmt, output, paths, columns=columns, lang=lang, title=title)
