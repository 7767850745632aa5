"""Vectorised checks compiled from the published JSON Schema.

The schema is the single source: this module reads its keywords and builds column checks whose
row verdict agrees with python-jsonschema's (a test proves it on a mutated corpus). A keyword it
does not know makes compilation fail, so the schema cannot drift away from the checks.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
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
from ..io.batch import is_plain_text

# python-jsonschema checks date-time with rfc3339-validator on the upper-cased text; Python's `$`
# also matches before one final newline. This RE2 pattern says exactly the same.
DATE_TIME_RE = (
    r"^[0-9]{4}-(?:0[1-9]|1[0-2])-[0-9]{2}[Tt](?:[01][0-9]|2[0-3]):[0-5][0-9]:[0-5][0-9]"
    r"(?:\.[0-9]+)?(?:[Zz]|[+-](?:[01][0-9]|2[0-3]):[0-5][0-9])\n?$"
)

ANNOTATIONS = {"title", "description", "$comment", "examples", "default"}


class SchemaCompileError(RuntimeError):
    """The schema uses a keyword the vectorised checks do not implement."""


@dataclass
class FieldRule:
    """What the schema asks of one field's non-null values."""

    name: str
    kind: str  # string | date-time | boolean | integer
    enum: list[Any] | None = None
    pattern: str | None = None
    min_length: int | None = None
    max_length: int | None = None
    minimum: float | None = None
    maximum: float | None = None
    pattern_classes: tuple[np.ndarray, np.ndarray] | None = None  # (first, rest) byte tables


@dataclass
class Conditional:
    """allOf item of the form: if <field> == <value> then <fields> are required and not null."""

    when_field: str
    when_value: Any
    then_required: list[str]
    description: str = ""


@dataclass
class CompiledSchema:
    rules: dict[str, FieldRule]
    required: list[str]
    additional_properties: bool
    conditionals: list[Conditional] = field(default_factory=list)


def _python_to_re2(pattern: str) -> str:
    """JSON Schema patterns are run by python-jsonschema with re.search; make RE2 agree.

    Python's `$` (no MULTILINE) also matches before a final newline; `\\d` would match non-ASCII
    digits in Python, so the schema must not use it (checked here).
    """
    if "\\d" in pattern or "\\w" in pattern or "\\s" in pattern:
        raise SchemaCompileError(f"pattern {pattern!r}: use explicit ASCII classes, not \\d \\w \\s")
    if pattern.endswith("$") and not pattern.endswith("\\$"):
        pattern = pattern[:-1] + "\\n?$"
    re.compile(pattern)
    return pattern


def _class_lut(spec: str) -> np.ndarray | None:
    """A 256-entry byte table for a bracket class of ASCII literals and ranges (e.g. ``A-Za-z0-9._-``)."""
    lut = np.zeros(256, bool)
    i = 0
    while i < len(spec):
        c = spec[i]
        if c in "\\^[]" or ord(c) > 127:
            return None
        if i + 2 < len(spec) and spec[i + 1] == "-":
            lut[ord(c): ord(spec[i + 2]) + 1] = True
            i += 3
        else:
            lut[ord(c)] = True
            i += 1
    return lut


def class_tables(pattern: str) -> tuple[np.ndarray, np.ndarray] | None:
    """For patterns shaped ``^[first][rest]*$`` the byte tables that decide them without a regex."""
    m = re.fullmatch(r"\^\[([^\]]+)\]\[([^\]]+)\]\*\$", pattern)
    if not m:
        return None
    first, rest = _class_lut(m.group(1)), _class_lut(m.group(2))
    return (first, rest) if first is not None and rest is not None else None


def _rows_of(offsets: np.ndarray, positions: np.ndarray) -> np.ndarray:
    return np.searchsorted(offsets, positions, side="right") - 1


