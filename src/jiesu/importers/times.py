"""Reading timestamps of other systems: text in named layouts, local wall-clock times turned into
UTC instants with the daylight-saving rules of the source's time zone, columnar throughout.

A local time that happens twice (the autumn fall-back hour) is *ambiguous*; one that never happens
(the spring-forward gap) is *nonexistent*. Both are counted. By default both are read as Python's
``fold=0`` does (PEP 495): with the offset in force just before the change, so an ambiguous time is
its first occurrence and a nonexistent time moves forward by the gap (02:30 -> 03:30 summer time).
"""

from __future__ import annotations

import calendar
import re
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from functools import lru_cache
from zoneinfo import ZoneInfo

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc

from ..arrays import as_bool_np, fixed_values, int_array, valid_np

US = 1_000_000
DAY_US = 86_400 * US
#: local times outside these years cannot be read (hotline records do not reach that far)
FIRST_YEAR, LAST_YEAR = 1800, 2200
_FIRST_US = int(datetime(FIRST_YEAR, 1, 1, tzinfo=UTC).timestamp()) * US
_LAST_US = int(datetime(LAST_YEAR, 1, 1, tzinfo=UTC).timestamp()) * US
_EPOCH = datetime(1970, 1, 1, tzinfo=UTC)

#: the layout name for ISO 8601 / RFC 3339 text, with or without an offset
ISO = "iso"
_ISO_NAIVE = r"^[0-9]{4}-[0-9]{2}-[0-9]{2}(?:[T ][0-9]{2}:[0-9]{2}(?::[0-9]{2}(?:\.[0-9]{1,9})?)?)?$"
_ISO_AWARE = (r"^[0-9]{4}-[0-9]{2}-[0-9]{2}[T ][0-9]{2}:[0-9]{2}(?::[0-9]{2}(?:\.[0-9]{1,9})?)?"
              r"(?:Z|z|[+-][0-9]{2}:?[0-9]{2})$")
#: strftime directives Arrow's strptime reads (checked when a mapping is loaded)
DIRECTIVES = frozenset("YmdHIMSpyjbBaAzZ%")


def layout_problem(layout: str) -> str | None:
    """Why a layout cannot be used (an unknown % directive), or None."""
    if layout == ISO:
        return None
    for m in re.finditer(r"%(.)", layout):
        if m.group(1) not in DIRECTIVES:
            return f"unknown directive %{m.group(1)} in {layout!r} (known: %Y %m %d %H %I %M %S %p %y %j %b %B %z, or 'iso')"
    if "%" not in layout:
        return f"{layout!r} holds no % directive (write e.g. '%Y-%m-%d %H:%M:%S', or 'iso')"
    return None


@dataclass
class Times:
    """UTC microseconds of a column, with what happened to each row."""

    us: np.ndarray          # int64, valid where ``ok``
    ok: np.ndarray          # a time was read
    given: np.ndarray       # the cell was not empty
    ambiguous: np.ndarray   # local time in a fall-back hour
    nonexistent: np.ndarray  # local time in a spring-forward gap

    @property
    def unreadable(self) -> np.ndarray:
        return self.given & ~self.ok


def parse_times(col: pa.Array, layouts: list[str], zone: str, *, latest: bool = False) -> Times:
    """Read a text column (null = empty) with the layouts in order; local times are placed in
    ``zone`` (an ambiguous one at its first occurrence, or its second with ``latest``). Each later
    layout is tried only on the rows the earlier ones could not read."""
    n = len(col)
    given = valid_np(col)
    us = np.zeros(n, np.int64)
    ok = np.zeros(n, bool)
    aware = np.zeros(n, bool)
    todo = np.flatnonzero(given)
    text = col
    trimmed = False
    for attempt in range(2):  # the second round reads the rows that failed, trimmed of spaces
        for layout in layouts:
            if todo.size == 0:
                break
            part = text if todo.size == n else text.take(int_array(todo))
            got, got_ok, got_aware = _read_layout(part, layout)
            if todo.size == n:
                us, ok, aware = got, got_ok, got_aware
            else:
                us[todo] = np.where(got_ok, got, us[todo])
                ok[todo] |= got_ok
                aware[todo] |= got_aware
            todo = todo[~got_ok]
        if todo.size == 0 or trimmed or attempt:
            break
        text, trimmed = pc.utf8_trim_whitespace(col), True
    if todo.size and trimmed:  # a cell of spaces only is empty, not unreadable
        blank = np.asarray(pc.equal(pc.utf8_length(text.take(int_array(todo))), 0).fill_null(False))
        given[todo[blank]] = False
    in_range = (us >= _FIRST_US) & (us < _LAST_US)
    ok &= in_range
    ambiguous = np.zeros(n, bool)
    nonexistent = np.zeros(n, bool)
    local = ok & ~aware
    if local.any():
        utc, amb, gap = local_to_utc(us[local], zone, latest=latest)
        us[local] = utc
        ambiguous[local], nonexistent[local] = amb, gap
    return Times(us, ok, given, ambiguous, nonexistent)


