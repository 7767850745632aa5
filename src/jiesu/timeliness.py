"""Timeliness (按时办结) for data without callbacks: cases due, closed on time, closed late, still open
past their deadline, the on-time rate, and the hours to close and to first contact, per month and
unit (``shared/domain.md`` section 5). The same mergeable shape as the three rates' counts.

Definitions (``docs/timeliness.md`` has them with the Boston check):

- cases (``requests`` in the counts, as in the three rates' counts): dispatched cases received in
  the month (the profile's time zone) by the *as-of* time;
- the as-of time: when the export was taken, read from the data as the latest time any case was
  received or closed (an export cannot be older than its newest record); ``as_of`` overrides it;
- each case with a deadline gets one verdict at the as-of time: closed on time (``closed_at <=
  deadline_at``), closed late, open past its deadline (not closed by the as-of time and the
  deadline before it), open and not yet due, or not judged (closed or cancelled without a closing
  time);
- on-time rate = on time / (on time + late + open past deadline); empty (not 0) without them;
- hours to close: ``closed_at - received_at`` of the cases closed by the as-of time; hours to first
  contact: ``first_contact_at - dispatched_at``. Median and 90th percentile by the nearest-rank
  rule, read from a mergeable log-bucket histogram (:class:`HoursSketch`): each figure is within
  0.1 % of the exact order statistic (values under one second count as 0).
"""

from __future__ import annotations

import math
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from datetime import datetime
from fractions import Fraction
from pathlib import Path
from typing import Any, ClassVar

import numpy as np
import pyarrow as pa

from .errors import ArgumentError, DataError
from .io.sources import Source, as_sources
from .months import month_label, parse_month
from .profile import Profile, load_profile
from .progress import ProgressCallback
from .scoring import TERRITORY, Aggregate, DictColumn, Scorer, reduce_sources, timestamps_us

US_PER_HOUR = 3_600_000_000

#: counts kept per (month, key)
MEASURES = ("requests", "due", "closed_on_time", "closed_late", "open_past_deadline", "open_not_due",
            "not_judged", "closed", "first_contacted")
_M = {name: i for i, name in enumerate(MEASURES)}
#: verdicts of one case, at the as-of time
NO_DEADLINE, ON_TIME, LATE, OPEN_PAST, OPEN_NOT_DUE, NOT_JUDGED = range(6)
VERDICTS = ("no_deadline", "on_time", "late", "open_past_deadline", "open_not_due", "not_judged")
#: the columns each figure needs, said when the data cannot give it
NEEDS = {
    "on_time_rate": "deadline_at (and closed_at)",
    "median_hours_to_close": "closed_at",
    "p90_hours_to_close": "closed_at",
    "median_hours_to_first_contact": "first_contact_at and dispatched_at",
    "p90_hours_to_first_contact": "first_contact_at and dispatched_at",
}
COLUMNS = ("month", "cases", "due", "closed_on_time", "closed_late", "open_past_deadline", "open_not_due",
           "on_time_rate", "median_hours_to_close", "p90_hours_to_close", "median_hours_to_first_contact",
           "p90_hours_to_first_contact")


def _pattern_matrix() -> np.ndarray:
    """(verdict x closed x first-contacted) -> measures, as a 0/1 matrix (24 patterns)."""
    mat = np.zeros((len(VERDICTS) * 4, len(MEASURES)), np.int64)
    for v in range(len(VERDICTS)):
        for closed in (0, 1):
            for contacted in (0, 1):
                row = mat[v * 4 + closed * 2 + contacted]
                row[_M["requests"]] = 1
                row[_M["due"]] = v != NO_DEADLINE
                row[_M["closed_on_time"]] = v == ON_TIME
                row[_M["closed_late"]] = v == LATE
                row[_M["open_past_deadline"]] = v == OPEN_PAST
                row[_M["open_not_due"]] = v == OPEN_NOT_DUE
                row[_M["not_judged"]] = v == NOT_JUDGED
                row[_M["closed"]] = closed
                row[_M["first_contacted"]] = contacted
    return mat


