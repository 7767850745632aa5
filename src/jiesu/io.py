"""Reading case exports (Parquet, CSV, JSON, NDJSON) as streams of Arrow tables, and atomic writes.

Two layers:
- ``iter_raw`` keeps every value as the file holds it, with the JSON-type mismatches found while
  parsing, so that ``validate`` can report them;
- ``iter_cases`` gives canonical typed columns (timestamps in UTC, booleans, integers, dictionary
  strings) for scoring and ranking, reading only the columns asked for.
"""

from __future__ import annotations

import codecs
import contextlib
import json
import os
import tempfile
from collections.abc import Iterator, Sequence
from dataclasses import dataclass, field
from functools import lru_cache
from pathlib import Path
from typing import IO, Any, TypeVar

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc

from .arrays import as_bool_np, bool_array, int_array, python_array, text_array, valid_np
from .errors import InputError
from .schema import case_record_schema

T = TypeVar("T")
BATCH_ROWS = 1 << 20
FORMATS = {".parquet": "parquet", ".pq": "parquet", ".csv": "csv", ".csv.gz": "csv",
           ".ndjson": "ndjson", ".jsonl": "ndjson", ".json": "json"}
SNIFF_BYTES = 1 << 16


# ---------------------------------------------------------------- field kinds from the schema

@dataclass(frozen=True)
class FieldKinds:
    """The JSON type each schema field holds: string, date-time, boolean or integer."""

    kind: dict[str, str]

    @property
    def names(self) -> list[str]:
        return list(self.kind)

    def of(self, kind: str) -> list[str]:
        return [f for f, k in self.kind.items() if k == kind]


def _json_kind(prop: dict[str, Any], defs: dict[str, Any]) -> str:
    if "$ref" in prop and "type" not in prop:
        prop = {**defs[prop["$ref"].rsplit("/", 1)[1]], **{k: v for k, v in prop.items() if k != "$ref"}}
    types = prop.get("type")
    if types is None and "anyOf" in prop:
        for alt in prop["anyOf"]:
            if alt.get("type") != "null":
                return _json_kind(alt, defs)
    types = [types] if isinstance(types, str) else list(types or [])
    main = [t for t in types if t != "null"]
    if main == ["string"]:
        return "date-time" if prop.get("format") == "date-time" else "string"
    if main in (["boolean"], ["integer"]):
        return main[0]
    raise ValueError(f"unsupported schema type {types!r}")


def field_kinds() -> FieldKinds:
    schema = case_record_schema()
    defs = schema.get("$defs", {})
    return FieldKinds({name: _json_kind(p, defs) for name, p in schema["properties"].items()})


# ---------------------------------------------------------------- sources

@dataclass
class Source:
    """One input file and how it is read."""

    path: Path
    format: str
    encoding: str | None = None  # CSV: the text encoding used
    rows: int = 0

    @property
    def name(self) -> str:
        return str(self.path)


def _format_of(path: Path) -> str | None:
    name = path.name.lower()
    for ext in sorted(FORMATS, key=len, reverse=True):
        if name.endswith(ext):
            return FORMATS[ext]
    return None


def discover(paths: Sequence[str | Path]) -> list[Source]:
    """Turn files and folders (partitioned Parquet, recursively) into an ordered list of sources."""
    if not paths:
        raise InputError("no input given: name one or more files or folders")
    sources: list[Source] = []
    for raw in paths:
        path = Path(raw)
        if not path.exists():
            raise InputError(f"{path}: no such file or folder")
        if path.is_dir():
            found = sorted(
                p for p in path.rglob("*")
                if p.is_file() and _format_of(p) and not any(part.startswith((".", "_")) for part in p.relative_to(path).parts)
            )
            if not found:
                raise InputError(f"{path}: the folder holds no data files (.parquet, .csv, .json, .ndjson, .jsonl)")
            sources.extend(Source(p, _format_of(p)) for p in found)  # type: ignore[arg-type]
            continue
        fmt = _format_of(path)
        if fmt is None:
            raise InputError(f"{path}: cannot tell the format from the name; use .parquet, .csv, .json, .ndjson or .jsonl")
        if not os.access(path, os.R_OK):
            raise InputError(f"{path}: permission denied")
        sources.append(Source(path, fmt))
    return sources


# ---------------------------------------------------------------- raw batches for validation

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


