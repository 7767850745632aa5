"""The uniqueness pass's pieces against plain references: repeated hashes, spill and finish."""

from __future__ import annotations

import numpy as np
import pyarrow as pa
from hypothesis import given
from hypothesis import strategies as st

from jiesu.validate.duplicates import DuplicateFinder, hash_strings, repeated_values


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
    seen: dict[str, int] = {}
    expect_rows, expect_first = [], []
    for i, v in enumerate(ids):
        if v in seen:
            expect_rows.append(i)
            expect_first.append(seen[v])
        else:
            seen[v] = i
    assert rows.tolist() == expect_rows
    assert first.tolist() == expect_first
    assert values.to_pylist() == [ids[i] for i in expect_rows]
