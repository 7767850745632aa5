"""Arrow arrays to and from numpy and bytes, without pyarrow's conversion of Python values.

pyarrow turns a Python value (a list, a scalar such as the ``0`` in ``pc.less(a, 0)``) into Arrow
through code that first imports pandas, about 0.3 s. Validation needs no pandas, so its paths
build arrays from buffers here; a test checks that validating Parquet or NDJSON never imports it.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import numpy as np
import pyarrow as pa


def text_array(values: Sequence[str | None]) -> pa.StringArray:
    """A string array (None = null) built from its offsets and UTF-8 bytes."""
    encoded = [b"" if v is None else v.encode("utf-8") for v in values]
    offsets = np.zeros(len(encoded) + 1, np.int64)
    np.cumsum([len(b) for b in encoded], out=offsets[1:])
    if offsets[-1] >= 2**31:
        raise ValueError("text_array: more than 2 GiB of text")
    nulls = [v is None for v in values]
    validity = pa.py_buffer(np.packbits(~np.array(nulls, bool), bitorder="little")) if any(nulls) else None
    return pa.StringArray.from_buffers(len(encoded), pa.py_buffer(offsets.astype(np.int32)),
                                       pa.py_buffer(b"".join(encoded)), validity, sum(nulls))


def int_array(values: np.ndarray | Sequence[int]) -> pa.Int64Array:
    """An int64 array sharing a numpy array's memory (no nulls)."""
    arr = np.ascontiguousarray(values, dtype=np.int64)
    return pa.Array.from_buffers(pa.int64(), len(arr), [None, pa.py_buffer(arr)])


def bool_array(values: np.ndarray, valid: np.ndarray | None = None) -> pa.BooleanArray:
    """A numpy bool array as Arrow, built from packed bits; ``valid`` False = null."""
    bits = pa.py_buffer(np.packbits(values, bitorder="little"))
    nulls = None if valid is None else pa.py_buffer(np.packbits(valid, bitorder="little"))
    return pa.BooleanArray.from_buffers(pa.bool_(), len(values), [nulls, bits])


def bits(buf: pa.Buffer | None, offset: int, n: int) -> np.ndarray:
    """An Arrow bitmap (validity or boolean data) as a numpy bool array; no buffer = all False."""
    if buf is None:
        return np.zeros(n, dtype=bool)
    first, shift = divmod(offset, 8)
    raw = np.frombuffer(buf, dtype=np.uint8)[first: first + (shift + n + 7) // 8]
    return np.unpackbits(raw, count=shift + n, bitorder="little")[shift:].view(bool)


def validity(arr: pa.Array) -> np.ndarray | None:
    """Where an array holds a value, or None when it holds no null (nothing to mask)."""
    if pa.types.is_null(arr.type):
        return np.zeros(len(arr), bool)
    if arr.null_count == 0:
        return None
    if arr.buffers()[0] is None:  # unions and the like: let Arrow say
        return bits(arr.is_valid().buffers()[1], 0, len(arr))
    return bits(arr.buffers()[0], arr.offset, len(arr))


def valid_np(arr: pa.Array | pa.ChunkedArray) -> np.ndarray:
    """Where an array holds a value (not null), unpacked from its validity bitmap."""
    if isinstance(arr, pa.ChunkedArray):
        if arr.num_chunks != 1:
            return np.concatenate([valid_np(c) for c in arr.chunks]) if arr.num_chunks else np.zeros(0, bool)
        arr = arr.chunk(0)
    mask = validity(arr)
    return np.ones(len(arr), bool) if mask is None else mask


def as_bool_np(mask: pa.Array | pa.ChunkedArray) -> np.ndarray:
    """A boolean Arrow array as numpy, null = False, unpacked straight from its bit buffers."""
    if isinstance(mask, pa.ChunkedArray):
        if mask.num_chunks != 1:
            return np.concatenate([as_bool_np(c) for c in mask.chunks]) if mask.num_chunks else np.zeros(0, bool)
        mask = mask.chunk(0)
    if pa.types.is_null(mask.type):
        return np.zeros(len(mask), bool)
    out = bits(mask.buffers()[1], mask.offset, len(mask))
    valid = validity(mask)
    return out if valid is None else out & valid


def fixed_values(arr: pa.Array, dtype: Any) -> np.ndarray:
    """The fixed-width value buffer of an array as numpy, zero-copy (null slots hold anything)."""
    buf = arr.buffers()[1]
    if buf is None:
        return np.zeros(len(arr), dtype=dtype)
    return np.frombuffer(buf, dtype=dtype, count=arr.offset + len(arr))[arr.offset:]


def integer_values(arr: pa.Array | pa.ChunkedArray) -> np.ndarray:
    """The values of an integer array as numpy, in its own width; null slots hold anything."""
    if isinstance(arr, pa.ChunkedArray):
        if arr.num_chunks != 1:
            return np.concatenate([integer_values(c) for c in arr.chunks]) if arr.num_chunks else np.zeros(0, np.int64)
        arr = arr.chunk(0)
    t = arr.type
    return fixed_values(arr, np.dtype(f"{'i' if pa.types.is_signed_integer(t) else 'u'}{t.bit_width // 8}"))


def text_buffers(arr: pa.Array) -> tuple[np.ndarray, np.ndarray]:
    """(offsets as int64, length n + 1; the data bytes) of a string or large_string array."""
    otype = np.int64 if pa.types.is_large_string(arr.type) else np.int32
    bufs = arr.buffers()
    offsets = np.frombuffer(bufs[1], dtype=otype)[arr.offset: arr.offset + len(arr) + 1].astype(np.int64)
    data = np.frombuffer(bufs[2], dtype=np.uint8) if bufs[2] is not None else np.zeros(0, np.uint8)
    return offsets, data


def python_array(values: Sequence[Any], arrow_type: pa.DataType) -> pa.Array:
    """A string, boolean or int64 array from Python values of that type (None = null)."""
    if pa.types.is_string(arrow_type):
        return text_array(values)
    valid = np.array([v is not None for v in values], bool)
    if pa.types.is_boolean(arrow_type):
        return bool_array(np.array([bool(v) for v in values], bool), None if valid.all() else valid)
    if pa.types.is_int64(arrow_type):
        ints = np.array([0 if v is None else v for v in values], np.int64)
        nulls = None if valid.all() else pa.py_buffer(np.packbits(valid, bitorder="little"))
        return pa.Array.from_buffers(pa.int64(), len(ints), [nulls, pa.py_buffer(ints)])
    raise TypeError(f"python_array: {arrow_type} is not supported")
