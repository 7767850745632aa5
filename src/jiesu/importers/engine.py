"""The mapping engine: batches of an export's columns become case-record tables, every value counted.

Work is columnar: a text column is dictionary-encoded and each *distinct* word is looked up once
(value maps, patterns, codes), then spread to the rows with one ``numpy.take``; times are read by
Arrow's ``strptime`` and placed in the source's time zone with numpy (``times.py``). Python loops
run over distinct words, never over rows.

For each field a row ends up ``mapped`` (read from the source), ``constant``, ``derived`` (from
another field, a time limit or a derivation rule), ``defaulted`` or ``empty``; ``unknown`` counts
the rows whose source value could not be read, whatever the rule then did with them. A row that a
rule rejects is not written; each rejection is counted per field and reason with a few samples
(masked: ``jiesu.safe.shown``).
"""

from __future__ import annotations

import math
import re
from collections import Counter
from collections.abc import Iterable
from dataclasses import asdict, dataclass, field
from typing import Any

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc

from ..arrays import (
    as_bool_np,
    bool_array,
    int_array,
    integer_values,
    text_array,
    text_buffers,
    valid_np,
)
from ..profile import Profile
from ..records import arrow_schema
from ..safe import shown
from ..schema import enum_values, field_max_length, field_pattern
from ..validation.schema_checks import class_pattern_failures, class_tables
from .codes import Registry
from .mapping import DISPATCHED_NEEDS, Mapping, Rule
from .readers import SourceBatch
from .times import parse_times

US_PER_HOUR = 3_600_000_000
EMPTY, MAPPED, CONSTANT, DERIVED, DEFAULTED = range(5)
HOW = ("empty", "mapped", "constant", "derived", "defaulted")
MISSING, UNKNOWN = -1, -2  # word codes besides an output index
SAMPLES = 3
UNKNOWN_WORDS_KEPT = 1000  # distinct unknown words tallied per field (the report shows the top 5)
_LIMIT = re.compile(r"^\s*([0-9]+(?:\.[0-9]+)?)\s*(小时|时|h|hr|hrs|hour|hours|天|日|d|day|days)?\s*$", re.IGNORECASE)
_HOUR_WORDS = {"小时", "时", "h", "hr", "hrs", "hour", "hours"}


@dataclass
class FieldCounts:
    """What happened to one field in the rows written (``rejected``: rows it rejected)."""

    rule: str
    mapped: int = 0
    constant: int = 0
    derived: int = 0
    defaulted: int = 0
    empty: int = 0
    unknown: int = 0
    rejected: int = 0
    out_of_order: int = 0
    ambiguous_times: int = 0
    nonexistent_times: int = 0
    unknown_words: Counter = field(default_factory=Counter, repr=False)

    def to_dict(self) -> dict[str, Any]:
        d = {k: v for k, v in asdict(self).items() if k != "unknown_words"}
        d["unknown_values"] = [{"value": w, "rows": c} for w, c in self.unknown_words.most_common(5)]
        return d


@dataclass
class Rejection:
    field: str
    reason: str
    count: int = 0
    samples: list[dict[str, Any]] = field(default_factory=list)


@dataclass
class ImportReport:
    """What an import (or an inference) read, wrote and rejected, per field and reason."""

    mapping: str
    mapping_source: str
    output: str | None = None
    sources: list[dict[str, Any]] = field(default_factory=list)
    rows_read: int = 0
    rows_written: int = 0
    rows_rejected: int = 0
    written: bool = False
    fields: dict[str, FieldCounts] = field(default_factory=dict)
    rejections: dict[tuple[str, str], Rejection] = field(default_factory=dict)
    codes: dict[str, int] = field(default_factory=dict)
    seconds: float = 0.0
    profile_output: str | None = None

    @property
    def rows_per_second(self) -> float:
        return self.rows_read / self.seconds if self.seconds > 0 else 0.0

    def reject(self, field_name: str, reason: str, count: int, samples: Iterable[dict[str, Any]] = ()) -> None:
        rej = self.rejections.get((field_name, reason))
        if rej is None:
            rej = self.rejections[(field_name, reason)] = Rejection(field_name, reason)
        rej.count += count
        for s in samples:
            if len(rej.samples) >= SAMPLES:
                break
            rej.samples.append(s)

    def to_dict(self) -> dict[str, Any]:
        return {
            "mapping": self.mapping, "mapping_source": self.mapping_source, "output": self.output,
            "written": self.written, "sources": self.sources, "rows_read": self.rows_read,
            "rows_written": self.rows_written, "rows_rejected": self.rows_rejected,
            "rejections": [asdict(r) for r in sorted(self.rejections.values(), key=lambda r: (-r.count, r.field, r.reason))],
            "fields": {name: fc.to_dict() for name, fc in self.fields.items()},
            "codes": self.codes, "seconds": round(self.seconds, 3),
            "rows_per_second": round(self.rows_per_second),
            "profile_output": self.profile_output,
        }


