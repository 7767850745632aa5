"""Months as the rules count them: integers (year x 12 + month - 1) in a city's time zone.

Every command that speaks of a month (``--month``, ``--from``, ``--to``) reads it with
:func:`parse_month`; every timestamp is placed in its local month by :func:`months_of`, exact across
daylight-saving changes and without formatting a string per row.
"""

from __future__ import annotations

import re
from datetime import UTC, date, datetime, timedelta
from zoneinfo import ZoneInfo

import numpy as np

from .errors import ArgumentError, DataError
from .schema import date_time_range

_EPOCH = datetime(1970, 1, 1, tzinfo=UTC)


def month_index(year: int, month: int) -> int:
    """Months as one integer (year x 12 + month - 1), so month arithmetic is plain addition."""
    return year * 12 + month - 1


def month_label(index: int) -> str:
    """The ``YYYY-MM`` label of a month index."""
    return f"{index // 12:04d}-{index % 12 + 1:02d}"


def parse_month(text: str) -> int:
    """``YYYY-MM`` to a month index; ArgumentError for anything else."""
    m = re.fullmatch(r"([0-9]{4})-([0-9]{2})", text.strip()) if isinstance(text, str) else None
    if not m or not 1 <= int(m.group(2)) <= 12:
        raise ArgumentError(f"month {text!r} is not YYYY-MM (for example 2024-03)")
    return month_index(int(m.group(1)), int(m.group(2)))


def _month_start_us(index: int, zone: ZoneInfo) -> int:
    """UTC microseconds of local midnight on the first day of the month (DST-aware)."""
    start = datetime(index // 12, index % 12 + 1, 1, tzinfo=zone)
    return int(start.astimezone(UTC).timestamp()) * 1_000_000 + start.microsecond


def _local_month(us: int, zone: ZoneInfo) -> int:
    try:
        local = (_EPOCH + timedelta(microseconds=us)).astimezone(zone)
    except (OverflowError, OSError, ValueError):
        raise DataError("a timestamp is outside the years 1 to 9999; run `jiesu validate` first") from None
    return month_index(local.year, local.month)


_QUARTER_US = 900_000_000  # 15 minutes: every month start of today's zones falls on one
_LUT_LIMIT = 1 << 22  # quarter-hours in a lookup table (about 120 years)


def months_of(us: np.ndarray, zone: ZoneInfo) -> tuple[np.ndarray, int]:
    """Month index (relative to the returned first month) of each UTC microsecond timestamp.

    Month starts are computed once per batch in the zone (exact across daylight-saving changes);
    each timestamp then finds its month through a table of quarter-hours (one division and one
    lookup), or by binary search when a month start is not on a quarter-hour (historical offsets).
    No string is formatted per row.
    """
    if us.size == 0:
        return np.zeros(0, dtype=np.int64), 0
    first, last = int(us.min()), int(us.max())
    span = date_time_range()
    if first < span.minimum_us or last >= span.before_us:
        raise DataError(f"a date-time is outside the supported range, {span}; run `jiesu validate` first")
    lo = _local_month(first, zone)
    hi = _local_month(last, zone)
    starts = np.array([_month_start_us(m, zone) for m in range(lo, hi + 2)], dtype=np.int64)
    offsets = starts - starts[0]
    if offsets[-1] // _QUARTER_US <= _LUT_LIMIT and not (offsets % _QUARTER_US).any():
        table = np.repeat(np.arange(len(starts) - 1, dtype=np.int64), np.diff(offsets) // _QUARTER_US)
        return table[(us - starts[0]) // _QUARTER_US], lo
    return np.searchsorted(starts[1:-1], us, side="right").astype(np.int64), lo


# ---------------------------------------------------------------- days (for daily early warning)

_EPOCH_DATE = date(1970, 1, 1)


def day_index(day: date) -> int:
    """Days since 1970-01-01 as one integer, so day arithmetic is plain addition."""
    return day.toordinal() - _EPOCH_DATE.toordinal()


def day_label(index: int) -> str:
    """The ``YYYY-MM-DD`` label of a day index."""
    return (_EPOCH_DATE + timedelta(days=int(index))).isoformat()


def parse_day(text: str) -> int:
    """``YYYY-MM-DD`` to a day index; ArgumentError for anything else."""
    m = re.fullmatch(r"[0-9]{4}-[0-9]{2}-[0-9]{2}", text.strip()) if isinstance(text, str) else None
    try:
        if m:
            return day_index(date.fromisoformat(text.strip()))
    except ValueError:
        pass
    raise ArgumentError(f"day {text!r} is not YYYY-MM-DD (for example 2024-03-15)")


def _day_start_us(index: int, zone: ZoneInfo) -> int:
    d = _EPOCH_DATE + timedelta(days=int(index))
    start = datetime(d.year, d.month, d.day, tzinfo=zone)
    return int(start.astimezone(UTC).timestamp()) * 1_000_000


def _local_day(us: int, zone: ZoneInfo) -> int:
    try:
        local = (_EPOCH + timedelta(microseconds=us)).astimezone(zone)
    except (OverflowError, OSError, ValueError):
        raise DataError("a timestamp is outside the years 1 to 9999; run `jiesu validate` first") from None
    return day_index(local.date())


def days_of(us: np.ndarray, zone: ZoneInfo) -> tuple[np.ndarray, int]:
    """Local day (relative to the returned first day) of each UTC microsecond timestamp: the
    day starts are computed once per batch in the zone, then found like :func:`months_of`."""
    if us.size == 0:
        return np.zeros(0, dtype=np.int64), 0
    lo = _local_day(int(us.min()), zone)
    hi = _local_day(int(us.max()), zone)
    starts = np.array([_day_start_us(d, zone) for d in range(lo, hi + 2)], dtype=np.int64)
    offsets = starts - starts[0]
    if offsets[-1] // _QUARTER_US <= _LUT_LIMIT and not (offsets % _QUARTER_US).any():
        table = np.repeat(np.arange(len(starts) - 1, dtype=np.int64), np.diff(offsets) // _QUARTER_US)
        return table[(us - starts[0]) // _QUARTER_US], lo
    return np.searchsorted(starts[1:-1], us, side="right").astype(np.int64), lo
