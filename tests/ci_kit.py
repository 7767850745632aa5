"""Helpers of the CI kit's tests: the examples of docs/ci.md, a local runner of action.yml's
composite steps, case files with their own ids, the external tools the tests need."""

from __future__ import annotations

import json
import os
import re
import shutil
import subprocess
import sys
from dataclasses import dataclass, field
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
FIXTURES = ROOT / "fixtures"
ACTION = ROOT / "action.yml"
CI_DOC = ROOT / "docs" / "ci.md"
#: the directory holding the `jiesu` this test run uses (the current checkout, installed editable)
VENV_BIN = Path(sys.executable).parent


def doc_example(name: str, doc: Path = CI_DOC) -> str:
    """The fenced block that follows ``<!-- example: NAME -->`` in a document."""
    m = re.search(rf"<!-- example: {re.escape(name)} -->\n```[a-z]*\n(.*?)```", doc.read_text("utf-8"), re.DOTALL)
    assert m, f"{doc.name} has no example {name!r}"
    return m.group(1)


def tool(name: str) -> str:
    """The path of an external tool the tests need. In CI (``CI`` set) a missing tool fails the
    test, since `.ci/run` installs it; elsewhere the test is skipped with the reason."""
    found = shutil.which(name, path=os.pathsep.join([str(VENV_BIN), os.environ.get("PATH", "")]))
    if found:
        return found
    if os.environ.get("CI"):
        pytest.fail(f"{name} is not installed: `pip install -e '.[test]'` should have installed it")
    pytest.skip(f"{name} is not installed (pip install -e '.[test]')")


def git(cwd: Path, *args: str) -> str:
    env = {**os.environ, "GIT_AUTHOR_NAME": "t", "GIT_AUTHOR_EMAIL": "t@example.invalid",
           "GIT_COMMITTER_NAME": "t", "GIT_COMMITTER_EMAIL": "t@example.invalid", "GIT_CONFIG_NOSYSTEM": "1",
           "HOME": str(cwd)}
    return subprocess.run(["git", "-c", "init.defaultBranch=main", "-c", "commit.gpgsign=false", *args],
                          cwd=cwd, env=env, check=True, capture_output=True, text=True).stdout


def cases_with_prefix(src: Path, dst: Path, prefix: str, edit=None) -> Path:
    """An NDJSON copy of a fixture whose case ids start with ``prefix`` (so files do not share
    ids); ``edit(index, record)`` may change a record."""
    out = []
    for i, line in enumerate(src.read_text("utf-8").splitlines()):
        rec = json.loads(line)
        if isinstance(rec, dict) and isinstance(rec.get("case_id"), str):
            rec["case_id"] = prefix + rec["case_id"]
        if edit is not None:
            edit(i, rec)
        out.append(json.dumps(rec, ensure_ascii=False))
    dst.parent.mkdir(parents=True, exist_ok=True)
    dst.write_text("\n".join(out) + "\n", encoding="utf-8")
    return dst


# ------------------------------------------------------------------ a local runner of action.yml

_EXPR = re.compile(r"\$\{\{\s*(.*?)\s*\}\}")


@dataclass
class ActionRun:
    code: int
    stdout: str
    stderr: str
    summary: str
    outputs: dict[str, str]
    path_added: list[str]
    skipped: list[str] = field(default_factory=list)  # `uses:` steps (GitHub runs them, not this)

    def annotations(self, level: str | None = None) -> list[str]:
        lines = [ln for ln in self.stdout.splitlines() if ln.startswith("::")]
        return [ln for ln in lines if level is None or ln.startswith(f"::{level} ")]


def load_action() -> dict:
    import yaml

    return yaml.safe_load(ACTION.read_text("utf-8"))


def _expand(text: str, inputs: dict[str, str]) -> str:
    def one(m: re.Match[str]) -> str:
        expr = m.group(1)
        if expr.startswith("inputs."):
            return inputs[expr.removeprefix("inputs.")]
        raise AssertionError(f"the local runner does not know the expression {expr!r}")
    return _EXPR.sub(one, text)


def run_action(inputs: dict[str, str], workspace: Path, runner_temp: Path, path: list[str],
               only: str | None = None, extra_env: dict[str, str] | None = None) -> ActionRun:
    """Run action.yml's `run:` steps as GitHub would (bash -eo pipefail, each step's env, the
    GITHUB_* files), in ``workspace``; ``path`` is PATH. Steps that `uses:` another action are
    listed in ``skipped``. Stops at the first failing step; ``only`` runs one step by name."""
    action = load_action()
    values = {name: str(spec.get("default", "")) for name, spec in action["inputs"].items()}
    unknown = set(inputs) - set(values)
    assert not unknown, f"not inputs of the action: {unknown}"
    values.update(inputs)
    for name, spec in action["inputs"].items():
        if spec.get("required") and not values[name]:
            raise AssertionError(f"input {name} is required")
    runner_temp.mkdir(parents=True, exist_ok=True)
    files = {k: runner_temp / f"{k.lower()}.txt" for k in ("GITHUB_STEP_SUMMARY", "GITHUB_OUTPUT", "GITHUB_PATH", "GITHUB_ENV")}
    for f in files.values():
        f.write_text("")
    base = {"PATH": os.pathsep.join(path), "HOME": os.environ.get("HOME", str(runner_temp)),
            "LANG": "C.UTF-8", "RUNNER_TEMP": str(runner_temp), "GITHUB_ACTION_PATH": str(ROOT),
            "GITHUB_WORKSPACE": str(workspace), "GITHUB_ACTIONS": "true", "CI": "true",
            **{k: str(v) for k, v in files.items()}, **(extra_env or {})}
    out, err, skipped, added = [], [], [], []
    code = 0
    for i, step in enumerate(action["runs"]["steps"]):
        if "uses" in step:
            skipped.append(step["uses"])
            continue
        if only is not None and step.get("name") != only:
            continue
        assert step.get("shell") == "bash", "every run step says shell: bash"
        assert "${{" not in step["run"], "expressions reach scripts only through env"
        script = runner_temp / f"step{i}.sh"
        script.write_text(step["run"], encoding="utf-8")
        env = {**base, **{k: _expand(str(v), values) for k, v in step.get("env", {}).items()}}
        proc = subprocess.run(["bash", "--noprofile", "--norc", "-eo", "pipefail", str(script)],
                              cwd=workspace, env=env, capture_output=True, text=True, timeout=300, check=False)
        out.append(proc.stdout)
        err.append(proc.stderr)
        new_path = [p for p in files["GITHUB_PATH"].read_text().splitlines() if p]
        files["GITHUB_PATH"].write_text("")
        added += new_path
        base["PATH"] = os.pathsep.join([*reversed(new_path), base["PATH"]])
        code = proc.returncode
        if code != 0:
            break
    outputs = dict(line.split("=", 1) for line in files["GITHUB_OUTPUT"].read_text().splitlines() if "=" in line)
    return ActionRun(code, "".join(out), "".join(err), files["GITHUB_STEP_SUMMARY"].read_text("utf-8"),
                     outputs, added, skipped)
