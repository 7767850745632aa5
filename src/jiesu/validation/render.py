"""Render a validation Report: for people (table), machines (json), GitHub Actions (github
annotations), CI test reports (junit: JUnit XML for GitLab, Jenkins, Azure Pipelines) and review
summaries (markdown, e.g. a job summary).

:data:`FORMATS` is the one registry of formats: ``jiesu validate --format`` and ``--save`` accept
exactly its names. Every value shown came through the report's :class:`NoticeBook` (masked,
clipped, printable); each renderer then escapes it for where it goes.
"""

from __future__ import annotations

import re
from collections.abc import Callable

from .report import CHECKS, ERROR, Notice, Report, Sample


def _verdict(report: Report, color: bool) -> str:
    word = "valid" if report.valid else "INVALID"
    if color:
        word = f"\x1b[1;{32 if report.valid else 31}m{word}\x1b[0m"
    return word


def _headline(report: Report) -> str:
    files = len(report.files)
    return (f"{report.rows:,} rows in {files} file{'s' * (files != 1)}; "
            f"{report.errors:,} errors, {report.warnings:,} warnings"
            f"{' (strict: warnings fail)' if report.strict else ''}")


def _sample_text(s: Sample) -> str:
    value = "" if s.value is None else f" value {s.value!r}"
    why = f" — {s.explanation}" if s.explanation else ""
    return f"{s.file}:{s.row}{value}{why}"