def _read_layout(col: pa.Array, layout: str) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """(microseconds, read, has its own offset) of one layout over a text column."""
    n = len(col)
    if layout != ISO:
        parsed = pc.strptime(col, format=layout, unit="us", error_is_null=True)
        aware = np.full(n, parsed.type.tz is not None)
        us, ok = _us(parsed), valid_np(parsed)
        return us, ok & ~_rolled_over(col, us, ok, layout), aware
    us = np.zeros(n, np.int64)
    ok = np.zeros(n, bool)
    aware = np.zeros(n, bool)
    for pattern, target in ((_ISO_NAIVE, pa.timestamp("us")), (_ISO_AWARE, pa.timestamp("us", tz="UTC"))):
        rows = np.flatnonzero(as_bool_np(pc.match_substring_regex(col, pattern)))
        if rows.size == 0:
            continue
        part = col.take(int_array(rows))
        try:
            parsed = part.cast(target)
        except (pa.ArrowInvalid, pa.ArrowNotImplementedError):  # e.g. 2015-02-30: value by value
            parsed = pa.array([_iso_one(v, target) for v in part.to_pylist()], target)
        got_ok = valid_np(parsed)
        us[rows] = _us(parsed)
        ok[rows] = got_ok
        aware[rows] = target.tz is not None
    return us, ok, aware


_FIELD_RE = {"Y": r"(?P<Y>[0-9]{4})", "y": r"(?P<y>[0-9]{2})", "m": r"(?P<m>[0-9]{1,2})", "d": r"(?P<d>[0-9]{1,2})",
             "b": r"(?P<b>[A-Za-z]{3,})", "B": r"(?P<B>[A-Za-z]{3,})", "H": r"[0-9]{1,2}", "I": r"[0-9]{1,2}",
             "M": r"[0-9]{1,2}", "S": r"[0-9]{1,2}", "p": r"[AaPp][Mm]", "j": r"[0-9]{1,3}",
             "z": r"(?:[Zz]|[+-][0-9]{2}:?[0-9]{2})", "Z": r"[A-Za-z]+", "a": r"[A-Za-z]+", "A": r"[A-Za-z]+",
             "%": "%"}
_MONTHS = {name: i for i, name in enumerate(
    ["jan", "feb", "mar", "apr", "may", "jun", "jul", "aug", "sep", "oct", "nov", "dec"], start=1)}
#: (month, day) a parsed date lands on when its day was past the end of the month (Feb 29-31,
#: Apr/Jun/Sep/Nov 31): Arrow's strptime rolls such a day over instead of failing
_ROLLED = {(3, 1), (3, 2), (3, 3), (5, 1), (7, 1), (10, 1), (12, 1)}


def _layout_regex(layout: str) -> str:
    out, i = ["^\\s*"], 0
    while i < len(layout):
        ch = layout[i]
        if ch == "%" and i + 1 < len(layout):
            out.append(_FIELD_RE.get(layout[i + 1], ".*?"))
            i += 2
        else:
            out.append(re.escape(ch))
            i += 1
    out.append("\\s*$")
    return "".join(out)


