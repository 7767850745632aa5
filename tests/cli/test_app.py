"""The application shell: version, help speed (no heavy imports), profile show."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

from typer.testing import CliRunner

from jiesu import __version__
from jiesu.cli.app import app

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
