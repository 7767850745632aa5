"""The report's words and number formats, in Chinese and English (one language per page).

Shared labels (columns, unit levels, class names) come from :mod:`jiesu.output`; names of units,
categories and problems from the profile (``name_en`` on an English page where the profile has it).
"""

from __future__ import annotations

import html
from typing import Any

from ..output import class_label, label, level_label
from ..profile import Profile
from ..safe import mask, printable

#: key -> (Chinese, English); ``{level}``, ``{month}``, ``{n}`` are filled in
WORDS: dict[str, tuple[str, str]] = {
    "title": ("{city}接诉即办月度报告", "{city} citizen hotline: monthly report"),
    "subtitle": ("{month} · 依据 {profile} 城市配置生成", "{month} · computed with the {profile} city profile"),
    "contents": ("目录", "Contents"),
    "headline": ("本月要点", "The month at a glance"),
    "headline_q": ("本月诉求量、派单占比、三率和综合成绩比上月如何？",
                   "How did volume, the dispatched share, the three rates and the composite compare with last month?"),
    "previous": ("上月", "last month"),
    "no_previous": ("上月无数据", "no data last month"),
    "headline_on_time_q": ("本月诉求量、派单占比和按时办结率比上月如何？",
                           "How did volume, the dispatched share and the on-time rate compare with last month?"),
    "city_on_time_q": ("全市按时办结率和诉求量近12个月如何变化？",
                       "How did the city's on-time rate and volume move over the last 12 months?"),
    "classes": ("四类名单", "The four classes"),
    "classes_q": ("月度通报点名哪些单位？", "Which units does this month's notice name?"),
    "classes_level": ("{level}", "{level}"),
    "none": ("无", "none"),
    "ranking": ("排名", "Rankings"),
    "ranking_level": ("{level}排名", "{level} ranking"),
    "spread_q": ("各{level}的综合成绩相差多少？被点名的单位在哪里？",
                 "How far apart are the composites of the {level} units, and where do the named ones sit?"),
    "change_q": ("各{level}本月综合成绩（实心）与上月（空心）", "Each {level} unit's composite this month (filled) and last month (hollow)"),
    "spread_on_time_q": ("各{level}的按时办结率相差多少？被点名的单位在哪里？",
                         "How far apart are the on-time rates of the {level} units, and where do the named ones sit?"),
    "change_on_time_q": ("各{level}本月按时办结率（实心）与上月（空心）",
                         "Each {level} unit's on-time rate this month (filled) and last month (hollow)"),
    "timeliness_note": ("本配置按按时办结率排名（数据没有回访，三率无从计算）；按时办结率 = 按时办结 /（按时办结 + 超时办结 + 超期未办结）",
                        ("This profile ranks on the on-time rate (the data has no callbacks, so no three rates): "
                        "closed on time / (on time + late + open past deadline)")),
    "sort_hint": ("点击表头排序", "click a header to sort"),
    "unranked": ("未排名：有效回访少于 {n} 件或数据不完整", "not ranked: fewer than {n} scored cases, or incomplete data"),
    "median": ("中位数", "median"),
    "trends": ("近12个月走势", "The last 12 months"),
    "city_q": ("全市三率和诉求量近12个月如何变化？", "How did the city's three rates and volume move over the last 12 months?"),
    "district_q": ("哪些区的走势与全市不同？（灰线：全市；纵轴为各区数据的范围）",
                   "Which districts moved differently from the city? (grey: the city; each column on the range of the districts' values)"),
    "heat": ("区 × 类别", "Districts × categories"),
    "heat_q": ("本月诉求集中在哪些区、哪些类别？（诉求量，按诉求所在区）",
               "Where, and in which categories, did this month's requests concentrate? (requests received, by the district where they arose)"),
    "rising": ("上升最快的类别", "Rising categories"),
    "rising_q": ("哪些类别的日均诉求量比上月增加最多？（按日均计，月份天数不同不影响）",
                 "Which categories' requests per day rose most since last month? (per day, so a longer month is no rise)"),
    "no_rising": ("没有类别比上月增加（或上月无数据）。", "No category rose since last month (or last month has no data)."),
    "topics": ("每月一题跟踪", "One problem a month: the registered problems"),
    "topics_q": ("登记的每月一题问题，派单量在下降吗？", "Are the registered problems' dispatched requests falling?"),
    "no_topics": ("城市配置未登记问题（[[topics]]），没有可跟踪的问题。",
                  "The profile registers no problem ([[topics]]): there is nothing to track."),
    "warnings": ("未诉先办预警", "Early warnings: acting before the requests"),
    "warnings_q": ("哪里某类诉求量远高于自身历史？", "Where do requests of a kind swell far above their own history?"),
    "no_warnings": ("本月没有预警。", "No warning this month."),
    "footer": ("数据与方法", "Data and method"),
    "profile": ("城市配置", "City profile"),
    "illustrative": ("示意性设置（北京未公布，不是官方规则）", "Illustrative settings (not published by Beijing; not official rules)"),
    "illustrative_any": ("示意性设置（不是官方规则）", "Illustrative settings (not official rules)"),
    "schema": ("数据标准版本", "Case-record schema version"),
    "inputs": ("输入文件", "Input files"),
    "rows": ("行数", "rows"),
    "command": ("重现本页的命令", "The command that reproduces this page"),
    "missing_months": ("以下月份没有数据：{months}", "No data for these months: {months}"),
    "generated": ("由 jiesu {version} 生成，不含任何个人信息；所有数字均为汇总。",
                  "Made by jiesu {version}; no personal data, only aggregates."),
    "weights": ("综合成绩 = 100 ×（{w}）", "composite = 100 × ({w})"),
    "per_day": ("日均", "per day"),
    "last_12": ("近12个月派单量", "dispatched, 12 months"),
    "other_district": ("其他/未知", "other/unknown"),
    "other_category": ("未分类", "no category"),
    "total": ("合计", "total"),
    "scale": ("颜色越深诉求越多", "darker: more requests"),
    "dispatched_n": ("派单 {n} 件", "{n} dispatched"),
    "others": ("其他", "others"),
    "city_word": ("全市", "city"),
    "yes": ("是", "yes"),
    "no": ("否", "no"),
    "incomplete": ("不完整", "incomplete"),
    "list_sep": ("、", ", "),
}

