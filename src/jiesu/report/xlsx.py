"""The monthly report as an XLSX workbook: the page's content as sheets, numbers as numbers.

Written by :func:`jiesu.output.xlsx_workbook`, so every text cell (headers too) is masked and
inert: a name starting with ``=`` stays text, never a formula.
"""

from __future__ import annotations

from typing import Any

from ..output import Sheet, xlsx_workbook
from ..ranking import CLASSES
from .data import RATES, MonthlyReport
from .html import rank_columns
from .words import Words, illustrative_settings

_PERCENT, _SIGNED_PERCENT, _SCORE, _SIGNED_SCORE = "0.00%", "+0.00%", "0.00", "+0.00"


def _summary_format(row: dict[str, Any], column: str) -> str | None:
    """The headline sheet mixes counts, shares and scores in its columns: a format per row."""
    m = row["key"]
    if column in ("value", "previous"):
        return _SCORE if m == "composite" else None if m in ("received", "dispatched", "open_past_deadline") else _PERCENT
    if column == "change":
        return _SIGNED_SCORE if m == "composite" else _SIGNED_PERCENT  # counts: relative; rates: points
    return None


def _sheet_title(text: str) -> str:
    """A sheet's title: the report's own words only (never a name from the data or a profile)."""
    for ch in "[]:*?/\\":
        text = text.replace(ch, " ")
    return text[:31]


def to_xlsx(report: MonthlyReport, *, lang: str, command: str | None = None) -> bytes:
    """Sheets: the headline, the four classes and the ranking of each level, the city and district
    trends, the district x category volume, the rising categories, the 每月一题 tracking, the
    early warnings, and what the page's footer says."""
    w = Words(lang, report.profile)
    sheets: list[Sheet] = []

    def add(title: str, rows: list[dict[str, Any]], columns: list[str], headers: list[str] | None = None,
            cell_format: Any = None) -> None:
        sheets.append(Sheet(_sheet_title(title), rows, columns,
                            headers if headers is not None else [w.column(c) for c in columns], cell_format))

    headline = [{"key": r["measure"], "measure": w.column(r["measure"]), "value": r["value"],
                 "previous": r["previous"], "change": r["change"]} for r in report.headline]
    add(w("headline"), headline, ["measure", "value", "previous", "change"],
        ["", w.month(report.month), w("previous"), w.column("change")], _summary_format)

    for level, tables in report.classes.items():
        rows = [{"class": w.klass(cls), **r, "name": w.unit(r["unit"], r["name"])}
                for cls in CLASSES for r in tables.get(cls, [])]
        columns = ["class", "rank", "unit", "name", report.score, "change", "requests"]
        add(f"{w.level(level)} {w('classes')}" if lang == "en" else f"{w.level(level)}{w('classes')}", rows, columns,
            [w("classes") if c == "class" else w.column(c) for c in columns])
    for level, rows in report.rankings.items():
        shown = [{**r, "name": w.unit(r["unit"], r["name"])} for r in rows]
        add(w("ranking_level", level=w.level(level)), shown, list(rank_columns(report)))

    scores = ["due", "open_past_deadline", "on_time_rate"] if report.metrics == "timeliness" else [*RATES, "composite"]
    city_columns = ["month", "received", "dispatched", "dispatched_share", "scored", *scores]
    add(w("trends") + (" · " if lang == "en" else "·") + w("city_word"), report.city, city_columns,
        cell_format=lambda r, c: _PERCENT if c == "dispatched_share" else None)
    districts = [{**r, "name": w.unit(r["unit"], r["name"])} for r in report.districts]
    add(w("trends") + (" · " if lang == "en" else "·") + w.level("district"), districts,
        ["unit", "name", "month", "dispatched", "scored", *scores])

    cats = sorted({c["category"] for c in report.heat}, key=lambda c: (c is None, c or ""))
    by_district: dict[str | None, dict[str, Any]] = {}
    for c in report.heat:
        row = by_district.setdefault(c["district"], {"district": c["district"], "name": w.unit(c["district"])})
        row[f"c:{c['category']}"] = c["received"]
    heat_columns = ["district", "name", *(f"c:{c}" for c in cats)]
    add(w("heat"), list(by_district.values()), heat_columns,
        [w.column("district"), w.column("name"), *(w.category(c) for c in cats)])

    rising = [{**r, "name": w.category(r["category"])} for r in report.rising]
    add(w("rising"), rising, ["category", "name", "received", "previous_received", "per_day", "previous_per_day",
                              "change_mom"],
        cell_format=lambda r, c: "0.0" if c in ("per_day", "previous_per_day") else None)

    leads = {t.code: t.lead for t in report.profile.topics}
    topic_rows = []
    for r in report.tracking.rows:
        row = {**r, "name": w.topic(r["code"]), "lead": w.unit(leads[r["code"]]) if leads.get(r["code"]) else None}
        row.update({f"m:{m}": v for m, v in zip(report.months, report.topic_series.get(r["code"], []))})
        topic_rows.append(row)
    topic_columns = ["code", "theme", "name", "lead", "requests", "previous", "change_mom", "year_ago", "change_yoy",
                     "declining", "fell", *RATES, "composite", "top_streets"]
    add(w("topics"), topic_rows, [*topic_columns, *(f"m:{m}" for m in report.months)],
        [*(w.column(c) for c in topic_columns), *report.months])

    warnings = [{**r, "category_name": w.category(r["category"]), "place_name": w.unit(r["place"], r["place_name"])}
                for r in report.warnings.rows]
    add(w("warnings"), warnings, ["level", "category", "category_name", "place", "place_name", "observed", "expected",
                                  "upper_bound", "ratio", "p_value", "baseline_periods"])

    about: list[dict[str, Any]] = [
        {"k": w("profile"), "v": f"{w.city} ({report.profile.id}) · {report.profile.source}"},
        {"k": w("schema"), "v": report.schema_version},
        {"k": w("topics"), "v": report.tracking.summary(lang) if report.profile.topics else w("no_topics")},
        {"k": w("warnings"), "v": report.warnings.summary(lang)},
    ]
    about += [{"k": f"{w('illustrative_any')}: {name}", "v": text} for name, text in illustrative_settings(w)]
    about += [{"k": w("inputs"), "v": f"{f.path} ({f.format}, {f.rows:,} {w('rows')})"} for f in report.inputs]
    if report.missing_months:
        about.append({"k": w("missing_months", months=""), "v": ", ".join(report.missing_months)})
    if command:
        about.append({"k": w("command"), "v": command})
    add(w("footer"), about, ["k", "v"], ["", ""])
    return xlsx_workbook(sheets, lang=lang)