def class_pattern_failures(arr: pa.Array, first: np.ndarray, rest: np.ndarray) -> np.ndarray:
    """Rows not matching ``^[first][rest]*$`` as Python's re.search decides (one final newline may
    stand before ``$``), from the byte buffers: a table lookup a byte instead of a regex a row."""
    offsets, data = text_buffers(arr)
    lengths = np.diff(offsets)
    starts = offsets[:-1]
    if len(lengths) and lengths.min() > 0:
        bad = ~first[data[starts]]
    else:
        bad = lengths == 0
        nonempty = ~bad
        bad[nonempty] = ~first[data[starts[nonempty]]]
    text = data[offsets[0]: offsets[-1]]
    if not text.tobytes().translate(None, _allowed_bytes(rest)):
        return bad  # every byte is allowed after the first: the usual case, decided in one pass
    body = ~rest[text]
    if body.any():
        pos = np.flatnonzero(body) + offsets[0]
        rows = _rows_of(offsets, pos)
        final_newline = (data[pos] == 10) & (pos == offsets[rows + 1] - 1)
        breaks = (pos != starts[rows]) & ~final_newline  # the first byte is judged by ``first``
        bad[rows[breaks]] = True
    return bad


def _allowed_bytes(table: np.ndarray) -> bytes:
    return np.flatnonzero(table).astype(np.uint8).tobytes()


def char_lengths(arr: pa.Array) -> np.ndarray:
    """Code points a row (what len() gives in Python), from the bytes: UTF-8 continuation bytes don't count."""
    offsets, data = text_buffers(arr)
    lengths = np.diff(offsets)
    if offsets[-1] == offsets[0] or data[offsets[0]: offsets[-1]].max() < 0x80:
        return lengths  # ASCII: one byte, one character
    cont = (data[offsets[0]: offsets[-1]] & 0xC0) == 0x80
    if cont.any():
        lengths = lengths - np.bincount(_rows_of(offsets, np.flatnonzero(cont) + offsets[0]), minlength=len(arr))
    return lengths


def _merge(target: FieldRule, spec: dict[str, Any], defs: dict[str, Any], where: str) -> None:
    for key, value in spec.items():
        if key in ANNOTATIONS:
            continue
        if key == "$ref":
            name = value.rsplit("/", 1)[1]
            if not value.startswith("#/$defs/") or name not in defs:
                raise SchemaCompileError(f"{where}: unresolvable $ref {value!r}")
            _merge(target, defs[name], defs, where)
        elif key == "anyOf":
            non_null = [alt for alt in value if alt != {"type": "null"}]
            if len(non_null) != 1 or len(value) != 2:
                raise SchemaCompileError(f"{where}: anyOf must be [<one schema>, {{type: null}}]")
            _merge(target, non_null[0], defs, where)
        elif key == "type":
            pass  # kinds come from jiesu.io.field_kinds(), which reads the same keyword
        elif key == "format":
            if value != "date-time":
                raise SchemaCompileError(f"{where}: format {value!r} not supported")
        elif key == "enum":
            target.enum = list(value)
        elif key == "pattern":
            target.pattern = _python_to_re2(value)
            target.pattern_classes = class_tables(value)
        elif key == "minLength":
            target.min_length = value
        elif key == "maxLength":
            target.max_length = value
        elif key == "minimum":
            target.minimum = value
        elif key == "maximum":
            target.maximum = value
        else:
            raise SchemaCompileError(f"{where}: keyword {key!r} is not implemented by the vectorised checks")


def compile_schema(schema: dict[str, Any]) -> CompiledSchema:
    from ..schema import field_kinds

    kinds = field_kinds().kind
    defs = schema.get("$defs", {})
    known_top = {"$schema", "$id", "title", "description", "x-schema-version", "x-date-time-range", "type",
                 "required", "additionalProperties", "properties", "allOf", "$defs"}
    unknown = set(schema) - known_top
    if unknown:
        raise SchemaCompileError(f"top-level keywords not implemented: {sorted(unknown)}")
    rules = {}
    for name, spec in schema["properties"].items():
        rule = FieldRule(name, kinds[name])
        _merge(rule, spec, defs, name)
        rules[name] = rule
    conditionals = []
    for item in schema.get("allOf", []):
        cond, then = item.get("if", {}), item.get("then", {})
        props = cond.get("properties", {})
        if set(item) - {"if", "then", "description"} or len(props) != 1:
            raise SchemaCompileError("allOf items must be if/then on one field's const")
        (when_field, when_spec), = props.items()
        if set(when_spec) != {"const"} or cond.get("required") != [when_field]:
            raise SchemaCompileError("if: must be {properties: {f: {const: v}}, required: [f]}")
        if not isinstance(when_spec["const"], (str, bool)):
            raise SchemaCompileError("if: const must be a string or a boolean")
        req = then.get("required", [])
        for f, spec in then.get("properties", {}).items():
            if spec != {"not": {"type": "null"}} or f not in req:
                raise SchemaCompileError("then: properties may only say {not: {type: null}} of required fields")
        conditionals.append(Conditional(when_field, when_spec["const"], list(req), item.get("description", "")))
    return CompiledSchema(rules, list(schema.get("required", [])), schema.get("additionalProperties", True) is not False, conditionals)


