"""Import City of Boston 311 service requests ("CRM Cases" CSV exports) as jiesu case records.

Input: the Boston CSV (plain or gzip), with at least the columns in :data:`BOSTON_COLUMNS`.
Only those columns are read; every other column (``Location``, ``CASE_TITLE``,
``CLOSURE_REASON``, photos, coordinates, ``LOCATION_STREET_NAME``, ZIP, ward, ...) is skipped by
the CSV reader and can never reach the output.

Output: zstd Parquet in jiesu's Arrow case-record schema (:func:`jiesu.records.arrow_schema`,
timestamps in UTC), written atomically; and optionally a Boston city profile TOML built from the
data (units = work queues, districts = neighbourhoods, categories = request types).

Mapping (one row in, one record out; rows are dropped only when the schema's required
``case_id`` or ``received_at`` cannot be filled, counted in ``ImportResult.dropped``):

=================  ==============================================================================
case_id            ``CASE_ENQUIRY_ID`` (trimmed); dropped if it breaks the schema's id pattern
received_at        ``OPEN_DT``; dropped if empty or unreadable
channel            ``Source``: Constituent Call -> phone; Citizens Connect App, City Worker App ->
                   app; Self Service -> web; Twitter, Employee Generated, Maximo Integration and
                   anything else -> other (unknown values counted)
request_type       ``other`` for every case: Boston has no consultation/help/complaint field and
                   request types (``TYPE``) do not map onto the five kinds without guessing
category           slug of ``TYPE`` (lower case, runs of other characters -> ``-``, at most 64);
                   a missing TYPE -> ``unspecified`` (counted)
district           slug of ``neighborhood``; null when blank
street             null (Boston's street is an address, i.e. personal data)
disposition        ``dispatched`` when ``QUEUE`` names a queue, else ``not_dispatched``
                   (``No Queue Assigned To User`` counts as no queue)
dispatched_at      = received_at: the export has no dispatch time (the case is queued when opened)
unit               slug of ``QUEUE`` (same namespace as the districts; clashes get a hash suffix)
unit_level         ``department`` for every dispatched case (never enterprise)
deadline_at        ``TARGET_DT``; for a dispatched case whose TARGET_DT is empty or before OPEN_DT:
                   received_at + ``default_limit_hours`` (168 h unless set), counted
closed_at          ``CLOSED_DT``; left null when it is before OPEN_DT (bad data, counted), so the
                   record stays schema-valid; ``jiesu validate`` then warns closed-without-closed-at
status             ``CASE_STATUS`` Closed -> closed, Open -> open; otherwise closed when CLOSED_DT
                   is given, else open (counted)
everything else    null: no answer time, first contact, objections, callback, contact,
                   resolution, satisfaction, exclusion, proactive or topic data exists
=================  ==============================================================================

``resolved`` stays null although ``CLOSURE_REASON`` says "Case Resolved" or "Case Noted": that is
the city's closing note, not the requester's callback answer the three rates are built on.

Times: Boston writes local America/New_York wall-clock times without an offset. They are localised
with the daylight-saving rules: a wall time that occurs twice (the November fall-back hour) is taken
as its first occurrence (daylight time); a wall time that does not exist (the March spring-forward
hour) is read with the offset in force just before the change, i.e. moved one hour forward
(02:30 -> 03:30 EDT). Both match Python's ``fold=0`` rule (PEP 495); both are counted per column.

Work is columnar and chunked: one pass reads the three code columns to fix every code, a second
pass maps each block of the CSV with Arrow/pandas/numpy operations (no Python loop per row).
"""

from __future__ import annotations

import csv
import hashlib
import io
import json
import re
import time
import unicodedata
from collections.abc import Callable, Iterable, Iterator
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.compute as pc

from ..errors import InputError, OutputError
from ..io.atomic import output_target, write_bytes_atomic
from ..records import arrow_schema, parquet_writer, timestamps
from ..records import codes as code_column
from ..schema import EXCLUSION_REASONS, REQUEST_TYPES

Progress = Callable[[int, int | None], None]

