"""The three rates (三率) and the composite score, computed by streaming partial aggregates.

Definitions (issue 3, ``shared/domain.md`` section 3), every number a profile setting:

- period: the month of ``callback_at`` in the profile's time zone;
- scored: ``disposition = dispatched``, ``callback_valid = true``, ``callback_at`` given, and not
  ``excluded`` with a reason listed in ``scoring.exclusion_reasons``;
- response: ``contacted = true`` (method "callback"), or ``first_contact_at - dispatched_at`` within
  ``scoring.response_hours[request_type]`` hours (method "timestamp");
- resolution: ``resolved = true``;
- satisfaction: satisfied + w x basically satisfied (w = ``basically_satisfied_weight``);
- every rate is over the scored cases; the composite is 100 x the weighted sum of the three rates.

A rate is ``None`` (not 0) when no scored case of the group carries the answer it needs (the
column is absent or null, as in real 311 exports); the composite is then ``None`` too (incomplete).
A missing answer on some but not all scored cases counts as "no" for that case.

How: each batch is reduced to integer counts keyed by (month, key) with one ``numpy.bincount`` over
dictionary indices and a small "answer pattern" code; no per-row Python and no per-row strings.
The counts live in an :class:`Aggregate`, which merges with another one, so partitions of the data
can be counted anywhere and added up.
"""

from __future__ import annotations

import math
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass, field
from fractions import Fraction
from pathlib import Path
from typing import Any, ClassVar

import numpy as np
import pyarrow as pa

from .arrays import bits, fixed_values, integer_values, validity
from .errors import ArgumentError
from .io.cases import row_group_tasks, sequential_tables, total_rows
from .io.sources import Source, as_sources
from .memory import streaming_memory
from .months import month_label, months_of, parse_month
from .profile import Profile, load_profile
from .progress import ProgressCallback

#: the grouping keys ``score --by`` accepts (columns of the case record)
BY_KEYS = ("unit", "street", "district", "category", "unit_level")
#: internal key for ``rank --level district``: the district-tier unit, territorially (see ``Scorer._keys``)
TERRITORY = "territory"

#: integer counts kept per (month, key); ``*_known`` count scored cases that carry the answer,
#: ``callbacks`` every dispatched case with a callback in the month (scored or not)
MEASURES = (
    "scored", "contacted", "contacted_known", "resolved", "resolved_known",
    "satisfied", "basically_satisfied", "satisfaction_known", "callbacks", "requests",
)
_M = {name: i for i, name in enumerate(MEASURES)}

# answer pattern of one callback: contact (0 no, 1 yes, 2 unknown) x resolved (same) x
# satisfaction (0 satisfied, 1 basically, 2 dissatisfied, 3 unknown) = 36 codes for scored cases,
# and code 36 for a callback that is not scored
_SCORED_PATTERNS = 3 * 3 * 4
_NOT_SCORED = _SCORED_PATTERNS
_PATTERNS = _SCORED_PATTERNS + 1
_SAT_CODES = {"satisfied": 0, "basically_satisfied": 1, "dissatisfied": 2}


def _pattern_matrix() -> np.ndarray:
    """(patterns x measures) 0/1 matrix: how one callback of each pattern adds to the counts."""
    mat = np.zeros((_PATTERNS, len(MEASURES)), dtype=np.int64)
    mat[:, _M["callbacks"]] = 1
    for c in range(3):
        for r in range(3):
            for s in range(4):
                row = mat[(c * 3 + r) * 4 + s]
                row[_M["scored"]] = 1
                row[_M["contacted"]] = c == 1
                row[_M["contacted_known"]] = c != 2
                row[_M["resolved"]] = r == 1
                row[_M["resolved_known"]] = r != 2
                row[_M["satisfied"]] = s == 0
                row[_M["basically_satisfied"]] = s == 1
                row[_M["satisfaction_known"]] = s != 3
    return mat


_PATTERN_MATRIX = _pattern_matrix()

US_PER_HOUR = 3_600_000_000


# ---------------------------------------------------------------- the mergeable partial aggregate

