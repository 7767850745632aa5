"""The monthly report as one self-contained HTML page: no network, no external script or font,
inline SVG charts, one small inline script to sort tables, print CSS for A4.

Every name from a profile or the data is escaped (:func:`jiesu.report.words.esc`: masked,
control characters made visible, markup escaped); the page embeds no data in its script, and a
Content-Security-Policy lets only that script (by its hash) run and nothing be fetched.
"""

from __future__ import annotations

import base64
import hashlib
from collections.abc import Callable, Sequence
from typing import Any

from .. import __version__
from ..ranking import CLASSES
from . import charts
from .data import RATES, MonthlyReport, days_in_month
from .words import Words, esc, illustrative_settings

_CSS = """
:root{--fg:#1f2328;--muted:#59636e;--line:#d1d9e0;--bg2:#f6f8fa;--accent:#24527a}
*{box-sizing:border-box}
body{font-family:"Noto Sans CJK SC","Noto Sans SC","Source Han Sans SC","PingFang SC","Hiragino Sans GB",
"Microsoft YaHei","WenQuanYi Micro Hei",system-ui,-apple-system,"Segoe UI",Roboto,sans-serif;color:var(--fg);
max-width:1060px;margin:0 auto;padding:24px 28px;line-height:1.5;font-size:14px}
h1{font-size:26px;margin:0}h2{font-size:20px;margin:4px 0}h3{font-size:16px;margin:20px 0 4px}
.sub{color:var(--muted);margin:2px 0 10px}
nav ol{margin:4px 0;padding-left:1.4em;columns:3;font-size:13px}nav a{color:var(--accent)}
section{margin-top:26px;border-top:2px solid var(--fg);padding-top:6px}
.q{font-weight:600;color:var(--accent);margin:2px 0 8px}
.note{color:var(--muted);font-size:12.5px;margin:4px 0}
.cards{display:grid;grid-template-columns:repeat(auto-fill,minmax(128px,1fr));gap:8px}
.card{border:1px solid var(--line);border-radius:6px;padding:8px 10px}
.card .k{font-size:12.5px;color:var(--muted)}.card .v{font-size:23px;font-weight:700}
.card .p{font-size:12px;color:var(--muted)}.card .c{font-size:12.5px;font-weight:600}
.good{color:#1a7f37}.bad{color:#cf222e}.flat{color:var(--muted)}
.classes{display:grid;grid-template-columns:repeat(4,1fr);gap:10px}
.cls{border-top:4px solid var(--line);padding-top:4px}.cls h4{margin:0 0 2px;font-size:14px}
.cls.advanced{border-color:#1a7f37}.cls.improving{border-color:#0969da}
.cls.rectification{border-color:#cf222e}.cls.governance{border-color:#9a6700}
.cls ol{margin:0;padding-left:1.9em;font-size:12.5px}.cls li span{color:var(--muted);margin-left:.4em}
table{border-collapse:collapse;font-size:12.5px;width:100%}
th,td{border-bottom:1px solid var(--line);padding:3px 6px;text-align:right;white-space:nowrap}
th.t,td.t{text-align:left}td.w{white-space:normal;min-width:6em;max-width:15em}
thead th{background:var(--bg2);position:sticky;top:0;z-index:1}
table.sortable thead th{cursor:pointer}table.sortable thead th:hover{background:#eaeef2}
th[aria-sort=ascending]::after{content:" \\25B2"}th[aria-sort=descending]::after{content:" \\25BC"}
.scroll{max-height:560px;overflow:auto;border:1px solid var(--line)}.wide{overflow-x:auto}
td,.card .v,svg text{font-variant-numeric:tabular-nums}
svg text{font-family:inherit;font-size:11px;fill:var(--fg)}
svg .tl{fill:var(--muted);font-size:10px}svg .ct{font-weight:600;font-size:12px}
svg .axis,svg .tick{stroke:#8c959f}svg .grid{stroke:#eaeef2}
svg .median{stroke:#8c959f;stroke-dasharray:3 3}
svg .series{fill:none;stroke:var(--accent);stroke-width:2}svg .ref{fill:none;stroke:#b7bec6;stroke-width:1.6}
svg .pt{fill:var(--accent)}svg .prev{fill:#fff;stroke:#59636e;stroke-width:1.2}
svg .link{stroke:#afb8c1;stroke-width:2.5}svg .val{font-size:10.5px;font-weight:600}
svg .cell{font-size:8.5px}svg .cell.inv{fill:#fff}svg .colname{font-size:10.5px}
svg.chart{max-width:100%;height:auto;display:block}
.charts{display:flex;flex-wrap:wrap;gap:6px 14px}
.legend{font-size:12px;color:var(--muted)}.legend span{margin-right:14px;white-space:nowrap}
.legend i{display:inline-block;width:10px;height:10px;border-radius:50%;margin-right:4px;vertical-align:-1px}
.legend i.hollow{border:1.5px solid #59636e;background:#fff}
table.multiples td{padding:1px 4px}table.multiples svg{display:block}
footer{margin-top:30px;border-top:2px solid var(--fg);padding-top:6px;font-size:12.5px}
footer dl{display:grid;grid-template-columns:max-content 1fr;gap:2px 14px;margin:6px 0}
footer dt{color:var(--muted)}footer dd{margin:0}
pre{white-space:pre-wrap;word-break:break-all;background:var(--bg2);padding:8px;border-radius:4px;font-size:12px}
@page{size:A4;margin:12mm}
@media print{body{max-width:none;padding:0;font-size:10.5px}nav{display:none}
.scroll,.wide{max-height:none;overflow:visible;border:0}thead th{position:static}
.chart,.cards,.classes,.cls,h2,h3,.q,tr,svg{break-inside:avoid}h2,h3,.q{break-after:avoid}
thead{display:table-header-group}a{color:inherit;text-decoration:none}
section{break-before:auto}table{font-size:9.5px}th,td{padding:1px 4px}}
"""