TIMEZONE = "America/New_York"
TIME_FORMAT = "%m/%d/%Y %I:%M:%S %p"
DEFAULT_LIMIT_HOURS = 168.0
ROW_GROUP_ROWS = 1 << 20
BLOCK_BYTES = 1 << 24
US_PER_HOUR = 3_600_000_000
MAX_CODE = 64

#: the columns the importer reads; nothing else from the file is ever loaded
BOSTON_COLUMNS = (
    "CASE_ENQUIRY_ID", "OPEN_DT", "TARGET_DT", "CLOSED_DT", "CASE_STATUS",
    "TYPE", "QUEUE", "Source", "neighborhood",
)
TIME_COLUMNS = ("OPEN_DT", "TARGET_DT", "CLOSED_DT")
CHANNELS = {
    "Constituent Call": "phone",
    "Citizens Connect App": "app",
    "City Worker App": "app",
    "Self Service": "web",
    "Twitter": "other",
    "Employee Generated": "other",
    "Maximo Integration": "other",
}
NO_QUEUE = frozenset({"No Queue Assigned To User"})
UNSPECIFIED_CATEGORY = "unspecified"

CHANNEL_CODES = ["phone", "web", "app", "wechat", "email", "sms", "other"]
STATUS_CODES = ["open", "closed"]
DISPOSITION_CODES = ["dispatched", "not_dispatched"]

#: (case-record field, Boston source, rule): the mapping, as stored in the result and the Parquet
MAPPING: tuple[tuple[str, str, str], ...] = (
    ("case_id", "CASE_ENQUIRY_ID", "as is (trimmed); rows breaking the schema's id pattern dropped"),
    ("received_at", "OPEN_DT", "local New York time to UTC; rows without it dropped"),
    ("channel", "Source", ("Constituent Call=phone; Citizens Connect App, City Worker App=app; "
                           "Self Service=web; Twitter, Employee Generated, Maximo Integration, other=other")),
    ("request_type", "-", "'other' (Boston has no request-kind field)"),
    ("category", "TYPE", "slug of TYPE; missing TYPE = 'unspecified'"),
    ("district", "neighborhood", "slug of neighborhood; null when blank"),
    ("street", "-", "null (Boston's street is an address)"),
    ("disposition", "QUEUE", "dispatched when QUEUE names a queue, else not_dispatched"),
    ("dispatched_at", "OPEN_DT", "= received_at (the export has no dispatch time)"),
    ("unit", "QUEUE", "slug of QUEUE"),
    ("unit_level", "-", "'department' for dispatched cases"),
    ("deadline_at", "TARGET_DT", ("as is; when empty or before OPEN_DT on a dispatched case: "
                                  "received_at + default limit hours")),
    ("closed_at", "CLOSED_DT", "as is; null when before OPEN_DT"),
    ("status", "CASE_STATUS", "Closed=closed, Open=open; otherwise from CLOSED_DT"),
    (("answered_at, first_contact_at, objections, objection_upheld, callback_at, callback_valid, "
      "contacted, resolved, satisfaction, excluded, exclusion_reason, proactive, topic"), "-",
     "null: no such data in the export"),
)


@dataclass
class ImportResult:
    """What an import did: where it wrote, how many rows, and every adjustment counted."""

    source: str
    output: str
    profile_out: str | None
    rows_read: int = 0
    rows_written: int = 0
    #: rows not written, by reason (bad_case_id, no_open_dt)
    dropped: dict[str, int] = field(default_factory=dict)
    #: per time column: nonexistent (spring-forward, shifted +1 h), ambiguous (fall-back, first
    #: occurrence taken), unparseable (non-empty text that is not a Boston time: left null)
    times: dict[str, dict[str, int]] = field(default_factory=dict)
    #: closed_before_open, deadline_from_default (no TARGET_DT), deadline_before_open,
    #: not_dispatched, district_missing, channel_unmapped, status_inferred, type_missing
    counts: dict[str, int] = field(default_factory=dict)
    channels: dict[str, int] = field(default_factory=dict)
    units: int = 0
    districts: int = 0
    categories: int = 0
    default_limit_hours: float = DEFAULT_LIMIT_HOURS
    seconds: float = 0.0
    mapping: tuple[tuple[str, str, str], ...] = MAPPING

    @property
    def dropped_total(self) -> int:
        return sum(self.dropped.values())

    @property
    def dst_fixes(self) -> int:
        """Local times that were ambiguous or did not exist, over all time columns."""
        return sum(c["nonexistent"] + c["ambiguous"] for c in self.times.values())

    def to_dict(self) -> dict[str, Any]:
        d = asdict(self)
        d["mapping"] = [{"field": f, "source": s, "rule": r} for f, s, r in self.mapping]
        return d