@dataclass
class Aggregate:
    """Integer counts per (month, key): small, exact and mergeable.

    ``counts[month]`` is an int64 array of shape (number of keys so far, len(MEASURES)); rows follow
    ``keys``. ``scored`` and the answer counts use the callback month, ``requests`` (dispatched
    cases) the month the case was received.
    """

    by: str
    keys: list[str | None] = field(default_factory=list)
    counts: dict[int, np.ndarray] = field(default_factory=dict)
    _ids: dict[str | None, int] = field(default_factory=dict, repr=False)
    #: the measures counted (a subclass counts others in the same shape: ``jiesu.timeliness``)
    MEASURES: ClassVar[tuple[str, ...]] = MEASURES

    def key_ids(self, values: Iterable[str | None]) -> np.ndarray:
        """Global ids for key values, adding the new ones."""
        ids = []
        for v in values:
            i = self._ids.get(v)
            if i is None:
                i = self._ids[v] = len(self.keys)
                self.keys.append(v)
            ids.append(i)
        return np.array(ids, dtype=np.int64)

    def _row_block(self, month: int) -> np.ndarray:
        arr = self.counts.get(month)
        n = len(self.keys)
        if arr is None or arr.shape[0] < n:
            grown = np.zeros((n, len(self.MEASURES)), dtype=np.int64)
            if arr is not None:
                grown[: arr.shape[0]] = arr
            arr = self.counts[month] = grown
        return arr

    def add(self, first_month: int, block: np.ndarray) -> None:
        """Add a (months x keys x measures) block whose months start at ``first_month``."""
        for i in range(block.shape[0]):
            part = block[i]
            if part.any():
                arr = self._row_block(first_month + i)
                arr[: part.shape[0]] += part

    def merge(self, other: Aggregate) -> Aggregate:
        """Add another partial aggregate (same ``by``) into this one; returns self."""
        if other.by != self.by:
            raise ValueError(f"cannot merge counts by {other.by!r} into counts by {self.by!r}")
        ids = self.key_ids(other.keys)
        for month, arr in other.counts.items():
            mine = self._row_block(month)
            mine[ids[: arr.shape[0]]] += arr
        return self

    def get(self, month: int, key: str | None) -> dict[str, int]:
        """The counts of one group (all zero when absent)."""
        i = self._ids.get(key)
        arr = self.counts.get(month)
        if i is None or arr is None or i >= arr.shape[0]:
            return dict.fromkeys(self.MEASURES, 0)
        return {m: int(v) for m, v in zip(self.MEASURES, arr[i])}

    def months(self) -> list[int]:
        return sorted(m for m, arr in self.counts.items() if arr.any())

    def total(self) -> dict[str, int]:
        """The counts summed over every month and key."""
        sums = np.zeros(len(self.MEASURES), dtype=np.int64)
        for arr in self.counts.values():
            sums += arr.sum(axis=0)
        return {m: int(v) for m, v in zip(self.MEASURES, sums)}

    def to_records(self) -> list[dict[str, Any]]:
        """Flat records (month, key, counts) of every non-empty group, e.g. to ship between workers."""
        out = []
        for month in self.months():
            arr = self.counts[month]
            for i in np.flatnonzero(arr.any(axis=1)):
                rec: dict[str, Any] = {"month": month_label(month), "key": self.keys[i]}
                rec.update({m: int(v) for m, v in zip(self.MEASURES, arr[i])})
                out.append(rec)
        return out

    @classmethod
    def from_records(cls, by: str, records: Iterable[dict[str, Any]]) -> Aggregate:
        """The inverse of :meth:`to_records`."""
        agg = cls(by)
        for rec in records:
            i = int(agg.key_ids([rec["key"]])[0])
            row = agg._row_block(parse_month(rec["month"]))
            row[i] += np.array([int(rec.get(m, 0)) for m in cls.MEASURES], dtype=np.int64)
        return agg


# ---------------------------------------------------------------- columns of one batch

def _array(col: pa.ChunkedArray | pa.Array) -> pa.Array:
    if isinstance(col, pa.ChunkedArray):
        return col.chunk(0) if col.num_chunks == 1 else col.combine_chunks()
    return col