#: the headline figures and the trend measures as people read them
MEASURE_LABELS: dict[str, tuple[str, str]] = {
    "received": ("受理诉求量", "requests received"),
    "dispatched": ("派单量", "dispatched"),
    "dispatched_share": ("派单占比", "dispatched share"),
    "per_day": ("本月日均", "per day"),
    "received_per_day": ("日均受理诉求量", "requests received per day"),
    "dispatched_per_day": ("日均派单量", "dispatched per day"),
    "previous_per_day": ("上月日均", "per day, last month"),
    "previous_received": ("上月受理量", "received last month"),
}

_MONTHS_EN = ("Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec")
_MONTHS_EN_LONG = ("January", "February", "March", "April", "May", "June", "July", "August",
                   "September", "October", "November", "December")


def esc(value: Any) -> str:
    """Any value from data or a profile as HTML/SVG text: personal numbers masked, control
    characters shown as escapes, markup escaped (quotes too, so it is safe in attributes)."""
    return html.escape(printable(mask(str(value))), quote=True)


class Words:
    """The words and number formats of one language."""

    def __init__(self, lang: str, profile: Profile) -> None:
        if lang not in ("zh", "en"):
            raise ValueError(f"unknown language {lang!r}")
        self.lang, self.profile = lang, profile
        self.i = 0 if lang == "zh" else 1

    def __call__(self, key: str, **fill: Any) -> str:
        text = WORDS[key][self.i]
        return text.format(**fill) if fill else text

    # ---------------------------------------------------------------- labels and names

    def column(self, name: str) -> str:
        pair = MEASURE_LABELS.get(name)
        if pair:
            return pair[self.i]
        if name == "requests":  # in the report, always the dispatched requests (rank's column)
            return MEASURE_LABELS["dispatched"][self.i]
        return label(name, self.lang)

    def level(self, level: str) -> str:
        return level_label(level, self.lang)

    def klass(self, name: str) -> str:
        return class_label(name, self.lang)

    @property
    def city(self) -> str:
        p = self.profile
        return p.name if self.i == 0 else (p.name_en or p.name)

    def unit(self, uid: str | None, default: str | None = None) -> str:
        """A unit's name in the language (its id when the profile does not know it)."""
        if uid is None:
            return self("other_district")
        u = self.profile.unit_by_id.get(uid)
        if u is None:
            return default or uid
        return u.name_en if self.i and u.name_en else u.name

    def category(self, code: str | None) -> str:
        if code is None:
            return self("other_category")
        c = self.profile.category_by_code.get(code)
        if c is None:
            return code
        return c.name_en if self.i and c.name_en else c.name

    def topic(self, code: str) -> str:
        t = next((t for t in self.profile.topics if t.code == code), None)
        if t is None:
            return code
        return t.name_en if self.i and t.name_en else t.name

    # ---------------------------------------------------------------- numbers

    def month(self, label: str) -> str:
        """``2024-05`` as 2024年5月 or May 2024."""
        y, m = int(label[:4]), int(label[5:7])
        return f"{y}年{m}月" if self.i == 0 else f"{_MONTHS_EN_LONG[m - 1]} {y}"

    def month_short(self, label: str, with_year: bool = False) -> str:
        y, m = int(label[:4]), int(label[5:7])
        if self.i == 0:
            return f"{y}年{m}月" if with_year else f"{m}月"
        return f"{_MONTHS_EN[m - 1]} {y}" if with_year else _MONTHS_EN[m - 1]

    def count(self, n: int | None) -> str:
        return "—" if n is None else f"{n:,}"

    def big(self, n: int | None) -> str:
        """A headline count: 213.4万 in Chinese from 100,000 on; digits grouped in English."""
        if n is None:
            return "—"
        if self.i == 0 and n >= 100_000:
            return f"{n / 10_000:,.1f}万"
        return f"{n:,}"

    def compact(self, n: int) -> str:
        """A count in a small space (a heat-map cell): 1.2万 / 12k."""
        if self.i == 0:
            return f"{n / 10_000:.1f}万" if n >= 10_000 else str(n)
        return f"{n / 1000:.0f}k" if n >= 10_000 else (f"{n / 1000:.1f}k" if n >= 1000 else str(n))

    def pct(self, x: float | None, digits: int = 2) -> str:
        return "—" if x is None else f"{100 * x:.{digits}f}%"

    def points(self, d: float | None) -> str:
        """A change of a rate, in percentage points."""
        if d is None:
            return "—"
        return f"{100 * d:+.2f}个百分点" if self.i == 0 else f"{100 * d:+.2f} pp"

    def rel(self, x: float | None) -> str:
        return "—" if x is None else f"{100 * x:+.1f}%"

    def score(self, x: float | None) -> str:
        return "—" if x is None else f"{x:.2f}"

    def signed(self, x: float | None) -> str:
        return "—" if x is None else f"{x:+.2f}"

    def decimal(self, x: float | None, digits: int = 1) -> str:
        return "—" if x is None else f"{x:,.{digits}f}"


