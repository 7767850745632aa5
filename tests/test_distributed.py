"""Score, rank, validate and simulation replications on a two-process Dask cluster equal the
single-process results exactly (issue 15). One cluster for the whole module: starting one costs
about three seconds."""

from __future__ import annotations

import json
import os
import shutil
import signal
import subprocess
import sys
import threading
import time
from pathlib import Path

import pyarrow as pa
import pyarrow.parquet as pq
import pytest

pytest.importorskip("distributed")

from typer.testing import CliRunner

from jiesu import distributed
from jiesu.cli.app import app
from jiesu.errors import ArgumentError, ClusterError, InputError
from jiesu.profile import load_profile
from jiesu.ranking import rank
from jiesu.records import json_records, parquet_writer
from jiesu.scoring import aggregate, score
from jiesu.synthetic import generate
from jiesu.validation import validate

FIXTURES = Path(__file__).resolve().parents[1] / "fixtures"
runner = CliRunner()


@pytest.fixture(scope="module")
def cluster():
    """A LocalCluster of two single-threaded worker processes, shared by every test here."""
    import logging

    from distributed import Client, LocalCluster

    lc = LocalCluster(n_workers=2, threads_per_worker=1, processes=True, dashboard_address=None,
                      silence_logs=logging.CRITICAL)
    client = Client(lc)
    yield client
    client.close()
    lc.close()


@pytest.fixture(autouse=True)
def task_per_row_group(monkeypatch):
    """Every row group its own task (small row groups normally share one), so that the tests'
    small files exercise many partials and merges."""
    monkeypatch.setattr(distributed, "TASK_ROWS", 1)


def test_small_row_groups_share_a_task(monkeypatch):
    monkeypatch.setattr(distributed, "TASK_ROWS", 10)
    assert distributed.plan([4, 4, 4, 30, 1, 0, 10]) == [[0, 1], [2], [3], [4, 5], [6]]
    assert distributed.plan([]) == [] and distributed.plan(None) == [None]


@pytest.fixture(scope="module")
def cases() -> pa.Table:
    return generate(3000, seed=5, start="2024-01-01", days=120)


def _write(path: Path, table: pa.Table, row_group: int) -> Path:
    path.parent.mkdir(parents=True, exist_ok=True)
    with parquet_writer(path, table.schema) as w:
        if table.num_rows == 0:
            w.write_table(table)
        for lo in range(0, table.num_rows, row_group):
            w.write_table(table.slice(lo, row_group), row_group_size=row_group)
    return path


@pytest.fixture(scope="module")
def partitionings(cases: pa.Table, tmp_path_factory) -> dict[str, list[str]]:
    """The same 3000 cases laid out several ways: one file of row groups, a folder of files with an
    empty file, a single-row file and single-row row groups, and Parquet mixed with NDJSON."""
    root = tmp_path_factory.mktemp("parts")
    one = _write(root / "one.parquet", cases, 250)
    folder = root / "folder"
    _write(folder / "a" / "p0.parquet", cases.slice(0, 0), 10)                 # empty
    _write(folder / "a" / "p1.parquet", cases.slice(0, 1), 1)                  # a single row
    _write(folder / "a" / "p2.parquet", cases.slice(1, 7), 1)                  # single-row row groups
    _write(folder / "b" / "p3.parquet", cases.slice(8, 1992), 700)
    _write(folder / "b" / "p4.parquet", cases.slice(2000, 1000), 1000)
    mixed = root / "mixed"
    _write(mixed / "x.parquet", cases.slice(0, 1500), 300)
    (mixed / "y.ndjson").write_text("".join(json.dumps(r, ensure_ascii=False) + "\n"
                                            for r in json_records(cases.slice(1500))), encoding="utf-8")
    return {"one file": [str(one)], "folder": [str(folder)],
            "mixed": [str(mixed / "x.parquet"), str(mixed / "y.ndjson")]}


def _records(agg) -> list[tuple]:
    return sorted((r["month"], str(r["key"]), *(v for k, v in r.items() if k not in ("month", "key")))
                  for r in agg.to_records())


# ---------------------------------------------------------------- score and rank

