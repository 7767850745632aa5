"""The buffer-level checks decide exactly as Python's re.search and len() do."""

from __future__ import annotations

import re

import pyarrow as pa
from hypothesis import given, settings
from hypothesis import strategies as st

from jiesu.schema import case_record_schema
from jiesu.validate.engine import compiled
from jiesu.validate.schema_checks import char_lengths, class_pattern_failures, valid_datetime_text

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
