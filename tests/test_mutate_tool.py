"""tools/mutate.py stays applicable: each listed mutation's text occurs exactly once, so the list
cannot silently rot as the code changes (run `python tools/mutate.py` to see them all killed)."""

from __future__ import annotations

import importlib.util
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]


def test_every_mutation_applies_to_exactly_one_place():
    spec = importlib.util.spec_from_file_location("mutate", ROOT / "tools" / "mutate.py")
    mutate = importlib.util.module_from_spec(spec)
    sys.modules["mutate"] = mutate  # its dataclass needs its module registered
    spec.loader.exec_module(mutate)  # type: ignore[union-attr]
    assert len(mutate.MUTATIONS) >= 30
    assert {m.name: mutate.check_applies(m) for m in mutate.MUTATIONS} == {m.name: None for m in mutate.MUTATIONS}
    for m in mutate.MUTATIONS:
        assert all((ROOT / t).exists() for t in m.tests), m.name
