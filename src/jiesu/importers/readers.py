"""Reading other systems' exports for a mapping: only the columns the mapping names, every value as
text (an empty cell is null), in batches of bounded size.

- CSV (UTF-8 with or without a byte-order mark, or GB18030; gzip too): Arrow's multi-threaded CSV
  reader in small blocks (its read-ahead stays bounded), converting only the named columns; the
  others are skipped by its tokenizer, never converted or kept. A row with the wrong number of cells
  is counted and skipped.
- XLSX: openpyxl in read-only mode, one row at a time (a workbook holds at most 1,048,576 rows);
  only the named columns' cells are converted. Date cells become ISO text (``iso`` reads them).
- JSON (an array of records, streamed; or the array under ``source.records``, read whole) and NDJSON
  (one record a line): only the named keys are taken from each record; ``a.b`` reads a nested key,
  ``notes[type=closed].datetime`` an element of a list. A line that is not a JSON object is counted.
"""

from __future__ import annotations

import codecs
import csv
import gzip
import io
import json
import os
import threading
from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass
from datetime import date, datetime, time
from pathlib import Path
from typing import IO, Any

import numpy as np
import pyarrow as pa

from ..arrays import text_array
from ..errors import InputError, brief
from ..io.sources import Source
from ..io.text import SNIFF_BYTES, encoding_of, refuse_binary, sniff_encoding
from .mapping import Mapping, parse_selector

#: file name endings of the formats an import reads
IMPORT_FORMATS = {".csv": "csv", ".csv.gz": "csv", ".txt": "csv", ".xlsx": "xlsx", ".json": "json",
                  ".ndjson": "ndjson", ".jsonl": "ndjson", ".ndjson.gz": "ndjson", ".json.gz": "json"}
BLOCK_BYTES = 1 << 22  # 4 MiB blocks of CSV (Arrow reads about 35 of them ahead)
BATCH_BYTES = 1 << 25  # mapped in batches of 32 MiB of CSV (fewer, larger batches: less work per batch)
BATCH_ROWS = 1 << 17
#: counted by the caller: (reason, record number or None, what to show)
BadRow = Callable[[str, int | None, str], None]


@dataclass
class SourceBatch:
    """Some records of one source: the named columns as text."""

    source: Source
    offset: int  # records of this source before this batch
    table: pa.Table
    position: int = 0  # bytes of the file read so far
    numbers: np.ndarray | None = None  # 1-based record numbers of the rows, when not offset + 1, 2, ...

    def record_numbers(self, rows: np.ndarray) -> np.ndarray:
        """The 1-based record numbers (in the source) of some rows of this batch."""
        return self.numbers[rows] if self.numbers is not None else self.offset + 1 + rows


def import_format(path: Path) -> str | None:
    name = path.name.lower()
    for ext in sorted(IMPORT_FORMATS, key=len, reverse=True):
        if name.endswith(ext):
            return IMPORT_FORMATS[ext]
    return None


def find_sources(paths: Sequence[str | Path], fmt: str | None = None) -> list[Source]:
    """Files and folders (searched recursively, hidden files left out) as sources, in order."""
    if not paths:
        raise InputError("no input given: name one or more files or folders")
    known = ", ".join(sorted(IMPORT_FORMATS))
    out: list[Source] = []
    for raw in paths:
        path = Path(raw)
        if not path.exists():
            raise InputError(f"{path}: no such file or folder")
        if path.is_dir():
            found = sorted(p for p in path.rglob("*") if p.is_file() and import_format(p)
                           and not any(part.startswith((".", "_")) for part in p.relative_to(path).parts))
            if not found:
                raise InputError(f"{path}: the folder holds no file to import ({known})")
            out.extend(Source(p, fmt or import_format(p) or "csv") for p in found)
            continue
        if not path.is_file():
            raise InputError(f"{path}: not a regular file")
        kind = fmt or import_format(path)
        if kind is None:
            raise InputError(f"{path}: cannot tell the format from the name ({known}); "
                             "or set source.format in the mapping")
        if not os.access(path, os.R_OK):
            raise InputError(f"{path}: permission denied")
        out.append(Source(path, kind))
    return out


def batches(source: Source, mapping: Mapping, bad_row: BadRow, encoding: str | None = None) -> Iterator[SourceBatch]:
    """The mapping's columns of one source, batch by batch."""
    reader = {"csv": _csv, "xlsx": _xlsx, "json": _json, "ndjson": _ndjson}[source.format]
    yield from reader(source, mapping, bad_row, encoding)


def _is_gzip(path: Path) -> bool:
    with open(path, "rb") as fh:
        return fh.read(2) == b"\x1f\x8b"


