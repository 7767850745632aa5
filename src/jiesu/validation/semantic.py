"""Checks a JSON Schema cannot express: time order, the profile's codes, callback logic, personal data."""

from __future__ import annotations

from collections.abc import Iterator

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc

from ..arrays import as_bool_np, bool_array, fixed_values, integer_values, text_array, valid_np
from ..io.batch import timestamps_from_text
from ..profile import UNIT_LEVELS, Profile
from ..safe import PERSONAL_DATA_RE2
from ..schema import date_time_range, field_kinds
from .schema_checks import is_text, pair_mismatch, per_value, valid_datetime_text

# (later field, earlier field): the later one must not be before the earlier one.
TIME_ORDER = [
    ("answered_at", "received_at"),
    ("dispatched_at", "received_at"),
    ("closed_at", "received_at"),
    ("first_contact_at", "dispatched_at"),
    ("deadline_at", "dispatched_at"),
    ("callback_at", "dispatched_at"),
]
DATE_TIME_FIELDS = [f for f, kind in field_kinds().kind.items() if kind == "date-time"]

# Fields whose text a person may have typed; enums, date-times and the system's case_id are not.
FREE_TEXT_FIELDS = ("category", "district", "street", "unit", "topic")

Failure = tuple[str, str, str, np.ndarray]  # code, field, message, mask

# Every field semantic_failures reads (tests/test_validate.py proves that the others change nothing);
# a column no check reads need not be decoded.
SEMANTIC_FIELDS = frozenset(
    {f for pair in TIME_ORDER for f in pair} | {"callback_at", "deadline_at"} | set(FREE_TEXT_FIELDS)
    | {"unit_level", "callback_valid", "contacted", "resolved", "satisfaction", "status", "closed_at"}
)


def epoch_us(col: pa.ChunkedArray) -> tuple[np.ndarray, np.ndarray]:
    """(microseconds since the epoch in UTC, valid mask); invalid or null date-times are not valid."""
    if isinstance(col, pa.ChunkedArray):
        col = col.combine_chunks() if col.num_chunks != 1 else col.chunk(0)
    n = len(col)
    if pa.types.is_timestamp(col.type):
        raw = fixed_values(col, np.int64)
        unit = col.type.unit
        if unit == "ns":
            raw = raw // 1000
        elif unit != "us":  # seconds or milliseconds: clipped first, so the product cannot overflow
            factor = 1_000_000 if unit == "s" else 1000
            limit = np.iinfo(np.int64).max // factor
            raw = np.clip(raw, -limit, limit) * factor
        return raw, valid_np(col)  # null slots hold anything; ``valid`` masks them
    if pa.types.is_dictionary(col.type):
        col = col.cast(col.type.value_type)
    out = np.zeros(n, np.int64)
    if not is_text(col.type):
        return out, np.zeros(n, bool)
    okn = as_bool_np(valid_datetime_text(col))  # null = False
    if okn.any():
        good = col.filter(bool_array(okn))
        try:
            parsed = integer_values(timestamps_from_text(good).cast(pa.int64()))
        except (pa.ArrowInvalid, pa.ArrowNotImplementedError):
            parsed = _python_epoch_us(good.to_pylist())
        out[okn] = parsed
    return out, okn


def _python_epoch_us(texts: list[str]) -> np.ndarray:
    """Microseconds of RFC 3339 texts Arrow would not parse, one by one; a text Python cannot place
    either is put at the lowest instant, so the range check reports it."""
    from datetime import UTC, datetime

    epoch = datetime(1970, 1, 1, tzinfo=UTC)
    out = np.full(len(texts), np.iinfo(np.int64).min, np.int64)
    for i, text in enumerate(texts):
        try:
            delta = datetime.fromisoformat(text) - epoch
        except (ValueError, OverflowError):
            continue
        out[i] = (delta.days * 86_400 + delta.seconds) * 1_000_000 + delta.microseconds
    return out


def _col(table: pa.Table, name: str) -> pa.ChunkedArray | None:
    return table.column(name) if name in table.column_names else None


def _not_in(col: pa.ChunkedArray, allowed: frozenset[str] | set[str]) -> np.ndarray:
    value_set = text_array(sorted(allowed))
    return per_value(col, lambda a: pc.invert(pc.is_in(a, value_set=value_set)))


