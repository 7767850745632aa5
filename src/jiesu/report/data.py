"""The numbers of the monthly report, from one streaming pass over the cases.

One pass over the inputs (:func:`jiesu.report.counting.count_report`) counts, over the months
the page needs (the twelve of the trends, the month before them and the early-warning baseline),
the scorecard ``rank`` ranks (per unit and per district-tier unit), the answers per category that
``topics track`` rates, and the volume cubes of ``topics track`` and ``warn``. Every level is then
ranked by :func:`jiesu.ranking.rank_rows` (what ``rank`` and ``trend`` use), the problems tracked by
:func:`jiesu.analysis.tracking.tracking_rows` and the warnings found by
:func:`jiesu.analysis.warn.evaluate`, on those counts.

No rule is computed here a second time: rates, ranks, classes, tracking and warnings come from
the functions the commands use, on the same counts.
"""

from __future__ import annotations

import calendar
from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np

from ..analysis import tracking as tracking_mod
from ..analysis import warn as warn_mod
from ..analysis.cube import Cube
from ..analysis.tracking import Tracking, tracking_rows
from ..analysis.warn import Warnings
from ..errors import ArgumentError, DataError
from ..io.sources import Source, as_sources
from ..months import month_label, parse_month
from ..profile import Profile, load_profile
from ..progress import ProgressCallback
from ..ranking import class_tables, rank_rows
from ..schema import schema_version
from ..scoring import MEASURES, Aggregate, rates
from ..timeliness import TimelinessAggregate, latest_time, on_time_rate, rank_timeliness_rows
from .counting import InputFile, count_report

#: months of the trend charts
TREND_MONTHS = 12
RATES = ("response_rate", "resolution_rate", "satisfaction_rate")
#: the headline figures, in the order the page shows them
HEADLINE = ("received", "dispatched", "dispatched_share", *RATES, "composite")
#: what a profile that ranks on timeliness (``scoring.metrics = "timeliness"``) shows instead of
#: the three rates and the composite
TIMELINESS_RATES = ("on_time_rate",)
TIMELINESS_HEADLINE = ("received", "dispatched", "dispatched_share", "on_time_rate", "open_past_deadline")


@dataclass
class MonthlyReport:
    """Everything the monthly page and workbook show, independent of the language.

    Rows are flat dicts; rates are fractions, composites 0-100, ``None`` where the data cannot
    give a value (a month without data, a rate without answers)."""

    profile: Profile
    month: str
    #: the trend months, oldest first (the report's month last)
    months: list[str]
    #: one row per headline figure: measure, value, previous, change
    headline: list[dict[str, Any]]
    #: one row per trend month: the city's volume and rates
    city: list[dict[str, Any]]
    #: one row per (district-tier unit, trend month): dispatched requests and the rates, counted
    #: territorially as the district ranking counts them
    districts: list[dict[str, Any]]
    #: per ranked level: ``rank``'s rows for the month
    rankings: dict[str, list[dict[str, Any]]]
    #: per ranked level: the members of each class, as the notice lists them
    classes: dict[str, dict[str, list[dict[str, Any]]]]
    #: cases received in the month per (district, category), every pair with a case
    heat: list[dict[str, Any]]
    #: the categories whose daily volume rose most since the month before
    rising: list[dict[str, Any]]
    tracking: Tracking
    #: per registered problem: dispatched requests per trend month (None: no dispatched case at all)
    topic_series: dict[str, list[int | None]]
    warnings: Warnings
    inputs: list[InputFile]
    schema_version: str
    #: months of the trend without any case in the data
    missing_months: list[str] = field(default_factory=list)
    #: what units are ranked on: ``rates`` (the composite of the three rates) or ``timeliness``
    #: (the on-time rate, for data without callbacks; ``jiesu rank`` does the same)
    metrics: str = "rates"

    @property
    def rates(self) -> tuple[str, ...]:
        """The rates the trends show."""
        return TIMELINESS_RATES if self.metrics == "timeliness" else RATES

    @property
    def score(self) -> str:
        """The column units are ranked on."""
        return "on_time_rate" if self.metrics == "timeliness" else "composite"


def needed_months(profile: Profile, month: int) -> list[int]:
    """The months the report counts: the trend months and the month before them (for the first
    change and for tracking's year-ago month), and the early-warning check's baseline."""
    return sorted(set(range(month - TREND_MONTHS, month + 1)) | set(warn_mod.periods_needed(profile, month)))


