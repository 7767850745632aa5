"""CSV (UTF-8 or GB18030, plain or gzip): every cell read as text, then booleans and integers
read by a documented rule; a value that does not read in its field's type is a type error."""

from __future__ import annotations

import json
from collections.abc import Iterator

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc

from ..arrays import as_bool_np, bool_array, int_array, text_array, valid_np
from ..errors import InputError
from ..schema import field_kinds
from .batch import RawBatch, encode_codes
from .sources import Source
from .text import check_unique_columns, csv_header, sniff_encoding


def raw_csv(source: Source, batch_rows: int) -> Iterator[RawBatch]:
    import pyarrow.csv as pcsv

    encoding = sniff_encoding(source.path, source.encoding)
    source.encoding = encoding
    header = csv_header(source.path, encoding)
    check_unique_columns(source.path, header)
    kinds = field_kinds().kind
    if not header or not any(h in kinds for h in header):
        raise InputError(f"{source.path}: does not look like a case-record CSV (no column of its header is a schema field)")
    raw = pa.OSFile(str(source.path), "rb")  # its position is the progress, compressed or not
    codec = pa.Codec.detect(str(source.path)) if str(source.path).lower().endswith(".gz") else None
    stream = pa.CompressedInputStream(raw, codec.name) if codec is not None else raw
    reader = pcsv.open_csv(
        stream,
        read_options=pcsv.ReadOptions(encoding="utf8" if encoding == "utf-8" else encoding,
                                      block_size=max(1 << 20, min(batch_rows * 512, 1 << 24))),
        parse_options=pcsv.ParseOptions(newlines_in_values=True),
        convert_options=pcsv.ConvertOptions(
            column_types={h: pa.string() for h in header}, strings_can_be_null=True, null_values=[""],
            quoted_strings_can_be_null=True,
        ),
    )
    offset = 0
    for batch in reader:
        table = pa.Table.from_batches([batch])
        table, type_errors = coerce_text_columns(table)
        table = encode_codes(table)
        source.rows += table.num_rows
        yield RawBatch(source, offset, table, type_errors, position=raw.tell())
        offset += table.num_rows


_INT_TEXT = r"^[+-]?[0-9]{1,18}$"


def coerce_text_columns(table: pa.Table) -> tuple[pa.Table, dict[str, tuple[np.ndarray, list[str]]]]:
    """CSV cells are text: read boolean and integer fields, keep what does not read as a type error.

    The rule (documented in cli.md): ``true``/``false`` in any case are booleans; an optional sign and
    1 to 18 digits is an integer; an empty cell is absent; anything else stays text.
    """
    kinds = field_kinds().kind
    errors: dict[str, tuple[np.ndarray, list[str]]] = {}
    for i, name in enumerate(table.column_names):
        kind = kinds.get(name)
        if kind not in ("boolean", "integer"):
            continue
        col = table.column(i)
        if kind == "boolean":
            low = pc.utf8_lower(col)
            ok = as_bool_np(pc.is_in(low, value_set=text_array(["true", "false"])))
        else:
            ok = as_bool_np(pc.match_substring_regex(col, _INT_TEXT))
        present = valid_np(col)
        bad = present & ~ok
        if bad.any():
            pos = np.flatnonzero(bad)
            errors[name] = (pos, [json.dumps(v) for v in col.take(int_array(pos)).to_pylist()])
        if kind == "boolean":
            typed = bool_array(as_bool_np(pc.is_in(low, value_set=text_array(["true"]))), present & ok)
        else:
            typed = pc.cast(pc.if_else(bool_array(bad), pa.nulls(len(col), pa.string()), col), pa.int64())
        table = table.set_column(i, name, typed)
    return table, errors
