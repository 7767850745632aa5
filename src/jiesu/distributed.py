"""Score, rank and validate on a Dask cluster (``--scheduler``); the engine is Dask, never our own.

The counting already keeps mergeable partial results (``jiesu.scoring.Aggregate``, the validation
``NoticeBook``), so a distributed run is a map and a tree of merges:

- every Parquet row group (or a whole file of another format, or a file whose row groups are too
  big to read at once) is one task that counts its rows into a partial result;
- the partials merge in a tree (``FAN_IN`` at a time) on the workers; only the merged result, a
  few kilobytes to megabytes, comes back to the caller;
- validation checks each file in a task and merges the per-file reports in file order, so the
  report equals the one-process report exactly; ``case_id`` uniqueness across all files goes
  through a shuffle of the 8-byte hashes by their top bits (the same partitions the one-process
  ``DuplicateFinder`` spills to), and the rows behind a repeated hash are read again and compared
  by their real value, as one process does.

Schedulers (``scheduler=``, ``--scheduler``, ``JIESU_SCHEDULER``): ``local`` starts a
``distributed.LocalCluster`` on this machine (one single-threaded worker process per core;
``local:N`` for N workers, at most :data:`MAX_WORKERS_PER_CORE` a core), ``tcp://host:port`` (or ``host:port``) joins a running cluster's
scheduler, a ``distributed.Client`` is used as it is, and ``synchronous`` / ``threads`` run the same
task graph in this process with Dask's local schedulers (for debugging). Dask, distributed and
fsspec are the optional extra ``jiesu[dask]``; they are imported only here, only when a scheduler
is asked for.

Inputs: files, folders, glob patterns (``data/2024-*/*.parquet``) and fsspec URLs (``file://``,
``memory://``, ``s3://`` and others once their fsspec backend is installed). Through a URL only
Parquet is read (other formats: download them first). Workers read the files themselves: a path
must name the same file on every worker (a shared disk or an object store).

A new analysis with a mergeable partial takes the flag with one line, through :func:`map_reduce`::

    if scheduler is not None:
        return distributed.map_reduce(inputs, columns=cols, make=partial(MyCounter, profile),
                                      finish=MyCounter.result, merge=merge_results, scheduler=scheduler)

(``make()`` builds a counter with ``add(table)``, ``finish(counter)`` gives its partial result,
``merge(*partials)`` a new merged one; all three picklable module-level callables.)
"""

from __future__ import annotations

import glob
import os
from collections.abc import Callable, Iterator, Sequence
from contextlib import contextmanager
from functools import lru_cache, partial
from pathlib import Path
from typing import Any

from .errors import ArgumentError, ClusterError, InputError
from .io.sources import Source, check_each_once, discover, format_of

#: the environment variable the command line reads when ``--scheduler`` is not given
ENV = "JIESU_SCHEDULER"
#: partial results merged by one task of the tree
FAN_IN = 8
#: consecutive small row groups of a file share one task up to this many rows
TASK_ROWS = 1 << 20
#: inputs smaller than this (bytes) shuffle their case_id hashes through one partition, not 32
SMALL_SHUFFLE_BYTES = 256 << 20
#: ``local:N`` starts at most this many single-threaded worker processes per core (more only
#: share the same cores, and thousands would exhaust the machine before any work starts)
MAX_WORKERS_PER_CORE = 4
#: how long to wait for a scheduler given by address
CONNECT_TIMEOUT = "10s"
#: Dask's in-process schedulers, accepted for debugging and tests
IN_PROCESS = ("synchronous", "threads")

Scheduler = Any  # str | distributed.Client


def _require_dask() -> None:
    try:
        import dask  # noqa: F401
        import distributed  # noqa: F401
        import fsspec  # noqa: F401
    except ImportError:
        raise ClusterError("--scheduler needs Dask: pip install 'jiesu[dask]'") from None


# ---------------------------------------------------------------- schedulers

class Runner:
    """Computes Dask task graphs on the scheduler a run was given."""

    def __init__(self, client: Any = None, local: str | None = None) -> None:
        self.client, self.local = client, local

    def compute(self, *objects: Any) -> list[Any]:
        """The values of Dask objects (delayed), computed together; only they come back."""
        if self.client is None:
            import dask

            return list(dask.compute(*objects, scheduler=self.local))
        from distributed import KilledWorker

        futures = self.client.compute(list(objects), optimize_graph=False)
        try:
            return self.client.gather(futures)
        except KilledWorker as exc:
            raise ClusterError(f"a task's workers died every time it ran ({_short(exc)}); no result is given") from None
        except (OSError, TimeoutError) as exc:
            raise ClusterError(f"lost the Dask scheduler ({_short(exc)}); no result is given") from None
        finally:
            for f in futures:
                f.release()