def monthly_report(inputs: Sequence[str | Path | Source], *, profile: Profile | str | Path | None = None,
                   month: str | int, naive_timezone: str | None = None, scheduler: Any = None,
                   progress: ProgressCallback | None = None) -> MonthlyReport:
    """The monthly report of ``month`` (YYYY-MM): headline figures with the month before, the
    four classes and the ranking of every ranked level, twelve-month trends for the city and each
    district, a district x category heat map, the rising categories, the 每月一题 tracking and the
    early warnings; from one pass over the inputs (files, folders or sources). With ``scheduler``
    (see :func:`jiesu.score`) the pass runs on a Dask cluster and gives the same page."""
    profile = load_profile(profile)
    m = parse_month(month) if isinstance(month, str) else month
    if scheduler is None:
        sources = as_sources(inputs, naive_timezone=naive_timezone)
    else:  # globs and object-store URLs too (jiesu.distributed)
        from ..distributed import find_sources

        sources = find_sources(inputs, naive_timezone=naive_timezone)
    timely = profile.scoring.metrics == "timeliness"
    as_of = None
    if timely:  # open cases are judged at the time of the export: the latest time in the data
        as_of = latest_time(sources, scheduler=scheduler)
        if as_of is None:
            raise DataError("no case has a received_at: nothing to judge")
    counts, inputs_read = count_report(sources, profile, needed_months(profile, m), m, progress, as_of=as_of,
                                       scheduler=scheduler)
    by_unit, by_territory, volume = counts.by_unit, counts.by_territory, counts.volume
    months = list(range(m - TREND_MONTHS + 1, m + 1))
    covered = set(volume.periods()) | set(by_unit.months())
    if m not in covered:
        before = [p for p in covered if p < m]
        hint = (f"the latest month before it with cases is {month_label(max(before))}" if before
                else f"nor in the {TREND_MONTHS} months before it")
        raise ArgumentError(f"no case was received or called back in {month_label(m)} in these inputs ({hint})")

    if timely:
        on_unit, on_territory = counts.on_time_by_unit, counts.on_time_by_territory
        rankings = {level: rank_timeliness_rows(on_territory if level == "district" else on_unit,  # type: ignore[arg-type]
                                                profile, m, level) for level in profile.ranking.levels}
    else:
        rankings = {level: rank_rows(by_territory if level == "district" else by_unit, profile, m, level)
                    for level in profile.ranking.levels}
    city = _city_rows(by_unit, volume, profile, [m - 1, *months], covered, counts.on_time_by_unit)
    tracked = tracking_rows(counts.topic_volume, answers_cube(counts.by_category), profile, m)
    return MonthlyReport(
        profile=profile,
        month=month_label(m),
        months=[month_label(p) for p in months],
        headline=_headline(city[-1], city[-2], TIMELINESS_HEADLINE if timely else HEADLINE),
        city=city[1:],
        districts=_district_rows(by_territory, profile, months, covered, counts.on_time_by_territory),
        rankings=rankings,
        classes={level: class_tables(rows, profile) for level, rows in rankings.items()},
        heat=_heat(volume, m),
        rising=_rising(volume, profile, m),
        tracking=tracked,
        topic_series=_topic_series(counts.topic_volume, profile, months),
        warnings=warn_mod.evaluate(volume, profile, end=m),
        inputs=inputs_read,
        schema_version=schema_version(),
        missing_months=[month_label(p) for p in months if p not in covered],
        metrics="timeliness" if timely else "rates",
    )


def answers_cube(by_category: Aggregate) -> Cube:
    """The answers per category as the cube ``topics track`` rates (:data:`tracking.ANSWERS`)."""
    template = tracking_mod.ANSWERS
    cube = Cube(template.dims, template.groups)
    cells = cube.cell_ids(cube.value_ids(0, by_category.keys))
    columns = [MEASURES.index(m) for m in cube.measures]
    for p in by_category.months():
        arr = by_category.counts[p]
        cube.add(p, cells[: arr.shape[0]], arr[:, columns][None])
    return cube


def _with_rates(counts: dict[str, int], profile: Profile) -> dict[str, Any]:
    return {"scored": counts["scored"], **rates(counts, profile)}


def _city_rows(by_unit: Aggregate, volume: Cube, profile: Profile, months: list[int], covered: set[int],
               on_time: TimelinessAggregate | None = None) -> list[dict[str, Any]]:
    """Per month: cases received, dispatched, their share, scored, the three rates, composite (the
    counts of every unit, and of the cases without one, added up); and the on-time rate when the
    profile ranks on timeliness."""
    received = volume.matrix(months, "cases").sum(axis=0)
    out = []
    for k, p in enumerate(months):
        arr = by_unit.counts.get(p)
        sums = np.zeros(len(MEASURES), np.int64) if arr is None else arr.sum(axis=0)
        counts = dict(zip(MEASURES, map(int, sums)))
        known = p in covered
        n = int(received[k])
        out.append({
            "month": month_label(p),
            "received": n if known else None,
            "dispatched": counts["requests"] if known else None,
            "dispatched_share": counts["requests"] / n if known and n else None,
            **_with_rates(counts, profile),
            **(_on_time(on_time.counts.get(p)) if on_time is not None else {}),
        })
    return out


