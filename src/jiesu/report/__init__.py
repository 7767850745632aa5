"""The monthly report a governance office reads (issue 14): one self-contained HTML page, or the
same content as an XLSX workbook, for one month.

:func:`monthly_report` counts everything the page shows in one pass over the cases
(:mod:`jiesu.report.data`); :func:`render` turns it into HTML (:mod:`jiesu.report.html`, inline SVG
charts from :mod:`jiesu.report.charts`) or XLSX (:mod:`jiesu.report.xlsx`), in Chinese or English
(:mod:`jiesu.report.words`).
"""

from __future__ import annotations

from .data import MonthlyReport, monthly_report

FORMATS = ("html", "xlsx")


def render(report: MonthlyReport, fmt: str = "html", *, lang: str | None = None,
           command: str | None = None) -> str | bytes:
    """The report as an HTML page (text) or an XLSX workbook (bytes), in ``lang`` (zh or en;
    default: the profile's language when it is one of them, else English); ``command`` is the
    command line that reproduces it, shown in the footer."""
    lang = lang or (report.profile.language if report.profile.language in ("zh", "en") else "en")
    if lang not in ("zh", "en"):
        raise ValueError(f"unknown language {lang!r}: zh or en")
    if fmt == "html":
        from .html import to_html

        return to_html(report, lang=lang, command=command)
    if fmt == "xlsx":
        from .xlsx import to_xlsx

        return to_xlsx(report, lang=lang, command=command)
    raise ValueError(f"unknown report format {fmt!r}: {' or '.join(FORMATS)}")


__all__ = ["FORMATS", "MonthlyReport", "monthly_report", "render"]
