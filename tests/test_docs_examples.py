"""The examples in the docs run: docs/library.md and the README's library example as doctests,
from the repository root."""

from __future__ import annotations

import doctest
import os
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]


@pytest.mark.parametrize(("doc", "examples"), [("docs/library.md", 15), ("README.md", 4)])
def test_doc_examples_run(doc, examples, monkeypatch):
    monkeypatch.chdir(ROOT)
    result = doctest.testfile(str(ROOT / doc), module_relative=False, optionflags=doctest.ELLIPSIS,
                              raise_on_error=False, verbose=False)
    assert result.attempted >= examples
    assert result.failed == 0, f"{result.failed} of {result.attempted} examples in {doc} failed"


def test_help_shows_the_whole_library_face():
    out = subprocess.run([sys.executable, "-c", "import jiesu; help(jiesu)"], capture_output=True, text=True,
                         check=True, env={**os.environ, "PAGER": "cat", "TERM": "dumb"}).stdout
    for name in ("validate(", "score(", "rank(", "simulate(", "aggregate(", "load_profile(",
                 "class Report", "class Profile", "class Aggregate", "class JiesuError", "VERSION"):
        assert name in out, name