def _rolled_over(col: pa.Array, us: np.ndarray, ok: np.ndarray, layout: str) -> np.ndarray:
    """Rows whose text names a day the month does not have (2015-02-30), which Arrow's strptime
    reads as a later day: only rows parsed onto the few days such a day can land on are checked,
    by taking year, month and day out of the text with a regular expression made from the layout."""
    bad = np.zeros(len(us), bool)
    if "%d" not in layout or not ok.any():
        return bad
    days = (us // DAY_US).astype("datetime64[D]")
    month_start = days.astype("datetime64[M]")
    month = month_start.astype(np.int64) % 12 + 1
    day = (days - month_start).astype(np.int64) + 1
    maybe = ok & (day <= 3) & np.isin(month * 100 + day, [m * 100 + d for m, d in _ROLLED])
    rows = np.flatnonzero(maybe)
    if rows.size == 0:
        return bad
    part = col.take(int_array(rows))
    regex = _layout_regex(layout)
    if "%b" not in layout and "%B" not in layout:  # columnar: Arrow takes the numbers out
        found = pc.extract_regex(part, regex)
        names = [f.name for f in found.type]
        got = {name: found.field(name) for name in names}
        matched = valid_np(found)
        year = (pc.cast(got["Y"], pa.int64()) if "Y" in got else
                pc.add(pc.cast(got["y"], pa.int64()), 2000) if "y" in got else pa.nulls(len(rows), pa.int64()))
        mon, mday = pc.cast(got["m"], pa.int64()), pc.cast(got["d"], pa.int64())
        y = np.asarray(year.fill_null(2000))
        mo = np.clip(np.asarray(mon.fill_null(1)), 1, 12)
        d = np.asarray(mday.fill_null(1))
        bad[rows] = matched & (d > _month_lengths(y, mo))
        return bad
    pattern = re.compile(regex)
    for i, text in zip(rows, part.to_pylist()):
        m = pattern.match(text or "")
        if m is None:
            continue
        parts = m.groupdict()
        year = int(parts["Y"]) if parts.get("Y") else 2000 + int(parts["y"]) if parts.get("y") else 2000
        mon = int(parts["m"]) if parts.get("m") else _MONTHS.get((parts.get("b") or parts.get("B") or "")[:3].lower(), 0)
        if 1 <= mon <= 12 and int(parts["d"]) > calendar.monthrange(year, mon)[1]:
            bad[i] = True
    return bad


def _month_lengths(year: np.ndarray, month: np.ndarray) -> np.ndarray:
    """Days in each (year, month), vectorised."""
    first = (year - 1970) * 12 + (month - 1)
    start = first.astype("datetime64[M]").astype("datetime64[D]")
    end = (first + 1).astype("datetime64[M]").astype("datetime64[D]")
    return (end - start).astype(np.int64)


def _iso_one(text: str, target: pa.DataType) -> datetime | None:
    try:
        value = datetime.fromisoformat(text.replace("z", "Z"))
    except ValueError:
        return None
    return value if (value.tzinfo is not None) == (target.tz is not None) else None


def _us(arr: pa.Array | pa.ChunkedArray) -> np.ndarray:
    if isinstance(arr, pa.ChunkedArray):
        arr = arr.combine_chunks()
    return fixed_values(arr.cast(pa.timestamp("us", tz=arr.type.tz)), np.int64).copy()


# ---------------------------------------------------------------- local wall-clock time to UTC

def local_to_utc(local: np.ndarray, zone: str, *, latest: bool = False) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """(UTC microseconds, ambiguous, nonexistent) of local wall-clock microseconds in ``zone``.

    The zone's offset changes within the data's range are found once; each time then takes the
    offset of the interval its wall-clock time falls in (``searchsorted``): in the fall-back
    overlap the earlier instant (``fold=0``; the later one with ``latest``), in a spring-forward
    gap the offset before the change.
    """
    if local.size == 0:
        return local.astype(np.int64), np.zeros(0, bool), np.zeros(0, bool)
    lo, hi = int(local.min()), int(local.max())
    changes, offsets = transitions(zone, lo // DAY_US - 2, hi // DAY_US + 2)
    if changes.size == 0:
        return local - offsets[0], np.zeros(local.size, bool), np.zeros(local.size, bool)
    starts = changes + offsets[1:]  # the local time at which each later interval starts
    idx = np.searchsorted(starts, local, side="right")  # interval of each time: 0 .. len(changes)
    utc = local - offsets[idx]
    ends = np.append(changes, np.iinfo(np.int64).max)  # UTC end of each interval
    nonexistent = utc >= ends[idx]
    prev = np.maximum(idx - 1, 0)
    ambiguous = (idx > 0) & (offsets[idx] < offsets[prev]) & (local < changes[prev] + offsets[prev])
    if not latest:
        utc = np.where(ambiguous, local - offsets[prev], utc)
    return utc, ambiguous, nonexistent


@lru_cache(maxsize=64)
def transitions(zone: str, first_day: int, last_day: int) -> tuple[np.ndarray, np.ndarray]:
    """(UTC microseconds of each offset change, offsets in microseconds: one before the first change
    and one after each) of ``zone`` between two days (days since 1970, UTC)."""
    tz = ZoneInfo(zone)
    first_day = max(first_day, (_FIRST_US // DAY_US) - 1)
    last_day = min(last_day, _LAST_US // DAY_US + 1)

    def offset(us: int) -> int:
        return int((_EPOCH + timedelta(microseconds=us)).astimezone(tz).utcoffset().total_seconds()) * US

    days = np.arange(first_day, max(last_day, first_day) + 1, dtype=np.int64) * DAY_US
    day_offsets = np.array([offset(int(d)) for d in days], np.int64)
    changes, offsets = [], [int(day_offsets[0])]
    for i in np.flatnonzero(np.diff(day_offsets)):
        lo, hi = int(days[i]) // US, int(days[i + 1]) // US  # seconds: offset(lo) != offset(hi)
        before = offset(lo * US)
        while hi - lo > 1:
            mid = (lo + hi) // 2
            if offset(mid * US) == before:
                lo = mid
            else:
                hi = mid
        changes.append(hi * US)
        offsets.append(int(day_offsets[i + 1]))
    return np.array(changes, np.int64), np.array(offsets, np.int64)


def zone_problem(zone: str) -> str | None:
    from zoneinfo import ZoneInfoNotFoundError

    try:
        ZoneInfo(zone)
    except (ZoneInfoNotFoundError, ValueError):
        return f"unknown time zone {zone!r} (an IANA name such as America/New_York or Asia/Shanghai)"
    return None
