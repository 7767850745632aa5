"""`jiesu profile`: show and check city profiles."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer

from ..safe import mask, masked, printable
from .common import call, message
from .options import ProfileOpt

app = typer.Typer(help="Show and check city profiles (units, categories, time limits, weights, ranking rules).",
                  no_args_is_help=True)


@app.command("show")
def show(
    profile: ProfileOpt = None,
    fmt: Annotated[str, typer.Option("--format", "-f", help="table or json.")] = "table",
    units: Annotated[bool, typer.Option("--units", help="Also list every unit.")] = False,
) -> None:
    """Print a profile's settings; illustrative settings (not published by the city) are marked."""
    import json

    from ..profile import load_profile, profile_summary

    if fmt not in ("table", "json"):
        raise typer.BadParameter("choose table or json", param_hint="--format")
    p = call(load_profile, profile)
    summary = profile_summary(p)
    if units:
        summary["unit_list"] = [{"id": u.id, "name": u.name, "level": u.level, "district": u.district, "kind": u.kind}
                                for u in p.units]
    if fmt == "json":
        typer.echo(json.dumps(masked(summary), ensure_ascii=False, indent=2))
        return
    from ..render_profile import profile_text

    typer.echo(profile_text(masked(summary, terminal=True)))


@app.command("check")
def check(
    files: Annotated[list[Path], typer.Argument(help="Profile TOML files.", show_default=False)],
) -> None:
    """Check profile files against the published profile schema (schemas/profile.schema.json) and
    jiesu's rules: one line per problem, naming the key. Exit 0 all fine, 1 problems found, 3 a
    file cannot be read."""
    from ..profile import check_profile

    found = 0
    for path in files:
        problems = call(check_profile, path)
        found += len(problems)
        for problem in problems:
            typer.echo(printable(mask(f"{path}: {problem}")))
        if not problems:
            message(printable(mask(f"{path}: ok")))
    raise typer.Exit(1 if found else 0)