# ---------------------------------------------------------------- codes and profile text

def slug(text: str) -> str:
    """A schema code for a name: ASCII, lower case, runs of other characters as ``-``, <= 64."""
    s = unicodedata.normalize("NFKD", text).encode("ascii", "ignore").decode("ascii").lower()
    s = re.sub(r"[^a-z0-9._-]+", "-", s)
    s = re.sub(r"-{2,}", "-", s).strip("-._")
    return s[:MAX_CODE].rstrip("-._")


def assign_codes(names: Iterable[str], taken: set[str]) -> dict[str, str]:
    """Name -> unique code, in sorted name order; a clash (or empty slug) gets a hash suffix."""
    out: dict[str, str] = {}
    for name in sorted(set(names)):
        code = slug(name)
        n = 0
        while not code or code in taken:
            digest = hashlib.sha1(f"{name}\x00{n}".encode()).hexdigest()[:8]
            base = slug(name)[: MAX_CODE - 9].rstrip("-._")
            code = f"{base}-{digest}" if base else f"x{digest}"
            n += 1
        taken.add(code)
        out[name] = code
    return out


@dataclass
class Codes:
    """The codes of one import, fixed from the whole file before any record is written."""

    units: dict[str, str]
    districts: dict[str, str]
    categories: dict[str, str]
    unspecified: str | None = None  # category code for a missing TYPE, when the file needs one

    def dictionary(self, kind: str) -> tuple[dict[str, int], pa.Array]:
        """(name -> index, dictionary of codes) for units, districts or categories."""
        mapping: dict[str, str] = getattr(self, kind)
        names = sorted(mapping)
        codes = [mapping[n] for n in names]
        if kind == "categories" and self.unspecified:
            codes.append(self.unspecified)
        return {n: i for i, n in enumerate(names)}, pa.array(codes, pa.string())


PROFILE_HEADER = """\
# jiesu city profile: Boston, generated by `jiesu import boston311` from the data itself.
#
# FACT (from the export): the work queues (units), the neighbourhoods (districts) and the
# request types (categories). Every table marked `illustrative = true` holds a setting
# that is NOT Boston's: Boston states no such time limits, weights or ranking rules, and
# they are not jiesu's to state. Boston's 311 export holds no callback answers, so the
# three rates of these cases are empty (not zero).

"""


def profile_data(codes: Codes, source_name: str, default_limit_hours: float) -> dict[str, Any]:
    """The Boston city profile: units, districts and categories from the data; every setting
    Boston does not publish in jiesu's terms is marked illustrative."""
    hours = int(default_limit_hours) if float(default_limit_hours).is_integer() else float(default_limit_hours)
    cats = sorted(codes.categories.items(), key=lambda kv: kv[1])
    if codes.unspecified:
        cats.append(("(no TYPE given)", codes.unspecified))
    return {
        "profile_version": 1,
        "city": {
            "id": "boston", "name": "Boston", "name_en": "Boston", "timezone": TIMEZONE, "language": "en",
            "sources": ["City of Boston 311 Service Requests (CRM Cases), Analyze Boston, ODC PDDL",
                        f"imported by jiesu import boston311 from {source_name}"],
        },
        "time_limits": {
            "illustrative": True,
            "note": ("Not Boston's: one default limit in hours, used only where TARGET_DT is empty "
                     "(the importer counts those cases); Boston sets a due time per case."),
            **dict.fromkeys(REQUEST_TYPES, hours),
        },
        "scoring": {
            "illustrative": True,
            "note": ("Not Boston's: Boston runs no callback survey and publishes no weights; "
                     "jiesu's illustrative defaults, so the file loads."),
            "response_method": "callback",
            "basically_satisfied_weight": 0.9,
            "weight_set": "illustrative",
            "min_scored": 5,
            "exclusion_reasons": list(EXCLUSION_REASONS),
            "weight_sets": {"illustrative": {
                "note": "Practitioner weights from Beijing material (0.1 / 0.5 / 0.4); not Boston's.",
                "response": 0.1, "resolution": 0.5, "satisfaction": 0.4}},
        },
        "ranking": {
            "illustrative": True,
            "note": "Not Boston's: Boston does not rank its work queues this way.",
            "class_size": 10,
            "levels": ["department"],
        },
        "categories": [{"code": code, "name": name, "handler": "district"} for name, code in cats],
        "units": (
            [{"id": code, "name": name, "level": "district"}
             for name, code in sorted(codes.districts.items(), key=lambda kv: kv[1])]
            + [{"id": code, "name": name, "level": "department"}
               for name, code in sorted(codes.units.items(), key=lambda kv: kv[1])]
        ),
    }


