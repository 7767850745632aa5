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
    keep: Annotated[Path | None, typer.Option("--keep", help="Keep the simulated cases.parquet (and the report) in this folder.")] = None,
    top: Annotated[int, typer.Option("--top", min=0, help="Rows of the ranking to print (0: all).")] = 0,
    report: Annotated[Path | None, typer.Option("--report", help="Write the monthly report page to this file or folder (default: report-YYYY-MM.html in the --keep folder, else in a new folder under the system's temporary folder).")] = None,
) -> None:
    """Simulate a Beijing month, validate it, score it, print the ranking (street by default) and
    write the monthly report of that month (an HTML page; its path is the last line on stderr).

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
    if report is not None and not report.is_dir() and not report.parent.is_dir():
        raise typer.BadParameter(f"the folder of {report} does not exist", param_hint="--report")
    bar = ProgressBar("simulating")
    # the page outlives the run: without --keep or --report it goes to a folder of its own (never
    # one of the scratch folders a later run clears)
    folder = keep or (None if report is not None else Path(tempfile.mkdtemp(prefix="jiesu-report-")))
    with tempfile.TemporaryDirectory(prefix=temp_folder_prefix("demo")) as tmp, guarded():
        try:
            result = run_demo(keep or tmp, days=days, seed=seed, level=level,
                              report=report or folder, stage=lambda s: message(f"jiesu demo: {s}"),
                              progress=bar)
        finally:
            bar.close()
    s, r = result.summary, result.report
    message(
        f"jiesu demo: {s['requests']:,} requests simulated ({s['intake']['abandoned']:,} hung up before an "
        f"answer), {s['cases']:,} cases recorded; validation: "
        f"{'valid' if r.valid else 'INVALID'} ({r.rows:,} rows, {r.errors} errors, {r.warnings} warnings)"
    )
    rows = result.ranking if not top else result.ranking[:top]
    lang = result.profile.language
    title = f"{result.profile.name} {result.month} {level_label(result.level, lang)}"
    typer.echo(f"{title} ranking (composite = 100 × weighted three rates; weights are illustrative)\n")
    typer.echo(render(rows, "table", columns=list(COLUMNS), lang=lang, title=title))
    message(f"jiesu demo: the monthly report of {result.month} is {result.report_page.resolve()} "
            "(one self-contained page: open it in a browser)")

