"""Exact case_id uniqueness across all inputs with bounded memory.

Each case_id is hashed (vectorised, no Python loop per row); (hash, global row) pairs are spilled
to a few partition files by their top bits, so at the end only one partition is in memory at a
time. Rows whose hashes collide are confirmed by re-reading their case_id text: the verdict is
exact, the hash only narrows the search.
"""

from __future__ import annotations

import tempfile
from collections.abc import Callable, Iterator
from pathlib import Path

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc

from ..arrays import int_array, integer_values, text_array, text_buffers, valid_np
from ..io.atomic import temp_folder_prefix

PARTITION_BITS = 5  # 32 spill files
MAX_BYTES = 64  # bytes of a case_id that enter the hash; the exact pass compares whole values
_M1 = np.uint64(0x9E3779B97F4A7C15)
_M2 = np.uint64(0xBF58476D1CE4E5B9)


def hash_strings(arr: pa.Array) -> tuple[np.ndarray, np.ndarray]:
    """(64-bit hashes, valid mask) of a string array, computed on its raw buffers.

    A value's hash depends on its own bytes only (its length and its first MAX_BYTES bytes, read
    as little-endian 8-byte words, the last one zero-padded), never on the other values of the
    batch: the same case_id hashes alike in every batch and file.
    """
    if pa.types.is_dictionary(arr.type):
        valid = valid_np(arr)
        if not len(arr.dictionary):  # every row null
            return np.zeros(len(arr), np.uint64), valid
        hashes, _ok = hash_strings(arr.dictionary)
        return hashes[np.where(valid, integer_values(arr.indices), 0)], valid
    if not (pa.types.is_string(arr.type) or pa.types.is_large_string(arr.type)):
        raise TypeError(f"cannot hash {arr.type}")
    n = len(arr)
    valid = valid_np(arr)
    offsets, data = text_buffers(arr)
    lengths = np.diff(offsets)
    h = lengths.astype(np.uint64) * _M1
    if n and lengths.min() == lengths.max() and 0 < lengths[0] <= MAX_BYTES:
        for word in _fixed_width_words(data, int(offsets[0]), n, int(lengths[0])):
            h ^= word
            h *= _M2
            h ^= h >> np.uint64(31)
        return h, valid
    clipped = np.minimum(lengths, MAX_BYTES)
    words_per_row = (clipped + 7) // 8
    width = int(words_per_row.max(initial=0)) * 8
    block = np.zeros((n, width), np.uint8)
    total = int(clipped.sum())
    if total:
        row = np.repeat(np.arange(n, dtype=np.int64), clipped)
        pos = np.arange(total, dtype=np.int64) - np.repeat(np.cumsum(clipped) - clipped, clipped)
        block[row, pos] = data[np.repeat(offsets[:-1], clipped) + pos]
    words = block.view(np.uint64)
    for j in range(words.shape[1]):
        mixed = (h ^ words[:, j]) * _M2
        mixed ^= mixed >> np.uint64(31)
        h = np.where(words_per_row > j, mixed, h)  # a row's hash stops at its own last word
    return h, valid


