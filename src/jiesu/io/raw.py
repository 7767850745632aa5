"""``iter_raw``: stream one source for validation, whatever its format, as RawBatches that keep
every value as the file holds it."""

from __future__ import annotations

from collections.abc import Iterator, Sequence

import pyarrow as pa

from ..errors import InputError, brief
from .batch import BATCH_ROWS, RawBatch
from .csv_reader import raw_csv
from .json_reader import raw_json, raw_ndjson
from .parquet_reader import raw_parquet
from .sources import Source


def iter_raw(source: Source, batch_rows: int = BATCH_ROWS, columns: Sequence[str] | None = None) -> Iterator[RawBatch]:
    """Stream a source for validation; raises InputError when the file cannot be read at all.

    ``columns`` narrows what Parquet decodes (text formats are parsed whole either way).
    """
    if source.format == "parquet":
        reader = lambda s, n: raw_parquet(s, n, columns)
    else:
        reader = {"csv": raw_csv, "ndjson": raw_ndjson, "json": raw_json}[source.format]
    try:
        yield from reader(source, batch_rows)
    except InputError:
        raise
    except (pa.ArrowInvalid, pa.ArrowNotImplementedError, pa.ArrowTypeError, OSError, EOFError, ValueError) as exc:
        raise InputError(f"{source.path}: cannot read as {source.format.upper()}: {brief(exc)}") from None
