"""Case records in jiesu's Arrow form: the schema every writer uses and its column builders.

Timestamps are microseconds in UTC; enum-like and code fields are dictionary-encoded, so readers
check and group them once per distinct value. Simulation, synthetic data and importers all write
with ``arrow_schema()``.
"""

from __future__ import annotations

import os
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

import numpy as np
import pyarrow as pa

TIMESTAMP = pa.timestamp("us", tz="UTC")
CODE = pa.dictionary(pa.int32(), pa.string())


def arrow_schema() -> pa.Schema:
    """The Arrow schema of a case-record table, field for field in the published schema's order."""
    from .schema import field_kinds

    arrow = {"date-time": TIMESTAMP, "boolean": pa.bool_(), "integer": pa.int64()}
    return pa.schema([
        (name, arrow.get(kind, pa.string() if name == "case_id" else CODE))
        for name, kind in field_kinds().kind.items()
    ])


def timestamps(us: np.ndarray, mask: np.ndarray | None = None) -> pa.Array:
    """Microseconds since the epoch (UTC) as a timestamp column; ``mask`` True = null."""
    return pa.array(np.asarray(us, dtype=np.int64), type=TIMESTAMP, mask=mask)


def codes(indices: np.ndarray, values: Sequence[str] | pa.Array, mask: np.ndarray | None = None) -> pa.DictionaryArray:
    """A dictionary column: ``values[indices]``; ``mask`` True = null."""
    dictionary = values if isinstance(values, pa.Array) else pa.array(list(values), pa.string())
    return pa.DictionaryArray.from_arrays(pa.array(np.asarray(indices, dtype=np.int32), mask=mask), dictionary)


@contextmanager
def parquet_writer(path: str | Path, schema: pa.Schema | None = None, *,
                   inputs: Sequence[str | Path] = ()) -> Iterator[Any]:
    """A zstd Parquet writer for case records, renamed into place only when the block succeeds;
    ``-`` writes to stdout (not a terminal). The target goes through ``jiesu.io.atomic``'s guard
    (never a folder, a device or one of ``inputs``; a symlink is written through).

    Dictionary pages only for the code fields: timestamps and ids are stored plain, which makes
    files both smaller and quicker to decode than Arrow's default of trying a dictionary everywhere.
    """
    import pyarrow.parquet as pq

    from .io.atomic import atomic_path, open_output, output_target

    schema = schema if schema is not None else arrow_schema()
    dictionary_fields = [f.name for f in schema if pa.types.is_dictionary(f.type)]
    target = output_target(path, inputs, binary=True)
    if target.path is None:  # stdout or /dev/null: a stream
        with open_output(target) as fh, pq.ParquetWriter(fh, schema, compression="zstd",
                                                        use_dictionary=dictionary_fields) as writer:
            yield writer
        return
    # Arrow takes the file opened by name as bytes: a name that is not UTF-8 is written as it is
    with atomic_path(target) as tmp, pa.OSFile(os.fsencode(tmp), mode="wb") as sink, \
            pq.ParquetWriter(sink, schema, compression="zstd", use_dictionary=dictionary_fields) as writer:
        yield writer


def json_records(table: pa.Table, zone: ZoneInfo | None = None) -> list[dict[str, Any]]:
    """Rows as the JSON records the schema describes: nulls left out, timestamps as RFC 3339 text
    (in ``zone`` when given, else as stored). For samples, tests and small exports, not hot paths."""
    out = []
    for row in table.to_pylist():
        rec = {}
        for k, v in row.items():
            if v is None:
                continue
            if hasattr(v, "isoformat"):
                v = (v.astimezone(zone) if zone is not None else v).isoformat()
            rec[k] = v
        out.append(rec)
    return out
