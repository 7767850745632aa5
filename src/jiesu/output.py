"""Rendering result rows (lists of flat dicts) for people and for machines.

Machine formats (csv, json, jsonl, parquet) keep the English keys and raw values (rates as
fractions 0-1, composite 0-100, empty for "cannot be computed"). Formats for people (table,
markdown, xlsx, html) use Chinese or English headers, unit levels and class names, rates as
percentages, and say "incomplete" where a composite cannot be computed from the data. Only aggregates ever reach this module: no
requester's name, phone or address.

Every text value comes from data or a profile, so every one is neutralised for its format
(``jiesu.safe``): personal numbers masked everywhere; no live formula in CSV or XLSX; Markdown
escaped; HTML escaped; no control character on a terminal.
"""

from __future__ import annotations

import csv
import html
import io
import json
import math
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from .safe import is_formula_like, markdown_text, mask, printable, spreadsheet_text, xlsx_text

Row = Mapping[str, Any]

TEXT_FORMATS = ("table", "csv", "json", "jsonl", "markdown", "html")
BINARY_FORMATS = ("parquet", "xlsx")
LANGS = ("zh", "en")

LABELS: dict[str, tuple[str, str]] = {
    "month": ("月份", "month"),
    "unit": ("承办单位", "unit"),
    "street": ("街道/乡镇", "street"),
    "district": ("区", "district"),
    "category": ("分类", "category"),
    "unit_level": ("单位类型", "unit level"),
    "rank": ("排名", "rank"),
    "name": ("名称", "name"),
    "level": ("层级", "level"),
    "scored": ("有效回访", "scored"),
    "contacted": ("已联系", "contacted"),
    "resolved": ("已解决", "resolved"),
    "satisfied": ("满意", "satisfied"),
    "basically_satisfied": ("基本满意", "basically satisfied"),
    "requests": ("诉求量", "requests"),
    "response_rate": ("响应率", "response rate"),
    "resolution_rate": ("解决率", "resolution rate"),
    "satisfaction_rate": ("满意率", "satisfaction rate"),
    "composite": ("综合成绩", "composite"),
    "previous_composite": ("上月综合成绩", "previous composite"),
    "change": ("环比变化", "change"),
    "classes": ("类别", "classes"),
    # governance analysis (jiesu topics, warn, trend, disputes)
    "kind": ("类型", "kind"),
    "code": ("代码", "code"),
    "share": ("占比", "share"),
    "streets": ("涉及街道数", "streets"),
    "districts": ("涉及区数", "districts"),
    "months_in_top": ("进入前列月数", "months in top"),
    "repeats": ("重复诉求", "repeats"),
    "top_streets": ("集中街道", "top streets"),
    "score": ("得分", "score"),
    "theme": ("主题", "theme"),
    "lead": ("牵头单位", "lead unit"),
    "previous": ("上月派单量", "previous month"),
    "change_mom": ("环比", "month on month"),
    "year_ago": ("去年同月", "a year before"),
    "change_yoy": ("同比", "year on year"),
    "declining": ("环比下降", "declining"),
    "fell": ("降幅超阈值", "fell past threshold"),
    "place": ("地点", "place"),
    "place_name": ("地点名称", "place name"),
    "category_name": ("分类名称", "category name"),
    "observed": ("本期诉求量", "observed"),
    "expected": ("基线均值", "expected"),
    "upper_bound": ("预警上限", "upper bound"),
    "ratio": ("倍数", "ratio"),
    "p_value": ("p 值", "p-value"),
    "baseline_periods": ("基线期数", "baseline periods"),
    "key": ("对象", "key"),
    "objected": ("有异议工单", "objected"),
    "objections": ("异议次数", "objections"),
    "repeated_objections": ("多次异议工单", "objected twice or more"),
    "upheld": ("异议成立", "upheld"),
    "upheld_share": ("成立比例", "upheld share"),
    "excluded_objection_upheld": ("核减·异议成立", "excluded: objection upheld"),
    "excluded_unreasonable": ("核减·不合理诉求", "excluded: unreasonable"),
    "excluded_duplicate": ("核减·重复诉求", "excluded: duplicate"),
    "excluded_other": ("核减·其他", "excluded: other"),
    # timeliness (jiesu.timeliness)
    "cases": ("工单量", "cases"),
    "due": ("有时限", "due"),
    "closed_on_time": ("按时办结", "closed on time"),
    "closed_late": ("超时办结", "closed late"),
    "open_past_deadline": ("超期未办结", "open past deadline"),
    "open_not_due": ("未到期", "open, not yet due"),
    "on_time_rate": ("按时办结率", "on-time rate"),
    "previous_on_time_rate": ("上月按时办结率", "previous on-time rate"),
    "median_hours_to_close": ("办结时长中位数(小时)", "median hours to close"),
    "p90_hours_to_close": ("办结时长P90(小时)", "p90 hours to close"),
    "median_hours_to_first_contact": ("首次联系时长中位数(小时)", "median hours to first contact"),
    "p90_hours_to_first_contact": ("首次联系时长P90(小时)", "p90 hours to first contact"),
}
CLASS_LABELS = {
    "advanced": ("先进类", "advanced"),
    "improving": ("进步类", "improving"),
    "rectification": ("整改类", "rectification"),
    "governance": ("治理类", "governance"),
    "all": ("全部", "all units"),
}
WORDS = {"incomplete": ("不完整", "incomplete"), "ranking": ("排名", "ranking"), "composite": ("综合成绩", "composite"),
         "yes": ("是", "yes"), "no": ("否", "no")}
