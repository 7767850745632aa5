"""Rules about the code itself: no module reaches into another's private names, and the library
never speaks of exit codes (only the command line maps errors to them)."""

from __future__ import annotations

import ast
from pathlib import Path

SRC = Path(__file__).resolve().parents[1] / "src" / "jiesu"


def _modules() -> list[tuple[Path, ast.Module]]:
    return [(p, ast.parse(p.read_text(encoding="utf-8"))) for p in sorted(SRC.rglob("*.py"))]


def test_no_module_imports_another_modules_private_name():
    offences = []
    for path, tree in _modules():
        jiesu_aliases: set[str] = set()
        for node in ast.walk(tree):
            if isinstance(node, ast.ImportFrom) and (node.level or (node.module or "").startswith("jiesu")):
                for alias in node.names:
                    if alias.name.startswith("_") and alias.name != "__version__":
                        offences.append(f"{path.relative_to(SRC)}:{node.lineno} imports {alias.name}")
                    jiesu_aliases.add(alias.asname or alias.name)
            elif isinstance(node, ast.Import):
                for alias in node.names:
                    if alias.name.startswith("jiesu"):
                        jiesu_aliases.add((alias.asname or alias.name).split(".")[0])
        for node in ast.walk(tree):
            if (isinstance(node, ast.Attribute) and node.attr.startswith("_") and not node.attr.startswith("__")
                    and isinstance(node.value, ast.Name) and node.value.id in jiesu_aliases):
                offences.append(f"{path.relative_to(SRC)}:{node.lineno} uses {node.value.id}.{node.attr}")
    assert offences == []


def test_the_library_knows_no_exit_codes():
    """Exit codes belong to jiesu.cli; library modules raise errors with codes and meanings."""
    offences = []
    for path, tree in _modules():
        if path.relative_to(SRC).parts[0] == "cli":
            continue
        for node in ast.walk(tree):
            if isinstance(node, ast.Name) and node.id in ("EXIT_USAGE", "EXIT_INVALID", "EXIT_CANNOT_RUN"):
                offences.append(f"{path.relative_to(SRC)}:{node.lineno}")
            if isinstance(node, ast.Attribute) and node.attr == "exit_code":
                offences.append(f"{path.relative_to(SRC)}:{node.lineno} .exit_code")
            if isinstance(node, ast.Call) and getattr(node.func, "attr", None) == "exit" and \
                    getattr(node.func.value, "id", None) == "sys":
                offences.append(f"{path.relative_to(SRC)}:{node.lineno} sys.exit")
    assert offences == []


def test_every_library_function_reading_case_records_takes_the_same_reading_options():
    """Zone-less Parquet is read only in a stated zone, and a cluster is one keyword away, in every
    call that reads case records (export writes one stream in file order: no scheduler)."""
    import inspect

    import jiesu

    reading = ["validate", "score", "rank", "aggregate", "score_timeliness", "topic_candidates", "track_topics",
               "warn", "trend", "disputes", "monthly_report", "export_open311"]
    for name in reading:
        params = inspect.signature(getattr(jiesu, name)).parameters
        assert params["naive_timezone"].kind is inspect.Parameter.KEYWORD_ONLY, name
        if name != "export_open311":
            assert params["scheduler"].kind is inspect.Parameter.KEYWORD_ONLY, name
        assert list(params)[-1] == "progress", name