# ---------------------------------------------------------------- evaluating rules on columns

def dictionary_lookup(chunk: pa.DictionaryArray, per_entry: np.ndarray, null_value=False) -> np.ndarray:
    """Spread a per-dictionary-entry numpy array over the rows (null rows get ``null_value``)."""
    idx = chunk.indices
    raw = integer_values(idx)
    if not idx.null_count:
        return per_entry[raw]
    # null slots may hold any index: point them at an extra entry holding null_value
    return np.append(per_entry, np.array(null_value, per_entry.dtype))[np.where(valid_np(idx), raw, len(per_entry))]


def per_value(col: pa.ChunkedArray | pa.Array, fn: Callable[[pa.Array], pa.Array]) -> np.ndarray:
    """Apply a value-wise predicate (null = False); on dictionary chunks it runs once per entry."""
    chunks = col.chunks if isinstance(col, pa.ChunkedArray) else [col]
    out = []
    for chunk in chunks:
        if pa.types.is_dictionary(chunk.type):
            dmask = as_bool_np(fn(chunk.dictionary))
            out.append(dictionary_lookup(chunk, dmask) if dmask.any() else np.zeros(len(chunk), bool))
        elif len(chunk):
            m = as_bool_np(fn(chunk))
            out.append(m & valid_np(chunk) if chunk.null_count else m)
        else:
            out.append(np.zeros(0, bool))
    if not out:
        return np.zeros(0, bool)
    return np.concatenate(out) if len(out) != 1 else out[0]


def _single_dictionary(col: pa.ChunkedArray) -> pa.DictionaryArray | None:
    if col.num_chunks == 1 and pa.types.is_dictionary(col.type):
        return col.chunk(0)
    return None


def _entry_codes(values: pa.Array, mapping: dict[str, int]) -> np.ndarray:
    return codes_of(pa.chunked_array([values.cast(pa.string())]), mapping)


def pair_mismatch(a: pa.ChunkedArray, a_codes: dict[str, int], b: pa.ChunkedArray, b_codes: dict[str, int]) -> np.ndarray:
    """Rows where both values are known and their codes differ (e.g. a street's district vs the district).

    With dictionary columns the verdict is a table over (entry of a, entry of b), looked up once a row.
    """
    da, db = _single_dictionary(a), _single_dictionary(b)
    if da is None or db is None:
        ea, eb = codes_of(a, a_codes), codes_of(b, b_codes)
        return (ea >= 0) & (eb >= 0) & (ea != eb)
    ea = np.append(_entry_codes(da.dictionary, a_codes), -1)  # last entry: null
    eb = np.append(_entry_codes(db.dictionary, b_codes), -1)
    table = (ea[:, None] >= 0) & (eb[None, :] >= 0) & (ea[:, None] != eb[None, :])
    if not table.any():
        return np.zeros(len(da), bool)
    wide = np.int64 if len(ea) * len(eb) >= 2**31 else np.int32
    ia, ib = integer_values(da.indices), integer_values(db.indices)
    flat = ia.astype(wide, copy=False) * wide(len(eb))  # a new array of ``wide``: never float, never narrower
    np.add(flat, ib, out=flat, casting="unsafe")
    # a null row's index may hold anything: clip it into the table, then drop the row by validity
    out = np.take(table.ravel(), flat, mode="clip")
    for d in (da, db):
        if d.null_count:
            out &= valid_np(d)
    return out


