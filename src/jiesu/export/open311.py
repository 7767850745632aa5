"""Case records as Open311 GeoReport v2 service requests (JSON array, or NDJSON for big files).

Each record becomes ``service_request_id`` (case_id), ``status`` (open or closed: a closed or
cancelled case is closed; GeoReport knows no other words), ``status_notes`` (jiesu's own status,
so nothing is lost), ``service_code`` and ``service_name`` (the category and its name in the
profile), ``agency_responsible`` (the unit), ``requested_datetime`` (received_at),
``expected_datetime`` (deadline_at), ``updated_datetime`` (the latest time the record holds), and
``notes``: the dispatch, first contact, callback and closing as events with a ``type`` and a
``datetime``. Every time carries the offset of the profile's time zone at that instant.

Built column by column (Arrow string kernels; times formatted by numpy), streamed batch by batch:
no Python loop over records. Codes match the schema's code pattern, so they need no JSON escaping;
names from the profile are escaped once each.
"""

from __future__ import annotations

import json
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import IO

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc

from ..arrays import text_array
from ..errors import ArgumentError
from ..io.sources import Source, as_sources
from ..profile import Profile, load_profile
from ..progress import ProgressCallback

FORMATS = ("json", "ndjson")
COLUMNS = ["case_id", "received_at", "category", "unit", "status", "deadline_at", "dispatched_at",
           "first_contact_at", "callback_at", "closed_at"]
#: (case-record field, note type, summary) of the events written as notes
EVENTS = (("dispatched_at", "dispatched", "Dispatched to the handling unit"),
          ("first_contact_at", "first_contact", "The handling unit contacted the requester"),
          ("closed_at", "closed", "Closed"),
          ("callback_at", "callback", "The hotline called the requester back"))


@dataclass
class ExportResult:
    rows: int
    output: str


def _text(col: pa.ChunkedArray | pa.Array) -> pa.Array:
    arr = col.combine_chunks() if isinstance(col, pa.ChunkedArray) else col
    return arr.cast(pa.string()) if pa.types.is_dictionary(arr.type) else arr


_PLAIN = r'^[^"\\\x00-\x1f\x7f]*$'  # text JSON takes between quotes as it is


def _quoted(arr: pa.Array) -> pa.Array:
    """Each value as a JSON string (null stays null). Codes and status words hold nothing JSON must
    escape, so they are quoted columnarly; any other text (the export does not assume its input
    was validated) is escaped by ``json.dumps``, once per distinct value."""
    plain = pc.match_substring_regex(arr, _PLAIN)
    if pc.all(pc.or_kleene(plain, pc.is_null(arr))).as_py() is not False:
        return pc.binary_join_element_wise('"', arr, '"', "")
    enc = pc.dictionary_encode(arr)
    escaped = text_array([json.dumps(v, ensure_ascii=False) for v in enc.dictionary.to_pylist()])
    return escaped.take(enc.indices)


def _join_present(parts: list[pa.Array], sep: str = ",") -> pa.Array:
    """The non-null parts of each row joined by ``sep`` ("" when none). Not Arrow's
    ``null_handling="skip"``: pyarrow 26 drops the rows whose parts are all null."""
    ended = [pc.binary_join_element_wise(p, sep, "") for p in parts]  # null stays null
    joined = pc.binary_join_element_wise(*ended, "", null_handling="replace", null_replacement="")
    return pc.utf8_rtrim(joined, characters=sep)  # every part ends in } ] or a quote, never in sep


def _pair(key: str, value: pa.Array) -> pa.Array:
    return pc.binary_join_element_wise(f'"{key}":', value, "")