#: sorts a table by the clicked header (numbers by their data-v value, text in the page's
#: language); empty cells stay last. No data inside: the table is the data.
SCRIPT = """(function(){
function key(td){var v=td.getAttribute('data-v');return v===null?td.textContent.trim():v;}
function sortBy(table,col,th){
var body=table.tBodies[0],rows=Array.prototype.slice.call(body.rows);
var asc=th.getAttribute('aria-sort')!=='ascending',num=th.classList.contains('n');
var lang=document.documentElement.lang;
rows.sort(function(a,b){var x=key(a.cells[col]),y=key(b.cells[col]);
if(x===y)return 0;if(x==='')return 1;if(y==='')return -1;
var c=num?parseFloat(x)-parseFloat(y):x.localeCompare(y,lang);return asc?c:-c;});
rows.forEach(function(r){body.appendChild(r);});
Array.prototype.forEach.call(table.tHead.rows[0].cells,function(h){h.removeAttribute('aria-sort');});
th.setAttribute('aria-sort',asc?'ascending':'descending');}
Array.prototype.forEach.call(document.querySelectorAll('table.sortable'),function(table){
Array.prototype.forEach.call(table.tHead.rows[0].cells,function(th,i){th.tabIndex=0;
th.addEventListener('click',function(){sortBy(table,i,th);});
th.addEventListener('keydown',function(e){if(e.key==='Enter'||e.key===' '){e.preventDefault();sortBy(table,i,th);}});});});
})();"""


def script_hash() -> str:
    """The CSP source that lets exactly :data:`SCRIPT` run."""
    return "sha256-" + base64.b64encode(hashlib.sha256(SCRIPT.encode("utf-8")).digest()).decode("ascii")


CSP = ("default-src 'none'; style-src 'unsafe-inline'; img-src data:; base-uri 'none'; form-action 'none'; "
       "script-src '{hash}'")

