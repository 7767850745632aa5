"""Typed reading for scoring and ranking: only the columns asked for, in canonical types
(timestamps as timestamp[us, UTC], booleans, int64, strings or dictionaries), in bounded memory."""

from __future__ import annotations

from collections.abc import Callable, Iterator, Sequence
from functools import partial
from typing import TypeVar

import pyarrow as pa

from ..errors import DataError, InputError, brief
from ..schema import field_kinds
from .batch import ARROW_FOR_KIND, BATCH_ROWS, UTC_US, empty_table, timestamps_from_text
from .parquet_reader import COMPATIBLE, check_arrow_types, open_parquet
from .raw import iter_raw
from .sources import Source

T = TypeVar("T")
ROW_GROUP_LIMIT = 1 << 22  # read bigger Parquet row groups in slices so memory stays bounded


def iter_cases(sources: Sequence[Source], columns: Sequence[str], batch_rows: int = BATCH_ROWS) -> Iterator[pa.Table]:
    """Stream the named columns of every source with canonical types; absent columns are all-null.

    Timestamps become timestamp[us, UTC]; strings stay strings or dictionaries. A value that cannot
    be read in its field's type is a DataError naming the file and column (run ``jiesu validate``).
    """
    kinds = field_kinds().kind
    for source in sources:
        if source.format == "parquet":
            pf, wanted = open_parquet(source, columns)
            check_arrow_types(source, pa.schema([pf.schema_arrow.field(c) for c in wanted]))
            try:
                if wanted:
                    it = (pa.Table.from_batches([b]) for b in pf.iter_batches(batch_size=batch_rows, columns=wanted, use_threads=True))
                else:
                    it = (empty_table(min(batch_rows, pf.metadata.num_rows - s))
                          for s in range(0, pf.metadata.num_rows, batch_rows))
                for table in it:
                    yield canonical(table, columns, kinds, source)
            except (pa.ArrowInvalid, OSError) as exc:
                raise InputError(f"{source.path}: cannot read as PARQUET: {brief(exc)}") from None
        else:
            for raw in iter_raw(source, batch_rows):
                problems = [f for f in raw.type_errors if f in columns]
                if problems or raw.bad_rows:
                    what = problems[0] if problems else "a record"
                    raise DataError(f"{source.path}: {what!r} holds values of the wrong type; run `jiesu validate` first")
                yield canonical(raw.table, columns, kinds, source)


def canonical(table: pa.Table, columns: Sequence[str], kinds: dict[str, str], source: Source) -> pa.Table:
    n = table.num_rows
    out = {}
    for c in columns:
        kind = kinds[c]
        if c in table.column_names:
            col = table.column(c)
        else:
            col = pa.nulls(n, ARROW_FOR_KIND[kind] if kind != "date-time" else pa.timestamp("us", tz="UTC"))
        try:
            if kind == "date-time" and not pa.types.is_timestamp(col.type):
                col = pa.chunked_array([timestamps_from_text(c) for c in _chunks(col)], UTC_US)
            elif kind == "date-time":
                col = col.cast(UTC_US) if col.type.tz != "UTC" or col.type.unit != "us" else col
            elif kind == "boolean" and not pa.types.is_boolean(col.type):
                col = col.cast(pa.bool_())
            elif kind == "integer" and not pa.types.is_int64(col.type):
                col = col.cast(pa.int64())
        except (pa.ArrowInvalid, pa.ArrowNotImplementedError):
            raise DataError(f"{source.path}: column {c!r} holds values that are not {COMPATIBLE[kind]}; run `jiesu validate` first") from None
        out[c] = col
    return pa.table(out) if out else empty_table(n)


def _chunks(col: pa.ChunkedArray | pa.Array) -> list[pa.Array]:
    return list(col.chunks) if isinstance(col, pa.ChunkedArray) else [col]


def prefetch(batches: Iterator[T]) -> Iterator[T]:
    """Read the next batch in a background thread while the caller works on this one (Arrow and
    numpy release the GIL); at most two batches are in memory. Errors surface in the caller."""
    from concurrent.futures import ThreadPoolExecutor

    with ThreadPoolExecutor(max_workers=1) as pool:
        nxt = pool.submit(next, batches, None)
        while True:
            item = nxt.result()
            if item is None:
                return
            nxt = pool.submit(next, batches, None)
            yield item


