"""Break jiesu's rules one line at a time and check that the test suite notices each break.

    python tools/mutate.py            # every mutation, each against the tests that guard it
    python tools/mutate.py --list     # the mutations only
    python tools/mutate.py -k improving

Each mutation is one textual change to one line of the scoring, ranking, validation or output rules
(the text must occur exactly once in its file). The repository's src/, tests/ and fixtures/ are
copied beside the checkout (so ``../shared`` still resolves), the mutation is applied to the copy,
and the tests named for it run against the copy (``PYTHONPATH`` puts the copy first). A mutation
the tests still pass with has *survived*: the rule is not tested. Exit 0 when every mutation is
killed, 1 when one survives, 2 when a mutation no longer applies (its text changed: update it here).
"""

from __future__ import annotations

import argparse
import os
import shutil
import subprocess
import sys
import tempfile
import time
from dataclasses import dataclass
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]


@dataclass(frozen=True)
class Mutation:
    name: str
    file: str  # relative to src/jiesu
    find: str
    replace: str
    tests: tuple[str, ...]


M = Mutation
MUTATIONS: tuple[Mutation, ...] = (
    # ---- ranking
    M("improving without a positive gain", "ranking.py",
      "if exact[k] > exact_prev[k] and k not in placed}", "if k not in placed}",
      ("tests/test_ranking.py",)),
    M("exclusive classes ignored", "ranking.py",
      "placed = advanced | rectification if exclusive else set()", "placed = set()",
      ("tests/test_ranking.py",)),
    M("a level's own class size ignored", "ranking.py",
      "size = profile.ranking.size_for(level)", "size = profile.ranking.class_size", ("tests/test_ranking.py",)),
    M("governance per residents when any unit has a population", "ranking.py",
      "per_capita = bool(units) and all(u.population for u in units)",
      "per_capita = bool(units) and any(u.population for u in units)", ("tests/test_ranking.py",)),
    M("advanced not capped at half the ranked units", "ranking.py",
      "half = min(size, len(exact) // 2)", "half = size", ("tests/test_ranking.py",)),
    M("rectification may take an advanced unit", "ranking.py",
      "{k: v for k, v in exact.items() if k not in advanced}", "dict(exact)", ("tests/test_ranking.py",)),
    M("ranked below the minimum volume", "ranking.py",
      'if c is not None and cur["scored"] >= min_scored:', "if c is not None:", ("tests/test_ranking.py",)),
    M("dense instead of competition ranking", "ranking.py",
      "        out[key] = lo + 1", "        out[key] = len(set(ordered[:lo])) + 1", ("tests/test_ranking.py",)),
    M("ties at a class cut-off left out", "ranking.py",
      "if r <= size}", "if r <= size and list(values).index(k) < size}", ("tests/test_ranking.py",)),
    # ---- scoring
    M("basically satisfied counted as satisfied", "scoring.py",
      'satisfaction = ((counts["satisfied"] + rules.basically_satisfied_weight * counts["basically_satisfied"])',
      'satisfaction = ((counts["satisfied"] + counts["basically_satisfied"])',
      ("tests/test_scoring.py", "tests/test_simulate.py")),
    M("exclusions ignore the profile's reasons", "scoring.py",
      "reason.lookup(reason.table(lambda v: v in self.reasons, bool), rows[ex])",
      "True", ("tests/test_scoring.py",)),
    M("invalid callbacks scored", "scoring.py",
      "not_scored = ~valid[rows]", "not_scored = np.zeros(rows.size, bool)", ("tests/test_scoring.py",)),
    M("a missing answer counts as known", "scoring.py",
      'row[_M["resolved_known"]] = r != 2', 'row[_M["resolved_known"]] = True', ("tests/test_scoring.py",)),
    M("response by timestamp: the limit not applied", "scoring.py",
      "within = known & ((f_us - d_us) <= np.nan_to_num(limit_us))", "within = known", ("tests/test_scoring.py",)),
    M("requests counted by callback month", "scoring.py",
      'rc_us, rc_ok = _ts_parts(table.column("received_at"))', 'rc_us, rc_ok = _ts_parts(table.column("callback_at"))',
      ("tests/test_scoring.py", "tests/test_ranking.py")),
    M("the composite weights swapped", "scoring.py",
      "composite = 100 * (w.response * response + w.resolution * resolution + w.satisfaction * satisfaction)",
      "composite = 100 * (w.resolution * response + w.response * resolution + w.satisfaction * satisfaction)",
      ("tests/test_scoring.py", "tests/cli/test_score_cli.py")),
    M("territory ignores the case's district", "scoring.py",
      "ok = (h >= 0) & ((st == -2) | (st == h)) & ((dc == -2) | (dc == h) | (dc == hp))",
      "ok = (h >= 0) & ((st == -2) | (st == h))", ("tests/test_ranking.py", "tests/test_beijing_units.py")),
    M("territory ignores the case's street", "scoring.py",
      "ok = (h >= 0) & ((st == -2) | (st == h)) & ((dc == -2) | (dc == h) | (dc == hp))",
      "ok = (h >= 0) & ((dc == -2) | (dc == h) | (dc == hp))", ("tests/test_ranking.py", "tests/test_beijing_units.py")),
    # ---- months
    M("months in UTC, not the city's zone", "months.py",
      "start = datetime(index // 12, index % 12 + 1, 1, tzinfo=zone)",
      "start = datetime(index // 12, index % 12 + 1, 1, tzinfo=UTC)", ("tests/test_scoring.py",)),
    # ---- validation
    M("five of the six time-order pairs removed", "validation/semantic.py",
      '    ("dispatched_at", "received_at"),\n    ("closed_at", "received_at"),\n    ("first_contact_at", "dispatched_at"),\n'
      '    ("deadline_at", "dispatched_at"),\n    ("callback_at", "dispatched_at"),\n', "",
      ("tests/test_validation_codes.py",)),
    M("one time-order pair removed", "validation/semantic.py",
      '    ("first_contact_at", "dispatched_at"),\n', "", ("tests/test_validation_codes.py",)),
    M("callback before deadline not warned", "validation/semantic.py",
      'm = before("callback_at", "deadline_at")', "m = None", ("tests/test_validate.py",)),
    M("answers without a valid callback allowed", "validation/semantic.py",
      "present & ~valid_cb\n", "present & False\n", ("tests/test_validate.py",)),
    M("unknown streets accepted", "validation/semantic.py",
      '"street": ("unknown-street", profile.street_ids),', "", ("tests/test_validate.py",)),
    M("personal data not looked for in free text", "validation/semantic.py",
      "if name in FREE_TEXT_FIELDS or name not in schema_fields:", "if name not in schema_fields:",
      ("tests/test_validate.py",)),
    M("the GitHub annotation's line for CSV rows", "validation/render.py",
      'line = s.row + 1 if fmt == "csv"', 'line = s.row if fmt == "csv"', ("tests/cli/test_options_covered.py",)),
    M("JSON in a {\"cases\": [...]} wrapper not read", "io/json_reader.py",
      '    if isinstance(data, dict) and isinstance(data.get("cases", data.get("records")), list):\n'
      '        data = data.get("cases", data.get("records"))\n', "", ("tests/test_validation_codes.py",)),
    M("duplicate case_ids across files not found", "validation/duplicates.py",
      "return np.unique(candidates[1:][candidates[1:] == candidates[:-1]])", "return np.zeros(0, np.uint64)",
      ("tests/test_validate.py", "tests/test_duplicates.py")),
    # ---- the governance analysis (issue 13)
    M("a problem 'fell' on any decline", "analysis/tracking.py",
      "change < -threshold", "change < 0", ("tests/test_analysis.py",)),
    M("the upper bound at 1 - alpha instead of 1 - alpha/2", "analysis/detector.py",
      "q = 1 - alpha / 2", "q = 1 - alpha", ("tests/test_analysis.py",)),
    M("warnings below min_count", "analysis/detector.py",
      "alarm = (obs > upper) & (obs >= min_count)", "alarm = obs > upper", ("tests/test_analysis.py",)),
    M("baseline periods without data counted as zeros", "analysis/warn.py",
      "windows = [o for o in offsets if all(first + o + k in covered for k in range(length))]",
      "windows = offsets", ("tests/test_analysis.py",)),
    M("repeats left out of the candidate score", "analysis/candidates.py",
      "+ w.repeats * repeats / req)", ")", ("tests/test_analysis.py",)),
    M("every request counted as a repeat", "analysis/cube.py",
      "_REQUESTS = np.array([[1, 0], [1, 1]]", "_REQUESTS = np.array([[1, 1], [1, 1]]",
      ("tests/test_analysis.py",)),
    M("surges change the records of a run without one", "simulation/scenario.py",
      'params = self.params if self.params.get("surges") else', "params = self.params if True else",
      ("tests/test_analysis.py",)),
    M("a registered problem's unknown lead unit accepted", "profile.py",
      '        if "lead" in t and t["lead"] not in units:', "        if False:", ("tests/test_analysis.py",)),
    # ---- output guard and the command line
    M("colour although NO_COLOR is set", "cli/common.py",
      'return "NO_COLOR" not in os.environ and sys.stderr.isatty()', "return sys.stderr.isatty()",
      ("tests/cli/test_common.py", "tests/cli/test_options_covered.py")),
    M("colour always", "cli/common.py",
      'return "NO_COLOR" not in os.environ and sys.stderr.isatty()', "return True",
      ("tests/cli/test_options_covered.py",)),
    M("formulas let through to CSV", "safe.py",
      """return "'" + text if is_formula_like(text) else text""", "return text",
      ("tests/test_output.py", "tests/test_safe.py")),
    M("phone numbers shown", "safe.py",
      "if len(_NOT_DIGIT.sub(\"\", run)) < MIN_MASKED_DIGITS:", "if True:",
      ("tests/test_safe.py", "tests/test_validate.py")),
    M("pipes in Markdown cells unescaped", "safe.py",
      '_MD_SPECIAL = re.compile(r"([\\\\`*_\\[\\]<>|~&])")', '_MD_SPECIAL = re.compile(r"([\\\\`*_\\[\\]<>~&])")',
      ("tests/test_safe.py", "tests/test_output.py")),
)