def _short(exc: BaseException) -> str:
    text = str(exc).strip().splitlines()
    return (text[0] if text else exc.__class__.__name__)[:160]


def check_scheduler(scheduler: Scheduler) -> None:
    """ArgumentError unless ``scheduler`` names a scheduler this module can use."""
    if scheduler is None or not isinstance(scheduler, str):
        return
    s = scheduler.strip()
    if s in IN_PROCESS or s == "local":
        return
    if s.startswith("local:"):
        most = MAX_WORKERS_PER_CORE * (os.cpu_count() or 1)
        n = s[6:]
        if n.isascii() and n.isdigit() and 0 < int(n) <= most:
            return
        raise ArgumentError(f"{scheduler!r}: use local, or local:N with N workers (1 or more, at most {most}: "
                            f"{MAX_WORKERS_PER_CORE} a core)")
    if "://" in s and not s.startswith(("tcp://", "tls://", "inproc://", "ucx://", "ws://", "wss://")):
        raise ArgumentError(f"{scheduler!r} is not a Dask scheduler address: use local, local:N or tcp://HOST:PORT")
    if not s or any(c.isspace() for c in s):
        raise ArgumentError(f"{scheduler!r} is not a Dask scheduler address: use local, local:N or tcp://HOST:PORT")


@contextmanager
def connect(scheduler: Scheduler) -> Iterator[Runner]:
    """A :class:`Runner` for ``scheduler`` (see the module's docstring); a cluster it starts, or a
    client it opens, is closed when the block ends."""
    check_scheduler(scheduler)
    _require_dask()
    from distributed import Client

    if isinstance(scheduler, Client):
        yield Runner(scheduler)
        return
    s = str(scheduler).strip()
    if s in IN_PROCESS:
        yield Runner(local=s)
        return
    if s == "local" or s.startswith("local:"):
        import logging

        import dask
        from distributed import LocalCluster

        n = int(s[6:]) if s.startswith("local:") else (os.cpu_count() or 1)
        try:
            # Dask sets MALLOC_TRIM_THRESHOLD_ in its workers, which switches off glibc's adaptive
            # mmap threshold: every large numpy array would be mapped and zeroed afresh
            with dask.config.set({"distributed.nanny.pre-spawn-environ.MALLOC_TRIM_THRESHOLD_": None}):
                cluster = LocalCluster(n_workers=n, threads_per_worker=1, processes=True,
                                       dashboard_address=None, silence_logs=logging.CRITICAL)
        except (OSError, RuntimeError, TimeoutError) as exc:
            raise ClusterError(f"cannot start a local Dask cluster ({_short(exc)})") from None
        try:
            with Client(cluster) as client:
                yield Runner(client)
        finally:
            cluster.close()
        return
    try:
        client = Client(s, timeout=CONNECT_TIMEOUT)
    except (OSError, TimeoutError, ValueError) as exc:
        raise ClusterError(f"cannot reach the Dask scheduler at {s} ({_short(exc)})") from None
    try:
        yield Runner(client)
    finally:
        client.close()


# ---------------------------------------------------------------- inputs

def find_sources(inputs: Sequence[str | Path | Source], *, naive_timezone: str | None = None) -> list[Source]:
    """Files, folders, glob patterns and fsspec URLs, in the order given, as sources (zone-less
    Parquet timestamps read in ``naive_timezone``, as ``jiesu.io.sources.as_sources`` does)."""
    from dataclasses import replace

    from .io.sources import naive_zone

    zone = naive_zone(naive_timezone)
    found = _find_sources(inputs)
    return found if zone is None else [replace(s, naive_timezone=zone) for s in found]


def _find_sources(inputs: Sequence[str | Path | Source]) -> list[Source]:
    if not inputs:
        raise InputError("no input given: name one or more files, folders, patterns or URLs")
    out: list[Source] = []
    for item in inputs:
        if isinstance(item, Source):
            out.append(item)
            continue
        text = str(item)
        text = text.removeprefix("file://")
        if "://" in text:
            out.extend(_remote_sources(text))
        elif glob.has_magic(text) and not Path(text).exists():
            found = sorted(glob.glob(text, recursive=True))
            if not found:
                raise InputError(f"{text}: no file or folder matches the pattern")
            out.extend(discover(found))
        else:
            out.extend(discover([text]))
    check_each_once(out)
    return out