# ---------------------------------------------------------------- reading

def _open_stream(path: Path) -> pa.NativeFile:
    with open(path, "rb") as fh:
        gz = fh.read(2) == b"\x1f\x8b"
    return pa.input_stream(str(path), compression="gzip" if gz else None)


def _header(path: Path) -> list[str]:
    try:
        with _open_stream(path) as stream:
            head = stream.read(1 << 16)
    except (OSError, EOFError, pa.ArrowInvalid) as exc:
        raise InputError(f"{path}: cannot read ({_short(exc)})") from None
    if b"\x00" in head:
        raise InputError(f"{path}: not a text file (it holds NUL bytes); is it really CSV?")
    text = head.decode("utf-8", errors="replace").lstrip("\ufeff")
    try:
        row = next(csv.reader(io.StringIO(text)), [])
    except csv.Error:
        row = []
    return [c.strip() for c in row]


def _short(exc: BaseException) -> str:
    text = str(exc).strip()
    return text.splitlines()[0][:200] if text else exc.__class__.__name__


def _check_input(path: Path) -> None:
    if not path.exists():
        raise InputError(f"{path}: no such file")
    if not path.is_file():
        raise InputError(f"{path}: not a file")
    try:
        with open(path, "rb"):
            pass
    except OSError as exc:
        raise InputError(f"{path}: cannot read ({exc.strerror or exc.__class__.__name__})") from None
    header = _header(path)
    missing = [c for c in BOSTON_COLUMNS if c not in header]
    if missing:
        raise InputError(f"{path}: not a Boston 311 export: missing column(s) {', '.join(missing)}")


def _batches(path: Path, columns: Iterable[str]) -> Iterator[pa.Table]:
    """The named columns of the CSV, block by block, all as text (empty cell = null)."""
    import pyarrow.csv as pcsv

    columns = list(columns)
    try:
        reader = pcsv.open_csv(
            _open_stream(path),
            read_options=pcsv.ReadOptions(block_size=BLOCK_BYTES),
            parse_options=pcsv.ParseOptions(newlines_in_values=True),
            convert_options=pcsv.ConvertOptions(
                include_columns=columns, column_types={c: pa.string() for c in columns},
                strings_can_be_null=True, quoted_strings_can_be_null=True, null_values=[""],
            ),
        )
        for batch in reader:
            yield pa.Table.from_batches([batch])
    except (pa.ArrowInvalid, OSError, EOFError, UnicodeDecodeError) as exc:
        raise InputError(f"{path}: cannot read as CSV: {_short(exc)}") from None


def _clean(col: pa.ChunkedArray | pa.Array) -> pa.Array:
    """Trimmed text; empty after trimming -> null."""
    if isinstance(col, pa.ChunkedArray):
        col = col.combine_chunks() if col.num_chunks else pa.array([], pa.string())
    col = pc.utf8_trim_whitespace(col)
    return pc.if_else(pc.equal(col, ""), pa.scalar(None, pa.string()), col)