#: the unit levels (the case-record schema's ``unit_level``) as people read them: the one table
#: every heading and cell for people uses
LEVEL_LABELS = {
    "street": ("街道乡镇", "street"),
    "district": ("区", "district"),
    "department": ("市级部门", "department"),
    "enterprise": ("市属企业", "enterprise"),
}
#: columns whose values are unit levels
LEVEL_COLUMNS = {"level", "unit_level"}

RATE_COLUMNS = {"response_rate", "resolution_rate", "satisfaction_rate", "share", "upheld_share", "on_time_rate",
                "previous_on_time_rate"}
SIGNED_RATE_COLUMNS = {"change_mom", "change_yoy"}
SCORE_COLUMNS = {"composite", "previous_composite", "change", "score", "expected", "ratio"}
INT_COLUMNS = {"rank", "scored", "contacted", "resolved", "satisfied", "basically_satisfied", "requests",
               "streets", "districts", "months_in_top", "repeats", "previous", "year_ago", "observed",
               "upper_bound", "baseline_periods", "objected", "objections", "repeated_objections", "upheld",
               "excluded_objection_upheld", "excluded_unreasonable", "excluded_duplicate", "excluded_other",
               "cases", "due", "closed_on_time", "closed_late", "open_past_deadline", "open_not_due"}
HOURS_COLUMNS = {"median_hours_to_close", "p90_hours_to_close", "median_hours_to_first_contact",
                 "p90_hours_to_first_contact"}


def label(column: str, lang: str) -> str:
    """A column's header in the language (the key itself when unknown)."""
    pair = LABELS.get(column)
    return column if pair is None else pair[0 if lang == "zh" else 1]


def class_label(name: str, lang: str) -> str:
    pair = CLASS_LABELS.get(name)
    return name if pair is None else pair[0 if lang == "zh" else 1]


def level_label(level: str, lang: str) -> str:
    """A unit level in the language (街道乡镇, 区, 市级部门, 市属企业); the value itself when unknown."""
    pair = LEVEL_LABELS.get(level)
    return level if pair is None else pair[0 if lang == "zh" else 1]


def word(key: str, lang: str) -> str:
    """A word of :data:`WORDS` in the language."""
    return WORDS[key][0 if lang == "zh" else 1]


_word = word


def needs_file(fmt: str) -> bool:
    """Binary formats are written to a file only (never to a terminal)."""
    return fmt in BINARY_FORMATS


# ---------------------------------------------------------------- values

def _json_value(v: Any) -> Any:
    if isinstance(v, float) and not math.isfinite(v):
        return None
    return v


