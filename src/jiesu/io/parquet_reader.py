"""Parquet: open a file with the code fields as dictionaries, check that every schema field is
stored in a type that can hold it, and stream it by row group.

Files come from many writers (docs/performance.md lists them); what they store is read as:

- text as ``string``, ``large_string`` or ``string_view``, plain or dictionary-typed: the code
  fields are read as dictionaries whatever the layout, ``string_view`` is made ``string``;
- timestamps in any unit with a zone; zone-less ones (Spark's INT96, Hive's and pandas' naive
  ``timestamp[ns]``) only in the zone the caller names (``naive_timezone``): never guessed;
- integers in any integer type, and as ``double`` (pandas stores an integer column with a missing
  value so): accepted where every value is integral, as JSON Schema does (``1.0`` is an integer);
  validation reports any other value as ``wrong-type``.
"""

from __future__ import annotations

import math
from collections.abc import Iterator, Sequence
from functools import lru_cache
from typing import Any

import numpy as np
import pyarrow as pa

from ..arrays import fixed_values, validity
from ..errors import InputError, brief
from ..schema import field_kinds
from .batch import RawBatch
from .sources import Source
from .text import check_unique_columns

#: how to name the zone of zone-less timestamps, for messages
NAIVE_HINT = "--naive-timezone ZONE (library: naive_timezone=)"


def _is_text(t: pa.DataType) -> bool:
    return pa.types.is_string(t) or pa.types.is_large_string(t) or pa.types.is_string_view(t)


def open_parquet(source: Source, columns: Sequence[str] | None = None):
    """(ParquetFile, the wanted columns it holds): code fields as dictionaries, INT96 as µs."""
    import pyarrow.parquet as pq

    where: Any = source.path if source.filesystem is None else str(source.path)
    try:
        pf = pq.ParquetFile(where, coerce_int96_timestamp_unit="us", filesystem=source.filesystem)
        kinds = field_kinds().kind
        arrow_schema = pf.schema_arrow
        names = arrow_schema.names
        check_unique_columns(source.path, names)
        wanted = [c for c in (columns if columns is not None else names) if c in names]
        dict_cols = [c for c in wanted if kinds.get(c) == "string" and c != "case_id"
                     and _is_text(arrow_schema.field(c).type)]
        if dict_cols:
            pf = pq.ParquetFile(where, read_dictionary=dict_cols, coerce_int96_timestamp_unit="us",
                                metadata=pf.metadata, filesystem=source.filesystem)
    except (pa.ArrowException, OSError) as exc:
        raise InputError(f"{source.path}: not a readable Parquet file ({brief(exc)})") from None
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
    zone = getattr(source, "naive_timezone", None)
    for f in schema:
        kind = kinds.get(f.name)
        if kind is None:
            continue
        t = f.type
        if pa.types.is_dictionary(t):
            t = t.value_type
        ok = (
            pa.types.is_null(t)
            or (kind in ("string", "date-time") and _is_text(t))
            or (kind == "date-time" and pa.types.is_timestamp(t) and (t.tz is not None or zone is not None))
            or (kind == "boolean" and pa.types.is_boolean(t))
            or (kind == "integer" and (pa.types.is_integer(t) or pa.types.is_floating(t)))
        )
        if not ok:
            if pa.types.is_timestamp(t):
                raise InputError(
                    f"{source.path}: column {f.name!r} is stored as {f.type} without a time zone (as Spark, "
                    f"Hive and pandas write it): say which zone its times are in with {NAIVE_HINT}; "
                    "Spark's INT96 timestamps are UTC")
            raise InputError(
                f"{source.path}: column {f.name!r} is stored as {f.type}; the schema needs {COMPATIBLE[kind]}"
            )


# ---------------------------------------------------------------- what other writers store

US_PER_UNIT = {"s": 1_000_000, "ms": 1_000, "us": 1, "ns": 1}
_PER_SECOND = {"s": 1, "ms": 1_000, "us": 1_000_000, "ns": 1_000_000_000}
_HOUR_S = 3600


@lru_cache(maxsize=256)
def _fixed_offset(zone: str, first_day: int, last_day: int) -> int | None:
    """The zone's UTC offset in seconds when it is the same at every hour of the UTC days
    ``first_day`` to ``last_day`` (days since the epoch, one day of margin each side), else None."""
    from datetime import datetime
    from zoneinfo import ZoneInfo

    tz = ZoneInfo(zone)
    offsets = set()
    for h in range((first_day - 1) * 24, (last_day + 2) * 24):
        try:
            offsets.add(datetime.fromtimestamp(h * _HOUR_S, tz).utcoffset())
        except (OverflowError, OSError, ValueError):
            return None
        if len(offsets) > 1:
            return None
    (offset,) = offsets
    return int(offset.total_seconds())


def naive_to_utc(arr: pa.Array, zone: str) -> pa.Array:
    """Zone-less timestamps read as wall-clock times in ``zone``: the same instants in UTC
    (``timestamp[unit, tz=UTC]``). A time the zone skips or repeats (daylight saving) is an error."""
    unit = arr.type.unit
    utc = pa.timestamp(unit, tz="UTC")
    if zone == "UTC" or arr.null_count == len(arr):
        return arr.view(utc)
    values = fixed_values(arr, np.int64)
    valid = validity(arr)
    top = np.iinfo(np.int64)
    low = int(values.min(where=valid, initial=top.max)) if valid is not None else int(values.min())
    high = int(values.max(where=valid, initial=top.min)) if valid is not None else int(values.max())
    per_s = _PER_SECOND[unit]
    day = 24 * _HOUR_S
    lo, hi = low // per_s // day, high // per_s // day
    offset = _fixed_offset(zone, lo, hi) if hi - lo < 366 * 20 else None
    if offset is not None:  # no daylight saving over the data: one subtraction
        shifted = values - np.int64(offset * per_s)
        if valid is None or arr.offset == 0:  # the validity bitmap as it is
            nulls = arr.buffers()[0] if valid is not None else None
        else:
            nulls = pa.py_buffer(np.packbits(valid, bitorder="little"))
        return pa.Array.from_buffers(utc, len(arr), [nulls, pa.py_buffer(shifted)], arr.null_count)
    import pyarrow.compute as pc

    try:
        return pc.assume_timezone(arr, timezone=zone).view(utc)
    except pa.ArrowInvalid as exc:
        raise InputError(f"zone-less timestamps hold a time that does not exist or is ambiguous in {zone} "
                         f"(daylight saving): {brief(exc)}") from None


