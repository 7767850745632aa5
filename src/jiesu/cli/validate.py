"""`jiesu validate`: thin layer over jiesu.validation.validate."""

from __future__ import annotations

from typing import Annotated

import typer

from .common import EXIT_INVALID, EXIT_OK, ProgressBar, call, emit, output_target, use_color
from .options import OutputOpt, Paths, ProfileOpt


def command(
    paths: Paths,
    profile: ProfileOpt = None,
    fmt: Annotated[str, typer.Option("--format", "-f", help="Report format: table, json, github (workflow annotations), junit (JUnit XML) or markdown (a summary).")] = "table",
    max_samples: Annotated[int, typer.Option("--max-samples", min=0, help="Sample rows kept per (code, field).")] = 5,
    encoding: Annotated[str | None, typer.Option("--encoding", help="Text encoding of CSV input; default: detect UTF-8 or GB18030.")] = None,
    strict: Annotated[bool, typer.Option("--strict", help="Warnings fail too (exit 1).")] = False,
    output: OutputOpt = None,
    save: Annotated[list[str] | None, typer.Option("--save", metavar="FORMAT:FILE", help="Also write the report in another format to a file (atomically), from the same run; repeatable, e.g. --save json:report.json --save junit:junit.xml.")] = None,
) -> None:
    """Check case records against the published schema and the city profile.

    Exit 0 valid (warnings allowed), 1 invalid, 2 usage error, 3 could not run. The report is
    printed whole whatever the verdict.
    """
    from ..validation import validate
    from ..validation.render import FORMATS, render

    if fmt not in FORMATS:
        raise typer.BadParameter(f"choose one of {', '.join(FORMATS)}", param_hint="--format")
    saves = []
    for item in save or []:
        sfmt, sep, target = item.partition(":")
        if not sep or not target or sfmt not in FORMATS:
            raise typer.BadParameter(f"{item!r} is not FORMAT:FILE with FORMAT one of {', '.join(FORMATS)}", param_hint="--save")
        saves.append((sfmt, output_target(target, paths)))
    target = output_target(output, paths)
    progress = ProgressBar("validating")
    try:
        report = call(validate, paths, profile=profile, max_samples=max_samples, encoding=encoding, strict=strict, progress=progress)
    finally:
        progress.close()  # an error message then starts on a line of its own
    emit(render(report, fmt, color=use_color() and fmt == "table" and target.is_stdout), output, paths)
    for sfmt, saved in saves:
        emit(render(report, sfmt), saved.name, paths)
    raise typer.Exit(EXIT_OK if report.valid else EXIT_INVALID)
