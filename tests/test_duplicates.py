"""The uniqueness pass's pieces against plain references: repeated hashes, spill and finish."""

from __future__ import annotations

import numpy as np
import pyarrow as pa
import pytest
from hypothesis import given
from hypothesis import strategies as st

from jiesu.validation.duplicates import DuplicateFinder, hash_strings, repeated_values


def reference_repeats(values: np.ndarray) -> np.ndarray:
    uniq, counts = np.unique(values, return_counts=True)
    return uniq[counts > 1]


@given(st.lists(st.integers(0, 2**64 - 1), max_size=300), st.lists(st.integers(0, 299), max_size=50))
def test_repeated_values_equals_unique_counts(values, copies):
    hs = np.array(values + [values[i % len(values)] for i in copies] if values else [], np.uint64)
    assert np.array_equal(repeated_values(hs), reference_repeats(hs))


def test_repeated_values_when_every_hash_shares_a_bucket():
    # same bucket bits, different values: all are candidates, none repeats unless equal
    hs = np.arange(1000, dtype=np.uint64)
    assert len(repeated_values(hs)) == 0
    hs = np.concatenate([hs, hs[::7]])
    assert np.array_equal(repeated_values(hs), np.arange(0, 1000, 7, dtype=np.uint64))


def test_finder_reports_every_repeat_with_its_first_row():
    rng = np.random.default_rng(5)
    ids = [f"C{int(v)}" for v in rng.integers(0, 3000, 5000)]  # many repeats
    finder = DuplicateFinder()
    for lo in range(0, len(ids), 1000):
        finder.add(pa.array(ids[lo: lo + 1000]))
    column = pa.array(ids)

    def scan(hashes):
        h, _ = hash_strings(column)
        rows = np.flatnonzero(np.isin(h, hashes))
        return rows, column.take(pa.array(rows))

    rows, first, values = finder.finish(scan)
    expect_rows, expect_first = _expected(ids)
    assert rows.tolist() == expect_rows
    assert first.tolist() == expect_first
    assert values.to_pylist() == [ids[i] for i in expect_rows]


def _expected(ids):
    seen: dict[str, int] = {}
    rows, first = [], []
    for i, v in enumerate(ids):
        if v is None:
            continue
        if v in seen:
            rows.append(i)
            first.append(seen[v])
        else:
            seen[v] = i
    return rows, first


def _run(ids, batch, replay=True):
    column = pa.array(ids, pa.string())
    asked = []

    def again(rows):
        asked.append(rows)
        for lo in range(0, rows, batch):
            yield column.slice(lo, min(batch, rows - lo))

    finder = DuplicateFinder(again if replay else None)
    for lo in range(0, len(ids), batch):
        finder.add(column.slice(lo, batch))

    def scan(hashes):
        h, valid = hash_strings(column)
        rows = np.flatnonzero(valid & np.isin(h, hashes))
        return rows, column.take(pa.array(rows))

    rows, first, _ = finder.finish(scan)
    return rows.tolist(), first.tolist(), finder, asked


def test_increasing_ids_are_never_hashed():
    ids = [f"BJ{i:08d}" for i in range(0, 5000, 3)]
    rows, first, finder, asked = _run(ids, 400)
    assert (rows, first, asked) == ([], [], []) and finder.increasing


@pytest.mark.parametrize("case", ["repeat-later", "repeat-inside-batch", "equal-neighbours", "null", "decrease"])
def test_ids_that_stop_increasing_are_replayed_and_hashed(case):
    ids = [f"BJ{i:08d}" for i in range(2000)]
    if case == "repeat-later":  # increasing for 1500 rows, then earlier ids again
        ids = ids[:1500] + ids[10:20] + ids[1500:]
    elif case == "repeat-inside-batch":
        ids[1203] = ids[1201]
    elif case == "equal-neighbours":
        ids[801] = ids[800]
    elif case == "decrease":
        ids[1000], ids[1001] = ids[1001], ids[1000]
    else:
        ids[700] = None
    rows, first, finder, asked = _run(ids, 300)
    assert (rows, first) == _expected(ids)  # a null is not an id: it repeats nothing
    assert not finder.increasing and len(asked) == 1 and asked[0] % 300 == 0
    assert (rows, first) == _run(ids, 300, replay=False)[:2]


@given(st.lists(st.none() | st.text(max_size=70), min_size=1, max_size=30), st.integers(0, 5), st.integers(0, 80))
def test_a_hash_depends_on_the_value_alone(values, start, width):
    """The same id hashes alike whatever else is in its batch (other lengths, nulls, a slice of a
    larger buffer), and in the fixed-width path (all values one length) as in the general one."""
    arr = pa.array(values, pa.string()).slice(min(start, len(values) - 1))
    h, valid = hash_strings(arr)
    for i, v in enumerate(arr.to_pylist()):
        assert valid[i] == (v is not None)
        if v is not None:
            assert h[i] == hash_strings(pa.array([v]))[0][0]
            assert h[i] == hash_strings(pa.array([v, "x" * width, None]))[0][0]
    digits = max(2, width % 20)
    same = [f"{i:0{digits}d}" for i in range(len(values))]  # one length: the fixed-width path
    hs, _ = hash_strings(pa.array(same).slice(start % len(same)))
    assert [int(x) for x in hs] == [int(hash_strings(pa.array([v, None]))[0][0]) for v in same[start % len(same):]]