_REQUEST_TYPES = {"consultation": ("咨询", "consultation"), "help": ("求助", "help"), "complaint": ("投诉", "complaint"),
                  "report": ("举报", "report"), "suggestion": ("建议", "suggestion"), "other": ("其他", "other")}
_SECTIONS = {"time_limits": ("办理时限", "time limits"), "scoring": ("评分", "scoring"),
             "ranking": ("排名与四类", "ranking and classes"), "analysis": ("每月一题分析", "topic analysis"),
             "warn": ("未诉先办预警", "early warning"), "zones": ("功能区", "zones"),
             "topics": ("每月一题登记", "registered problems")}


def illustrative_settings(w: Words) -> list[tuple[str, str]]:
    """Each illustrative section of the profile, named and summarised in the page's language (its
    values, not the profile's free-text note, so the page keeps to one language)."""
    p, zh = w.profile, w.i == 0
    sep = "；" if zh else "; "
    out = []

    def flagged(section: str) -> bool:
        table = p.raw.get(section)
        return isinstance(table, dict) and bool(table.get("illustrative"))

    def name(section: str) -> str:
        return _SECTIONS[section][w.i]

    if flagged("time_limits"):
        items = [f"{_REQUEST_TYPES[k][w.i]} {v:g}" for k, v in p.time_limits.items() if k in _REQUEST_TYPES]
        out.append((name("time_limits"), ("小时：" if zh else "hours: ") + ("、" if zh else ", ").join(items)))
    if flagged("scoring"):
        sc, wt = p.scoring, p.scoring.weights
        out.append((name("scoring"), sep.join([
            (f"权重（{sc.weight_set}）响应率 {wt.response:g}、解决率 {wt.resolution:g}、满意率 {wt.satisfaction:g}" if zh
             else f"weights ({sc.weight_set}) response {wt.response:g}, resolution {wt.resolution:g}, "
                  f"satisfaction {wt.satisfaction:g}"),
            (f"基本满意计 {sc.basically_satisfied_weight:g}" if zh else
             f"basically satisfied counts {sc.basically_satisfied_weight:g}"),
            (f"有效回访少于 {sc.min_scored} 件不排名" if zh else f"fewer than {sc.min_scored} scored cases: not ranked"),
            (f"响应按{'回访' if sc.response_method == 'callback' else '首次联系时间'}计" if zh
             else f"response by {sc.response_method}"),
        ])))
    if flagged("ranking"):
        rk = p.ranking
        sizes = ("、" if zh else ", ").join(f"{w.level(lv)} {rk.size_for(lv)}" for lv in rk.levels)
        out.append((name("ranking"), sep.join([
            ("每类单位数：" if zh else "units per class: ") + sizes,
            ("一个单位只入一类" if zh else "a unit in one class at most") if rk.exclusive_classes else
            ("一个单位可入多类" if zh else "a unit may be in several classes"),
        ])))
    if flagged("analysis"):
        a = p.analysis
        out.append((name("analysis"), (f"降幅阈值 {100 * a.decline_threshold:g}%、前 {a.top_n} 类、集中街道 {a.top_streets} 个" if zh
                                       else f"decline threshold {100 * a.decline_threshold:g}%, top {a.top_n}, "
                                            f"{a.top_streets} top streets")))
    if flagged("warn"):
        wn = p.warn
        out.append((name("warn"), (f"Farrington 灵活阈值，α = {wn.alpha:g}，基线 {wn.recent_periods if wn.baseline == 'recent' else wn.years} "
                                   f"{'期' if wn.baseline == 'recent' else '年'}，至少 {wn.min_count} 件才预警" if zh
                                   else f"Farrington-flexible threshold, α = {wn.alpha:g}, baseline "
                                        f"{wn.recent_periods if wn.baseline == 'recent' else wn.years} "
                                        f"{'periods' if wn.baseline == 'recent' else 'years'}, at least {wn.min_count} "
                                        "cases to warn")))
    if flagged("zones"):
        out.append((name("zones"), (f"功能区诉求派给{'所在区' if p.zones.dispatch == 'district' else '功能区'}，不单独排名"
                                    if zh else f"zone cases go to the {p.zones.dispatch}; zones are not ranked")))
    topics = [t.code for t in p.topics if t.illustrative]
    if topics:
        out.append((name("topics"), ("、" if zh else ", ").join(topics)))
    return out