def _scan(path: Path) -> tuple[int, set[str], set[str], set[str], bool]:
    """Pass 1: row count and the distinct QUEUE, neighborhood and TYPE names."""
    rows, queues, hoods, types, type_missing = 0, set(), set(), set(), False
    for t in _batches(path, ("QUEUE", "neighborhood", "TYPE")):
        rows += t.num_rows
        queues.update(v for v in pc.unique(_clean(t["QUEUE"])).to_pylist() if v and v not in NO_QUEUE)
        hoods.update(v for v in pc.unique(_clean(t["neighborhood"])).to_pylist() if v)
        ty = _clean(t["TYPE"])
        types.update(v for v in pc.unique(ty).to_pylist() if v)
        type_missing |= ty.null_count > 0
    return rows, queues, hoods, types, type_missing


def build_codes(queues: Iterable[str], hoods: Iterable[str], types: Iterable[str], type_missing: bool) -> Codes:
    """Codes for every name; districts and units share one namespace (both are profile units)."""
    unit_space: set[str] = set()
    districts = assign_codes(hoods, unit_space)
    units = assign_codes(queues, unit_space)
    cat_space: set[str] = {UNSPECIFIED_CATEGORY} if type_missing else set()
    categories = assign_codes(types, cat_space)
    return Codes(units, districts, categories, UNSPECIFIED_CATEGORY if type_missing else None)


# ---------------------------------------------------------------- mapping one block

def _lookup(col: pa.Array, fn: Callable[[str | None], int]) -> np.ndarray:
    """``fn`` applied once per distinct value (None for null) and spread to every row (int32)."""
    values = pc.unique(col.drop_null()) if len(col) else pa.array([], pa.string())
    table = np.array([fn(v) for v in values.to_pylist()] + [fn(None)], dtype=np.int32)
    pos = pc.index_in(col, value_set=values).fill_null(len(values))
    return table[pos.to_numpy(zero_copy_only=False)]


def _dict(indices: np.ndarray, dictionary: pa.Array | list[str]) -> pa.DictionaryArray:
    return code_column(indices, dictionary, indices < 0)


def _ts(us: np.ndarray, valid: np.ndarray) -> pa.Array:
    return timestamps(us, ~valid)


