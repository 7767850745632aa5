"""Fast, vectorised random case records that are valid against the schema and the profile.

This is not the simulation (see ``jiesu.simulation``): it draws realistic-shaped cases directly, for
tests and benchmarks at any size (a Beijing year is about 25 million cases), chunk by chunk so
memory stays flat.
"""

from __future__ import annotations

from collections.abc import Iterator
from datetime import UTC, datetime
from pathlib import Path

import numpy as np
import pyarrow as pa

from .profile import Profile, load_profile
from .records import arrow_schema, parquet_writer
from .records import codes as _dict
from .records import timestamps as _ts
from .schema import CHANNELS, REQUEST_TYPES

US = 1_000_000
HOUR = 3600 * US
DAY = 24 * HOUR

CHANNEL_P = [0.62, 0.1, 0.12, 0.1, 0.02, 0.02, 0.02]
REQUEST_P = [0.45, 0.25, 0.18, 0.05, 0.05, 0.02]
LEVEL_P = {"street": 0.6, "district": 0.12, "department": 0.18, "enterprise": 0.10}


def generate(n: int, seed: int = 0, *, start: str = "2024-01-01", days: int = 365,
             profile: Profile | None = None, first_id: int = 0) -> pa.Table:
    """n valid random cases received over ``days`` days from ``start`` (profile time zone)."""
    profile = profile or load_profile()
    rng = np.random.default_rng(seed)
    t0 = int(datetime.fromisoformat(start).replace(tzinfo=profile.zone).astimezone(UTC).timestamp()) * US
    received = t0 + rng.integers(0, days * DAY, n)
    received.sort()
    answered = received + rng.exponential(40 * US, n).astype(np.int64)

    channel = rng.choice(len(CHANNELS), n, p=CHANNEL_P)
    rtype = rng.choice(len(REQUEST_TYPES), n, p=REQUEST_P)
    cats = [c.code for c in profile.categories]
    category = rng.integers(0, len(cats), n)
    disp_names = ["answered", "dispatched", "transferred", "not_dispatched"]
    disposition = rng.choice(4, n, p=[0.55, 0.415, 0.02, 0.015])
    dispatched = disposition == 1

    streets = profile.units_of_level("street")
    district_ids = sorted(profile.district_ids)
    street_ids = [s.id for s in streets]
    street_district = np.array([district_ids.index(s.district) for s in streets])
    street = rng.integers(0, len(streets), n)
    district = street_district[street]
    unknown_place = rng.random(n) < 0.03

    levels = [lv for lv in LEVEL_P if profile.units_of_level(lv)]
    lp = np.array([LEVEL_P[lv] for lv in levels]) / sum(LEVEL_P[lv] for lv in levels)
    level = rng.choice(len(levels), n, p=lp)
    unit_ids: list[str] = []
    unit_code = np.zeros(n, dtype=np.int64)
    for li, lv in enumerate(levels):
        ids = [u.id for u in profile.units_of_level(lv)]
        base = len(unit_ids)
        unit_ids.extend(ids)
        sel = level == li
        if lv == "street":
            unit_code[sel] = base + street[sel]
        elif lv == "district":
            unit_code[sel] = base + district[sel]
        else:
            unit_code[sel] = base + rng.integers(0, len(ids), int(sel.sum()))
    quality = np.clip(rng.normal(0.0, 1.0, len(unit_ids)), -3, 3)  # per-unit, so units differ
    q = quality[unit_code]

    limit_h = np.array([profile.time_limits[r] for r in REQUEST_TYPES])[rtype]
    dispatched_at = answered + rng.integers(60 * US, 2 * HOUR, n)
    deadline = dispatched_at + (limit_h * HOUR).astype(np.int64)
    first_contact = dispatched_at + rng.exponential(6 * HOUR, n).astype(np.int64)
    closed_d = first_contact + rng.exponential(2 * DAY, n).astype(np.int64)
    callback = deadline + rng.integers(HOUR, 3 * DAY, n)
    closed_a = answered + rng.integers(60 * US, 900 * US, n)

    objections = np.where(rng.random(n) < 0.03, rng.integers(1, 3, n), 0)
    upheld = (objections > 0) & (rng.random(n) < 0.4)
    valid_cb = dispatched & (rng.random(n) < 0.88)
    has_first = dispatched & (rng.random(n) < 0.98)
    contacted = rng.random(n) < 1 / (1 + np.exp(-(3.5 + 0.4 * q)))
    resolved = rng.random(n) < 1 / (1 + np.exp(-(2.8 + 0.5 * q)))
    u = rng.random(n)
    p_sat = 1 / (1 + np.exp(-(2.6 + 0.5 * q)))
    satisfaction = np.where(u < p_sat, 0, np.where(u < p_sat + (1 - p_sat) * 0.5, 1, 2))
    excluded = dispatched & (upheld | (rng.random(n) < 0.015))
    reason = np.where(upheld, 0, rng.integers(1, 4, n))
    status = np.where(dispatched, np.where(rng.random(n) < 0.97, 2, 1), 2)

    nd = ~dispatched
    import pyarrow.compute as pc

    digits = pc.utf8_lpad(pa.array(np.arange(first_id, first_id + n)).cast(pa.string()), 12, "0")
    ids = pc.binary_join_element_wise("BJ", digits, "")
    topic_mask = ~(dispatched & (rng.random(n) < 0.05))
    cols = {
        "case_id": ids,
        "received_at": _ts(received),
        "answered_at": _ts(answered),
        "channel": _dict(channel, CHANNELS),
        "request_type": _dict(rtype, REQUEST_TYPES),
        "category": _dict(category, cats),
        "district": _dict(district, district_ids, unknown_place),
        "street": _dict(street, street_ids, unknown_place),
        "disposition": _dict(disposition, disp_names),
        "dispatched_at": _ts(dispatched_at, nd),
        "unit": _dict(unit_code, unit_ids, nd),
        "unit_level": _dict(level, levels, nd),
        "deadline_at": _ts(deadline, nd),
        "objections": pa.array(objections, mask=nd),
        "objection_upheld": pa.array(upheld, mask=nd),
        "first_contact_at": _ts(first_contact, ~has_first),
        "closed_at": _ts(np.where(dispatched, closed_d, closed_a), status != 2),
        "status": _dict(status, ["open", "in_progress", "closed", "cancelled"]),
        "callback_at": _ts(callback, nd),
        "callback_valid": pa.array(valid_cb, mask=nd),
        "contacted": pa.array(contacted, mask=~valid_cb),
        "resolved": pa.array(resolved, mask=~valid_cb),
        "satisfaction": _dict(satisfaction, ["satisfied", "basically_satisfied", "dissatisfied"], ~valid_cb),
        "excluded": pa.array(excluded, mask=nd),
        "exclusion_reason": _dict(reason, ["objection_upheld", "unreasonable", "duplicate", "other"], ~excluded),
        "proactive": pa.array(rng.random(n) < 0.01, mask=nd),
        "topic": _dict(rng.integers(0, 12, n), [f"T2024-{i:02d}" for i in range(1, 13)], topic_mask),
    }
    return pa.table(cols, schema=arrow_schema())


def iter_generate(n: int, seed: int = 0, chunk_rows: int = 1_000_000, **kw) -> Iterator[pa.Table]:
    """``generate`` in chunks with distinct ids and seeds; each chunk covers the whole period."""
    for i, start in enumerate(range(0, n, chunk_rows)):
        yield generate(min(chunk_rows, n - start), seed * 1_000_003 + i, first_id=start, **kw)


def write_parquet(path: str | Path, n: int, seed: int = 0, chunk_rows: int = 1_000_000, **kw) -> Path:
    """Write n cases to a zstd Parquet file, one row group per chunk (memory stays flat)."""
    with parquet_writer(path) as writer:
        for table in iter_generate(n, seed, chunk_rows, **kw):
            writer.write_table(table, row_group_size=chunk_rows)
    return Path(path)