@pytest.mark.parametrize("layout", ["one file", "folder", "mixed"])
@pytest.mark.parametrize("by", ["unit", "territory"])
def test_counts_equal_the_single_process_counts(cluster, partitionings, layout, by):
    inputs = partitionings[layout]
    single = aggregate(inputs, by=by)
    spread = aggregate(inputs, by=by, scheduler=cluster.scheduler.address)
    assert single.total()["callbacks"] > 500  # the data scores: the comparison means something
    assert _records(spread) == _records(single)
    assert spread.total() == single.total()


def test_every_layout_gives_the_same_counts(cluster, partitionings):
    """An independent check of the layouts themselves: all three hold the same cases."""
    totals = {k: aggregate(v, by="unit", scheduler=cluster).total() for k, v in partitionings.items()}
    assert len({json.dumps(t, sort_keys=True) for t in totals.values()}) == 1


def test_score_and_rank_equal_the_single_process_run(cluster, partitionings):
    inputs = partitionings["folder"]
    address = cluster.scheduler.address
    assert score(inputs, by="street", scheduler=address) == score(inputs, by="street")
    assert score(inputs, month="2024-03", scheduler=address) == score(inputs, month="2024-03")
    for level in ("street", "district"):
        single = rank(inputs, month="2024-03", level=level)
        assert rank(inputs, month="2024-03", level=level, scheduler=address) == single
        assert any(r["rank"] for r in single) if level == "district" else any(r["scored"] for r in single)


def test_analysis_cubes_count_the_same(cluster, partitionings):
    """The analyses' counting (jiesu.analysis.cube.count) takes the same hook: equal cells."""
    from jiesu.analysis.cube import Cube, count

    def cells(cubes) -> list[dict]:
        return [{(p, c): tuple(arr[i].tolist()) for p, arr in cube.counts.items()
                 for i, c in enumerate(cube.cells[: arr.shape[0]]) if arr[i].any()} for cube in cubes]

    shapes = [Cube(("category", "street"), ("requests", "scores")), Cube(("unit",), ("cases", "disputes"))]
    for layout in ("folder", "mixed"):
        single = cells(count(partitionings[layout], shapes))
        assert cells(count(partitionings[layout], shapes, scheduler=cluster)) == single
        assert sum(len(c) for c in single) > 1000


def test_timeliness_counts_the_same(cluster, partitionings):
    """The timeliness aggregate (jiesu.timeliness, counted through jiesu.scoring.reduce_sources)
    runs on the cluster too, the as-of time (the latest time in the data) included."""
    from jiesu.timeliness import latest_time, rank_timeliness, timeliness

    for layout in ("folder", "mixed"):
        inputs = partitionings[layout]
        assert latest_time(inputs, scheduler=cluster) == latest_time(inputs)
        single = timeliness(inputs, by="district")
        assert timeliness(inputs, by="district", scheduler=cluster) == single
        assert sum(r["closed_on_time"] for r in single) > 500
    ranked = rank_timeliness(partitionings["folder"], month="2024-02", level="district")
    assert rank_timeliness(partitionings["folder"], month="2024-02", level="district", scheduler=cluster) == ranked


def test_the_hand_worked_fixture_scores_the_same(cluster):
    city = load_profile(FIXTURES / "scoring" / "profile.toml")
    inputs = [str(FIXTURES / "scoring" / "cases.csv")]
    assert score(inputs, profile=city, scheduler=cluster) == score(inputs, profile=city)


def test_zone_less_timestamps_with_naive_timezone(cluster, cases, tmp_path):
    """Parquet without time zones (Hive, pandas): read in --naive-timezone on the workers too."""
    naive = cases.cast(pa.schema([pa.field(f.name, pa.timestamp("us")) if pa.types.is_timestamp(f.type) else f
                                  for f in cases.schema]))
    path = tmp_path / "naive.parquet"
    pq.write_table(naive, path, row_group_size=500)
    single = score([str(path)], naive_timezone="UTC")
    assert score([str(path)], naive_timezone="UTC", scheduler=cluster) == single == score([_write(
        tmp_path / "aware.parquet", cases, 500).as_posix()])
    for scheduler in (None, cluster):
        with pytest.raises(InputError):
            score([str(path)], scheduler=scheduler)
    assert validate([str(path)], naive_timezone="UTC", scheduler=cluster).to_dict() == validate(
        [str(path)], naive_timezone="UTC").to_dict()


