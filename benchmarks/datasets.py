"""Generated benchmark inputs, cached under benchmarks/data/ (memory stays flat while writing)."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from datetime import timedelta, timezone
from pathlib import Path

DATA = Path(__file__).resolve().parent / "data"


def rows(default: int) -> int:
    return int(os.environ.get("JIESU_BENCH_ROWS", default))


def parquet_cases(n: int, seed: int = 1) -> Path:
    DATA.mkdir(exist_ok=True)
    path = DATA / f"cases-{n}-s{seed}.parquet"
    if not path.exists():  # in a child process, so the benchmark process stays small
        code = "import sys; from jiesu.synthetic import write_parquet; write_parquet(sys.argv[1], int(sys.argv[2]), seed=int(sys.argv[3]))"
        subprocess.run([sys.executable, "-c", code, str(path), str(n), str(seed)], check=True)
    return path


UNORDER = """
import math, sys
import numpy as np, pyarrow as pa, pyarrow.compute as pc, pyarrow.parquet as pq
from jiesu.records import parquet_writer
src, dst = sys.argv[1], sys.argv[2]
pf = pq.ParquetFile(src)
n = pf.metadata.num_rows
step = next(a for a in range(1_000_003, 10**9, 2) if math.gcd(a, n) == 1)
start = 0
with parquet_writer(dst, pf.schema_arrow) as writer:
    for g in range(pf.num_row_groups):
        table = pf.read_row_group(g)
        k = table.num_rows
        numbers = (np.arange(start, start + k, dtype=np.int64) * step + 12345) % n  # a permutation of 0..n-1
        ids = pc.binary_join_element_wise("BJ", pc.utf8_lpad(pa.array(numbers).cast(pa.string()), 12, "0"), "")
        writer.write_table(table.set_column(0, "case_id", ids), row_group_size=k)
        start += k
"""


def parquet_cases_unordered(n: int, seed: int = 1) -> Path:
    """The same cases as ``parquet_cases`` with their case_ids in scrambled order (still unique), so
    that validation cannot rely on ids arriving in increasing order and hashes every one."""
    path = DATA / f"cases-{n}-s{seed}-unordered.parquet"
    if not path.exists():
        subprocess.run([sys.executable, "-c", UNORDER, str(parquet_cases(n, seed)), str(path)], check=True)
    return path


def ndjson_cases(n: int, seed: int = 2) -> Path:
    """n records as NDJSON with Beijing-time offsets, written chunk by chunk."""
    import pyarrow as pa
    import pyarrow.compute as pc

    from jiesu.io.atomic import atomic_path
    from jiesu.synthetic import iter_generate

    DATA.mkdir(exist_ok=True)
    path = DATA / f"cases-{n}-s{seed}.ndjson"
    if path.exists():
        return path
    beijing = timezone(timedelta(hours=8))
    with atomic_path(path) as tmp, open(tmp, "w", encoding="utf-8") as out:
        for table in iter_generate(n, seed, chunk_rows=200_000):
            cols = {}
            for name in table.column_names:
                col = table.column(name)
                if pa.types.is_timestamp(col.type):
                    col = pc.strftime(col.cast(pa.timestamp("us", tz="Asia/Shanghai")), format="%Y-%m-%dT%H:%M:%S+08:00")
                elif pa.types.is_dictionary(col.type):
                    col = col.cast(pa.string())
                cols[name] = col.to_pylist()
            names = list(cols)
            out.writelines(json.dumps({k: v for k, v in zip(names, values) if v is not None}) + "\n" for values in zip(*cols.values()))
    del beijing
    return path


BOSTON_HEADER = ["CASE_ENQUIRY_ID", "OPEN_DT", "TARGET_DT", "CLOSED_DT", "OnTime_Status", "CASE_STATUS",
                 "CLOSURE_REASON", "CASE_TITLE", "TYPE", "QUEUE", "Location", "neighborhood", "Source"]
SOURCES = [("Constituent Call", 0.514), ("Citizens Connect App", 0.156), ("Employee Generated", 0.121),
           ("City Worker App", 0.106), ("Self Service", 0.102), ("Maximo Integration", 0.0016), ("Twitter", 0.0004)]


def boston_csv(n: int, seed: int = 3, chunk_rows: int = 500_000) -> Path:
    """n cases in the Boston 311 CSV layout (12-hour local times, free-text and address columns the
    mapping never reads), about 190 bytes a row, written chunk by chunk in a child process."""
    DATA.mkdir(exist_ok=True)
    path = DATA / f"boston-like-{n}-s{seed}.csv"
    if not path.exists():
        subprocess.run([sys.executable, "-c", BOSTON_WRITER, str(path), str(n), str(seed), str(chunk_rows)], check=True,
                       cwd=DATA.parent.parent)
    return path


BOSTON_WRITER = """
import sys
import numpy as np, pyarrow as pa, pyarrow.compute as pc, pyarrow.csv as pcsv
from jiesu.io.atomic import atomic_path
sys.path.insert(0, "benchmarks")
from datasets import BOSTON_HEADER, SOURCES
path, n, seed, chunk = sys.argv[1], int(sys.argv[2]), int(sys.argv[3]), int(sys.argv[4])
rng = np.random.default_rng(seed)
queues = [f"PWDx_District {d}{c}: Area {d}{c}" for d in range(1, 16) for c in "ABCDEFGHIJ"] + ["No Queue Assigned To User"]
types = [f"Request Type {i} - Kind ({i % 7})" for i in range(158)]
hoods = [f"Neighborhood {i} / Part" for i in range(23)]
sources = [s for s, _ in SOURCES]
p = np.array([w for _, w in SOURCES]); p /= p.sum()
start = np.datetime64("2015-01-01T00:00:00", "s").astype(np.int64)
year = 365 * 86400
def text(seconds, fmt="%m/%d/%Y %I:%M:%S %p", mask=None):
    ts = pa.array(seconds.astype("datetime64[s]"), mask=mask)
    return pc.strftime(ts, format=fmt)