def codes_of(col: pa.ChunkedArray, mapping: dict[str, int]) -> np.ndarray:
    """Map text values to integer codes (-1 for null or unknown), via the dictionary when there is one."""
    keys = text_array(list(mapping))
    codes = np.array([*mapping.values(), -1], dtype=np.int64)

    def code(values: pa.Array) -> np.ndarray:
        pos = pc.index_in(values, value_set=keys)  # null where not found
        return codes[np.where(valid_np(pos), integer_values(pos), len(mapping))]

    parts = []
    for chunk in col.chunks:
        if pa.types.is_dictionary(chunk.type):
            parts.append(dictionary_lookup(chunk, code(chunk.dictionary.cast(pa.string())), -1))
        else:
            parts.append(code(chunk))
    return np.concatenate(parts) if parts else np.zeros(0, np.int64)


def is_text(t: pa.DataType) -> bool:
    if pa.types.is_dictionary(t):
        t = t.value_type
    return pa.types.is_string(t) or pa.types.is_large_string(t)


def _digits(values: pa.Array, rows: np.ndarray, positions: tuple[int, ...]) -> np.ndarray:
    """The decimal number written at character ``positions`` of each selected row (ASCII digits)."""
    if not is_plain_text(values.type):
        values = values.cast(pa.string())
    offsets, data = text_buffers(values)
    starts = offsets[:-1][rows]
    out = np.zeros(len(rows), np.int64)
    for p in positions:
        out = out * 10 + (data[starts + p].astype(np.int64) - 48)
    return out


def _date_time_regex(values: pa.Array) -> np.ndarray:
    return as_bool_np(pc.match_substring_regex(values, DATE_TIME_RE))  # null = False


def _two_digits(m: np.ndarray, p: int) -> np.ndarray:
    return (m[:, p].astype(np.int16) - 48) * 10 + (m[:, p + 1].astype(np.int16) - 48)


