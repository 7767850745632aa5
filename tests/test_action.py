"""action.yml, run locally: its scripts with the GITHUB_* files pointed at temporary files and the
jiesu of this checkout; then actionlint and shellcheck on the action and the documented workflow."""

from __future__ import annotations

import json
import os
import re
import subprocess
from pathlib import Path

import pytest

from tests.ci_kit import (
    ACTION,
    CI_DOC,
    FIXTURES,
    ROOT,
    VENV_BIN,
    cases_with_prefix,
    doc_example,
    git,
    load_action,
    run_action,
    tool,
)

VALID = FIXTURES / "valid" / "cases.ndjson"
SYSTEM_PATH = ["/usr/local/bin", "/usr/bin", "/bin"]


def jiesu_path() -> list[str]:
    return [str(VENV_BIN), *SYSTEM_PATH]


def valid_records() -> list[dict]:
    return [json.loads(line) for line in VALID.read_text("utf-8").splitlines()]


@pytest.fixture
def workspace(tmp_path: Path) -> Path:
    ws = tmp_path / "ws"
    ws.mkdir()
    return ws


def test_metadata_inputs_outputs_and_steps():
    action = load_action()
    assert set(action["inputs"]) == {"paths", "profile", "strict", "python-version", "version", "report"}
    assert action["inputs"]["paths"]["required"] is True
    assert {k: v.get("default") for k, v in action["inputs"].items() if k != "paths"} == {
        "profile": "beijing", "strict": "false", "python-version": "3.11", "version": "", "report": "jiesu-report.json"}
    assert set(action["outputs"]) == {"report", "exit-code"}
    assert action["runs"]["using"] == "composite"
    steps = action["runs"]["steps"]
    assert [s.get("name") for s in steps] == ["Set up Python", "Install jiesu", "Validate"]
    for step in steps:
        if "uses" in step:
            assert re.fullmatch(r"actions/[a-z-]+@v\d+", step["uses"]), step["uses"]
        else:  # inputs reach a script only through env: a value cannot inject a command
            assert step["shell"] == "bash" and "${{" not in step["run"]


def test_valid_exports_pass_with_a_summary_and_a_report(workspace, tmp_path):
    cases_with_prefix(VALID, workspace / "exports" / "march.ndjson", "A")
    run = run_action({"paths": "exports/", "version": "none"}, workspace, tmp_path / "runner", jiesu_path())
    assert run.code == 0, run.stderr
    assert run.skipped == ["actions/setup-python@v6"]
    assert run.annotations() == ["::notice title=jiesu validate::valid: 60 rows, 0 errors, 0 warnings (schema 1.0.1)"]
    assert run.summary.startswith("## jiesu validate: valid\n")
    assert "| exports/march.ndjson | ndjson | 60 |  |" in run.summary
    assert run.outputs == {"report": "jiesu-report.json", "exit-code": "0"}
    report = json.loads((workspace / "jiesu-report.json").read_text("utf-8"))
    assert report["valid"] is True and report["rows"] == 60 and report["notices"] == []


def test_invalid_exports_fail_with_annotations_on_the_lines(workspace, tmp_path):
    def bad_channels(i, rec):
        if i in (2, 9):
            rec["channel"] = "fax"

    def no_received_at(i, rec):
        if i == 4:
            del rec["received_at"]

    cases_with_prefix(VALID, workspace / "exports" / "a.ndjson", "A", bad_channels)
    cases_with_prefix(VALID, workspace / "more" / "b.ndjson", "B", no_received_at)
    paths = "  exports/\n  more/b.ndjson \n"  # spaces and new lines both separate
    run = run_action({"paths": paths, "version": "none", "report": "out/report.json"}, workspace,
                     tmp_path / "runner", jiesu_path())
    assert run.code == 1
    errors = run.annotations("error")
    assert len(errors) == 3
    assert sum(a.startswith("::error file=exports/a.ndjson,line=3,title=not-in-enum channel::") for a in errors) == 1
    assert sum(a.startswith("::error file=exports/a.ndjson,line=10,title=not-in-enum channel::") for a in errors) == 1
    assert sum(a.startswith("::error file=more/b.ndjson,line=5,title=missing-required received_at::") for a in errors) == 1
    assert run.annotations()[-1] == "::notice title=jiesu validate::invalid: 120 rows, 3 errors, 0 warnings (schema 1.0.1)"
    assert run.summary.startswith("## jiesu validate: INVALID\n")
    assert "| error | not-in-enum | channel | 2 |" in run.summary
    assert "| error | missing-required | received\\_at | 1 |" in run.summary  # escaped for Markdown
    assert run.outputs == {"report": "out/report.json", "exit-code": "1"}
    report = json.loads((workspace / "out" / "report.json").read_text("utf-8"))
    assert (report["valid"], report["errors"], report["rows"]) == (False, 3, 120)
    assert {(n["code"], n["field"]): n["by_file"] for n in report["notices"]} == {
        ("missing-required", "received_at"): {"more/b.ndjson": 1},
        ("not-in-enum", "channel"): {"exports/a.ndjson": 2},
    }


