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


def as_bool_np(mask: pa.Array | pa.ChunkedArray) -> np.ndarray:
    """A boolean Arrow array as numpy, null = False, unpacked straight from its bit buffers."""
    if isinstance(mask, pa.ChunkedArray):
        if mask.num_chunks == 0:
            return np.zeros(0, bool)
        if mask.num_chunks > 1:
            return np.concatenate([as_bool_np(c) for c in mask.chunks])
        mask = mask.chunk(0)
    n, off = len(mask), mask.offset
    if n == 0:
        return np.zeros(0, bool)
    if pa.types.is_null(mask.type):
        return np.zeros(n, bool)
    validity, values = mask.buffers()[0], mask.buffers()[1]
    out = np.unpackbits(np.frombuffer(values, np.uint8), count=off + n, bitorder="little")[off:].view(bool)
    if mask.null_count and validity is not None:
        out = out & valid_np(mask)
    return out


def valid_np(arr: pa.Array | pa.ChunkedArray) -> np.ndarray:
    """Where an array holds a value (not null), unpacked from its validity bitmap."""
    if isinstance(arr, pa.ChunkedArray):
        if arr.num_chunks != 1:
            return np.concatenate([valid_np(c) for c in arr.chunks]) if arr.num_chunks else np.zeros(0, bool)
        arr = arr.chunk(0)
    n, off = len(arr), arr.offset
    if pa.types.is_null(arr.type):
        return np.zeros(n, bool)
    if arr.null_count == 0:
        return np.ones(n, bool)
    validity = arr.buffers()[0]
    if validity is None:  # unions and the like: let Arrow say
        return as_bool_np(arr.is_valid())
    return np.unpackbits(np.frombuffer(validity, np.uint8), count=off + n, bitorder="little")[off:].view(bool)


def integer_values(arr: pa.Array | pa.ChunkedArray) -> np.ndarray:
    """The values of an integer array as numpy, in its own width; null slots hold anything."""
    if isinstance(arr, pa.ChunkedArray):
        if arr.num_chunks != 1:
            return np.concatenate([integer_values(c) for c in arr.chunks]) if arr.num_chunks else np.zeros(0, np.int64)
        arr = arr.chunk(0)
    t = arr.type
    dtype = np.dtype(f"{'i' if pa.types.is_signed_integer(t) else 'u'}{t.bit_width // 8}")
    return np.frombuffer(arr.buffers()[1], dtype=dtype)[arr.offset: arr.offset + len(arr)]


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
