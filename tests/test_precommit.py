"""The pre-commit hooks of .pre-commit-hooks.yaml, run by pre-commit itself against a temporary
repository holding valid and invalid files, offline.

pre-commit installs a hook repository into a virtual environment of its own (``pip install .``).
So that the test needs no network, the hook repository is a committed copy of this checkout's
sources, pip is told to use no index and no build isolation, and the libraries jiesu needs
(pandas, pyarrow, ...) come from this test run's environment, appended to the hook environment's
path by a ``sitecustomize`` module (jiesu itself is the copy pre-commit installed).
"""

from __future__ import annotations

import os
import re
import shutil
import subprocess
import sys
import sysconfig
from pathlib import Path

import pytest

from tests.ci_kit import FIXTURES, ROOT, VENV_BIN, cases_with_prefix, doc_example, git, tool

HOOKS = ROOT / ".pre-commit-hooks.yaml"


def test_hook_definitions():
    import yaml

    hooks = {h["id"]: h for h in yaml.safe_load(HOOKS.read_text("utf-8"))}
    assert set(hooks) == {"jiesu-validate", "jiesu-profile-check"}
    assert hooks["jiesu-validate"]["entry"] == "jiesu validate"
    assert hooks["jiesu-profile-check"]["entry"] == "jiesu profile check"
    for h in hooks.values():
        assert h["language"] == "python" and h["require_serial"] is True
    data = re.compile(hooks["jiesu-validate"]["files"])
    profiles = re.compile(hooks["jiesu-profile-check"]["files"])
    for name in ("a.parquet", "x/y/b.csv", "c.ndjson", "d.jsonl", "e.pq"):
        assert data.search(name), name
    for name in ("package.json", "README.md", "a.csv.bak", "pyproject.toml"):
        assert not data.search(name), name
    for name in ("profiles/city.toml", "config/city-profile.toml", "profile.toml", "a/profiles/b.toml"):
        assert profiles.search(name), name
    for name in ("pyproject.toml", ".ruff.toml", "profiles/sub/x.toml", "profiles/a.yaml"):
        assert not profiles.search(name), name


def _profile_check_exists() -> bool:
    import typer

    from jiesu.cli.app import app

    root = typer.main.get_command(app)
    profile = root.get_command(typer.Context(root), "profile")  # type: ignore[attr-defined]
    return "check" in profile.list_commands(typer.Context(profile))  # type: ignore[attr-defined]


@pytest.fixture
def offline_env(tmp_path: Path) -> dict[str, str]:
    """The environment pre-commit runs in: no index, no build isolation, this run's libraries."""
    shim = tmp_path / "shim"
    shim.mkdir()
    site_dir = sysconfig.get_paths()["purelib"]
    (shim / "sitecustomize.py").write_text(f"import site\nsite.addsitedir({site_dir!r})\n")
    env = {k: v for k, v in os.environ.items() if not k.startswith(("PIP_", "PRE_COMMIT", "VIRTUAL_ENV"))}
    env.update({
        "PATH": os.pathsep.join([str(VENV_BIN), os.environ.get("PATH", "")]),
        "PYTHONPATH": str(shim), "PIP_NO_INDEX": "1", "PIP_NO_BUILD_ISOLATION": "0",
        "PIP_DISABLE_PIP_VERSION_CHECK": "1", "PRE_COMMIT_HOME": str(tmp_path / "pre-commit-home"),
        "PRE_COMMIT_COLOR": "never", "NO_COLOR": "1", "HOME": str(tmp_path),
        "GIT_AUTHOR_NAME": "t", "GIT_AUTHOR_EMAIL": "t@example.invalid",
        "GIT_COMMITTER_NAME": "t", "GIT_COMMITTER_EMAIL": "t@example.invalid",
    })
    return env


def hook_repository(dest: Path) -> str:
    """A committed copy of what `pip install .` needs from this checkout; returns its commit."""
    dest.mkdir()
    for name in ("pyproject.toml", "README.md", ".pre-commit-hooks.yaml"):
        shutil.copy2(ROOT / name, dest / name)
    shutil.copytree(ROOT / "src", dest / "src", ignore=shutil.ignore_patterns("__pycache__", "*.egg-info"))
    git(dest, "init", "-q")
    git(dest, "add", "-A")
    git(dest, "commit", "-q", "-m", "hooks")
    return git(dest, "rev-parse", "HEAD").strip()


