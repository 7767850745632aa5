"""Simulation replications: spawned seeds, Student-t intervals, paired what-if comparisons (the
cluster runs are in test_distributed.py)."""

from __future__ import annotations

import json
import math
from pathlib import Path

import numpy as np
import pytest
from typer.testing import CliRunner

from jiesu.cli.app import app
from jiesu.errors import ArgumentError, OutputError
from jiesu.simulation import simulate
from jiesu.simulation.replications import (
    INDICATORS,
    Interval,
    indicators,
    replicate,
    replication_seeds,
    t_quantile,
)

MMC = str(Path(__file__).resolve().parents[1] / "fixtures" / "scenarios" / "mmc.toml")
runner = CliRunner()


@pytest.fixture(scope="module")
def more_agents(tmp_path_factory) -> str:
    path = tmp_path_factory.mktemp("b") / "mmc11.toml"
    path.write_text(Path(MMC).read_text(encoding="utf-8").replace("agents = 10", "agents = 11"), encoding="utf-8")
    return str(path)


def test_t_quantiles_match_the_published_table():
    # two-sided 95 % critical values of Student's t (any statistics table); the normal limit
    table = {1: 12.706, 2: 4.303, 3: 3.182, 4: 2.776, 5: 2.571, 9: 2.262, 10: 2.228, 20: 2.086,
             29: 2.045, 30: 2.042, 60: 2.000, 120: 1.980}
    for df, t in table.items():
        assert t_quantile(0.975, df) == pytest.approx(t, abs=5e-4)
    assert t_quantile(0.975, 1e7) == pytest.approx(1.959964, abs=1e-5)
    assert t_quantile(0.025, 4) == pytest.approx(-2.776, abs=5e-4)
    assert t_quantile(0.995, 1) == pytest.approx(63.657, abs=5e-3)


def test_an_interval_by_hand():
    # 2, 4, 6, 8: mean 5, s = sqrt(20/3), half-width t(0.975, 3) * s / 2
    iv = Interval.of([2, 4, None, 6, 8])
    half = 3.182446305 * math.sqrt(20 / 3) / 2
    assert (iv.n, iv.mean) == (4, 5)
    assert iv.sd == pytest.approx(math.sqrt(20 / 3))
    assert (iv.low, iv.high) == pytest.approx((5 - half, 5 + half), abs=1e-8)
    assert Interval.of([3.0]) == Interval(1, 3.0, None, None, None)
    assert Interval.of([None]) == Interval(0, None, None, None, None)


def test_seeds_come_from_spawned_seed_sequences():
    seeds = replication_seeds(7, 5)
    children = np.random.SeedSequence(7).spawn(5)
    assert seeds == [int(c.generate_state(1, np.uint64)[0]) for c in children]
    assert len(set(seeds)) == 5
    assert replication_seeds(7, 3) == seeds[:3]  # more replications extend, never reshuffle


def test_each_replication_is_a_plain_run_with_its_seed():
    result = replicate(MMC, days=1, seed=11, replications=3)
    for s, run in zip(result.seeds, result.runs[0]):
        assert run == indicators(simulate(MMC, days=1, seed=s).data)
    direct = [indicators(simulate(MMC, days=1, seed=s).data)["p_wait"] for s in result.seeds]
    row = next(r for r in result.rows if r["indicator"] == "p_wait")
    iv = Interval.of(direct)
    assert (row["n"], row["mean"], row["ci_low"], row["ci_high"]) == (3, iv.mean, iv.low, iv.high)
    assert row["ci_low"] < row["mean"] < row["ci_high"]
    sl = next(r for r in result.rows if r["indicator"] == "service_level")
    assert sl["mean"] == pytest.approx(1 - row["mean"])
    assert [r["indicator"] for r in result.rows] == [name for name, *_ in INDICATORS]


def test_a_comparison_pairs_the_runs_on_common_random_numbers(more_agents):
    result = replicate(MMC, days=1, seed=2, replications=4, compare=more_agents)
    a, b = result.runs
    row = next(r for r in result.rows if r["indicator"] == "mean_wait_seconds")
    diffs = [y["mean_wait_seconds"] - x["mean_wait_seconds"] for x, y in zip(a, b)]
    paired = Interval.of(diffs)
    assert (row["difference"], row["diff_low"], row["diff_high"]) == (paired.mean, paired.low, paired.high)
    assert row["diff_high"] < 0  # an 11th agent shortens the wait, clearly
    # the same arrivals in both: case counts are identical run by run (nobody abandons)
    assert [x["cases_per_day"] for x in a] == [y["cases_per_day"] for y in b]
    same = replicate(MMC, days=1, seed=2, replications=2, compare=MMC)
    assert all(r["difference"] in (0, None) for r in same.rows)