def date_time_layout(values: pa.Array) -> np.ndarray:
    """DATE_TIME_RE's verdict per row (null = False), mostly without running the regex.

    Exports write every date-time the same way, so when the values present all have one byte
    length and sit back to back (nulls empty), they form a matrix of bytes. The first value's
    layout (which positions hold digits, which hold what literal), if the regex accepts it, is
    then checked for all rows at once, with the regex's ranges for month, hour, minute, second and
    offset; rows laid out differently are left to the regex.
    """
    n = len(values)
    if n == 0 or not is_plain_text(values.type):
        return _date_time_regex(values)
    offsets, data = text_buffers(values)
    valid = valid_np(values)
    lengths = np.diff(offsets)
    present = lengths[valid] if values.null_count else lengths
    if not len(present):
        return np.zeros(n, bool)
    width = int(present[0])
    if width < 20 or width > 64 or (values.null_count and lengths[~valid].any()) or not (present == width).all():
        return _date_time_regex(values)
    m = data[offsets[0]: offsets[0] + len(present) * width].reshape(len(present), width)
    first = m[0]
    if not _date_time_regex(text_array([bytes(first).decode("latin-1")]))[0]:
        return _date_time_regex(values)
    digit = (first >= 48) & (first <= 57)
    low = np.where(digit, 48, first).astype(np.uint8)
    span = np.where(digit, 9, 0).astype(np.uint8)
    off = np.flatnonzero((m - low) > span)  # uint8 arithmetic wraps: below ``low`` is large
    same = np.ones(len(m), bool)
    same[off // width] = False  # (a reduction along each short row would be several times slower)
    core = width - 1 if first[-1] == 10 else width  # "\n?$": one final newline may follow
    ok = same & (_two_digits(m, 5) >= 1) & (_two_digits(m, 5) <= 12) & (_two_digits(m, 11) <= 23)
    ok &= (_two_digits(m, 14) <= 59) & (_two_digits(m, 17) <= 59)
    if first[core - 1] not in (90, 122):  # not Z/z: an offset +HH:MM ends the value
        ok &= (_two_digits(m, core - 5) <= 23) & (_two_digits(m, core - 2) <= 59)
    out = np.zeros(n, bool)
    rows = np.flatnonzero(valid) if values.null_count else None
    if rows is None:
        out = ok
    else:
        out[rows] = ok
    if not same.all():
        odd = np.flatnonzero(~same) if rows is None else rows[~same]
        out[odd] = _date_time_regex(values.take(int_array(odd)))
    return out


def valid_datetime_text(values: pa.Array) -> pa.Array:
    """RFC 3339 date-time exactly as python-jsonschema decides it (incl. day of month, year 0)."""
    if isinstance(values, pa.ChunkedArray):
        values = values.combine_chunks()
    okn = date_time_layout(values)
    if not okn.any():
        return bool_array(okn, valid_np(values) if values.null_count else None)
    rows = np.flatnonzero(okn)
    day = _digits(values, rows, (8, 9))
    odd = (day == 0) | (day > 28)  # only these can be past the month's end (or day 00)
    if odd.any():
        r = rows[odd]
        year = _digits(values, r, (0, 1, 2, 3))
        month = _digits(values, r, (5, 6))
        leap = (year % 4 == 0) & ((year % 100 != 0) | (year % 400 == 0))
        mdays = np.array([0, 31, 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31])[month] + ((month == 2) & leap)
        okn[r] = (day[odd] >= 1) & (day[odd] <= mdays)
    okn &= ~as_bool_np(pc.starts_with(values, "0000"))  # year 0 is no date for rfc3339-validator
    return bool_array(okn, valid_np(values) if values.null_count else None)


def rule_failures(rule: FieldRule, col: pa.ChunkedArray, date_time_ok: np.ndarray | None = None) -> Iterator[tuple[str, str, np.ndarray]]:
    """Yield (code, message, mask) for each keyword of ``rule`` that some non-null value breaks.

    ``date_time_ok`` is the per-row verdict of ``valid_datetime_text`` when the caller has it.
    """
    t = col.type
    text = is_text(t)
    if rule.kind == "date-time" and text:
        if date_time_ok is not None:
            bad = ~date_time_ok & (valid_np(col) if col.null_count else True)
        else:
            bad = per_value(col, lambda a: pc.invert(valid_datetime_text(a)))
        yield "invalid-date-time", "is not an RFC 3339 date-time with an offset", bad
    if rule.enum is not None and text:
        allowed = text_array([v for v in rule.enum if v is not None])
        shown = ", ".join(str(v) for v in rule.enum if v is not None)
        yield "not-in-enum", f"is not one of: {shown}", per_value(col, lambda a: pc.invert(pc.is_in(a, value_set=allowed)))
    if rule.pattern is not None and text:
        pat, classes = rule.pattern, rule.pattern_classes

        def bad_pattern(a: pa.Array) -> pa.Array:
            if classes is not None and is_plain_text(a.type):
                return bool_array(class_pattern_failures(a, *classes))
            return pc.invert(pc.match_substring_regex(a, pat))

        yield "pattern-mismatch", f"does not match {pat.replace(chr(92) + 'n?$', '$')}", per_value(col, bad_pattern)
    if (rule.min_length is not None or rule.max_length is not None) and text:
        lo, hi = rule.min_length, rule.max_length

        def bad_len(a: pa.Array) -> pa.Array:
            n = char_lengths(a) if is_plain_text(a.type) else integer_values(pc.utf8_length(a))
            m = np.zeros(len(n), bool)
            if lo is not None:
                m |= n < lo
            if hi is not None:
                m |= n > hi
            return bool_array(m)

        what = f"{lo} to {hi}" if lo is not None and hi is not None else (f"at least {lo}" if lo is not None else f"at most {hi}")
        yield "bad-length", f"must be {what} characters long", per_value(col, bad_len)
    if (rule.minimum is not None or rule.maximum is not None) and pa.types.is_integer(t):
        vals, valid = integer_values(col), valid_np(col)
        m = np.zeros(len(vals), bool)
        if rule.minimum is not None:
            m |= vals < rule.minimum
        if rule.maximum is not None:
            m |= vals > rule.maximum
        yield "out-of-range", f"must be between {rule.minimum} and {rule.maximum}", m & valid