def _true(col: pa.ChunkedArray | None, n: int) -> np.ndarray:
    if col is None or not pa.types.is_boolean(col.type):
        return np.zeros(n, bool)
    return as_bool_np(col)


def _present(col: pa.ChunkedArray | None, n: int) -> np.ndarray:
    if col is None:
        return np.zeros(n, bool)
    return valid_np(col)


def semantic_failures(table: pa.Table, profile: Profile, times: dict[str, tuple[np.ndarray, np.ndarray]]) -> Iterator[Failure]:
    """Yield (code, field, message, mask) for each semantic check some row fails."""
    n = table.num_rows

    def before(later: str, earlier: str) -> np.ndarray | None:
        if later not in times or earlier not in times:
            return None
        (a, va), (b, vb) = times[later], times[earlier]
        m = a < b
        m &= va
        m &= vb
        return m

    span = date_time_range()
    for name, (us, ok) in times.items():
        yield "date-time-out-of-range", name, f"is outside the supported range, {span} (UTC)", \
            ok & ((us < span.minimum_us) | (us >= span.before_us))
    for later, earlier in TIME_ORDER:
        m = before(later, earlier)
        if m is not None:
            yield "time-order", later, f"is before {earlier}", m
    m = before("callback_at", "deadline_at")
    if m is not None:
        yield "callback-before-deadline", "callback_at", "is before deadline_at", m

    known = {
        "unit": ("unknown-unit", frozenset(profile.unit_by_id)),
        "category": ("unknown-category", frozenset(profile.category_by_code)),
        "district": ("unknown-district", profile.district_ids),
        "street": ("unknown-street", profile.street_ids),
    }
    for name, (code, allowed) in known.items():
        col = _col(table, name)
        if col is not None and is_text(col.type):
            yield code, name, f"is not in profile {profile.id}", _not_in(col, allowed)

    street, district = _col(table, "street"), _col(table, "district")
    if street is not None and district is not None and is_text(street.type) and is_text(district.type):
        # a place's district is the one it lies in, or the district-tier unit whose territory holds
        # it (经开区's own entry lies in 大兴 and in 经开区's territory: either is right)
        district_code = {d: i for i, d in enumerate(sorted(profile.district_ids))}
        parent = {u.id: district_code.get(u.district or u.id, -2) for u in profile.places}
        holder = {u.id: district_code.get(profile.territory_of[u.id], -2) for u in profile.places}
        outside = pair_mismatch(street, parent, district, district_code)
        if holder != parent and outside.any():
            outside &= pair_mismatch(street, holder, district, district_code)
        yield "street-outside-district", "street", "belongs to another district in the profile", outside

    unit, level = _col(table, "unit"), _col(table, "unit_level")
    if unit is not None and level is not None and is_text(unit.type) and is_text(level.type):
        level_code = {lv: i for i, lv in enumerate(UNIT_LEVELS)}
        yield "unit-level-mismatch", "unit_level", "differs from the unit's level in the profile", pair_mismatch(
            unit, {u.id: level_code[u.level] for u in profile.units}, level, level_code)

    valid_cb = _true(_col(table, "callback_valid"), n)
    for name in ("contacted", "resolved", "satisfaction"):
        present = _present(_col(table, name), n)
        yield "answer-without-valid-callback", name, "is recorded but callback_valid is not true", present & ~valid_cb
    answers = _present(_col(table, "contacted"), n) | _present(_col(table, "resolved"), n) | _present(_col(table, "satisfaction"), n)
    yield "valid-callback-without-answers", "callback_valid", "is true but no answer is recorded", valid_cb & ~answers

    status = _col(table, "status")
    if status is not None and is_text(status.type):
        closed_value = text_array(["closed"])
        closed = per_value(status, lambda a: pc.is_in(a, value_set=closed_value))
        yield "closed-without-closed-at", "closed_at", "is empty but status is closed", closed & ~_present(_col(table, "closed_at"), n)

    from ..schema import field_names

    schema_fields = set(field_names())
    for name in table.column_names:
        if name in FREE_TEXT_FIELDS or name not in schema_fields:
            col = table.column(name)
            if is_text(col.type):
                yield "personal-data", name, "looks like a phone number, an ID-card number or an e-mail address", per_value(
                    col, lambda a: pc.match_substring_regex(a, PERSONAL_DATA_RE2))