def iter_raw(source: Source, batch_rows: int = BATCH_ROWS, columns: Sequence[str] | None = None) -> Iterator[RawBatch]:
    """Stream a source for validation; raises InputError when the file cannot be read at all.

    ``columns`` narrows what Parquet decodes (text formats are parsed whole either way).
    """
    if source.format == "parquet":
        reader = lambda s, n: _raw_parquet(s, n, columns)
    else:
        reader = {"csv": _raw_csv, "ndjson": _raw_ndjson, "json": _raw_json}[source.format]
    try:
        yield from reader(source, batch_rows)
    except InputError:
        raise
    except (pa.ArrowInvalid, pa.ArrowNotImplementedError, pa.ArrowTypeError, OSError, EOFError, ValueError) as exc:
        raise InputError(f"{source.path}: cannot read as {source.format.upper()}: {_short(exc)}") from None


def _short(exc: BaseException) -> str:
    text = str(exc).strip().splitlines()[0] if str(exc).strip() else exc.__class__.__name__
    return text[:200]


def _open_parquet(source: Source, columns: Sequence[str] | None = None):
    import pyarrow.parquet as pq

    try:
        pf = pq.ParquetFile(source.path)
    except (pa.ArrowInvalid, OSError) as exc:
        raise InputError(f"{source.path}: not a readable Parquet file ({_short(exc)})") from None
    kinds = field_kinds().kind
    arrow_schema = pf.schema_arrow
    names = arrow_schema.names
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


def _raw_parquet(source: Source, batch_rows: int, columns: Sequence[str] | None = None) -> Iterator[RawBatch]:
    pf, wanted = _open_parquet(source, columns)
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


def sniff_encoding(path: Path, encoding: str | None = None) -> str:
    """The text encoding of a CSV: the one given, else UTF-8, else GB18030; InputError for binary."""
    with _open_binary(path) as fh:
        head = fh.read(SNIFF_BYTES)
    if b"\x00" in head:
        raise InputError(f"{path}: not a text file (it holds NUL bytes); is it really CSV?")
    if encoding:
        try:
            codecs.lookup(encoding)
        except LookupError:
            raise InputError(f"unknown encoding {encoding!r}") from None
        return encoding
    for candidate in ("utf-8", "gb18030"):
        try:
            codecs.getincrementaldecoder(candidate)().decode(head, final=False)
            return candidate
        except UnicodeDecodeError:
            continue
    raise InputError(f"{path}: text is neither UTF-8 nor GB18030; give --encoding")


def _open_binary(path: Path) -> IO[bytes]:
    if str(path).lower().endswith(".gz"):
        import gzip

        return gzip.open(path, "rb")  # type: ignore[return-value]
    return open(path, "rb")


def _csv_header(path: Path, encoding: str) -> list[str]:
    import csv
    import io as _io

    with _open_binary(path) as fh:
        head = fh.read(SNIFF_BYTES)
    text = codecs.getincrementaldecoder(encoding)(errors="replace").decode(head, final=False)
    text = text.lstrip("\ufeff")
    try:
        row = next(csv.reader(_io.StringIO(text)))
    except (StopIteration, csv.Error):
        row = []
    return [c.strip() for c in row]


def _raw_csv(source: Source, batch_rows: int) -> Iterator[RawBatch]:
    import pyarrow.csv as pcsv

    encoding = sniff_encoding(source.path, source.encoding)
    source.encoding = encoding
    header = _csv_header(source.path, encoding)
    kinds = field_kinds().kind
    if not header or not any(h in kinds for h in header):
        raise InputError(f"{source.path}: does not look like a case-record CSV (no column of its header is a schema field)")
    stream = pa.input_stream(str(source.path), compression="detect")
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
        yield RawBatch(source, offset, table, type_errors, position=stream.tell())
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


def _line_blocks(path: Path, block_bytes: int) -> Iterator[memoryview]:
    """Blocks of whole lines, as zero-copy views of the memory-mapped file (a UTF-8 BOM skipped)."""
    import mmap

    with open(path, "rb") as fh:
        size = os.fstat(fh.fileno()).st_size
        if size == 0:
            return
        mm = mmap.mmap(fh.fileno(), 0, access=mmap.ACCESS_READ)  # closed when the last view is gone
    view = memoryview(mm)
    start = 3 if mm[:3] == b"\xef\xbb\xbf" else 0
    while start < size:
        end = min(start + block_bytes, size)
        if end < size:
            cut = mm.rfind(b"\n", start, end) + 1
            if cut <= start:  # one line longer than a block: take it whole
                nl = mm.find(b"\n", end)
                cut = size if nl < 0 else nl + 1
            end = cut
        yield view[start:end]
        done = end - end % mmap.PAGESIZE
        if done > 0 and hasattr(mm, "madvise"):
            mm.madvise(mmap.MADV_DONTNEED, 0, done)  # read pages leave this process's memory
        start = end


