"""`validate`: stream every input once, run the compiled schema checks and the semantic checks."""

from __future__ import annotations

import datetime as _dt
import json
from collections.abc import Callable, Iterator, Sequence
from dataclasses import replace
from functools import lru_cache
from pathlib import Path
from typing import Any

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc

from ..arrays import as_bool_np, int_array, text_array, valid_np
from ..io.batch import BATCH_ROWS, RawBatch
from ..io.cases import prefetch
from ..io.raw import iter_raw
from ..io.sources import Source, discover
from ..io.text import check_encoding
from ..memory import streaming_memory
from ..profile import Profile, load_profile
from ..progress import ProgressCallback
from ..records import json_records
from ..safe import shown
from ..schema import case_record_schema, field_kinds, record_validator, schema_id, schema_version
from .duplicates import DuplicateFinder, hash_strings
from .report import CHECKS, FileInfo, NoticeBook, Report, Sample
from .schema_checks import (
    CompiledSchema,
    compile_schema,
    is_text,
    per_value,
    rule_failures,
)
from .semantic import (
    DATE_TIME_FIELDS,
    SEMANTIC_FIELDS,
    epoch_us,
    semantic_failures,
)


@lru_cache(maxsize=1)
def compiled() -> CompiledSchema:
    return compile_schema(case_record_schema())


def validate(
    paths: Sequence[str | Path],
    *,
    profile: Profile | str | Path | None = None,
    max_samples: int = 5,
    encoding: str | None = None,
    strict: bool = False,
    batch_rows: int = BATCH_ROWS,
    progress: ProgressCallback | None = None,
) -> Report:
    """Validate case files (Parquet, CSV, JSON, NDJSON; files or folders) against the published
    schema and the city profile (default: Beijing). Returns the grouped :class:`Report`; raises
    :class:`jiesu.errors.InputError` when an input cannot be read at all.

    ``max_samples`` rows are kept per (code, field); ``encoding`` forces a CSV encoding; with
    ``strict`` warnings make the report invalid too.
    """
    return _run(paths, profile, max_samples, encoding, strict, batch_rows, progress, None)


def schema_invalid_rows(paths: Sequence[str | Path], *, profile: Profile | str | Path | None = None,
                        encoding: str | None = None, batch_rows: int = BATCH_ROWS) -> dict[str, list[int]]:
    """The 0-based rows of each file that break the JSON Schema (what python-jsonschema would
    reject), as validation decides them; the agreement tests compare the two."""
    rows: dict[str, list[int]] = {}
    _run(paths, profile, 0, encoding, False, batch_rows, None, rows)
    return rows


