"""`jiesu rank`: the monthly ranking of one level of units and its four classes."""

from __future__ import annotations

from typing import Annotated

import typer

from . import scorecard
from .options import OutputOpt, Paths, ProfileOpt

FORMATS = ("table", "csv", "json", "jsonl", "markdown", "parquet", "xlsx", "html")


def command(
    paths: Paths,
    month: Annotated[str, typer.Option("--month", help="The month to rank, YYYY-MM (profile's time zone).")],
    level: Annotated[str, typer.Option("--level", help="street, district (territorial), department or enterprise.")] = "street",
    profile: ProfileOpt = None,
    weights: scorecard.WeightsOpt = None,
    fmt: Annotated[str, typer.Option("--format", "-f", help="table, csv, json, jsonl, markdown, parquet, xlsx or html.")] = "table",
    output: OutputOpt = None,
    lang: scorecard.LangOpt = None,
) -> None:
    """Rank the units of a level for a month by composite, with last month's composite, the change,
    the request volume and the classes advanced, improving, rectification and governance. Formats:
    table, csv, json, jsonl, markdown, parquet, xlsx (a sheet per class) and html (with a chart);
    parquet and xlsx go to --output, or to stdout when it is not a terminal. Units below the
    profile's minimum are listed unranked. A profile whose scoring.metrics is timeliness (data without
    callbacks) ranks on the on-time rate instead, with cases due, closed on time, closed late, open
    past deadline and hours to close."""
    from ..output import level_label, word
    from ..ranking import COLUMNS, class_tables, rank
    from ..schema import UNIT_LEVELS

    scorecard.check_choice(level, UNIT_LEVELS, "--level")
    p, lang = scorecard.prepare(fmt, FORMATS, month, output, profile, weights, lang, paths)
    rows = scorecard.run("ranking", rank, paths, profile=p, month=month, level=level)
    title = scorecard.title(p, lang, f"{word('ranking', lang)} · {level_label(level, lang)}", month)
    columns, chart = list(COLUMNS), ("name", "composite")
    if p.scoring.metrics == "timeliness":  # the profile ranks on the on-time rate (data without callbacks)
        from ..timeliness import RANK_COLUMNS

        columns, chart = list(RANK_COLUMNS), None
    scorecard.write(rows, fmt, output, paths, columns=columns, lang=lang, title=title,
                    sheets=class_tables(rows, p) if fmt in ("xlsx", "html") else None, chart=chart)