def _on_time(arr: np.ndarray | None) -> dict[str, Any]:
    """The on-time rate, cases due and cases open past their deadline of a timeliness count block
    (summed over its keys)."""
    measures = TimelinessAggregate.MEASURES
    sums = np.zeros(len(measures), np.int64) if arr is None else arr.sum(axis=0)
    return _on_time_of(dict(zip(measures, map(int, sums))))


def _on_time_of(counts: dict[str, int]) -> dict[str, Any]:
    return {"on_time_rate": on_time_rate(counts), "open_past_deadline": counts["open_past_deadline"],
            "due": counts["due"]}


def _headline(cur: dict[str, Any], prev: dict[str, Any], measures: Sequence[str]) -> list[dict[str, Any]]:
    out = []
    for measure in measures:
        v, p = cur.get(measure), prev.get(measure)
        if v is None or p is None:
            change = None
        elif measure in ("received", "dispatched", "open_past_deadline"):  # counts: relative change
            change = (v - p) / p if p else None
        else:  # shares, rates and the composite: the difference
            change = v - p
        out.append({"measure": measure, "value": v, "previous": p, "change": change})
    return out


def _district_rows(by_territory: Aggregate, profile: Profile, months: list[int], covered: set[int],
                   on_time: TimelinessAggregate | None = None) -> list[dict[str, Any]]:
    """Per district-tier unit and month, as the district ranking counts them (territorially):
    dispatched requests received, scored cases, the three rates and the composite (and the
    on-time rate when the profile ranks on timeliness)."""
    out = []
    for u in profile.ranked_units("district"):
        for p in months:
            counts = by_territory.get(p, u.id)
            row = {"unit": u.id, "name": u.name, "month": month_label(p),
                   "dispatched": counts["requests"] if p in covered else None, **_with_rates(counts, profile)}
            if on_time is not None:
                row.update(_on_time_of(on_time.get(p, u.id)))
            out.append(row)
    return out


def _heat(volume: Cube, m: int) -> list[dict[str, Any]]:
    table = volume.totals([m], ("district", "category"))
    return [{"district": d, "category": c, "received": v["cases"]}
            for (d, c), v in sorted(table.items(), key=lambda kv: (kv[0][0] is None, kv[0][0] or "",
                                                                   kv[0][1] is None, kv[0][1] or ""))
            if v["cases"]]


def _days(m: int) -> int:
    return calendar.monthrange(m // 12, m % 12 + 1)[1]


def days_in_month(label: str) -> int:
    """Days of a ``YYYY-MM`` month."""
    return _days(parse_month(label))


def _rising(volume: Cube, profile: Profile, m: int) -> list[dict[str, Any]]:
    """The ``analysis.top_n`` categories whose cases received per day rose fastest (relative change)
    since the month before: per day, so that a longer month is no rise; only categories with at
    least ``warn.min_count`` cases in each month (a handful moving is noise; ``jiesu warn`` judges
    surges against a longer history)."""
    if m - 1 not in set(volume.periods()):
        return []
    cur, prev = (volume.totals([p], ("category",)) for p in (m, m - 1))
    floor = profile.warn.min_count
    out = []
    for (cat,), c in cur.items():
        before = prev.get((cat,), {"cases": 0})["cases"]
        if cat is None or before < floor or c["cases"] < floor:
            continue
        per_day, per_day_before = c["cases"] / _days(m), before / _days(m - 1)
        if per_day > per_day_before:
            out.append({"category": cat, "received": c["cases"], "previous_received": before,
                        "per_day": per_day, "previous_per_day": per_day_before,
                        "change_mom": (per_day - per_day_before) / per_day_before})
    out.sort(key=lambda r: (-r["change_mom"], r["category"]))
    return out[: profile.analysis.top_n]


def _topic_series(topic_volume: Cube, profile: Profile, months: list[int]) -> dict[str, list[int | None]]:
    mat = topic_volume.matrix(months, "requests")
    cats = topic_volume.column("category")
    covered = set(topic_volume.periods())
    out = {}
    for t in profile.topics:
        rows = [i for i, c in enumerate(cats) if c in set(t.categories)]
        sums = mat[rows].sum(axis=0) if rows else np.zeros(len(months), np.int64)
        out[t.code] = [int(v) if p in covered else None for v, p in zip(sums, months)]
    return out
