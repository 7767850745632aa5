"""The application shell: version, help speed (no heavy imports), profile show."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

from typer.testing import CliRunner

from jiesu import __version__
from jiesu.cli.app import COMMANDS, _application, app

ROOT = Path(__file__).resolve().parents[2]
runner = CliRunner()


def test_version():
    result = runner.invoke(app, ["--version"])
    assert result.exit_code == 0 and result.stdout.strip() == f"jiesu {__version__}"


def test_help_does_not_import_heavy_modules():
    code = ("import sys; from jiesu.cli.app import app; "
            "heavy = [m for m in ('pandas', 'pyarrow', 'numpy', 'jsonschema', 'scipy') if m in sys.modules]; print(heavy)")
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True).stdout
    assert out.strip() == "[]"


def test_profile_show(tmp_path):
    import json

    result = runner.invoke(app, ["profile", "show", "--format", "json"])
    assert result.exit_code == 0
    data = json.loads(result.stdout)
    # 343 streets and townships + 5 zones at street level; 16 districts + 经开区 at district tier
    assert data["units"]["street"] == 348 and data["units"]["district"] == 17
    assert data["ranked_units"]["street"] == 343 and data["ranked_units"]["district"] == 17
    assert data["zones"]["ids"] == ["110115403", "110115404", "110115405", "110115406", "110116400", "110118400"]
    assert data["zones"]["illustrative"] is True and data["zones"]["dispatch"] == "district"
    assert data["scoring"]["illustrative"] is True and data["scoring"]["weights"]["practitioner"]["resolution"] == 0.5
    text = runner.invoke(app, ["profile", "show"]).stdout
    assert "illustrative" in text
    assert "units ranked: 343 street, 17 district" in text
    assert "goes to: district [illustrative: not published by the city]" in text
    assert runner.invoke(app, ["profile", "show", "--profile", str(tmp_path / "none.toml")]).exit_code == 3


def _modules_after(argv: list[str]) -> set[str]:
    """The modules a fresh process has imported after running ``jiesu ARGV``."""
    code = ("import sys; sys.argv = ['jiesu', *sys.argv[1:]]\n"
            "from jiesu.cli.app import main\n"
            "try:\n    main()\nexcept SystemExit:\n    pass\n"
            "sys.stderr.write('\\n' + ' '.join(sorted(sys.modules)))")
    out = subprocess.run([sys.executable, "-c", code, *argv], capture_output=True, text=True, cwd=ROOT, check=False)
    return set(out.stderr.strip().splitlines()[-1].split())


def test_version_is_answered_before_typer_is_imported():
    mods = _modules_after(["--version"])
    assert not {m for m in mods if m.split(".")[0] in ("typer", "click", "pyarrow", "numpy")}
    assert not {m for m in mods if m.startswith("jiesu.") and m not in ("jiesu.cli", "jiesu.cli.app")}
    out = subprocess.run([sys.executable, "-c", ("import sys; sys.argv = ['jiesu', '--version']\n"
                          "from jiesu.cli.app import main; main()")], capture_output=True, text=True, check=True)
    assert out.stdout == f"jiesu {__version__}\n" and out.returncode == 0


def test_validating_a_small_file_imports_only_what_it_needs():
    mods = _modules_after(["validate", str(ROOT / "fixtures" / "valid" / "cases.parquet")])
    assert "jiesu.validation.engine" in mods  # it did run
    # pydantic (typer >= 0.29 checks options with it), pandas, the table renderer for a report
    # without notices, python-jsonschema when no sample needs explaining, Dask: none is needed
    for name in ("pydantic", "pandas", "tabulate", "jsonschema", "dask", "rich", "duckdb"):
        assert name not in mods, name
    # only the command named is built: no other command's module is imported
    others = {f"jiesu.cli.{module}" for name, (module, _) in COMMANDS.items() if name != "validate"}
    assert not mods & others, mods & others


def test_an_application_of_one_command_answers_as_the_whole_application():
    """main() builds only the command the line names: its help, usage errors and sub-commands are
    the whole application's, word for word."""
    for name, (_, kind) in COMMANDS.items():
        one = _application(name)
        assert [c.name for c in [*one.registered_commands, *one.registered_groups]] == [name]
        group = next((g.typer_instance for g in _application().registered_groups if g.name == name), None)
        subs = [[], *([c.name] for c in (group.registered_commands if group else []))]
        assert (group is None) == (kind == "command") and len(subs) > (kind == "group")
        for sub in subs:
            for args in ([name, *sub, "--help"], [name, *sub, "--no-such-option"]):
                whole, alone = runner.invoke(_application(), args), runner.invoke(one, args)
                assert (alone.exit_code, alone.output) == (whole.exit_code, whole.output), args


def test_scoring_parquet_needs_neither_arrow_compute_nor_the_text_readers():
    mods = _modules_after(["score", str(ROOT / "fixtures" / "writers" / "pyarrow.parquet"), "--format", "csv"])
    assert "jiesu.scoring" in mods
    for name in ("pyarrow.compute", "jiesu.io.json_reader", "jiesu.io.csv_reader", "pydantic", "pandas"):
        assert name not in mods, name