def _copy(dest: Path) -> None:
    for name in ("src", "tests", "fixtures"):
        shutil.copytree(ROOT / name, dest / name, ignore=shutil.ignore_patterns("__pycache__", "*.egg-info"))
    for name in ("pyproject.toml", "cli.md", "README.md"):
        if (ROOT / name).exists():
            shutil.copy2(ROOT / name, dest / name)
    if (ROOT / "docs").exists():
        shutil.copytree(ROOT / "docs", dest / "docs")
    if (ROOT / "tools").exists():
        shutil.copytree(ROOT / "tools", dest / "tools", ignore=shutil.ignore_patterns("__pycache__"))


def check_applies(m: Mutation) -> str | None:
    """None when the mutation's text occurs exactly once in its file, else why not."""
    text = (ROOT / "src" / "jiesu" / m.file).read_text(encoding="utf-8")
    n = text.count(m.find)
    return None if n == 1 else f"{m.file}: the text occurs {n} times (expected once)"


def run(mutations: list[Mutation], verbose: bool = False) -> int:
    problems = [(m, why) for m in mutations if (why := check_applies(m))]
    for m, why in problems:
        print(f"does not apply  {m.name}: {why}")
    if problems:
        return 2
    survived = []
    with tempfile.TemporaryDirectory(prefix=".jiesu-mutate-", dir=ROOT.parent) as tmp:
        work = Path(tmp)
        _copy(work)
        env = {**os.environ, "PYTHONPATH": str(work / "src"), "PYTHONDONTWRITEBYTECODE": "1"}
        for m in mutations:
            target = work / "src" / "jiesu" / m.file
            original = target.read_text(encoding="utf-8")
            target.write_text(original.replace(m.find, m.replace), encoding="utf-8")
            started = time.perf_counter()
            result = subprocess.run(
                [sys.executable, "-m", "pytest", "-x", "-q", "-p", "no:cacheprovider", *m.tests],
                check=False, cwd=work, env=env, capture_output=True, text=True)
            target.write_text(original, encoding="utf-8")
            seconds = time.perf_counter() - started
            killed = result.returncode == 1  # 1: tests failed; 2-5: interrupted, internal, usage, none collected
            if result.returncode > 1:
                print(f"ERROR     {m.name}: pytest exited {result.returncode}\n{result.stdout[-2000:]}")
                return 2
            print(f"{'killed  ' if killed else 'SURVIVED'}  {m.name}  ({seconds:.1f} s; {', '.join(m.tests)})")
            if verbose and killed:
                print("          " + (result.stdout.strip().splitlines() or ["?"])[-1])
            if not killed:
                survived.append(m)
    print(f"\n{len(mutations) - len(survived)} of {len(mutations)} mutations killed")
    return 1 if survived else 0


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--list", action="store_true", help="list the mutations and exit")
    parser.add_argument("-k", help="only mutations whose name contains this text")
    parser.add_argument("-v", "--verbose", action="store_true", help="show the failing test's last line")
    args = parser.parse_args()
    chosen = [m for m in MUTATIONS if not args.k or args.k.lower() in m.name.lower()]
    if args.list:
        for m in chosen:
            print(f"{m.file}: {m.name}")
        return 0
    return run(chosen, args.verbose)


if __name__ == "__main__":
    sys.exit(main())
