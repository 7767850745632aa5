"""``import_cases``: an export in, case records out (zstd Parquet, written atomically), with a
report of every row read, written and rejected."""

from __future__ import annotations

import json
import time
from collections import deque
from collections.abc import Iterator, Sequence
from concurrent.futures import Future, ThreadPoolExecutor
from pathlib import Path

import numpy as np
import pyarrow as pa

from ..errors import InputError, OutputError, ProfileError
from ..io.sources import Source
from ..profile import Profile, load_profile
from ..progress import ProgressCallback
from .engine import ImportReport, Mapper
from .mapping import Mapping, load_mapping
from .readers import batches, find_sources

ROW_GROUP_ROWS = 1 << 19  # row groups of 512 Ki cases: one written while the next is mapped


class _NothingWritten(Exception):
    """Raised inside the writer so that the temporary file is removed, never renamed into place."""


def mapped_tables(inputs: Sequence[str | Path | Source], mapping: Mapping, profile: Profile | None,
                  report: ImportReport, *, encoding: str | None = None,
                  progress: ProgressCallback | None = None) -> Iterator[tuple[pa.Table, dict[str, np.ndarray], Mapper]]:
    """Every source's batches, mapped: (case-record table, extras, the mapper), in order."""
    sources = as_import_sources(inputs, mapping)
    from ..io.cases import prefetch

    mapper = Mapper(mapping, profile, report)
    sizes = [s.path.stat().st_size for s in sources]
    total = sum(sizes)
    done = 0
    for source, size in zip(sources, sizes):
        counter = _BadRows(report, source)
        # the next batch is read (Arrow's threads) while this one is mapped
        for batch in prefetch(batches(source, mapping, counter.append, encoding)):
            counter.count()
            table, extras = mapper.map(batch)
            if progress is not None:
                progress(done + min(batch.position, size), total)
            yield table, extras, mapper
        counter.count()
        done += size
        report.sources.append({"path": source.name, "format": source.format, "encoding": source.encoding,
                               "rows": source.rows})
        if progress is not None:
            progress(done, total)
    mapper.finish()


class _BadRows:
    """Rows a reader could not split or parse, noted by the reading thread, counted by the caller's."""

    def __init__(self, report: ImportReport, source: Source) -> None:
        self.report, self.source, self.rows = report, source, deque()

    def append(self, reason: str, number: int | None, what: str) -> None:
        self.rows.append((reason, number, what))

    def count(self) -> None:
        while self.rows:
            reason, number, what = self.rows.popleft()
            self.report.reject("(row)", reason, 1, [{"file": self.source.name, "row": number, "value": what}])
            self.report.rows_read += 1
            self.report.rows_rejected += 1


def as_import_sources(inputs: Sequence[str | Path | Source], mapping: Mapping) -> list[Source]:
    """Sources as given, or found from files and folders (the mapping may set the format)."""
    if inputs and all(isinstance(s, Source) for s in inputs):
        return list(inputs)  # type: ignore[arg-type]
    return find_sources([s.path if isinstance(s, Source) else s for s in inputs], mapping.format)


def prepare(mapping: Mapping | str | Path, profile: Profile | str | Path | None) -> tuple[Mapping, Profile | None]:
    """The mapping and the profile it needs (None when it needs none and none was given)."""
    m = load_mapping(mapping)
    p = load_profile(profile) if profile is not None else None
    if m.needs_profile and p is None:
        raise ProfileError(f"mapping {m.id!r} takes time limits from a profile (limit_hours = \"profile\"): give --profile")
    return m, p


def import_cases(inputs: Sequence[str | Path | Source], *, profile: Profile | str | Path | None = None,
                 mapping: Mapping | str | Path, output: str | Path, profile_output: str | Path | None = None,
                 encoding: str | None = None, strict: bool = False,
                 progress: ProgressCallback | None = None) -> ImportReport:
    """Map an export (CSV, XLSX, JSON, NDJSON files or folders) to case records in ``output``.

    ``mapping`` is a built-in name (``boston-311``, ``nyc-311``, ``open311``, ``cn-12345``) or a
    mapping TOML file; ``profile`` is needed only by a mapping that takes time limits from it.
    ``profile_output`` also writes a profile inferred from the same pass (``infer_profile``). Both
    outputs go through ``jiesu.io.atomic``'s guard (``-`` is stdout; never a folder, a device or an
    input; OutputError otherwise).
    Rows a rule rejects are counted in the report, never written. Nothing is written (and
    ``report.written`` is False) when no row could be mapped, or with ``strict`` when any row was
    rejected. ProfileError for an unusable mapping, InputError for an unreadable input.
    """
    from ..records import arrow_schema, parquet_writer
    from .infer import ProfileStats

    started = time.perf_counter()
    from ..io.atomic import output_target, write_bytes_atomic

    m, p = prepare(mapping, profile)
    sources = as_import_sources(inputs, m)
    paths = [s.path for s in sources]
    target = output_target(output, paths, binary=True)
    if profile_output is not None and output_target(profile_output, paths) == target and target.kind != "null":
        raise OutputError(f"{profile_output}: the profile and the case records cannot go to the same place")
    report = ImportReport(m.id, m.source, output=str(output))
    stats = ProfileStats(m) if profile_output is not None else None
    schema = arrow_schema().with_metadata(_metadata(m))
    try:
        with parquet_writer(output, schema, inputs=paths) as writer, ThreadPoolExecutor(max_workers=1) as background:
            pending: list[pa.Table] = []
            rows = 0
            mapper = None
            writing: Future | None = None  # one row group written while the next is mapped

            def write(tables: list[pa.Table]) -> Future:
                if writing is not None:
                    writing.result()
                return background.submit(writer.write_table, pa.concat_tables(tables), row_group_size=ROW_GROUP_ROWS)

            for table, extras, mapper in mapped_tables(sources, m, p, report, encoding=encoding, progress=progress):
                if stats is not None:
                    stats.add(table, extras)
                if table.num_rows:
                    pending.append(table)
                    rows += table.num_rows
                if rows >= ROW_GROUP_ROWS:
                    writing = write(pending)
                    pending, rows = [], 0
            if report.rows_read == 0:
                raise InputError(f"{', '.join(s['path'] for s in report.sources) or 'the input'}: no records to import")
            if report.rows_written == 0 or (strict and report.rows_rejected):
                raise _NothingWritten
            write(pending or [schema.empty_table()]).result()
            if stats is not None and mapper is not None:  # before the cases are renamed into place
                from .infer import profile_text

                text = profile_text(stats.profile_data(mapper, report), m)
                write_bytes_atomic(profile_output, text.encode("utf-8"), paths)  # type: ignore[arg-type]
                report.profile_output = str(profile_output)
        report.written = True
    except _NothingWritten:
        report.written = False
    report.seconds = time.perf_counter() - started
    return report


def _metadata(m: Mapping) -> dict[str, str]:
    from ..schema import schema_version

    return {
        "jiesu.schema_version": schema_version(),
        "jiesu.generator": "jiesu import",
        "jiesu.mapping": m.id,
        "jiesu.mapping_rules": json.dumps({name: r.describe() for name, r in m.rules.items()}, ensure_ascii=False),
    }