def integral(arr: pa.Array) -> tuple[pa.Array, np.ndarray]:
    """A floating column of an integer field as int64, and the positions whose value is not an
    integer (NaN, infinite or with a fraction: those become null). Values beyond int64 are clipped,
    so a range check still sees them out of range."""
    if pa.types.is_float16(arr.type):
        arr = arr.cast(pa.float32())
    values = fixed_values(arr, np.float64 if pa.types.is_float64(arr.type) else np.float32)
    valid = validity(arr)
    with np.errstate(invalid="ignore"):
        whole = np.isfinite(values) & (values == np.floor(values))
    bad = ~whole if valid is None else valid & ~whole
    keep = whole if valid is None else valid & whole
    ints = np.clip(np.where(whole, values, 0), -2.0**63, np.nextafter(2.0**63, 0)).astype(np.int64)
    nulls = None if keep.all() else pa.py_buffer(np.packbits(keep, bitorder="little"))
    out = pa.Array.from_buffers(pa.int64(), len(ints), [nulls, pa.py_buffer(ints)])
    return out, np.flatnonzero(bad)


def _json_number(v: float) -> str:
    if math.isnan(v):
        return "NaN"
    if v in (float("inf"), float("-inf")):
        return "Infinity" if v > 0 else "-Infinity"
    return repr(float(v))


def _single(col: pa.ChunkedArray | pa.Array) -> pa.Array:
    if isinstance(col, pa.ChunkedArray):
        return col.chunk(0) if col.num_chunks == 1 else col.combine_chunks()
    return col


def normalize(table: pa.Table, source: Source) -> tuple[pa.Table, dict[str, tuple[np.ndarray, list[str]]]]:
    """The table as jiesu's checks read it, whichever writer made the file: zone-less timestamps
    in UTC (``source.naive_timezone``), ``string_view`` as ``string``, integer fields stored as
    floating point as int64. Returns it and the values that are not integers (row positions and
    their JSON text, for ``wrong-type``)."""
    kinds = field_kinds().kind
    zone = getattr(source, "naive_timezone", None)
    errors: dict[str, tuple[np.ndarray, list[str]]] = {}
    for i, f in enumerate(table.schema):
        t = f.type
        kind = kinds.get(f.name)
        new = None
        if pa.types.is_timestamp(t) and t.tz is None and zone is not None:
            new = naive_to_utc(_single(table.column(i)), zone)
        elif pa.types.is_string_view(t) or (pa.types.is_dictionary(t) and pa.types.is_string_view(t.value_type)):
            new = table.column(i).cast(pa.string() if not pa.types.is_dictionary(t)
                                       else pa.dictionary(t.index_type, pa.string()))
        elif kind == "integer" and pa.types.is_floating(t):
            arr = _single(table.column(i))
            new, bad = integral(arr)
            if len(bad):
                shown = fixed_values(arr.cast(pa.float64()), np.float64)[bad[:10_000]]
                errors[f.name] = (bad, [_json_number(v) for v in shown.tolist()])
        if new is not None:
            table = table.set_column(i, f.name, new)
    return table, errors


def needs_normalizing(schema: pa.Schema, source: Source) -> bool:
    """Whether :func:`normalize` would change a table of this schema."""
    kinds = field_kinds().kind
    for f in schema:
        t = f.type
        if pa.types.is_dictionary(t):
            t = t.value_type
        if (pa.types.is_timestamp(t) and t.tz is None and getattr(source, "naive_timezone", None)) \
                or pa.types.is_string_view(t) or (kinds.get(f.name) == "integer" and pa.types.is_floating(t)):
            return True
    return False


def raw_parquet(source: Source, batch_rows: int, columns: Sequence[str] | None = None) -> Iterator[RawBatch]:
    pf, wanted = open_parquet(source, columns)
    check_arrow_types(source, pf.schema_arrow)
    source.rows = pf.metadata.num_rows
    offset = 0
    fix = needs_normalizing(pa.schema([pf.schema_arrow.field(c) for c in wanted]), source)
    for table in parquet_tables(pf, wanted, batch_rows):
        errors: dict[str, tuple[np.ndarray, list[str]]] = {}
        if fix:
            table, errors = normalize(table, source)
        yield RawBatch(source, offset, table, type_errors=errors)
        offset += table.num_rows


def parquet_tables(pf: Any, columns: list[str], batch_rows: int) -> Iterator[pa.Table]:
    """Whole row groups (fastest: columns decode in parallel) unless a group is much larger than a batch."""
    for i in range(pf.num_row_groups):
        if pf.metadata.row_group(i).num_rows <= 2 * batch_rows:
            yield pf.read_row_group(i, columns=columns, use_threads=True)
        else:
            for batch in pf.iter_batches(batch_size=batch_rows, row_groups=[i], columns=columns, use_threads=True):
                yield pa.Table.from_batches([batch])