def _open_text_bytes(path: Path) -> IO[bytes]:
    return gzip.open(path, "rb") if _is_gzip(path) else open(path, "rb")  # type: ignore[return-value]


def check_columns(source: Source, header: list[str], mapping: Mapping) -> list[str]:
    """The mapping's columns present in a header; InputError for a missing or repeated one."""
    present = set(header)
    missing = []
    for rule in mapping.rules.values():
        cols = rule.source_columns
        if cols and not any(c in present for c in cols):
            missing.append(" or ".join(repr(c) for c in cols))
    if missing:
        raise InputError(f"{source.path}: missing column{'s' if len(missing) > 1 else ''} {', '.join(missing)} "
                         f"that mapping {mapping.id!r} reads (is this a {mapping.name} export?)")
    wanted = [c for c in mapping.columns if c in present]
    repeated = sorted({c for c in wanted if header.count(c) > 1})
    if repeated:
        raise InputError(f"{source.path}: column {', '.join(map(repr, repeated))} appears more than once "
                         "in the header; the mapping cannot tell which to read")
    return wanted


# ---------------------------------------------------------------- CSV

def _csv(source: Source, mapping: Mapping, bad_row: BadRow, encoding: str | None) -> Iterator[SourceBatch]:
    import pyarrow.csv as pcsv

    path = source.path
    gz = _is_gzip(path)
    enc = _encoding(path, encoding or mapping.encoding, gz)
    source.encoding = enc
    header = _csv_header(path, enc)
    wanted = check_columns(source, header, mapping)
    lock = threading.Lock()

    def invalid(row: Any) -> str:
        with lock:
            bad_row("wrong-number-of-cells", None, f"{row.actual_columns} cells where the header has {row.expected_columns}")
        return "skip"

    raw = pa.OSFile(str(path))
    stream = pa.CompressedInputStream(raw, "gzip") if gz else raw
    offset = 0
    try:
        reader = pcsv.open_csv(
            stream,
            # Arrow reads some 35 blocks ahead: small blocks keep that bounded (about 140 MiB), and
            # they are joined into batches of BATCH_BYTES for the mapping
            read_options=pcsv.ReadOptions(encoding="utf8" if enc == "utf-8" else enc, block_size=BLOCK_BYTES),
            parse_options=pcsv.ParseOptions(newlines_in_values=True, invalid_row_handler=invalid),
            convert_options=pcsv.ConvertOptions(
                include_columns=wanted, column_types={c: pa.string() for c in wanted},
                strings_can_be_null=True, quoted_strings_can_be_null=True, null_values=[""],
            ),
        )
        pending: list[pa.RecordBatch] = []
        for batch in reader:
            pending.append(batch)
            if len(pending) * BLOCK_BYTES >= BATCH_BYTES:
                table = pa.Table.from_batches(pending)
                pending = []
                source.rows += table.num_rows
                yield SourceBatch(source, offset, table, raw.tell())
                offset += table.num_rows
        if pending:
            table = pa.Table.from_batches(pending)
            source.rows += table.num_rows
            yield SourceBatch(source, offset, table, raw.tell())
    except (pa.ArrowInvalid, OSError, EOFError, UnicodeDecodeError) as exc:
        raise InputError(f"{path}: cannot read as CSV ({brief(exc)})") from None
    finally:
        raw.close()


def _encoding(path: Path, given: str | None, gz: bool) -> str:
    if given:
        try:
            codecs.lookup(given)
        except LookupError:
            raise InputError(f"unknown encoding {given!r}") from None
        return codecs.lookup(given).name.replace("utf_8", "utf-8")
    if not gz:
        return sniff_encoding(path)
    with _open_text_bytes(path) as fh:
        try:
            head = fh.read(SNIFF_BYTES)
        except (OSError, EOFError) as exc:
            raise InputError(f"{path}: cannot read ({brief(exc)})") from None
    return encoding_of(head, path)


def _csv_header(path: Path, encoding: str) -> list[str]:
    try:
        with _open_text_bytes(path) as fh:
            head = fh.read(SNIFF_BYTES)
    except (OSError, EOFError) as exc:
        raise InputError(f"{path}: cannot read ({brief(exc)})") from None
    refuse_binary(head, path)
    text = codecs.getincrementaldecoder(encoding)(errors="replace").decode(head, final=False).lstrip("\ufeff")
    try:
        row = next(csv.reader(io.StringIO(text)), [])
    except csv.Error:
        row = []
    if not row:
        raise InputError(f"{path}: empty file (no header row)")
    return [c.strip() for c in row]


# ---------------------------------------------------------------- XLSX

