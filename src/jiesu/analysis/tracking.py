"""Tracking the registered 每月一题 problems: is each one's dispatched volume falling?

Per problem of the profile's ``[[topics]]`` registry that has started by the month (a problem is
every case of the categories it covers): dispatched cases received in the month, the month before
and the same month a year before (派单量, in the profile's time zone); month-on-month and
year-on-year change as fractions; ``declining`` when the volume is below last month's; ``fell``
when it dropped by more than ``analysis.decline_threshold`` (10 % by default, illustrative: the
reported "降幅超10%" is an outcome, not a rule); the three rates and the composite of the month's
callbacks as ``jiesu score`` computes them; the streets where it concentrates. The summary reads
"15 of 27 problems declining month on month (9 fell by more than 10 %)".
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from ..io.sources import Source
from ..months import month_label, parse_month
from ..profile import Profile, load_profile
from ..progress import ProgressCallback
from ..scoring import rates
from .cube import Cube, count

COLUMNS = ("code", "theme", "name", "lead", "requests", "previous", "change_mom", "year_ago", "change_yoy",
           "declining", "fell", "response_rate", "resolution_rate", "satisfaction_rate", "composite", "top_streets")


#: the cubes :func:`track` counts: dispatched requests per category and street, and the answers
#: of the callbacks per category
VOLUME = Cube(("category", "street"), ("requests",))
ANSWERS = Cube(("category",), ("scores",))


@dataclass
class Tracking:
    month: str
    rows: list[dict[str, Any]]
    threshold: float

    @property
    def declining(self) -> int:
        return sum(1 for r in self.rows if r["declining"])

    @property
    def fell(self) -> int:
        return sum(1 for r in self.rows if r["fell"])

    def summary(self, lang: str = "en") -> str:
        n, pct = len(self.rows), f"{100 * self.threshold:g}%"
        if lang == "zh":
            return f"{self.month}：{n} 个问题中 {self.declining} 个派单量环比下降，{self.fell} 个降幅超{pct}"
        return (f"{self.month}: {self.declining} of {n} problems declining month on month "
                f"({self.fell} fell by more than {pct})")


def track(inputs: Sequence[str | Path | Source], *, profile: Profile | str | Path | None = None,
          month: str | int, naive_timezone: str | None = None, scheduler: Any = None,
          progress: ProgressCallback | None = None) -> Tracking:
    """Track every registered problem that has started by ``month`` (YYYY-MM)."""
    profile = load_profile(profile)
    m = parse_month(month) if isinstance(month, str) else month
    volume, answers = count(inputs, [VOLUME, ANSWERS], profile=profile, periods=[m - 12, m - 1, m],
                            naive_timezone=naive_timezone, scheduler=scheduler, progress=progress)
    return tracking_rows(volume, answers, profile, m)


def tracking_rows(volume: Cube, answers: Cube, profile: Profile, m: int) -> Tracking:
    """The tracking table from a (category, street) volume cube and a (category,) answers cube."""
    cur, prev, ago = (volume.totals([p], ("category",)) for p in (m, m - 1, m - 12))
    streets = volume.totals([m], ("category", "street"))
    cb = answers.totals([m], ("category",))
    covered = set(volume.periods())
    names = {u.id: u.name for u in profile.units}
    threshold = profile.analysis.decline_threshold
    rows = []
    for t in profile.topics:
        if t.start is not None and parse_month(t.start) > m:
            continue
        cats = set(t.categories)

        def total(table: dict, measure: str = "requests", cats: set[str] = cats) -> int:
            return sum(c[measure] for k, c in table.items() if k[0] in cats)

        n = total(cur)
        before = total(prev) if m - 1 in covered else None  # a month without any dispatched case: unknown, not 0
        year = total(ago) if m - 12 in covered else None
        counts = {k: sum(c[k] for key, c in cb.items() if key[0] in cats) for k in answers.measures}
        r = rates({**counts, "requests": 0}, profile)
        per_street: dict[str, int] = {}
        for (cat, street), c in streets.items():
            if cat in cats and street is not None and c["requests"]:
                per_street[street] = per_street.get(street, 0) + c["requests"]
        top = sorted(per_street.items(), key=lambda kv: (-kv[1], kv[0]))[: profile.analysis.top_streets]
        change = (n - before) / before if before else None
        rows.append({
            "code": t.code, "theme": t.theme, "name": t.name, "lead": names.get(t.lead, t.lead) if t.lead else None,
            "requests": n, "previous": before, "change_mom": change, "year_ago": year,
            "change_yoy": (n - year) / year if year else None,
            "declining": before is not None and n < before, "fell": change is not None and change < -threshold,
            **r, "top_streets": [f"{names.get(s, s)} {c}" for s, c in top],
        })
    return Tracking(month_label(m), rows, threshold)
