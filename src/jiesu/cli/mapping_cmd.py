"""`jiesu mapping`: list, show and check import mappings."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer

from ..safe import printable
from .common import call, check_files

app = typer.Typer(help="List, show and check import mappings (how an export's columns become case records).",
                  no_args_is_help=True)


@app.command("check")
def check(
    files: Annotated[list[Path], typer.Argument(help="Mapping TOML files (or built-in names).", show_default=False)],
) -> None:
    """Check mapping files against the published mapping schema (schemas/mapping.schema.json) and
    jiesu's rules: one line per problem, naming the key. Exit 0 all fine, 1 problems found, 3 a
    file cannot be read."""
    from ..importers.mapping import check_mapping

    raise check_files(files, check_mapping)


@app.command("list")
def list_() -> None:
    """The built-in mappings, one a line: name and what export it reads."""
    from ..importers.mapping import built_in, load_mapping

    names = built_in()
    width = max(map(len, names))
    for name in names:
        typer.echo(printable(f"{name:<{width}}  {call(load_mapping, name).name}"))


@app.command("show")
def show(
    mapping: Annotated[str, typer.Argument(help="A built-in mapping name or a mapping file.", show_default=False)],
) -> None:
    """Print a mapping's TOML (start a new city's mapping from the closest built-in one)."""
    from ..importers.mapping import mapping_text

    text = call(mapping_text, mapping)
    typer.echo("".join(printable(line) + "\n" for line in text.splitlines()), nl=False)
