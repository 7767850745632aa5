"""`jiesu simulate`: run a scenario and write simulated case records; or replications of it (or of
two scenarios compared) summarised with confidence intervals."""

from __future__ import annotations

from typing import Annotated

import typer

from .common import ProgressBar, call, emit, message
from .options import ProfileOpt, SchedulerOpt

FORMATS = ("table", "csv", "json", "jsonl", "markdown")


def command(
    scenario: Annotated[str | None, typer.Option("--scenario", "-s", help="A built-in scenario (beijing-baseline) or a scenario TOML file.")] = None,
    output: Annotated[str | None, typer.Option("--output", "-o", help="Parquet file to write the case records to (atomically; - is stdout). With --replications: write each run's records beside it as NAME-r0001.parquet, ... (not written otherwise).")] = None,
    days: Annotated[int, typer.Option("--days", "-d", min=1, max=3660, help="Days to simulate.")] = 30,
    seed: Annotated[int, typer.Option("--seed", min=0, help="Random seed; the same seed gives the same bytes.")] = 0,
    summary: Annotated[str | None, typer.Option("--summary", help="Also write the run summary (JSON) to this file (- is stdout); with --replications the replications' summary (every run's figures and the intervals).")] = None,
    overrides: Annotated[
        list[str] | None,
        typer.Option("--set", help="Override a scenario parameter, e.g. --set intake.agents=800 (repeatable; with --compare, in both scenarios)."),
    ] = None,
    profile: ProfileOpt = None,
    replications: Annotated[int | None, typer.Option("--replications", "-n", min=1, max=10_000, help="Run N independent replications (seeds spawned from --seed) and print the mean and a 95% Student-t confidence interval of each indicator.")] = None,
    compare: Annotated[tuple[str, str] | None, typer.Option("--compare", metavar="A B", help="Run scenarios A and B on the same seeds (common random numbers) and print the differences B - A with paired 95% intervals (10 replications unless --replications says).")] = None,
    fmt: Annotated[str, typer.Option("--format", "-f", help="Replications table: table, csv, json, jsonl or markdown.")] = "table",
    scheduler: SchedulerOpt = None,
) -> None:
    """Simulate the case life (intake queue, dispatch, units, callback) and write case records; or,
    with --replications / --compare, run many replications (on a Dask cluster with --scheduler) and
    print what-if tables with confidence intervals.

    Output: Parquet in the case-record schema, with the schema version, seed, scenario and
    parameters in its metadata. Exit codes: 0 ok, 2 bad option or --set, 3 broken scenario/profile.
    """
    if compare is not None and scenario is not None:
        raise typer.BadParameter("give either --scenario or --compare A B", param_hint="--compare")
    if compare is None and scenario is None:
        raise typer.BadParameter("name a scenario (--scenario NAME) or two (--compare A B)", param_hint="--scenario")
    if replications is not None or compare is not None:
        _replications(scenario, compare, replications or 10, output, days, seed, summary, overrides, profile,
                      fmt, scheduler)
        return
    if output is None:
        raise typer.BadParameter("give the Parquet file to write (--output FILE)", param_hint="--output")
    if scheduler is not None:
        raise typer.BadParameter("one run runs here; --scheduler is for --replications or --compare", param_hint="--scheduler")
    from ..simulation import simulate

    progress = ProgressBar("simulating", 1000)
    try:
        result = call(simulate, scenario, profile=profile, days=days, seed=seed,
                      overrides=tuple(overrides or ()), output=output, summary=summary, progress=progress)
    finally:
        progress.close()
    intake = result["intake"]
    message(
        f"{result['cases']:,} cases over {days} days ({result['cases_per_day']:,.0f}/day), "
        f"{result['dispatched_share'] or 0:.1%} dispatched, P(wait) {intake['p_wait'] or 0:.1%}, "
        f"mean wait {intake['mean_wait_seconds'] or 0:.1f} s -> {output}"
    )


def _replications(scenario: str | None, compare: tuple[str, str] | None, n: int, output: str | None, days: int,
                  seed: int, summary: str | None, overrides: list[str] | None, profile: str | None, fmt: str,
                  scheduler: str | None) -> None:
    from ..output import render
    from ..simulation.replications import replicate

    if fmt not in FORMATS:
        raise typer.BadParameter(f"{fmt!r} is not one of {', '.join(FORMATS)}", param_hint="--format")
    if output == "-":
        raise typer.BadParameter("replications write one file per run: name a file, not -", param_hint="--output")
    a, b = compare if compare is not None else (scenario, None)
    progress = ProgressBar("replications")
    try:
        result = call(replicate, a, profile=profile, days=days, seed=seed, replications=n,
                      overrides=tuple(overrides or ()), compare=b, output=output, scheduler=scheduler or None,
                      progress=progress, summary=summary)
    finally:
        progress.close()
    if fmt in ("table", "markdown"):
        rows = result.display_rows()
        emit(render(rows, fmt, columns=list(rows[0])), None)
        message(f"{n} replications of {days} days, seeds spawned from {seed}; 95% Student-t intervals"
                + ("; B - A paired on common random numbers" if compare else ""))
    else:
        emit(render(result.rows, fmt, columns=[*result.columns, "meaning"]), None)
