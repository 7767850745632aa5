"""未诉先办 early warning: category x street and category x district series whose request volume
in a month (or in the last N days) is far above their own history.

Series: every request received (any disposition: a surge of calls is the signal, whether answered
on the spot or dispatched), counted per category and street (the ``street`` column) and per
category and district (the ``district`` column), in the profile's time zone.

Periods: ``month`` checks a calendar month; ``days = N`` checks the N days ending on ``until``
(default: the last day with any case). The baseline is ``warn.recent_periods`` earlier periods
of the same length (``baseline = "recent"``), or the same period and ``warn.half_window`` periods
on each side in each of ``warn.years`` past years (``"seasonal"``; days step by 52 weeks so
weekdays line up). Only periods the data cover (any case at all in them) count; a series with
fewer than ``warn.min_baseline`` baseline periods is not checked. The threshold is
:func:`jiesu.analysis.detector.upper_bounds`.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np

from ..errors import ArgumentError
from ..io.sources import Source
from ..months import day_label, month_label, parse_day, parse_month
from ..profile import Profile, load_profile
from ..progress import ProgressCallback
from .cube import Cube, count
from .detector import upper_bounds

LEVELS = ("street", "district")
COLUMNS = ("level", "category", "category_name", "place", "place_name", "observed", "expected",
           "upper_bound", "ratio", "p_value", "baseline_periods")


@dataclass
class Warnings:
    """The warnings of one check, most surprising first, and what was checked."""

    period: str
    rows: list[dict[str, Any]]
    checked: dict[str, int] = field(default_factory=dict)  # series checked per level
    unchecked: dict[str, int] = field(default_factory=dict)  # series with too little history
    baseline: list[str] = field(default_factory=list)  # labels of the baseline periods
    empty: bool = False  # no case at all in (some day of) the checked period

    def summary(self, lang: str = "en") -> str:
        """One line: how many warnings, how many series were checked, against how many periods."""
        if self.empty:
            return (f"{self.period}：该期间没有诉求，未检查" if lang == "zh"
                    else f"no case was received in (some day of) {self.period}: nothing was checked")
        n, b = len(self.rows), len(self.baseline)
        street, district = (f"{self.checked.get(lv, 0):,}" for lv in LEVELS)
        if lang == "zh":
            return f"{self.period}：{n} 条预警；检查街道序列 {street} 个、区序列 {district} 个，基线 {b} 期"
        return (f"{n} warning{'' if n == 1 else 's'} for {self.period}: {street} street series checked, "
                f"{district} district series checked against {b} baseline periods")


def baseline_offsets(profile: Profile, length: int, per_year: int) -> list[int]:
    """Offsets (in periods of ``length`` base units before the checked one, negative) of the
    baseline windows, per the profile's ``warn`` settings; ``per_year`` base units make a year
    (12 months, or 364 days so weekdays line up)."""
    w = profile.warn
    if w.baseline == "recent":
        return [-k * length for k in range(w.recent_periods, 0, -1)]
    return sorted(-y * per_year + j * length for y in range(w.years, 0, -1)
                  for j in range(-w.half_window, w.half_window + 1))


def warn(inputs: Sequence[str | Path | Source], *, profile: Profile | str | Path | None = None,
         month: str | int | None = None, days: int | None = None, until: str | None = None,
         naive_timezone: str | None = None, scheduler: Any = None,
         progress: ProgressCallback | None = None) -> Warnings:
    """Check every category x street and category x district series for ``month`` (YYYY-MM), or
    for the ``days`` days ending on ``until`` (YYYY-MM-DD; default the last day with a case)."""
    profile = load_profile(profile)
    if (month is None) == (days is None):
        raise ArgumentError("give either a month or a number of days to check")
    if days is not None:
        if isinstance(days, bool) or not isinstance(days, int) or not 1 <= days <= 92:
            raise ArgumentError(f"days must be a whole number from 1 to 92, got {days!r}")
        return _check(inputs, profile, "day", days, 364, None if until is None else parse_day(until),
                      naive_timezone, scheduler, progress)
    if until is not None:
        raise ArgumentError("until goes with days, not with a month")
    m = parse_month(month) if isinstance(month, str) else month
    return _check(inputs, profile, "month", 1, 12, m, naive_timezone, scheduler, progress)


#: the cube :func:`warn` counts: every case received, per category, street and district
VOLUME = Cube(("category", "street", "district"), ("cases",))


def periods_needed(profile: Profile, month: int) -> list[int]:
    """The months a check of ``month`` reads: the month and its baseline windows."""
    return sorted({month + o for o in [0, *baseline_offsets(profile, 1, 12)]})


def _check(inputs: Sequence[str | Path | Source], profile: Profile, period: str, length: int, per_year: int,
           end: int | None, naive_timezone: str | None, scheduler: Any,
           progress: ProgressCallback | None) -> Warnings:
    offsets = baseline_offsets(profile, length, per_year)
    wanted = None
    if end is not None:  # count only the periods the check needs
        wanted = [end - length + 1 + o + k for o in [0, *offsets] for k in range(length)]
    (cube,) = count(inputs, [Cube(VOLUME.dims, VOLUME.groups, period)], profile=profile, periods=wanted,
                    naive_timezone=naive_timezone, scheduler=scheduler, progress=progress)
    return evaluate(cube, profile, period=period, length=length, end=end)


def evaluate(cube: Cube, profile: Profile, *, period: str = "month", length: int = 1,
             end: int | None = None) -> Warnings:
    """The warnings of the ``length`` periods ending on ``end`` (default: the last period with a
    case) from a filled cube shaped like :data:`VOLUME` (holding at least the periods the check
    needs): what :func:`warn` computes once it has counted."""
    offsets = baseline_offsets(profile, length, 12 if period == "month" else 364)
    covered = set(cube.periods())
    if end is None:
        if not covered:
            return Warnings("(no data)", [], empty=True)
        end = max(covered)
    first = end - length + 1
    label = month_label(end) if period == "month" else (
        day_label(first) if length == 1 else f"{day_label(first)}..{day_label(end)}")
    if not all(first + k in covered for k in range(length)):  # nothing to check: say so, not "0 warnings"
        return Warnings(label, [], empty=True)
    windows = [o for o in offsets if all(first + o + k in covered for k in range(length))]
    result = Warnings(label, [], baseline=[_window_label(period, first + o, length) for o in windows])
    names = {u.id: u.name for u in profile.units}
    cats = {c.code: c.name for c in profile.categories}
    # (cells x days) matrix once, then window sums by differences of its cumulative sums
    span = list(range(first + min([0, *windows]), end + 1))
    sums = np.cumsum(np.pad(cube.matrix(span, "cases"), ((0, 0), (1, 0))), axis=1)

    def window(offset: int) -> np.ndarray:
        a = first + offset - span[0]
        return sums[:, a + length] - sums[:, a]

    observed = window(0)
    base = np.stack([window(o) for o in windows], axis=1) if windows else np.zeros((len(cube.cells), 0), np.int64)
    for level in LEVELS:
        keys, obs, hist = _series(cube, level, observed, base)
        if len(windows) < max(profile.warn.min_baseline, 2):
            result.unchecked[level] = len(keys)
            result.checked[level] = 0
            continue
        result.checked[level] = len(keys)
        if not keys:
            continue
        b = upper_bounds(hist, obs, alpha=profile.warn.alpha, min_count=profile.warn.min_count)
        for i in np.flatnonzero(b.alarm):
            cat, place = keys[i]
            result.rows.append({
                "level": level, "category": cat, "category_name": cats.get(cat, cat), "place": place,
                "place_name": names.get(place, place), "observed": int(obs[i]),
                "expected": float(b.expected[i]), "upper_bound": int(b.upper[i]),
                "ratio": None if b.expected[i] == 0 else float(obs[i] / b.expected[i]),
                "p_value": float(b.p_value[i]), "baseline_periods": len(windows),
            })
    result.rows.sort(key=lambda r: (r["p_value"], -(r["ratio"] or np.inf), r["level"] != "street",
                                    r["category"], r["place"]))
    return result


def _window_label(period: str, start: int, length: int) -> str:
    if period == "month":
        return month_label(start)
    return day_label(start) if length == 1 else f"{day_label(start)}..{day_label(start + length - 1)}"


def _series(cube: Cube, level: str, observed: np.ndarray, base: np.ndarray
            ) -> tuple[list[tuple[str, str]], np.ndarray, np.ndarray]:
    """Roll the cells up to (category, place) series; cells without a place or category are left out."""
    cat, place = cube.column("category"), cube.column(level)
    ids: dict[tuple[str, str], int] = {}
    gid = np.array([ids.setdefault((c, p), len(ids)) if c is not None and p is not None else -1
                    for c, p in zip(cat, place)], dtype=np.int64)
    keep = gid >= 0
    obs = np.zeros(len(ids), dtype=np.int64)
    hist = np.zeros((len(ids), base.shape[1]), dtype=np.int64)
    np.add.at(obs, gid[keep], observed[keep])
    np.add.at(hist, gid[keep], base[keep])
    return list(ids), obs, hist
