"""What every reader yields for validation: a RawBatch of rows as read, and the column helpers
the text readers share (text fields dictionary-encoded, empty tables)."""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np
import pyarrow as pa

from ..schema import field_kinds
from .sources import Source

BATCH_ROWS = 1 << 20


@dataclass
class RawBatch:
    """Rows of one source as read, with the values whose JSON type was wrong taken out.

    ``type_errors`` maps a field to (row positions in this batch, the offending values as JSON text);
    those positions hold null in ``table``. ``bad_rows`` lists rows that are not JSON objects at all
    (code, positions, text).
    """

    source: Source
    offset: int
    table: pa.Table
    type_errors: dict[str, tuple[np.ndarray, list[str]]] = field(default_factory=dict)
    bad_rows: list[tuple[str, int, str]] = field(default_factory=list)
    position: int | None = None  # text formats: bytes of the file read so far (for progress)

    @property
    def num_rows(self) -> int:
        return self.table.num_rows


ARROW_FOR_KIND = {"string": pa.string(), "date-time": pa.string(), "boolean": pa.bool_(), "integer": pa.int64()}


def encode_codes(table: pa.Table) -> pa.Table:
    """Dictionary-encode the schema's text fields (all low-cardinality but case_id), so checks run
    once per distinct value, as they do on Parquet read with dictionaries."""
    import pyarrow.compute as pc  # here, not at import: reading Parquet needs none of it

    kinds = field_kinds().kind
    for i, name in enumerate(table.column_names):
        if kinds.get(name) == "string" and name != "case_id" and is_plain_text(table.column(i).type):
            table = table.set_column(i, name, pc.dictionary_encode(table.column(i)))
    return table


def is_plain_text(t: pa.DataType) -> bool:
    return pa.types.is_string(t) or pa.types.is_large_string(t)


def empty_table(n: int) -> pa.Table:
    """A table of n rows and no columns."""
    return pa.table({"_": pa.nulls(n)}).drop_columns(["_"])
