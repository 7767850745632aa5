"""Benchmark: `topics candidates` over a generated 25-million-case year against `score --by unit` on
the same file, in the same run, alternating (issue 13: at most 1.5 times score's time, memory
bounded as for score).

Run (full size; the year is generated once under benchmarks/data/ by benchmarks/datasets.py):

    python -m pytest benchmarks/bench_analysis.py -s -p no:cacheprovider

``JIESU_BENCH_ROWS=2000000`` uses a smaller year, ``JIESU_BENCH_ROUNDS`` sets the rounds,
``JIESU_BENCH_STRICT=1`` makes the 1.5 ratio an assertion (peak memory under 500 MB always is).
Each command runs in its own process, so the time includes its imports and the peak resident
memory (``ru_maxrss``, read with ``os.wait4``) is its own.
"""

from __future__ import annotations

import os
from statistics import median

import pytest
from datasets import parquet_cases, rows
from processes import run_child

ROWS = rows(25_000_000)
ROUNDS = int(os.environ.get("JIESU_BENCH_ROUNDS", "3"))
MEMORY_LIMIT_MB = 500
RATIO_LIMIT = 1.5

SCORE = """
import json, sys, time
t = time.perf_counter()
from jiesu.scoring import score
rows = score([sys.argv[1]], by="unit")
print(json.dumps({"seconds": time.perf_counter() - t, "rows": len(rows)}))
"""

CANDIDATES = """
import json, sys, time
t = time.perf_counter()
from jiesu.analysis.candidates import candidates
rows = candidates([sys.argv[1]], first="2024-01", last="2024-12")
print(json.dumps({"seconds": time.perf_counter() - t, "rows": len(rows),
                  "requests": sum(r["requests"] for r in rows if r["kind"] == "category")}))
"""


@pytest.fixture(scope="module")
def year():
    return parquet_cases(ROWS)


def test_score(benchmark, year):
    result = benchmark.pedantic(run_child, args=(SCORE, year), rounds=ROUNDS, iterations=1)
    benchmark.group = f"score vs topics candidates, {ROWS:,} cases"
    benchmark.extra_info["peak_mb"] = result["peak_mb"]


def test_topics_candidates(benchmark, year):
    result = benchmark.pedantic(run_child, args=(CANDIDATES, year), rounds=ROUNDS, iterations=1)
    benchmark.group = f"score vs topics candidates, {ROWS:,} cases"
    benchmark.extra_info["peak_mb"] = result["peak_mb"]


def test_candidates_within_one_and_a_half_scores_and_bounded_memory(year):
    """Alternate the two (so both see the same machine load); compare medians."""
    import pyarrow.compute as pc
    import pyarrow.parquet as pq

    runs: dict[str, list[dict]] = {"score": [], "candidates": []}
    for _ in range(ROUNDS):
        runs["score"].append(run_child(SCORE, year))
        runs["candidates"].append(run_child(CANDIDATES, year))
    summary = {name: {"seconds": median(r["seconds"] for r in rs), "wall": median(r["wall"] for r in rs),
                      "cpu": median(r["cpu"] for r in rs), "peak_mb": max(r["peak_mb"] for r in rs)}
               for name, rs in runs.items()}
    ratio = summary["candidates"]["seconds"] / summary["score"]["seconds"]
    cpu_ratio = summary["candidates"]["cpu"] / summary["score"]["cpu"]
    print(f"\n{ROWS:,} cases, median of {ROUNDS} alternating runs (in-process time incl. imports; process wall;"
          " CPU time; peak RSS)")
    for name, s in summary.items():
        print(f"  {name:10s} {s['seconds']:6.2f} s  wall {s['wall']:6.2f} s  cpu {s['cpu']:6.2f} s  peak {s['peak_mb']:6.0f} MB")
    print(f"  candidates / score: time {ratio:.2f}, CPU {cpu_ratio:.2f} (load average {os.getloadavg()[0]:.1f})")
    disposition = pq.read_table(year, columns=["disposition"]).column(0)
    dispatched = pc.sum(pc.equal(disposition.cast("string"), "dispatched")).as_py()
    assert runs["candidates"][0]["requests"] == dispatched  # every dispatched case counted once
    assert summary["candidates"]["peak_mb"] < MEMORY_LIMIT_MB
    if os.environ.get("JIESU_BENCH_STRICT"):
        assert ratio <= RATIO_LIMIT
