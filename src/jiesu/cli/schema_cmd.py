"""`jiesu schema`: the published case-record schema and its versions."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer

from .common import call, emit

app = typer.Typer(help="Compare versions of the case-record schema.", no_args_is_help=True)
FORMATS = ("table", "json", "markdown")


@app.command("diff")
def diff(
    old: Annotated[Path, typer.Argument(help="The older schema (JSON).", show_default=False)],
    new: Annotated[Path, typer.Argument(help="The newer schema (JSON).", show_default=False)],
    fmt: Annotated[str, typer.Option("--format", "-f", help="table, json or markdown.")] = "table",
) -> None:
    """Every difference between two versions of the case-record schema, classified breaking,
    compatible or editorial (docs/schema.md).

    Exit 0 when x-schema-version moved as far as the changes need (breaking: a new major version;
    compatible: a new minor version; editorial: a new patch version), 1 when it did not (or went
    down, or kept its $id), 2 usage error, 3 a file could not be read.
    """
    from ..schema_diff import render_diff, schema_diff

    if fmt not in FORMATS:
        raise typer.BadParameter(f"choose one of {', '.join(FORMATS)}", param_hint="--format")
    result = call(schema_diff, old, new)
    emit(render_diff(result, fmt), None)
    raise typer.Exit(0 if result.ok else 1)
