"""Speed on the Parquet files cities have: every writer's 25 M-case year (tools/writers.py).

    JIESU_BENCH_ROUNDS=5 python -m pytest benchmarks/bench_writers.py -s -p no:cacheprovider

Per writer, in one run and alternating round by round (so every engine sees the same load):

- ``score --by unit``: jiesu (``jiesu.scoring.score``), DuckDB (the same query, ``read_parquet``)
  and the floor: pyarrow's bare decode of the nine columns the scoring reads (code fields as
  dictionaries, two row groups at a time on the two cores, as jiesu reads them), nothing else;
- ``validate``: jiesu (``jiesu.validation.validate``, every check incl. unique case ids) and the
  floor: pyarrow's bare decode of the columns validation reads (``columns_to_check``);
- start-up: ``jiesu --version`` and ``jiesu validate`` of the 60-case fixture against
  ``python -c pass`` and ``python -c "import pyarrow.parquet"``.

Every figure is the median of ``JIESU_BENCH_ROUNDS`` (default 5) whole processes, wall time
including interpreter start-up and imports; peak memory is each process's own ``ru_maxrss``.
jiesu's and DuckDB's counts must agree. The 25 M files are generated once into benchmarks/data/
(about 7 GB for all writers; ``JIESU_BENCH_ROWS`` makes them smaller, ``JIESU_BENCH_WRITERS=pyarrow,spark``
picks writers). ``JIESU_BENCH_STRICT=1`` turns the targets into assertions (peak memory under
500 MB always is one).
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from statistics import median

import pytest
from datasets import rows, writer_cases
from reference_sql import SCORE_BY_UNIT

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT / "tools"))
from writers import NAIVE_ZONE, STYLES

ROUNDS = int(os.environ.get("JIESU_BENCH_ROUNDS", "5"))
N = rows(25_000_000)
WRITERS = [w for w in os.environ.get("JIESU_BENCH_WRITERS", ",".join(STYLES)).split(",") if w]
STRICT = bool(os.environ.get("JIESU_BENCH_STRICT"))
MEMORY_LIMIT_MB = 500

JIESU_SCORE = """
import json, sys
from jiesu.scoring import score
rows = score([sys.argv[1]], by="unit", naive_timezone=sys.argv[2] or None)
print(json.dumps(sorted([r["month"], r["unit"], r["scored"], r["contacted"], r["resolved"], r["satisfied"],
                         r["basically_satisfied"]] for r in rows if r["scored"])))
"""

# The same query (benchmarks/reference_sql.py), the callback's local time given as argv[2]
DUCKDB_SCORE = """
import json, sys
import duckdb
con = duckdb.connect()
con.execute("SET enable_progress_bar = false")
rows = con.execute(SQL.replace("{local}", sys.argv[2]), [sys.argv[1]]).fetchall()
print(json.dumps(sorted([r[0], r[1], *r[2:7]] for r in rows)))
""".replace("SQL", repr(SCORE_BY_UNIT))

# pyarrow decoding the columns and nothing else, the way jiesu reads them
FLOOR = """
import json, sys
from concurrent.futures import ThreadPoolExecutor
import pyarrow.parquet as pq
path, columns, dictionaries = sys.argv[1], json.loads(sys.argv[2]), json.loads(sys.argv[3])
options = dict(read_dictionary=dictionaries or None, coerce_int96_timestamp_unit="us")
pf = pq.ParquetFile(path, **options)
def read(i):
    return pq.ParquetFile(path, metadata=pf.metadata, **options).read_row_group(i, columns=columns, use_threads=False).num_rows
with ThreadPoolExecutor(2) as pool:
    print(json.dumps(sum(pool.map(read, range(pf.num_row_groups)))))