class _Dict:
    """A string column as dictionary indices + values, for lookups through small tables."""

    def __init__(self, col: pa.ChunkedArray | pa.Array) -> None:
        arr = _array(col)
        if not pa.types.is_dictionary(arr.type):
            import pyarrow.compute as pc  # text formats only: Parquet code fields are dictionaries

            arr = pc.dictionary_encode(arr.cast(pa.string()) if pa.types.is_null(arr.type) else arr)
            arr = _array(arr)
        self.values: list[str | None] = arr.dictionary.to_pylist()
        self.idx = integer_values(arr.indices)
        self.valid = validity(arr)

    def lookup(self, table: np.ndarray, rows: np.ndarray | None = None) -> np.ndarray:
        """``table[value]`` per row (or per selected row); ``table`` has one more entry, for null."""
        idx = self.idx if rows is None else self.idx[rows]
        if self.valid is not None:  # a null slot may hold any index
            valid = self.valid if rows is None else self.valid[rows]
            if not valid.all():
                idx = np.where(valid, idx, len(self.values))
        return np.take(table, idx)

    def equals(self, value: str) -> np.ndarray:
        """Rows whose value is ``value`` (one comparison of indices when the dictionary is unique)."""
        hits = [i for i, v in enumerate(self.values) if v == value]
        if len(hits) != 1:
            return self.lookup(self.table(lambda v: v == value, bool))
        out = self.idx == hits[0]
        return out if self.valid is None else out & self.valid

    def table(self, fn: Callable[[str | None], Any], dtype: Any) -> np.ndarray:
        """A lookup table: ``fn`` of every dictionary value, then of null."""
        return np.array([fn(v) for v in self.values] + [fn(None)], dtype=dtype)


def _bool_parts(col: pa.ChunkedArray | pa.Array) -> tuple[np.ndarray, np.ndarray | None]:
    """(true, valid-or-None) masks of a boolean column; ``true`` is False where null."""
    arr = _array(col)
    if pa.types.is_null(arr.type):
        return np.zeros(len(arr), dtype=bool), np.zeros(len(arr), dtype=bool)
    true = bits(arr.buffers()[1], arr.offset, len(arr))
    valid = validity(arr)
    return (true if valid is None else true & valid), valid


def _ts_parts(col: pa.ChunkedArray | pa.Array) -> tuple[np.ndarray, np.ndarray | None, str]:
    """(int64 ticks since the epoch, valid-or-None, unit) of a UTC timestamp column, as stored
    (no cast: a month is found in any unit); null slots hold anything."""
    arr = _array(col)
    if pa.types.is_null(arr.type):
        return np.zeros(len(arr), dtype=np.int64), np.zeros(len(arr), dtype=bool), "us"
    return fixed_values(arr, np.int64), validity(arr), arr.type.unit


_US_FACTOR = {"s": 1_000_000, "ms": 1_000, "us": 1}


def _ts_us(col: pa.ChunkedArray | pa.Array) -> tuple[np.ndarray, np.ndarray | None]:
    """(int64 microseconds, valid-or-None) of a UTC timestamp column of any unit."""
    values, valid, unit = _ts_parts(col)
    if unit == "ns":
        return values // 1000, valid
    return (values * _US_FACTOR[unit] if unit != "us" else values), valid


def _state(col: pa.ChunkedArray | pa.Array) -> np.ndarray:
    """0 false, 1 true, 2 null for every row of a boolean column, as uint8."""
    true, valid = _bool_parts(col)
    state = true.view(np.uint8)
    return state if valid is None else state | ((~valid).view(np.uint8) << 1)


# ---------------------------------------------------------------- the batch reducer

