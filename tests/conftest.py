"""Shared test helpers."""

from __future__ import annotations

from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
FIXTURES = ROOT / "fixtures"


@pytest.fixture
def fixtures() -> Path:
    return FIXTURES

BOSTON = ROOT.parent / "shared" / "data" / "boston311-2015" / "boston311_2015_by_type_combined.csv.gz"


@pytest.fixture(scope="session")
def boston(tmp_path_factory: pytest.TempPathFactory):
    """The real Boston 2015 export imported once per test session through the boston-311 mapping,
    with a profile inferred in the same pass: (report, cases.parquet, boston.toml)."""
    if not BOSTON.is_file():
        pytest.skip(f"real Boston data not found at {BOSTON}")
    from jiesu.importers.run import import_cases

    d = tmp_path_factory.mktemp("boston311")
    out, prof = d / "cases.parquet", d / "boston.toml"
    report = import_cases([BOSTON], mapping="boston-311", output=out, profile_output=prof)
    return report, out, prof