def _raw_ndjson(source: Source, batch_rows: int) -> Iterator[RawBatch]:
    """NDJSON: Arrow's C++ parser for blocks of lines. A block it rejects is tried again in pieces
    of about a MiB, and only the pieces Arrow rejects too are parsed in Python, so a few bad
    records cost a few pieces, not the file."""
    with open(source.path, "rb") as fh:
        if b"\x00" in fh.read(SNIFF_BYTES):
            raise InputError(f"{source.path}: not a text file (it holds NUL bytes); is it really NDJSON?")
    offset = consumed = 0
    block_bytes = max(1 << 20, min(batch_rows * 512, 1 << 26))  # at most 64 MiB of text a block
    for block in _line_blocks(source.path, block_bytes):
        consumed += len(block)
        table = _arrow_lines(block)
        if table is not None:
            batch = RawBatch(source, offset, encode_codes(table.combine_chunks()))
        else:
            batch = _pieces_batch(source, offset, bytes(block))
            if batch is None:
                continue  # whitespace only
        source.rows += batch.num_rows
        batch.position = consumed
        yield batch
        offset += batch.num_rows
        del block


PIECE_BYTES = 1 << 20


def _arrow_lines(text: bytes | memoryview) -> pa.Table | None:
    """Arrow's table of NDJSON text with the schema's types, or None when Arrow cannot stand for it.

    It stands only if every line starts an object and is one record (no blank lines) and no key is
    outside the schema (null or not, such a key breaks it; Arrow cannot tell null from absent).
    """
    import pyarrow.json as pj

    kinds = field_kinds().kind
    raw = np.frombuffer(text, dtype=np.uint8)
    if not len(raw):
        return None
    ends = np.flatnonzero(raw == 10)
    lines = len(ends) + (raw[-1] != 10)
    starts = ends[:lines - 1] + 1
    if raw[0] != 123 or not (raw[starts] == 123).all():
        # every line must open an object: Arrow takes a line `null` for an empty record (and
        # crashes when it comes first), and an indented or blank line is for Python to judge
        return None
    try:
        table = pj.read_json(
            pa.BufferReader(pa.py_buffer(text)),
            read_options=pj.ReadOptions(block_size=1 << 22, use_threads=True),
            parse_options=pj.ParseOptions(explicit_schema=_explicit_schema(), unexpected_field_behavior="infer",
                                          newlines_in_values=False),
        )
    except pa.ArrowInvalid:
        return None
    if table.num_rows == lines and all(name in kinds for name in table.column_names):
        return table
    return None


@lru_cache(maxsize=1)
def _explicit_schema() -> pa.Schema:
    return pa.schema([(n, ARROW_FOR_KIND[k]) for n, k in field_kinds().kind.items()])


def _pieces_batch(source: Source, offset: int, text: bytes) -> RawBatch | None:
    """One batch from a block Arrow rejected: pieces of about PIECE_BYTES, each through Arrow if it
    takes it, else through Python; None when the block holds no record."""
    tables: list[pa.Table] = []
    type_errors: dict[str, tuple[np.ndarray, list[str]]] = {}
    bad_rows: list[tuple[str, int, str]] = []
    rows = 0
    for piece in _line_pieces(text, PIECE_BYTES):
        table = _arrow_lines(piece) if len(piece) < len(text) else None  # the whole block failed already
        errors: dict[str, tuple[np.ndarray, list[str]]] = {}
        if table is None:
            records = _parse_lines(piece.splitlines())
            if not records:
                continue
            table, errors, bad = _records_table(records)
            bad_rows.extend((code, rows + pos, shown) for code, pos, shown in bad)
        for name, (pos, values) in errors.items():
            old_pos, old_values = type_errors.get(name, (np.zeros(0, np.int64), []))
            type_errors[name] = (np.concatenate([old_pos, pos + rows]), old_values + values)
        tables.append(table)
        rows += table.num_rows
    if not tables:
        return None
    table = pa.concat_tables(tables, promote_options="permissive").combine_chunks() if len(tables) > 1 else tables[0]
    return RawBatch(source, offset, encode_codes(table), type_errors, bad_rows)