def test_runs_write_no_case_files_unless_asked(tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    replicate(MMC, days=1, seed=1, replications=2)
    assert list(tmp_path.iterdir()) == []
    replicate(MMC, days=1, seed=1, replications=2, output=tmp_path / "runs.parquet")
    assert sorted(p.name for p in tmp_path.iterdir()) == ["runs-r0001.parquet", "runs-r0002.parquet"]


@pytest.mark.parametrize(("given", "first"), [("runs", "runs-r0001.parquet"), ("RUNS.PARQUET", "RUNS-r0001.parquet"),
                                              ("runs.toml", "runs.toml-r0001.parquet")])
def test_run_files_are_named_parquet_whatever_the_output_ends_in(tmp_path, given, first):
    replicate(MMC, days=1, seed=1, replications=1, output=tmp_path / given)
    assert [p.name for p in tmp_path.iterdir()] == [first]


def test_bad_arguments():
    for kw in ({"replications": 0}, {"replications": True}, {"days": 0}, {"seed": -1}):
        with pytest.raises(ArgumentError):
            replicate(MMC, **kw)


def test_the_command(more_agents, tmp_path):
    out = runner.invoke(app, ["simulate", "-s", MMC, "-n", "3", "-d", "1", "--seed", "4", "-f", "json",
                              "--summary", str(tmp_path / "s.json")])
    assert out.exit_code == 0, out.output
    rows = json.loads(out.stdout)
    saved = json.loads((tmp_path / "s.json").read_text(encoding="utf-8"))
    assert rows == [{k: r[k] for k in rows[0]} for r in saved["indicators"]]
    assert saved["seeds"] == replication_seeds(4, 3) and len(saved["runs"][0]) == 3
    table = runner.invoke(app, ["simulate", "--compare", MMC, more_agents, "-n", "2", "-d", "1"])
    assert table.exit_code == 0, table.output
    assert "B - A [95% CI, paired]" in table.stdout and "mean_wait_seconds" in table.stdout
    assert "Student-t" in table.stderr
    for args in (["simulate", "-s", MMC], ["simulate"], ["simulate", "-s", MMC, "--compare", MMC, MMC],
                 ["simulate", "-s", MMC, "-o", str(tmp_path / "x.parquet"), "--scheduler", "local"],
                 ["simulate", "-s", MMC, "-n", "2", "-f", "xlsx"]):
        bad = runner.invoke(app, args)
        assert bad.exit_code == 2, (args, bad.output)


def test_outputs_that_would_damage_a_file_or_miss_the_folder_are_refused_before_any_run(more_agents, tmp_path,
                                                                                       monkeypatch):
    """--summary naming a compared scenario overwrote it with JSON after the runs; -o naming a folder
    wrote DIR-r0001.parquet beside the folder. Both are bad-output (exit 2), nothing run or written."""
    import jiesu.simulation.replications as reps

    ran = []
    monkeypatch.setattr(reps, "_one", lambda *a: ran.append(a) or {k[0]: 0.0 for k in INDICATORS})
    scenario = tmp_path / "a.toml"
    scenario.write_text(Path(MMC).read_text(encoding="utf-8"), encoding="utf-8")
    before = scenario.read_bytes()
    folder = tmp_path / "runs"
    folder.mkdir()
    for extra in (["--summary", str(scenario)], ["--summary", more_agents], ["-o", str(folder)],
                  ["--summary", str(tmp_path / "missing" / "s.json")], ["-o", str(tmp_path / "missing" / "r.parquet")]):
        result = runner.invoke(app, ["simulate", "--compare", str(scenario), more_agents, "-n", "2", "-d", "1", *extra])
        assert result.exit_code == 2, (extra, result.output)
        assert "[bad-output]" in result.stderr and "Traceback" not in result.output
    assert ran == [] and scenario.read_bytes() == before
    assert sorted(p.name for p in tmp_path.iterdir()) == ["a.toml", "runs"] and not any(folder.iterdir())
    with pytest.raises(OutputError, match="is a folder"):
        replicate(MMC, replications=2, days=1, output=folder)