def _run(paths: Sequence[str | Path], profile: Profile | str | Path | None, max_samples: int,
         encoding: str | None, strict: bool, batch_rows: int, progress: ProgressCallback | None,
         schema_invalid_rows: dict[str, list[int]] | None) -> Report:
    if encoding is not None:
        check_encoding(encoding)
    prof = profile if isinstance(profile, Profile) else load_profile(profile)
    sources = discover(paths)
    for s in sources:
        s.encoding = encoding if s.format == "csv" else None
    book = NoticeBook(max_samples)
    sources_seen: list[Source] = []

    def replay(rows: int) -> Iterator[pa.Array | pa.ChunkedArray]:
        """The case_ids of the first ``rows`` rows again, read from the files."""
        left = rows
        for source in sources_seen:
            for batch in iter_raw(replace(source), batch_rows, ["case_id"]):  # a copy: counts stay
                if left <= 0:
                    return
                ids = _case_ids(batch.table)
                yield ids.slice(0, left) if len(ids) > left else ids
                left -= len(ids)

    # Reading case_id again is cheap in Parquet only; text files would be parsed whole again.
    dups = DuplicateFinder(replay if all(s.format == "parquet" for s in sources) else None)
    sizes = [s.path.stat().st_size for s in sources]
    total_bytes = sum(sizes) or None
    done_bytes = 0
    starts: list[int] = []  # global row where each source begins
    file_rows: list[int] = []
    rows = 0
    with streaming_memory():  # batches are freed and allocated again: reuse their memory
        for source, size in zip(sources, sizes):
            starts.append(rows)
            sources_seen.append(source)
            book.file = str(source.path)
            for batch in prefetch(iter_raw(source, batch_rows, columns_to_check(source))):
                invalid = _check_batch(batch, prof, book)
                if schema_invalid_rows is not None:
                    schema_invalid_rows.setdefault(str(source.path), []).extend((np.flatnonzero(invalid) + batch.offset).tolist())
                dups.add(_case_ids(batch.table))
                rows += batch.num_rows
                if progress:
                    if batch.position is not None:  # text: bytes read
                        part = min(size, batch.position)
                    else:  # Parquet: rows of the file's known total
                        part = int(size * min(1.0, (batch.offset + batch.num_rows) / source.rows)) if source.rows else size // 2
                    progress(done_bytes + part, total_bytes)
            source.rows = rows - starts[-1]
            file_rows.append(source.rows)
            done_bytes += size
        _report_duplicates(dups, sources, starts, book, batch_rows)
    return Report(
        schema_id=schema_id(),
        schema_version=schema_version(),
        profile=prof.source,
        files=[FileInfo(shown(str(s.path)) or "", s.format, n, s.encoding) for s, n in zip(sources, file_rows)],
        rows=rows,
        notices=book.notices(),
        strict=strict,
    )


def _case_ids(table: pa.Table) -> pa.ChunkedArray | pa.Array:
    """The ids the uniqueness check sees: case_id when it is text, else nulls (reported elsewhere)."""
    if "case_id" in table.column_names:
        ids = table.column("case_id")
        if pa.types.is_string(ids.type) or pa.types.is_large_string(ids.type) or pa.types.is_dictionary(ids.type):
            return ids
    return pa.nulls(table.num_rows, pa.string())


def columns_to_check(source: Source) -> list[str] | None:
    """The Parquet columns validation must decode (None = all): a column is left out when no check
    can fail on it. That is a schema field no conditional, requirement or semantic check reads,
    stored in a type that satisfies its rule (a boolean; a timestamp with a time zone), or an
    integer whose every row group's statistics prove its range."""
    if source.format != "parquet":
        return None
    import pyarrow.parquet as pq

    try:
        meta = pq.read_metadata(source.path)
        arrow = meta.schema.to_arrow_schema()
    except (pa.ArrowException, OSError):
        return None  # reading will say what is wrong with the file
    schema = compiled()
    read = set(schema.required) | SEMANTIC_FIELDS
    for cond in schema.conditionals:
        read |= {cond.when_field, *cond.then_required}
    keep = []
    for i, name in enumerate(arrow.names):
        rule = schema.rules.get(name)
        if name in read or rule is None or rule.enum is not None or rule.pattern is not None \
                or rule.min_length is not None or rule.max_length is not None:
            keep.append(name)
            continue
        t = arrow.field(name).type
        ranged = rule.minimum is not None or rule.maximum is not None
        if rule.kind == "boolean" and pa.types.is_boolean(t) and not ranged:
            continue
        if rule.kind == "date-time" and pa.types.is_timestamp(t) and t.tz is not None and not ranged:
            continue
        if rule.kind == "integer" and pa.types.is_integer(t) and _range_proven(meta, i, rule.minimum, rule.maximum):
            continue
        keep.append(name)
    return keep


def _range_proven(meta: Any, column: int, lo: float | None, hi: float | None) -> bool:
    """Whether every row group's statistics put column ``column`` within [lo, hi]."""
    if meta.num_columns != len(meta.schema.to_arrow_schema()):
        return False  # nested columns: positions differ, do not guess
    for g in range(meta.num_row_groups):
        chunk = meta.row_group(g).column(column)
        stats = chunk.statistics
        if stats is None:
            return False
        if stats.has_null_count and stats.null_count == chunk.num_values:
            continue  # all null
        if not stats.has_min_max:
            return False
        if (lo is not None and stats.min < lo) or (hi is not None and stats.max > hi):
            return False
    return True