def _line_pieces(text: bytes, size: int) -> Iterator[bytes]:
    """``text`` cut after the first newline past every ``size`` bytes."""
    start = 0
    while start < len(text):
        cut = text.find(b"\n", start + size) + 1
        end = cut if cut > 0 else len(text)
        yield text[start:end]
        start = end


_NOT_JSON = object()


def _parse_lines(lines: list[bytes]) -> list[Any]:
    out: list[Any] = []
    for line in lines:
        if not line.strip():
            continue
        try:
            out.append(json.loads(line))
        except (ValueError, RecursionError):
            out.append(_NOT_JSON)
    return out


def _raw_json(source: Source, batch_rows: int) -> Iterator[RawBatch]:
    with _open_binary(source.path) as fh:
        head = fh.read(SNIFF_BYTES).lstrip()
    if head[:1] == b"{" or head[:3] == b"\xef\xbb\xbf":
        yield from _raw_ndjson(source, batch_rows)
        return
    if b"\x00" in head:
        raise InputError(f"{source.path}: not a text file (it holds NUL bytes); is it really JSON?")
    try:
        with _open_binary(source.path) as fh:
            data = json.load(fh)
    except (ValueError, RecursionError) as exc:
        raise InputError(f"{source.path}: not valid JSON ({_short(exc)})") from None
    if isinstance(data, dict) and isinstance(data.get("cases", data.get("records")), list):
        data = data.get("cases", data.get("records"))
    if not isinstance(data, list):
        raise InputError(f"{source.path}: JSON must be an array of case records (or NDJSON, one per line)")
    size = source.path.stat().st_size
    for start in range(0, max(len(data), 1), batch_rows):
        batch = _records_batch(source, start, data[start:start + batch_rows])
        batch.position = size * min(len(data), start + batch_rows) // max(len(data), 1)
        source.rows += batch.num_rows
        yield batch


def _records_table(records: list[Any]) -> tuple[pa.Table, dict[str, tuple[np.ndarray, list[str]]], list[tuple[str, int, str]]]:
    """(table, type errors, rows that are no object) from parsed JSON values, wrong-typed values taken out."""
    kinds = field_kinds().kind
    n = len(records)
    bad_rows: list[tuple[str, int, str]] = []
    columns: dict[str, list[Any]] = {}
    for i, rec in enumerate(records):
        if rec is _NOT_JSON:
            bad_rows.append(("invalid-json", i, ""))
            continue
        if not isinstance(rec, dict):
            bad_rows.append(("not-an-object", i, json.dumps(rec, ensure_ascii=False)[:80]))
            continue
        for k, v in rec.items():
            col = columns.get(k)
            if col is None:
                col = columns[k] = [None] * n
            col[i] = v
    arrays: dict[str, pa.Array] = {}
    type_errors: dict[str, tuple[np.ndarray, list[str]]] = {}
    for name, values in columns.items():
        kind = kinds.get(name)
        if kind is None:  # not a schema field: keep as JSON text so it can be reported
            present = [isinstance(rec, dict) and name in rec for rec in records] if any(v is None for v in values) else None
            arrays[name] = text_array([json.dumps(v, ensure_ascii=False) if (v is not None or (present and present[i])) else None
                                       for i, v in enumerate(values)])
            continue
        clean: list[Any] = [None] * n
        bad_pos: list[int] = []
        for i, v in enumerate(values):
            if v is None:
                continue
            if kind in ("string", "date-time"):
                ok = isinstance(v, str)
            elif kind == "boolean":
                ok = isinstance(v, bool)
            else:
                if isinstance(v, float) and v.is_integer():
                    v = int(v)
                ok = isinstance(v, int) and not isinstance(v, bool)
                if ok and abs(v) >= 1 << 62:
                    v = (1 << 62) if v > 0 else -(1 << 62)  # beyond int64: still out of the schema's range
            if ok:
                clean[i] = v
            else:
                bad_pos.append(i)
        arrays[name] = python_array(clean, ARROW_FOR_KIND[kind])
        if bad_pos:
            type_errors[name] = (np.array(bad_pos, dtype=np.int64),
                                 [json.dumps(values[i], ensure_ascii=False)[:80] for i in bad_pos])
    return (pa.table(arrays) if arrays else empty_table(n)), type_errors, bad_rows


