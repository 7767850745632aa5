"""`jiesu score` through the CLI: JSON parity with the library, options, exit codes, atomic output."""

from __future__ import annotations

import json
from pathlib import Path

import pyarrow as pa
import pyarrow.parquet as pq
import pytest
from typer.testing import CliRunner

from jiesu.cli.app import app
from jiesu.profile import load_profile
from jiesu.scoring import score

FIX = Path(__file__).resolve().parents[2] / "fixtures" / "scoring"
CASES = str(FIX / "cases.csv")
PROFILE = str(FIX / "profile.toml")
KEYS = ["month", "unit", "scored", "contacted", "resolved", "satisfied", "basically_satisfied",
        "response_rate", "resolution_rate", "satisfaction_rate", "composite"]
runner = CliRunner()


def run(*args: str):
    return runner.invoke(app, ["score", *args])


def test_json_equals_the_library_with_exactly_the_issue_keys():
    result = run(CASES, "-p", PROFILE, "--format", "json")
    assert result.exit_code == 0, result.stderr
    data = json.loads(result.stdout)
    assert data == score([CASES], profile=load_profile(PROFILE))
    assert all(list(row) == KEYS for row in data)


def test_by_and_month_and_weights():
    result = run(CASES, "-p", PROFILE, "-f", "json", "--by", "district", "--month", "2024-02")
    rows = json.loads(result.stdout)
    assert [(r["district"], r["scored"]) for r in rows] == [("D1", 15), ("D2", 11), (None, 1)]
    assert "unit" not in rows[0]
    z = json.loads(run(CASES, "-p", PROFILE, "-f", "json", "--month", "2024-02", "--weights", "zhungeer").stdout)
    s11 = next(r for r in z if r["unit"] == "S11")
    assert s11["composite"] == pytest.approx(71.6)  # 100 x (0.3 x 0.8 + 0.35 x 0.6 + 0.35 x 0.76)


def test_jsonl_and_csv():
    lines = run(CASES, "-p", PROFILE, "-f", "jsonl", "--month", "2024-03").stdout.splitlines()
    assert [json.loads(x)["unit"] for x in lines] == ["S11"]
    text = run(CASES, "-p", PROFILE, "-f", "csv", "--month", "2024-03").stdout
    assert text.splitlines()[0] == ",".join(KEYS)


def test_table_headers_follow_the_profile_language_or_lang():
    en = run(CASES, "-p", PROFILE, "--month", "2024-02")
    assert en.exit_code == 0 and en.stdout.split()[:2] == ["month", "unit"]
    zh = run(CASES, "-p", PROFILE, "--month", "2024-02", "--lang", "zh")
    assert zh.stdout.split()[:2] == ["月份", "承办单位"]


def test_markdown_reads_back():
    text = run(CASES, "-p", PROFILE, "-f", "markdown", "--month", "2024-03", "--lang", "en").stdout
    lines = [ln for ln in text.splitlines() if ln.startswith("|")]
    cells = [c.strip() for c in lines[2].strip("|").split("|")]
    assert cells[:3] == ["2024-03", "S11", "1"] and cells[-1] == "100.00"


def test_parquet_goes_to_a_file_or_a_stdout_that_is_no_terminal(tmp_path, monkeypatch):
    out = tmp_path / "s.parquet"
    result = run(CASES, "-p", PROFILE, "-f", "parquet", "-o", str(out))
    assert result.exit_code == 0, result.stderr
    expected = score([CASES], profile=load_profile(PROFILE))
    assert pq.read_table(out).to_pylist() == expected
    for args in ([], ["-o", "-"]):  # CliRunner's stdout is no terminal: the bytes go there
        piped = run(CASES, "-p", PROFILE, "-f", "parquet", *args)
        assert piped.exit_code == 0 and pq.read_table(pa.BufferReader(piped.stdout_bytes)).to_pylist() == expected
    monkeypatch.setattr("jiesu.io.atomic.stdout_is_terminal", lambda: True)
    refused = run(CASES, "-p", PROFILE, "-f", "parquet")
    assert refused.exit_code == 2 and "terminal" in refused.stderr and refused.stdout_bytes == b""


@pytest.mark.parametrize("args", [
    ["--month", "2024-2"], ["--month", "2024-13"], ["--by", "phone"], ["-f", "xml"], ["--lang", "fr"],
    ["--weights", "nope"],
])
def test_bad_options_exit_2(args):
    result = run(CASES, "-p", PROFILE, *args)
    assert result.exit_code == 2, result.stdout


def test_missing_input_and_broken_profile_exit_3(tmp_path):
    result = run(str(tmp_path / "absent.csv"), "-p", PROFILE)
    assert result.exit_code == 3 and "absent.csv" in result.stderr and result.stdout == ""
    bad = tmp_path / "p.toml"
    bad.write_text("not = [toml", encoding="utf-8")
    assert run(CASES, "-p", str(bad)).exit_code == 3


def test_no_callback_says_so_on_stderr_and_prints_empty_json():
    result = run(str(FIX / "no_callback.csv"), "-p", PROFILE, "-f", "json")
    assert result.exit_code == 0
    assert json.loads(result.stdout) == [] and "nothing to score" in result.stderr


def test_a_failed_run_leaves_an_existing_output_untouched(tmp_path):
    out = tmp_path / "scores.json"
    out.write_text("previous result\n", encoding="utf-8")
    broken = tmp_path / "broken.parquet"
    broken.write_bytes(b"PAR1 this is not parquet")
    result = run(str(broken), "-p", PROFILE, "-f", "json", "-o", str(out))
    assert result.exit_code == 3
    assert out.read_text(encoding="utf-8") == "previous result\n"
    assert sorted(p.name for p in tmp_path.iterdir()) == ["broken.parquet", "scores.json"]


def test_an_interrupted_write_leaves_an_existing_output_untouched(tmp_path, monkeypatch):
    import jiesu.io.atomic

    out = tmp_path / "scores.csv"
    out.write_text("previous result\n", encoding="utf-8")

    def interrupted(src, dst):
        raise KeyboardInterrupt

    monkeypatch.setattr(jiesu.io.atomic.os, "replace", interrupted)
    result = run(CASES, "-p", PROFILE, "-f", "csv", "-o", str(out))
    assert result.exit_code != 0
    assert out.read_text(encoding="utf-8") == "previous result\n"
    assert [p.name for p in tmp_path.iterdir()] == ["scores.csv"]  # no temporary file left


def test_output_file_holds_what_stdout_would(tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    result = run(CASES, "-p", PROFILE, "-f", "json", "-o", "s.json")  # a bare name: the current folder
    assert result.exit_code == 0 and result.stdout == ""
    assert Path("s.json").read_text(encoding="utf-8") == run(CASES, "-p", PROFILE, "-f", "json").stdout
