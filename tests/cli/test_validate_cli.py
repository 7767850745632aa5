"""`jiesu validate` through the CLI: exit codes, formats, JSON parity with the library."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from typer.testing import CliRunner

from jiesu.cli.app import app
from jiesu.validation import validate

FIX = Path(__file__).resolve().parents[2] / "fixtures"
runner = CliRunner()


def run(*args: str, **kw):
    return runner.invoke(app, list(args), **kw)


def test_valid_exits_0_and_says_so():
    result = run("validate", str(FIX / "valid" / "cases.ndjson"))
    assert result.exit_code == 0, result.stderr
    assert "valid" in result.stdout and "60 rows" in result.stdout


def test_invalid_exits_1_and_json_is_printed_whole_and_equals_library():
    path = FIX / "invalid" / "wrong-type.ndjson"
    result = run("validate", "--format", "json", str(path))
    assert result.exit_code == 1
    payload = json.loads(result.stdout)
    assert payload == validate([path]).to_dict()
    assert payload["valid"] is False and payload["schema"]["version"] == "1.0.1"
    assert {n["code"] for n in payload["notices"]} == {"wrong-type"}


def test_warnings_pass_unless_strict():
    path = str(FIX / "invalid" / "closed-without-closed-at.ndjson")
    assert run("validate", path).exit_code == 0
    assert run("validate", "--strict", path).exit_code == 1


def test_github_annotations():
    result = run("validate", "--format", "github", str(FIX / "invalid" / "not-in-enum.ndjson"))
    assert result.exit_code == 1
    lines = result.stdout.strip().splitlines()
    assert lines[0].startswith("::error file=") and ",line=6," in lines[0] and "title=not-in-enum channel" in lines[0]
    assert lines[-1].startswith("::notice title=jiesu validate::invalid")


def test_max_samples_option():
    result = run("validate", "-f", "json", "--max-samples", "0", str(FIX / "invalid" / "not-in-enum.ndjson"))
    assert json.loads(result.stdout)["notices"][0]["samples"] == []


@pytest.mark.parametrize("name", ["truncated.parquet", "garbage.csv", "wrong-column-type.parquet", "naive-timestamp.parquet"])
def test_unreadable_input_exits_3_with_one_line(name):
    result = run("validate", str(FIX / "invalid" / name))
    assert result.exit_code == 3
    assert result.stdout == ""
    lines = result.stderr.strip().splitlines()
    assert len(lines) == 1 and lines[0].startswith("jiesu: error:") and "Traceback" not in result.stderr


def test_missing_path_and_empty_folder_exit_3(tmp_path):
    assert run("validate", str(tmp_path / "missing.csv")).exit_code == 3
    result = run("validate", str(tmp_path))
    assert result.exit_code == 3 and "no data files" in result.stderr


def test_usage_errors_exit_2():
    assert run("validate", "--format", "yaml", str(FIX / "valid" / "cases.csv")).exit_code == 2
    assert run("validate").exit_code == 2
    assert run("validate", "--max-samples", "-1", str(FIX / "valid" / "cases.csv")).exit_code == 2


def test_broken_profile_exits_3(tmp_path):
    bad = tmp_path / "city.toml"
    bad.write_text("[city]\nid = 'x'\n")
    result = run("validate", "--profile", str(bad), str(FIX / "valid" / "cases.csv"))
    assert result.exit_code == 3 and "profile" in result.stderr


def test_output_file_is_written_atomically(tmp_path):
    out = tmp_path / "report.json"
    out.write_text("previous")
    result = run("validate", "-f", "json", "-o", str(out), str(FIX / "invalid" / "time-order.ndjson"))
    assert result.exit_code == 1 and result.stdout == ""
    assert json.loads(out.read_text())["errors"] == 1
    # a run that cannot read its input leaves the existing report untouched
    result = run("validate", "-f", "json", "-o", str(out), str(FIX / "invalid" / "garbage.csv"))
    assert result.exit_code == 3 and json.loads(out.read_text())["errors"] == 1
    assert [p.name for p in tmp_path.iterdir()] == ["report.json"]


def test_no_color_respected(monkeypatch):
    result = run("validate", str(FIX / "invalid" / "garbage.csv"), env={"NO_COLOR": "1"})
    assert "\x1b[" not in result.stderr


def test_broken_symlink_is_an_unreadable_path(tmp_path):
    link = tmp_path / "cases.parquet"
    link.symlink_to(tmp_path / "gone.parquet")
    result = run("validate", str(link))
    assert result.exit_code == 3 and "no such file" in result.stderr


def test_unexpected_failure_prints_no_record_and_exits_3(monkeypatch, capsys):
    import sys

    import jiesu.validation
    from jiesu.cli import app as app_module

    def explode(*args, **kwargs):
        raise RuntimeError("row 7: requester 13812345678 at 1 Main St")

    monkeypatch.setattr(jiesu.validation, "validate", explode)
    monkeypatch.setattr(sys, "argv", ["jiesu", "validate", str(FIX / "valid" / "cases.csv")])
    monkeypatch.delenv("JIESU_DEBUG", raising=False)
    with pytest.raises(SystemExit) as info:
        app_module.main()
    err = capsys.readouterr().err
    assert info.value.code == 3
    assert "RuntimeError" in err and "13812345678" not in err and "Main St" not in err and "Traceback" not in err