#: columns of the ranking table on the page (the level is the section's)
RANK_COLUMNS = ("rank", "unit", "name", "scored", "requests", "response_rate", "resolution_rate",
                "satisfaction_rate", "composite", "previous_composite", "change", "classes")
#: the same for a profile that ranks on timeliness (``jiesu.timeliness.RANK_COLUMNS`` less the level)
TIMELINESS_RANK_COLUMNS = ("rank", "unit", "name", "due", "closed_on_time", "closed_late", "open_past_deadline",
                           "requests", "on_time_rate", "previous_on_time_rate", "change", "median_hours_to_close",
                           "p90_hours_to_close", "classes")
PERCENT = {*RATES, "on_time_rate", "previous_on_time_rate"}
HOURS = {"median_hours_to_close", "p90_hours_to_close"}


def rank_columns(report: MonthlyReport) -> tuple[str, ...]:
    return TIMELINESS_RANK_COLUMNS if report.metrics == "timeliness" else RANK_COLUMNS
_NUMERIC = {"rank", "scored", "requests", "response_rate", "resolution_rate", "satisfaction_rate",
            "composite", "previous_composite", "change", "received", "previous", "per_day", "previous_per_day",
            "change_mom", "year_ago", "change_yoy", "observed", "previous_received", "expected", "upper_bound", "ratio", "p_value",
            "baseline_periods", "rows", "due", "closed_on_time", "closed_late", "open_past_deadline",
            "on_time_rate", "previous_on_time_rate", "median_hours_to_close", "p90_hours_to_close"}


def per_day(rows: Sequence[dict[str, Any]], measure: str) -> list[dict[str, Any]]:
    """The rows with ``<measure>_per_day``: the count over the days of its month (a 31-day month
    is not a rise over a 30-day one)."""
    return [{**r, f"{measure}_per_day": None if r[measure] is None else r[measure] / days_in_month(r["month"])}
            for r in rows]


def per_day_text(w: Words) -> Callable[[float], str]:
    """A count per day: whole numbers from 100 on, one decimal below."""
    return lambda v: w.decimal(v, 0 if abs(v) >= 100 else 1)


