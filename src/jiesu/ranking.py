"""The monthly ranking (月度排名) of one level of units, with the four classes of the monthly notice.

Rules (profile settings where the public record is silent; see ``docs`` in the report):

- Units: those of the level in the profile (names come from the profile), except zones at street
  level (``kind = "zone"``: not streets or townships; Beijing ranks 343 of its 349 township-level
  entries). Cases handled by units the profile does not list are not ranked (``jiesu validate``
  reports them).
- Level ``district`` is territorial: a district-tier unit (Beijing: the 16 districts and 经开区) is
  scored on every case handled by itself or by a street or zone of its territory, unless the case's
  location says otherwise (its ``street`` lies in another territory, or its ``district`` is neither
  the unit nor the district the unit's territory is carved out of). Each case has at most one
  territory, so no case counts twice. Other levels are scored on the cases they handle (``unit``).
- Requests: dispatched cases counted in the month they were received (same unit/territory rule).
- Ranked: units with at least ``scoring.min_scored`` scored cases and a complete composite; the
  others are listed after them with ``rank = None``.
- Ties: "competition ranking" (1, 2, 2, 4) on the exact composite (a fraction of the counts, so
  9/10 and 18/20 tie), then unit id for the order of the rows.
- Classes, each at most ``ranking.class_sizes[level]`` units (``ranking.class_size`` when the
  level has no size of its own), everyone tied at the cut-off included:
  advanced = highest composites, rectification = lowest composites (each capped at half the
  ranked units, and never a unit that is advanced), improving = largest positive change from the
  previous month among units ranked in both months, governance = most requests (per
  ``ranking.governance_per_residents`` residents when the profile gives every unit of the level a
  population) among units with requests, ranked or not. With ``ranking.exclusive_classes`` a
  unit is in at most one class: advanced, rectification, improving, governance, in that order, each
  choosing among the units not already placed.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from fractions import Fraction
from pathlib import Path
from typing import Any

from .errors import ArgumentError
from .io.sources import Source
from .months import parse_month
from .profile import UNIT_LEVELS, Profile, load_profile
from .progress import ProgressCallback
from .scoring import TERRITORY, Aggregate, aggregate, composite_exact, rates

CLASSES = ("advanced", "improving", "rectification", "governance")
COLUMNS = ("rank", "unit", "name", "level", "scored", "requests", "response_rate", "resolution_rate",
           "satisfaction_rate", "composite", "previous_composite", "change", "classes")


def _competition_rank(values: dict[str, Any], higher_first: bool = True) -> dict[str, int]:
    """1 + the number of strictly better values, for each key ("1, 2, 2, 4")."""
    ordered = sorted(values.values(), reverse=higher_first)
    out = {}
    for key, v in values.items():
        # position of the first value equal to v in the ordered list
        lo, hi = 0, len(ordered)
        while lo < hi:
            mid = (lo + hi) // 2
            better = ordered[mid] > v if higher_first else ordered[mid] < v
            if better:
                lo = mid + 1
            else:
                hi = mid
        out[key] = lo + 1
    return out


def _top(values: dict[str, Any], size: int, higher_first: bool = True) -> set[str]:
    """Keys within the best ``size`` by value, all ties at the cut-off included."""
    if size <= 0:
        return set()
    return {k for k, r in _competition_rank(values, higher_first).items() if r <= size}


def rank_rows(agg: Aggregate, profile: Profile, month: int, level: str) -> list[dict[str, Any]]:
    """Rank the profile's units of ``level`` for ``month`` from counts by unit (or territory)."""
    units = profile.ranked_units(level)
    min_scored = profile.scoring.min_scored
    size = profile.ranking.size_for(level)
    rows: dict[str, dict[str, Any]] = {}
    exact: dict[str, Fraction] = {}
    exact_prev: dict[str, Fraction] = {}
    for u in units:
        cur, prev = agg.get(month, u.id), agg.get(month - 1, u.id)
        r = rates(cur, profile)
        c, p = composite_exact(cur, profile), composite_exact(prev, profile)
        if c is not None and cur["scored"] >= min_scored:
            exact[u.id] = c
            if p is not None and prev["scored"] >= min_scored:
                exact_prev[u.id] = p
        rows[u.id] = {
            "rank": None, "unit": u.id, "name": u.name, "level": level,
            "scored": cur["scored"], "requests": cur["requests"],
            "response_rate": r["response_rate"], "resolution_rate": r["resolution_rate"],
            "satisfaction_rate": r["satisfaction_rate"],
            "composite": None if c is None else float(c),
            "previous_composite": None if p is None else float(p),
            "change": None if c is None or p is None else float(c - p),
            "classes": [],
        }
    return classify(rows, exact, exact_prev, governance_basis(agg, profile, month, units), size,
                    profile.ranking.exclusive_classes)


