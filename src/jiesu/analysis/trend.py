"""The rank history a district secretary looks at: per unit and month, volume, the three rates,
the composite, the rank and the classes, for every month of a period.

One streaming pass counts the whole period (and the month before it, for the first month's change)
into the same mergeable (month x unit) aggregate ``jiesu rank`` uses, territorial for districts;
each month is then ranked by :func:`jiesu.ranking.rank_rows` with the rules of ``jiesu rank``
(classes per level included). No file is read twice.
"""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path
from typing import Any

from ..errors import ArgumentError
from ..io.sources import Source
from ..months import month_label, parse_month
from ..profile import UNIT_LEVELS, Profile, load_profile
from ..progress import ProgressCallback
from ..ranking import COLUMNS as RANK_COLUMNS
from ..ranking import rank_rows
from ..scoring import TERRITORY, aggregate
from .cube import period_range

COLUMNS = ("month", *RANK_COLUMNS)


def trend(inputs: Sequence[str | Path | Source], *, profile: Profile | str | Path | None = None,
          first: str | int, last: str | int, level: str = "district", naive_timezone: str | None = None,
          scheduler: Any = None, progress: ProgressCallback | None = None) -> list[dict[str, Any]]:
    """The monthly ranking of ``level`` for every month ``first..last`` (YYYY-MM), in one pass;
    rows are ``jiesu rank``'s with the month in front, month by month."""
    profile = load_profile(profile)
    if level not in UNIT_LEVELS or level not in profile.ranking.levels:
        raise ArgumentError(f"level {level!r} is not ranked by profile {profile.id!r} "
                            f"(ranked levels: {', '.join(profile.ranking.levels)})")
    months = period_range(*(parse_month(m) if isinstance(m, str) else m for m in (first, last)))
    if len(months) > 120:
        raise ArgumentError("a trend covers at most 120 months")
    by = TERRITORY if level == "district" else "unit"
    agg = aggregate(inputs, profile=profile, by=by, months=[months[0] - 1, *months], with_requests=True,
                    naive_timezone=naive_timezone, scheduler=scheduler, progress=progress)
    return [{"month": month_label(m), **row} for m in months for row in rank_rows(agg, profile, m, level)]
