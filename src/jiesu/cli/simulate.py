"""`jiesu simulate`: run a scenario and write simulated case records."""

from __future__ import annotations

from typing import Annotated

import typer

from .common import ProgressBar, call, message
from .options import ProfileOpt


def command(
    scenario: Annotated[str, typer.Option("--scenario", "-s", help="A built-in scenario (beijing-baseline) or a scenario TOML file.")],
    output: Annotated[str, typer.Option("--output", "-o", help="Parquet file to write the case records to (atomically; - is stdout).")],
    days: Annotated[int, typer.Option("--days", "-d", min=1, max=3660, help="Days to simulate.")] = 30,
    seed: Annotated[int, typer.Option("--seed", min=0, help="Random seed; the same seed gives the same bytes.")] = 0,
    summary: Annotated[str | None, typer.Option("--summary", help="Also write the run summary (JSON) to this file (- is stdout).")] = None,
    overrides: Annotated[
        list[str] | None,
        typer.Option("--set", help="Override a scenario parameter, e.g. --set intake.agents=800 (repeatable)."),
    ] = None,
    profile: ProfileOpt = None,
) -> None:
    """Simulate the case life (intake queue, dispatch, units, callback) and write case records.

    Output: Parquet in the case-record schema, with the schema version, seed, scenario and
    parameters in its metadata. Exit codes: 0 ok, 2 bad option or --set, 3 broken scenario/profile.
    """
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
