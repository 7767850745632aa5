"""Parquet: open a file with the code fields as dictionaries, check that every schema field is
stored in a type that can hold it, and stream it by row group."""

from __future__ import annotations

from collections.abc import Iterator, Sequence
from typing import Any

import pyarrow as pa

from ..errors import InputError, brief
from ..schema import field_kinds
from .batch import RawBatch
from .sources import Source
from .text import check_unique_columns


def open_parquet(source: Source, columns: Sequence[str] | None = None):
    import pyarrow.parquet as pq

    try:
        pf = pq.ParquetFile(source.path)
    except (pa.ArrowInvalid, OSError) as exc:
        raise InputError(f"{source.path}: not a readable Parquet file ({brief(exc)})") from None
    kinds = field_kinds().kind
    arrow_schema = pf.schema_arrow
    names = arrow_schema.names
    check_unique_columns(source.path, names)
    wanted = [c for c in (columns if columns is not None else names) if c in names]
    dict_cols = [c for c in wanted if kinds.get(c) == "string" and c != "case_id" and pa.types.is_string(arrow_schema.field(c).type)]
    if dict_cols:
        pf = pq.ParquetFile(source.path, read_dictionary=dict_cols)
    return pf, wanted


COMPATIBLE = {
    "string": "text",
    "date-time": "text or a timestamp with a time zone",
    "boolean": "boolean",
    "integer": "integer",
}


def check_arrow_types(source: Source, schema: pa.Schema) -> None:
    """A typed file (Parquet) must store each schema field in a type that can hold it (else exit 3)."""
    kinds = field_kinds().kind
    for f in schema:
        kind = kinds.get(f.name)
        if kind is None:
            continue
        t = f.type
        if pa.types.is_dictionary(t):
            t = t.value_type
        ok = (
            pa.types.is_null(t)
            or (kind in ("string", "date-time") and (pa.types.is_string(t) or pa.types.is_large_string(t)))
            or (kind == "date-time" and pa.types.is_timestamp(t) and t.tz is not None)
            or (kind == "boolean" and pa.types.is_boolean(t))
            or (kind == "integer" and pa.types.is_integer(t))
        )
        if not ok:
            hint = " (a timestamp needs a time zone)" if pa.types.is_timestamp(t) else ""
            raise InputError(
                f"{source.path}: column {f.name!r} is stored as {f.type}{hint}; the schema needs {COMPATIBLE[kind]}"
            )


def raw_parquet(source: Source, batch_rows: int, columns: Sequence[str] | None = None) -> Iterator[RawBatch]:
    pf, wanted = open_parquet(source, columns)
    check_arrow_types(source, pf.schema_arrow)
    source.rows = pf.metadata.num_rows
    offset = 0
    for table in parquet_tables(pf, wanted, batch_rows):
        yield RawBatch(source, offset, table)
        offset += table.num_rows


def parquet_tables(pf: Any, columns: list[str], batch_rows: int) -> Iterator[pa.Table]:
    """Whole row groups (fastest: columns decode in parallel) unless a group is much larger than a batch."""
    for i in range(pf.num_row_groups):
        if pf.metadata.row_group(i).num_rows <= 2 * batch_rows:
            yield pf.read_row_group(i, columns=columns, use_threads=True)
        else:
            for batch in pf.iter_batches(batch_size=batch_rows, row_groups=[i], columns=columns, use_threads=True):
                yield pa.Table.from_batches([batch])