class _Page:
    def __init__(self, report: MonthlyReport, lang: str) -> None:
        self.r, self.w = report, Words(lang, report.profile)

    # ---------------------------------------------------------------- pieces

    def cell(self, column: str, value: Any, row: dict[str, Any]) -> str:
        """One table cell: the value formatted for the language, a data-v for numbers."""
        w = self.w
        if column in _NUMERIC:
            shown = self.number(column, value, row)
            data = "" if value is None or isinstance(value, bool) else f"{float(value):.10g}"  # 10 digits: sorts exactly enough, and no run of 11 digits looks like a phone number
            return f'<td data-v="{data}">{esc(shown)}</td>'
        if column == "classes":
            return f'<td class="t">{esc(w("list_sep").join(w.klass(c) for c in value))}</td>'
        if isinstance(value, bool):
            return f'<td class="t">{esc(w("yes" if value else "no"))}</td>'
        if isinstance(value, list):
            return f'<td class="t w">{esc(w("list_sep").join(map(str, value)))}</td>'
        return f'<td class="t">{esc("" if value is None else value)}</td>'

    def number(self, column: str, v: Any, row: dict[str, Any]) -> str:
        w = self.w
        if v is None:
            if column == "composite" and row.get("scored"):
                return w("incomplete")
            return ""
        if column in PERCENT:
            return w.pct(v)
        if column in HOURS:
            return w.decimal(v, 1)
        if column in ("composite", "previous_composite", "expected"):
            return w.score(v)
        if column == "change":
            return w.signed(v)
        if column in ("change_mom", "change_yoy"):
            return w.rel(v)
        if column in ("per_day", "previous_per_day"):
            return w.decimal(v, 1)
        if column == "ratio":
            return w.decimal(v, 2)
        if column == "p_value":
            return f"{v:.2g}"
        return w.count(int(v))

    def table(self, rows: Sequence[dict[str, Any]], columns: Sequence[str], *, sortable: bool = True,
              extra: tuple[str, Callable[[dict[str, Any]], str]] | None = None, scroll: bool = False,
              css: str = "", wrap: Sequence[str] = ()) -> str:
        w = self.w
        head = "".join(f'<th class="{"n" if c in _NUMERIC else "t"}" scope="col">{esc(w.column(c))}</th>'
                       for c in columns)
        if extra:
            head += f'<th class="t" scope="col">{esc(extra[0])}</th>'
        body = []
        for r in rows:
            cells = "".join(self.cell(c, r.get(c), r).replace('<td class="t">', '<td class="t w">', 1)
                            if c in wrap else self.cell(c, r.get(c), r) for c in columns)
            if extra:
                cells += f'<td class="t">{extra[1](r)}</td>'
            body.append(f"<tr>{cells}</tr>")
        cls = " ".join(x for x in ("sortable" if sortable else "", css) if x)
        t = f'<table class="{cls}"><thead><tr>{head}</tr></thead><tbody>{"".join(body)}</tbody></table>'
        return f'<div class="{"scroll" if scroll else "wide"}">{t}</div>'

    def legend(self, items: Sequence[tuple[str, str]], hollow: str | None = None) -> str:
        parts = [f'<span><i style="background:{charts.COLOURS[k]}"></i>{esc(text)}</span>' for k, text in items]
        if hollow:
            parts.append(f'<span><i class="hollow"></i>{esc(hollow)}</span>')
        return f'<p class="legend">{"".join(parts)}</p>'

    # ---------------------------------------------------------------- sections

    def headline(self) -> str:
        w = self.w
        cards = []
        for row in self.r.headline:
            m, v, p, c = row["measure"], row["value"], row["previous"], row["change"]
            if m in ("received", "dispatched", "open_past_deadline"):
                value, prev, change, tone = w.big(v), w.big(p), w.rel(c), "flat"
            elif m == "composite":
                value, prev, change = w.score(v), w.score(p), w.signed(c)
                tone = "flat" if not c else ("good" if c > 0 else "bad")
            else:
                value, prev, change = w.pct(v), w.pct(p), w.points(c)
                tone = "flat" if not c or m == "dispatched_share" else ("good" if c > 0 else "bad")
            label = w.column(m)
            previous = f"{w('previous')} {prev}" if p is not None else w("no_previous")
            cards.append(f'<div class="card" data-measure="{m}"><div class="k">{esc(label)}</div>'
                         f'<div class="v">{esc(value)}</div><div class="p">{esc(previous)}</div>'
                         f'<div class="c {tone}">{esc(change) if p is not None else ""}</div></div>')
        weights = self.r.profile.scoring.weights
        formula = w("weights", w=" + ".join(f"{x:g} × {w.column(k)}" for k, x in (
            ("response_rate", weights.response), ("resolution_rate", weights.resolution),
            ("satisfaction_rate", weights.satisfaction))))
        if self.r.metrics == "timeliness":
            formula = w("timeliness_note")
        q = w("headline_q" if self.r.metrics == "rates" else "headline_on_time_q")
        return (f'<section id="headline"><h2>{esc(w("headline"))}</h2><p class="q">{esc(q)}</p>'
                f'<div class="cards">{"".join(cards)}</div><p class="note">{esc(formula)}</p></section>')

    def classes(self) -> str:
        w = self.w
        out = [f'<section id="classes"><h2>{esc(w("classes"))}</h2><p class="q">{esc(w("classes_q"))}</p>']
        for level, tables in self.r.classes.items():
            out.append(f'<h3>{esc(w.level(level))}</h3><div class="classes" data-level="{esc(level)}">')
            for cls in CLASSES:
                members = tables.get(cls, [])
                items = []
                for r in members:
                    if cls == "improving":
                        detail = w.signed(r["change"]) if self.r.metrics == "rates" else w.points(r["change"] / 100)
                    elif cls == "governance":
                        detail = w("dispatched_n", n=w.count(r["requests"]))
                    else:
                        detail = self.score_text(r[self.r.score])
                    items.append(f'<li>{esc(w.unit(r["unit"], r["name"]))}<span>{esc(detail)}</span></li>')
                body = f'<ol>{"".join(items)}</ol>' if items else f'<p class="note">{esc(w("none"))}</p>'
                out.append(f'<div class="cls {cls}" data-class="{cls}"><h4>{esc(w.klass(cls))} '
                           f'({len(members)})</h4>{body}</div>')
            out.append("</div>")
        out.append("</section>")
        return "".join(out)

    def rankings(self) -> str:
        w = self.w
        out = [f'<section id="rankings"><h2>{esc(w("ranking"))}</h2>']
        min_scored = self.r.profile.scoring.min_scored
        for level, rows in self.r.rankings.items():
            name = w.level(level)
            out.append(f'<h3 id="ranking-{esc(level)}">{esc(w("ranking_level", level=name))}</h3>')
            score, previous = self.r.score, ("previous_on_time_rate" if self.r.metrics == "timeliness"
                                             else "previous_composite")
            ranked = [r for r in rows if r["rank"] is not None and r[score] is not None]
            cls_of = {r["unit"]: ("advanced" if "advanced" in r["classes"] else
                                  "rectification" if "rectification" in r["classes"] else "other") for r in rows}
            legend = self.legend([("advanced", w.klass("advanced")), ("rectification", w.klass("rectification")),
                                  ("other", w("others"))])
            limits = (0.0, 1.0) if self.r.metrics == "timeliness" else (0.0, 100.0)
            tick = charts.percent_tick if self.r.metrics == "timeliness" else charts.plain_tick
            if len(ranked) > 40:
                q = w("spread_q" if self.r.metrics == "rates" else "spread_on_time_q", level=name)
                points = [(r[score], f'{w.unit(r["unit"], r["name"])}: {self.score_text(r[score])} (#{r["rank"]})',
                           cls_of[r["unit"]]) for r in ranked]
                chart = charts.strip_plot(points, fmt=self.score_text, label=q, median_word=w("median"), width=1000,
                                          limits=limits, tick=tick)
                out.append(f'<p class="q">{esc(q)}</p>{legend}{chart}')
            elif ranked:
                q = w("change_q" if self.r.metrics == "rates" else "change_on_time_q", level=name)
                items = [(w.unit(r["unit"], r["name"]), r[score], r[previous], cls_of[r["unit"]],
                          f'{w.unit(r["unit"], r["name"])}: {self.score_text(r[score])} (#{r["rank"]})') for r in ranked]
                chart = charts.dumbbell(items, fmt=self.score_text, label=q, width=900, name_width=200, limits=limits,
                                        tick=tick)
                legend = self.legend([("advanced", w.klass("advanced")), ("rectification", w.klass("rectification")),
                                      ("other", w("others"))], hollow=w("previous"))
                out.append(f'<p class="q">{esc(q)}</p>{legend}{chart}')
            shown = [{**r, "name": w.unit(r["unit"], r["name"])} for r in rows]
            out.append(f'<p class="note">{esc(w("sort_hint"))} · {esc(w("unranked", n=min_scored))}</p>')
            out.append(self.table(shown, rank_columns(self.r), scroll=len(rows) > 25, css=f"ranking level-{level}"))
        out.append("</section>")
        return "".join(out)

    def score_text(self, v: float | None) -> str:
        """A unit's score as the ranking reads it: the composite, or the on-time rate."""
        return self.w.pct(v) if self.r.metrics == "timeliness" else self.w.score(v)

    def axis_months(self) -> list[str]:
        w, months = self.w, self.r.months
        out = []
        for i, m in enumerate(months):
            show = i in (0, len(months) - 1) or i % 3 == 0
            out.append(w.month_short(m, with_year=i == 0 or m.endswith("-01")) if show else "")
        if len(out) > 2 and out[-2] and out[-1]:
            out[-2] = ""
        return out

    def trends(self) -> str:
        w, r = self.w, self.r
        axis = self.axis_months()
        q = w("city_q" if r.metrics == "rates" else "city_on_time_q")
        out = [f'<section id="trends"><h2>{esc(w("trends"))}</h2><p class="q">{esc(q)}</p><div class="charts">']
        for measure in (*r.rates, "received_per_day"):
            values = [row[measure] for row in per_day(r.city, "received")]
            if measure in PERCENT:
                lo, hi = charts.data_range(values, floor=0.0, ceiling=1.0, minimum_span=0.004)
                fmt: Callable[[float], str] = lambda v: w.pct(v, 1)
                tick: charts.Tick = charts.percent_tick
            else:
                lo, hi = charts.data_range(values, floor=0.0)
                fmt, tick = per_day_text(w), charts.plain_tick
            out.append(charts.line_chart(values, axis, lo=lo, hi=hi, fmt=fmt, tick=tick, title=w.column(measure),
                                         label=f"{q} {w.column(measure)}", width=480, height=170))
        out.append("</div>")
        if r.missing_months:
            months = "、".join(map(w.month_short, r.missing_months)) if w.lang == "zh" else ", ".join(
                w.month_short(m, True) for m in r.missing_months)
            out.append(f'<p class="note">{esc(w("missing_months", months=months))}</p>')
        out.append(self.district_multiples())
        out.append("</section>")
        return "".join(out)

    def district_multiples(self) -> str:
        w, r = self.w, self.r
        if not r.districts:
            return ""
        by_unit: dict[str, list[dict[str, Any]]] = {}
        for row in r.districts:
            by_unit.setdefault(row["unit"], []).append(row)
        ranges = {}
        for measure in r.rates:
            values = [row[measure] for row in r.districts] + [row[measure] for row in r.city]
            ranges[measure] = charts.data_range(values, floor=0.0, ceiling=1.0, minimum_span=0.004, pad=0.02)
        head = "".join(f'<th class="t">{esc(w.column(m))}</th>' for m in (*r.rates, "dispatched_per_day"))
        rows = []
        q = w("district_q")
        for uid, series in by_unit.items():
            series = per_day(series, "dispatched")
            name = w.unit(uid)
            cells = [f'<td class="t">{esc(name)}</td>']
            for measure in (*r.rates, "dispatched_per_day"):
                values = [s[measure] for s in series]
                if measure in PERCENT:
                    lo, hi = ranges[measure]
                    svg = charts.sparkline(values, lo=lo, hi=hi, fmt=lambda v: w.pct(v, 1), label=f"{name} {w.column(measure)}",
                                           reference=[c[measure] for c in r.city])
                else:
                    lo, hi = charts.data_range(values, floor=0.0)
                    svg = charts.sparkline(values, lo=lo, hi=hi, fmt=per_day_text(w),
                                           label=f"{name} {w.column(measure)}")
                cells.append(f"<td>{svg}</td>")
            rows.append(f'<tr data-unit="{esc(uid)}">{"".join(cells)}</tr>')
        return (f'<h3>{esc(w.level("district"))}</h3><p class="q">{esc(q)}</p>'
                f'<table class="multiples"><thead><tr><th class="t">{esc(w.level("district"))}</th>{head}</tr></thead>'
                f'<tbody>{"".join(rows)}</tbody></table>')

    def heat(self) -> str:
        w, r = self.w, self.r
        out = [f'<section id="heat"><h2>{esc(w("heat"))}</h2><p class="q">{esc(w("heat_q"))}</p>']
        known = [u.id for u in r.profile.ranked_units("district")]
        rows_of: dict[str | None, dict[str | None, int]] = {}
        for cell in r.heat:
            d = cell["district"] if cell["district"] in known else None
            rows_of.setdefault(d, {})
            rows_of[d][cell["category"]] = rows_of[d].get(cell["category"], 0) + cell["received"]
        totals: dict[str | None, int] = {}
        for row in rows_of.values():
            for c, v in row.items():
                totals[c] = totals.get(c, 0) + v
        cats = sorted(totals, key=lambda c: (-totals[c], c is None, c or ""))
        districts = [d for d in known if d in rows_of] + ([None] if None in rows_of else [])
        if not cats:
            out.append(f'<p class="note">{esc(w("no_rising"))}</p></section>')
            return "".join(out)
        matrix = [[rows_of[d].get(c, 0) for c in cats] for d in districts]
        svg = charts.heat_map([w.unit(d) for d in districts], [w.category(c) for c in cats], matrix,
                              compact=w.compact, full=w.count, label=w("heat_q"), legend=w("scale"))
        out.append(svg + "</section>")
        return "".join(out)

    def rising(self) -> str:
        w, r = self.w, self.r
        out = [f'<section id="rising"><h2>{esc(w("rising"))}</h2><p class="q">{esc(w("rising_q"))}</p>']
        if not r.rising:
            out.append(f'<p class="note">{esc(w("no_rising"))}</p></section>')
            return "".join(out)
        bars = [(w.category(x["category"]), x["change_mom"],
                 (f'{w.category(x["category"])}: {w.decimal(x["previous_per_day"])} → {w.decimal(x["per_day"])} '
                  f'{w("per_day")} ({w.rel(x["change_mom"])})')) for x in r.rising]
        out.append(charts.change_bars(bars, fmt=w.rel, label=w("rising_q")))
        rows = [{**x, "name": w.category(x["category"])} for x in r.rising]
        out.append(self.table(rows, ("category", "name", "received", "previous_received", "per_day",
                                     "previous_per_day", "change_mom"), css="rising"))
        out.append("</section>")
        return "".join(out)

    def topics(self) -> str:
        w, r = self.w, self.r
        t = r.tracking
        out = [f'<section id="topics"><h2>{esc(w("topics"))}</h2><p class="q">{esc(w("topics_q"))}</p>']
        if not r.profile.topics:
            out.append(f'<p class="note">{esc(w("no_topics"))}</p></section>')
            return "".join(out)
        out.append(f'<p class="summary">{esc(t.summary(w.lang))}</p>')
        leads = {x.code: x.lead for x in r.profile.topics}
        rows = [{**x, "name": w.topic(x["code"]), "lead": w.unit(leads[x["code"]]) if leads.get(x["code"]) else None}
                for x in t.rows]

        def spark(row: dict[str, Any]) -> str:
            values = r.topic_series.get(row["code"], [])
            lo, hi = charts.data_range(values, floor=0.0)
            return charts.sparkline(values, lo=lo, hi=hi, fmt=lambda v: w.count(int(v)),
                                    label=f'{w.topic(row["code"])} {w("last_12")}', width=130)

        out.append(self.table(rows, ("code", "name", "lead", "requests", "previous", "change_mom", "change_yoy",
                                     "fell", "resolution_rate", "satisfaction_rate", "composite", "top_streets"),
                              extra=(w("last_12"), spark), css="topics", wrap=("lead", "name")))
        out.append("</section>")
        return "".join(out)

    def warnings(self) -> str:
        w, r = self.w, self.r
        out = [f'<section id="warnings"><h2>{esc(w("warnings"))}</h2><p class="q">{esc(w("warnings_q"))}</p>',
               f'<p class="summary">{esc(r.warnings.summary(w.lang))}</p>']
        if r.warnings.rows:
            rows = [{**x, "level": w.level(x["level"]), "category_name": w.category(x["category"]),
                     "place_name": w.unit(x["place"], x["place_name"])} for x in r.warnings.rows]
            out.append(self.table(rows, ("level", "category_name", "place_name", "observed", "expected", "upper_bound",
                                         "ratio", "p_value", "baseline_periods"), scroll=len(rows) > 25, css="warnings"))
        else:
            out.append(f'<p class="note">{esc(w("no_warnings"))}</p>')
        out.append("</section>")
        return "".join(out)

    def footer(self, command: str | None) -> str:
        w, r, p = self.w, self.r, self.r.profile
        items = [(w("profile"), f"{w.city} ({p.id}) · {p.source}")]
        illustrative = illustrative_settings(w)
        title = w("illustrative") if p.id == "beijing" else w("illustrative_any")
        ill = "".join(f"<li><b>{esc(s)}</b>：{esc(note)}</li>" if w.lang == "zh" else
                      f"<li><b>{esc(s)}</b>: {esc(note)}</li>" for s, note in illustrative)
        inputs = "".join(f'<li><code>{esc(f.path)}</code> ({esc(f.format)}, {esc(w.count(f.rows))} {esc(w("rows"))})</li>'
                         for f in r.inputs)
        dl = "".join(f"<dt>{esc(k)}</dt><dd>{esc(v)}</dd>" for k, v in items)
        dl += f'<dt>{esc(title)}</dt><dd><ul>{ill}</ul></dd>' if illustrative else ""
        dl += f"<dt>{esc(w('schema'))}</dt><dd>{esc(r.schema_version)}</dd>"
        dl += f"<dt>{esc(w('inputs'))}</dt><dd><ul>{inputs}</ul></dd>"
        out = [f'<footer id="about"><h2>{esc(w("footer"))}</h2><dl>{dl}</dl>']
        if command:
            out.append(f'<p>{esc(w("command"))}:</p><pre><code id="command">{esc(command)}</code></pre>')
        out.append(f'<p class="note">{esc(w("generated", version=__version__))}</p></footer>')
        return "".join(out)

    def nav(self) -> str:
        w = self.w
        links = [("headline", w("headline")), ("classes", w("classes")), ("rankings", w("ranking")),
                 ("trends", w("trends")), ("heat", w("heat")), ("rising", w("rising")),
                 ("topics", w("topics")), ("warnings", w("warnings")), ("about", w("footer"))]
        items = "".join(f'<li><a href="#{k}">{esc(v)}</a></li>' for k, v in links)
        return f'<nav aria-label="{esc(w("contents"))}"><ol>{items}</ol></nav>'


