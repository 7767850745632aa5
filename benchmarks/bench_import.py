"""Benchmark: importing 5 million CSV rows through a mapping (boston-311), against DuckDB reading
the same CSV and writing the same columns, with the same rules, to zstd Parquet.

Run (the CSV, about 1 GB, is generated once under benchmarks/data/):

    python -m pytest benchmarks/bench_import.py -s -p no:cacheprovider

``JIESU_BENCH_ROWS`` changes the size (default 5,000,000), ``JIESU_BENCH_ROUNDS`` the rounds (3).
Each engine runs in its own process, alternating, so both see the same machine load; the figures
are medians of the in-process time (imports included), the process wall time and the peak resident
memory (``ru_maxrss``). Memory is also measured on a file a fifth the size: it must stay flat.
Targets (the issue's): jiesu at most 1.5 x DuckDB's time, and at least 500,000 rows/s. DuckDB
also runs a plain copy of the same columns (times placed in their zone, words left as they are),
reported for reference.
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
from datasets import boston_csv

ROWS = int(os.environ.get("JIESU_BENCH_ROWS", "5000000"))
ROUNDS = int(os.environ.get("JIESU_BENCH_ROUNDS", "3"))
OUT = Path(__file__).resolve().parent / "data"

JIESU = """
import json, sys, time
t = time.perf_counter()
from jiesu.importers.run import import_cases
r = import_cases([sys.argv[1]], mapping="boston-311", output=sys.argv[2])
seconds = time.perf_counter() - t
import pyarrow.parquet as pq, pyarrow.compute as pc
tb = pq.read_table(sys.argv[2], columns=["disposition", "deadline_at", "closed_at", "channel", "status"])
check = {"rows": tb.num_rows, "dispatched": pc.sum(pc.equal(tb["disposition"].cast("string"), "dispatched")).as_py(),
         "deadlines": tb["deadline_at"].length() - tb["deadline_at"].null_count,
         "closed": tb["closed_at"].length() - tb["closed_at"].null_count,
         "phone": pc.sum(pc.equal(tb["channel"].cast("string"), "phone")).as_py(),
         "open": pc.sum(pc.equal(tb["status"].cast("string"), "open")).as_py()}
print(json.dumps({"seconds": seconds, "check": check, "rejected": r.rows_rejected}))
"""

# The boston-311 mapping in SQL: local New York times to instants, the channel words, slugs, the
# disposition from the queue, the 168 h deadline where TARGET_DT is empty or too early, closing
# times before opening left empty, the status words.
DUCKDB = """
import json, sys, time
t = time.perf_counter()
import duckdb
con = duckdb.connect()
con.execute("SET enable_progress_bar = false")
F = "%m/%d/%Y %I:%M:%S %p"
def slug(c):
    return f"nullif(trim(regexp_replace(lower({c}), '[^a-z0-9._-]+', '-', 'g'), '-._'), '')"
con.execute(f'''
COPY (
  WITH t AS (
    SELECT trim(CASE_ENQUIRY_ID) AS case_id,
           timezone('America/New_York', strptime(OPEN_DT, '{F}')) AS received_at,
           timezone('America/New_York', try_strptime(TARGET_DT, '{F}')) AS target,
           timezone('America/New_York', try_strptime(CLOSED_DT, '{F}')) AS closed,
           CASE Source WHEN 'Constituent Call' THEN 'phone' WHEN 'Citizens Connect App' THEN 'app'
                       WHEN 'City Worker App' THEN 'app' WHEN 'Self Service' THEN 'web' ELSE 'other' END AS channel,
           coalesce({slug('TYPE')}, 'unspecified') AS category,
           {slug('neighborhood')} AS district,
           CASE WHEN QUEUE IS NULL OR QUEUE = 'No Queue Assigned To User' THEN NULL ELSE {slug('QUEUE')} END AS unit,
           CASE_STATUS
    FROM read_csv(?, all_varchar = true, header = true))
  SELECT case_id, received_at, NULL::TIMESTAMPTZ AS answered_at, channel, 'other' AS request_type, category,
         district, NULL::VARCHAR AS street,
         CASE WHEN unit IS NULL THEN 'not_dispatched' ELSE 'dispatched' END AS disposition,
         CASE WHEN unit IS NOT NULL THEN received_at END AS dispatched_at, unit,
         CASE WHEN unit IS NOT NULL THEN 'department' END AS unit_level,
         CASE WHEN target >= received_at THEN target WHEN unit IS NOT NULL THEN received_at + INTERVAL 168 HOUR END AS deadline_at,
         NULL::BIGINT AS objections, NULL::BOOLEAN AS objection_upheld, NULL::TIMESTAMPTZ AS first_contact_at,
         CASE WHEN closed >= received_at THEN closed END AS closed_at,
         CASE WHEN CASE_STATUS = 'Closed' THEN 'closed' WHEN CASE_STATUS = 'Open' THEN 'open'
              WHEN closed IS NOT NULL THEN 'closed' ELSE 'open' END AS status,
         NULL::TIMESTAMPTZ AS callback_at, NULL::BOOLEAN AS callback_valid, NULL::BOOLEAN AS contacted,
         NULL::BOOLEAN AS resolved, NULL::VARCHAR AS satisfaction, NULL::BOOLEAN AS excluded,
         NULL::VARCHAR AS exclusion_reason, NULL::BOOLEAN AS proactive, NULL::VARCHAR AS topic
  FROM t
) TO '{sys.argv[2]}' (FORMAT parquet, COMPRESSION zstd)
''', [sys.argv[1]])
seconds = time.perf_counter() - t
check = dict(zip(["rows", "dispatched", "deadlines", "closed", "phone", "open"], con.execute(
    "SELECT count(*), count(*) FILTER (WHERE disposition = 'dispatched'), count(deadline_at), count(closed_at), "
    "count(*) FILTER (WHERE channel = 'phone'), count(*) FILTER (WHERE status = 'open') FROM read_parquet(?)",
    [sys.argv[2]]).fetchone()))