def test_an_empty_input_scores_nothing(cluster, cases, tmp_path):
    empty = _write(tmp_path / "empty.parquet", cases.slice(0, 0), 10)
    assert score([str(empty)], scheduler=cluster) == [] == score([str(empty)])


def test_glob_patterns_and_file_urls(cluster, partitionings):
    folder = partitionings["folder"][0]
    single = aggregate([folder], by="unit")
    assert _records(aggregate([f"{folder}/*/p*.parquet"], by="unit", scheduler=cluster)) == _records(single)
    assert _records(aggregate([f"file://{folder}"], by="unit", scheduler=cluster)) == _records(single)
    with pytest.raises(InputError, match="no file or folder matches"):
        aggregate([f"{folder}/*/nothing*.parquet"], by="unit", scheduler=cluster)


def test_memory_urls(partitionings):
    """fsspec URLs: Parquet read through the filesystem (in-process scheduler: memory:// lives in
    this process only)."""
    import fsspec

    fs = fsspec.filesystem("memory")
    src = Path(partitionings["folder"][0])
    for p in sorted(src.rglob("*.parquet")):
        fs.pipe(f"/jiesu-test/{p.relative_to(src)}", p.read_bytes())
    fs.pipe("/jiesu-test/_SUCCESS", b"")  # a marker file, as Spark writes: skipped
    single = aggregate([str(src)], by="unit")
    for scheduler in ("synchronous", "threads"):
        assert _records(aggregate(["memory://jiesu-test"], by="unit", scheduler=scheduler)) == _records(single)
    assert _records(aggregate(["memory://jiesu-test/*/*.parquet"], by="unit", scheduler="threads")) == _records(single)
    fs.pipe("/jiesu-text/a.ndjson", b"{}\n")
    with pytest.raises(InputError, match="only Parquet"):
        aggregate(["memory://jiesu-text"], by="unit", scheduler="threads")
    with pytest.raises(InputError, match="no such file"):
        aggregate(["memory://nowhere/x.parquet"], by="unit", scheduler="threads")


def test_partial_results_merge_in_a_tree_on_the_workers(cluster, partitionings, monkeypatch):
    """Every row group is a task and the partials merge FAN_IN at a time; only the root comes back."""
    seen = []

    real_tree = distributed.tree

    def spy(parts, merge):
        root = real_tree(parts, merge)
        seen.append((len(parts), len(dict(root.__dask_graph__()))))
        return root

    monkeypatch.setattr(distributed, "tree", spy)
    aggregate(partitionings["one file"], by="unit", scheduler=cluster)
    (leaves, tasks), = seen
    assert leaves == 12  # 3000 cases in row groups of 250
    # 12 counting tasks + the spec, then ceil(12 / 8) = 2 merges, then 1
    assert tasks == 12 + 1 + 2 + 1


def test_a_bad_file_is_the_same_error(cluster, tmp_path):
    bad = tmp_path / "bad.parquet"
    bad.write_bytes(b"PAR1 not really")
    with pytest.raises(InputError) as single:
        score([str(bad)])
    with pytest.raises(InputError) as spread:
        score([str(bad)], scheduler=cluster)
    assert spread.value.message == single.value.message


# ---------------------------------------------------------------- validation

@pytest.fixture(scope="module")
def messy(cases: pa.Table, tmp_path_factory) -> list[str]:
    """Files with errors of many kinds, and case_ids repeated within and across files."""
    root = tmp_path_factory.mktemp("messy")
    t = cases.slice(0, 1200)
    ids = t.column("case_id").to_pylist()
    ids[5] = ids[3]            # within the first file
    ids[700] = ids[10]         # across files
    ids[1100] = ids[10]        # and again
    ids[1150] = ids[650]
    t = t.set_column(0, "case_id", pa.array(ids))
    _write(root / "a.parquet", t.slice(0, 600), 100)
    _write(root / "b.parquet", t.slice(600, 20), 1)
    _write(root / "c.parquet", t.slice(620, 0), 10)
    _write(root / "d.parquet", t.slice(620), 290)
    invalid = sorted(str(p) for p in (FIXTURES / "invalid").glob("*.ndjson"))
    shutil.copy(FIXTURES / "invalid" / "duplicate-case-id.ndjson", root / "dup-again.ndjson")
    text = [str(FIXTURES / "valid" / "cases.csv"), str(FIXTURES / "invalid" / "street-names-gb18030.csv")]
    return [str(root / n) for n in ("a.parquet", "b.parquet", "c.parquet", "d.parquet")] + invalid + text + [
        str(root / "dup-again.ndjson")]


