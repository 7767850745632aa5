"""Keep freed Arrow memory for the next batch while streaming; give it back when done.

Streaming frees each batch (about 65 MB for a Parquet row group of a million cases) and then
allocates the next one. Arrow's default allocator (mimalloc) hands freed memory back to the
operating system within milliseconds, so each row group is decoded into fresh pages that the kernel
must first fill with zeros (docs/validate.md has the measurements).

Inside ``streaming_memory()`` Arrow allocates from its jemalloc pool, whose arenas jiesu creates
with time-based purging turned off; on leaving, that pool gives back what it no longer uses and the
previous default pool is restored. Buffers remember the pool they came from, so arrays made inside
the block stay valid after it. Nothing else in the process is touched: glibc's malloc is left alone
(setting its thresholds would switch off its adaptive behaviour for the rest of the process), and
only the jemalloc pool, which Arrow uses only when asked, has its purging changed. Where pyarrow is
built without jemalloc the block changes nothing.
"""

from __future__ import annotations

import contextlib
import threading
from collections.abc import Iterator
from functools import lru_cache

import pyarrow as pa

_lock = threading.Lock()
_depth = 0
_saved_pool: pa.MemoryPool | None = None


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
        pool = _jemalloc()
        if _depth == 1 and pool is not None:
            _saved_pool = pa.default_memory_pool()
            pa.set_memory_pool(pool)


def _exit() -> None:
    global _depth, _saved_pool
    with _lock:
        _depth -= 1
        if _depth or _saved_pool is None:
            return
        pa.set_memory_pool(_saved_pool)
        _saved_pool = None
        pool = _jemalloc()
        if pool is not None:
            pool.release_unused()


@contextlib.contextmanager
def streaming_memory() -> Iterator[None]:
    """Within the block, freed Arrow memory is kept for reuse; afterwards it is returned. Re-entrant."""
    _enter()
    try:
        yield
    finally:
        _exit()


def available_memory() -> int | None:
    """Bytes this process may still take: the kernel's MemAvailable (page cache it can drop
    included), capped by a cgroup's memory limit when there is one; None when it cannot be read."""
    avail: int | None = None
    try:
        with open("/proc/meminfo", encoding="ascii") as fh:
            for line in fh:
                if line.startswith("MemAvailable:"):
                    avail = int(line.split()[1]) * 1024
                    break
    except (OSError, ValueError):
        pass
    if avail is None:
        import os

        try:
            avail = os.sysconf("SC_AVPHYS_PAGES") * os.sysconf("SC_PAGE_SIZE")
        except (ValueError, OSError, AttributeError):
            return None
    for limit_file, usage_file in (("/sys/fs/cgroup/memory.max", "/sys/fs/cgroup/memory.current"),
                                   ("/sys/fs/cgroup/memory/memory.limit_in_bytes",
                                    "/sys/fs/cgroup/memory/memory.usage_in_bytes")):
        try:
            with open(limit_file, encoding="ascii") as fh:
                limit = fh.read().strip()
            with open(usage_file, encoding="ascii") as fh:
                used = int(fh.read().strip())
        except (OSError, ValueError):
            continue
        if limit.isdigit() and int(limit) < 1 << 60:
            avail = min(avail, max(0, int(limit) - used))
        break
    return avail