def _records_batch(source: Source, offset: int, records: list[Any]) -> RawBatch:
    """A raw batch from parsed JSON values (see _records_table), its code fields dictionary-encoded."""
    table, type_errors, bad_rows = _records_table(records)
    return RawBatch(source, offset, encode_codes(table), type_errors, bad_rows)


def empty_table(n: int) -> pa.Table:
    """A table of n rows and no columns."""
    return pa.table({"_": pa.nulls(n)}).drop_columns(["_"])


# ---------------------------------------------------------------- typed reading for scoring

def iter_cases(sources: Sequence[Source], columns: Sequence[str], batch_rows: int = BATCH_ROWS) -> Iterator[pa.Table]:
    """Stream the named columns of every source with canonical types; absent columns are all-null.

    Timestamps become timestamp[us, UTC]; strings stay strings or dictionaries. A value that cannot
    be read in its field's type is a DataError naming the file and column (run ``jiesu validate``).
    """
    from .errors import DataError

    kinds = field_kinds().kind
    for source in sources:
        if source.format == "parquet":
            pf, wanted = _open_parquet(source, columns)
            check_arrow_types(source, pa.schema([pf.schema_arrow.field(c) for c in wanted]))
            try:
                if wanted:
                    it = (pa.Table.from_batches([b]) for b in pf.iter_batches(batch_size=batch_rows, columns=wanted, use_threads=True))
                else:
                    it = (empty_table(min(batch_rows, pf.metadata.num_rows - s))
                          for s in range(0, pf.metadata.num_rows, batch_rows))
                for table in it:
                    yield _canonical(table, columns, kinds, source)
            except (pa.ArrowInvalid, OSError) as exc:
                raise InputError(f"{source.path}: cannot read as PARQUET: {_short(exc)}") from None
        else:
            for raw in iter_raw(source, batch_rows):
                problems = [f for f in raw.type_errors if f in columns]
                if problems or raw.bad_rows:
                    what = problems[0] if problems else "a record"
                    raise DataError(f"{source.path}: {what!r} holds values of the wrong type; run `jiesu validate` first")
                yield _canonical(raw.table, columns, kinds, source)


def _canonical(table: pa.Table, columns: Sequence[str], kinds: dict[str, str], source: Source) -> pa.Table:
    from .errors import DataError

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
                col = col.cast(pa.timestamp("us", tz="UTC")) if not pa.types.is_timestamp(col.type) or col.type.tz != "UTC" or col.type.unit != "us" else col
            elif kind == "boolean" and not pa.types.is_boolean(col.type):
                col = col.cast(pa.bool_())
            elif kind == "integer" and not pa.types.is_int64(col.type):
                col = col.cast(pa.int64())
        except (pa.ArrowInvalid, pa.ArrowNotImplementedError):
            raise DataError(f"{source.path}: column {c!r} holds values that are not {COMPATIBLE[kind]}; run `jiesu validate` first") from None
        out[c] = col
    return pa.table(out) if out else empty_table(n)


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


# ---------------------------------------------------------------- atomic writes

@contextlib.contextmanager
def atomic_path(target: str | Path) -> Iterator[Path]:
    """Yield a temporary path beside ``target``; rename it into place only if the block succeeds."""
    target = Path(target)
    directory = target.parent if str(target.parent) else Path(".")
    if not directory.is_dir():
        raise InputError(f"{target}: the folder {directory} does not exist")
    fd, tmp = tempfile.mkstemp(prefix=f".{target.name}.", suffix=".tmp", dir=directory)
    os.close(fd)
    tmp_path = Path(tmp)
    try:
        yield tmp_path
        # mkstemp makes the file 0600; give it the mode an ordinary write would (or the old file's)
        try:
            mode = target.stat().st_mode & 0o7777
        except FileNotFoundError:
            umask = os.umask(0)
            os.umask(umask)
            mode = 0o666 & ~umask
        os.chmod(tmp_path, mode)
        os.replace(tmp_path, target)
    except BaseException:
        with contextlib.suppress(FileNotFoundError):
            tmp_path.unlink()
        raise


def write_bytes_atomic(target: str | Path, data: bytes) -> None:
    with atomic_path(target) as tmp:
        tmp.write_bytes(data)