def _cell_text(v: Any) -> str | None:
    if v is None:
        return None
    if isinstance(v, str):
        return v
    if isinstance(v, bool):
        return "true" if v else "false"
    if isinstance(v, datetime):
        return v.isoformat(timespec="seconds")
    if isinstance(v, (date, time)):
        return v.isoformat()
    if isinstance(v, float) and v.is_integer() and abs(v) < 1e18:
        return str(int(v))
    return str(v)


def _xlsx(source: Source, mapping: Mapping, bad_row: BadRow, encoding: str | None) -> Iterator[SourceBatch]:
    import zipfile

    from openpyxl import load_workbook

    path = source.path
    try:
        wb = load_workbook(path, read_only=True, data_only=True)
    except (zipfile.BadZipFile, OSError, KeyError, ValueError) as exc:
        raise InputError(f"{path}: cannot read as XLSX ({brief(exc)})") from None
    try:
        if mapping.sheet is not None:
            if mapping.sheet not in wb.sheetnames:
                raise InputError(f"{path}: no sheet named {mapping.sheet!r} (sheets: {', '.join(wb.sheetnames)})")
            ws = wb[mapping.sheet]
        else:
            ws = wb.worksheets[0]
        rows = ws.iter_rows(values_only=True)
        header: list[str] = []
        for row in rows:
            if any(v is not None and str(v).strip() for v in row):
                header = [str(v).strip() if v is not None else "" for v in row]
                break
        if not header:
            raise InputError(f"{path}: the sheet is empty (no header row)")
        wanted = check_columns(source, header, mapping)
        index = [header.index(c) for c in wanted]
        size = os.path.getsize(path)
        offset = 0
        chunk: list[list[str | None]] = [[] for _ in wanted]
        count = 0
        for row in rows:
            width = len(row)
            for out, i in zip(chunk, index):
                out.append(_cell_text(row[i]) if i < width else None)
            count += 1
            if count == BATCH_ROWS:
                yield _text_batch(source, offset, wanted, chunk, 0)
                offset += count
                chunk, count = [[] for _ in wanted], 0
        if count:
            yield _text_batch(source, offset, wanted, chunk, size)
    except (zipfile.BadZipFile, OSError, KeyError, ValueError) as exc:
        raise InputError(f"{path}: cannot read as XLSX ({brief(exc)})") from None
    finally:
        wb.close()


def _text_batch(source: Source, offset: int, names: list[str], columns: list[list[str | None]],
                position: int) -> SourceBatch:
    n = len(columns[0]) if columns else 0
    table = pa.table({name: text_array(col) for name, col in zip(names, columns)}) if names else \
        pa.table({"_": pa.nulls(n)}).drop_columns(["_"])
    source.rows += n
    return SourceBatch(source, offset, table, position)


# ---------------------------------------------------------------- JSON and NDJSON

class _Picker:
    """Takes the mapping's columns out of parsed JSON records, as text."""

    def __init__(self, mapping: Mapping) -> None:
        self.names = list(mapping.columns)
        self.getters = [self._getter(c) for c in self.names]

    @staticmethod
    def _getter(column: str) -> Callable[[dict[str, Any]], Any]:
        sel = parse_selector(column)
        if sel is not None:
            key, match_key, match_value, field = sel

            def pick(rec: dict[str, Any]) -> Any:
                items = rec.get(key)
                if isinstance(items, list):
                    for item in items:
                        if isinstance(item, dict) and _text(item.get(match_key)) == match_value:
                            return item.get(field)
                return None
            return pick
        if "." in column:
            parts = column.split(".")

            def nested(rec: dict[str, Any]) -> Any:
                if column in rec:
                    return rec[column]
                node: Any = rec
                for p in parts:
                    if not isinstance(node, dict):
                        return None
                    node = node.get(p)
                return node
            return nested
        return lambda rec: rec.get(column)

    def batch(self, source: Source, offset: int, records: list[Any], bad_row: BadRow,
              position: int) -> SourceBatch:
        """A batch of records; ``offset`` records of the source came before them."""
        first_row = offset + 1
        columns: list[list[str | None]] = [[] for _ in self.names]
        numbers = []
        for i, rec in enumerate(records):
            if not isinstance(rec, dict):
                bad_row("not-an-object" if rec is not _INVALID else "invalid-json", first_row + i,
                        "" if rec is _INVALID else type(rec).__name__)
                continue
            numbers.append(first_row + i)
            for out, get in zip(columns, self.getters):
                out.append(_text(get(rec)))
        batch = _text_batch(source, offset, self.names, columns, position)
        if len(numbers) != len(records):
            batch.numbers = np.array(numbers, np.int64)
        return batch


_INVALID = object()


def _text(v: Any) -> str | None:
    if v is None or isinstance(v, str):
        return v
    if isinstance(v, bool):
        return "true" if v else "false"
    if isinstance(v, float) and v.is_integer() and abs(v) < 1e18:
        return str(int(v))
    if isinstance(v, (int, float)):
        return str(v)
    return json.dumps(v, ensure_ascii=False)