def _has_cases(row: Row) -> bool:
    """Whether a row stands for some cases (so a missing composite is "incomplete", not "none"):
    scored cases, requests, or a score row (listed because it has callbacks)."""
    return bool(row.get("scored")) or bool(row.get("requests")) or "requests" not in row


def _human(column: str, v: Any, row: Row, lang: str) -> str:
    """A cell for people: percentages, two decimals, class names, 'incomplete'."""
    if v is None:
        if column == "composite" and _has_cases(row):
            return _word("incomplete", lang)
        return ""
    if column == "classes":
        return ", ".join(class_label(c, lang) for c in v)
    if column in LEVEL_COLUMNS and isinstance(v, str):
        return level_label(v, lang)
    if isinstance(v, bool):
        return _word("yes" if v else "no", lang)
    if isinstance(v, list):
        return ", ".join(map(str, v))
    if column in RATE_COLUMNS:
        return f"{100 * v:.2f}%"
    if column in SIGNED_RATE_COLUMNS:
        return f"{100 * v:+.1f}%"
    if column == "p_value":
        return f"{v:.2g}"
    if column == "change":
        return f"{v:+.2f}"
    if column in SCORE_COLUMNS:
        return f"{v:.2f}"
    if column in HOURS_COLUMNS:
        return f"{v:.1f}"
    return str(v)


def _csv_value(v: Any) -> Any:
    if v is None:
        return ""
    if isinstance(v, list):
        return ";".join(spreadsheet_text(str(x)) for x in v)
    if isinstance(v, float):
        return repr(v)
    if isinstance(v, str):
        return spreadsheet_text(v)
    return v


def _masked(row: Row) -> dict[str, Any]:
    """A row with every text value (and text in lists) masked: no personal number in any output."""
    out = {}
    for k, v in row.items():
        if isinstance(v, str):
            v = mask(v)
        elif isinstance(v, list):
            v = [mask(x) if isinstance(x, str) else x for x in v]
        out[k] = v
    return out


def _cell(fmt: str, text: str) -> str:
    """A text cell of a format for people, neutralised."""
    return markdown_text(text) if fmt == "markdown" else printable(text)


# ---------------------------------------------------------------- the formats

def render(rows: Sequence[Row], fmt: str, *, columns: Sequence[str], lang: str = "en", title: str = "",
           sheets: Mapping[str, Sequence[Row]] | None = None, chart: tuple[str, str] | None = None) -> str | bytes:
    """Render rows in ``fmt``; ``sheets`` adds named extra tables (xlsx sheets, html sections),
    ``chart`` = (label column, value column) draws a bar chart in html."""
    if lang not in LANGS:
        raise ValueError(f"unknown language {lang!r}")
    rows = [_masked(r) for r in rows]
    sheets = {name: [_masked(r) for r in table] for name, table in sheets.items()} if sheets else None
    title = mask(title)
    if fmt == "json":
        return json.dumps([{c: _json_value(r.get(c)) for c in columns} for r in rows], ensure_ascii=False, indent=2) + "\n"
    if fmt == "jsonl":
        return "".join(json.dumps({c: _json_value(r.get(c)) for c in columns}, ensure_ascii=False) + "\n" for r in rows)
    if fmt == "csv":
        buf = io.StringIO()
        writer = csv.writer(buf, lineterminator="\n")
        writer.writerow(columns)
        writer.writerows([_csv_value(r.get(c)) for c in columns] for r in rows)
        return buf.getvalue()
    if fmt in ("table", "markdown"):
        from tabulate import tabulate

        body = [[_cell(fmt, _human(c, r.get(c), r, lang)) for c in columns] for r in rows]
        text = tabulate(body, headers=[_cell(fmt, label(c, lang)) for c in columns],
                        tablefmt="github" if fmt == "markdown" else "simple", disable_numparse=True)
        if fmt == "markdown" and title:
            text = f"# {markdown_text(title)}\n\n{text}"
        return text + "\n"
    if fmt == "parquet":
        return to_parquet(rows, columns)
    if fmt == "xlsx":
        return to_xlsx(rows, columns, lang=lang, sheets=sheets)
    if fmt == "html":
        return to_html(rows, columns, lang=lang, title=title, sheets=sheets, chart=chart)
    raise ValueError(f"unknown format {fmt!r}")


