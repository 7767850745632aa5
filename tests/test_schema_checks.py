"""The buffer-level checks decide exactly as Python's re.search and len() do."""

from __future__ import annotations

import re

import pyarrow as pa
from hypothesis import given, settings
from hypothesis import strategies as st

from jiesu.schema import case_record_schema
from jiesu.validation.engine import compiled
from jiesu.validation.schema_checks import char_lengths, class_pattern_failures, valid_datetime_text

ALPHABET = st.sampled_from(list("aZ09._:-\n \t/东１") + ["é", "\u2028"])
TEXT = st.lists(st.text(ALPHABET, max_size=8), min_size=1, max_size=30)


@settings(max_examples=300, deadline=None)
@given(TEXT, st.integers(0, 5))
def test_class_patterns_match_python_re(values, cut):
    arr = pa.array(["pad"] * cut + values).slice(cut)  # a sliced array: offsets not starting at 0
    for field in ("case_id", "category"):
        rule = compiled().rules[field]
        source = case_record_schema()["properties"][field].get("pattern") or case_record_schema()["$defs"]["code"]["pattern"]
        expected = [not re.search(source, v) for v in values]
        assert list(class_pattern_failures(arr, *rule.pattern_classes)) == expected


@settings(max_examples=200, deadline=None)
@given(TEXT)
def test_char_lengths_match_len(values):
    assert list(char_lengths(pa.array(values))) == [len(v) for v in values]


DATE_PARTS = st.tuples(
    st.sampled_from(["2024", "2023", "1900", "2000", "0000", "999"]), st.sampled_from(["01", "02", "04", "12", "13", "00"]),
    st.sampled_from(["01", "28", "29", "30", "31", "00", "32"]), st.sampled_from(["T", "t", " "]),
    st.sampled_from(["00:00:00", "23:59:59", "24:00:00", "12:60:00", "00:00:60"]),
    st.sampled_from(["", ".5", ".123456789", "."]), st.sampled_from(["Z", "z", "+08:00", "-05:30", "+24:00", "", "+0800"]),
    st.sampled_from(["", "\n", "\n\n", " "]),
)


@settings(max_examples=400, deadline=None)
@given(st.lists(DATE_PARTS, min_size=1, max_size=20))
def test_date_time_text_matches_jsonschema(parts):
    from jiesu.schema import record_validator

    checker = record_validator().format_checker
    values = [f"{y}-{m}-{d}{t}{hms}{frac}{tz}{tail}" for y, m, d, t, hms, frac, tz, tail in parts]
    got = valid_datetime_text(pa.array(values)).to_pylist()
    assert got == [checker.conforms(v, "date-time") for v in values]


LAYOUTS = ["{y}-{m}-{d}T{H}:{M}:{S}Z", "{y}-{m}-{d}T{H}:{M}:{S}+{oh}:{om}", "{y}-{m}-{d}t{H}:{M}:{S}.{f}-{oh}:{om}",
           "{y}-{m}-{d}T{H}:{M}:{S}.{f}z", "{y}-{m}-{d}T{H}:{M}:{S}+{oh}:{om}\n"]
VALID_ROW = st.fixed_dictionaries({
    "y": st.integers(1, 9999).map(lambda v: f"{v:04d}"), "m": st.integers(1, 12).map(lambda v: f"{v:02d}"),
    "d": st.integers(1, 28).map(lambda v: f"{v:02d}"), "H": st.integers(0, 23).map(lambda v: f"{v:02d}"),
    "M": st.integers(0, 59).map(lambda v: f"{v:02d}"), "S": st.integers(0, 59).map(lambda v: f"{v:02d}"),
    "oh": st.integers(0, 23).map(lambda v: f"{v:02d}"), "om": st.integers(0, 59).map(lambda v: f"{v:02d}"),
    "f": st.integers(0, 999).map(lambda v: f"{v:03d}")})
MUTATION = st.tuples(st.integers(0, 40), st.sampled_from("0129:-+.TtZz \n\x00é"))
# a valid row with one field at a boundary of its range (00, 12/13, 23/24, 59/60, 99)
ROW = st.tuples(VALID_ROW, st.sampled_from(["m", "d", "H", "M", "S", "oh", "om"]),
                st.sampled_from(["00", "01", "12", "13", "23", "24", "59", "60", "99"])).map(
    lambda t: {**t[0], t[1]: t[2]})


@settings(max_examples=300, deadline=None)
@given(st.sampled_from(LAYOUTS), VALID_ROW,
       st.lists(st.tuples(st.one_of(VALID_ROW, ROW), st.lists(MUTATION, max_size=2), st.booleans()), max_size=30))