def city_repository(dest: Path) -> None:
    """A city's repository: a valid and an invalid export, a good and a broken profile, and files
    neither hook should look at."""
    valid = FIXTURES / "valid" / "cases.ndjson"
    cases_with_prefix(valid, dest / "exports" / "good.ndjson", "G")

    def fax(i, rec):
        if i == 3:
            rec["channel"] = "fax"

    cases_with_prefix(valid, dest / "exports" / "bad.ndjson", "B", fax)
    (dest / "profiles").mkdir()
    beijing = (ROOT / "src" / "jiesu" / "profiles" / "beijing.toml").read_text("utf-8")
    (dest / "profiles" / "city.toml").write_text(beijing, encoding="utf-8")
    broken = (FIXTURES / "scoring" / "profile.toml").read_text("utf-8").replace(
        "resolution = 0.5\n", "resolution = 0.9\n", 1)
    assert broken != (FIXTURES / "scoring" / "profile.toml").read_text("utf-8")
    (dest / "profiles" / "broken.toml").write_text(broken, encoding="utf-8")
    (dest / "pyproject.toml").write_text('[project]\nname = "city-data"\n')
    (dest / "notes.json").write_text('{"not": "case records"}\n')
    git(dest, "init", "-q")
    git(dest, "add", "-A")
    git(dest, "commit", "-q", "-m", "data")


def pre_commit(args: list[str], cwd: Path, env: dict[str, str]) -> subprocess.CompletedProcess:
    return subprocess.run([tool("pre-commit"), *args], cwd=cwd, env=env, capture_output=True, text=True,
                          timeout=600, check=False)


def test_hooks_through_pre_commit_try_repo(tmp_path, offline_env):
    hooks = tmp_path / "jiesu"
    hook_repository(hooks)
    city = tmp_path / "city"
    city_repository(city)
    proc = pre_commit(["try-repo", str(hooks), "--all-files"], city, offline_env)  # every hook
    out = proc.stdout
    assert proc.returncode == 1, out + proc.stderr
    validate_part = out[out.index("jiesu validate (12345"):]
    assert re.search(r"^jiesu validate \(12345 case records\)\.+Failed$", out, re.MULTILINE), out
    assert "- exit code: 1" in validate_part
    # one run over both case files (require_serial), nothing else handed to it
    assert "120 rows in 2 files; 1 errors" in validate_part
    assert "exports/bad.ndjson:4 value 'fax'" in validate_part and "notes.json" not in out
    assert sys.executable not in out  # jiesu ran from the hook's own environment

    if not _profile_check_exists():
        pytest.skip("`jiesu profile check` is not on this branch yet: the jiesu-profile-check hook is untested")
    profile_part = out[out.index("jiesu profile check (city"):out.index("jiesu validate (12345")]
    assert re.search(r"^jiesu profile check \(city profiles\)\.+Failed$", out, re.MULTILINE), out
    assert "- exit code: 1" in profile_part
    assert ("profiles/broken.toml: scoring.weight_sets.practitioner: response, resolution and satisfaction "
            "must add up to 1") in profile_part
    assert "profiles/city.toml: ok" in profile_part and "pyproject.toml" not in profile_part


def test_documented_config_passes_a_clean_repository(tmp_path, offline_env):
    hooks = tmp_path / "jiesu"
    rev = hook_repository(hooks)
    city = tmp_path / "city"
    city_repository(city)
    git(city, "rm", "-q", "exports/bad.ndjson", "profiles/broken.toml")
    config = doc_example("pre-commit-config").replace("https://github.com/OWNER/jiesu", str(hooks))
    config = config.replace("rev: v0.1.0", f"rev: {rev}")
    if not _profile_check_exists():
        config = config.replace("      - id: jiesu-profile-check\n", "")
    (city / ".pre-commit-config.yaml").write_text(config, encoding="utf-8")
    git(city, "add", "-A")
    git(city, "commit", "-q", "-m", "clean")
    proc = pre_commit(["run", "--all-files"], city, offline_env)
    out = proc.stdout
    assert proc.returncode == 0, out + proc.stderr
    assert re.search(r"^jiesu validate \(12345 case records\)\.+Passed$", out, re.MULTILINE), out