def _arrow_type(column: str, rows: Sequence[Row]):
    import pyarrow as pa

    if column in INT_COLUMNS:
        return pa.int64()
    if column in RATE_COLUMNS or column in SCORE_COLUMNS or column in HOURS_COLUMNS:
        return pa.float64()
    if column == "classes":
        return pa.list_(pa.string())
    return pa.string()


def to_parquet(rows: Sequence[Row], columns: Sequence[str]) -> bytes:
    """A zstd Parquet file with typed columns (rates as float64, classes as a list of strings)."""
    import pyarrow as pa
    import pyarrow.parquet as pq

    schema = pa.schema([(c, _arrow_type(c, rows)) for c in columns])
    table = pa.Table.from_pylist([{c: r.get(c) for c in columns} for r in rows], schema=schema)
    sink = pa.BufferOutputStream()
    pq.write_table(table, sink, compression="zstd")
    return sink.getvalue().to_pybytes()


def _sheet_name(name: str, lang: str) -> str:
    text = class_label(name, lang)
    for ch in "[]:*?/\\":
        text = text.replace(ch, " ")
    return text[:31]


def to_xlsx(rows: Sequence[Row], columns: Sequence[str], *, lang: str = "en",
            sheets: Mapping[str, Sequence[Row]] | None = None) -> bytes:
    """A workbook: the full table first, then one sheet per entry of ``sheets`` (e.g. per class).

    Numbers stay numbers (rates as fractions shown as percentages), so the office can compute on them.
    """
    tables = [("all", rows), *(sheets or {}).items()]
    return xlsx_workbook([Sheet(_sheet_name(name, lang), table_rows, columns) for name, table_rows in tables],
                         lang=lang)


@dataclass
class Sheet:
    """One sheet of :func:`xlsx_workbook`: its title (the caller's fixed words: at most 31
    characters, none of []:*?/\\), rows and columns; ``headers`` replace the columns' labels;
    ``cell_format(row, column)`` may give a cell a number format of its own."""

    title: str
    rows: Sequence[Row]
    columns: Sequence[str]
    headers: Sequence[str] | None = None
    cell_format: Callable[[Row, str], str | None] | None = None


def _column_format(column: str) -> str | None:
    return ("0.00%" if column in RATE_COLUMNS else "+0.0%" if column in SIGNED_RATE_COLUMNS
            else "0.00" if column in SCORE_COLUMNS else None)


def xlsx_workbook(sheets: Sequence[Sheet], *, lang: str = "en") -> bytes:
    """A workbook of sheets: every text cell (headers too) masked and inert (never a formula);
    numbers stay numbers, rates, changes and scores with number formats."""
    from openpyxl import Workbook
    from openpyxl.styles import Font

    wb = Workbook()
    first = wb.active
    for i, sheet in enumerate(sheets):
        ws = first if i == 0 else wb.create_sheet()
        ws.title = sheet.title
        columns = sheet.columns
        ws.append([xlsx_text(mask(h)) for h in sheet.headers] if sheet.headers is not None else
                  [label(c, lang) for c in columns])
        for cell in ws[1]:
            cell.font = Font(bold=True)
            _inert(cell)
        for r in sheet.rows:
            r = _masked(r)
            ws.append([_xlsx_value(c, r.get(c), r, lang) for c in columns])
            for c, cell in zip(columns, ws[ws.max_row]):
                _inert(cell)
                fmt = (sheet.cell_format(r, c) if sheet.cell_format else None) or _column_format(c)
                if fmt and isinstance(cell.value, (int, float)):
                    cell.number_format = fmt
        ws.freeze_panes = "A2"
    buf = io.BytesIO()
    wb.save(buf)
    return buf.getvalue()


def _inert(cell: Any) -> None:
    """A text cell that looks like a formula stays text, also when the cell is edited in Excel."""
    if isinstance(cell.value, str) and is_formula_like(cell.value):
        cell.data_type = "s"  # text, never a formula
        cell.quotePrefix = True