def to_html(report: MonthlyReport, *, lang: str, command: str | None = None) -> str:
    """The whole page, one language; ``command`` (the command line that made it) goes in the footer."""
    page = _Page(report, lang)
    w = page.w
    title = w("title", city=w.city)
    month = w.month(report.month)
    sub = w("subtitle", month=month, profile=report.profile.id)
    csp = CSP.format(hash=script_hash())
    parts = [
        "<!DOCTYPE html>",
        f'<html lang="{"zh-CN" if lang == "zh" else "en"}"><head><meta charset="utf-8">',
        f'<meta http-equiv="Content-Security-Policy" content="{csp}">',
        '<meta name="viewport" content="width=device-width, initial-scale=1">',
        f'<meta name="generator" content="jiesu {esc(__version__)}">',
        f"<title>{esc(title)} · {esc(month)}</title><style>{_CSS}</style></head><body>",
        f'<header><h1>{esc(title)}</h1><p class="sub">{esc(sub)}</p></header>',
        page.nav(),
        page.headline(),
        page.classes(),
        page.rankings(),
        page.trends(),
        page.heat(),
        page.rising(),
        page.topics(),
        page.warnings(),
        page.footer(command),
        f"<script>{SCRIPT}</script>",
        "</body></html>",
    ]
    return "\n".join(parts) + "\n"