@pytest.mark.parametrize("max_samples", [0, 3])
def test_the_report_equals_the_single_process_report(cluster, messy, max_samples):
    single = validate(messy, max_samples=max_samples).to_dict()
    spread = validate(messy, max_samples=max_samples, scheduler=cluster).to_dict()
    assert spread == single
    assert json.dumps(spread) == json.dumps(single)  # the same order too, key by key
    dup = next(n for n in single["notices"] if n["code"] == "duplicate-case-id")
    assert dup["count"] >= 4 and len(dup["by_file"]) >= 3
    assert single["errors"] > 50
    assert {f["encoding"] for f in single["files"]} >= {"utf-8", "gb18030"}  # found by the workers


def test_relative_paths_are_read_by_the_workers_and_shown_as_given(cluster, messy, monkeypatch):
    """A worker's working folder is not the caller's: it gets absolute paths, the report shows the
    names as given (samples, rows per file, the duplicates' "same case_id as" too)."""
    root = Path(messy[0]).parent
    monkeypatch.chdir(root)
    names = ["a.parquet", "b.parquet", "d.parquet", "dup-again.ndjson"]
    single = validate(names, max_samples=3).to_dict()
    assert validate(names, max_samples=3, scheduler=cluster).to_dict() == single
    assert str(root) not in json.dumps(single)
    assert aggregate(["a.parquet"], by="unit", scheduler=cluster).total() == aggregate(["a.parquet"], by="unit").total()


def test_unique_ids_across_files_are_no_duplicate(cluster, partitionings):
    for layout in ("folder", "mixed"):
        single = validate(partitionings[layout]).to_dict()
        assert validate(partitionings[layout], scheduler=cluster).to_dict() == single
        assert not any(n["code"] == "duplicate-case-id" for n in single["notices"])


def test_a_hash_collision_is_not_a_duplicate(messy, monkeypatch):
    """With a hash that collides all the time, the shuffle finds many repeated hashes and the scan
    compares the rows by value: the report is still exact (in-process scheduler: the weak hash is
    patched in this process)."""
    import numpy as np

    from jiesu.validation import duplicates, engine

    expected = validate(messy[:4]).to_dict()
    real = duplicates.hash_strings

    def weak(arr):
        h, valid = real(arr)
        return h & np.uint64(0xF800000000000003), valid  # 128 values: collisions everywhere

    monkeypatch.setattr(duplicates, "hash_strings", weak)
    monkeypatch.setattr(engine, "hash_strings", weak)
    found = []
    real_scan = engine.scan_source
    monkeypatch.setattr(engine, "scan_source", lambda *a: found.append(real_scan(*a)) or found[-1])
    assert validate(messy[:4], scheduler="synchronous").to_dict() == expected
    assert sum(len(rows) for rows, _ in found) > 1000  # most rows were candidates
    dup = next(n for n in expected["notices"] if n["code"] == "duplicate-case-id")
    assert dup["count"] == 4


def test_notice_books_merge_exactly():
    from jiesu.validation.report import NoticeBook, Sample

    def book(file: str, rows: list[int], max_samples: int = 3) -> NoticeBook:
        b = NoticeBook(max_samples)
        b.file = file
        for r in rows:
            b.add("time-order", "closed_at", "m", 1, [Sample(file, r, "v")] if b.room("time-order", "closed_at") > 0 else [])
        return b

    whole = NoticeBook(3)
    for f, rows in (("a", [1, 2]), ("b", [4, 5, 6]), ("c", [7])):
        whole.file = f
        for r in rows:
            whole.add("time-order", "closed_at", "m", 1, [Sample(f, r, "v")] if whole.room("time-order", "closed_at") > 0 else [])
    merged = book("a", [1, 2]).merge(book("b", [4, 5, 6])).merge(book("c", [7]))
    (n,), (m,) = whole.notices(), merged.notices()
    assert (m.count, m.by_file, [(s.file, s.row) for s in m.samples]) == (6, {"a": 2, "b": 3, "c": 1},
                                                                         [("a", 1), ("a", 2), ("b", 4)])
    assert m == n