def _ndjson(source: Source, mapping: Mapping, bad_row: BadRow, encoding: str | None) -> Iterator[SourceBatch]:
    picker = _Picker(mapping)
    path = source.path
    rows = 0  # records before the pending ones
    records: list[Any] = []
    try:
        with _open_text_bytes(path) as fh:
            for number, line in enumerate(fh, start=1):
                if number == 1 and line.startswith(codecs.BOM_UTF8):
                    line = line[3:]
                if not line.strip():
                    continue
                try:
                    records.append(json.loads(line))
                except (ValueError, RecursionError):
                    records.append(_INVALID)
                if len(records) == BATCH_ROWS:
                    yield picker.batch(source, rows, records, bad_row, 0 if _is_gz(fh) else fh.tell())
                    rows += len(records)
                    records = []
    except (OSError, EOFError) as exc:
        raise InputError(f"{path}: cannot read ({brief(exc)})") from None
    if records or not rows:
        yield picker.batch(source, rows, records, bad_row, path.stat().st_size)


def _is_gz(fh: Any) -> bool:
    return isinstance(fh, gzip.GzipFile)


def _json(source: Source, mapping: Mapping, bad_row: BadRow, encoding: str | None) -> Iterator[SourceBatch]:
    picker = _Picker(mapping)
    path = source.path
    with _open_text_bytes(path) as fh:
        head = fh.read(SNIFF_BYTES).lstrip(codecs.BOM_UTF8).lstrip()
    if head[:1] == b"{" and mapping.records is None:
        yield from _ndjson(source, mapping, bad_row, encoding)  # one object: NDJSON (or a single record)
        return
    if mapping.records is not None:
        try:
            with _open_text_bytes(path) as fh:
                data = json.load(io.TextIOWrapper(fh, encoding="utf-8-sig"))
        except (ValueError, RecursionError, OSError, EOFError) as exc:
            raise InputError(f"{path}: not valid JSON ({brief(exc)})") from None
        items = data.get(mapping.records) if isinstance(data, dict) else None
        if not isinstance(items, list):
            raise InputError(f"{path}: no array of records under the key {mapping.records!r}")
        size = path.stat().st_size
        for start in range(0, max(len(items), 1), BATCH_ROWS):
            yield picker.batch(source, start, items[start:start + BATCH_ROWS], bad_row, size)
        return
    rows = 0
    records: list[Any] = []
    for rec in _stream_array(path):
        records.append(rec)
        if len(records) == BATCH_ROWS:
            yield picker.batch(source, rows, records, bad_row, 0)
            rows += len(records)
            records = []
    yield picker.batch(source, rows, records, bad_row, path.stat().st_size)


def _stream_array(path: Path, chunk_chars: int = 1 << 20) -> Iterator[Any]:
    """The elements of a top-level JSON array, one at a time, holding about one chunk of text."""
    decoder = json.JSONDecoder()
    with _open_text_bytes(path) as raw:
        fh = io.TextIOWrapper(raw, encoding="utf-8-sig")
        buf, pos, eof = "", 0, False

        def more() -> bool:
            nonlocal buf, pos, eof
            data = fh.read(chunk_chars)
            if not data:
                eof = True
                return False
            buf, pos = buf[pos:] + data, 0
            return True

        def skip() -> None:
            nonlocal pos
            while True:
                while pos < len(buf) and buf[pos] in " \t\r\n":
                    pos += 1
                if pos < len(buf) or not more():
                    return

        try:
            more()
            skip()
            if buf[pos:pos + 1] != "[":
                raise InputError(f"{path}: a JSON file must hold an array of records (or set source.records)")
            pos += 1
            first = True
            while True:
                skip()
                if pos >= len(buf):
                    raise InputError(f"{path}: not valid JSON (the array is not closed)")
                if buf[pos] == "]":
                    return
                if not first:
                    if buf[pos] != ",":
                        raise InputError(f"{path}: not valid JSON (expected , or ] between records)")
                    pos += 1
                    skip()
                first = False
                while True:
                    try:
                        value, end = decoder.raw_decode(buf, pos)
                        if end >= len(buf) and not eof and isinstance(value, (int, float)):
                            raise ValueError("a number may go on")
                        break
                    except (ValueError, RecursionError) as exc:
                        if eof or not more():
                            raise InputError(f"{path}: not valid JSON ({brief(exc)})") from None
                pos = end
                yield value
        except (OSError, EOFError, UnicodeDecodeError) as exc:
            raise InputError(f"{path}: cannot read ({brief(exc)})") from None
