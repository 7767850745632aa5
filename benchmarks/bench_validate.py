"""Validation throughput: 10 M Parquet rows (all checks, uniqueness included) and 1 M NDJSON records.

    python -m pytest benchmarks/bench_validate.py -s --benchmark-min-rounds=1

Targets (issue 2): Parquet >= 5 M rows/s with peak memory that does not grow with the file;
NDJSON >= 300,000 records/s end to end. Each run happens in a subprocess so that its peak RSS is
its own; rows/s and peak RSS are printed and stored in the benchmark's extra_info. With
``JIESU_BENCH_STRICT=1`` the targets are assertions (on a quiet machine: timings vary with load).

The generated export lists cases in increasing case_id order, as exports usually do, which lets the
uniqueness check skip hashing; "case_ids out of order" validates the same cases with their ids
scrambled, to measure the hashing path too. ``JIESU_BENCH_ROUNDS`` sets the runs (default 3).
"""

from __future__ import annotations

import json
import os
import statistics
import subprocess
import sys

import pytest
from datasets import ndjson_cases, parquet_cases, parquet_cases_unordered, rows

RUNNER = """
import json, resource, sys, time
from jiesu.validation import validate
t = time.perf_counter()
report = validate(sys.argv[1:])
elapsed = time.perf_counter() - t
peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
print(json.dumps({"rows": report.rows, "seconds": elapsed, "peak_mib": peak, "valid": report.valid}))
"""


def run_validate(*paths) -> dict:
    out = subprocess.run([sys.executable, "-c", RUNNER, *map(str, paths)], capture_output=True, text=True, check=True)
    return json.loads(out.stdout)


@pytest.mark.parametrize("label, make, n", [
    ("parquet", parquet_cases, rows(10_000_000)),
    ("parquet, case_ids out of order", parquet_cases_unordered, rows(10_000_000)),
    ("ndjson", ndjson_cases, rows(1_000_000)),
])
def test_validate_throughput(benchmark, label, make, n):
    path = make(n)
    runs: list[dict] = []

    def once() -> dict:
        runs.append(run_validate(path))
        return runs[-1]

    benchmark.pedantic(once, rounds=int(os.environ.get("JIESU_BENCH_ROUNDS", "3")), iterations=1)
    assert all(r["valid"] and r["rows"] == n for r in runs)
    seconds = statistics.median(r["seconds"] for r in runs)
    peak = max(r["peak_mib"] for r in runs)
    benchmark.extra_info.update(rows=n, rows_per_s=n / seconds, peak_mib=peak)
    each = ", ".join(f"{r['seconds']:.2f}" for r in runs)
    print(f"\n{label}: {n:,} rows, median {seconds:.2f} s of {len(runs)} runs = {n / seconds:,.0f} rows/s "
          f"(runs: {each}), peak RSS {peak:.0f} MiB")
    if os.environ.get("JIESU_BENCH_STRICT"):
        target = 300_000 if label == "ndjson" else 5_000_000
        assert n / seconds >= target, f"{label}: {n / seconds:,.0f} rows/s is below the target {target:,}"


def test_parquet_memory_does_not_grow_with_the_file():
    small, large = rows(10_000_000) // 5, rows(10_000_000)
    a, b = run_validate(parquet_cases(small)), run_validate(parquet_cases(large))
    print(f"\npeak RSS: {small:,} rows {a['peak_mib']:.0f} MiB; {large:,} rows {b['peak_mib']:.0f} MiB")
    assert b["peak_mib"] < a["peak_mib"] * 1.5 + 100
