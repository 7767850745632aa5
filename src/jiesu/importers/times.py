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

from ..arrays import as_bool_np, fixed_values, int_array, integer_values, text_buffers, valid_np

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
        offsets, _ = text_buffers(text.take(int_array(todo)))
        given[todo[np.diff(offsets) == 0]] = False
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
        fast = fixed_width(col, layout)
        if fast is not None:
            us, ok = fast
            rest = np.flatnonzero(~ok & valid_np(col))
            if rest.size:  # other widths, or values the byte reading refused: Arrow's strptime
                got, got_ok, _ = _read_layout(col.take(int_array(rest)), "\x00" + layout)
                us[rest], ok[rest] = got, got_ok
            return us, ok, np.zeros(n, bool)
        layout = layout.lstrip("\x00")
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
            got_us, got_ok = _us(parsed), valid_np(parsed)
        except (pa.ArrowInvalid, pa.ArrowNotImplementedError):  # e.g. 2015-02-30: value by value
            got = [_iso_one(v, target) for v in part.to_pylist()]
            got_ok = np.array([g is not None for g in got], bool)
            got_us = np.array([0 if g is None else g for g in got], np.int64)
        us[rows] = got_us
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
    days = us // DAY_US
    lo, hi = int(days[ok].min()), int(days[ok].max())
    landing = _landing_days(lo, hi)
    rows = np.flatnonzero(ok & landing[np.clip(days - lo, 0, hi - lo)]) if landing.any() else np.zeros(0, np.int64)
    if rows.size == 0:
        return bad
    part = col.take(int_array(rows))
    regex = _layout_regex(layout)
    if "%b" not in layout and "%B" not in layout:  # columnar: Arrow takes the numbers out
        found = pc.extract_regex(part, regex)
        matched = valid_np(found)

        def number(name: str, default: int) -> np.ndarray:  # numpy from the buffers (null: default)
            if name not in [f.name for f in found.type]:
                return np.full(len(rows), default, np.int64)
            values = pc.cast(found.field(name), pa.int64())
            return np.where(valid_np(values), integer_values(values), default)

        y = number("Y", 0) if "Y" in [f.name for f in found.type] else 2000 + number("y", 0)
        mo, d = np.clip(number("m", 1), 1, 12), number("d", 1)
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


def _landing_days(lo: int, hi: int) -> np.ndarray:
    """For days lo..hi (since 1970): True on the days a rolled-over date lands on (:data:`_ROLLED`)."""
    epoch = datetime(1970, 1, 1)
    out = np.zeros(hi - lo + 1, bool)
    for year in range((epoch + timedelta(days=lo)).year, (epoch + timedelta(days=hi)).year + 1):
        for month, day in _ROLLED:
            i = (datetime(year, month, day) - epoch).days - lo
            if 0 <= i <= hi - lo:
                out[i] = True
    return out


def _month_lengths(year: np.ndarray, month: np.ndarray) -> np.ndarray:
    """Days in each (year, month), vectorised."""
    first = (year - 1970) * 12 + (month - 1)
    start = first.astype("datetime64[M]").astype("datetime64[D]")
    end = (first + 1).astype("datetime64[M]").astype("datetime64[D]")
    return (end - start).astype(np.int64)


#: fixed-width directives: (width, what they read)
_FIXED = {"Y": 4, "m": 2, "d": 2, "H": 2, "I": 2, "M": 2, "S": 2, "p": 2, "y": 2}


