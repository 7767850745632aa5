"""The report's one pass over the cases: every count the page needs, from one look at each batch.

What is counted (over the months the report needs):

- per (month, unit) and per (month, district-tier unit, territorially): dispatched requests by the
  month received and the answer patterns by the month of the callback: the two
  :class:`jiesu.scoring.Aggregate` that ``rank`` builds (``rank_rows`` ranks them);
- per category, the answers of the report's month: what ``topics track`` rates;
- ``topics track``'s volume cube (:data:`jiesu.analysis.tracking.VOLUME`): dispatched requests and
  repeats per (month received, category, street);
- ``warn``'s volume cube (:data:`jiesu.analysis.warn.VOLUME`): every case received per (month,
  category, street, district).

The rules are the commands' own: :meth:`jiesu.scoring.Scorer.patterns` (scored or not, and the
answers), :meth:`jiesu.scoring.Scorer.keys` (a case's unit, territory or category) and
:func:`jiesu.analysis.cube.repeats`; the cubes are :class:`jiesu.analysis.cube.Cube` objects equal
to what ``jiesu.analysis.cube.count`` fills (a test compares them). What is shared is the per-row
work: each batch's dictionary codes, months and answer patterns are worked out once, and each
count is one ``numpy.bincount`` over the months present in the batch.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass
from functools import partial
from typing import Any

import numpy as np
import pyarrow as pa

from ..analysis import tracking, warn
from ..analysis.cube import Cube, repeats
from ..io.cases import total_rows
from ..io.sources import Source
from ..months import months_of
from ..profile import Profile
from ..progress import ProgressCallback
from ..scoring import (
    MEASURES,
    PATTERN_MATRIX,
    PATTERNS,
    TERRITORY,
    Aggregate,
    DictColumn,
    Scorer,
    bool_parts,
    reduce_sources,
    timestamps_us,
)
from ..timeliness import TimelinessAggregate, TimelinessScorer


@dataclass
class InputFile:
    path: str
    format: str
    rows: int


@dataclass
class ReportCounts:
    """The counts of one pass (mergeable: two parts of the data add up to the whole)."""

    by_unit: Aggregate
    by_territory: Aggregate
    #: answers per category, of the report's month only
    by_category: Aggregate
    #: shaped like :data:`jiesu.analysis.tracking.VOLUME`
    topic_volume: Cube
    #: shaped like :data:`jiesu.analysis.warn.VOLUME`
    volume: Cube
    #: timeliness per (month received, unit) and per (month, district-tier unit), when the profile
    #: ranks on it (``scoring.metrics = "timeliness"``: data without callbacks)
    on_time_by_unit: TimelinessAggregate | None = None
    on_time_by_territory: TimelinessAggregate | None = None

    def merge(self, other: ReportCounts) -> ReportCounts:
        for name in ("by_unit", "by_territory", "by_category", "topic_volume", "volume", "on_time_by_unit",
                     "on_time_by_territory"):
            mine = getattr(self, name)
            if mine is not None:
                mine.merge(getattr(other, name))
        return self


def _codes(col: DictColumn, wide: bool = False) -> np.ndarray:
    """Every row's dictionary index, null as one past the last value (int32 unless ``wide``)."""
    idx = col.idx.astype(np.int64 if wide else np.int32)
    if col.valid is not None:
        idx[~col.valid] = len(col.values)
    return idx


