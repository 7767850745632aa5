"""NDJSON and JSON: Arrow's C++ parser for blocks of well-formed lines, Python's json for what it
rejects, so that wrongly typed values and lines that are no object can be reported row by row."""

from __future__ import annotations

import json
import os
from collections.abc import Iterator
from functools import lru_cache
from pathlib import Path
from typing import Any

import numpy as np
import pyarrow as pa

from ..arrays import python_array, text_array
from ..errors import InputError, brief
from ..schema import field_kinds
from .batch import ARROW_FOR_KIND, RawBatch, empty_table, encode_codes
from .sources import Source
from .text import SNIFF_BYTES, open_binary


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


def raw_ndjson(source: Source, batch_rows: int) -> Iterator[RawBatch]:
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
        table = arrow_lines(block)
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


def arrow_lines(text: bytes | memoryview) -> pa.Table | None:
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
    if _too_deep(raw, ends, lines):
        return None  # Arrow's parser recurses per level and crashes (SIGSEGV) some 10,000 deep
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


#: Lines that may open more brackets than this never reach Arrow's parser: Python's reads them (and
#: reports a record nested deeper than its recursion limit as invalid-json). A case record opens 1.
MAX_OPENINGS = 64
_SCAN_BYTES = 1 << 20


def _too_deep(raw: np.ndarray, ends: np.ndarray, lines: int) -> bool:
    """Whether some line might be nested more than MAX_OPENINGS deep: it holds more than that many
    ``{`` and ``[`` (in strings or not, an upper bound of the depth). Every line opens at least one
    (it starts an object), so when the whole block holds at most ``lines + MAX_OPENINGS - 1`` of
    them no line can. The count runs over slices of a MiB in two reused buffers: ``[`` (0x5B) and
    ``{`` (0x7B) are the only bytes that read 0x7B with bit 0x20 set. About 1 ms a MB, a few per
    cent of Arrow's parse (docs/validate.md)."""
    size = min(len(raw), _SCAN_BYTES)
    folded, hit = np.empty(size, np.uint8), np.empty(size, bool)
    openings = 0
    for lo in range(0, len(raw), _SCAN_BYTES):
        part = raw[lo:lo + _SCAN_BYTES]
        k = len(part)
        np.bitwise_or(part, 0x20, out=folded[:k])
        np.equal(folded[:k], 0x7B, out=hit[:k])
        openings += int(np.count_nonzero(hit[:k]))
    if openings <= lines + MAX_OPENINGS - 1:
        return False
    at = np.flatnonzero((raw == 123) | (raw == 91))
    per_line = np.bincount(np.searchsorted(ends, at), minlength=lines + 1)
    return bool((per_line > MAX_OPENINGS).any())


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
        table = arrow_lines(piece) if len(piece) < len(text) else None  # the whole block failed already
        errors: dict[str, tuple[np.ndarray, list[str]]] = {}
        if table is None:
            records = _parse_lines(piece.splitlines())
            if not records:
                continue
            table, errors, bad = records_table(records)
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


def _is_ndjson(path: Path) -> bool:
    """Whether a .json file is really NDJSON: its first line is a whole JSON object and more lines
    follow. A file that is one JSON value (an array, a ``{"cases": [...]}`` document on one line or
    many) is JSON."""
    with open_binary(path) as fh:
        first = fh.readline(PIECE_BYTES).lstrip(b"\xef\xbb\xbf").strip()
        more = fh.read(SNIFF_BYTES).strip()
    if first[:1] != b"{" or not more:
        return False
    try:
        record = json.loads(first)
    except (ValueError, RecursionError):
        return False
    return isinstance(record, dict) and not isinstance(record.get("cases", record.get("records")), list)


def raw_json(source: Source, batch_rows: int) -> Iterator[RawBatch]:
    """A JSON array of records, or a ``{"cases": [...]}`` (or ``"records"``) document; a .json file
    holding one record per line is read as NDJSON."""
    if _is_ndjson(source.path):
        yield from raw_ndjson(source, batch_rows)
        return
    with open_binary(source.path) as fh:
        head = fh.read(SNIFF_BYTES)
    if b"\x00" in head:
        raise InputError(f"{source.path}: not a text file (it holds NUL bytes); is it really JSON?")
    try:
        with open_binary(source.path) as fh:
            data = json.load(fh)
    except RecursionError:
        raise InputError(f"{source.path}: nested too deeply to read as JSON (a case record nests one "
                         "level)") from None
    except ValueError as exc:
        raise InputError(f"{source.path}: not valid JSON ({brief(exc)})") from None
    if isinstance(data, dict) and isinstance(data.get("cases", data.get("records")), list):
        data = data.get("cases", data.get("records"))
    if not isinstance(data, list):
        raise InputError(f"{source.path}: JSON must be an array of case records (or NDJSON, one per line)")
    size = source.path.stat().st_size
    for start in range(0, max(len(data), 1), batch_rows):
        batch = records_batch(source, start, data[start:start + batch_rows])
        batch.position = size * min(len(data), start + batch_rows) // max(len(data), 1)
        source.rows += batch.num_rows
        yield batch


def records_table(records: list[Any]) -> tuple[pa.Table, dict[str, tuple[np.ndarray, list[str]]], list[tuple[str, int, str]]]:
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


def records_batch(source: Source, offset: int, records: list[Any]) -> RawBatch:
    """A raw batch from parsed JSON values (see records_table), its code fields dictionary-encoded."""
    table, type_errors, bad_rows = records_table(records)
    return RawBatch(source, offset, encode_codes(table), type_errors, bad_rows)