@dataclass
class Values:
    """One field's values for the rows of a batch."""

    data: np.ndarray  # microseconds, output index, bool or int64, by kind
    ok: np.ndarray    # holds a value
    how: np.ndarray   # uint8, one of HOW
    read: np.ndarray | None = None  # time fields: a time was read from the source (before not_before)
    text: pa.Array | None = None    # case_id


def _array(col: pa.ChunkedArray | pa.Array) -> pa.Array:
    if isinstance(col, pa.ChunkedArray):
        if col.num_chunks == 1:
            return col.chunk(0)
        return col.combine_chunks() if col.num_chunks else text_array([])
    return col


class Mapper:
    """Maps source batches to case-record tables under one mapping, keeping the counts and codes."""

    def __init__(self, mapping: Mapping, profile: Profile | None = None, report: ImportReport | None = None) -> None:
        self.mapping, self.profile = mapping, profile
        self.schema = arrow_schema()
        self.kinds = {f.name: f.type for f in self.schema}
        self.registry = Registry()
        self.report = report or ImportReport(mapping.id, mapping.source)
        for name in mapping.order:
            self.report.fields.setdefault(name, FieldCounts(mapping.rules[name].describe()))
        self.out: dict[str, list[Any]] = {}
        self.out_index: dict[str, dict[Any, int]] = {}
        for name, rule in mapping.rules.items():
            if rule.kind == "string" and name != "case_id" and not rule.is_code:
                self.out[name] = list(enum_values(name))
            elif rule.kind == "boolean":
                self.out[name] = [False, True]
            else:
                self.out[name] = []
            self.out_index[name] = {v: i for i, v in enumerate(self.out[name])}
        self.cache: dict[str, dict[str, int]] = {name: {} for name in mapping.rules}
        self.limit_cache: dict[str, float] = {}
        self.id_pattern = field_pattern("case_id")
        self.id_max = field_max_length("case_id") or 64
        self.id_tables = class_tables(self.id_pattern)
        for name, rule in mapping.rules.items():  # codes the mapping states, named by themselves
            if rule.is_code:
                book = self.registry.book(name)
                for word, code in rule.values.items():
                    book.claim(code, word)
                for code in (rule.value, rule.default, *[v for _, v in rule.patterns]):
                    if isinstance(code, str):
                        book.claim(code, code)

    # ------------------------------------------------------------ output dictionaries

    def index(self, name: str, value: Any) -> int:
        """The output index of a field value (added to the field's dictionary if new)."""
        idx = self.out_index[name].get(value)
        if idx is None:
            idx = self.out_index[name][value] = len(self.out[name])
            self.out[name].append(value)
        return idx

    # ------------------------------------------------------------ one batch

    def map(self, batch: SourceBatch) -> tuple[pa.Table, dict[str, np.ndarray]]:
        """(case-record table of the rows kept, extras for inference: ``deadline_read``)."""
        t = batch.table
        n = t.num_rows
        self.report.rows_read += n
        reject = np.zeros(n, bool)
        vals: dict[str, Values] = {}
        self._batch, self._reject_rows = batch, reject
        for name in self.mapping.order:
            vals[name] = self._field(self.mapping.rules[name], t, n, vals)
        self._apply_when(vals, n)
        self._conditions(vals, n)
        keep = ~reject
        kept = int(np.count_nonzero(keep))
        self.report.rows_rejected += n - kept
        self.report.rows_written += kept
        table = self._table(vals, keep, kept)
        extras = {}
        if "deadline_at" in vals and vals["deadline_at"].read is not None:
            extras["deadline_read"] = (vals["deadline_at"].read & vals["deadline_at"].ok)[keep]
        self._count(vals, keep)
        return table, extras

    def _reject(self, name: str, reason: str, rows: np.ndarray, values: pa.Array | None = None) -> None:
        """Reject the rows (a bool mask) for (field, reason), with samples of the source values."""
        new = rows & ~self._reject_rows
        count = int(np.count_nonzero(rows))
        if not count:
            return
        self._reject_rows |= rows
        self.report.fields[name].rejected += int(np.count_nonzero(new))
        rej = self.report.rejections.get((name, reason))
        samples = []
        if rej is None or len(rej.samples) < SAMPLES:
            picks = np.flatnonzero(rows)[:SAMPLES]
            numbers = self._batch.record_numbers(picks)
            texts = values.take(int_array(picks)).to_pylist() if values is not None else [None] * len(picks)
            samples = [{"file": self._batch.source.name, "row": int(num), "value": shown(v)}
                       for num, v in zip(numbers, texts)]
        self.report.reject(name, reason, count, samples)

    def _column(self, t: pa.Table, name: str) -> pa.Array:
        if name in t.column_names:
            col = _array(t.column(name))
            return col if pa.types.is_string(col.type) else col.cast(pa.string())
        return pa.nulls(t.num_rows, pa.string())

    def _field(self, rule: Rule, t: pa.Table, n: int, vals: dict[str, Values]) -> Values:
        name = rule.field
        if name == "case_id":
            return self._case_id(rule, t, n)
        if rule.kind == "date-time":
            v, unknown, sample = self._times(rule, t, n, vals)
        elif rule.kind == "boolean" and rule.derive == "given":
            ok = np.zeros(n, bool)
            for c in rule.columns:
                ok |= valid_np(self._column(t, c))
            v = Values(np.ones(n, bool), ok, np.where(ok, MAPPED, EMPTY).astype(np.uint8))
            unknown, sample = np.zeros(n, bool), None
        elif rule.has_value:
            idx = self.index(name, rule.value)
            v = Values(np.full(n, idx, np.int32), np.ones(n, bool), np.full(n, CONSTANT, np.uint8))
            unknown, sample = np.zeros(n, bool), None
        elif rule.derive == "unit_named":
            unit = vals["unit"]
            data = np.full(n, self.index(name, "dispatched"), np.int32)
            v = Values(data, unit.ok.copy(), np.where(unit.ok, DERIVED, EMPTY).astype(np.uint8))
            unknown, sample = np.zeros(n, bool), None
        else:
            v, unknown, sample = self._words(rule, t, n)
        how = v.how
        counts = self.report.fields[name]
        counts.unknown += int(np.count_nonzero(unknown))
        if rule.derive == "closed_at" and "closed_at" in vals:
            gap = ~v.ok
            if gap.any():
                closed = vals["closed_at"].read
                closed = vals["closed_at"].ok if closed is None else closed
                data = np.where(closed, self.index(name, "closed"), self.index(name, "open")).astype(v.data.dtype)
                v.data = np.where(gap, data, v.data)
                v.ok = v.ok | gap
                how[gap] = DERIVED
                unknown = unknown & ~gap
        if unknown.any():
            if rule.unknown == "reject":
                self._reject(name, "unknown-value" if rule.kind != "date-time" else "unreadable-time", unknown, sample)
            elif rule.unknown == "default":
                self._set_default(rule, v, unknown)
        gap = ~v.ok
        if gap.any() and rule.copy:
            src = vals[rule.copy]
            fill = gap & src.ok
            v.data = np.where(fill, src.data.astype(v.data.dtype) if rule.kind != "string" else self._reindex(rule.copy, name, src.data), v.data)
            v.ok = v.ok | fill
            how[fill] = DERIVED
            gap = ~v.ok
        if gap.any() and name == "deadline_at":
            self._limits(rule, t, v, vals, gap)
            gap = ~v.ok
        if gap.any() and rule.missing != "null":
            missing = gap & ~unknown if rule.unknown == "reject" else gap
            if rule.missing == "default":
                self._set_default(rule, v, missing)
            else:
                self._reject(name, "missing", missing)
        v.how = how
        return v

    def _reindex(self, src_field: str, dst_field: str, data: np.ndarray) -> np.ndarray:
        table = np.array([self.index(dst_field, value) for value in self.out[src_field]] + [-1], np.int32)
        return table[np.where(data >= 0, data, len(self.out[src_field]))]

    def _set_default(self, rule: Rule, v: Values, rows: np.ndarray) -> None:
        if not rows.any():
            return
        if rule.kind == "date-time":
            return  # no default time: the schema checks forbid it
        if rule.kind == "integer":
            value = self.index(rule.field, int(rule.default))
        else:
            value = self.index(rule.field, rule.default)
        v.data = np.where(rows, value, v.data).astype(v.data.dtype)
        v.ok = v.ok | rows
        v.how[rows] = DEFAULTED

    # ------------------------------------------------------------ case ids

    def _case_id(self, rule: Rule, t: pa.Table, n: int) -> Values:
        cols = [self._column(t, c) for c in rule.columns]
        col = cols[0] if len(cols) == 1 else pc.coalesce(*cols)

        def fits(text: pa.Array) -> np.ndarray:
            if self.id_tables is None or pa.types.is_large_string(text.type):
                return as_bool_np(pc.and_(pc.match_substring_regex(text, self.id_pattern),
                                          pc.less_equal(pc.utf8_length(text), self.id_max)))
            offsets, _ = text_buffers(text)  # byte tables instead of a regex a row (ASCII ids)
            return ~class_pattern_failures(text, *self.id_tables) & (np.diff(offsets) <= self.id_max) & valid_np(text)

        ok = fits(col)
        if not ok.all():
            given = valid_np(col)
            if (given & ~ok).any():
                trimmed = pc.utf8_trim_whitespace(col)
                fixed = fits(trimmed)
                col = pc.if_else(bool_array(ok), col, trimmed)
                ok = ok | fixed
                empty = given & ~ok & ~as_bool_np(pc.greater(pc.utf8_length(trimmed), 0))
                given &= ~empty
            self._reject("case_id", "missing", ~given)
            self._reject("case_id", "not-an-id", given & ~ok, col)
        how = np.where(ok, MAPPED, EMPTY).astype(np.uint8)
        return Values(np.zeros(0), ok, how, text=col)

    # ------------------------------------------------------------ words: enums, codes, booleans, integers

    def _words(self, rule: Rule, t: pa.Table, n: int) -> tuple[Values, np.ndarray, pa.Array | None]:
        name = rule.field
        result = np.full(n, MISSING, np.int32)
        sample_col = None
        per_column = []
        for c in rule.columns:
            col = self._column(t, c)
            enc = _array(pc.dictionary_encode(col))
            words = enc.dictionary.to_pylist()
            table = np.array([self._word(rule, w) for w in words] + [MISSING], np.int32)
            idx = integer_values(enc.indices).astype(np.int64)
            valid = valid_np(enc)
            idx = np.where(valid, idx, len(words))
            got = table[idx]
            fill = (result < 0) & (got >= 0)
            result = np.where(fill, got, np.where((result == MISSING) & (got == UNKNOWN), UNKNOWN, result))
            per_column.append((got, idx, words))
            if sample_col is None:
                sample_col = col
        unknown = result == UNKNOWN
        if unknown.any():
            tally = self.report.fields[name].unknown_words
            for got, idx, words in per_column:
                counts = np.bincount(idx[unknown & (got == UNKNOWN)], minlength=len(words) + 1)[:-1]
                for i in np.flatnonzero(counts):
                    word = shown(words[i], 80)
                    if len(tally) < UNKNOWN_WORDS_KEPT or word in tally:
                        tally[word] += int(counts[i])
        ok = result >= 0
        how = np.where(ok, MAPPED, EMPTY).astype(np.uint8)
        return Values(result, ok, how), unknown, sample_col

    def _word(self, rule: Rule, word: str) -> int:
        """The output index of one distinct source word, or MISSING / UNKNOWN (cached per field)."""
        cache = self.cache[rule.field]
        hit = cache.get(word)
        if hit is not None:
            return hit
        text = word.strip()
        key = text.casefold() if rule.ignore_case else text
        if not text or key in rule.null_values:
            out = MISSING
        elif key in rule.values:
            out = self.index(rule.field, rule.values[key])
        else:
            out = self._native(rule, text)
            if out == UNKNOWN:
                for pattern, value in rule.patterns:
                    if pattern.search(text):
                        out = self.index(rule.field, value)
                        break
            if out == UNKNOWN and rule.is_code and rule.codes != "listed":
                out = self.index(rule.field, self.registry.book(rule.field).code(text, rule.codes))
        cache[word] = out
        return out

    def _native(self, rule: Rule, text: str) -> int:
        """A word that already is one of the field's values (an enum value, true/false, a number)."""
        name = rule.field
        if rule.kind == "boolean":
            low = text.casefold()
            return 1 if low == "true" else 0 if low == "false" else UNKNOWN
        if rule.kind == "integer":
            if re.fullmatch(r"[+-]?[0-9]{1,18}", text):
                return self.index(name, int(text))
            return UNKNOWN
        if rule.is_code:
            return UNKNOWN
        allowed = enum_values(name)
        if text in allowed:
            return self.index(name, text)
        if rule.ignore_case:
            for value in allowed:
                if value.casefold() == text.casefold():
                    return self.index(name, value)
        return UNKNOWN

    # ------------------------------------------------------------ times

    def _times(self, rule: Rule, t: pa.Table, n: int, vals: dict[str, Values]) -> tuple[Values, np.ndarray, pa.Array | None]:
        name = rule.field
        m = self.mapping
        layouts = list(rule.formats or m.time_formats)
        us = np.zeros(n, np.int64)
        ok = np.zeros(n, bool)
        given = np.zeros(n, bool)
        counts = self.report.fields[name]
        sample = None
        for c in rule.columns:
            col = self._column(t, c)
            if rule.null_values:
                col = self._drop_null_words(rule, col)
            got = parse_times(col, layouts, m.timezone, latest=m.ambiguous == "latest")
            fill = ~ok & got.ok
            us = np.where(fill, got.us, us)
            ok |= fill
            given |= got.given
            amb, gap = fill & got.ambiguous, fill & got.nonexistent
            counts.ambiguous_times += int(np.count_nonzero(amb))
            counts.nonexistent_times += int(np.count_nonzero(gap))
            if m.ambiguous == "reject":
                self._reject(name, "ambiguous-time", amb, col)
            if m.nonexistent == "reject":
                self._reject(name, "nonexistent-time", gap, col)
            if sample is None:
                sample = col
        unknown = given & ~ok
        read = ok.copy()
        if rule.not_before and rule.not_before in vals:
            other = vals[rule.not_before]
            early = ok & other.ok & (us < other.data)
            counts.out_of_order += int(np.count_nonzero(early))
            ok &= ~early
        how = np.where(ok, MAPPED, EMPTY).astype(np.uint8)
        return Values(us, ok, how, read=read), unknown, sample

    def _drop_null_words(self, rule: Rule, col: pa.Array) -> pa.Array:
        words = text_array(sorted(rule.null_values))
        low = pc.utf8_lower(pc.utf8_trim_whitespace(col)) if rule.ignore_case else pc.utf8_trim_whitespace(col)
        hit = pc.is_in(low, value_set=words)
        return pc.if_else(hit, pa.scalar(None, pa.string()), col)

    def _limits(self, rule: Rule, t: pa.Table, v: Values, vals: dict[str, Values], gap: np.ndarray) -> None:
        """Deadlines from a time-limit column or a fixed or profile limit, for dispatched cases
        where none was given (the schema requires one there; other cases keep what the export says)."""
        base, disposition = vals.get(rule.limit_from), vals.get("disposition")
        if base is None or disposition is None:
            return
        counts = self.report.fields[rule.field]
        dispatched = disposition.ok & (disposition.data == self.out_index["disposition"].get("dispatched", -9))
        todo = gap & base.ok & dispatched
        if rule.limit_column and todo.any():
            col = self._column(t, rule.limit_column)
            enc = _array(pc.dictionary_encode(col))
            words = enc.dictionary.to_pylist()
            hours = np.array([self._limit_hours(rule, w) for w in words] + [math.nan])
            idx = np.where(valid_np(enc), integer_values(enc.indices).astype(np.int64), len(words))
            h = hours[idx]
            bad = todo & np.isnan(h) & valid_np(enc)
            if bad.any():
                counts.unknown += int(np.count_nonzero(bad))
                tally = np.bincount(idx[bad], minlength=len(words) + 1)[:-1]
                for i in np.flatnonzero(tally):
                    counts.unknown_words[shown(words[i], 80)] += int(tally[i])
            fill = todo & ~np.isnan(h)
            self._fill_limit(v, base, fill, h)
            if v.read is not None:
                v.read = v.read | fill  # a deadline the data states (a profile may be inferred from it)
            todo &= ~fill
        if rule.limit_hours is not None and todo.any():
            if rule.limit_hours == "profile":
                h = self._profile_hours(vals, len(todo))
            else:
                h = np.full(len(todo), float(rule.limit_hours))
            fill = todo & ~np.isnan(h)
            self._fill_limit(v, base, fill, h)

    @staticmethod
    def _fill_limit(v: Values, base: Values, fill: np.ndarray, hours: np.ndarray) -> None:
        if not fill.any():
            return
        add = np.round(np.nan_to_num(hours) * US_PER_HOUR).astype(np.int64)
        v.data = np.where(fill, base.data + add, v.data)
        v.ok = v.ok | fill
        v.how[fill] = DERIVED

    def _limit_hours(self, rule: Rule, word: str) -> float:
        key = f"{rule.limit_unit}\x00{word}"
        hit = self.limit_cache.get(key)
        if hit is None:
            m = _LIMIT.match(word)
            if m is None:
                hit = math.nan
            else:
                unit = (m.group(2) or "").lower()
                hours = unit in _HOUR_WORDS or (not unit and rule.limit_unit == "hours")
                hit = float(m.group(1)) * (1 if hours else 24)
                hit = hit if hit > 0 else math.nan
            self.limit_cache[key] = hit
        return hit

    def _profile_hours(self, vals: dict[str, Values], n: int) -> np.ndarray:
        """The profile's time limit (hours) of each row's category, else its request type."""
        profile = self.profile
        rt, cat = vals.get("request_type"), vals.get("category")
        if profile is None or rt is None:
            return np.full(n, math.nan)
        rt_idx = np.where(rt.ok, rt.data, -1).astype(np.int64)
        cat_idx = np.where(cat.ok, cat.data, -1).astype(np.int64) if cat is not None else np.full(n, -1, np.int64)
        width = len(self.out.get("category", [])) + 1
        pair = (rt_idx + 1) * width + (cat_idx + 1)
        uniq, inverse = np.unique(pair, return_inverse=True)
        table = []
        for p in uniq:
            r, c = divmod(int(p), width)
            if r == 0:
                table.append(math.nan)
                continue
            rtype = self.out["request_type"][r - 1]
            category = self.out["category"][c - 1] if c else None
            try:
                table.append(profile.time_limit_hours(rtype, category))
            except KeyError:
                table.append(math.nan)
        return np.array(table, float)[inverse]

    # ------------------------------------------------------------ conditions across fields

    def _apply_when(self, vals: dict[str, Values], n: int) -> None:
        masks: dict[str, np.ndarray] = {}
        if "disposition" in vals:
            d = vals["disposition"]
            idx = self.out_index["disposition"].get("dispatched", -9)
            masks["dispatched"] = d.ok & (d.data == idx)
        if "status" in vals:
            s = vals["status"]
            ended = [self.out_index["status"].get(w, -9) for w in ("closed", "cancelled")]
            masks["ended"] = s.ok & np.isin(s.data, ended)
        for name, rule in self.mapping.rules.items():
            if rule.when is None:
                continue
            on = masks.get(rule.when, np.zeros(n, bool))
            v = vals[name]
            v.ok = v.ok & on
            v.how = np.where(on, v.how, EMPTY).astype(np.uint8)

    def _conditions(self, vals: dict[str, Values], n: int) -> None:
        """The schema's conditional rules: a dispatched case needs its unit, level, dispatch time
        and deadline; an excluded case its reason. A row without them is rejected (counted), unless
        it is rejected already (a value it lacks may be missing for that reason)."""
        live = ~self._reject_rows
        d = vals.get("disposition")
        if d is not None:
            dispatched = live & d.ok & (d.data == self.out_index["disposition"].get("dispatched", -9))
            if dispatched.any():
                for name in DISPATCHED_NEEDS:
                    v = vals.get(name)
                    lacking = dispatched if v is None else dispatched & ~v.ok
                    self._reject(name, "needed-when-dispatched", lacking)
        ex = vals.get("excluded")
        if ex is not None and "excluded" in self.out_index:
            excluded = live & ex.ok & (ex.data == 1)
            reason = vals.get("exclusion_reason")
            self._reject("exclusion_reason", "needed-when-excluded",
                         excluded if reason is None else excluded & ~reason.ok)

    # ------------------------------------------------------------ output

    def _table(self, vals: dict[str, Values], keep: np.ndarray, kept: int) -> pa.Table:
        all_kept = kept == len(keep)
        columns = []
        for f in self.schema:
            v = vals.get(f.name)
            if v is None:
                columns.append(pa.nulls(kept, f.type))
                continue
            if f.name == "case_id":
                columns.append(v.text if all_kept else v.text.filter(bool_array(keep)))
                continue
            data, ok = (v.data, v.ok) if all_kept else (v.data[keep], v.ok[keep])
            nulls = None if ok.all() else pa.py_buffer(np.packbits(ok, bitorder="little"))
            if pa.types.is_timestamp(f.type):  # from buffers: no conversion of Python values
                columns.append(pa.Array.from_buffers(f.type, kept, [nulls, pa.py_buffer(np.ascontiguousarray(data, np.int64))]))
            elif pa.types.is_dictionary(f.type):
                idx = np.ascontiguousarray(np.where(ok, data, 0), np.int32)
                indices = pa.Array.from_buffers(pa.int32(), kept, [nulls, pa.py_buffer(idx)])
                columns.append(pa.DictionaryArray.from_arrays(indices, self._dictionary(f.name)))
            elif pa.types.is_boolean(f.type):
                table = np.array(self.out[f.name], bool)
                columns.append(bool_array(table[np.where(ok, data, 0)], None if nulls is None else ok))
            else:
                table = np.array(self.out[f.name] or [0], np.int64)
                columns.append(pa.Array.from_buffers(pa.int64(), kept, [nulls, pa.py_buffer(table[np.where(ok, data, 0)])]))
        return pa.Table.from_arrays(columns, schema=self.schema)

    def _dictionary(self, name: str) -> pa.Array:
        values = self.out[name]
        return text_array(values if values else [""])

    def _count(self, vals: dict[str, Values], keep: np.ndarray) -> None:
        for name, v in vals.items():
            counts = self.report.fields[name]
            how = np.where(v.ok, v.how, EMPTY)[keep]
            tally = np.bincount(how, minlength=len(HOW))
            counts.empty += int(tally[EMPTY])
            counts.mapped += int(tally[MAPPED])
            counts.constant += int(tally[CONSTANT])
            counts.derived += int(tally[DERIVED])
            counts.defaulted += int(tally[DEFAULTED])

    def finish(self) -> None:
        """Record how many distinct codes each code field wrote."""
        self.report.codes = {name: len(self.out[name]) for name, rule in self.mapping.rules.items() if rule.is_code}