def for_workers(sources: list[Source]) -> list[Source]:
    """The sources as the workers must see them: local paths made absolute (a worker's working
    folder is not the caller's)."""
    from dataclasses import replace

    return [s if s.filesystem is not None or s.path.is_absolute() else replace(s, path=s.path.absolute())
            for s in sources]


def _remote_sources(url: str) -> list[Source]:
    import fsspec

    try:
        fs, path = fsspec.core.url_to_fs(url)
    except (ImportError, ValueError) as exc:
        raise InputError(f"{url}: cannot open this kind of URL ({_short(exc)}); install its fsspec backend") from None
    protocol = fs.protocol[0] if isinstance(fs.protocol, tuple | list) else fs.protocol
    try:
        if glob.has_magic(path):
            found = [p for p in sorted(fs.glob(path)) if fs.isfile(p)]
        elif fs.isdir(path):
            root = path.rstrip("/")
            found = [p for p in sorted(fs.find(path))
                     if not any(part.startswith((".", "_")) for part in p[len(root):].strip("/").split("/"))]
        elif fs.exists(path):
            found = [path]
        else:
            raise InputError(f"{url}: no such file or folder")
    except OSError as exc:
        raise InputError(f"{url}: cannot list ({_short(exc)})") from None
    found = [p for p in found if format_of(Path(p))]
    if not found:
        raise InputError(f"{url}: holds no data files (.parquet)")
    sources = []
    for p in found:
        fmt = format_of(Path(p))
        if fmt != "parquet":
            raise InputError(f"{protocol}://{p}: only Parquet is read through a URL; download other formats first")
        sources.append(Source(Path(p), fmt, filesystem=fs))
    return sources


# ---------------------------------------------------------------- map and tree-merge

def tree(parts: list[Any], merge: Callable[..., Any]) -> Any:
    """Merge delayed partials ``FAN_IN`` at a time, level by level, in their order (a merge of
    adjacent partials: an order-sensitive merge such as the report's stays in file order)."""
    import dask

    while len(parts) > 1:
        parts = [dask.delayed(merge, pure=False)(*parts[i:i + FAN_IN]) for i in range(0, len(parts), FAN_IN)]
    return parts[0]


def _row_groups(source: Source, columns: Sequence[str]) -> list[int] | None:
    """The row counts of a source's row groups; None when it is read whole (not Parquet, or row
    groups too big to hold)."""
    from .io.cases import row_group_tasks
    from .io.parquet_reader import open_parquet

    if row_group_tasks(source, columns) is None:
        return None
    meta = open_parquet(source, columns)[0].metadata
    return [meta.row_group(i).num_rows for i in range(meta.num_row_groups)]


def plan(sizes: list[int] | None) -> list[list[int] | None]:
    """The tasks of one source: runs of consecutive row groups of at most ``TASK_ROWS`` rows (a
    bigger row group is a task of its own; tiny ones share a task, so the file's footer is read
    once for them), or [None]: one task reading the source whole."""
    if sizes is None:
        return [None]
    tasks: list[list[int] | None] = []
    run: list[int] = []
    rows = 0
    for i, n in enumerate(sizes):
        if run and rows + n > TASK_ROWS:
            tasks.append(run)
            run, rows = [], 0
        run.append(i)
        rows += n
    if run:
        tasks.append(run)
    return tasks


@lru_cache(maxsize=1)
def _worker_memory() -> None:
    """On a Dask worker: Arrow allocates from its jemalloc pool for the rest of the worker's life
    (``jiesu.memory.streaming_memory``), so each task decodes its row group into the pages the last
    one freed instead of fresh ones the kernel must zero. Elsewhere (in-process schedulers) nothing."""
    from distributed import get_worker

    from .memory import streaming_memory

    try:
        get_worker()
    except ValueError:
        return
    streaming_memory().__enter__()  # left open on purpose: the worker process keeps the pool


def _counted(make: Callable[[], Any], source: Source, columns: Sequence[str],
             groups: list[int] | None) -> tuple[Any, int]:
    """Count some row groups (or a whole source) into a fresh counter: the counter, the rows read."""
    from .io.cases import row_group_tasks, sequential_tables

    _worker_memory()
    counter = make()
    rows = 0
    if groups is None:
        tables: Iterator[Any] = sequential_tables(source, columns)
    else:
        reads = row_group_tasks(source, columns)
        assert reads is not None
        tables = (reads[i]() for i in groups)
    for table in tables:
        counter.add(table)
        rows += table.num_rows
    return counter, rows