def classify(rows: dict[str, dict[str, Any]], exact: dict[str, Fraction], exact_prev: dict[str, Fraction],
             governance_values: dict[str, Fraction], size: int, exclusive: bool = False) -> list[dict[str, Any]]:
    """Rank the units with an exact value (higher is better) and fill in their four classes; the
    rows sorted ranked first. The same rules whatever the value is (composite or on-time rate)."""
    for uid, rk in _competition_rank(exact).items():
        rows[uid]["rank"] = rk
    half = min(size, len(exact) // 2)
    advanced = _top(exact, half)
    rectification = _top({k: v for k, v in exact.items() if k not in advanced}, half, higher_first=False)
    # exclusive classes: a unit already placed (advanced, rectification, then improving) is not a
    # candidate for the next class
    placed = advanced | rectification if exclusive else set()
    improving = _top({k: exact[k] - exact_prev[k] for k in exact_prev
                      if exact[k] > exact_prev[k] and k not in placed}, size)
    if exclusive:
        placed |= improving
    governance = _top({k: v for k, v in governance_values.items() if k not in placed}, size)
    members = {"advanced": advanced, "improving": improving, "rectification": rectification, "governance": governance}
    for cls in CLASSES:
        for uid in members[cls]:
            rows[uid]["classes"].append(cls)
    return sorted(rows.values(), key=lambda r: (r["rank"] is None, r["rank"] or 0, r["unit"]))


def governance_basis(agg: Aggregate, profile: Profile, month: int, units: Sequence) -> dict[str, Fraction]:
    """Requests, or requests per N residents when every unit has a population; units with none out."""
    per = profile.ranking.governance_per_residents
    per_capita = bool(units) and all(u.population for u in units)
    out = {}
    for u in units:
        n = agg.get(month, u.id)["requests"]
        if n > 0:
            out[u.id] = Fraction(n * per, u.population) if per_capita else Fraction(n)
    return out


def uses_population(profile: Profile, level: str) -> bool:
    """Whether the governance class of ``level`` is per residents (every unit has a population)."""
    units = profile.ranked_units(level)
    return bool(units) and all(u.population for u in units)


def rank(inputs: Sequence[str | Path | Source], *, profile: Profile | str | Path | None = None,
         month: str | int, level: str = "street",
         progress: ProgressCallback | None = None) -> list[dict[str, Any]]:
    """Rank the profile's units of ``level`` for ``month`` (``YYYY-MM``) from case files, folders
    or sources, with the four classes of the monthly notice.

    Rows carry ``rank, unit, name, level, scored, requests, response_rate, resolution_rate,
    satisfaction_rate, composite, previous_composite, change, classes``; ranked units first.
    """
    profile = load_profile(profile)
    if level not in UNIT_LEVELS or level not in profile.ranking.levels:
        raise ArgumentError(f"level {level!r} is not ranked by profile {profile.id!r} "
                         f"(ranked levels: {', '.join(profile.ranking.levels)})")
    m = parse_month(month) if isinstance(month, str) else month
    if profile.scoring.metrics == "timeliness":  # a profile without callbacks ranks on timeliness
        from .timeliness import rank_timeliness

        return rank_timeliness(inputs, profile=profile, month=m, level=level, progress=progress)
    by = TERRITORY if level == "district" else "unit"
    agg = aggregate(inputs, profile=profile, by=by, months=[m - 1, m], with_requests=True, progress=progress)
    return rank_rows(agg, profile, m, level)


def class_tables(rows: Sequence[dict[str, Any]], profile: Profile | None = None) -> dict[str, list[dict[str, Any]]]:
    """The members of each class, in the order the notice lists them (best first in its sense);
    governance by requests per resident when ``profile`` gives every unit a population."""
    pop = {}
    if profile is not None and rows and uses_population(profile, rows[0]["level"]):
        pop = {u.id: u.population for u in profile.units}

    def members(cls: str, key: Callable[[dict[str, Any]], Any]) -> list[dict[str, Any]]:
        return sorted((r for r in rows if cls in r["classes"]), key=key)

    return {
        "advanced": members("advanced", lambda r: (r["rank"], r["unit"])),
        "improving": members("improving", lambda r: (-r["change"], r["unit"])),
        "rectification": members("rectification", lambda r: (-r["rank"], r["unit"])),
        "governance": members("governance", lambda r: (-Fraction(r["requests"], pop.get(r["unit"], 1)), r["unit"])),
    }
