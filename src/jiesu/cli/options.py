"""Option definitions shared by several commands, defined once."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer

Paths = Annotated[list[Path], typer.Argument(help="Case files (Parquet, CSV, JSON, NDJSON) or folders of them.", show_default=False)]
ProfileOpt = Annotated[
    str | None,
    typer.Option("--profile", "-p", help="City profile: a built-in name (beijing) or a profile TOML file. Default: beijing."),
]
OutputOpt = Annotated[
    str | None,
    typer.Option("--output", "-o", help="Write to this file (atomically; - is stdout) instead of stdout.",
                 show_default=False),
]
MonthOpt = Annotated[str | None, typer.Option("--month", help="Only this month, YYYY-MM (in the profile's time zone).")]
