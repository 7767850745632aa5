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


WRITE_STYLE = """
import sys
sys.path.insert(0, sys.argv[4])
import pyarrow.parquet as pq
from writers import write
src, style, dst = sys.argv[1], sys.argv[2], sys.argv[3]
pf = pq.ParquetFile(src)
write(style, dst, (pf.read_row_group(g) for g in range(pf.num_row_groups)))
"""


def writer_cases(style: str, n: int, seed: int = 1) -> Path:
    """``parquet_cases(n, seed)`` written again as another tool writes Parquet (tools/writers.py)."""
    if style == "jiesu":
        return parquet_cases(n, seed)
    path = DATA / f"cases-{n}-s{seed}-{style}.parquet"
    if not path.exists():
        from jiesu.io.atomic import atomic_path

        tools = Path(__file__).resolve().parents[1] / "tools"
        with atomic_path(path) as tmp:
            subprocess.run([sys.executable, "-c", WRITE_STYLE, str(parquet_cases(n, seed)), style, str(tmp), str(tools)],
                           check=True)
    return path
