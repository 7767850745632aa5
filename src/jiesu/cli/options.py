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
#: inputs of a command that can run on a cluster: also glob patterns and fsspec URLs (kept as text)
Inputs = Annotated[list[str], typer.Argument(
    help="Case files (Parquet, CSV, JSON, NDJSON) or folders of them; with --scheduler also glob "
         "patterns and fsspec URLs (s3://..., Parquet only).", show_default=False)]
#: ``--scheduler``: a command whose library call takes ``scheduler=`` adds this one option and passes it on
SchedulerOpt = Annotated[
    str | None,
    typer.Option("--scheduler", envvar="JIESU_SCHEDULER", show_envvar=True, metavar="ADDRESS",
                 help="Run on a Dask cluster: local (a cluster of this machine's cores; local:N for N "
                      "workers) or tcp://HOST:PORT of a running scheduler; empty: in this process. "
                      "Needs jiesu[dask]; see docs/scale.md."),
]
NaiveTimezoneOpt = Annotated[
    str | None,
    typer.Option("--naive-timezone", metavar="ZONE",
                 help="Read Parquet timestamps stored without a time zone (Spark's INT96, Hive, pandas) as times "
                      "in ZONE, e.g. UTC (Spark's INT96) or Asia/Shanghai. Without it such files are refused."),
]
MonthOpt = Annotated[str | None, typer.Option("--month", help="Only this month, YYYY-MM (in the profile's time zone).")]