print(json.dumps({"seconds": seconds, "check": check, "rejected": 0}))
"""


# For reference: DuckDB reading the same CSV and writing the same columns with the times placed in
# their zone, but no word mapped (the source words as they are: no slugs, no derivations).
DUCKDB_COPY = '''
import json, sys, time
t = time.perf_counter()
import duckdb
con = duckdb.connect()
con.execute("SET enable_progress_bar = false")
F = "%m/%d/%Y %I:%M:%S %p"
def local(column, parse="try_strptime"):
    return f"timezone('America/New_York', {parse}({column}, '{F}'))"
con.execute(f"""
COPY (
  SELECT CASE_ENQUIRY_ID AS case_id, {local('OPEN_DT', 'strptime')} AS received_at,
         Source AS channel, TYPE AS category, neighborhood AS district, QUEUE AS unit,
         {local('TARGET_DT')} AS deadline_at, {local('CLOSED_DT')} AS closed_at, CASE_STATUS AS status
  FROM read_csv(?, all_varchar = true, header = true)
) TO '{sys.argv[2]}' (FORMAT parquet, COMPRESSION zstd)
""", [sys.argv[1]])
print(json.dumps({"seconds": time.perf_counter() - t, "check": {}, "rejected": 0}))
'''


def run_child(code: str, source: Path, target: Path) -> dict:
    """One engine in a fresh process: its own time, wall time and peak resident memory."""
    start = time.perf_counter()
    proc = subprocess.Popen([sys.executable, "-c", code, str(source), str(target)], stdout=subprocess.PIPE, text=True)
    out = proc.stdout.read()
    _, status, usage = os.wait4(proc.pid, 0)
    assert os.waitstatus_to_exitcode(status) == 0, "engine failed"
    result = json.loads(out)
    result["wall"] = time.perf_counter() - start
    result["peak_mb"] = usage.ru_maxrss / 1024
    return result


@pytest.fixture(scope="module")
def csv_file() -> Path:
    return boston_csv(ROWS)


def test_import_5m_rows_against_duckdb(csv_file: Path):
    """Alternate the engines; medians; the same counts from both; the issue's two targets."""
    print(f"\nload before: {os.getloadavg()[0]:.2f} (2 cores)")
    runs: dict[str, list[dict]] = {"jiesu": [], "duckdb": [], "duckdb-copy": []}
    for _ in range(ROUNDS):
        runs["jiesu"].append(run_child(JIESU, csv_file, OUT / "import-jiesu.parquet"))
        runs["duckdb"].append(run_child(DUCKDB, csv_file, OUT / "import-duckdb.parquet"))
        runs["duckdb-copy"].append(run_child(DUCKDB_COPY, csv_file, OUT / "import-duckdb-copy.parquet"))
    assert runs["jiesu"][0]["check"] == runs["duckdb"][0]["check"], (runs["jiesu"][0]["check"], runs["duckdb"][0]["check"])
    assert runs["jiesu"][0]["rejected"] == 0
    summary = {name: {"seconds": median(r["seconds"] for r in rs), "wall": median(r["wall"] for r in rs),
                      "peak_mb": max(r["peak_mb"] for r in rs)} for name, rs in runs.items()}
    ratio = summary["jiesu"]["seconds"] / summary["duckdb"]["seconds"]
    rate = ROWS / summary["jiesu"]["seconds"]
    size = csv_file.stat().st_size / 2**20
    print(f"{ROWS:,} rows ({size:,.0f} MiB of CSV), median of {ROUNDS} alternating runs "
          "(in-process time incl. imports; process wall; peak RSS)")
    for name, s in summary.items():
        print(f"  {name:11s} {s['seconds']:6.2f} s  wall {s['wall']:6.2f} s  peak {s['peak_mb']:6.0f} MB")
    copy_ratio = summary["jiesu"]["seconds"] / summary["duckdb-copy"]["seconds"]
    print(f"  jiesu / duckdb time ratio: {ratio:.2f} (the same mapping in SQL), {copy_ratio:.2f} (a plain copy); "
          f"jiesu {rate:,.0f} rows/s; load after: {os.getloadavg()[0]:.2f}")
    assert ratio <= 1.5
    if rate < 500_000:  # depends on the machine's load: a failure only when asked for (as bench_score does)
        print(f"  target of 500,000 rows/s NOT met: {rate:,.0f} rows/s at load {os.getloadavg()[0]:.2f}")
        assert not os.environ.get("JIESU_BENCH_STRICT"), "below 500,000 rows/s"


def test_memory_flat_in_the_file_size(csv_file: Path):
    """Peak memory of an import of a fifth of the rows against the whole file's."""
    small = boston_csv(ROWS // 5)
    peaks = {rows: run_child(JIESU, path, OUT / "import-mem.parquet")["peak_mb"]
             for rows, path in ((ROWS // 5, small), (ROWS, csv_file))}
    print(f"\npeak RSS: {ROWS // 5:,} rows {peaks[ROWS // 5]:.0f} MB, {ROWS:,} rows {peaks[ROWS]:.0f} MB")
    assert peaks[ROWS] <= 1.25 * peaks[ROWS // 5] + 64
