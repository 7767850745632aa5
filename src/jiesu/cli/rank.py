"""`jiesu rank`: the monthly ranking of one level of units and its four classes."""

from __future__ import annotations

from typing import Annotated

import typer

from . import _scorecard as sc
from .options import OutputOpt, Paths, ProfileOpt

LEVELS = ("street", "district", "department", "enterprise")
FORMATS = ("table", "csv", "json", "jsonl", "markdown", "parquet", "xlsx", "html")


def command(
    paths: Paths,
    month: Annotated[str, typer.Option("--month", help="The month to rank, YYYY-MM (profile's time zone).")],
    level: Annotated[str, typer.Option("--level", help="street, district (territorial), department or enterprise.")] = "street",
    profile: ProfileOpt = None,
    weights: sc.WeightsOpt = None,
    fmt: Annotated[str, typer.Option("--format", "-f", help="table, csv, json, jsonl, markdown, parquet, xlsx or html.")] = "table",
    output: OutputOpt = None,
    lang: sc.LangOpt = None,
) -> None:
    """Rank the units of a level for a month by composite, with last month's composite, the change,
    the request volume and the classes advanced, improving, rectification and governance. Formats:
    table, csv, json, jsonl, markdown, parquet, xlsx (a sheet per class) and html (with a chart);
    parquet and xlsx need --output. Units below the profile's minimum are listed unranked."""
    from ..ranking import COLUMNS, class_tables, rank

    sc.check_choice(level, LEVELS, "--level")
    p, lang = sc.prepare(fmt, FORMATS, month, output, profile, weights, lang)
    rows = sc.run("ranking", rank, paths, month, level, p)
    title = sc.title(p, lang, f"{'排名' if lang == 'zh' else 'ranking'} · {level}", month)
    sc.write(rows, fmt, output, columns=list(COLUMNS), lang=lang, title=title,
             sheets=class_tables(rows, p) if fmt in ("xlsx", "html") else None, chart=("name", "composite"))
