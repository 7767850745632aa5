"""Keep freed memory for the next batch while streaming; give it back when done.

Streaming frees each batch (about 65 MB for a Parquet row group of a million cases, plus the
checks' numpy arrays) and then allocates the next one. Arrow's default allocator (mimalloc) and
glibc's malloc both hand freed memory back to the operating system within milliseconds, so each
batch is built in fresh pages that the kernel must first fill with zeros. Measured on the
project's 2-core machine that was a third of validation's CPU time (docs/validate.md).

Inside ``streaming_memory()`` Arrow allocates from jemalloc with its decay turned off, and glibc
keeps freed memory in its heap; on leaving, both give what they no longer use back to the system
and the previous Arrow pool is restored. Where jemalloc or glibc is not there, that part is
skipped. Buffers remember the pool they came from, so switching pools is safe for live arrays.
"""

from __future__ import annotations

import contextlib
import ctypes
import ctypes.util
import threading
from collections.abc import Iterator
from functools import lru_cache

import pyarrow as pa

_M_TRIM_THRESHOLD, _M_MMAP_THRESHOLD = -1, -3  # mallopt parameters (malloc.h)
_GLIBC_DEFAULT_THRESHOLD = 128 * 1024
_KEEP_TRIM = 1 << 30  # keep up to 1 GiB of free heap instead of returning it
_KEEP_MMAP = 32 << 20  # serve blocks up to 32 MiB (glibc's upper limit) from the heap, not mmap

_lock = threading.Lock()
_depth = 0
_saved_pool: pa.MemoryPool | None = None


@lru_cache(maxsize=1)
def _glibc() -> ctypes.CDLL | None:
    name = ctypes.util.find_library("c")
    try:
        libc = ctypes.CDLL(name or "libc.so.6")
        libc.mallopt.argtypes = [ctypes.c_int, ctypes.c_int]
        libc.malloc_trim.argtypes = [ctypes.c_size_t]
        return libc
    except (OSError, AttributeError):  # not glibc (musl, macOS, Windows)
        return None


@lru_cache(maxsize=1)
def _jemalloc() -> pa.MemoryPool | None:
    try:
        pa.jemalloc_set_decay_ms(-1)  # arenas created from now on never purge on a timer
        return pa.jemalloc_memory_pool()
    except (NotImplementedError, pa.ArrowNotImplementedError):
        return None


def _enter() -> None:
    global _depth, _saved_pool
    with _lock:
        _depth += 1
        if _depth > 1:
            return
        pool = _jemalloc()
        if pool is not None:
            _saved_pool = pa.default_memory_pool()
            pa.set_memory_pool(pool)
        libc = _glibc()
        if libc is not None:
            libc.mallopt(_M_TRIM_THRESHOLD, _KEEP_TRIM)
            libc.mallopt(_M_MMAP_THRESHOLD, _KEEP_MMAP)


def _exit() -> None:
    global _depth, _saved_pool
    with _lock:
        _depth -= 1
        if _depth:
            return
        if _saved_pool is not None:
            pa.set_memory_pool(_saved_pool)
            _saved_pool = None
            pool = _jemalloc()
            if pool is not None:
                pool.release_unused()
        libc = _glibc()
        if libc is not None:
            libc.mallopt(_M_TRIM_THRESHOLD, _GLIBC_DEFAULT_THRESHOLD)
            libc.mallopt(_M_MMAP_THRESHOLD, _GLIBC_DEFAULT_THRESHOLD)
            libc.malloc_trim(0)


@contextlib.contextmanager
def streaming_memory() -> Iterator[None]:
    """Within the block, freed memory is kept for reuse; afterwards it is returned. Re-entrant."""
    _enter()
    try:
        yield
    finally:
        _exit()