class Scorer:
    """Reduces batches of cases to an :class:`Aggregate` under one profile's scoring rules."""

    def __init__(self, profile: Profile, by: str = "unit", *, months: Sequence[int] | None = None,
                 with_requests: bool = True) -> None:
        if by not in BY_KEYS and by != TERRITORY:
            raise ArgumentError(f"cannot group by {by!r}: choose one of {', '.join(BY_KEYS)}")
        self.profile, self.by, self.with_requests = profile, by, with_requests
        self.months = None if months is None else np.array(sorted(set(months)), dtype=np.int64)
        self.zone = profile.zone
        self.timestamp_method = profile.scoring.response_method == "timestamp"
        self.reasons = frozenset(profile.scoring.exclusion_reasons)
        self.aggregate = Aggregate(by)
        # territorial district (see ``_keys``): the district-tier unit whose territory a district-tier
        # unit, a street or a zone lies in; a territory carved out of a district also accepts that
        # district in the ``district`` column
        self._territory = profile.territory_of
        self._places = profile.street_ids
        self._districts = profile.district_ids
        self._carved_from = {u.id: u.district for u in profile.units if u.level == "district" and u.district}

    @property
    def columns(self) -> list[str]:
        """The only columns the scoring reads."""
        cols = ["callback_at", "disposition", "callback_valid", "excluded", "exclusion_reason",
                "resolved", "satisfaction"]
        cols += ["request_type", "dispatched_at", "first_contact_at"] if self.timestamp_method else ["contacted"]
        cols += self.key_columns
        if self.with_requests:
            cols.append("received_at")
        return list(dict.fromkeys(cols))

    @property
    def key_columns(self) -> list[str]:
        """The columns the grouping key is read from."""
        return ["unit", "district", "street"] if self.by == TERRITORY else [self.by]

    def _keys(self, table: pa.Table, rows: np.ndarray) -> np.ndarray:
        """Global key id of each selected row; -1 means the row belongs to no group (territory)."""
        agg = self.aggregate
        if self.by != TERRITORY:
            col = _Dict(table.column(self.by))
            return col.lookup(agg.key_ids([*col.values, None]), rows)
        # territory: the district-tier unit T whose territory the handler lies in (T itself, a street
        # or a zone of T), when the location does not say otherwise: the street (if given) lies in
        # T, and the district (if given) is T or the district T is carved out of (经开区: 大兴).
        # A value the profile does not know lies in no territory. One key per case: never counted twice.
        unit, street, place = _Dict(table.column("unit")), _Dict(table.column("street")), _Dict(table.column("district"))

        def gid(d: str | None, none: int) -> int:
            return none if d is None else int(agg.key_ids([d])[0])

        territory, carved = self._territory, self._carved_from
        h = unit.lookup(unit.table(lambda v: gid(territory.get(v), -1), np.int64), rows)
        hp = unit.lookup(unit.table(lambda v: gid(carved.get(territory.get(v, "")), -4), np.int64), rows)
        st = street.lookup(street.table(
            lambda v: -2 if v is None else gid(territory[v], -3) if v in self._places else -3, np.int64), rows)
        dc = place.lookup(place.table(lambda v: -2 if v is None else gid(v, -3) if v in self._districts else -3,
                                      np.int64), rows)
        ok = (h >= 0) & ((st == -2) | (st == h)) & ((dc == -2) | (dc == h) | (dc == hp))
        return np.where(ok, h, -1)

    def keys(self, table: pa.Table, rows: np.ndarray) -> np.ndarray:
        """The key id (into ``aggregate.keys``) of each of ``rows`` under this scorer's grouping
        (territorially for ``territory``; -1 where a row counts for no one): for other reducers
        that count by the same keys."""
        return self._keys(table, rows)

    def _contact_state(self, table: pa.Table) -> np.ndarray:
        """0 no, 1 yes, 2 unknown for every row, as uint8."""
        if not self.timestamp_method:
            return _state(table.column("contacted"))
        hours = self.profile.scoring.response_hours
        rtype = _Dict(table.column("request_type"))
        limit_us = rtype.lookup(rtype.table(lambda v: hours.get(v, math.nan) if v else math.nan, np.float64))
        limit_us *= US_PER_HOUR
        d_us, d_ok = _ts_us(table.column("dispatched_at"))
        f_us, f_ok = _ts_us(table.column("first_contact_at"))
        known = ~np.isnan(limit_us)
        if d_ok is not None:
            known &= d_ok
        if f_ok is not None:
            known &= f_ok
        within = known & ((f_us - d_us) <= np.nan_to_num(limit_us))
        return np.where(known, within.view(np.uint8), np.uint8(2))

    def groups(self, table: pa.Table, rows: np.ndarray, ticks: np.ndarray, unit: str
                ) -> tuple[np.ndarray | None, np.ndarray, int]:
        """(kept positions within ``rows`` or None for all, group code month x key of the kept
        rows, first month) for the selected rows that have a group."""
        key = self._keys(table, rows)
        rel, lo = months_of(ticks[rows], self.zone, unit)
        keep = None if self.by != TERRITORY else key >= 0
        if self.months is not None:
            inside = np.isin(rel + lo, self.months)
            keep = inside if keep is None else keep & inside
        if keep is not None and not keep.all():
            key, rel = key[keep], rel[keep]
        else:
            keep = None
        group = rel  # int64, a fresh array: changed in place
        group *= len(self.aggregate.keys)
        group += key
        return keep, group, lo

    def add_block(self, group: np.ndarray, lo: int, weights: np.ndarray, n_codes: int) -> np.ndarray:
        """bincount of ``group * n_codes + code``, shaped (months, keys, codes); ``group`` is
        reused for the codes (changed in place)."""
        K = len(self.aggregate.keys)
        nm = int(group.max()) // K + 1
        if n_codes > 1:
            group *= n_codes
            group += weights
        hist = np.bincount(group, minlength=nm * K * n_codes)
        return hist.reshape(nm, K, n_codes)

    def add(self, table: pa.Table) -> None:
        """Count one batch (a table holding at least :attr:`columns`, canonical types)."""
        if table.num_rows == 0:
            return
        dispatched = _Dict(table.column("disposition")).equals("dispatched")
        if self.with_requests:
            self._add_requests(table, dispatched)
        cb, cb_ok, unit = _ts_parts(table.column("callback_at"))
        rows = np.flatnonzero(dispatched if cb_ok is None else dispatched & cb_ok)
        if rows.size == 0:
            return
        keep, group, lo = self.groups(table, rows, cb, unit)
        if keep is not None:
            rows = rows[keep]
        if rows.size == 0:
            return
        pattern = self.patterns(table, rows)
        hist = self.add_block(group, lo, pattern, _PATTERNS)
        block = hist.reshape(-1, _PATTERNS) @ _PATTERN_MATRIX
        self.aggregate.add(lo, block.reshape(hist.shape[0], hist.shape[1], len(MEASURES)))

    def patterns(self, table: pa.Table, rows: np.ndarray, *, response: bool = True) -> np.ndarray:
        """The uint8 answer pattern (0 to 35 scored, 36 not scored) of each of ``rows`` (dispatched
        cases with a callback); without ``response`` the contact answer is taken as unknown (its
        columns need not be read). Booleans unpacked from their bits (cheap for the whole batch)
        and gathered for the rows, satisfaction through a table of its dictionary."""
        if response:
            pattern = self._contact_state(table)[rows]
        else:
            pattern = np.full(rows.size, 2, np.uint8)
        pattern *= np.uint8(3)
        pattern += _state(table.column("resolved"))[rows]
        pattern *= np.uint8(4)
        sat = _Dict(table.column("satisfaction"))
        pattern += sat.lookup(sat.table(lambda v: _SAT_CODES.get(v, 3), np.uint8), rows)
        scored, _ = _bool_parts(table.column("callback_valid"))
        scored = scored[rows]
        excluded, _ = _bool_parts(table.column("excluded"))
        ex = np.flatnonzero(excluded[rows])  # few: look their reasons up only
        if ex.size:
            reason = _Dict(table.column("exclusion_reason"))
            scored[ex] &= ~reason.lookup(reason.table(lambda v: v in self.reasons, bool), rows[ex])
        return np.where(scored, pattern, np.uint8(_NOT_SCORED))

    def _add_requests(self, table: pa.Table, dispatched: np.ndarray) -> None:
        """Dispatched cases per (month received, key): the request volume ``rank`` uses."""
        rc, rc_ok, unit = _ts_parts(table.column("received_at"))
        rows = np.flatnonzero(dispatched if rc_ok is None else dispatched & rc_ok)
        if rows.size == 0:
            return
        _, group, lo = self.groups(table, rows, rc, unit)
        if group.size == 0:
            return
        hist = self.add_block(group, lo, np.zeros(1, dtype=np.int64), 1)
        block = np.zeros((*hist.shape[:2], len(MEASURES)), dtype=np.int64)
        block[:, :, _M["requests"]] = hist[:, :, 0]
        self.aggregate.add(lo, block)


