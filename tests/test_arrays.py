"""jiesu.arrays builds the same arrays as pyarrow's own conversion, on slices and with nulls."""

from __future__ import annotations

import numpy as np
import pyarrow as pa
from hypothesis import given, settings
from hypothesis import strategies as st

from jiesu.arrays import (
    as_bool_np,
    bool_array,
    int_array,
    integer_values,
    python_array,
    text_array,
    valid_np,
)

texts = st.lists(st.none() | st.text(max_size=6), max_size=40)
bools = st.lists(st.none() | st.booleans(), max_size=40)
ints = st.lists(st.none() | st.integers(-(2**63), 2**63 - 1), max_size=40)


@settings(deadline=None)  # the first pa.array() call imports pandas
@given(texts)
def test_text_array_equals_pyarrow(values):
    built = text_array(values)
    built.validate(full=True)
    assert built.equals(pa.array(values, pa.string()))


@given(bools, st.integers(0, 10))
def test_bool_views_on_slices(values, start):
    ref = pa.array(values, pa.bool_()).slice(start)
    expect_true = [v is True for v in values[start:]]
    expect_valid = [v is not None for v in values[start:]]
    assert as_bool_np(ref).tolist() == expect_true
    assert valid_np(ref).tolist() == expect_valid
    assert python_array(values, pa.bool_()).equals(pa.array(values, pa.bool_()))


@given(ints, st.integers(0, 10))
def test_integer_values_and_python_array(values, start):
    ref = pa.array(values, pa.int64())
    assert python_array(values, pa.int64()).equals(ref)
    sliced = ref.slice(start)
    got = integer_values(sliced)
    keep = valid_np(sliced)
    assert got[keep].tolist() == [v for v in values[start:] if v is not None]


def test_integer_values_keeps_each_width():
    for t, v in [(pa.int8(), -5), (pa.uint16(), 65535), (pa.int32(), -(2**31)), (pa.uint64(), 2**64 - 1)]:
        assert integer_values(pa.array([0, v, None], t).slice(1))[0] == v


def test_bool_array_and_int_array_round_trip():
    values, valid = np.array([True, False, True]), np.array([True, True, False])
    assert bool_array(values, valid).to_pylist() == [True, False, None]
    assert int_array(np.array([3, -1])).to_pylist() == [3, -1]


def test_chunked_arrays():
    col = pa.chunked_array([pa.array([True, None]), pa.array([False, True])])
    assert as_bool_np(col).tolist() == [True, False, False, True]
    assert valid_np(col).tolist() == [True, False, True, True]
    assert integer_values(pa.chunked_array([pa.array([1, 2]), pa.array([3])])).tolist() == [1, 2, 3]


def test_validity_is_none_without_nulls_and_a_mask_with_them():
    from jiesu.arrays import fixed_values, validity

    assert validity(pa.array([1, 2, 3])) is None
    assert validity(pa.array([1, None, 3]).slice(1)).tolist() == [False, True]
    assert validity(pa.nulls(2)).tolist() == [False, False]
    ts = pa.array([5, None, 7], pa.timestamp("us", tz="UTC")).slice(1)
    assert fixed_values(ts, np.int64)[1] == 7
