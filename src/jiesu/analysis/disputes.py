"""Dispatch objections (派单异议, 退单) and removals from scoring (核减): counts only, per unit or
per category, since no public rule says how a dispute is decided.

Per dispatched case received in the month (profile's time zone): ``objected`` (at least one
objection), ``objections`` (their sum), ``repeated_objections`` (two or more objections on the one
case: the only trace of a redispatch chain a case record keeps), ``upheld`` (``objection_upheld``),
``upheld_share`` (upheld / objected), and the cases marked ``excluded`` by reason.

What the case record cannot give: the hours a decision took (it has no time of the objection nor
of the decision) and the units a case passed through (it names only the final unit). A city that
exports them can add the fields; jiesu reports none of it from guesses.
"""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path
from typing import Any

from ..errors import ArgumentError
from ..io.sources import Source
from ..months import parse_month
from ..profile import Profile, load_profile
from ..progress import ProgressCallback
from ..schema import EXCLUSION_REASONS
from .cube import Cube, count

BY = ("unit", "category")
COLUMNS = ("key", "name", "requests", "objected", "objections", "repeated_objections", "upheld", "upheld_share",
           *(f"excluded_{r}" for r in EXCLUSION_REASONS))


def disputes(inputs: Sequence[str | Path | Source], *, profile: Profile | str | Path | None = None,
             month: str | int, by: str = "unit", naive_timezone: str | None = None, scheduler: Any = None,
             progress: ProgressCallback | None = None) -> list[dict[str, Any]]:
    """Objection and exclusion counts of ``month`` (YYYY-MM) per ``by`` (unit or category), the
    largest number of objections first, then a total row (``key`` None)."""
    profile = load_profile(profile)
    if by not in BY:
        raise ArgumentError(f"cannot group disputes by {by!r}: choose unit or category")
    m = parse_month(month) if isinstance(month, str) else month
    (cube,) = count(inputs, [Cube(("unit", "category"), ("requests", "disputes"))], profile=profile,
                    periods=[m], naive_timezone=naive_timezone, scheduler=scheduler,
                    progress=progress)
    return dispute_rows(cube, profile, m, by)


def dispute_rows(cube: Cube, profile: Profile, m: int, by: str) -> list[dict[str, Any]]:
    names = {u.id: u.name for u in profile.units} if by == "unit" else {c.code: c.name for c in profile.categories}
    rows = []
    # cases without a unit (invalid for a dispatched case: `jiesu validate` says so) count in the
    # total row only, whose key is empty
    groups = [(k, c) for k, c in cube.totals([m], (by,)).items() if k[0] is not None]
    for key, c in [*groups, ((None,), cube.totals([m])[()] if cube.cells else None)]:
        if c is None or not c["requests"]:
            continue
        rows.append({
            "key": key[0], "name": names.get(key[0], key[0]) if key[0] is not None else "total",
            "requests": c["requests"], "objected": c["objected"], "objections": c["objections"],
            "repeated_objections": c["repeated_objections"], "upheld": c["upheld"],
            "upheld_share": c["upheld"] / c["objected"] if c["objected"] else None,
            **{f"excluded_{r}": c[f"excluded_{r}"] for r in EXCLUSION_REASONS},
        })
    body = [r for r in rows if r["key"] is not None]
    body.sort(key=lambda r: (-r["objections"], -r["objected"], r["key"]))
    return body + [r for r in rows if r["key"] is None]