def _xlsx_value(column: str, v: Any, row: Row, lang: str) -> Any:
    if column == "classes":
        return ", ".join(class_label(c, lang) for c in v or [])
    if column in LEVEL_COLUMNS and isinstance(v, str):
        v = level_label(v, lang)
    if isinstance(v, list):
        return xlsx_text(", ".join(map(str, v)))
    if v is None and column == "composite" and _has_cases(row):
        return _word("incomplete", lang)
    return xlsx_text(v) if isinstance(v, str) else v


_CSS = """
body{font-family:system-ui,-apple-system,"Segoe UI","PingFang SC","Microsoft YaHei",sans-serif;margin:2em;color:#222}
table{border-collapse:collapse;font-size:14px;margin:1em 0}
th,td{border:1px solid #ccc;padding:4px 8px;text-align:right}
th{background:#f3f3f3}td.t{text-align:left}
svg text{font-size:12px;font-family:inherit}
h2{margin-top:2em}
"""


def _html_table(rows: Sequence[Row], columns: Sequence[str], lang: str) -> str:
    head = "".join(f"<th>{html.escape(label(c, lang))}</th>" for c in columns)
    body = []
    for r in rows:
        cells = []
        for c in columns:
            text = html.escape(_human(c, r.get(c), r, lang))
            numeric = c in INT_COLUMNS or c in RATE_COLUMNS or c in SCORE_COLUMNS
            cells.append(f"<td>{text}</td>" if numeric else f'<td class="t">{text}</td>')
        body.append("<tr>" + "".join(cells) + "</tr>")
    return f"<table><thead><tr>{head}</tr></thead><tbody>{''.join(body)}</tbody></table>"


def bar_chart(rows: Sequence[Row], label_column: str, value_column: str, *, maximum: float = 100.0) -> str:
    """An inline SVG horizontal bar chart (no scripts, no network) of rows that have a value."""
    items = [(str(r.get(label_column) or ""), float(r[value_column])) for r in rows
             if isinstance(r.get(value_column), (int, float))]
    bar_h, gap, left, width = 16, 4, 180, 420
    height = max(1, len(items)) * (bar_h + gap) + gap
    parts = [f'<svg xmlns="http://www.w3.org/2000/svg" width="{left + width + 70}" height="{height}" role="img">']
    for i, (name, value) in enumerate(items):
        y = gap + i * (bar_h + gap)
        w = max(0.0, min(1.0, value / maximum)) * width
        parts.append(
            f'<text x="{left - 6}" y="{y + bar_h - 4}" text-anchor="end">{html.escape(name)}</text>'
            f'<rect x="{left}" y="{y}" width="{w:.1f}" height="{bar_h}" fill="#3b6ea5"><title>{html.escape(name)}: '
            f'{value:.2f}</title></rect><text x="{left + w + 4:.1f}" y="{y + bar_h - 4}">{value:.2f}</text>'
        )
    parts.append("</svg>")
    return "".join(parts)


def to_html(rows: Sequence[Row], columns: Sequence[str], *, lang: str = "en", title: str = "",
            sheets: Mapping[str, Sequence[Row]] | None = None, chart: tuple[str, str] | None = None) -> str:
    """A self-contained page: the table, a bar chart of the values, one section per extra table."""
    parts = [
        "<!DOCTYPE html>",
        f'<html lang="{"zh-CN" if lang == "zh" else "en"}"><head><meta charset="utf-8">',
        f"<title>{html.escape(title or 'jiesu')}</title><style>{_CSS}</style></head><body>",
        f"<h1>{html.escape(title)}</h1>" if title else "",
    ]
    if chart:
        parts.append(f"<h2>{html.escape(label(chart[1], lang))}</h2>")
        parts.append(bar_chart(rows, *chart))
    for name, table_rows in (sheets or {}).items():
        parts.append(f"<h2>{html.escape(class_label(name, lang))}</h2>")
        parts.append(_html_table(table_rows, columns, lang))
    parts.append(f"<h2>{html.escape(class_label('all', lang))}</h2>")
    parts.append(_html_table(rows, columns, lang))
    parts.append("</body></html>\n")
    return "\n".join(p for p in parts if p)