def _count(spec: tuple[Callable[[], Any], Callable[[Any], Any]], source: Source, columns: Sequence[str],
           groups: list[int] | None) -> Any:
    """One task: count some row groups (or a whole source) into a fresh counter; its partial result."""
    make, finish = spec
    return finish(_counted(make, source, columns, groups)[0])


def _count_with_rows(spec: tuple[Callable[[], Any], Callable[[Any], Any]], source: Source,
                     columns: Sequence[str], groups: list[int] | None) -> tuple[Any, dict[str, int]]:
    """:func:`_count`, with the rows it read of its source (keyed by the source's path)."""
    make, finish = spec
    counter, rows = _counted(make, source, columns, groups)
    return finish(counter), {str(source.path): rows}


def _merge_with_rows(merge: Callable[..., Any], *parts: tuple[Any, dict[str, int]]) -> tuple[Any, dict[str, int]]:
    rows: dict[str, int] = {}
    for _, counted in parts:
        for path, n in counted.items():
            rows[path] = rows.get(path, 0) + n
    return merge(*(result for result, _ in parts)), rows


def map_reduce(inputs: Sequence[str | Path | Source], *, columns: Sequence[str], make: Callable[[], Any],
               finish: Callable[[Any], Any], merge: Callable[..., Any], naive_timezone: str | None = None,
               rows_by_source: bool = False, scheduler: Scheduler) -> Any:
    """Count every row group of the inputs in its own task (``make()`` then ``add(table)``, then
    ``finish``), merge the partial results in a tree on the workers, return the merged one. With
    ``rows_by_source``: (the merged result, {path as the workers read it: rows read})."""
    import dask

    sources = for_workers(find_sources(inputs, naive_timezone=naive_timezone))
    count, merging = (_count_with_rows, partial(_merge_with_rows, merge)) if rows_by_source else (_count, merge)
    with connect(scheduler) as run:
        sizes = run.compute(*[dask.delayed(_row_groups, pure=False)(s, list(columns)) for s in sources])
        spec = dask.delayed((make, finish), traverse=False)
        leaves = [dask.delayed(count, pure=False)(spec, s, list(columns), groups)
                  for s, n in zip(sources, sizes) for groups in plan(n)]
        if not leaves:
            return (finish(make()), {}) if rows_by_source else finish(make())
        (result,) = run.compute(tree(leaves, merging))
    return result


def _merged_reducers(make: Callable[[], Any], merge: Callable[[Any, Any], None], *parts: Any) -> Any:
    reducer = make()
    for part in parts:
        merge(reducer, part)
    return reducer.aggregate


def reduce_sources(inputs: Sequence[str | Path | Source], make: Callable[[], Any], merge: Callable[[Any, Any], None],
                   *, scheduler: Scheduler) -> Any:
    """``jiesu.scoring.reduce_sources`` on a cluster: ``make()`` builds a reducer (``columns``,
    ``add(table)``, ``aggregate``), ``merge(reducer, partial)`` adds a partial into a reducer. Each
    row group's reducer is a task; partials merge in a tree into fresh reducers; returns a reducer
    holding the whole. (Closures and lambdas are fine: Dask ships them with cloudpickle.)"""
    merged = map_reduce(inputs, columns=make().columns, make=make, finish=_aggregate_of,
                        merge=partial(_merged_reducers, make, merge), scheduler=scheduler)
    result = make()
    merge(result, merged)
    return result


# ---------------------------------------------------------------- scoring

def _aggregate_of(scorer: Any) -> Any:
    return scorer.aggregate


def merge_aggregates(*parts: Any) -> Any:
    """A new Aggregate holding the sum of ``parts`` (inputs untouched: a task may run again)."""
    from .scoring import Aggregate

    out = Aggregate(parts[0].by)
    for p in parts:
        out.merge(p)
    return out


def aggregate(inputs: Sequence[str | Path | Source], *, profile: Any, by: str, months: Sequence[int] | None,
              with_requests: bool, naive_timezone: str | None = None, scheduler: Scheduler) -> Any:
    """``jiesu.scoring.aggregate`` on a cluster: the same counts, key by key."""
    from .scoring import Scorer

    make = partial(Scorer, profile, by, months=months, with_requests=with_requests)
    return map_reduce(inputs, columns=make().columns, make=make, finish=_aggregate_of,
                      merge=merge_aggregates, naive_timezone=naive_timezone, scheduler=scheduler)


# ---------------------------------------------------------------- validation