def render_table(report: Report, color: bool = False) -> str:
    lines = [
        f"jiesu validate: {_verdict(report, color)} — {_headline(report)}",
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
            lines.extend(f"  {_sample_text(s)}" for s in n.samples)
    return "\n".join(lines)


def render_json(report: Report, color: bool = False) -> str:
    import json

    return json.dumps(report.to_dict(), ensure_ascii=False, indent=2)


# ------------------------------------------------------------------------------ GitHub Actions

def _esc_data(text: str) -> str:
    return text.replace("%", "%25").replace("\r", "%0D").replace("\n", "%0A")


def _esc_prop(text: str) -> str:
    return _esc_data(text).replace(":", "%3A").replace(",", "%2C")


def render_github(report: Report, color: bool = False) -> str:
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


# ------------------------------------------------------------------------------ JUnit XML

# XML 1.0 allows tab, line feed, carriage return and these ranges; nothing else may appear, not
# even as a character reference.
_XML_FORBIDDEN = re.compile("[^\x09\x0a\x0d\x20-\ud7ff\ue000-\ufffd\U00010000-\U0010ffff]")
#: the suite of rows no file can be named for (a report read back without per-file counts)
ALL_FILES = "(all files)"


def xml_text(text: str) -> str:
    """``text`` without the characters XML 1.0 forbids (the escaping of < & " is ElementTree's)."""
    return _XML_FORBIDDEN.sub("", text)


def _rows(n: int) -> str:
    return f"{n:,} row{'s' * (n != 1)}"


def _rows_by_file(n: Notice) -> dict[str, int]:
    """Rows of notice ``n`` in each file; what no file is named for goes to :data:`ALL_FILES`."""
    rows = dict(n.by_file)
    rest = n.count - sum(rows.values())
    if rest > 0:
        rows[ALL_FILES] = rows.get(ALL_FILES, 0) + rest
    return rows


def render_junit(report: Report, color: bool = False) -> str:
    """JUnit XML: a test suite per file, a test case per check in it (every code of
    :data:`CHECKS`). A case fails when the file has rows that break the check (a warning only under
    ``--strict``; otherwise it passes and says so in ``system-out``); the failure carries the
    check's grouped rows and their samples from that file."""
    import xml.etree.ElementTree as ET

    files = [f.path for f in report.files]
    found: dict[tuple[str, str], list[tuple[Notice, int]]] = {}
    for n in report.notices:
        for path, rows in _rows_by_file(n).items():
            if path not in files:
                files.append(path)
            found.setdefault((path, n.code), []).append((n, rows))

    def el(parent: ET.Element, tag: str, text: str | None = None, **attrs: str) -> ET.Element:
        node = ET.SubElement(parent, tag, {k: xml_text(v) for k, v in attrs.items()})
        if text is not None:
            node.text = xml_text(text)
        return node

    root = ET.Element("testsuites", name="jiesu validate")
    total = failed = 0
    for path in files:
        suite = el(root, "testsuite", name=path)
        props = el(suite, "properties")
        for name, value in (("schema", f"{report.schema_version} ({report.schema_id})"),
                            ("profile", report.profile), ("strict", str(report.strict).lower())):
            el(props, "property", name=name, value=value)
        fails = 0
        for code, info in CHECKS.items():
            case = el(suite, "testcase", name=code, classname=path, file=path)
            hits = found.get((path, code))
            if not hits:
                continue
            text = "\n\n".join(_junit_details(path, n, rows) for n, rows in hits)
            message = "; ".join(f"{_rows(rows)}: {n.field or 'record'} {n.message}" for n, rows in hits)
            if info.severity == ERROR or report.strict:
                el(case, "failure", text, message=message, type=f"{info.severity}:{code}")
                fails += 1
            else:
                el(case, "system-out", f"warning: {message}\n\n{text}")
        suite.set("tests", str(len(CHECKS)))
        suite.set("failures", str(fails))
        suite.set("errors", "0")
        suite.set("skipped", "0")
        total += len(CHECKS)
        failed += fails
    root.set("tests", str(total))
    root.set("failures", str(failed))
    root.set("errors", "0")
    ET.indent(root)
    return '<?xml version="1.0" encoding="UTF-8"?>\n' + ET.tostring(root, encoding="unicode") + "\n"


def _junit_details(path: str, n: Notice, rows: int) -> str:
    lines = [f"{n.code} {n.field or ''}: {_rows(rows)} in {path} ({n.count:,} in all) — {CHECKS[n.code].summary}"]
    samples = [s for s in n.samples if s.file == path] if path != ALL_FILES else n.samples
    if samples:
        lines.append("for example:")
        lines.extend(f"  {_sample_text(s)}" for s in samples)
    return "\n".join(lines)


# ------------------------------------------------------------------------------ Markdown

def render_markdown(report: Report, color: bool = False) -> str:
    """A summary for reviewers (a GitHub job summary, a merge-request note): the verdict, the
    files, one row per (check, field) and the samples; every cell escaped for Markdown."""
    from ..safe import markdown_text as md

    verdict = "valid" if report.valid else "INVALID"
    out = [
        f"## jiesu validate: {verdict}",
        "",
        (f"{md(_headline(report))}. Schema {md(report.schema_version)} ({md(report.schema_id)}); "
         f"profile {md(report.profile)}."),
        "",
        "| file | format | rows | encoding |",
        "| --- | --- | ---: | --- |",
    ]
    out += [f"| {md(f.path)} | {md(f.format)} | {f.rows:,} | {md(f.encoding or '')} |" for f in report.files]
    if not report.notices:
        out += ["", "Every check passed."]
        return "\n".join(out) + "\n"
    out += ["", "| severity | check | field | rows | message |", "| --- | --- | --- | ---: | --- |"]
    out += [f"| {md(n.severity)} | {md(n.code)} | {md(n.field or '')} | {n.count:,} | {md(n.message)} |"
            for n in report.notices]
    samples = [(n, s) for n in report.notices for s in n.samples]
    if samples:
        most = max(len(n.samples) for n in report.notices)
        out += ["", f"<details><summary>Samples (at most {most} per check and field)</summary>", "",
                "| check | field | file | row | value | why |", "| --- | --- | --- | ---: | --- | --- |"]
        out += [f"| {md(n.code)} | {md(n.field or '')} | {md(s.file)} | {s.row:,} | "
                f"{md('' if s.value is None else repr(s.value))} | {md(s.explanation or '')} |"
                for n, s in samples]
        out += ["", "</details>"]
    return "\n".join(out) + "\n"


#: The one registry of report formats: name -> renderer(report, color).
FORMATS: dict[str, Callable[[Report, bool], str]] = {
    "table": render_table,
    "json": render_json,
    "github": render_github,
    "junit": render_junit,
    "markdown": render_markdown,
}


def render(report: Report, fmt: str, color: bool = False) -> str:
    try:
        renderer = FORMATS[fmt]
    except KeyError:
        raise ValueError(f"unknown report format {fmt!r}: choose one of {', '.join(FORMATS)}") from None
    return renderer(report, color)
