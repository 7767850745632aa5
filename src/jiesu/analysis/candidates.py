"""每月一题 candidates: the categories (and topics, where the data carry one) a city should
consider for next year's problems, "诉求量大、涉及面广" and long unsolved, by a documented score.

Per category over the months ``first..last`` (requests by the month received, rates by the month of
the callback, both in the profile's time zone):

- ``requests``: dispatched cases (派单量); ``share``: of all dispatched cases in the period;
- ``streets``: how many streets (the ``street`` column) had at least one; ``districts``: how many
  districts those streets lie in (per the profile);
- ``months_in_top``: months in which the category was among the ``analysis.top_n`` with the most
  requests (competition ranking, ties included);
- ``resolution_rate`` / ``satisfaction_rate``: as ``jiesu score`` computes them;
- ``repeats``: dispatched cases excluded as duplicates (重复诉求), the repeats a record shows;
- ``top_streets``: the ``analysis.top_streets`` streets with the most requests.

Score (0-100; weights ``analysis.candidate_weights``, illustrative, adding up to 1)::

    100 x ( w_volume       x requests / the largest requests of any category
          + w_spread       x streets / streets of the profile
          + w_persistence  x months_in_top / months in the period
          + w_unresolved   x (1 - resolution_rate)
          + w_dissatisfied x (1 - satisfaction_rate)
          + w_repeats      x repeats / requests )

A rate the data cannot give (no callback answers) adds 0. Rows are ranked by score (competition
ranking; ties ordered by code); topic rows (``kind = topic``) are ranked among themselves.
"""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path
from typing import Any

from ..io.sources import Source
from ..months import parse_month
from ..profile import Profile, load_profile
from ..progress import ProgressCallback
from ..scoring import rates
from .cube import Cube, count, period_range

COLUMNS = ("rank", "kind", "code", "name", "requests", "share", "streets", "districts", "months_in_top",
           "resolution_rate", "satisfaction_rate", "repeats", "top_streets", "score")


def candidates(inputs: Sequence[str | Path | Source], *, profile: Profile | str | Path | None = None,
               first: str | int, last: str | int, naive_timezone: str | None = None, scheduler: Any = None,
               progress: ProgressCallback | None = None) -> list[dict[str, Any]]:
    """Rank the categories (and topics) of the months ``first..last`` (YYYY-MM) as 每月一题 candidates."""
    profile = load_profile(profile)
    months = period_range(*(parse_month(m) if isinstance(m, str) else m for m in (first, last)))
    # the response rate is not part of the score: its columns are not read
    cubes = count(inputs, [Cube(("category", "street"), ("requests",)),
                           Cube(("topic", "street"), ("requests",), required=("topic",)),
                           Cube(("category", "topic"), ("scores",))],
                  profile=profile, periods=months, response=False, naive_timezone=naive_timezone,
                  scheduler=scheduler, progress=progress)
    return candidate_rows(*cubes, profile, months)


def candidate_rows(categories: Cube, topics: Cube, answers: Cube, profile: Profile,
                   months: list[int]) -> list[dict[str, Any]]:
    """The candidate table from request cubes by (category, street) and (topic, street) and an
    answers cube by (category, topic), all of the months."""
    all_requests = categories.totals(months)[()]["requests"]
    out = []
    for kind, volume, names in (("category", categories, {c.code: c.name for c in profile.categories}),
                                ("topic", topics, {t.code: t.name for t in profile.topics})):
        rows = _rows(kind, volume, answers, profile, months, names, all_requests)
        _rank(rows)
        out += rows
    return out


def _rows(kind: str, volume: Cube, answers: Cube, profile: Profile, months: list[int],
          names: dict[str, str], all_requests: int) -> list[dict[str, Any]]:
    total = volume.totals(months, (kind,))
    codes = [k[0] for k, c in total.items() if k[0] is not None and c["requests"] > 0]
    if not codes:
        return []
    by_street = volume.totals(months, (kind, "street"))
    scores = answers.totals(months, (kind,))
    in_top = dict.fromkeys(codes, 0)
    for m in months:
        per = {k[0]: c["requests"] for k, c in volume.totals([m], (kind,)).items() if k[0] is not None}
        ordered = sorted(per.values(), reverse=True)
        for code, n in per.items():
            if n > 0 and code in in_top and 1 + sum(1 for v in ordered if v > n) <= profile.analysis.top_n:
                in_top[code] += 1
    n_streets = len(profile.street_ids) or 1
    biggest = max(total[(c,)]["requests"] for c in codes)
    w = profile.analysis.candidate_weights
    units = profile.unit_by_id
    rows = []
    for code in codes:
        req = total[(code,)]["requests"]
        streets = {k[1]: c["requests"] for k, c in by_street.items() if k[0] == code and k[1] is not None and c["requests"]}
        districts = {units[s].district for s in streets if s in units and units[s].district}
        r = rates({**scores.get((code,), dict.fromkeys(answers.measures, 0)), "requests": 0}, profile)
        repeats = total[(code,)]["repeats"]
        top = sorted(streets.items(), key=lambda kv: (-kv[1], kv[0]))[: profile.analysis.top_streets]
        score = 100 * (w.volume * req / biggest + w.spread * len(streets) / n_streets
                       + w.persistence * in_top[code] / len(months)
                       + w.unresolved * (1 - r["resolution_rate"] if r["resolution_rate"] is not None else 0)
                       + w.dissatisfied * (1 - r["satisfaction_rate"] if r["satisfaction_rate"] is not None else 0)
                       + w.repeats * repeats / req)
        rows.append({
            "rank": None, "kind": kind, "code": code, "name": names.get(code, code), "requests": req,
            "share": req / all_requests if all_requests else None, "streets": len(streets),
            "districts": len(districts), "months_in_top": in_top[code],
            "resolution_rate": r["resolution_rate"], "satisfaction_rate": r["satisfaction_rate"],
            "repeats": repeats, "top_streets": [f"{units[s].name if s in units else s} {n}" for s, n in top],
            "score": score,
        })
    return rows


def _rank(rows: list[dict[str, Any]]) -> None:
    """Competition ranking by score (rounded to 1e-9 so float noise never splits a tie)."""
    keys = [round(r["score"], 9) for r in rows]
    for r, k in zip(rows, keys):
        r["rank"] = 1 + sum(1 for other in keys if other > k)
    rows.sort(key=lambda r: (r["rank"], r["code"]))