"""

JIESU_VALIDATE = """
import json, sys
from jiesu.validation import validate
report = validate([sys.argv[1]], naive_timezone=sys.argv[2] or None)
print(json.dumps({"rows": report.rows, "valid": report.valid}))
"""


def run(code: str | None, *args: str, argv: list[str] | None = None) -> dict:
    """One process: its wall time, peak memory (``ru_maxrss`` read with wait4) and its stdout."""
    cmd = argv if argv is not None else [sys.executable, "-c", code, *args]
    with tempfile.TemporaryFile() as errors:
        start = time.perf_counter()
        proc = subprocess.Popen(cmd, stdout=subprocess.PIPE, stderr=errors, cwd=ROOT)
        out = proc.stdout.read()
        _, status, usage = os.wait4(proc.pid, 0)
        seconds = time.perf_counter() - start
        proc.returncode = os.waitstatus_to_exitcode(status)
        errors.seek(0)
        assert proc.returncode == 0, f"{cmd[:3]} failed ({proc.returncode}): {errors.read()[-500:]!r}"
    return {"seconds": seconds, "peak_mb": usage.ru_maxrss / 1024, "out": out.decode()}


def local_callback(style: str) -> str:
    if style in NAIVE_ZONE:
        return f"timezone('Asia/Shanghai', timezone('{NAIVE_ZONE[style]}', callback_at::TIMESTAMP))"
    return "timezone('Asia/Shanghai', callback_at)"


def needed_columns(path: Path, columns: list[str] | None) -> tuple[list[str], list[str]]:
    """The columns jiesu reads and which of them it reads as dictionaries."""
    from jiesu.io.parquet_reader import open_parquet
    from jiesu.io.sources import Source

    pf, wanted = open_parquet(Source(path, "parquet"), columns)
    import pyarrow as pa

    return wanted, [c for c in wanted if pa.types.is_dictionary(pf.schema_arrow.field(c).type)]


def summary(label: str, runs: list[dict]) -> dict:
    return {"label": label, "seconds": median(r["seconds"] for r in runs), "peak_mb": max(r["peak_mb"] for r in runs),
            "all": [round(r["seconds"], 2) for r in runs]}


def load() -> str:
    return "load average " + " ".join(f"{x:.2f}" for x in os.getloadavg())


RESULTS: list[str] = []


def report(line: str) -> None:
    RESULTS.append(line)
    print(line)


@pytest.fixture(scope="module", autouse=True)
def _print_table():
    yield
    print(f"\n==== summary ({N:,} rows, median of {ROUNDS}; {load()}) ====")
    print("\n".join(RESULTS))


@pytest.mark.parametrize("style", WRITERS)
def test_score_by_unit(style):
    path = writer_cases(style, N)
    zone = NAIVE_ZONE.get(style, "")
    from jiesu.profile import load_profile
    from jiesu.scoring import Scorer

    columns, dictionaries = needed_columns(path, Scorer(load_profile(), "unit", with_requests=False).columns)
    runs: dict[str, list[dict]] = {"jiesu": [], "duckdb": [], "floor": []}
    before = load()
    for _ in range(ROUNDS):
        runs["jiesu"].append(run(JIESU_SCORE, str(path), zone))
        runs["duckdb"].append(run(DUCKDB_SCORE, str(path), local_callback(style)))
        runs["floor"].append(run(FLOOR, str(path), json.dumps(columns), json.dumps(dictionaries)))
    assert json.loads(runs["jiesu"][0]["out"]) == json.loads(runs["duckdb"][0]["out"]), "the engines disagree"
    j, d, f = (summary(k, v) for k, v in runs.items())
    report(f"score  {style:8s} jiesu {j['seconds']:5.2f} s {j['peak_mb']:4.0f} MB | duckdb {d['seconds']:5.2f} s "
           f"{d['peak_mb']:4.0f} MB | floor {f['seconds']:5.2f} s | jiesu/duckdb {j['seconds'] / d['seconds']:.2f} "
           f"jiesu/floor {j['seconds'] / f['seconds']:.2f}  (runs jiesu {j['all']} duckdb {d['all']}; {before})")
    assert j["peak_mb"] < MEMORY_LIMIT_MB
    if STRICT:
        assert j["seconds"] <= d["seconds"]


@pytest.mark.parametrize("style", WRITERS)
def test_validate(style):
    path = writer_cases(style, N)
    zone = NAIVE_ZONE.get(style, "")
    from jiesu.io.sources import Source
    from jiesu.validation.engine import columns_to_check

    columns, dictionaries = needed_columns(path, columns_to_check(Source(path, "parquet")))
    runs: dict[str, list[dict]] = {"jiesu": [], "floor": []}
    before = load()
    for _ in range(ROUNDS):
        runs["jiesu"].append(run(JIESU_VALIDATE, str(path), zone))
        runs["floor"].append(run(FLOOR, str(path), json.dumps(columns), json.dumps(dictionaries)))
    result = json.loads(runs["jiesu"][0]["out"])
    assert result == {"rows": N, "valid": True}
    j, f = (summary(k, v) for k, v in runs.items())
    report(f"validate {style:8s} jiesu {j['seconds']:5.2f} s = {N / j['seconds'] / 1e6:4.1f} M rows/s "
           f"{j['peak_mb']:4.0f} MB | floor {f['seconds']:5.2f} s ({len(columns)} columns) | jiesu/floor "
           f"{j['seconds'] / f['seconds']:.2f}  (runs {j['all']}; {before})")
    if STRICT:
        assert N / j["seconds"] >= 5e6


def test_startup():
    fixture = str(ROOT / "fixtures" / "valid" / "cases.parquet")
    jiesu = str(Path(sys.executable).with_name("jiesu"))
    commands = {
        "python -c pass": [sys.executable, "-c", "pass"],
        "import pyarrow.parquet": [sys.executable, "-c", "import pyarrow.parquet"],
        "jiesu --version": [jiesu, "--version"],
        "jiesu validate (60 cases)": [jiesu, "validate", fixture],
    }
    runs: dict[str, list[dict]] = {k: [] for k in commands}
    before = load()
    for _ in range(max(ROUNDS, 10)):
        for name, argv in commands.items():
            runs[name].append(run(None, argv=argv))
    for name in commands:
        s = summary(name, runs[name])
        report(f"start-up {name:28s} {s['seconds'] * 1000:6.0f} ms  (min {min(s['all']) * 1000:.0f} ms; {before})")
    if STRICT:
        assert median(r["seconds"] for r in runs["jiesu --version"]) < 0.1
        assert median(r["seconds"] for r in runs["jiesu validate (60 cases)"]) <= 0.3