class _Mapper:
    """Maps blocks of Boston rows to case-record tables and keeps the counts."""

    def __init__(self, codes: Codes, result: ImportResult, schema: pa.Schema) -> None:
        self.result, self.schema = result, schema
        self.limit_us = round(result.default_limit_hours * US_PER_HOUR)
        self.unit_index, self.unit_dict = codes.dictionary("units")
        self.district_index, self.district_dict = codes.dictionary("districts")
        self.category_index, self.category_dict = codes.dictionary("categories")
        self.unspecified = len(self.category_index) if codes.unspecified else -1
        result.times = {c: {"nonexistent": 0, "ambiguous": 0, "unparseable": 0} for c in TIME_COLUMNS}
        for key in ("closed_before_open", "deadline_from_default", "deadline_before_open", "not_dispatched",
                    "district_missing", "channel_unmapped", "status_inferred", "type_missing"):
            result.counts.setdefault(key, 0)
        result.dropped = {"bad_case_id": 0, "no_open_dt": 0}
        result.channels = dict.fromkeys(CHANNEL_CODES, 0)

    def _count(self, key: str, mask: np.ndarray) -> None:
        self.result.counts[key] += int(np.count_nonzero(mask))

    def times(self, col: pa.Array, name: str) -> tuple[np.ndarray, np.ndarray]:
        """(UTC microseconds, valid) of a column of Boston local times."""
        n = len(col)
        text = col.to_pandas()
        naive = pd.to_datetime(text, format=TIME_FORMAT, errors="coerce").astype("datetime64[us]")
        given = text.notna().to_numpy()
        parsed = naive.notna().to_numpy()
        stats = self.result.times[name]
        stats["unparseable"] += int(np.count_nonzero(given & ~parsed))
        if not parsed.any():
            return np.zeros(n, np.int64), parsed
        probe = naive.dt.tz_localize(TIMEZONE, ambiguous="NaT", nonexistent="NaT").notna().to_numpy()
        local = naive.dt.tz_localize(TIMEZONE, ambiguous=np.ones(n, bool), nonexistent=pd.Timedelta(hours=1))
        irregular = parsed & ~probe
        if irregular.any():
            moved = (local.dt.tz_localize(None) != naive).to_numpy() & irregular
            stats["nonexistent"] += int(np.count_nonzero(moved))
            stats["ambiguous"] += int(np.count_nonzero(irregular & ~moved))
        arr = pa.array(local.dt.tz_convert("UTC"), from_pandas=True).cast(pa.timestamp("us", tz="UTC"))
        us = arr.cast(pa.int64()).fill_null(0).to_numpy(zero_copy_only=False)
        return us, parsed

    def map(self, t: pa.Table) -> pa.Table:
        res = self.result
        case_id = _clean(t["CASE_ENQUIRY_ID"])
        id_ok = pc.and_(
            pc.match_substring_regex(case_id, r"^[A-Za-z0-9][A-Za-z0-9._:-]*$"),
            pc.less_equal(pc.utf8_length(case_id), MAX_CODE),
        ).fill_null(False).to_numpy(zero_copy_only=False)
        received, recv_ok = self.times(_clean(t["OPEN_DT"]), "OPEN_DT")
        keep = id_ok & recv_ok
        res.dropped["bad_case_id"] += int(np.count_nonzero(~id_ok))
        res.dropped["no_open_dt"] += int(np.count_nonzero(id_ok & ~recv_ok))
        target, target_ok = self.times(_clean(t["TARGET_DT"]), "TARGET_DT")
        closed, closed_ok = self.times(_clean(t["CLOSED_DT"]), "CLOSED_DT")
        status_col, queue, hood = _clean(t["CASE_STATUS"]), _clean(t["QUEUE"]), _clean(t["neighborhood"])
        source, type_col = _clean(t["Source"]), _clean(t["TYPE"])
        if not keep.all():
            idx = pa.array(np.flatnonzero(keep))
            case_id, status_col, queue, hood, source, type_col = (
                a.take(idx) for a in (case_id, status_col, queue, hood, source, type_col))
            received, target, target_ok, closed, closed_ok = (
                a[keep] for a in (received, target, target_ok, closed, closed_ok))
        n = len(case_id)

        unit = _lookup(queue, lambda v: self.unit_index.get(v, -1) if v else -1)
        dispatched = unit >= 0
        self._count("not_dispatched", ~dispatched)

        early_close = closed_ok & (closed < received)
        self._count("closed_before_open", early_close)
        closed_has = closed_ok
        closed_ok = closed_ok & ~early_close

        early_target = target_ok & (target < received)
        self._count("deadline_before_open", early_target & dispatched)
        target_ok = target_ok & ~early_target
        fill = dispatched & ~target_ok
        self._count("deadline_from_default", fill & ~early_target)
        deadline = np.where(fill, received + self.limit_us, target)
        deadline_ok = target_ok | fill

        st = _lookup(status_col, lambda v: {"closed": 1, "open": 0}.get((v or "").lower(), -1))
        inferred = st < 0
        self._count("status_inferred", inferred)
        st = np.where(inferred, closed_has.astype(np.int32), st)

        ch_index = {c: i for i, c in enumerate(CHANNEL_CODES)}
        channel = _lookup(source, lambda v: ch_index[CHANNELS[v]] if v in CHANNELS else -1)
        self._count("channel_unmapped", channel < 0)
        channel = np.where(channel < 0, ch_index["other"], channel)
        for code, k in zip(CHANNEL_CODES, np.bincount(channel, minlength=len(CHANNEL_CODES))):
            res.channels[code] += int(k)

        category = _lookup(type_col, lambda v: self.category_index.get(v, -1) if v else self.unspecified)
        self._count("type_missing", pc.is_null(type_col).to_numpy(zero_copy_only=False))
        district = _lookup(hood, lambda v: self.district_index.get(v, -1) if v else -1)
        self._count("district_missing", district < 0)

        zeros = np.zeros(n, np.int32)
        cols: dict[str, pa.Array] = {
            "case_id": case_id,
            "received_at": _ts(received, np.ones(n, bool)),
            "channel": _dict(channel, CHANNEL_CODES),
            "request_type": _dict(zeros, ["other"]),
            "category": _dict(category, self.category_dict),
            "district": _dict(district, self.district_dict),
            "disposition": _dict(np.where(dispatched, 0, 1).astype(np.int32), DISPOSITION_CODES),
            "dispatched_at": _ts(received, dispatched),
            "unit": _dict(unit, self.unit_dict),
            "unit_level": _dict(np.where(dispatched, 0, -1).astype(np.int32), ["department"]),
            "deadline_at": _ts(deadline, deadline_ok),
            "closed_at": _ts(closed, closed_ok),
            "status": _dict(st.astype(np.int32), STATUS_CODES),
        }
        arrays = [cols[f.name] if f.name in cols else pa.nulls(n, f.type) for f in self.schema]
        return pa.Table.from_arrays(arrays, schema=self.schema)


