"""Typed reading for scoring and ranking: only the columns asked for, in canonical types
(timestamps as UTC in the unit stored, booleans, int64, strings or dictionaries), in bounded memory."""

from __future__ import annotations

from collections.abc import Callable, Iterator, Sequence
from functools import partial
from typing import TypeVar

import pyarrow as pa

from ..errors import DataError, InputError, brief
from ..schema import field_kinds
from .batch import ARROW_FOR_KIND, BATCH_ROWS, UTC_US, empty_table, timestamps_from_text
from .parquet_reader import (
    COMPATIBLE,
    check_arrow_types,
    needs_normalizing,
    normalize,
    open_parquet,
)
from .sources import Source

T = TypeVar("T")
ROW_GROUP_LIMIT = 1 << 22  # read bigger Parquet row groups in slices so memory stays bounded


def iter_cases(sources: Sequence[Source], columns: Sequence[str], batch_rows: int = BATCH_ROWS) -> Iterator[pa.Table]:
    """Stream the named columns of every source with canonical types; absent columns are all-null.

    Timestamps become UTC timestamps in the unit they are stored in (s, ms, us or ns; text is read
    as us); strings stay strings or dictionaries. A value that cannot
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
                    yield canonical(_normalized(table, source), columns, kinds, source)
            except (pa.ArrowInvalid, OSError) as exc:
                raise InputError(f"{source.path}: cannot read as PARQUET: {brief(exc)}") from None
        else:
            from .raw import iter_raw  # the text readers, only for text inputs

            for raw in iter_raw(source, batch_rows):
                problems = [f for f in raw.type_errors if f in columns]
                if problems or raw.bad_rows:
                    what = problems[0] if problems else "a record"
                    raise DataError(f"{source.path}: {what!r} holds values of the wrong type; run `jiesu validate` first")
                yield canonical(raw.table, columns, kinds, source)


def _normalized(table: pa.Table, source: Source) -> pa.Table:
    """A Parquet table as the checks read it (parquet_reader.normalize); a value that is not an
    integer where the schema wants one is a DataError here."""
    if not needs_normalizing(table.schema, source):
        return table
    table, errors = normalize(table, source)
    if errors:
        name = next(iter(errors))
        raise DataError(f"{source.path}: column {name!r} holds values that are not integers; run `jiesu validate` first")
    return table


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
            if kind == "date-time":
                t = col.type
                if not pa.types.is_timestamp(t):
                    col = pa.chunked_array([timestamps_from_text(c) for c in _chunks(col)], UTC_US)
                elif t.tz != "UTC":  # the same instants: only the type changes (no copy)
                    utc = pa.timestamp(t.unit, tz="UTC")
                    col = pa.chunked_array([c.view(utc) for c in col.chunks], type=utc)
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
    reader = _RowGroupReader(source, columns, pf, wanted)
    return [partial(reader.read, i, rows, threads) for i, rows in enumerate(sizes)]


def sequential_tables(source: Source, columns: Sequence[str]) -> Iterator[pa.Table]:
    """One source's canonical tables one after the other, the next read while this one is used."""
    if source.format == "parquet":
        return prefetch(_sliced_row_groups(source, columns))
    return prefetch(iter_cases([source], columns))


class _RowGroupReader:
    """Reads row groups of one Parquet file as canonical tables, from any thread: each thread
    gets its own ParquetFile (a reader is not shared across threads), opened with the footer
    already parsed."""

    def __init__(self, source: Source, columns: Sequence[str], pf, wanted: list[str]) -> None:
        import threading

        self.source, self.columns, self.wanted = source, list(columns), wanted
        self.meta, self.options = pf.metadata, _reader_options(pf)
        self.kinds = field_kinds().kind
        self.fix = needs_normalizing(pa.schema([pf.schema_arrow.field(c) for c in wanted]), source)
        self.local = threading.local()

    def _file(self):
        pf = getattr(self.local, "pf", None)
        if pf is None:
            import pyarrow.parquet as pq

            fs = self.source.filesystem  # an object store's file (jiesu.distributed), else the disk
            pf = self.local.pf = pq.ParquetFile(self.source.path if fs is None else str(self.source.path),
                                                metadata=self.meta, filesystem=fs, **self.options)
        return pf

    def read(self, index: int, rows: int, threads: bool) -> pa.Table:
        try:
            table = self._file().read_row_group(index, columns=self.wanted, use_threads=threads) \
                if self.wanted else empty_table(rows)
        except (pa.ArrowInvalid, OSError) as exc:
            raise InputError(f"{self.source.path}: cannot read as PARQUET: {brief(exc)}") from None
        if self.fix:
            table = _normalized(table, self.source)
        return canonical(table, self.columns, self.kinds, self.source)


def _reader_options(pf) -> dict:
    """The options a ParquetFile was opened with (code fields as dictionaries, INT96 as µs)."""
    schema = pf.schema_arrow
    return {"read_dictionary": [f.name for f in schema if pa.types.is_dictionary(f.type)] or None,
            "coerce_int96_timestamp_unit": "us"}


def _sliced_row_groups(source: Source, columns: Sequence[str]) -> Iterator[pa.Table]:
    pf, wanted = open_parquet(source, columns)
    kinds = field_kinds().kind
    try:
        for i in range(pf.num_row_groups):
            if not wanted:
                yield canonical(empty_table(pf.metadata.row_group(i).num_rows), columns, kinds, source)
                continue
            for b in pf.iter_batches(batch_size=BATCH_ROWS, row_groups=[i], columns=wanted, use_threads=True):
                yield canonical(_normalized(pa.Table.from_batches([b]), source), columns, kinds, source)
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
