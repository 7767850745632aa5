"""What every reader yields for validation: a RawBatch of rows as read, and the column helpers
the text readers share (text fields dictionary-encoded, empty tables)."""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc

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


UTC_US = pa.timestamp("us", tz="UTC")


def timestamps_from_text(values: pa.Array) -> pa.Array:
    """RFC 3339 date-time texts as timestamp[us, UTC], read the one way validation and scoring
    share: Arrow's ISO 8601 parser, after the normalisation it needs for what RFC 3339 also allows
    (lower-case ``t``/``z``, more than six fraction digits, one final newline). Raises ArrowInvalid
    for text that is no date-time."""
    if pa.types.is_dictionary(values.type):
        values = values.cast(values.type.value_type)
    try:
        return values.cast(UTC_US)
    except (pa.ArrowInvalid, pa.ArrowNotImplementedError):
        norm = pc.replace_substring_regex(pc.utf8_rtrim(pc.utf8_upper(values), "\n"), r"(\.[0-9]{6})[0-9]+", r"\1")
        return norm.cast(UTC_US)

