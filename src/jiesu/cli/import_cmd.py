"""`jiesu import`: another system's export in, case records out, through a mapping (thin layer)."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer

from .common import ProgressBar, call, message

Sources = Annotated[list[Path], typer.Argument(help="Export files (CSV, CSV.GZ, XLSX, JSON, NDJSON) or folders of them.",
                                               show_default=False)]
MappingOpt = Annotated[str, typer.Option("--mapping", "-m", help="A built-in mapping (boston-311, nyc-311, open311, "
                                         "cn-12345) or a mapping TOML file.", show_default=False)]
EncodingOpt = Annotated[str | None, typer.Option("--encoding", help="CSV text encoding (default: UTF-8, else GB18030, detected).")]


def command(
    sources: Sources,
    mapping: MappingOpt,
    output: Annotated[str, typer.Option("--output", "-o", help="Parquet file for the case records (written atomically; "
                                        "- is stdout, which must not be a terminal).", show_default=False)],
    profile: Annotated[str | None, typer.Option("--profile", "-p", help="City profile, for a mapping that takes "
                                                "time limits from it.")] = None,
    profile_out: Annotated[str | None, typer.Option("--profile-out", help="Also infer a city profile from the same "
                                                    "pass and write it here (see `jiesu profile infer`; - is stdout).")] = None,
    encoding: EncodingOpt = None,
    strict: Annotated[bool, typer.Option("--strict", help="Write nothing when any row is rejected.")] = False,
    fmt: Annotated[str, typer.Option("--format", "-f", help="The report: table or json.")] = "table",
) -> None:
    """Import an export of another hotline system as case records through a mapping: its columns,
    words, time layouts and time zone (docs/mapping.md). The report (stdout) counts rows read,
    written and rejected, and per field the values mapped, constant, derived, defaulted, empty and
    unknown; rejected rows are counted per field and reason with masked samples (on stderr when the
    records or the profile go to stdout). Exit 0 written, 1 nothing written (no row could be mapped,
    or --strict and rows were rejected), 2 an output jiesu must not write (a folder, a device, an
    input), 3 unusable mapping or unreadable input (nothing written)."""
    from ..importers.render import report_text
    from ..importers.run import import_cases

    if fmt not in ("table", "json"):
        raise typer.BadParameter("choose table or json", param_hint="--format")
    bar = ProgressBar("importing")
    try:
        report = call(import_cases, sources, profile=profile, mapping=mapping, output=output,
                      profile_output=profile_out, encoding=encoding, strict=strict, progress=bar)
    finally:
        bar.close()
    from ..io.atomic import is_stdout

    stdout_taken = is_stdout(output) or (profile_out is not None and is_stdout(profile_out))
    typer.echo(report_text(report, fmt), nl=False, err=stdout_taken)
    if not report.written:
        why = "rows were rejected and --strict is set" if report.rows_written else "no row could be mapped"
        message(f"jiesu: nothing written to {output}: {why}")
        raise typer.Exit(1)
    message(f"{report.rows_written:,} of {report.rows_read:,} rows written to {output} in {report.seconds:.1f} s"
            + (f"; {report.rows_rejected:,} rejected" if report.rows_rejected else ""))
