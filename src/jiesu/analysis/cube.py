"""The volume cube: integer counts per period x cell, a cell being a combination of case fields
(category, topic, street, district, unit), small, exact and mergeable.

Every analysis command (topics, warn, disputes) is a question about one or two cubes, counted in
one streaming pass over the cases with the machinery of :mod:`jiesu.scoring`: the typed readers,
local months (or days) from :func:`jiesu.months.months_of`, and one ``numpy.bincount`` over
dictionary indices per batch and measure group. A cube merges with another cube of the same shape,
so partitions can be counted anywhere (threads here, Dask workers later) and added up.

Measure groups (what a cube counts, each in its own period):

- ``cases``, by the period the case was **received**: every case, any disposition (诉求量);
- ``requests``, by the period the case was received: ``requests`` (dispatched cases: 派单量) and
  ``repeats`` (dispatched cases excluded as duplicates: the only repeat a case record shows);
- ``scores``, by the period of the **callback**: the counts of :data:`jiesu.scoring.MEASURES`
  (scored, contacted, ..., callbacks) under the profile's scoring rules, so
  :func:`jiesu.scoring.rates` turns them into the three rates;
- ``disputes``, by the period the case was received, dispatched cases only: ``objected`` (at
  least one dispatch objection), ``objections`` (their sum), ``repeated_objections`` (two or more),
  ``upheld`` (``objection_upheld`` true), and ``excluded_<reason>`` for every exclusion reason.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from functools import partial
from pathlib import Path
from typing import Any

import numpy as np
import pyarrow as pa

from ..errors import ArgumentError, DataError
from ..io.sources import Source, as_sources
from ..months import day_label, days_of, month_label, months_of, parse_day, parse_month
from ..profile import Profile, load_profile
from ..progress import ProgressCallback
from ..schema import EXCLUSION_REASONS
from ..scoring import (
    MEASURES,
    PATTERN_MATRIX,
    PATTERNS,
    DictColumn,
    Scorer,
    bool_parts,
    reduce_sources,
    timestamps_us,
)

#: the case fields a cube can be cut by
DIMENSIONS = ("category", "topic", "street", "district", "unit")
PERIODS = ("month", "day")
SCORE_MEASURES = tuple(m for m in MEASURES if m != "requests")
GROUPS: dict[str, tuple[str, ...]] = {
    "cases": ("cases",),
    "requests": ("requests", "repeats"),
    "scores": SCORE_MEASURES,
    "disputes": ("objected", "objections", "repeated_objections", "upheld",
                 *(f"excluded_{r}" for r in EXCLUSION_REASONS)),
}
_SCORE_MATRIX = PATTERN_MATRIX[:, [MEASURES.index(m) for m in SCORE_MEASURES]]
_BITS = 15  # bits of a dimension's value id in a cell code: 32,767 distinct values per dimension


@dataclass
class Cube:
    """Counts per (period, cell): ``counts[period]`` is an int64 array (cells so far x measures)
    whose rows follow ``cells``; a cell is a tuple of values, one per dimension (None for null)."""

    dims: tuple[str, ...]
    groups: tuple[str, ...]
    period: str = "month"
    required: tuple[str, ...] = ()  # dimensions a row must have (not null) to be counted
    values: list[list[str | None]] = field(default_factory=list)
    cells: list[tuple[str | None, ...]] = field(default_factory=list)
    counts: dict[int, np.ndarray] = field(default_factory=dict)
    _value_ids: list[dict[str | None, int]] = field(default_factory=list, repr=False)
    _codes: np.ndarray = field(default_factory=lambda: np.zeros(0, np.int64), repr=False)
    _sorted: tuple[np.ndarray, np.ndarray] | None = field(default=None, repr=False)

    def __post_init__(self) -> None:
        bad = [d for d in self.dims if d not in DIMENSIONS]
        if bad or not self.dims or len(set(self.dims)) != len(self.dims) or len(self.dims) * _BITS > 63:
            raise ArgumentError(f"a cube is cut by 1 to 4 distinct fields of {', '.join(DIMENSIONS)}, got {self.dims}")
        if self.period not in PERIODS:
            raise ArgumentError(f"a cube's period is one of {', '.join(PERIODS)}, got {self.period!r}")
        unknown = [g for g in self.groups if g not in GROUPS]
        if unknown or not self.groups:
            raise ArgumentError(f"measure groups are {', '.join(GROUPS)}, got {self.groups}")
        if any(r not in self.dims for r in self.required):
            raise ArgumentError(f"required fields {self.required} must be dimensions of the cube {self.dims}")
        if not self.values:
            self.values = [[] for _ in self.dims]
            self._value_ids = [{} for _ in self.dims]

    @property
    def measures(self) -> tuple[str, ...]:
        return tuple(m for g in self.groups for m in GROUPS[g])

    def same_shape(self, other: Cube) -> bool:
        return (self.dims, self.groups, self.period, self.required) == (other.dims, other.groups, other.period,
                                                                        other.required)

    # ------------------------------------------------------------ cells

    def value_ids(self, dim: int, values: Iterable[str | None]) -> np.ndarray:
        """Ids of values of dimension ``dim``, adding the new ones."""
        ids, known, out = self._value_ids[dim], self.values[dim], []
        for v in values:
            i = ids.get(v)
            if i is None:
                i = ids[v] = len(known)
                if i >= 1 << _BITS:
                    raise DataError(f"more than {(1 << _BITS) - 1} distinct values of {self.dims[dim]!r}")
                known.append(v)
            out.append(i)
        return np.array(out, dtype=np.int64)

    def cell_ids(self, codes: np.ndarray) -> np.ndarray:
        """Cell ids of distinct cell codes (value ids packed ``_BITS`` bits each), adding new cells."""
        if self._sorted is None:
            order = np.argsort(self._codes, kind="stable")
            self._sorted = (self._codes[order], order)
        keys, order = self._sorted
        pos = np.searchsorted(keys, codes)
        found = pos < keys.size
        found[found] = keys[pos[found]] == codes[found]
        out = np.empty(codes.size, dtype=np.int64)
        out[found] = order[pos[found]]
        new = np.flatnonzero(~found)
        if new.size:
            first = len(self.cells)
            out[new] = np.arange(first, first + new.size)
            self._codes = np.concatenate([self._codes, codes[new]])
            mask = (1 << _BITS) - 1
            for code in codes[new].tolist():
                self.cells.append(tuple(self.values[d][(code >> (_BITS * d)) & mask] for d in range(len(self.dims))))
            self._sorted = None
        return out

    def cells_of(self, columns: Sequence[tuple[Sequence[str | None], np.ndarray]]) -> np.ndarray:
        """Cell ids of combinations given per dimension as (values, the index of each combination's
        value in them), e.g. a batch's dictionary and indices; new cells are added (for counters
        that find their cells themselves)."""
        code = np.zeros(len(columns[0][1]), dtype=np.int64)
        for d, (values, index) in enumerate(columns):
            code |= self.value_ids(d, values)[index] << (_BITS * d)
        return self.cell_ids(code)

    def _block(self, period: int) -> np.ndarray:
        arr = self.counts.get(period)
        n = len(self.cells)
        if arr is None or arr.shape[0] < n:
            grown = np.zeros((n, len(self.measures)), dtype=np.int64)
            if arr is not None:
                grown[: arr.shape[0]] = arr
            arr = self.counts[period] = grown
        return arr

    def add(self, first_period: int, cells: np.ndarray, block: np.ndarray) -> None:
        """Add a (periods x len(cells) x measures) block whose periods start at ``first_period``."""
        for i in np.flatnonzero(block.reshape(block.shape[0], -1).any(axis=1)).tolist():
            self._block(first_period + i)[cells] += block[i]

    def merge(self, other: Cube) -> Cube:
        """Add another cube of the same dimensions, groups and period into this one; returns self."""
        if not self.same_shape(other):
            raise ValueError(f"cannot merge a cube by {other.dims}/{other.groups}/{other.period} "
                             f"into one by {self.dims}/{self.groups}/{self.period}")
        if not other.cells:
            return self
        maps = [self.value_ids(d, other.values[d]) for d in range(len(self.dims))]
        codes = np.zeros(len(other.cells), dtype=np.int64)
        mask = (1 << _BITS) - 1
        for d, m in enumerate(maps):
            codes |= m[(other._codes >> (_BITS * d)) & mask] << (_BITS * d)
        ids = self.cell_ids(codes)
        for period, arr in other.counts.items():
            self._block(period)[ids[: arr.shape[0]]] += arr
        return self

    # ------------------------------------------------------------ reading

    def periods(self) -> list[int]:
        return sorted(p for p, arr in self.counts.items() if arr.any())

    def label(self, period: int) -> str:
        return month_label(period) if self.period == "month" else day_label(period)

    def column(self, dim: str) -> list[str | None]:
        """The value of ``dim`` of every cell, in cell order."""
        d = self.dims.index(dim)
        return [c[d] for c in self.cells]

    def matrix(self, periods: Sequence[int], measure: str) -> np.ndarray:
        """(cells x periods) counts of one measure (zero where a period has none)."""
        j = self.measures.index(measure)
        out = np.zeros((len(self.cells), len(periods)), dtype=np.int64)
        for k, p in enumerate(periods):
            arr = self.counts.get(p)
            if arr is not None:
                out[: arr.shape[0], k] = arr[:, j]
        return out

    def value_matrix(self) -> np.ndarray:
        """(cells x dims) value ids of every cell (``values[d][id]`` is the value)."""
        mask = (1 << _BITS) - 1
        return np.stack([(self._codes >> (_BITS * d)) & mask for d in range(len(self.dims))], axis=1)

    def totals(self, periods: Iterable[int], by: Sequence[str] = ()) -> dict[tuple[str | None, ...], dict[str, int]]:
        """Counts summed over ``periods`` and over every dimension not in ``by``, keyed by the
        values of ``by`` (a tuple; ``()`` for the grand total); every group with a cell is listed."""
        idx = [self.dims.index(b) for b in by]
        sums = np.zeros((len(self.cells), len(self.measures)), dtype=np.int64)
        for p in periods:
            arr = self.counts.get(p)
            if arr is not None:
                sums[: arr.shape[0]] += arr
        if not idx:
            return {(): dict(zip(self.measures, map(int, sums.sum(axis=0))))}
        ids = self.value_matrix()[:, idx]
        code = np.zeros(len(self.cells), dtype=np.int64)
        for j in range(len(idx)):
            code |= ids[:, j] << (_BITS * j)
        uniq, inverse = np.unique(code, return_inverse=True)
        out = np.stack([np.bincount(inverse, weights=sums[:, j], minlength=uniq.size)
                        for j in range(len(self.measures))], axis=1).round().astype(np.int64)
        mask = (1 << _BITS) - 1
        keys = [tuple(self.values[d][(c >> (_BITS * j)) & mask] for j, d in enumerate(idx)) for c in uniq.tolist()]
        return {key: dict(zip(self.measures, map(int, row))) for key, row in zip(keys, out)}

    def to_records(self) -> list[dict[str, Any]]:
        """Flat records (period, one key per dimension, counts) of every non-empty cell."""
        out = []
        for p in self.periods():
            arr = self.counts[p]
            for i in np.flatnonzero(arr.any(axis=1)):
                rec: dict[str, Any] = {"period": self.label(p), **dict(zip(self.dims, self.cells[i]))}
                rec.update(zip(self.measures, map(int, arr[i])))
                out.append(rec)
        return out

    @classmethod
    def from_records(cls, dims: Sequence[str], groups: Sequence[str], period: str,
                     records: Iterable[dict[str, Any]], required: Sequence[str] = ()) -> Cube:
        """The inverse of :meth:`to_records`."""
        cube = cls(tuple(dims), tuple(groups), period, tuple(required))
        parse = parse_month if period == "month" else parse_day
        for rec in records:
            code = 0
            for d, dim in enumerate(cube.dims):
                code |= int(cube.value_ids(d, [rec.get(dim)])[0]) << (_BITS * d)
            (cell,) = cube.cell_ids(np.array([code], dtype=np.int64))
            row = cube._block(parse(rec["period"]))
            row[cell] += np.array([int(rec.get(m, 0)) for m in cube.measures], dtype=np.int64)
        return cube


# ---------------------------------------------------------------- the batch reducer

class CubeCounter:
    """Reduces batches of cases to one or more cubes in one pass (the per-row work they share,
    periods and answer patterns, is done once per batch; each cube's cells only for the rows its
    measures count)."""

    def __init__(self, profile: Profile, cubes: Sequence[Cube], *, periods: Iterable[int] | None = None,
                 response: bool = True) -> None:
        if not cubes or len({c.period for c in cubes}) != 1:
            raise ArgumentError("a counter fills one or more cubes with the same period")
        self.profile, self.zone = profile, profile.zone
        self.response = response  # False: the response rate is not wanted, its columns are not read
        self.cubes = [Cube(c.dims, c.groups, c.period, c.required) for c in cubes]
        self.period = cubes[0].period
        self.periods = None if periods is None else np.array(sorted(set(periods)), dtype=np.int64)
        self.groups = {g for c in self.cubes for g in c.groups}
        self.reasons = frozenset(profile.scoring.exclusion_reasons)
        self._scorer = Scorer(profile, "unit", with_requests=False)  # its rules for the answers

    @property
    def aggregate(self) -> list[Cube]:
        """The cubes (named like Scorer's result so the same parallel counting drives both)."""
        return self.cubes

    @property
    def columns(self) -> list[str]:
        """The only columns the counting reads."""
        cols = ["disposition"]
        for c in self.cubes:
            cols += c.dims
        if self.groups & {"cases", "requests", "disputes"}:
            cols.append("received_at")
        if self.groups & {"requests", "disputes"}:
            cols += ["excluded", "exclusion_reason"]
        if "scores" in self.groups:
            contact = {"contacted", "request_type", "dispatched_at", "first_contact_at"}
            cols += [c for c in self._scorer.columns if c != "unit" and (self.response or c not in contact)]
        if "disputes" in self.groups:
            cols += ["objections", "objection_upheld"]
        return list(dict.fromkeys(cols))

    def _when(self, us: np.ndarray) -> tuple[np.ndarray, int]:
        return months_of(us, self.zone) if self.period == "month" else days_of(us, self.zone)

    def _periods(self, us: np.ndarray, ok: np.ndarray | None, rows: np.ndarray) -> tuple[np.ndarray, np.ndarray, int]:
        """(kept rows, their period relative to the first, first period) of rows with a time."""
        if ok is not None:
            rows = rows[ok[rows]]
        rel, lo = self._when(us[rows])
        if self.periods is not None and rows.size:
            allowed = np.isin(np.arange(lo, lo + int(rel.max()) + 1), self.periods)  # a table, not a sort
            if not allowed.all():
                keep = allowed[rel]
                rows, rel = rows[keep], rel[keep]
        return rows, rel, lo

    def add(self, table: pa.Table) -> None:
        """Count one batch (a table holding at least :attr:`columns`, canonical types)."""
        if table.num_rows == 0:
            return
        n = table.num_rows
        dispatched = DictColumn(table.column("disposition")).equals("dispatched")
        batch = _Batch(table)
        if self.groups & {"cases", "requests", "disputes"}:
            us, ok = timestamps_us(table.column("received_at"))
            if "cases" in self.groups:
                rows, rel, lo = self._periods(us, ok, np.arange(n))
                if rows.size:
                    self._count("cases", batch, rows, rel, lo, np.zeros(rows.size, np.int64), 1, _ONE)
                if self.groups & {"requests", "disputes"}:  # only they count the dispatched cases
                    keep = dispatched[rows]
                    rows, rel = rows[keep], rel[keep]
            else:
                rows, rel, lo = self._periods(us, ok, np.flatnonzero(dispatched))
            if rows.size and self.groups & {"requests", "disputes"}:
                excluded, _ = bool_parts(table.column("excluded"))
                reason = DictColumn(table.column("exclusion_reason"))
                if "requests" in self.groups:
                    repeat = repeats(excluded, reason, rows)
                    self._count("requests", batch, rows, rel, lo, repeat.astype(np.int64), 2, _REQUESTS)
                if "disputes" in self.groups:
                    self._disputes(table, batch, rows, rel, lo, excluded, reason)
        if "scores" in self.groups:
            us, ok = timestamps_us(table.column("callback_at"))
            rows, rel, lo = self._periods(us, ok, np.flatnonzero(dispatched))
            if rows.size:
                self._count("scores", batch, rows, rel, lo, self._scorer.patterns(table, rows, response=self.response), PATTERNS, _SCORE_MATRIX)

    def _count(self, group: str, batch: _Batch, rows: np.ndarray, rel: np.ndarray, lo: int, code: np.ndarray,
               n_codes: int, matrix: np.ndarray) -> None:
        for cube in self.cubes:
            if group in cube.groups:
                batch.count(cube, group, rows, rel, lo, code, n_codes, matrix)

    def _disputes(self, table: pa.Table, batch: _Batch, rows: np.ndarray, rel: np.ndarray, lo: int,
                  excluded: np.ndarray, reason: DictColumn) -> None:
        col = table.column("objections")
        arr = col.combine_chunks() if isinstance(col, pa.ChunkedArray) else col
        objections = np.asarray(arr.fill_null(0).to_numpy(zero_copy_only=False), dtype=np.int64)[rows]
        upheld, _ = bool_parts(table.column("objection_upheld"))
        which = reason.lookup(reason.table(lambda v: EXCLUSION_REASONS.index(v) if v in EXCLUSION_REASONS else -1,
                                           np.int64), rows)
        which = np.where(excluded[rows], which, -1)
        values = np.stack([objections > 0, objections, objections >= 2, upheld[rows],
                           *(which == k for k in range(len(EXCLUSION_REASONS)))], axis=1).astype(np.int64)
        for cube in self.cubes:
            if "disputes" in cube.groups:
                batch.sum(cube, "disputes", rows, rel, lo, values)


def repeats(excluded: np.ndarray, reason: DictColumn, rows: np.ndarray) -> np.ndarray:
    """Which of ``rows`` (dispatched cases) are repeats: excluded as duplicates, the only repeat a
    case record shows. ``excluded`` is the batch's true-mask of ``excluded``."""
    return excluded[rows] & reason.lookup(reason.table(lambda v: v == "duplicate", bool), rows)


_ONE = np.ones((1, 1), dtype=np.int64)
_DIRECT_BINS = 1 << 22  # bincount over every local cell when that is at most this many bins
_REQUESTS = np.array([[1, 0], [1, 1]], dtype=np.int64)  # code 1: a repeat


class _Batch:
    """One batch's dimension columns, read as dictionaries once, and the cells of the rows a cube counts."""

    def __init__(self, table: pa.Table) -> None:
        self.table = table
        self._cols: dict[str, DictColumn] = {}
        self._codes: dict[tuple[str, int], tuple[np.ndarray, np.ndarray]] = {}

    def col(self, name: str) -> DictColumn:
        d = self._cols.get(name)
        if d is None:
            d = self._cols[name] = DictColumn(self.table.column(name))
        return d

    def codes(self, name: str, rows: np.ndarray) -> np.ndarray:
        """The dictionary index of ``rows`` in column ``name`` (null: one past the last value), once
        per row selection (cubes counting the same rows share it)."""
        key = (name, id(rows))
        hit = self._codes.get(key)
        if hit is not None and hit[0] is rows:  # the cache holds ``rows``, so its id is not reused
            return hit[1]
        d = self.col(name)
        out = d.idx[rows]
        if d.valid is not None:  # a null slot may hold any index
            out[~d.valid[rows]] = len(d.values)
        self._codes[key] = (rows, out)
        return out

    def local(self, cube: Cube, rows: np.ndarray) -> tuple[np.ndarray, list[DictColumn], list[int], int]:
        """Each row's local cell: its dimensions' dictionary indices in mixed radix (null included)."""
        cols = [self.col(d) for d in cube.dims]
        sizes = [len(c.values) + 1 for c in cols]  # + the null slot
        radix = int(np.prod(sizes))
        dtype = np.int32 if radix < 1 << 24 else np.int64
        local = self.codes(cube.dims[0], rows).astype(dtype)
        step = sizes[0]
        for d, size in zip(cube.dims[1:], sizes[1:]):
            local += self.codes(d, rows).astype(dtype) * dtype(step)
            step *= size
        return local, cols, sizes, radix

    @staticmethod
    def cells(cube: Cube, cols: list[DictColumn], sizes: list[int], uniq: np.ndarray) -> np.ndarray:
        """The cube's cell id of each local cell in ``uniq`` (dimension indices -> value ids, packed)."""
        code = np.zeros(uniq.size, dtype=np.int64)
        rest = uniq.copy()
        for d, (col, size) in enumerate(zip(cols, sizes)):
            ids = cube.value_ids(d, [*col.values, None])
            code |= ids[rest % size] << (_BITS * d)
            rest //= size
        return cube.cell_ids(code)

    def required_rows(self, cube: Cube, rows: np.ndarray, rel: np.ndarray, extra: np.ndarray
                      ) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
        """Only the rows whose ``cube.required`` fields are not null (all rows when none is)."""
        for name in cube.required:
            valid = self.col(name).valid
            if valid is None:
                continue
            keep = valid[rows]
            rows, rel, extra = rows[keep], rel[keep], extra[keep]
        return rows, rel, extra

    def compact(self, cube: Cube, rows: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        """(compact cell of each of ``rows``, the cube's cell id of each compact cell)."""
        local, cols, sizes, radix = self.local(cube, rows)
        local = local.astype(np.int64, copy=False)
        if radix <= 1 << 24:
            present = np.bincount(local, minlength=radix) > 0
            uniq = np.flatnonzero(present)
            inverse = (np.cumsum(present) - 1)[local]
        else:
            uniq, inverse = np.unique(local, return_inverse=True)
        return inverse, self.cells(cube, cols, sizes, uniq)

    def count(self, cube: Cube, group: str, rows: np.ndarray, rel: np.ndarray, lo: int, code: np.ndarray,
              n_codes: int, matrix: np.ndarray) -> None:
        """bincount of (period, cell, code), turned into the group's measures by ``matrix``. When the
        batch's dictionaries are small the bincount runs over every local cell directly (no
        compaction pass); otherwise over the cells present only."""
        rows, rel, code = self.required_rows(cube, rows, rel, code)
        if rows.size == 0:
            return
        n_periods = int(rel.max()) + 1
        local, cols, sizes, radix = self.local(cube, rows)
        if n_periods * radix * n_codes <= _DIRECT_BINS:
            key = rel.astype(np.int32) if rel.dtype != np.int32 else rel.copy()
            key *= np.int32(radix)
            key += local
            key *= np.int32(n_codes)
            key += code.astype(np.int32, copy=False)
            hist = np.bincount(key, minlength=n_periods * radix * n_codes)
            hist = hist.reshape(n_periods, radix, n_codes)
            present = np.flatnonzero(hist.any(axis=(0, 2)))
            ids = self.cells(cube, cols, sizes, present)
            hist = hist[:, present, :]
        else:
            inverse, ids = self.compact(cube, rows)
            hist = np.bincount((rel * ids.size + inverse) * n_codes + code, minlength=n_periods * ids.size * n_codes)
        block = hist.reshape(-1, n_codes) @ matrix if n_codes > 1 else hist.reshape(-1, 1)
        _add(cube, group, lo, ids, block.reshape(n_periods, ids.size, -1))

    def sum(self, cube: Cube, group: str, rows: np.ndarray, rel: np.ndarray, lo: int, values: np.ndarray) -> None:
        """Sums of per-row ``values`` (rows x measures) per (period, cell)."""
        rows, rel, values = self.required_rows(cube, rows, rel, values)
        if rows.size == 0:
            return
        inverse, ids = self.compact(cube, rows)
        k = ids.size
        n_periods = int(rel.max()) + 1
        group_of = rel * k + inverse
        block = np.stack([np.bincount(group_of, weights=values[:, j], minlength=n_periods * k)
                          for j in range(values.shape[1])], axis=1).round().astype(np.int64)
        _add(cube, group, lo, ids, block.reshape(n_periods, k, -1))


def _add(cube: Cube, group: str, lo: int, ids: np.ndarray, block: np.ndarray) -> None:
    """Add a group's (periods x cells x its measures) block to the cube's columns of that group."""
    if block.shape[2] == len(cube.measures):
        cube.add(lo, ids, block)
        return
    start = cube.measures.index(GROUPS[group][0])
    full = np.zeros((*block.shape[:2], len(cube.measures)), dtype=np.int64)
    full[:, :, start:start + block.shape[2]] = block
    cube.add(lo, ids, full)


def count(inputs: Sequence[str | Path | Source], cubes: Sequence[Cube], *, profile: Profile | str | Path | None = None,
          periods: Iterable[int] | None = None, response: bool = True, workers: int = 2,
          naive_timezone: str | None = None, scheduler: Any = None, progress: ProgressCallback | None = None) -> list[Cube]:
    """Stream the inputs once and fill empty copies of ``cubes`` (only ``periods`` kept when
    given); Parquet row groups are counted by ``workers`` threads into partial cubes that are
    merged at the end, as :func:`jiesu.scoring.aggregate` does. With ``scheduler`` every row
    group is a task on a Dask cluster and the partial cubes merge there
    (:func:`jiesu.distributed.map_reduce`): an analysis passes ``scheduler=`` on to get it.
    ``naive_timezone``: the zone of zone-less Parquet timestamps (see :func:`jiesu.score`)."""
    profile = load_profile(profile)
    periods = None if periods is None else list(periods)
    if scheduler is not None:
        from .. import distributed

        make = partial(CubeCounter, profile, cubes, periods=periods, response=response)
        return distributed.map_reduce(inputs, columns=make().columns, make=make, finish=_cubes_of,
                                      merge=merged_cubes, naive_timezone=naive_timezone,
                                      scheduler=scheduler)
    sources = as_sources(inputs, naive_timezone=naive_timezone)

    def counter() -> CubeCounter:
        return CubeCounter(profile, cubes, periods=periods, response=response)

    def merge(result: CubeCounter, parts: list[Cube]) -> None:
        for mine, part in zip(result.cubes, parts):
            mine.merge(part)

    return reduce_sources(sources, counter, merge, workers=workers, progress=progress).cubes


def _cubes_of(counter: CubeCounter) -> list[Cube]:
    return counter.cubes


def merged_cubes(*parts: list[Cube]) -> list[Cube]:
    """New cubes holding the sums of partial cubes (each part a list of cubes in the same order)."""
    out = [Cube(c.dims, c.groups, c.period, c.required) for c in parts[0]]
    for part in parts:
        for mine, theirs in zip(out, part):
            mine.merge(theirs)
    return out


def period_range(first: int, last: int) -> list[int]:
    if last < first:
        raise ArgumentError("the period ends before it starts (--to is before --from)")
    return list(range(first, last + 1))


__all__ = ["DIMENSIONS", "GROUPS", "PERIODS", "SCORE_MEASURES", "Cube", "CubeCounter", "count", "period_range",
           "repeats"]