class ReportCounter:
    """Reduces batches of cases to :class:`ReportCounts` for ``month`` and the ``months`` it needs."""

    def __init__(self, profile: Profile, months: Sequence[int], month: int, as_of: int | None = None) -> None:
        self.zone, self.month = profile.zone, month
        self.wanted = frozenset(months)
        self.scorers = (Scorer(profile, "unit"), Scorer(profile, TERRITORY),
                        Scorer(profile, "category", with_requests=False))
        # a profile that ranks on timeliness: its own scorers (``jiesu.timeliness``), judged at ``as_of``
        self.timely = () if as_of is None else tuple(
            TimelinessScorer(profile, by, as_of=as_of, months=months) for by in ("unit", TERRITORY))
        self.counts = ReportCounts(*(s.aggregate for s in self.scorers),
                                   topic_volume=Cube(tracking.VOLUME.dims, tracking.VOLUME.groups),
                                   volume=Cube(warn.VOLUME.dims, warn.VOLUME.groups),
                                   **dict(zip(("on_time_by_unit", "on_time_by_territory"),
                                              (t.aggregate for t in self.timely))))

    @property
    def columns(self) -> list[str]:
        """The only columns the counting reads."""
        cols = [c for s in (*self.scorers, *self.timely) for c in s.columns]
        return list(dict.fromkeys([*cols, "category", "street", "district", "received_at"]))

    @property
    def aggregate(self) -> ReportCounts:
        """The counts (named like Scorer's, so the same parallel counting drives this counter)."""
        return self.counts

    def _months(self, us: np.ndarray, ok: np.ndarray | None, rows: np.ndarray | None
                ) -> tuple[np.ndarray | None, np.ndarray, list[int]]:
        """(the positions in ``rows`` (or among all rows) of those with a time in a wanted month,
        None for all of them; the index of each one's month in the list of those present; the
        list): a batch may span a year, and counts are kept for its months only."""
        pos = None if ok is None or ok.all() else np.flatnonzero(ok if rows is None else ok[rows])
        times = us if rows is None else us[rows]
        rel, lo = months_of(times if pos is None else times[pos], self.zone)
        if rel.size == 0:
            return np.zeros(0, np.int64), rel, []
        seen = np.bincount(rel)
        present = [int(k) for k in np.flatnonzero(seen) if lo + int(k) in self.wanted]
        if len(present) < np.count_nonzero(seen):
            keep = np.isin(rel, present)
            pos = np.flatnonzero(keep) if pos is None else pos[keep]
            rel = rel[keep]
        index = np.zeros(seen.size, dtype=np.int64)
        index[present] = np.arange(len(present))
        return pos, index[rel], [lo + k for k in present]

    def add(self, table: pa.Table) -> None:
        """Count one batch (a table holding at least :attr:`columns`, canonical types)."""
        if table.num_rows == 0:
            return
        for scorer in self.timely:
            scorer.add(table)
        cat, street, district = (DictColumn(table.column(c)) for c in ("category", "street", "district"))
        n_street, n_district = len(street.values) + 1, len(district.values) + 1
        # every row's (category, street, district) as one code: warn's cells
        wide = (len(cat.values) + 1) * n_street * n_district >= 1 << 31
        csd = _codes(cat, wide)
        for col, size in ((street, n_street), (district, n_district)):
            csd *= size
            csd += _codes(col, wide)
        received_us, received_ok = timestamps_us(table.column("received_at"))
        pos, which, months = self._months(received_us, received_ok, None)
        if which.size:
            self._volume(csd if pos is None else csd[pos], which, months, (cat, street, district))
        dispatched = DictColumn(table.column("disposition")).equals("dispatched")
        every = np.flatnonzero(dispatched)
        if every.size == 0:
            return
        # once per dispatched case, for requests and answers alike
        unit_key, territory_key = self.scorers[0].keys(table, every), self.scorers[1].keys(table, every)
        # dispatched cases received in a wanted month: requests (rank) and topic volume (track)
        if pos is None:  # every case: the dispatched ones are ``every``
            at, d_which = None, which[every]
        else:
            received = np.zeros(table.num_rows, dtype=bool)
            received[pos] = True
            at = np.flatnonzero(received[every])
            d_which = np.zeros(table.num_rows, dtype=np.int64)
            d_which[pos] = which
            d_which = d_which[every[at]]
        if d_which.size:
            d_rows = every if at is None else every[at]
            keys = (unit_key, territory_key) if at is None else (unit_key[at], territory_key[at])
            self._count(keys, d_which, months, None, 1)
            self._topic_volume(table, d_rows, csd[d_rows] // n_district, d_which, months, (cat, street))
        # dispatched cases called back in a wanted month: the answers
        callback_us, callback_ok = timestamps_us(table.column("callback_at"))
        at, which, months = self._months(callback_us, callback_ok, every)
        if which.size:
            rows = every if at is None else every[at]
            patterns = self.scorers[0].patterns(table, rows)
            keys = (unit_key, territory_key) if at is None else (unit_key[at], territory_key[at])
            self._count(keys, which, months, patterns, PATTERNS)
            if self.month in months:  # topics track rates the answers of its month only
                now = which == months.index(self.month)
                category = self.scorers[2].keys(table, rows[now])
                k = len(self.scorers[2].aggregate.keys)
                hist = np.bincount(category * PATTERNS + patterns[now], minlength=k * PATTERNS)
                _add(self.scorers[2].aggregate, [self.month], hist.reshape(1, k, PATTERNS))

    def _count(self, keys: tuple[np.ndarray, np.ndarray], which: np.ndarray, months: list[int],
               code: np.ndarray | None, n_codes: int) -> None:
        """One bincount per grouping (unit, territory) over (month, key, code); requests when
        ``code`` is None."""
        for scorer, key in zip(self.scorers, keys):
            k = len(scorer.aggregate.keys)
            group = which * k + key
            if code is not None:
                group *= n_codes
                group += code
            if key.size and key.min() < 0:  # cases that count for no territory
                group = group[key >= 0]
            hist = np.bincount(group, minlength=len(months) * k * n_codes)
            _add(scorer.aggregate, months, hist.reshape(len(months), k, n_codes))

    def _volume(self, cells: np.ndarray, which: np.ndarray, months: list[int],
                cols: tuple[DictColumn, DictColumn, DictColumn]) -> None:
        """Every case received per (month, category, street, district) into warn's cube."""
        sizes = [len(c.values) + 1 for c in cols]
        present, local = _compact(cells, int(np.prod(sizes)))
        hist = np.bincount(which * present.size + local, minlength=len(months) * present.size)
        cat, rest = np.divmod(present, sizes[1] * sizes[2])
        st, di = np.divmod(rest, sizes[2])
        ids = self.counts.volume.cells_of([([*cols[0].values, None], cat), ([*cols[1].values, None], st),
                                           ([*cols[2].values, None], di)])
        hist = hist.reshape(len(months), present.size, 1)
        for i, month in enumerate(months):
            self.counts.volume.add(month, ids, hist[i:i + 1])

    def _topic_volume(self, table: pa.Table, rows: np.ndarray, cells: np.ndarray, which: np.ndarray,
                      months: list[int], cols: tuple[DictColumn, DictColumn]) -> None:
        """Dispatched requests and repeats per (month received, category, street) into track's cube."""
        excluded, _ = bool_parts(table.column("excluded"))
        repeat = np.zeros(rows.size, dtype=np.int64)
        ex = np.flatnonzero(excluded[rows])  # few: look their reasons up only
        if ex.size:
            repeat[ex] = repeats(excluded, DictColumn(table.column("exclusion_reason")), rows[ex])
        present, local = _compact(cells, (len(cols[0].values) + 1) * (len(cols[1].values) + 1))
        hist = np.bincount((which * present.size + local) * 2 + repeat, minlength=len(months) * present.size * 2)
        hist = hist.reshape(len(months), present.size, 2)
        cat, st = np.divmod(present, len(cols[1].values) + 1)
        ids = self.counts.topic_volume.cells_of([([*cols[0].values, None], cat), ([*cols[1].values, None], st)])
        block = np.stack([hist[:, :, 0] + hist[:, :, 1], hist[:, :, 1]], axis=2)  # requests, repeats
        for i, month in enumerate(months):
            self.counts.topic_volume.add(month, ids, block[i:i + 1])


def _compact(codes: np.ndarray, radix: int) -> tuple[np.ndarray, np.ndarray]:
    """(the distinct codes present, sorted; each code's place among them): by a table when the
    codes' range is small, by sorting otherwise (a city with thousands of categories)."""
    if radix <= 1 << 24:
        present = np.flatnonzero(np.bincount(codes, minlength=radix))
        place = np.empty(radix, dtype=np.int64)
        place[present] = np.arange(present.size)
        return present, place[codes]
    present, local = np.unique(codes, return_inverse=True)
    return present, local.reshape(-1)


def _add(agg: Aggregate, months: list[int], hist: np.ndarray) -> None:
    """Add a (months x keys x codes) histogram: codes are answer patterns, or one (requests)."""
    n_months, k, n_codes = hist.shape
    if n_codes == 1:
        block = np.zeros((n_months, k, len(MEASURES)), dtype=np.int64)
        block[:, :, MEASURES.index("requests")] = hist[:, :, 0]
    else:
        block = (hist.reshape(-1, n_codes) @ PATTERN_MATRIX).reshape(n_months, k, len(MEASURES))
    for i, month in enumerate(months):
        agg.add(month, block[i:i + 1])


def count_report(sources: Sequence[Source], profile: Profile, months: Sequence[int], month: int,
                 progress: ProgressCallback | None = None, *, as_of: int | None = None,
                 scheduler: Any = None) -> tuple[ReportCounts, list[InputFile]]:
    """One pass: every source streamed once through :func:`jiesu.scoring.reduce_sources` (Parquet
    row groups on two threads, each into its own partial counts, merged), its rows counted. With
    ``scheduler`` every row group is a task on a Dask cluster (:func:`jiesu.distributed.map_reduce`),
    the partial counts merge there in file order, and each task says how many rows it read."""
    if scheduler is not None:
        return _count_on_cluster(sources, profile, months, month, as_of, scheduler)
    total = total_rows(sources)
    done = 0
    counts: ReportCounts | None = None
    files = []
    for source in sources:
        rows = 0

        def seen(n: int, _total: int | None = None, before: int = done) -> None:
            nonlocal rows
            rows = n
            if progress is not None:
                progress(before + n, total)

        part = reduce_sources([source], lambda: ReportCounter(profile, months, month, as_of),
                              lambda result, other: result.counts.merge(other), progress=seen).counts
        counts = part if counts is None else counts.merge(part)
        done += rows
        files.append(InputFile(str(source.path), source.format, rows))
    assert counts is not None  # as_sources never gives an empty list
    return counts, files


def _count_on_cluster(sources: Sequence[Source], profile: Profile, months: Sequence[int], month: int,
                      as_of: int | None, scheduler: Any) -> tuple[ReportCounts, list[InputFile]]:
    from .. import distributed

    make = partial(ReportCounter, profile, list(months), month, as_of)
    counts, rows = distributed.map_reduce(sources, columns=make().columns, make=make, finish=_counts_of,
                                          merge=partial(_merged_counts, make), rows_by_source=True,
                                          scheduler=scheduler)
    read_as = distributed.for_workers(list(sources))
    return counts, [InputFile(str(s.path), s.format, rows.get(str(w.path), 0)) for s, w in zip(sources, read_as)]


def _counts_of(counter: ReportCounter) -> ReportCounts:
    return counter.counts


def _merged_counts(make: Callable[[], ReportCounter], *parts: ReportCounts) -> ReportCounts:
    """New counts holding the sum of ``parts`` (the parts untouched: a task may run again)."""
    out = make().counts
    for part in parts:
        out.merge(part)
    return out