def aggregate(inputs: Sequence[str | Path | Source], *, profile: Profile | str | Path | None = None,
              by: str = "unit", months: Sequence[int] | None = None, with_requests: bool = True,
              workers: int = 2, naive_timezone: str | None = None, scheduler: Any = None,
              progress: ProgressCallback | None = None) -> Aggregate:
    """Stream the inputs (paths or sources) and count them by (month, ``by``) under the profile.

    Parquet row groups are read and counted by ``workers`` threads at once, each into its own
    partial :class:`Aggregate`; the partials are merged at the end (the same merge a distributed
    run would use). Other formats are read in one stream. ``naive_timezone``: see :func:`score`.
    With ``scheduler`` (``"local"``, a ``tcp://`` address or a ``distributed.Client``; see
    :mod:`jiesu.distributed`) every row group is a task on a Dask cluster and the partials merge
    there; the counts are the same.
    """
    profile = load_profile(profile)
    if scheduler is not None:
        from . import distributed

        return distributed.aggregate(inputs, profile=profile, by=by, months=months, with_requests=with_requests,
                                     naive_timezone=naive_timezone, scheduler=scheduler)

    def scorer() -> Scorer:
        return Scorer(profile, by, months=months, with_requests=with_requests)

    return reduce_sources(as_sources(inputs, naive_timezone=naive_timezone), scorer, lambda result, part: result.aggregate.merge(part),
                          workers=workers, progress=progress).aggregate