# ---------------------------------------------------------------- replications

def test_replications_do_not_depend_on_the_workers(cluster):
    """The same seeds, the same figures: in this process (one worker), on two workers, and with
    Dask's in-process scheduler."""
    from jiesu.simulation.replications import replicate

    mmc = str(FIXTURES / "scenarios" / "mmc.toml")
    here = replicate(mmc, days=1, seed=9, replications=4)
    assert replicate(mmc, days=1, seed=9, replications=4, scheduler=cluster.scheduler.address).to_dict() == here.to_dict()
    assert replicate(mmc, days=1, seed=9, replications=4, scheduler="synchronous").to_dict() == here.to_dict()
    assert len({run["mean_wait_seconds"] for run in here.runs[0]}) == 4  # the runs differ


# ---------------------------------------------------------------- failures

def test_a_killed_worker_still_gives_the_right_counts(cluster, cases, tmp_path, monkeypatch):
    """Kill a worker process while a score runs: Dask runs its tasks again elsewhere (the nanny
    starts a new worker); the counts are exact, never short of the lost partials."""
    many = _write(tmp_path / "many.parquet", cases.slice(0, 2400), 30)  # 80 row groups: 80 tasks
    single = aggregate([str(many)], by="unit")
    out: dict = {}

    def run() -> None:
        try:
            out["agg"] = aggregate([str(many)], by="unit", scheduler=cluster.scheduler.address)
        except Exception as exc:  # noqa: BLE001 - reported below
            out["error"] = exc

    def pending(dask_scheduler) -> int:
        """Counting tasks not yet done (-1 before the graph arrives)."""
        states = [ts.state for ts in dask_scheduler.tasks.values() if str(ts.key).startswith("_count")]
        return -1 if not states else sum(s in ("waiting", "queued", "processing", "no-worker") for s in states)

    thread = threading.Thread(target=run)
    thread.start()
    deadline = time.monotonic() + 60
    while not 0 <= cluster.run_on_scheduler(pending) <= 65 and thread.is_alive() and time.monotonic() < deadline:
        time.sleep(0.005)
    left = cluster.run_on_scheduler(pending)
    pids = cluster.run(os.getpid)
    os.kill(pids[min(pids)], signal.SIGKILL)
    assert thread.is_alive() and left > 10, "the score finished before a worker could be killed"
    thread.join(120)
    assert not thread.is_alive() and "error" not in out, out.get("error")
    assert _records(out["agg"]) == _records(single)
    cluster.wait_for_workers(2, timeout=60)


def test_a_task_that_kills_its_workers_is_a_clear_error(cluster, monkeypatch):
    """When a task's workers keep dying, the run stops with ClusterError (exit 3), no result."""
    import dask

    cluster.run_on_scheduler(lambda dask_scheduler: setattr(dask_scheduler, "allowed_failures", 0))
    try:
        with distributed.connect(cluster) as run, pytest.raises(ClusterError, match="died"):
            run.compute(dask.delayed(os._exit)(1))
    finally:
        cluster.run_on_scheduler(lambda dask_scheduler: setattr(dask_scheduler, "allowed_failures", 3))
        cluster.wait_for_workers(2, timeout=60)


def test_unreachable_scheduler_and_bad_addresses(monkeypatch, partitionings, tmp_path):
    monkeypatch.setattr(distributed, "CONNECT_TIMEOUT", "1s")
    result = runner.invoke(app, ["score", partitionings["one file"][0], "--scheduler", "tcp://127.0.0.1:9"])
    assert result.exit_code == 3
    assert "cannot reach the Dask scheduler at tcp://127.0.0.1:9" in result.stderr
    assert "Traceback" not in result.output
    for bad in ("s3://bucket", "two words", "local:0", "local:x", ""):
        with pytest.raises(ArgumentError):
            distributed.check_scheduler(bad)
    for good in ("local", "local:3", "localhost:8786", "tcp://10.0.0.5:8786", "tls://h:1", "threads"):
        distributed.check_scheduler(good)
    result = runner.invoke(app, ["validate", partitionings["one file"][0]], env={"JIESU_SCHEDULER": "http://x"})
    assert result.exit_code == 2 and "not a Dask scheduler address" in result.stderr