def _hidden(value: Any) -> None:
    """Values of fields outside the schema are never shown: they may be anything a person typed."""


def _samples(batch: RawBatch, mask: np.ndarray, col: pa.ChunkedArray | None, room: int,
             shown: Callable[[Any], str | None] = lambda v: v) -> list[Sample]:
    if room <= 0:
        return []
    pos = np.flatnonzero(mask)[:room]
    values: list[Any] = [None] * len(pos)
    if col is not None:
        taken = col.take(int_array(pos))
        try:
            values = [_text(v) for v in taken.to_pylist()]
        except (ValueError, OverflowError):  # a timestamp beyond Python's years: Arrow's text of it
            values = taken.cast(pa.string()).to_pylist()
    return [Sample(str(batch.source.path), int(batch.offset + p + 1), shown(v)) for p, v in zip(pos, values)]


def _text(v: Any) -> str | None:
    if v is None:
        return None
    if isinstance(v, _dt.datetime):
        return v.isoformat()
    if isinstance(v, bool):
        return "true" if v else "false"
    return str(v)


def _check_batch(batch: RawBatch, profile: Profile, book: NoticeBook) -> np.ndarray:
    """Run every check on one batch; returns the mask of rows that break the JSON Schema."""
    schema = compiled()
    table, n = batch.table, batch.num_rows
    invalid = np.zeros(n, bool)
    not_object = np.zeros(n, bool)
    for code, pos, text in batch.bad_rows:
        not_object[pos] = True
        if book.room(code, None) > 0:
            book.add(code, None, CHECKS[code].summary, 1, [Sample(str(batch.source.path), batch.offset + pos + 1, text or None)])
        else:
            book.add(code, None, CHECKS[code].summary, 1, [])
    invalid |= not_object
    typed_wrong: dict[str, np.ndarray] = {}
    for name, (pos, raw) in batch.type_errors.items():
        m = np.zeros(n, bool)
        m[pos] = True
        typed_wrong[name] = m
        invalid |= m
        kind = field_kinds().kind[name]
        samples = [Sample(str(batch.source.path), int(batch.offset + p + 1), r, f"{r} is not of type {kind!r}")
                   for p, r in list(zip(pos, raw))[: book.room("wrong-type", name)]]
        book.add("wrong-type", name, f"must be {'text' if kind in ('string', 'date-time') else kind}", len(pos), samples)

    def record(code: str, name: str | None, message: str, mask: np.ndarray, *, schema_check: bool,
               show: Callable[[Any], str | None] = lambda v: v, explain: bool = False) -> None:
        nonlocal invalid
        if not_object.any():
            mask = mask & ~not_object
        count = int(np.count_nonzero(mask))
        if not count:
            return
        if schema_check:
            invalid |= mask
        col = table.column(name) if name is not None and name in table.column_names else None
        samples = _samples(batch, mask, col, book.room(code, name), show)
        if explain:
            for s in samples:
                s.explanation = _explain(table, s.row - batch.offset - 1, name)
        book.add(code, name, message, count, samples)

    names = set(table.column_names)
    def absent(name: str) -> np.ndarray | None:
        """Rows without a value for ``name`` (a wrongly typed value was reported already); None if none."""
        if name not in names:
            return np.ones(n, bool)
        col = table.column(name)
        if not col.null_count:
            return None
        out = ~valid_np(col)
        return out & ~typed_wrong[name] if name in typed_wrong else out

    for name in table.column_names:
        if name not in schema.rules and not schema.additional_properties:
            col = table.column(name)
            if col.null_count < n:
                record("unknown-field", name, "is not a field of the case-record schema", valid_np(col), schema_check=True, show=_hidden)
    for name in schema.required:
        missing = absent(name)
        if missing is not None:
            record("missing-required", name, "is required", missing, schema_check=True)
    times = {f: epoch_us(table.column(f)) for f in DATE_TIME_FIELDS if f in names}
    for name, rule in schema.rules.items():
        if name not in names:
            continue
        ok = times[name][1] if name in times else None
        for code, message, mask in rule_failures(rule, table.column(name), ok):
            record(code, name, message, mask, schema_check=True, explain=True)
    for cond in schema.conditionals:
        if cond.when_field not in names:
            continue
        when = table.column(cond.when_field)
        if isinstance(cond.when_value, bool):
            if not pa.types.is_boolean(when.type):
                continue
            hit = as_bool_np(when if cond.when_value else pc.invert(when))
        elif isinstance(cond.when_value, str) and is_text(when.type):
            value = text_array([cond.when_value])
            hit = per_value(when, lambda a, value=value: pc.is_in(a, value_set=value))
        else:
            continue
        if not hit.any():
            continue
        for target in cond.then_required:
            missing = absent(target)
            if missing is not None:
                record("conditional-required", target, f"is required when {cond.when_field} is {json.dumps(cond.when_value)}",
                       hit & missing, schema_check=True)

    for code, name, message, mask in semantic_failures(table, profile, times):
        record(code, name, message, mask, schema_check=False)
    return invalid