def rfc3339(us: np.ndarray, ok: np.ndarray, zone: str) -> pa.Array:
    """UTC microseconds as quoted RFC 3339 text with the zone's offset at each instant (null where
    not ``ok``); fractions of a second only when the batch has any."""
    from ..importers.times import transitions

    n = len(us)
    if not ok.any():
        return pa.nulls(n, pa.string())
    day = 86_400_000_000
    lo, hi = int(us[ok].min()), int(us[ok].max())
    changes, offsets = transitions(zone, lo // day - 2, hi // day + 2)
    off = offsets[np.searchsorted(changes, us, side="right")] if changes.size else np.full(n, offsets[0])
    local = np.where(ok, us + off, 0).astype("datetime64[us]")
    unit = "us" if (us[ok] % 1_000_000).any() else "s"
    text = np.datetime_as_string(local, unit=unit)
    uniq, inverse = np.unique(off // 60_000_000, return_inverse=True)  # offsets in minutes
    suffix = np.array([_offset_text(int(m)) for m in uniq], dtype=object)[inverse]
    joined = pc.binary_join_element_wise('"', pa.array(text.astype(object), pa.string()),
                                         pa.array(suffix, pa.string()), '"', "")
    return pc.if_else(pa.array(ok), joined, pa.scalar(None, pa.string()))


def _offset_text(minutes: int) -> str:
    if minutes == 0:
        return "Z"
    sign = "+" if minutes > 0 else "-"
    h, m = divmod(abs(minutes), 60)
    return f"{sign}{h:02d}:{m:02d}"


def _times(table: pa.Table, name: str) -> tuple[np.ndarray, np.ndarray]:
    """UTC microseconds (0 where missing) and presence of a timestamp column in any stored unit."""
    from ..scoring import timestamps_us

    us, valid = timestamps_us(table.column(name))
    ok = np.ones(len(us), bool) if valid is None else valid
    return np.where(ok, us, 0), ok


def open311_lines(table: pa.Table, profile: Profile) -> pa.Array:
    """One GeoReport v2 JSON object (text) per case of a canonical table."""
    zone = profile.timezone
    n = table.num_rows
    status = _text(table.column("status"))
    ended = pc.is_in(status, value_set=pa.array(["closed", "cancelled"]))
    open_closed = pc.if_else(ended, pa.scalar('"closed"'), pa.scalar('"open"'))
    category = _text(table.column("category"))
    names = {c.code: c.name for c in profile.categories}
    enc = pc.dictionary_encode(category).combine_chunks() if isinstance(category, pa.ChunkedArray) else pc.dictionary_encode(category)
    name_text = text_array([json.dumps(names.get(v, v), ensure_ascii=False) for v in enc.dictionary.to_pylist()])
    service_name = name_text.take(enc.indices)
    times = {name: _times(table, name) for name in ("received_at", "deadline_at", *[e[0] for e in EVENTS])}
    latest = np.full(n, np.iinfo(np.int64).min)
    for us, ok in times.values():
        latest = np.where(ok, np.maximum(latest, us), latest)
    notes = []
    for field, kind, summary in EVENTS:
        us, ok = times[field]
        stamp = rfc3339(us, ok, zone)
        notes.append(pc.binary_join_element_wise(
            f'{{"type":"{kind}","summary":"{summary}","datetime":', stamp, "}", "", null_handling="emit_null"))
    note_list = _join_present(notes)
    pairs = [
        _pair("service_request_id", _quoted(_text(table.column("case_id")))),
        _pair("status", open_closed),
        _pair("status_notes", _quoted(status)),
        _pair("service_code", _quoted(category)),
        _pair("service_name", service_name),
        _pair("agency_responsible", _quoted(_text(table.column("unit")))),
        _pair("requested_datetime", rfc3339(*times["received_at"], zone)),
        _pair("updated_datetime", rfc3339(latest, latest > np.iinfo(np.int64).min, zone)),
        _pair("expected_datetime", rfc3339(*times["deadline_at"], zone)),
        pc.binary_join_element_wise('"notes":[', note_list, "]", ""),
    ]
    body = _join_present(pairs)
    return pc.binary_join_element_wise("{", body, "}", "")


def export_open311(inputs: Sequence[str | Path | Source], *, profile: Profile | str | Path | None = None,
                   output: str | Path | IO[bytes], format: str = "json",
                   naive_timezone: str | None = None, progress: ProgressCallback | None = None) -> ExportResult:
    """Write case files (or folders) as Open311 GeoReport v2 requests: a JSON array (``json``) or
    one request a line (``ndjson``, for big files), streamed batch by batch. A path goes through
    ``jiesu.io.atomic``'s guard (``-`` is stdout; never a folder, a device or an input) and is
    written atomically (nothing is left behind when the run fails); a binary file object is
    written to."""
    from ..io.atomic import open_output, output_target
    from ..io.cases import case_tables, total_rows

    if format not in FORMATS:
        raise ArgumentError(f"format {format!r}: choose json or ndjson")
    profile = load_profile(profile)
    sources = as_sources(inputs, naive_timezone=naive_timezone)
    paths = [s.path for s in sources]
    if isinstance(output, (str, Path)):
        output_target(output, paths)  # refused before the work, not after
    total = total_rows(sources)

    def write(out: IO[bytes]) -> int:
        rows = 0
        first = True
        out.write(b"[" if format == "json" else b"")
        for table in case_tables(sources, COLUMNS):
            if table.num_rows == 0:
                continue
            lines = open311_lines(table, profile)
            sep = ",\n" if format == "json" else "\n"
            one = pa.ListArray.from_arrays(pa.array([0, len(lines)], pa.int32()), lines)
            joined = pc.binary_join(one, sep)[0].as_py()
            if format == "json":
                out.write((("\n" if first else ",\n") + joined).encode("utf-8"))
            else:
                out.write((joined + "\n").encode("utf-8"))
            first = False
            rows += table.num_rows
            if progress is not None:
                progress(rows, total)
        out.write(b"\n]\n" if format == "json" else b"")
        return rows

    if isinstance(output, (str, Path)):
        with open_output(output, binary=False, inputs=paths) as fh:
            rows = write(fh)
        return ExportResult(rows, str(output))
    return ExportResult(write(output), getattr(output, "name", "<stream>"))