# ---------------------------------------------------------------- the import

def _parquet_metadata(source_name: str, default_limit_hours: float) -> dict[str, str]:
    from ..schema import schema_version

    return {
        "jiesu.schema_version": schema_version(),
        "jiesu.generator": "jiesu.importers.boston311",
        "jiesu.source": source_name,
        "jiesu.profile": "boston",
        "jiesu.default_limit_hours": f"{float(default_limit_hours):g}",
        "jiesu.mapping": json.dumps([{"field": f, "source": s, "rule": r} for f, s, r in MAPPING]),
    }


def import_boston311(
    csv_path: str | Path,
    output_parquet: str | Path,
    profile_out: str | Path | None = None,
    *,
    default_limit_hours: float = DEFAULT_LIMIT_HOURS,
    progress: Progress | None = None,
) -> ImportResult:
    """Map a Boston 311 CSV export to case records (zstd Parquet) and, optionally, a profile TOML.

    See the module docstring for the mapping. Raises InputError (exit 3) for a missing or
    unreadable file or a CSV without the Boston columns, OutputError (exit 2) for an output that
    ``jiesu.io.atomic.output_target`` refuses (a folder, a device, the input itself, a missing
    folder). Both outputs are written atomically; ``-`` is stdout.
    """

    from ..profile import write_profile

    started = time.perf_counter()
    src, out = Path(csv_path), Path(output_parquet)
    prof_path = Path(profile_out) if profile_out is not None else None
    if not default_limit_hours > 0:
        raise ValueError("default_limit_hours must be positive")
    _check_input(src)
    out_target = output_target(output_parquet, [src], binary=True)
    if profile_out is not None and output_target(profile_out, [src]) == out_target and out_target.kind != "null":
        raise OutputError(f"{profile_out}: the profile and the case records cannot go to the same place")

    total, queues, hoods, types, type_missing = _scan(src)
    if total == 0:
        raise InputError(f"{src}: the export holds no cases")
    codes = build_codes(queues, hoods, types, type_missing)
    result = ImportResult(str(src), str(out), str(prof_path) if prof_path else None, rows_read=total,
                          units=len(codes.units), districts=len(codes.districts),
                          categories=len(codes.categories) + bool(codes.unspecified),
                          default_limit_hours=float(default_limit_hours))
    profile_text = PROFILE_HEADER + write_profile(profile_data(codes, src.name, default_limit_hours))  # checked

    schema = arrow_schema().with_metadata(_parquet_metadata(src.name, default_limit_hours))
    mapper = _Mapper(codes, result, schema)
    done = 0
    with parquet_writer(output_parquet, schema, inputs=[src]) as writer:
        pending: list[pa.Table] = []
        pending_rows = 0
        for block in _batches(src, BOSTON_COLUMNS):
            table = mapper.map(block)
            pending.append(table)
            pending_rows += table.num_rows
            result.rows_written += table.num_rows
            if pending_rows >= ROW_GROUP_ROWS:
                writer.write_table(pa.concat_tables(pending), row_group_size=ROW_GROUP_ROWS)
                pending, pending_rows = [], 0
            done += block.num_rows
            if progress is not None:
                progress(done, total)
        if pending_rows or result.rows_written == 0:
            writer.write_table(pa.concat_tables(pending) if pending else schema.empty_table(),
                               row_group_size=ROW_GROUP_ROWS)
    if profile_out is not None:
        write_bytes_atomic(profile_out, profile_text.encode("utf-8"), [src])
    result.seconds = time.perf_counter() - started
    return result