def test_warnings_fail_only_when_strict(workspace, tmp_path):
    closed = next(i for i, r in enumerate(valid_records()) if r["status"] == "closed" and r.get("closed_at"))

    def drop_closed_at(i, rec):
        if i == closed:
            rec["closed_at"] = None

    cases_with_prefix(VALID, workspace / "w.ndjson", "W", drop_closed_at)
    runs = {s: run_action({"paths": "w.ndjson", "version": "none", "strict": s}, workspace, tmp_path / s, jiesu_path())
            for s in ("false", "true", "maybe")}
    assert runs["false"].code == 0
    assert runs["false"].annotations("warning") == [
        (f"::warning file=w.ndjson,line={closed + 1},title=closed-without-closed-at closed_at::"
         "closed_at is empty but status is closed; 1 rows in all")]
    assert runs["true"].code == 1 and "## jiesu validate: INVALID" in runs["true"].summary
    assert runs["maybe"].code == 2
    assert runs["maybe"].annotations() == ["::error title=jiesu::strict must be true or false"]


def test_could_not_run_says_so_in_the_summary(workspace, tmp_path):
    cases_with_prefix(VALID, workspace / "x.ndjson", "X")
    run = run_action({"paths": "x.ndjson", "version": "none", "profile": "no-such-profile.toml"}, workspace,
                     tmp_path / "runner", jiesu_path())
    assert run.code == 3
    assert "no-such-profile.toml" in run.stderr and "Traceback" not in run.stderr
    assert run.summary == "## jiesu validate could not run (exit 3): see the step's log\n"
    assert run.outputs == {"exit-code": "3"}  # no report to upload
    empty = run_action({"paths": " \n ", "version": "none"}, workspace, tmp_path / "r2", jiesu_path())
    assert empty.code == 2 and empty.annotations() == ["::error title=jiesu::the paths input names no file or folder"]


STUB_PYTHON = """#!/bin/bash
echo "$(basename "$0") $*" >> "$STUB_LOG"
if [ "$1" = -m ] && [ "$2" = venv ]; then mkdir -p "$3/bin" && cp "$0" "$3/bin/python"; fi
"""


@pytest.mark.parametrize(("version", "spec"), [
    ("", "{root}"),                       # the action's own checkout: the tag in `uses:`
    ("0.2.0", "jiesu==0.2.0"),
    ("v0.2.0", "jiesu==0.2.0"),
    ("jiesu @ git+https://example.invalid/jiesu@v1", "jiesu @ git+https://example.invalid/jiesu@v1"),
])
def test_install_step_installs_the_requested_jiesu_into_a_venv(tmp_path, workspace, version, spec):
    stubs = tmp_path / "stubs"
    stubs.mkdir()
    (stubs / "python3").write_text(STUB_PYTHON)
    (stubs / "python3").chmod(0o755)
    log = tmp_path / "log"
    runner = tmp_path / "runner"
    run = run_action({"paths": "x", "version": version}, workspace, runner, [str(stubs), *SYSTEM_PATH],
                     only="Install jiesu", extra_env={"STUB_LOG": str(log)})
    assert run.code == 0, run.stderr
    venv = runner / "jiesu-venv"
    assert log.read_text().splitlines() == [
        f"python3 -m venv {venv}",
        f"python -m pip install --quiet --disable-pip-version-check {spec.format(root=ROOT)}",
    ]
    assert run.path_added == [str(venv / "bin")]


def test_install_step_with_version_none_needs_jiesu_on_path(tmp_path, workspace):
    run = run_action({"paths": "x", "version": "none"}, workspace, tmp_path / "r", SYSTEM_PATH, only="Install jiesu")
    assert run.code == 3 and run.annotations() == ["::error title=jiesu::version is none but no jiesu is on PATH"]
    run = run_action({"paths": "x", "version": "none"}, workspace, tmp_path / "r", jiesu_path(), only="Install jiesu")
    assert run.code == 0 and run.path_added == []


# ------------------------------------------------------------------ linters

def _project_with_workflow(tmp_path: Path, workflow: str, action: str | None = None) -> Path:
    """A git repository holding action.yml and a workflow that uses it as `uses: ./`."""
    proj = tmp_path / "proj"
    (proj / ".github" / "workflows").mkdir(parents=True)
    (proj / "action.yml").write_text(action if action is not None else ACTION.read_text("utf-8"), encoding="utf-8")
    (proj / ".github" / "workflows" / "jiesu.yml").write_text(workflow, encoding="utf-8")
    git(proj, "init", "-q")
    return proj


