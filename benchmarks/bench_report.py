"""Benchmark: the monthly report page of a generated 25-million-case year against `rank` on the
same file, in the same run, alternating (issue 14: the page builds in at most 2 times rank's time).

Run (full size; the year is generated once under benchmarks/data/ by benchmarks/datasets.py):

    python -m pytest benchmarks/bench_report.py -s -p no:cacheprovider

``JIESU_BENCH_ROWS=2000000`` uses a smaller year, ``JIESU_BENCH_ROUNDS`` sets the rounds,
``JIESU_BENCH_STRICT=1`` makes the 2x bound an assertion (the page's size under 2 MB and peak
memory under 800 MB always are). Each command runs in its own process, so the time includes its
imports and the peak resident memory (``ru_maxrss``, read with ``os.wait4``) is its own; CPU time
(user + system) is the work done, whatever else the shared machine is doing.
"""

from __future__ import annotations

import os
from statistics import median

import pytest
from datasets import parquet_cases, rows
from processes import run_child

ROWS = rows(25_000_000)
ROUNDS = int(os.environ.get("JIESU_BENCH_ROUNDS", "3"))
MONTH = "2024-12"
RATIO_LIMIT = 2.0
MEMORY_LIMIT_MB = 800
PAGE_LIMIT = 2_000_000

RANK = f"""
import json, sys, time
t = time.perf_counter()
from jiesu.ranking import rank
rows = rank([sys.argv[1]], month="{MONTH}", level="street")
print(json.dumps({{"seconds": time.perf_counter() - t, "rows": len(rows)}}))
"""

REPORT = f"""
import json, sys, time
t = time.perf_counter()
from jiesu.report import monthly_report, render
report = monthly_report([sys.argv[1]], month="{MONTH}")
page = render(report, "html").encode("utf-8")
with open(sys.argv[2], "wb") as f:
    f.write(page)
print(json.dumps({{"seconds": time.perf_counter() - t, "bytes": len(page),
                  "streets": len(report.rankings["street"])}}))
"""


@pytest.fixture(scope="module")
def year():
    return parquet_cases(ROWS)


def test_rank(benchmark, year):
    result = benchmark.pedantic(run_child, args=(RANK, year), rounds=ROUNDS, iterations=1)
    benchmark.group = f"rank vs report, {ROWS:,} cases"
    benchmark.extra_info["peak_mb"] = result["peak_mb"]


def test_report(benchmark, year, tmp_path):
    result = benchmark.pedantic(run_child, args=(REPORT, year, tmp_path / "report.html"), rounds=ROUNDS,
                                iterations=1)
    benchmark.group = f"rank vs report, {ROWS:,} cases"
    benchmark.extra_info["peak_mb"] = result["peak_mb"]


def test_report_within_twice_rank(year, tmp_path):
    """Alternate the two (so both see the same machine load); compare medians."""
    runs: dict[str, list[dict]] = {"rank": [], "report": []}
    for _ in range(ROUNDS):
        runs["rank"].append(run_child(RANK, year))
        runs["report"].append(run_child(REPORT, year, tmp_path / "report.html"))
    summary = {name: {"seconds": median(r["seconds"] for r in rs), "wall": median(r["wall"] for r in rs),
                      "cpu": median(r["cpu"] for r in rs), "peak_mb": max(r["peak_mb"] for r in rs)}
               for name, rs in runs.items()}
    ratio = summary["report"]["seconds"] / summary["rank"]["seconds"]
    cpu_ratio = summary["report"]["cpu"] / summary["rank"]["cpu"]
    print(f"\n{ROWS:,} cases, month {MONTH}, median of {ROUNDS} alternating runs (in-process time incl. imports;"
          " process wall; CPU time; peak RSS)")
    for name, s in summary.items():
        print(f"  {name:7s} {s['seconds']:6.2f} s  wall {s['wall']:6.2f} s  cpu {s['cpu']:6.2f} s  "
              f"peak {s['peak_mb']:6.0f} MB")
    print(f"  report / rank: time {ratio:.2f}, CPU {cpu_ratio:.2f} (load average {os.getloadavg()[0]:.1f}); "
          f"page {runs['report'][0]['bytes']:,} bytes")
    assert runs["report"][0]["streets"] == runs["rank"][0]["rows"] == 343
    assert runs["report"][0]["bytes"] < PAGE_LIMIT
    assert summary["report"]["peak_mb"] < MEMORY_LIMIT_MB
    if os.environ.get("JIESU_BENCH_STRICT"):
        assert ratio <= RATIO_LIMIT