def reduce_sources(sources: Sequence[Source], make: Callable[[], Any], merge: Callable[[Any, Any], Any], *,
                   workers: int = 2, scheduler: Any = None, progress: ProgressCallback | None = None) -> Any:
    """Stream sources through a batch reducer (``make()``: an object with ``columns``, ``add(table)``
    and ``aggregate``): Parquet row groups are counted by ``workers`` threads, each into a reducer
    of its own, whose partial ``aggregate``s are merged into the first one by ``merge(result,
    part)``; other formats are read in one stream. The three rates, timeliness and the governance
    cubes all count this way. With ``scheduler`` each row group is a task on a Dask cluster
    (:func:`jiesu.distributed.reduce_sources`) and the partials merge there."""
    if scheduler is not None:
        from . import distributed

        return distributed.reduce_sources(sources, make, merge, scheduler=scheduler)
    total = total_rows(sources)
    done = 0

    def counted(rows: int) -> None:
        nonlocal done
        done += rows
        if progress is not None:
            progress(done, total)

    result = make()
    with streaming_memory():  # row groups are freed and allocated again: reuse their memory
        for source in sources:
            tasks = row_group_tasks(source, result.columns)
            if tasks is None:
                for table in sequential_tables(source, result.columns):
                    result.add(table)
                    counted(table.num_rows)
            else:
                for part in _count_in_parallel(tasks, make, workers, counted):
                    merge(result, part)
    return result


def _count_in_parallel(tasks: Sequence[Callable[[], pa.Table]], make: Callable[[], Scorer], workers: int,
                       counted: Callable[[int], None]) -> list[Aggregate]:
    """Read and count the tasks' tables on ``workers`` threads, one Scorer each (numpy and Arrow
    release the GIL); at most ``workers`` tables in memory. Returns the partial aggregates."""
    import threading
    from concurrent.futures import ThreadPoolExecutor

    local = threading.local()
    scorers: list[Scorer] = []
    lock = threading.Lock()

    def work(task: Callable[[], pa.Table]) -> int:
        mine = getattr(local, "scorer", None)
        if mine is None:
            mine = local.scorer = make()
            with lock:
                scorers.append(mine)
        table = task()
        mine.add(table)
        return table.num_rows

    with ThreadPoolExecutor(max_workers=max(1, workers)) as pool:
        for rows in pool.map(work, tasks):
            counted(rows)
    return [s.aggregate for s in scorers]


# ---------------------------------------------------------------- from counts to rates

def rates(counts: dict[str, int], profile: Profile) -> dict[str, float | None]:
    """The three rates (fractions) and the composite (0-100) of one group's counts."""
    scored = counts["scored"]
    rules = profile.scoring
    if scored <= 0:
        return {"response_rate": None, "resolution_rate": None, "satisfaction_rate": None, "composite": None}
    response = counts["contacted"] / scored if counts["contacted_known"] else None
    resolution = counts["resolved"] / scored if counts["resolved_known"] else None
    satisfaction = ((counts["satisfied"] + rules.basically_satisfied_weight * counts["basically_satisfied"]) / scored
                    if counts["satisfaction_known"] else None)
    composite = None
    if response is not None and resolution is not None and satisfaction is not None:
        w = rules.weights
        composite = 100 * (w.response * response + w.resolution * resolution + w.satisfaction * satisfaction)
    return {"response_rate": response, "resolution_rate": resolution, "satisfaction_rate": satisfaction,
            "composite": composite}


def _decimal(x: float) -> Fraction:
    """A setting as the decimal it was written as (0.1 -> 1/10), so ties are exact."""
    return Fraction(repr(float(x)))