def _fixed_width_words(data: np.ndarray, start: int, n: int, length: int) -> Iterator[np.ndarray]:
    """The 8-byte words of n back-to-back values of ``length`` bytes, read in place (unaligned,
    strided views); a partial last word is masked to the value's own bytes."""
    for j in range(0, length, 8):
        take = min(8, length - j)
        first = start + j
        fits = max(0, min(n, (len(data) - first - 8) // length + 1))  # rows whose 8 bytes lie inside
        word = np.empty(n, np.uint64)
        if fits:
            word[:fits] = np.ndarray((fits,), dtype="<u8", buffer=data, offset=first, strides=(length,))
        for r in range(fits, n):  # at most a row or two at the very end of the buffer
            tail = np.zeros(8, np.uint8)
            tail[:take] = data[first + r * length: first + r * length + take]
            word[r] = tail.view("<u8")[0]
        if take < 8:
            word &= np.uint64((1 << (8 * take)) - 1)
        yield word


def repeated_values(hs: np.ndarray) -> np.ndarray:
    """The values that occur more than once in one partition of hashes, sorted.

    Sorting a whole partition is the slow part of the uniqueness check, so only candidates are
    sorted: hashes are counted into at least 4 buckets each (by the well-mixed bits just below
    the partition bits), and only those sharing a bucket, about a quarter, can repeat.
    """
    if len(hs) < 2:
        return np.zeros(0, np.uint64)
    bits = min(64 - PARTITION_BITS, max(8, int(len(hs) - 1).bit_length() + 2))
    bucket = ((hs >> np.uint64(64 - PARTITION_BITS - bits)) & np.uint64((1 << bits) - 1)).astype(np.intp)
    shared = (np.bincount(bucket, minlength=1 << bits) > 1)[bucket]  # a byte table: cache-friendly lookups
    candidates = np.sort(hs[shared])
    return np.unique(candidates[1:][candidates[1:] == candidates[:-1]])


class DuplicateFinder:
    """Feed case_id arrays batch by batch; ``finish`` returns the rows that repeat an earlier id.

    Exports usually list cases in increasing case_id order; as long as every id is greater than the
    one before, none can repeat, and one comparison a row is all the check costs. At the first id
    that is not, ``replay(rows)`` is asked for the case_ids of the rows seen so far, and from then
    on every id is hashed. Without ``replay`` every id is hashed from the start.

    Only the 64-bit hashes are spilled (8 bytes a row, split by their top bits). The rows behind a
    repeated hash are found again by ``finish``'s scan, which re-reads the case_id column only when
    some hash repeats (a duplicate, or a collision the exact pass then tells apart).
    """

    def __init__(self, replay: Callable[[int], Iterator[pa.Array | pa.ChunkedArray]] | None = None) -> None:
        # jiesu-ids-PID-XXXXXXXX: a stale one (its run killed) is removed by the next run
        self._dir = tempfile.TemporaryDirectory(prefix=temp_folder_prefix("ids"))
        # closed in finish(); the folder goes with the TemporaryDirectory
        self._files = [open(Path(self._dir.name) / f"p{i}.bin", "wb") for i in range(1 << PARTITION_BITS)]  # noqa: SIM115
        self.rows = 0
        self._replay = replay
        self.increasing = replay is not None  # every id so far greater than the one before
        self._last: str | None = None

    def add(self, ids: pa.Array | pa.ChunkedArray) -> None:
        if isinstance(ids, pa.ChunkedArray):
            for chunk in ids.chunks:
                self.add(chunk)
            return
        if self.increasing and not self._continues_increasing(ids):
            self.increasing = False
            assert self._replay is not None
            for earlier in self._replay(self.rows):
                for chunk in earlier.chunks if isinstance(earlier, pa.ChunkedArray) else [earlier]:
                    self._hash(chunk)
        if not self.increasing:
            self._hash(ids)
        self.rows += len(ids)

    def _continues_increasing(self, ids: pa.Array) -> bool:
        n = len(ids)
        if not n:
            return True
        if ids.null_count or not (pa.types.is_string(ids.type) or pa.types.is_large_string(ids.type)):
            return False
        first, last = ids[0].as_py(), ids[n - 1].as_py()
        if self._last is not None and not first > self._last:  # UTF-8 bytes sort as code points do
            return False
        if n > 1 and not pc.all(pc.greater(ids.slice(1), ids.slice(0, n - 1))).as_py():
            return False
        self._last = last
        return True

    def _hash(self, ids: pa.Array) -> None:
        h, valid = hash_strings(ids)
        if not valid.all():
            h = h[valid]
        part = (h >> np.uint64(64 - PARTITION_BITS)).astype(np.uint8)
        order = np.argsort(part, kind="stable")  # radix sort on uint8
        bounds = np.zeros((1 << PARTITION_BITS) + 1, np.int64)
        np.cumsum(np.bincount(part, minlength=1 << PARTITION_BITS), out=bounds[1:])
        hs = h[order]
        for p in range(1 << PARTITION_BITS):
            if bounds[p + 1] > bounds[p]:
                self._files[p].write(memoryview(hs[bounds[p]: bounds[p + 1]]))

    def repeated_hashes(self) -> np.ndarray:
        """The hash values seen more than once (sorted); each partition is sorted on its own."""
        for f in self._files:
            f.close()
        if self.increasing:  # strictly increasing ids: nothing repeats, nothing was hashed
            self._dir.cleanup()
            return np.zeros(0, np.uint64)

        def repeated(name: str) -> np.ndarray:
            return repeated_values(np.fromfile(name, dtype=np.uint64))

        from concurrent.futures import ThreadPoolExecutor

        try:
            with ThreadPoolExecutor(max_workers=2) as pool:  # numpy sorts release the GIL
                parts = list(pool.map(repeated, [f.name for f in self._files]))
        finally:
            self._dir.cleanup()
        return np.concatenate(parts) if parts else np.zeros(0, np.uint64)

    def finish(self, scan: Callable[[np.ndarray], tuple[np.ndarray, pa.Array]]) -> tuple[np.ndarray, np.ndarray, pa.Array]:
        """(rows, rows of their first occurrence, their case_ids) for every repeated id, by row.

        ``scan(hashes)`` returns the global rows (ascending) whose case_id hashes to one of
        ``hashes``, with those case_ids; they are grouped by their real value, columnar.
        """
        empty = np.zeros(0, np.int64)
        wanted = self.repeated_hashes()
        if not len(wanted):
            return empty, empty, text_array([])
        rows, values = scan(wanted)
        group = integer_values(pc.dictionary_encode(values).indices)
        order = np.lexsort((rows, group))
        g, r = group[order], rows[order]
        starts = np.r_[True, g[1:] != g[:-1]]
        first = r[starts][np.cumsum(starts) - 1]
        repeat = ~starts
        keep = np.argsort(r[repeat], kind="stable")
        taken = order[repeat][keep]
        return r[repeat][keep], first[repeat][keep], values.take(int_array(taken))
