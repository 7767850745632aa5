"""Benchmark: `score --by unit` of a 25-million-case year through `--scheduler local` with two
workers, against the same score in one process and the same query in `dask.dataframe` on the same
cluster, in one run, alternating (issue 15).

    python -m pytest benchmarks/bench_distributed.py -s -p no:cacheprovider

The cluster is started once, as `--scheduler local:2` starts it (``jiesu.distributed.connect``:
two single-threaded worker processes); its start-up is timed on its own and so is a whole
`jiesu score --scheduler local:2` process. Each round then times, in this process and in turn:
``jiesu.score(path)`` (one process, two reading threads), ``jiesu.score(path, scheduler=client)``
and the dask.dataframe query. All three must give the same counts. ``JIESU_BENCH_ROWS`` sets a
smaller year, ``JIESU_BENCH_ROUNDS`` the rounds, ``JIESU_BENCH_STRICT=1`` makes the targets
assertions: distributed at most 1.3 x one process, and faster than dask.dataframe.
"""

from __future__ import annotations

import os
import subprocess
import sys
import time
from pathlib import Path
from statistics import median

import pytest
from datasets import parquet_cases, rows

pytest.importorskip("distributed")
pytest.importorskip("dask.dataframe")

ROWS = rows(25_000_000)
ROUNDS = int(os.environ.get("JIESU_BENCH_ROUNDS", "5"))
REASONS = ["objection_upheld", "unreasonable", "duplicate", "other"]  # Beijing's scoring.exclusion_reasons


def jiesu_counts(rows_: list[dict]) -> list[tuple]:
    return sorted((r["month"], r["unit"], r["scored"], r["contacted"], r["resolved"], r["satisfied"],
                   r["basically_satisfied"]) for r in rows_ if r["scored"])


def dask_dataframe_score(path: str) -> list[tuple]:
    """The same query written with dask.dataframe: scored callbacks of dispatched cases, month of
    the callback in Asia/Shanghai, counts per (month, unit)."""
    import dask.dataframe as dd

    cols = ["callback_at", "disposition", "callback_valid", "excluded", "exclusion_reason", "resolved",
            "satisfaction", "contacted", "unit"]
    df = dd.read_parquet(path, columns=cols)
    excluded = df.excluded.fillna(False).astype(bool) & df.exclusion_reason.isin(REASONS)
    scored = ((df.disposition == "dispatched") & df.callback_valid.fillna(False).astype(bool)
              & df.callback_at.notnull() & ~excluded)
    df = df[scored]
    local = df.callback_at.dt.tz_convert("Asia/Shanghai")
    out = df.assign(
        month=local.dt.year * 100 + local.dt.month,
        n=1,
        c=df.contacted.fillna(False).astype("int64"),
        r=df.resolved.fillna(False).astype("int64"),
        s=(df.satisfaction == "satisfied").astype("int64"),
        b=(df.satisfaction == "basically_satisfied").astype("int64"),
    )[["month", "unit", "n", "c", "r", "s", "b"]]
    res = out.groupby(["month", "unit"], observed=True).sum().compute()
    return sorted((f"{m // 100}-{m % 100:02d}", str(u), *map(int, v))
                  for (m, u), v in zip(res.index, res[["n", "c", "r", "s", "b"]].to_numpy()))


def cpu_seconds(client) -> float:
    """CPU seconds used so far by this process (caller and the LocalCluster's scheduler) and the
    workers: the work done, whatever the machine's load."""
    import resource

    def used() -> float:
        r = resource.getrusage(resource.RUSAGE_SELF)
        return r.ru_utime + r.ru_stime

    return used() + sum(client.run(used).values())


def dask_default_is(client) -> bool:
    """dask.dataframe computes on the cluster's client (the default once a Client exists)."""
    from distributed import default_client

    return default_client() is client


def test_distributed_score_overhead_and_dask_dataframe():
    import jiesu
    from jiesu import distributed

    path = str(parquet_cases(ROWS))
    load = os.getloadavg()
    start = time.perf_counter()
    with distributed.connect("local:2") as run:
        started = time.perf_counter() - start
        client = run.client
        assert client is not None and dask_default_is(client)
        times: dict[str, list[float]] = {"one process": [], "--scheduler local:2": [], "dask.dataframe": []}
        cpu: dict[str, list[float]] = {k: [] for k in times}
        results = {}
        for i in range(ROUNDS + 1):  # round 0 warms the workers (imports, page cache) and is not kept
            for name, fn in (("one process", lambda: jiesu_counts(jiesu.score([path]))),
                             ("--scheduler local:2", lambda: jiesu_counts(jiesu.score([path], scheduler=client))),
                             ("dask.dataframe", lambda: dask_dataframe_score(path))):  # on the client's cluster
                c = cpu_seconds(client)
                t = time.perf_counter()
                results[name] = fn()
                if i:
                    times[name].append(time.perf_counter() - t)
                    cpu[name].append(cpu_seconds(client) - c)
    one = results["one process"]
    assert len(one) > 1000
    assert results["--scheduler local:2"] == one, "distributed counts differ"
    assert results["dask.dataframe"] == one, "dask.dataframe counts differ"

    cli = time.perf_counter()
    subprocess.run([str(Path(sys.executable).parent / "jiesu"), "score", path, "--scheduler", "local:2", "-f", "csv"],
                   check=True, stdout=subprocess.DEVNULL)
    cli = time.perf_counter() - cli
    med = {k: median(v) for k, v in times.items()}
    ratio = med["--scheduler local:2"] / med["one process"]
    print(f"\n{ROWS:,} cases, {ROUNDS} alternating rounds, load average before {load[0]:.2f} {load[1]:.2f}")
    for k, v in times.items():
        print(f"  {k:22s} median {med[k]:6.2f} s   runs {' '.join(f'{x:.2f}' for x in v)}"
              f"   CPU-s (this process + workers) median {median(cpu[k]):6.2f}")
    print(f"  best runs: distributed / one process {min(times['--scheduler local:2']) / min(times['one process']):.2f}")
    print(f"  distributed / one process: {ratio:.2f}; dask.dataframe / distributed: "
          f"{med['dask.dataframe'] / med['--scheduler local:2']:.2f}")
    print(f"  cluster start-up (2 worker processes) {started:.2f} s; whole `jiesu score --scheduler local:2` "
          f"process {cli:.2f} s")
    if os.environ.get("JIESU_BENCH_STRICT"):
        assert ratio <= 1.3
        assert med["--scheduler local:2"] < med["dask.dataframe"]