def _explain(table: pa.Table, pos: int, field_name: str | None) -> str | None:
    """python-jsonschema's own words for one failing record and field."""
    try:
        (rec,) = json_records(table.slice(pos, 1))
    except (ValueError, OverflowError):  # a timestamp beyond Python's years (reported on its own)
        return None
    for err in record_validator().iter_errors(rec):
        path = list(err.absolute_path)
        if not field_name or (path and path[0] == field_name):
            return err.message[:200]
    return None


def _report_duplicates(dups: DuplicateFinder, sources: list[Source], starts: list[int], book: NoticeBook, batch_rows: int) -> None:
    bounds = np.array([*starts, dups.rows])

    def scan(hashes: np.ndarray) -> tuple[np.ndarray, pa.Array]:
        """Global rows whose case_id hashes to one of ``hashes``, re-reading only case_id."""
        found_rows, found_values = [], []
        for si, source in enumerate(sources):
            for batch in iter_raw(replace(source), batch_rows, ["case_id"]):  # a copy: counts stay
                if "case_id" not in batch.table.column_names:
                    continue
                ids = batch.table.column("case_id").combine_chunks()
                if not is_text(ids.type):
                    continue
                h, valid = hash_strings(ids)
                hit = np.flatnonzero(valid & np.isin(h, hashes))
                if len(hit):
                    found_rows.append(bounds[si] + batch.offset + hit)
                    found_values.append(ids.take(int_array(hit)).cast(pa.string()))
        if not found_rows:
            return np.zeros(0, np.int64), text_array([])
        return np.concatenate(found_rows).astype(np.int64), pa.concat_arrays(found_values)

    rows, first, values = dups.finish(scan)
    if not len(rows):
        return

    def where(row: int) -> tuple[str, int]:
        si = int(np.searchsorted(bounds, row, side="right") - 1)
        return str(sources[si].path), int(row - bounds[si] + 1)

    room = book.room("duplicate-case-id", "case_id")
    samples = []
    for row, first_row, value in zip(rows[:room].tolist(), first[:room].tolist(), values[:room].to_pylist()):
        f, r = where(row)
        ff, fr = where(first_row)
        samples.append(Sample(f, r, value, f"same case_id as {ff} row {fr}"))
    per_source = np.bincount(np.searchsorted(bounds, rows, side="right") - 1, minlength=len(sources))
    by_file = {str(s.path): int(n) for s, n in zip(sources, per_source.tolist()) if n}
    book.add("duplicate-case-id", "case_id", "appears more than once", len(rows), samples, by_file=by_file)