def case_tables(sources: Sequence[Source], columns: Sequence[str], *, workers: int = 2) -> Iterator[pa.Table]:
    """Canonical tables of just ``columns``, in bounded memory.

    Parquet: one table per row group, strings as dictionaries, ``workers`` row groups decoded at
    once in background threads (each single-threaded: cheaper than splitting one row group's
    columns) while the caller works on the previous one; at most ``workers + 2`` row groups in
    memory. Other formats: through ``jiesu.iter_cases``, the next batch read while this one is used.
    """
    for source in sources:
        tasks = row_group_tasks(source, columns)
        yield from sequential_tables(source, columns) if tasks is None else _parallel(tasks, workers)


def row_group_tasks(source: Source, columns: Sequence[str]) -> list[Callable[[], pa.Table]] | None:
    """One reading task per row group of a Parquet source; None for other formats and for files
    with row groups too big to hold (those are read in slices, one after the other)."""
    if source.format != "parquet":
        return None
    pf, wanted = open_parquet(source, columns)
    check_arrow_types(source, pa.schema([pf.schema_arrow.field(c) for c in wanted]))
    meta = pf.metadata
    source.rows = meta.num_rows
    sizes = [meta.row_group(i).num_rows for i in range(pf.num_row_groups)]
    if max(sizes, default=0) > ROW_GROUP_LIMIT:
        return None
    threads = len(sizes) == 1
    return [partial(_read_row_group, source, columns, i, rows, threads) for i, rows in enumerate(sizes)]


def sequential_tables(source: Source, columns: Sequence[str]) -> Iterator[pa.Table]:
    """One source's canonical tables one after the other, the next read while this one is used."""
    if source.format == "parquet":
        return prefetch(_sliced_row_groups(source, columns))
    return prefetch(iter_cases([source], columns))


def _read_row_group(source: Source, columns: Sequence[str], index: int, rows: int, threads: bool) -> pa.Table:
    """One row group of a Parquet file as a canonical table (its own reader: safe across threads)."""
    pf, wanted = open_parquet(source, columns)
    try:
        table = pf.read_row_group(index, columns=wanted, use_threads=threads) if wanted else empty_table(rows)
    except (pa.ArrowInvalid, OSError) as exc:
        raise InputError(f"{source.path}: cannot read as PARQUET: {brief(exc)}") from None
    return canonical(table, columns, field_kinds().kind, source)


def _sliced_row_groups(source: Source, columns: Sequence[str]) -> Iterator[pa.Table]:
    pf, wanted = open_parquet(source, columns)
    kinds = field_kinds().kind
    try:
        for i in range(pf.num_row_groups):
            if not wanted:
                yield canonical(empty_table(pf.metadata.row_group(i).num_rows), columns, kinds, source)
                continue
            for b in pf.iter_batches(batch_size=BATCH_ROWS, row_groups=[i], columns=wanted, use_threads=True):
                yield canonical(pa.Table.from_batches([b]), columns, kinds, source)
    except (pa.ArrowInvalid, OSError) as exc:
        raise InputError(f"{source.path}: cannot read as PARQUET: {brief(exc)}") from None


def _parallel(tasks: Iterator[Callable[[], pa.Table]], workers: int) -> Iterator[pa.Table]:
    """Run read tasks ``workers`` at a time, one more queued, and yield their tables in order."""
    from collections import deque
    from concurrent.futures import ThreadPoolExecutor

    with ThreadPoolExecutor(max_workers=max(1, workers)) as pool:
        pending: deque = deque()
        for task in tasks:
            pending.append(pool.submit(task))
            if len(pending) > workers:
                yield pending.popleft().result()
        while pending:
            yield pending.popleft().result()


def total_rows(sources: Sequence[Source]) -> int | None:
    if not all(s.format == "parquet" for s in sources):
        return None
    import pyarrow.parquet as pq

    try:
        return sum(pq.ParquetFile(s.path).metadata.num_rows for s in sources)
    except (pa.ArrowInvalid, OSError):
        return None
