"""Case tables written the way other tools write Parquet, for fixtures and benchmarks.

Each style takes tables in jiesu's Arrow form (``jiesu.records.arrow_schema``) and writes them as
that tool does by default:

- ``jiesu``: jiesu's own writer (dictionaries for the code fields, ``timestamp[us, UTC]`` plain, zstd).
- ``pyarrow``: a table of plain strings written with pyarrow's defaults but zstd, as cities do it:
  every column dictionary-encoded in the file (timestamps too), ``timestamp[ms, tz=Asia/Shanghai]``,
  row groups of 500,000.
- ``pandas``: ``DataFrame.to_parquet`` of the frame a city builds: ``objections`` with missing
  values becomes ``double``, text ``large_string`` (pandas 3), ``timestamp[ns, tz=Asia/Shanghai]``,
  snappy, row groups of 2**20.
- ``duckdb``: DuckDB's ``COPY ... TO`` (``timestamp[us, tz=UTC]``, plain strings, row groups of
  122,880, snappy); needs the duckdb package.
- ``spark``: Spark's default: INT96 timestamps holding UTC instants (read back as zone-less
  ``timestamp[ns]``), no Arrow schema in the file, snappy, row groups of 2**20.
- ``naive``: zone-less ``timestamp[ns]`` holding Beijing wall-clock time (Hive, Spark's
  TIMESTAMP_NTZ, a pandas frame of naive datetimes), snappy.
- ``views``: Arrow's newer layouts: ``string_view`` for text, dictionary-typed code fields,
  ``timestamp[ms, tz=UTC]``, lz4.
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator
from pathlib import Path

import pyarrow as pa
import pyarrow.parquet as pq

STYLES = ("jiesu", "pyarrow", "pandas", "duckdb", "spark", "naive", "views")
#: the zone a style's zone-less timestamps are in (what ``--naive-timezone`` must say)
NAIVE_ZONE = {"spark": "UTC", "naive": "Asia/Shanghai"}
BEIJING = "Asia/Shanghai"


def _plain(col: pa.ChunkedArray) -> pa.ChunkedArray:
    return col.cast(col.type.value_type) if pa.types.is_dictionary(col.type) else col


def _map(table: pa.Table, fn) -> pa.Table:
    return pa.table({n: fn(n, c) for n, c in zip(table.column_names, table.columns)})


def convert(style: str, table: pa.Table) -> pa.Table:
    """The table as the style's writer would hold it in Arrow before writing."""
    if style == "jiesu":
        return table
    if style == "pyarrow":
        return _map(table, lambda n, c: c.cast(pa.timestamp("ms", tz=BEIJING), safe=False)
                    if pa.types.is_timestamp(c.type) else _plain(c))
    if style == "pandas":
        frame = _map(table, lambda n, c: c.cast(pa.timestamp("ns", tz=BEIJING))
                     if pa.types.is_timestamp(c.type) else _plain(c)).to_pandas()
        return pa.Table.from_pandas(frame, preserve_index=False)
    if style == "spark":
        return _map(table, lambda n, c: c.cast(pa.timestamp("ns")) if pa.types.is_timestamp(c.type) else _plain(c))
    if style == "naive":
        def local(n: str, c: pa.ChunkedArray) -> pa.ChunkedArray:
            if not pa.types.is_timestamp(c.type):
                return _plain(c)
            import pyarrow.compute as pc

            return pc.local_timestamp(c.cast(pa.timestamp("ns", tz=BEIJING)))
        return _map(table, local)
    if style == "views":
        def view(n: str, c: pa.ChunkedArray) -> pa.ChunkedArray:
            if pa.types.is_timestamp(c.type):
                return c.cast(pa.timestamp("ms", tz="UTC"), safe=False)
            if pa.types.is_string(c.type):
                return c.cast(pa.string_view())
            if pa.types.is_dictionary(c.type) and n in ("satisfaction", "disposition", "status", "channel"):
                return c
            return _plain(c).cast(pa.string_view()) if pa.types.is_dictionary(c.type) else c
        return _map(table, view)
    raise ValueError(f"unknown writer style {style!r}; choose one of {', '.join(STYLES)}")


def write(style: str, path: str | Path, tables: Iterable[pa.Table]) -> Path:
    """Write the tables (jiesu's Arrow form) as ``style``'s writer would, into one file."""
    path = Path(path)
    tables = iter(tables)
    if style == "jiesu":
        from jiesu.records import parquet_writer

        with parquet_writer(path) as writer:
            for t in tables:
                writer.write_table(t, row_group_size=t.num_rows)
        return path
    if style == "duckdb":
        import duckdb

        staging = path.with_suffix(".staging.parquet")
        write("jiesu", staging, tables)
        con = duckdb.connect()
        con.execute("SET TimeZone = 'UTC'")
        con.execute(f"COPY (SELECT * FROM read_parquet('{staging}')) TO '{path}' (FORMAT parquet)")
        con.close()
        staging.unlink()
        return path
    options = {
        "pyarrow": {"compression": "zstd"},
        "pandas": {"compression": "snappy"},
        "spark": {"compression": "snappy", "use_deprecated_int96_timestamps": True, "store_schema": False},
        "naive": {"compression": "snappy", "store_schema": False},
        "views": {"compression": "lz4"},
    }[style]
    group = {"pyarrow": 500_000}.get(style, 1 << 20)
    writer = None
    try:
        for t in _regroup(tables, group):
            t = convert(style, t)
            if writer is None:
                writer = pq.ParquetWriter(path, t.schema, **options)
            writer.write_table(t.cast(writer.schema) if t.schema != writer.schema else t,
                               row_group_size=group)
    finally:
        if writer is not None:
            writer.close()
    return path


def _regroup(tables: Iterator[pa.Table], rows: int) -> Iterator[pa.Table]:
    """The same rows in tables of exactly ``rows`` (the last may be shorter)."""
    pending: list[pa.Table] = []
    held = 0
    for t in tables:
        pending.append(t)
        held += t.num_rows
        while held >= rows:
            whole = pa.concat_tables(pending).combine_chunks() if len(pending) > 1 else pending[0]
            yield whole.slice(0, rows)
            rest = whole.slice(rows)
            pending, held = ([rest] if rest.num_rows else []), rest.num_rows
    if held:
        yield pa.concat_tables(pending)