def test_a_local_cluster_bigger_than_the_machine_is_refused_before_it_starts(monkeypatch):
    """local:10000 on a 2-core machine would start 10,000 worker processes; local:² (a digit
    Python's int() cannot read) was an internal error. Both are usage errors, nothing started."""
    monkeypatch.setattr(distributed.os, "cpu_count", lambda: 2)
    started = []
    monkeypatch.setattr("distributed.LocalCluster", lambda *a, **k: started.append(k) or 1 / 0)
    for bad in ("local:9", "local:10000", "local:99999999999999999999", "local:\u00b2", "local:\u0662"):
        with pytest.raises(ArgumentError, match="local:N"):
            distributed.check_scheduler(bad)
    distributed.check_scheduler("local:8")  # four workers a core is the most
    result = runner.invoke(app, ["score", str(Path(__file__).parents[1] / "fixtures" / "analysis" / "cases.csv"),
                                   "--scheduler", "local:10000"])
    assert result.exit_code == 2 and "Traceback" not in result.output and started == []
    assert "at most 8" in result.stderr


# ---------------------------------------------------------------- the command line

def test_the_commands_take_scheduler(cluster, partitionings, tmp_path):
    inputs = partitionings["folder"]
    address = cluster.scheduler.address
    for args in (["score", *inputs, "--by", "district", "-f", "csv"],
                 ["rank", *inputs, "--month", "2024-02", "-f", "json"],
                 ["validate", *inputs, "-f", "json"]):
        single = runner.invoke(app, args)
        spread = runner.invoke(app, [*args, "--scheduler", address])
        env = runner.invoke(app, args, env={"JIESU_SCHEDULER": address})
        empty = runner.invoke(app, args, env={"JIESU_SCHEDULER": ""})  # unset in effect
        assert empty.exit_code == 0 and empty.stdout == single.stdout
        assert single.exit_code == spread.exit_code == env.exit_code == 0, spread.output
        assert single.stdout == spread.stdout == env.stdout and len(single.stdout) > 200


def test_the_analysis_commands_take_scheduler(cluster, partitionings, monkeypatch):
    """warn, trend, topics and disputes on the cluster print what they print in one process, and
    did run there."""
    inputs = partitionings["folder"]
    address = cluster.scheduler.address
    connected = []
    real = distributed.connect
    monkeypatch.setattr(distributed, "connect", lambda scheduler: (connected.append(scheduler), real(scheduler))[1])
    for args in (["warn", *inputs, "--month", "2024-03", "-f", "json"],
                 ["warn", *inputs, "--days", "7", "-f", "json"],
                 ["trend", *inputs, "--from", "2024-01", "--to", "2024-03", "--level", "street", "-f", "json"],
                 ["topics", "candidates", *inputs, "--from", "2024-01", "--to", "2024-03", "-f", "json"],
                 ["topics", "track", *inputs, "--month", "2024-03", "-f", "json"],
                 ["disputes", *inputs, "--month", "2024-02", "--by", "category", "-f", "json"]):
        single = runner.invoke(app, args)
        assert connected == []
        spread = runner.invoke(app, [*args, "--scheduler", address])
        assert connected == [address], args
        connected.clear()
        assert single.exit_code == spread.exit_code == 0, (args, spread.output)
        assert single.stdout == spread.stdout and len(single.stdout) > 2, args


@pytest.mark.parametrize("layout", ["one file", "folder", "mixed"])
def test_the_monthly_report_is_the_same_page_on_the_cluster(cluster, partitionings, layout):
    """Every figure, table and chart of the page, and the rows read of each file (the footer)."""
    from jiesu.report import monthly_report, render

    inputs = partitionings[layout]
    single = monthly_report(inputs, month="2024-03")
    spread = monthly_report(inputs, month="2024-03", scheduler=cluster)
    assert spread.inputs == single.inputs and sum(f.rows for f in single.inputs) == 3000
    assert render(spread, "html", command="x") == render(single, "html", command="x")
    assert render(spread, "html", lang="en", command="x") == render(single, "html", lang="en", command="x")