_PATTERN_MATRIX = _pattern_matrix()


def verdicts(deadline: np.ndarray, deadline_ok: np.ndarray, closed: np.ndarray, closed_ok: np.ndarray,
             ended: np.ndarray, as_of: int) -> np.ndarray:
    """The verdict of each case at ``as_of`` (UTC microseconds), as uint8 (see :data:`VERDICTS`).

    ``ended``: the status says closed or cancelled (a case that ended without a closing time is not
    judged). The one place the on-time rule lives: scoring and the Boston check both use it.
    """
    closed_by = closed_ok & (closed <= as_of)
    out = np.full(deadline.shape, NO_DEADLINE, np.uint8)
    out[deadline_ok & closed_by & (closed <= deadline)] = ON_TIME
    out[deadline_ok & closed_by & (closed > deadline)] = LATE
    still_open = deadline_ok & ~closed_by
    out[still_open & (deadline < as_of)] = OPEN_PAST
    out[still_open & (deadline >= as_of)] = OPEN_NOT_DUE
    out[still_open & ended & ~closed_ok] = NOT_JUDGED
    return out


# ---------------------------------------------------------------- the mergeable hours histogram

@dataclass
class HoursSketch:
    """Counts of hours per (month, key) in logarithmic buckets: mergeable, small, and each quantile
    within :attr:`ALPHA` (relative) of the exact order statistic (DDSketch's bucket rule).

    A value x >= 1 s falls in bucket i = ceil(log_gamma(x)), gamma = (1 + a) / (1 - a); the bucket
    stands for 2 gamma^i / (gamma + 1), within a x of every value in it. Values under one second
    fall in bucket 0 and read as 0. Buckets are kept as sorted (code, count) arrays, code =
    month << 48 | key << 14 | bucket (about 10,300 buckets span one second to a century).
    """

    ALPHA: ClassVar[float] = 0.001
    GAMMA: ClassVar[float] = (1 + 0.001) / (1 - 0.001)
    MIN_HOURS: ClassVar[float] = 1 / 3600
    MAX_HOURS: ClassVar[float] = 1e6
    SHIFT: ClassVar[int] = 1 - math.ceil(math.log(1 / 3600) / math.log((1 + 0.001) / (1 - 0.001)))
    BITS: ClassVar[int] = 14  # bucket bits
    KEY_MASK: ClassVar[int] = (1 << 34) - 1

    codes: np.ndarray = field(default_factory=lambda: np.zeros(0, np.int64))
    counts: np.ndarray = field(default_factory=lambda: np.zeros(0, np.int64))
    _pending: list[tuple[np.ndarray, np.ndarray]] = field(default_factory=list, repr=False)

    @classmethod
    def bucket(cls, hours: np.ndarray) -> np.ndarray:
        h = np.clip(hours, cls.MIN_HOURS, cls.MAX_HOURS)
        b = np.ceil(np.log(h) / math.log(cls.GAMMA)).astype(np.int64) + cls.SHIFT
        return np.where(hours < cls.MIN_HOURS, 0, np.maximum(b, 1))

    @classmethod
    def value(cls, bucket: int) -> float:
        if bucket <= 0:
            return 0.0
        return 2 * cls.GAMMA ** (bucket - cls.SHIFT) / (cls.GAMMA + 1)

    @classmethod
    def code(cls, month: int | np.ndarray, key: int | np.ndarray) -> int | np.ndarray:
        """The code of a group's first bucket (add the bucket)."""
        return (month << 48) | (key << cls.BITS)

    def add(self, months: np.ndarray, keys: np.ndarray, hours: np.ndarray) -> None:
        if hours.size == 0:
            return
        code = self.code(months.astype(np.int64), keys.astype(np.int64)) | self.bucket(hours)
        uniq, counts = np.unique(code, return_counts=True)
        self._pending.append((uniq, counts.astype(np.int64)))
        if sum(len(u) for u, _ in self._pending) > 1 << 20:
            self._consolidate()

    def _consolidate(self) -> None:
        if not self._pending:
            return
        codes = np.concatenate([self.codes, *[u for u, _ in self._pending]])
        counts = np.concatenate([self.counts, *[c for _, c in self._pending]])
        self._pending = []
        self.codes, inverse = np.unique(codes, return_inverse=True)
        self.counts = np.bincount(inverse, weights=counts, minlength=len(self.codes)).astype(np.int64)

    def merge(self, other: HoursSketch, key_ids: np.ndarray | None = None) -> HoursSketch:
        """Add another sketch, its keys renumbered by ``key_ids`` (other key -> this key)."""
        other._consolidate()
        codes = other.codes
        if key_ids is not None and codes.size:
            keys = (codes >> self.BITS) & self.KEY_MASK
            codes = (codes & ~(self.KEY_MASK << self.BITS)) | (key_ids[keys].astype(np.int64) << self.BITS)
        self._pending.append((codes, other.counts))
        self._consolidate()
        return self

    def add_buckets(self, codes: np.ndarray, counts: np.ndarray) -> None:
        """Add (code, count) pairs as :meth:`group` returns them (bucket codes of group (0, 0))."""
        self._pending.append((np.asarray(codes, np.int64), np.asarray(counts, np.int64)))

    def months(self) -> list[int]:
        """The months (the first part of the group) that hold any value."""
        self._consolidate()
        return sorted(set((self.codes >> 48).tolist()))

    def group(self, month: int, key: int) -> tuple[np.ndarray, np.ndarray]:
        """(buckets, counts) of one group."""
        self._consolidate()
        lo, hi = np.searchsorted(self.codes, [self.code(month, key), self.code(month, key + 1)])
        return self.codes[lo:hi] & ((1 << self.BITS) - 1), self.counts[lo:hi]

    def quantiles(self, month: int, key: int, qs: Sequence[float]) -> tuple[int, list[float | None]]:
        """(values counted, the nearest-rank quantiles) of one group; None where it is empty."""
        buckets, counts = self.group(month, key)
        n = int(counts.sum())
        if n == 0:
            return 0, [None for _ in qs]
        cum = np.cumsum(counts)
        out = []
        for q in qs:
            rank = max(1, math.ceil(q * n))
            out.append(round(self.value(int(buckets[np.searchsorted(cum, rank)])), 3))
        return n, out

    def to_list(self) -> list[list[int]]:
        self._consolidate()
        return [[int(c), int(n)] for c, n in zip(self.codes, self.counts)]


