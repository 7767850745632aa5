"""`jiesu profile`: show and check city profiles."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer

from ..safe import masked, printable
from .common import call, check_files, message
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

    raise check_files(files, check_profile)


@app.command("infer")
def infer(
    sources: Annotated[list[Path], typer.Argument(help="Export files or folders (as for `jiesu import`).", show_default=False)],
    mapping: Annotated[str, typer.Option("--mapping", "-m", help="A built-in mapping or a mapping TOML file.", show_default=False)],
    output: Annotated[str | None, typer.Option("--output", "-o", help="Write the profile TOML here (atomically) instead of stdout.")] = None,
    city_id: Annotated[str | None, typer.Option("--city-id", help="The profile's city id (default: the mapping's id).")] = None,
    city_name: Annotated[str | None, typer.Option("--city-name", help="The city's name (default: the mapping's name).")] = None,
    profile: ProfileOpt = None,
    encoding: Annotated[str | None, typer.Option("--encoding", help="CSV text encoding (default: detected).")] = None,
) -> None:
    """Infer a city profile from an export: units with their levels, districts and streets,
    categories with counts (fact, from the data); time limits from the deadlines seen, scoring
    (timeliness when the data has no callbacks) and ranking rules, every one marked
    illustrative = true. Edit it, then `jiesu profile check` it. Exit 0 ok, 3 unusable mapping,
    unreadable input or a profile that would not pass its checks."""
    from ..importers.infer import infer_profile
    from .common import ProgressBar

    bar = ProgressBar("inferring")
    try:
        result = call(infer_profile, sources, profile=profile, mapping=mapping, output=output,
                      city_id=city_id, city_name=city_name, encoding=encoding, progress=bar)
    finally:
        bar.close()
    if output is None:
        typer.echo("".join(printable(line) + "\n" for line in result.text.splitlines()), nl=False)
    units = result.data["units"]
    message(f"{result.report.rows_read:,} rows read; {len(units):,} units, {len(result.data['categories']):,} "
            f"categories, metrics {result.data['scoring']['metrics']}" + (f" -> {output}" if output else ""))