def documented_workflow() -> str:
    text = doc_example("github-workflow")
    assert text.count("OWNER/jiesu@v0.1.0") == 1
    return text.replace("OWNER/jiesu@v0.1.0", "./")


def actionlint(proj: Path) -> subprocess.CompletedProcess:
    env = {**os.environ, "PATH": os.pathsep.join([str(VENV_BIN), os.environ.get("PATH", "")])}
    return subprocess.run([tool("actionlint"), "-no-color", "-oneline"], cwd=proj, env=env,
                          capture_output=True, text=True, timeout=120, check=False)


def test_actionlint_passes_the_action_and_the_documented_workflow(tmp_path):
    tool("shellcheck")  # actionlint runs it on the workflow's scripts when it is on PATH
    proc = actionlint(_project_with_workflow(tmp_path, documented_workflow()))
    assert proc.returncode == 0, proc.stdout + proc.stderr


def test_actionlint_catches_a_wrong_input_and_a_broken_action(tmp_path):
    wrong_input = documented_workflow().replace("paths: exports/", "pathz: exports/")
    proc = actionlint(_project_with_workflow(tmp_path / "a", wrong_input))
    assert proc.returncode == 1
    assert 'input "pathz" is not defined in action "jiesu validate"' in proc.stdout
    assert 'missing input "paths" which is required by action "jiesu validate"' in proc.stdout
    broken = ACTION.read_text("utf-8").replace("\ndescription:", "\ndescriptio:", 1)
    proc = actionlint(_project_with_workflow(tmp_path / "b", documented_workflow(), broken))
    assert proc.returncode == 1 and "description is required in metadata" in proc.stdout


def test_shellcheck_passes_the_action_scripts(tmp_path):
    shellcheck = tool("shellcheck")
    for step in load_action()["runs"]["steps"]:
        if "run" in step:
            proc = subprocess.run([shellcheck, "--shell=bash", "--severity=style", "-"], input=step["run"],
                                  capture_output=True, text=True, timeout=60, check=False)
            assert proc.returncode == 0, f"{step['name']}:\n{proc.stdout}"
    proc = subprocess.run([shellcheck, "--shell=bash", "-"], input='x=$1\nrm -rf $x/*\n',
                          capture_output=True, text=True, check=False)
    assert proc.returncode == 1  # the checker does check


def test_readme_three_lines_use_the_action_as_documented(tmp_path):
    import yaml

    readme = (ROOT / "README.md").read_text("utf-8")
    section = readme[readme.index("## Use it in CI"):]
    block = section[section.index("```yaml\n") + 8:section.index("```\n", section.index("```yaml\n") + 8)]
    assert len(block.splitlines()) == 3
    (step,) = yaml.safe_load(block)
    inputs = load_action()["inputs"]
    assert set(step["with"]) <= set(inputs)
    assert {k for k, v in inputs.items() if v.get("required")} <= set(step["with"])
    assert f"```yaml\n{block}```" in CI_DOC.read_text("utf-8")  # docs/ci.md starts from the same lines
    workflow = ("on: push\njobs:\n  validate:\n    runs-on: ubuntu-latest\n    steps:\n"
                "      - uses: actions/checkout@v5\n" + block.replace("OWNER/jiesu@v0.1.0", "./"))
    proc = actionlint(_project_with_workflow(tmp_path, workflow))
    assert proc.returncode == 0, proc.stdout


def test_gitlab_example_writes_the_reports_it_publishes(tmp_path):
    import xml.etree.ElementTree as ET

    import yaml

    job = yaml.safe_load(doc_example("gitlab-ci"))["validate-cases"]
    artifacts = job["artifacts"]
    assert artifacts["when"] == "always"  # the report is kept when validation fails too
    commands = [c for c in job["script"] if c.startswith("jiesu ")]
    assert len(commands) == 1 and all(c.startswith("pip install") for c in job["script"] if c not in commands)

    def fax(i, rec):
        if i == 7:
            rec["channel"] = "fax"

    env = {**os.environ, "PATH": os.pathsep.join(jiesu_path())}
    for name, edit, code, failures in (("ok", None, 0, "0"), ("bad", fax, 1, "1")):
        ws = tmp_path / name
        cases_with_prefix(VALID, ws / "exports" / "cases.ndjson", "G", edit)
        proc = subprocess.run(["bash", "-eo", "pipefail", "-c", commands[0]], cwd=ws, env=env,
                              capture_output=True, text=True, timeout=120, check=False)
        assert proc.returncode == code, proc.stderr
        root = ET.parse(ws / artifacts["reports"]["junit"]).getroot()
        assert root.get("failures") == failures
        for path in artifacts["paths"]:
            assert (ws / path).is_file()