# ---------------------------------------------------------------- the aggregate

@dataclass
class TimelinessAggregate(Aggregate):
    """Counts per (month received, key) as :class:`jiesu.scoring.Aggregate` keeps them (merge adds
    them), plus the hours to close and to first contact as mergeable histograms."""

    MEASURES: ClassVar[tuple[str, ...]] = MEASURES
    as_of: int = 0
    close_hours: HoursSketch = field(default_factory=HoursSketch)
    contact_hours: HoursSketch = field(default_factory=HoursSketch)

    def merge(self, other: Aggregate) -> TimelinessAggregate:
        if not isinstance(other, TimelinessAggregate):
            raise TypeError("cannot merge the three rates' counts into timeliness counts")
        if other.as_of != self.as_of:
            raise ValueError("cannot merge timeliness judged at different as-of times")
        super().merge(other)
        ids = self.key_ids(other.keys)
        self.close_hours.merge(other.close_hours, ids)
        self.contact_hours.merge(other.contact_hours, ids)
        return self


class TimelinessScorer(Scorer):
    """Reduces batches of cases to a :class:`TimelinessAggregate` (the keys, months and territory
    rule are the three rates' own)."""

    def __init__(self, profile: Profile, by: str = "unit", *, as_of: int, months: Sequence[int] | None = None) -> None:
        super().__init__(profile, by, months=months, with_requests=False)
        self.aggregate = TimelinessAggregate(by, as_of=as_of)
        self.as_of = as_of

    @property
    def columns(self) -> list[str]:
        cols = ["received_at", "disposition", "deadline_at", "closed_at", "status", "dispatched_at",
                "first_contact_at", *self.key_columns]
        return list(dict.fromkeys(cols))

    def add(self, table: pa.Table) -> None:
        if table.num_rows == 0:
            return
        dispatched = DictColumn(table.column("disposition")).equals("dispatched")
        rc_us, rc_ok = timestamps_us(table.column("received_at"))
        chosen = dispatched & (rc_us <= self.as_of)
        if rc_ok is not None:
            chosen &= rc_ok
        rows, group, lo = self._groups(table, np.flatnonzero(chosen), rc_us)
        if rows.size == 0:
            return
        dl_us, dl_ok = self._times(table, "deadline_at", rows)
        cl_us, cl_ok = self._times(table, "closed_at", rows)
        status = DictColumn(table.column("status"))
        ended = status.lookup(status.table(lambda v: v in ("closed", "cancelled"), bool), rows)
        verdict = verdicts(dl_us, dl_ok, cl_us, cl_ok, ended, self.as_of)
        received = rc_us[rows]
        closed = cl_ok & (cl_us <= self.as_of) & (cl_us >= received)
        ds_us, ds_ok = self._times(table, "dispatched_at", rows)
        fc_us, fc_ok = self._times(table, "first_contact_at", rows)
        contacted = ds_ok & fc_ok & (fc_us >= ds_us)
        pattern = verdict.astype(np.int64) * 4 + closed * 2 + contacted
        hist = self._add_block(group, lo, pattern, len(VERDICTS) * 4)
        block = hist.reshape(-1, len(VERDICTS) * 4) @ _PATTERN_MATRIX
        self.aggregate.add(lo, block.reshape(hist.shape[0], hist.shape[1], len(MEASURES)))
        k = len(self.aggregate.keys)
        month, key = lo + group // k, group % k
        agg = self.aggregate
        agg.close_hours.add(month[closed], key[closed], (cl_us[closed] - received[closed]) / US_PER_HOUR)
        agg.contact_hours.add(month[contacted], key[contacted], (fc_us[contacted] - ds_us[contacted]) / US_PER_HOUR)

    @staticmethod
    def _times(table: pa.Table, name: str, rows: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        us, ok = timestamps_us(table.column(name))
        return us[rows], (np.ones(rows.size, bool) if ok is None else ok[rows])


# ---------------------------------------------------------------- the library call

def latest_time(inputs: Sequence[str | Path | Source]) -> int | None:
    """The latest received_at or closed_at in the data (UTC microseconds): the as-of time."""
    from .io.cases import case_tables

    latest: int | None = None
    for table in case_tables(as_sources(inputs), ["received_at", "closed_at"]):
        for name in ("received_at", "closed_at"):
            us, ok = timestamps_us(table.column(name))
            if ok is not None:
                us = us[ok]
            if us.size:
                top = int(us.max())
                latest = top if latest is None else max(latest, top)
    return latest


def parse_as_of(text: str, profile: Profile) -> int:
    """``YYYY-MM-DD`` (end of that day) or an ISO date-time (local time of the profile without an
    offset) as UTC microseconds."""
    try:
        value = datetime.fromisoformat(text.strip())
    except ValueError:
        raise ArgumentError(f"as-of {text!r} is not a date (YYYY-MM-DD) or date-time (YYYY-MM-DDTHH:MM)") from None
    if len(text.strip()) == 10:
        value = value.replace(hour=23, minute=59, second=59, microsecond=999999)
    if value.tzinfo is None:
        value = value.replace(tzinfo=profile.zone)
    return int(value.timestamp()) * 1_000_000 + value.microsecond


def aggregate_timeliness(inputs: Sequence[str | Path | Source], *, profile: Profile | str | Path | None = None,
                         by: str = "unit", months: Sequence[int] | None = None, as_of: int | None = None,
                         workers: int = 2, progress: ProgressCallback | None = None) -> TimelinessAggregate:
    """Stream the inputs and count timeliness by (month received, ``by``); partial aggregates of
    Parquet row groups are counted on ``workers`` threads and merged, as the three rates are."""
    profile = load_profile(profile)
    sources = as_sources(inputs)
    if as_of is None:
        as_of = latest_time(sources)
        if as_of is None:
            raise DataError("no case has a received_at: nothing to judge")
    def make() -> TimelinessScorer:
        return TimelinessScorer(profile, by, as_of=as_of, months=months)

    return reduce_sources(sources, make, lambda result, part: result.aggregate.merge(part),
                          workers=workers, progress=progress).aggregate


def on_time_rate(counts: dict[str, int]) -> float | None:
    judged = counts["closed_on_time"] + counts["closed_late"] + counts["open_past_deadline"]
    return counts["closed_on_time"] / judged if judged else None


def timeliness_rows(agg: TimelinessAggregate, month: int | None = None) -> list[dict[str, Any]]:
    """One row per (month, key) with cases, sorted by month then key (null key last)."""
    by = agg.by
    out = []
    for m in ([month] if month is not None else agg.months()):
        arr = agg.counts.get(m)
        if arr is None:
            continue
        present = sorted(np.flatnonzero(arr[:, _M["requests"]] > 0), key=lambda i: (agg.keys[i] is None, agg.keys[i] or ""))
        for i in present:
            out.append(group_row(agg, m, int(i), by))
    return out


def group_row(agg: TimelinessAggregate, month: int, i: int, by: str) -> dict[str, Any]:
    c = agg.get(month, agg.keys[i])
    _, (med_close, p90_close) = agg.close_hours.quantiles(month, i, (0.5, 0.9))
    _, (med_contact, p90_contact) = agg.contact_hours.quantiles(month, i, (0.5, 0.9))
    return {
        "month": month_label(month), by: agg.keys[i], "cases": c["requests"], "due": c["due"],
        "closed_on_time": c["closed_on_time"], "closed_late": c["closed_late"],
        "open_past_deadline": c["open_past_deadline"], "open_not_due": c["open_not_due"],
        "on_time_rate": on_time_rate(c), "median_hours_to_close": med_close, "p90_hours_to_close": p90_close,
        "median_hours_to_first_contact": med_contact, "p90_hours_to_first_contact": p90_contact,
    }


def missing_columns(rows: Iterable[dict[str, Any]]) -> dict[str, str]:
    """The figures empty in every row, with the columns they would need."""
    rows = list(rows)
    if not rows:
        return {}
    return {name: need for name, need in NEEDS.items() if all(r.get(name) is None for r in rows)}


def timeliness(inputs: Sequence[str | Path | Source], *, profile: Profile | str | Path | None = None,
               by: str = "unit", month: str | int | None = None, as_of: str | int | None = None,
               progress: ProgressCallback | None = None) -> list[dict[str, Any]]:
    """Timeliness per (month received, ``by``): cases, due, closed on time, closed late, open past
    deadline, open not yet due, the on-time rate, and median / p90 hours to close and to first
    contact (None where the data cannot give them: :func:`missing_columns` says which column they
    need). ``as_of`` (UTC microseconds or ``YYYY-MM-DD[THH:MM]`` local) judges open cases; default:
    the latest time received or closed in the data.
    """
    from .scoring import BY_KEYS

    profile = load_profile(profile)
    if by not in BY_KEYS:
        raise ArgumentError(f"cannot group by {by!r}: choose one of {', '.join(BY_KEYS)}")
    m = parse_month(month) if isinstance(month, str) else month
    cut = parse_as_of(as_of, profile) if isinstance(as_of, str) else as_of
    agg = aggregate_timeliness(inputs, profile=profile, by=by, months=None if m is None else [m], as_of=cut,
                               progress=progress)
    return timeliness_rows(agg, m)


# ---------------------------------------------------------------- ranking on timeliness

RANK_COLUMNS = ("rank", "unit", "name", "level", "due", "closed_on_time", "closed_late", "open_past_deadline",
                "requests", "on_time_rate", "previous_on_time_rate", "change", "median_hours_to_close",
                "p90_hours_to_close", "classes")


def _exact_rate(counts: dict[str, int]) -> tuple[Fraction | None, int]:
    judged = counts["closed_on_time"] + counts["closed_late"] + counts["open_past_deadline"]
    return (Fraction(counts["closed_on_time"], judged) if judged else None), judged


def rank_timeliness_rows(agg: TimelinessAggregate, profile: Profile, month: int, level: str) -> list[dict[str, Any]]:
    """The monthly ranking on the on-time rate: the same ranks, ties and four classes as the
    composite's (``jiesu.ranking.classify``); ranked when at least ``scoring.min_scored`` cases
    were judged. ``change`` is in percentage points."""
    from .ranking import classify, governance_basis

    min_judged = profile.scoring.min_scored
    rows: dict[str, dict[str, Any]] = {}
    exact: dict[str, Fraction] = {}
    exact_prev: dict[str, Fraction] = {}
    units = profile.ranked_units(level)
    key_index = {k: i for i, k in enumerate(agg.keys)}
    for u in units:
        cur, prev = agg.get(month, u.id), agg.get(month - 1, u.id)
        c, judged = _exact_rate(cur)
        p, judged_prev = _exact_rate(prev)
        if c is not None and judged >= min_judged:
            exact[u.id] = c
            if p is not None and judged_prev >= min_judged:
                exact_prev[u.id] = p
        i = key_index.get(u.id)
        med, p90 = agg.close_hours.quantiles(month, i, (0.5, 0.9))[1] if i is not None else (None, None)
        rows[u.id] = {
            "rank": None, "unit": u.id, "name": u.name, "level": level, "due": cur["due"],
            "closed_on_time": cur["closed_on_time"], "closed_late": cur["closed_late"],
            "open_past_deadline": cur["open_past_deadline"], "requests": cur["requests"],
            "on_time_rate": None if c is None else float(c), "previous_on_time_rate": None if p is None else float(p),
            "change": None if c is None or p is None else float(100 * (c - p)),
            "median_hours_to_close": med, "p90_hours_to_close": p90, "classes": [],
        }
    return classify(rows, exact, exact_prev, governance_basis(agg, profile, month, units),
                    profile.ranking.size_for(level), profile.ranking.exclusive_classes)


def rank_timeliness(inputs: Sequence[str | Path | Source], *, profile: Profile | str | Path | None = None,
                    month: str | int, level: str = "department", as_of: str | int | None = None,
                    progress: ProgressCallback | None = None) -> list[dict[str, Any]]:
    """Rank the profile's units of ``level`` for ``month`` on the on-time rate (``jiesu.rank`` does
    this when the profile's ``scoring.metrics`` is timeliness)."""
    profile = load_profile(profile)
    m = parse_month(month) if isinstance(month, str) else month
    cut = parse_as_of(as_of, profile) if isinstance(as_of, str) else as_of
    by = TERRITORY if level == "district" else "unit"
    agg = aggregate_timeliness(inputs, profile=profile, by=by, months=[m - 1, m], as_of=cut, progress=progress)
    return rank_timeliness_rows(agg, profile, m, level)