def composite_exact(counts: dict[str, int], profile: Profile) -> Fraction | None:
    """The composite as an exact fraction, for tie-proof ranking: weights are taken as the decimals
    written in the profile, so 9/10 and 18/20 tie, and so do different mixes with equal sums."""
    scored = counts["scored"]
    if scored <= 0 or not (counts["contacted_known"] and counts["resolved_known"] and counts["satisfaction_known"]):
        return None
    rules = profile.scoring
    w = rules.weights
    sat = counts["satisfied"] + _decimal(rules.basically_satisfied_weight) * counts["basically_satisfied"]
    total = (_decimal(w.response) * counts["contacted"] + _decimal(w.resolution) * counts["resolved"]
             + _decimal(w.satisfaction) * sat)
    return 100 * total / scored


def score_rows(agg: Aggregate, profile: Profile, month: int | None = None) -> list[dict[str, Any]]:
    """One row per (month, key) with at least one callback of a dispatched case, sorted by month
    then key (null key last). A group whose callbacks are all invalid or excluded has ``scored`` 0
    and no rates."""
    by = agg.by
    out = []
    months = [month] if month is not None else agg.months()
    for m in months:
        arr = agg.counts.get(m)
        if arr is None:
            continue
        present = [i for i in np.flatnonzero(arr[:, _M["callbacks"]] > 0)]
        present.sort(key=lambda i: (agg.keys[i] is None, agg.keys[i] or ""))
        for i in present:
            c = {name: int(v) for name, v in zip(MEASURES, arr[i])}
            out.append({
                "month": month_label(m), by: agg.keys[i], "scored": c["scored"], "contacted": c["contacted"],
                "resolved": c["resolved"], "satisfied": c["satisfied"],
                "basically_satisfied": c["basically_satisfied"], **rates(c, profile),
            })
    return out


def score(inputs: Sequence[str | Path | Source], *, profile: Profile | str | Path | None = None,
          by: str = "unit", month: str | int | None = None, naive_timezone: str | None = None,
          scheduler: Any = None,
          progress: ProgressCallback | None = None) -> list[dict[str, Any]]:
    """Score cases: the three rates and the composite per (callback month, ``by``) group.

    ``inputs`` are paths (files or folders) or :class:`jiesu.io.sources.Source` objects; ``by`` is
    one of :data:`BY_KEYS`; ``month`` (``YYYY-MM``) keeps one month. Rows have the keys ``month,
    <by>, scored, contacted, resolved, satisfied, basically_satisfied, response_rate,
    resolution_rate, satisfaction_rate, composite`` (rates as fractions, the composite 0-100, None
    where the data cannot give them). ``scheduler`` runs the counting on a Dask cluster
    (:mod:`jiesu.distributed`; inputs may then also be glob patterns and fsspec URLs).

    Parquet timestamps without a time zone (Spark's INT96, Hive's and pandas' naive timestamps)
    are read as wall-clock times in ``naive_timezone`` (an IANA name; Spark's INT96 hold UTC);
    without it such a file is refused (InputError), never guessed.
    """
    profile = load_profile(profile)
    if by not in BY_KEYS:
        raise ArgumentError(f"cannot group by {by!r}: choose one of {', '.join(BY_KEYS)}")
    m = parse_month(month) if isinstance(month, str) else month
    agg = aggregate(inputs, profile=profile, by=by, months=None if m is None else [m],
                    with_requests=False, naive_timezone=naive_timezone, scheduler=scheduler, progress=progress)
    return score_rows(agg, profile, m)


# ---------------------------------------------------------------- for other counters (jiesu.analysis)
# The public face of the pieces above that other batch reducers build on, so they count exactly as
# the Scorer does (tests/test_analysis*.py check that their rates are score's).

DictColumn = _Dict
bool_parts = _bool_parts
count_in_parallel = _count_in_parallel
#: the number of answer patterns and their (patterns x MEASURES) 0/1 matrix
PATTERNS, PATTERN_MATRIX = _PATTERNS, _PATTERN_MATRIX


def timestamps_us(col: pa.ChunkedArray | pa.Array) -> tuple[np.ndarray, np.ndarray | None]:
    """(int64 UTC microseconds, valid-or-None) of a timestamp column read by jiesu.io.cases
    (which keeps the unit the file stores: converted here when it is not µs)."""
    return _ts_us(col)
