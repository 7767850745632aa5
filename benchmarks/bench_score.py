"""Benchmark: `score --by unit` over a generated year of cases, jiesu against DuckDB, same run.

Run (full size, 25 million cases, about 1 GB of Parquet generated once under benchmarks/data/):

    python -m pytest benchmarks/bench_score.py -s -p no:cacheprovider --benchmark-columns=min,median,max

``JIESU_BENCH_ROWS=1000000`` uses a smaller year. Each engine runs in its own process, so the time
is the whole job (imports included) and the peak memory (``ru_maxrss`` of that process, read with
``os.wait4``) is its own. The two engines must agree on every count.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
import time
from pathlib import Path
from statistics import median

import pytest
from reference_sql import BEIJING_CALLBACK, SCORE_BY_UNIT

DATA = Path(__file__).resolve().parent / "data"
ROWS = int(os.environ.get("JIESU_BENCH_ROWS", "25000000"))
ROUNDS = int(os.environ.get("JIESU_BENCH_ROUNDS", "3"))
MEMORY_LIMIT_MB = 500

JIESU = """
import json, sys, time
t = time.perf_counter()
from jiesu.scoring import score
rows = score([sys.argv[1]], by="unit")
seconds = time.perf_counter() - t
print(json.dumps({"seconds": seconds, "counts": sorted(
    [r["month"], r["unit"], r["scored"], r["contacted"], r["resolved"], r["satisfied"], r["basically_satisfied"]]
    for r in rows if r["scored"]), "rates": sorted(
    [r["month"], r["unit"], r["response_rate"], r["resolution_rate"], r["satisfaction_rate"], r["composite"]]
    for r in rows if r["scored"])}))
"""

# The same query (benchmarks/reference_sql.py), the callback's month in Asia/Shanghai
DUCKDB = """
import json, sys, time
t = time.perf_counter()
import duckdb
con = duckdb.connect()
con.execute("SET enable_progress_bar = false")
rows = con.execute(SQL, [sys.argv[1]]).fetchall()
seconds = time.perf_counter() - t
print(json.dumps({"seconds": seconds, "counts": sorted([r[0], r[1], *r[2:7]] for r in rows),
                  "rates": sorted([r[0], r[1], *map(float, r[7:11])] for r in rows)}))
""".replace("SQL", repr(SCORE_BY_UNIT.replace("{local}", BEIJING_CALLBACK)))


def run_child(code: str, path: Path) -> dict:
    """Run one engine in a fresh process; its own time and peak resident memory."""
    start = time.perf_counter()
    proc = subprocess.Popen([sys.executable, "-c", code, str(path)], stdout=subprocess.PIPE, text=True)
    out = proc.stdout.read()
    _, status, usage = os.wait4(proc.pid, 0)
    proc.returncode = os.waitstatus_to_exitcode(status)
    assert proc.returncode == 0, f"engine failed with exit code {proc.returncode}"
    result = json.loads(out)
    result["wall"] = time.perf_counter() - start
    result["peak_mb"] = usage.ru_maxrss / 1024  # kilobytes on Linux
    return result


@pytest.fixture(scope="module")
def year() -> Path:
    """A generated year of cases (Beijing's 2024 volume by default), made once and kept."""
    path = DATA / f"cases_{ROWS}.parquet"
    if not path.exists():
        DATA.mkdir(parents=True, exist_ok=True)
        # in a child process: the engines' processes are forked from this one, and a large parent
        # would show in their peak-memory figures
        code = "import sys; from jiesu.synthetic import write_parquet; write_parquet(sys.argv[1], int(sys.argv[2]), seed=2024)"
        subprocess.run([sys.executable, "-c", code, str(path), str(ROWS)], check=True)
    return path


def test_score_by_unit_jiesu(benchmark, year):
    result = benchmark.pedantic(run_child, args=(JIESU, year), rounds=ROUNDS, iterations=1)
    benchmark.group = f"score --by unit, {ROWS:,} cases"
    benchmark.extra_info["peak_mb"] = result["peak_mb"]


def test_score_by_unit_duckdb(benchmark, year):
    result = benchmark.pedantic(run_child, args=(DUCKDB, year), rounds=ROUNDS, iterations=1)
    benchmark.group = f"score --by unit, {ROWS:,} cases"
    benchmark.extra_info["peak_mb"] = result["peak_mb"]


def test_targets_same_numbers_no_slower_than_duckdb_under_500_mb(year):
    """Alternate the engines (so both see the same machine load); compare medians."""
    runs: dict[str, list[dict]] = {"jiesu": [], "duckdb": []}
    for _ in range(ROUNDS):
        runs["jiesu"].append(run_child(JIESU, year))
        runs["duckdb"].append(run_child(DUCKDB, year))
    assert runs["jiesu"][0]["counts"] == runs["duckdb"][0]["counts"], "the engines disagree on the counts"
    for mine, theirs in zip(runs["jiesu"][0]["rates"], runs["duckdb"][0]["rates"], strict=True):
        assert mine[:2] == theirs[:2] and all(abs(a - b) < 1e-9 for a, b in zip(mine[2:], theirs[2:])), \
            f"the engines disagree on the rates of {mine[:2]}"
    summary = {name: {"seconds": median(r["seconds"] for r in rs), "wall": median(r["wall"] for r in rs),
                      "peak_mb": max(r["peak_mb"] for r in rs)} for name, rs in runs.items()}
    ratio = summary["jiesu"]["seconds"] / summary["duckdb"]["seconds"]
    print(f"\n{ROWS:,} cases, median of {ROUNDS} alternating runs (in-process time incl. imports; process wall; peak RSS)")
    for name, s in summary.items():
        print(f"  {name:7s} {s['seconds']:6.2f} s  wall {s['wall']:6.2f} s  peak {s['peak_mb']:6.0f} MB")
    print(f"  jiesu / duckdb time ratio: {ratio:.2f}")
    assert summary["jiesu"]["peak_mb"] < MEMORY_LIMIT_MB
    if os.environ.get("JIESU_BENCH_STRICT"):
        assert ratio <= 1.0