def test_date_time_layout_equals_the_regex_on_same_width_values(layout, first, rows):
    """The byte-matrix path (one width throughout, nulls empty) decides exactly as the regex does,
    including rows whose layout differs from the first and non-ASCII bytes."""
    from jiesu.arrays import text_array
    from jiesu.validation.schema_checks import _date_time_regex, date_time_layout

    values = []
    for fields, mutations, null in [(first, [], False), *rows]:
        text = layout.format(**fields)
        for pos, char in mutations:
            if pos < len(text) and len(char.encode()) == 1:
                text = text[:pos] + char + text[pos + 1:]
        values.append(None if null and values else text)
    arr = text_array(values)
    assert date_time_layout(arr).tolist() == _date_time_regex(arr).tolist()
    checker_values = [v for v in values if v is not None]
    from jiesu.schema import record_validator

    checker = record_validator().format_checker
    got = [ok for ok, v in zip(valid_datetime_text(arr).to_pylist(), values) if v is not None]
    assert got == [checker.conforms(v, "date-time") for v in checker_values]


def test_date_time_layout_runs_the_regex_only_on_rows_laid_out_differently(monkeypatch):
    from jiesu.arrays import text_array
    from jiesu.validation import schema_checks

    sizes = []
    regex = schema_checks._date_time_regex
    monkeypatch.setattr(schema_checks, "_date_time_regex", lambda a: sizes.append(len(a)) or regex(a))
    values = ["2024-01-31T08:00:00+08:00"] * 1000 + [None, "2024-13-01T08:00:00+08:00", "2024-01-01t08:00:00+08:00"]
    got = schema_checks.date_time_layout(text_array(values)).tolist()
    assert got == [True] * 1000 + [False, False, True]
    assert sizes == [1, 1]  # the first value, then the one row with a lower-case t


def test_date_time_layout_at_every_field_boundary():
    """Deterministic companion of the property test: every layout, every ranged field, every boundary."""
    from jiesu.arrays import text_array
    from jiesu.validation.schema_checks import _date_time_regex, date_time_layout

    base = {"y": "2024", "m": "06", "d": "15", "H": "12", "M": "30", "S": "30", "oh": "08", "om": "00", "f": "125"}
    for layout in LAYOUTS:
        values = [layout.format(**base)]
        for name in ("m", "d", "H", "M", "S", "oh", "om"):
            for v in ("00", "01", "09", "10", "12", "13", "19", "20", "23", "24", "29", "59", "60", "99"):
                values.append(layout.format(**{**base, name: v}))
        arr = text_array(values)
        assert date_time_layout(arr).tolist() == _date_time_regex(arr).tolist(), layout


@settings(max_examples=150, deadline=None)
@given(st.lists(st.tuples(st.none() | st.sampled_from("abcx"), st.none() | st.sampled_from("PQRy")), min_size=1, max_size=40),
       st.integers(0, 2**31 - 1))
def test_pair_mismatch_and_lookups_equal_a_row_by_row_reference(pairs, garbage):
    """Dictionary and plain columns give the same verdict; a null row's index slot may hold any
    value (Arrow leaves it undefined), here a random one."""
    import numpy as np

    from jiesu.validation.schema_checks import codes_of, dictionary_lookup, pair_mismatch

    a_codes, b_codes = {"a": 0, "b": 1, "c": 1}, {"P": 0, "Q": 1, "R": 2}
    a_vals, b_vals = [p[0] for p in pairs], [p[1] for p in pairs]
    expect = [x in a_codes and y in b_codes and a_codes[x] != b_codes[y] for x, y in pairs]

    def with_garbage(values):
        enc = pa.array(values, pa.string()).dictionary_encode()
        idx = np.array([0 if v is None else enc.indices[i].as_py() for i, v in enumerate(values)], np.int32)
        idx[[v is None for v in values]] = garbage
        validity = enc.indices.buffers()[0]
        indices = pa.Array.from_buffers(pa.int32(), len(values), [validity, pa.py_buffer(idx)], enc.indices.null_count)
        return pa.DictionaryArray.from_arrays(indices, enc.dictionary)

    a_dict, b_dict = with_garbage(a_vals), with_garbage(b_vals)
    plain_a, plain_b = pa.chunked_array([pa.array(a_vals, pa.string())]), pa.chunked_array([pa.array(b_vals, pa.string())])
    assert pair_mismatch(pa.chunked_array([a_dict]), a_codes, pa.chunked_array([b_dict]), b_codes).tolist() == expect
    assert pair_mismatch(plain_a, a_codes, plain_b, b_codes).tolist() == expect
    expect_codes = [a_codes.get(v, -1) if v is not None else -1 for v in a_vals]
    assert codes_of(pa.chunked_array([a_dict]), a_codes).tolist() == expect_codes
    per_entry = np.array([v == "b" for v in a_dict.dictionary.to_pylist()])
    assert dictionary_lookup(a_dict, per_entry).tolist() == [v == "b" for v in a_vals]
