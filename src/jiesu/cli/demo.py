"""`jiesu demo`: the main job on built-in data, no input needed."""

from __future__ import annotations

import tempfile
from pathlib import Path
from typing import Annotated

import typer

from .common import ProgressBar, guarded, message


def command(
    days: Annotated[int, typer.Option("--days", min=1, max=366, help="Days to simulate.")] = 31,
    seed: Annotated[int, typer.Option("--seed", min=0, help="Random seed.")] = 2024,
    level: Annotated[str, typer.Option("--level", help="Level to rank: street, district, department or enterprise.")] = "street",
    keep: Annotated[Path | None, typer.Option("--keep", help="Keep the simulated cases.parquet in this folder.")] = None,
    top: Annotated[int, typer.Option("--top", min=0, help="Rows of the ranking to print (0: all).")] = 0,
) -> None:
    """Simulate a Beijing month, validate it, score it and print the ranking (street by default).

    Uses the built-in Beijing profile and the beijing-baseline scenario. Illustrative settings
    (weights, time limits, class size) are not Beijing's published rules: see `jiesu profile show`.
    """
    from ..demo import run_demo
    from ..io.atomic import temp_folder_prefix
    from ..output import level_label, render
    from ..ranking import COLUMNS
    from ..schema import UNIT_LEVELS

    if level not in UNIT_LEVELS:
        raise typer.BadParameter(f"choose {', '.join(UNIT_LEVELS)}", param_hint="--level")
    if keep is not None and not keep.is_dir():
        raise typer.BadParameter(f"{keep} is not a folder", param_hint="--keep")
    bar = ProgressBar("simulating")
    with tempfile.TemporaryDirectory(prefix=temp_folder_prefix("demo")) as tmp, guarded():
        try:
            result = run_demo(keep or tmp, days=days, seed=seed, level=level, stage=lambda s: message(f"jiesu demo: {s}"), progress=bar)
        finally:
            bar.close()
    s, r = result.summary, result.report
    message(
        f"jiesu demo: {s['requests']:,} requests simulated; validation: "
        f"{'valid' if r.valid else 'INVALID'} ({r.rows:,} rows, {r.errors} errors, {r.warnings} warnings)"
    )
    rows = result.ranking if not top else result.ranking[:top]
    lang = result.profile.language
    title = f"{result.profile.name} {result.month} {level_label(result.level, lang)}"
    typer.echo(f"{title} ranking (composite = 100 × weighted three rates; weights are illustrative)\n")
    typer.echo(render(rows, "table", columns=list(COLUMNS), lang=lang, title=title))
