"""Render a validation Report for people (table), machines (json) and GitHub Actions (github)."""

from __future__ import annotations

import json

from .report import Report

FORMATS = ("table", "json", "github")


def render(report: Report, fmt: str, color: bool = False) -> str:
    if fmt == "json":
        return json.dumps(report.to_dict(), ensure_ascii=False, indent=2)
    if fmt == "github":
        return render_github(report)
    return render_table(report, color)


def _verdict(report: Report, color: bool) -> str:
    word = "valid" if report.valid else "INVALID"
    if color:
        word = f"\x1b[1;{32 if report.valid else 31}m{word}\x1b[0m"
    return word


def render_table(report: Report, color: bool = False) -> str:
    files = len(report.files)
    lines = [
        (f"jiesu validate: {_verdict(report, color)} — {report.rows:,} rows in {files} file{'s' * (files != 1)}; "
        f"{report.errors:,} errors, {report.warnings:,} warnings{' (strict: warnings fail)' if report.strict else ''}"),
        f"schema {report.schema_version} ({report.schema_id}); profile {report.profile}",
    ]
    for f in report.files:
        enc = f", encoding {f.encoding}" if f.encoding else ""
        lines.append(f"  {f.path}: {f.format}, {f.rows:,} rows{enc}")
    if report.notices:
        from tabulate import tabulate  # only when there is a table to draw (start-up)

        lines.append("")
        lines.append(tabulate(
            [[n.severity, n.code, n.field or "", f"{n.count:,}", n.message] for n in report.notices],
            headers=["severity", "code", "field", "rows", "message"],
        ))
        for n in report.notices:
            if not n.samples:
                continue
            lines.append("")
            lines.append(f"{n.code} {n.field or ''}: {n.count:,} rows, e.g.")
            for s in n.samples:
                value = "" if s.value is None else f" value {s.value!r}"
                why = f" — {s.explanation}" if s.explanation else ""
                lines.append(f"  {s.file}:{s.row}{value}{why}")
    return "\n".join(lines)


def _esc_data(text: str) -> str:
    return text.replace("%", "%25").replace("\r", "%0D").replace("\n", "%0A")


def _esc_prop(text: str) -> str:
    return _esc_data(text).replace(":", "%3A").replace(",", "%2C")


def render_github(report: Report) -> str:
    """GitHub Actions workflow commands: one annotation per sample, then a summary notice."""
    out = []
    fmt_of = {f.path: f.format for f in report.files}
    for n in report.notices:
        level = "error" if n.severity == "error" else "warning"
        title = _esc_prop(f"{n.code} {n.field or ''}".strip())
        for s in n.samples:
            fmt = fmt_of.get(s.file, "")
            line = s.row + 1 if fmt == "csv" else s.row if fmt == "ndjson" else None
            where = f"file={_esc_prop(s.file)}" + (f",line={line}" if line else "")
            value = "" if s.value is None else f" (value {s.value!r})"
            why = f" — {s.explanation}" if s.explanation else ""
            text = f"{n.field or 'record'} {n.message}{value}{why}; {n.count:,} rows in all" + (f" (row {s.row})" if line is None else "")
            out.append(f"::{level} {where},title={title}::{_esc_data(text)}")
        if not n.samples:
            text = f"{n.field or 'record'} {n.message}; {n.count:,} rows"
            out.append(f"::{level} title={title}::{_esc_data(text)}")
    verdict = "valid" if report.valid else "invalid"
    summary = (f"{verdict}: {report.rows:,} rows, {report.errors:,} errors, {report.warnings:,} warnings"
               f" (schema {report.schema_version})")
    out.append(f"::notice title=jiesu validate::{_esc_data(summary)}")
    return "\n".join(out)