with atomic_path(path) as tmp:
    writer = None
    for first in range(0, n, chunk):
        k = min(chunk, n - first)
        opened = start + rng.integers(0, year, k)
        target = opened + rng.integers(3600, 30 * 86400, k)
        closed = opened + rng.exponential(4 * 86400, k).astype(np.int64)
        is_closed = rng.random(k) < 0.84
        has_target = rng.random(k) < 0.78
        q = rng.integers(0, len(queues), k)
        cols = {
            "CASE_ENQUIRY_ID": pc.binary_join_element_wise("1010", pc.utf8_lpad(pa.array(np.arange(first, first + k)).cast(pa.string()), 8, "0"), ""),
            "OPEN_DT": text(opened),
            "TARGET_DT": text(target, mask=~has_target),
            "CLOSED_DT": text(closed, mask=~is_closed),
            "OnTime_Status": pa.array(np.where(closed <= target, "ONTIME", "OVERDUE")),
            "CASE_STATUS": pa.array(np.where(is_closed, "Closed", "Open")),
            "CLOSURE_REASON": pa.array(np.where(is_closed, "Case Closed. Case Resolved. crew note", "")),
            "CASE_TITLE": pa.array(np.array(types, dtype=object)[rng.integers(0, len(types), k)]),
            "TYPE": pa.array(np.array(types, dtype=object)[rng.integers(0, len(types), k)]),
            "QUEUE": pa.array(np.array(queues, dtype=object)[q]),
            "Location": pc.binary_join_element_wise(pa.array(rng.integers(1, 999, k)).cast(pa.string()), " Main St  Boston  MA  02118", ""),
            "neighborhood": pa.array(np.array(hoods + [""], dtype=object)[rng.integers(0, len(hoods) + 1, k)]),
            "Source": pa.array(np.array(sources, dtype=object)[rng.choice(len(sources), k, p=p)]),
        }
        table = pa.table({c: cols[c] for c in BOSTON_HEADER})
        if writer is None:
            writer = pcsv.CSVWriter(str(tmp), table.schema)
        writer.write_table(table)
    writer.close()
"""