def _check_file(profile: Any, max_samples: int, batch_rows: int, bits: int,
                source: Source) -> tuple[Any, tuple[Any, ...]]:
    """One task: check one file. Returns ((its NoticeBook, [(format, rows, encoding)])) and its
    case_id hashes split into the shuffle's 2**bits partitions."""
    import numpy as np

    from .validation.duplicates import by_partition, hash_strings
    from .validation.engine import case_ids, checked_batches
    from .validation.report import NoticeBook

    _worker_memory()
    book = NoticeBook(max_samples)
    hashes, rows = [], 0
    for batch, _ in checked_batches(source, profile, book, batch_rows):
        ids = case_ids(batch.table)
        for chunk in ids.chunks if hasattr(ids, "chunks") else [ids]:
            h, valid = hash_strings(chunk)
            hashes.append(h if valid.all() else h[valid])
        rows += batch.num_rows
    hs, bounds = by_partition(np.concatenate(hashes) if hashes else np.zeros(0, np.uint64), bits)
    parts = tuple(hs[bounds[p]: bounds[p + 1]].copy() for p in range(1 << bits))
    return (book, [(source.format, rows, source.encoding)]), parts


def _merge_checked(*parts: tuple[Any, list[Any]]) -> tuple[Any, list[Any]]:
    from .validation.report import NoticeBook

    book = NoticeBook(parts[0][0].max_samples)
    files: list[Any] = []
    for b, f in parts:
        book.merge(b)
        files.extend(f)
    return book, files


def _repeated_in(*arrays: Any) -> Any:
    """The hashes seen more than once in one partition, from every file's share of it."""
    import numpy as np

    from .validation.duplicates import repeated_values

    return repeated_values(np.concatenate(arrays))


def _concat(*arrays: Any) -> Any:
    import numpy as np

    return np.concatenate(arrays)


def _size(source: Source) -> int:
    try:
        return int(source.filesystem.size(str(source.path)) if source.filesystem else source.path.stat().st_size)
    except OSError:
        return 0


def validate(paths: Sequence[str | Path | Source], *, profile: Any, max_samples: int, encoding: str | None,
             strict: bool, batch_rows: int, naive_timezone: str | None = None, scheduler: Scheduler) -> Any:
    """``jiesu.validation.validate`` on a cluster: the same report (``to_dict()`` equal)."""
    import dask
    import numpy as np
    import pyarrow as pa

    from .safe import shown
    from .schema import schema_id, schema_version
    from .validation.duplicates import PARTITION_BITS, group_repeats
    from .validation.engine import book_duplicates, scan_source
    from .validation.report import FileInfo, NoticeBook, Report

    sources = find_sources(paths, naive_timezone=naive_timezone)
    for s in sources:
        s.encoding = encoding if s.format == "csv" else None
    given = sources
    sources = for_workers(sources)
    # the shuffle: each file's hashes split by their top bits, one task per partition finds the
    # repeated ones; small inputs need no more than one partition
    bits = PARTITION_BITS if sum(_size(s) for s in sources) >= SMALL_SHUFFLE_BYTES else 0
    with connect(scheduler) as run:
        prof = dask.delayed(profile, traverse=False)
        files = [dask.delayed(_check_file, nout=2, pure=False)(prof, max_samples, batch_rows, bits, s)
                 for s in sources]
        checked = tree([f[0] for f in files], _merge_checked)
        repeated = [dask.delayed(_repeated_in, pure=False)(*[f[1][p] for f in files]) for p in range(1 << bits)]
        (book, infos), hashes = run.compute(checked, tree(repeated, _concat))
        counts = [n for _, n, _ in infos]
        bounds = np.array([0, *np.cumsum(counts, dtype=np.int64).tolist()], dtype=np.int64)
        if len(hashes):
            found = run.compute(*[dask.delayed(scan_source, pure=False)(s, hashes, batch_rows) for s in sources])
            rows = np.concatenate([bounds[i] + r for i, (r, _) in enumerate(found)]).astype(np.int64)
            values = pa.concat_arrays([v for _, v in found])
    assert isinstance(book, NoticeBook)
    book.rename({str(w.path): str(g.path) for w, g in zip(sources, given) if w.path != g.path})
    if len(hashes):
        book_duplicates(*group_repeats(rows, values), given, bounds, book)
    sources = given
    return Report(
        schema_id=schema_id(),
        schema_version=schema_version(),
        profile=profile.source,
        files=[FileInfo(shown(str(s.path)) or "", fmt, n, enc) for s, (fmt, n, enc) in zip(sources, infos)],
        rows=int(bounds[-1]),
        notices=book.notices(),
        strict=strict,
    )
