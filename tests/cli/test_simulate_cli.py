"""`jiesu simulate` through the CLI: output, summary echo, overrides, exit codes."""

from __future__ import annotations

import json
from pathlib import Path

import pyarrow.parquet as pq
import pytest
from typer.testing import CliRunner

from jiesu.cli.app import app

ROOT = Path(__file__).resolve().parents[2]
MMC = str(ROOT / "fixtures" / "scenarios" / "mmc.toml")


def invoke(*args: str):
    return CliRunner().invoke(app, ["simulate", *args])


def test_simulate_writes_records_and_a_summary_that_echoes_the_parameters(tmp_path: Path) -> None:
    out, summ = tmp_path / "cases.parquet", tmp_path / "summary.json"
    r = invoke("--scenario", "beijing-baseline", "--days", "1", "--seed", "11", "--output", str(out),
               "--summary", str(summ), "--set", "intake.arrival_rate_per_hour=300")
    assert r.exit_code == 0, r.stderr
    assert r.stdout == ""  # messages go to stderr
    assert "cases over 1 days" in r.stderr
    s = json.loads(summ.read_text("utf-8"))
    assert s["seed"] == 11 and s["days"] == 1 and s["scenario"] == "beijing-baseline"
    intake = s["parameters"]["intake"]
    assert intake["agents"] == 750
    assert intake["arrival_rate_per_hour"] == 300.0
    assert intake["mean_handle_seconds"] == 450.0
    assert s["overrides"] == {"intake.arrival_rate_per_hour": 300.0}
    for key in ("requests", "cases_per_day", "dispatched_share", "units"):
        assert key in s
    for key in ("p_wait", "mean_wait_seconds", "abandonment_rate"):
        assert key in s["intake"]
    for key in ("valid_callbacks", "resolution_rate", "satisfaction_rate"):
        assert key in s["callback"]
    assert pq.read_metadata(out).num_rows == s["cases"]
    assert pq.ParquetFile(out).schema_arrow.metadata[b"jiesu.seed"] == b"11"


def test_set_overrides_are_applied_and_echoed(tmp_path: Path) -> None:
    out, summ = tmp_path / "c.parquet", tmp_path / "s.json"
    r = invoke("-s", MMC, "-d", "2", "--seed", "3", "-o", str(out), "--summary", str(summ),
               "--set", "intake.agents=12", "--set", "intake.mean_handle_seconds=30")
    assert r.exit_code == 0, r.stderr
    s = json.loads(summ.read_text("utf-8"))
    assert s["parameters"]["intake"]["agents"] == 12
    assert s["parameters"]["intake"]["mean_handle_seconds"] == 30.0
    assert s["intake"]["agents"] == 12
    assert s["intake"]["erlang_c"]["utilisation"] == pytest.approx(510 * 30 / 3600 / 12)
    assert s["overrides"] == {"intake.agents": 12, "intake.mean_handle_seconds": 30.0}


def test_same_seed_gives_the_same_bytes_through_the_cli(tmp_path: Path) -> None:
    files = []
    for name in ("a", "b"):
        out = tmp_path / f"{name}.parquet"
        assert invoke("-s", MMC, "-d", "1", "--seed", "8", "-o", str(out)).exit_code == 0
        files.append(out.read_bytes())
    assert files[0] == files[1]


@pytest.mark.parametrize("item", ["intake.agnts=5", "intake.agents=many", "intake.agents", "intake.agents=0",
                                  "cases.category_weights.NOPE=1"])
def test_bad_set_exits_2(tmp_path: Path, item: str) -> None:
    out = tmp_path / "x.parquet"
    r = invoke("-s", MMC, "-d", "1", "-o", str(out), "--set", item)
    assert r.exit_code == 2, (r.exit_code, r.stderr)
    assert r.stderr.startswith("jiesu: error: --set")
    assert len(r.stderr.strip().splitlines()) == 1
    assert not out.exists()


@pytest.mark.parametrize("text", ["[intake]\nagnts = 5\n", "[intake\n", "[intake]\nagents = -1\n"])
def test_bad_scenario_file_exits_3(tmp_path: Path, text: str) -> None:
    bad = tmp_path / "bad.toml"
    bad.write_text(text, encoding="utf-8")
    out = tmp_path / "x.parquet"
    r = invoke("-s", str(bad), "-d", "1", "-o", str(out))
    assert r.exit_code == 3, (r.exit_code, r.stderr)
    assert r.stderr.startswith("jiesu: error: scenario")
    assert not out.exists()


def test_missing_scenario_exits_3_and_bad_days_exit_2(tmp_path: Path) -> None:
    out = str(tmp_path / "x.parquet")
    r = invoke("-s", "no-such-scenario", "-o", out)
    assert r.exit_code == 3 and "not found" in r.stderr
    assert invoke("-s", MMC, "-d", "0", "-o", out).exit_code == 2
    assert invoke("-s", MMC, "--seed", "-1", "-o", out).exit_code == 2
    assert invoke("-s", MMC, "-d", "1").exit_code == 2  # --output is required


def test_profile_option_replaces_the_scenario_profile(tmp_path: Path) -> None:
    out = tmp_path / "x.parquet"
    r = invoke("-s", MMC, "-d", "1", "-o", str(out), "--profile", str(tmp_path / "missing.toml"))
    assert r.exit_code == 3 and "profile" in r.stderr


def test_missing_output_folder_exits_2_before_simulating(tmp_path: Path) -> None:
    r = invoke("-s", "beijing-baseline", "-d", "365", "-o", str(tmp_path / "nope" / "x.parquet"))
    assert r.exit_code == 2 and "does not exist" in r.stderr and "[bad-output]" in r.stderr
