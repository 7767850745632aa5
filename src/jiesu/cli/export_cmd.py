"""`jiesu export`: case records in another system's format (Open311 GeoReport v2)."""

from __future__ import annotations

from typing import Annotated

import typer

from .common import ProgressBar, call, message
from .options import NaiveTimezoneOpt, Paths, ProfileOpt


def command(
    paths: Paths,
    to: Annotated[str, typer.Option("--to", help="The target format: open311 (GeoReport v2).")] = "open311",
    fmt: Annotated[str, typer.Option("--format", "-f", help="json (one array) or ndjson (one request a line, "
                                     "for big files).")] = "json",
    profile: ProfileOpt = None,
    output: Annotated[str | None, typer.Option("--output", "-o", help="Write to this file (atomically) "
                                               "instead of stdout.")] = None,
    naive_timezone: NaiveTimezoneOpt = None,
) -> None:
    """Export case records as Open311 GeoReport v2 service requests: times with the profile's
    offset, open/closed status with jiesu's status in status_notes, the deadline as
    expected_datetime, dispatch, first contact, callback and closing as notes[]. Streamed batch by
    batch. `jiesu import --mapping open311` reads it back."""
    from ..export import export_open311

    if to != "open311":
        raise typer.BadParameter(f"{to!r}: the only target is open311", param_hint="--to")
    if fmt not in ("json", "ndjson"):
        raise typer.BadParameter("choose json or ndjson", param_hint="--format")
    bar = ProgressBar("exporting")
    try:
        result = call(export_open311, paths, profile=profile, output=output or "-", format=fmt,
                      naive_timezone=naive_timezone, progress=bar)
    finally:
        bar.close()
    if output not in (None, "-"):
        message(f"{result.rows:,} requests written to {output}")