def fixed_width(col: pa.Array, layout: str) -> tuple[np.ndarray, np.ndarray] | None:
    """Read a layout of zero-padded fields (``%m/%d/%Y %I:%M:%S %p``, ``%Y-%m-%d %H:%M:%S``, ...)
    straight from the text bytes: the values of the layout's width form a matrix of bytes, each
    field is a few columns of digits. Dates are checked (no 30 February), so nothing rolls over.
    Returns (local microseconds, read) or None when the layout has another directive; values of
    another width are left unread for Arrow's strptime."""
    if layout.startswith("\x00"):
        return None
    fields: list[tuple[str, int]] = []
    literal: list[tuple[int, int]] = []
    pos, i = 0, 0
    while i < len(layout):
        if layout[i] == "%":
            if i + 1 >= len(layout) or layout[i + 1] not in _FIXED:
                return None
            fields.append((layout[i + 1], pos))
            pos += _FIXED[layout[i + 1]]
            i += 2
        else:
            byte = layout[i].encode()
            if len(byte) != 1:
                return None
            literal.append((pos, byte[0]))
            pos += 1
            i += 1
    kinds = [k for k, _ in fields]
    if not ("Y" in kinds or "y" in kinds) or "m" not in kinds or "d" not in kinds or ("I" in kinds) != ("p" in kinds):
        return None
    n, width = len(col), pos
    us = np.zeros(n, np.int64)
    ok = np.zeros(n, bool)
    if n == 0 or pa.types.is_large_string(col.type):
        return us, ok
    offsets, data = text_buffers(col)
    lengths = np.diff(offsets)
    rows = np.flatnonzero(lengths == width)
    if rows.size == 0:
        return us, ok
    if rows.size * width == offsets[-1] - offsets[0]:  # every non-empty value has the width: one matrix
        m = data[offsets[0]: offsets[-1]].reshape(rows.size, width)
    else:
        m = data[offsets[rows][:, None] + np.arange(width)]
    good = np.ones(rows.size, bool)
    for p, byte in literal:
        good &= m[:, p] == byte
    values: dict[str, np.ndarray] = {}
    for kind, p in fields:
        if kind == "p":
            a, b = m[:, p] | np.uint8(0x20), m[:, p + 1] | np.uint8(0x20)  # lower case
            good &= ((a == ord("a")) | (a == ord("p"))) & (b == ord("m"))
            values["p"] = (a == ord("p")).astype(np.int32)
            continue
        value = np.zeros(rows.size, np.int32)
        for k in range(_FIXED[kind]):
            digit = m[:, p + k] - np.uint8(48)  # wraps round below '0': never < 10
            good &= digit < 10
            value = value * 10 + digit
        values[kind] = value
    year = values["Y"] if "Y" in values else 2000 + values["y"]
    month, day = values["m"], values["d"]
    zero = np.zeros(rows.size, np.int32)
    if "I" in values:
        good &= (values["I"] >= 1) & (values["I"] <= 12)
        hour = values["I"] % 12 + 12 * values["p"]
    else:
        hour = values.get("H", zero)
    minute, second = values.get("M", zero), values.get("S", zero)
    good &= (month >= 1) & (month <= 12) & (day >= 1) & (hour <= 23) & (minute <= 59) & (second <= 59)
    month = np.clip(month, 1, 12)
    leap = (year % 4 == 0) & ((year % 100 != 0) | (year % 400 == 0))
    good &= day <= _MONTH_DAYS[month] + (leap & (month == 2))
    # days since 1970-01-01 of a proleptic Gregorian date (H. Hinnant's days_from_civil)
    y = year - (month <= 2)
    era = y // 400
    yoe = y - era * 400
    doy = (153 * (month + np.where(month > 2, -3, 9)) + 2) // 5 + day - 1
    days = (era * 146097 + yoe * 365 + yoe // 4 - yoe // 100 + doy - 719468).astype(np.int64)
    seconds = ((days * 24 + hour) * 60 + minute) * 60 + second
    us[rows] = seconds * 1_000_000
    ok[rows] = good
    return us, ok


_MONTH_DAYS = np.array([0, 31, 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31], np.int32)


def _iso_one(text: str, target: pa.DataType) -> int | None:
    """Microseconds since the epoch (local when naive) of one ISO text, or None."""
    try:
        value = datetime.fromisoformat(text.replace("z", "Z"))
    except ValueError:
        return None
    if (value.tzinfo is not None) != (target.tz is not None):
        return None
    if value.tzinfo is not None:
        value = value.astimezone(UTC).replace(tzinfo=None)
    return (value - datetime(1970, 1, 1)) // timedelta(microseconds=1)


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
