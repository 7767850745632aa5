"""`jiesu import`: turn other cities' real hotline exports into case records (thin layer)."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer

from .common import ProgressBar, call, message

app = typer.Typer(help="Import real citizen-hotline exports of other cities as case records.", no_args_is_help=True)


@app.command("boston311")
def boston311(
    csv: Annotated[Path, typer.Argument(help="Boston 311 CSV export (plain or .gz).", show_default=False)],
    output: Annotated[str, typer.Option("--output", "-o", help="Parquet file to write the case records to (atomically; - is stdout).")],
    profile_out: Annotated[
        str | None, typer.Option("--profile-out", help="Also write a Boston city profile TOML built from the data (- is stdout).")
    ] = None,
    default_limit_hours: Annotated[
        float, typer.Option("--default-limit-hours", min=0.001, help="Deadline after receipt for cases without TARGET_DT.")
    ] = 168.0,
) -> None:
    """Import City of Boston 311 service requests (CRM Cases) as case records.

    Times are localised from America/New_York (DST-aware) to UTC; no personal or free-text column
    is read. Counts of every adjustment go to stderr. Exit 0 ok, 3 missing or unreadable file or a
    CSV without the Boston columns.
    """
    from ..importers import import_boston311

    progress = ProgressBar("importing")
    try:
        r = call(import_boston311, csv, output, profile_out,
                 default_limit_hours=default_limit_hours, progress=progress)
    finally:
        progress.close()
    dropped = ", ".join(f"{k} {v:,}" for k, v in r.dropped.items() if v) or "none"
    c = r.counts
    message(
        f"{r.rows_written:,} of {r.rows_read:,} rows written to {output} in {r.seconds:.1f} s "
        f"(dropped: {dropped}); {c['not_dispatched']:,} not dispatched (no queue); "
        f"deadline = received + {r.default_limit_hours:g} h for {c['deadline_from_default']:,} without TARGET_DT"
        f" and {c['deadline_before_open']:,} with TARGET_DT before OPEN_DT; "
        f"{c['closed_before_open']:,} closed before opening (closed_at left empty); "
        f"{r.dst_fixes:,} DST-ambiguous or nonexistent local times resolved; "
        f"{c['district_missing']:,} without neighbourhood"
    )
    if r.profile_out:
        message(f"profile: {r.units:,} units, {r.districts:,} districts, {r.categories:,} categories -> {r.profile_out}")
