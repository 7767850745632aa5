"""The end-to-end demo on the built-in Beijing profile: simulate a month, validate, score, rank.

No input needed; everything is written to a working folder (a temporary one unless the caller keeps it).
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from .errors import DataError
from .profile import Profile, load_profile
from .validation.report import Report

SCENARIO = "beijing-baseline"


@dataclass
class DemoResult:
    cases: Path
    summary: dict[str, Any]
    report: Report
    month: str
    level: str
    ranking: list[dict[str, Any]]
    profile: Profile
    #: the monthly report of the month (an HTML page), when one was asked for
    report_page: Path | None = None


def run_demo(workdir: str | Path, *, days: int = 31, seed: int = 2024, level: str = "street",
             report: str | Path | None = None, stage: Callable[[str], None] | None = None,
             progress: Callable[[int, int | None], None] | None = None) -> DemoResult:
    """Simulate ``days`` of the Beijing baseline, validate the cases, and rank ``level`` for the
    month with the most scored cases (the callback month, in Beijing time); with ``report``, write
    the monthly report of that month there (an HTML page, atomically; into a folder given as
    ``report`` as ``report-YYYY-MM.html``)."""
    from .ranking import rank
    from .scoring import score
    from .simulation.run import simulate
    from .validation import validate

    say = stage or (lambda text: None)
    profile = load_profile()
    cases = Path(workdir) / "cases.parquet"
    say(f"simulating {days} days of {SCENARIO} (seed {seed})")
    summary = simulate(SCENARIO, profile=profile, days=days, seed=seed, output=cases, progress=progress)
    say("validating the simulated cases against schema and profile")
    validation = validate([cases], profile=profile)
    if not validation.valid:
        raise DataError(f"the simulated cases are not valid ({validation.errors} errors): this is a bug in jiesu")
    say("scoring units by month")
    by_month: dict[str, int] = {}
    for row in score([cases], profile=profile, by="unit_level"):
        by_month[row["month"]] = by_month.get(row["month"], 0) + row["scored"]
    if not by_month:
        raise DataError("the simulation produced no scored cases")
    month = max(sorted(by_month), key=lambda m: by_month[m])
    say(f"ranking {level} units for {month}")
    ranking = rank([cases], profile=profile, month=month, level=level)
    page = None
    if report is not None:
        from .io.atomic import write_bytes_atomic
        from .report import monthly_report, render

        target = Path(report)
        if target.is_dir():
            target = target / f"report-{month}.html"
        say(f"writing the monthly report of {month}")
        lang = profile.language if profile.language in ("zh", "en") else "en"
        text = render(monthly_report([cases], profile=profile, month=month), "html", lang=lang,
                      command=f"jiesu report --month {month} --format html --lang {lang} "
                              f"--output {target.name} cases.parquet")
        write_bytes_atomic(target, text.encode("utf-8") if isinstance(text, str) else text)
        page = target
    return DemoResult(cases, summary.data, validation, month, level, ranking, profile, page)
