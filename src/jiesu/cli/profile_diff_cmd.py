"""`jiesu profile diff`: thin layer over jiesu.profile_diff.profile_diff."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer

from .common import ProgressBar, call, emit, output_target
from .options import OutputOpt

FORMATS = ("table", "json", "markdown")


def command(
    old: Annotated[str, typer.Argument(help="The profile before: a built-in name (beijing) or a TOML file.", show_default=False)],
    new: Annotated[str, typer.Argument(help="The profile after: a built-in name or a TOML file.", show_default=False)],
    cases: Annotated[list[Path] | None, typer.Argument(help="Case files or folders: also show which units' ranks and classes change.", show_default=False)] = None,
    level: Annotated[list[str] | None, typer.Option("--level", help="Only this level (repeatable); default: every level either profile ranks.")] = None,
    month: Annotated[list[str] | None, typer.Option("--month", help="Only this month, YYYY-MM (repeatable); default: every month in the cases.")] = None,
    fmt: Annotated[str, typer.Option("--format", "-f", help="table, json or markdown.")] = "table",
    fail_on_change: Annotated[bool, typer.Option("--fail-on-change", help="Exit 1 when a rank or class changes (without cases: when a setting changes).")] = False,
    output: OutputOpt = None,
) -> None:
    """What changes from one profile to another: units added, removed, renamed or re-coded,
    categories re-mapped, time limits, weights and ranking rules; with case files, which units'
    ranks and classes change in each month because of it (both profiles rank the same cases).

    Exit 0 (also when things changed, unless --fail-on-change), 1 changes with --fail-on-change,
    2 usage error, 3 a profile or case file could not be read.
    """
    from ..profile_diff import profile_diff, render_profile_diff

    if fmt not in FORMATS:
        raise typer.BadParameter(f"choose one of {', '.join(FORMATS)}", param_hint="--format")
    inputs = [*(x for x in (old, new) if Path(x).is_file()), *(cases or [])]
    output_target(output, inputs)  # checked before the work: exit 2 for a folder, a device, an input
    progress = ProgressBar("ranking")
    try:
        result = call(profile_diff, old, new, cases or [], levels=level or None, months=month or None, progress=progress)
    finally:
        progress.close()
    emit(render_profile_diff(result, fmt), output, inputs)
    raise typer.Exit(1 if fail_on_change and result.changed else 0)