def test_a_report_ranked_on_timeliness_is_the_same_on_the_cluster(cluster, tmp_path):
    """The as-of time and the on-time counts (tests/test_report.py's hand-worked cases) on the cluster."""
    import jiesu
    from jiesu.report import monthly_report
    from tests.test_report import (
        test_a_profile_that_ranks_on_timeliness_shows_the_on_time_rate as hand_worked,
    )
    from tests.test_timeliness import timeliness_profile

    hand_worked(tmp_path)  # writes cases.csv and checks the single-process page by hand
    profile = timeliness_profile(tmp_path)
    path = tmp_path / "cases.csv"
    spread = monthly_report([path], profile=profile, month="2024-03", scheduler=cluster)
    assert spread.rankings["street"] == jiesu.rank([path], profile=profile, month="2024-03", level="street")
    s11 = spread.rankings["street"][0]
    assert (s11["unit"], s11["on_time_rate"], s11["previous_on_time_rate"]) == ("S11", 2 / 3, 0.5)


def test_the_report_command_takes_scheduler(cluster, partitionings, monkeypatch):
    connected = []
    real = distributed.connect
    monkeypatch.setattr(distributed, "connect", lambda scheduler: (connected.append(scheduler), real(scheduler))[1])
    args = ["report", *partitionings["folder"], "--month", "2024-02"]
    single = runner.invoke(app, args)
    spread = runner.invoke(app, [*args, "--scheduler", cluster.scheduler.address])
    assert single.exit_code == spread.exit_code == 0, spread.output
    assert connected == [cluster.scheduler.address]
    assert single.stdout == spread.stdout and "<!DOCTYPE html>" in single.stdout


def test_the_examples_of_docs_scale_md(cluster, tmp_path, monkeypatch):
    """The `jiesu` lines of docs/scale.md's first sh block, run on this module's cluster instead of
    `local`: the same output as without --scheduler."""
    import re
    import shlex

    doc = (FIXTURES.parent / "docs" / "scale.md").read_text(encoding="utf-8")
    block = re.search(r"```sh\n(.*?)```", doc, re.DOTALL).group(1)
    lines = [shlex.split(line.split("  #")[0])[1:] for line in block.splitlines() if line.startswith("jiesu ")]
    assert len(lines) == 5 and sum("--scheduler" in args for args in lines) == 4
    (tmp_path / "fixtures").symlink_to(FIXTURES)
    monkeypatch.chdir(tmp_path)
    for args in lines:
        if "--scheduler" not in args:
            assert runner.invoke(app, args).exit_code == 0
            continue
        i = args.index("--scheduler")
        assert args[i + 1] == "local"
        single = runner.invoke(app, args[:i] + args[i + 2:])
        spread = runner.invoke(app, [*args[:i + 1], cluster.scheduler.address, *args[i + 2:]])
        assert single.exit_code == spread.exit_code == 0, spread.output
        assert spread.stdout == single.stdout and len(single.stdout) > 150


def test_import_jiesu_and_help_do_not_import_dask():
    code = ("import sys, jiesu, jiesu.scoring, jiesu.validation, jiesu.cli.app; "
            "from typer.testing import CliRunner; CliRunner().invoke(jiesu.cli.app.app, ['--help']); "
            "CliRunner().invoke(jiesu.cli.app.app, ['score', '--help']); "
            "print([m for m in ('dask', 'distributed', 'fsspec') if m in sys.modules])")
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True).stdout
    assert out.strip() == "[]"


def test_without_dask_the_flag_says_how_to_install(monkeypatch):
    import builtins

    real = builtins.__import__

    def no_dask(name, *args, **kwargs):
        if name.split(".")[0] in ("dask", "distributed"):
            raise ImportError(name)
        return real(name, *args, **kwargs)

    monkeypatch.setattr(builtins, "__import__", no_dask)
    with pytest.raises(ClusterError, match=r"pip install 'jiesu\[dask\]'"):
        distributed._require_dask()


def test_a_file_given_twice_is_refused_on_the_cluster_path_too(partitionings):
    one = partitionings["one file"][0]
    folder = partitionings["folder"][0]
    for inputs in ([one, one], [one, one.replace("one.parquet", "one.parq*")], [folder, f"{folder}/b/p3.parquet"]):
        with pytest.raises(ArgumentError, match="given twice"):
            distributed.find_sources(inputs)
    assert len(distributed.find_sources([one, folder])) == 6
