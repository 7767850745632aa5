"""What changes when a city changes its profile: the settings that differ (units added, removed,
renamed or re-coded, categories re-mapped, time limits, weights, ranking rules) and, given case
files, which units' monthly ranks and classes change because of it.

The ranks are the ranking's own (:func:`jiesu.ranking.rank_rows`, the rule behind
:func:`jiesu.rank`), computed for both profiles from one pass over the cases per profile and
grouping (a district level is territorial), for every month the cases hold.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any

from .profile import Category, Profile, Unit, load_profile
from .progress import ProgressCallback


@dataclass(frozen=True)
class SettingChange:
    """One setting that differs. ``kind``: added, removed, renamed, re-coded, re-mapped, changed."""

    section: str  # city, time_limits, scoring, ranking, units, categories
    key: str      # the setting's key, a unit id or a category code
    kind: str
    old: Any
    new: Any


@dataclass(frozen=True)
class RankChange:
    """A unit whose rank or classes in a month differ between the two profiles."""

    month: str
    level: str
    unit: str
    name: str
    old_rank: int | None
    new_rank: int | None
    old_classes: tuple[str, ...]
    new_classes: tuple[str, ...]
    old_composite: float | None
    new_composite: float | None


@dataclass
class ProfileDiff:
    old: str
    new: str
    settings: list[SettingChange] = field(default_factory=list)
    #: None when no cases were given
    ranks: list[RankChange] | None = None
    months: list[str] = field(default_factory=list)
    levels: list[str] = field(default_factory=list)

    @property
    def changed(self) -> bool:
        """Whether anything differs that a reviewer must look at: ranks or classes when cases were
        given, settings otherwise."""
        return bool(self.ranks) if self.ranks is not None else bool(self.settings)

    def to_dict(self) -> dict[str, Any]:
        return {
            "old": self.old, "new": self.new, "changed": self.changed,
            "settings": [asdict(c) for c in self.settings],
            "months": self.months, "levels": self.levels,
            "ranks": None if self.ranks is None else [
                {**asdict(r), "old_classes": list(r.old_classes), "new_classes": list(r.new_classes)}
                for r in self.ranks],
        }


# --------------------------------------------------------------------------------- settings

def _changed(out: list[SettingChange], section: str, key: str, old: Any, new: Any) -> None:
    if old != new:
        kind = "added" if old is None else "removed" if new is None else "changed"
        out.append(SettingChange(section, key, kind, old, new))


def _mapping(out: list[SettingChange], section: str, prefix: str, old: dict[str, Any], new: dict[str, Any]) -> None:
    for key in [*old, *(k for k in new if k not in old)]:
        _changed(out, section, f"{prefix}{key}", old.get(key), new.get(key))


def setting_changes(old: Profile, new: Profile) -> list[SettingChange]:
    """Every setting that differs between two profiles, section by section."""
    out: list[SettingChange] = []
    for key in ("id", "name", "name_en", "timezone", "language"):
        _changed(out, "city", f"city.{key}", getattr(old, key), getattr(new, key))
    _mapping(out, "time_limits", "time_limits.", old.time_limits, new.time_limits)
    _changed(out, "time_limits", "time_limits.illustrative", bool(old.raw.get("time_limits", {}).get("illustrative")),
             bool(new.raw.get("time_limits", {}).get("illustrative")))
    a, b = old.scoring, new.scoring
    for key in ("response_method", "basically_satisfied_weight", "weight_set", "min_scored", "illustrative"):
        _changed(out, "scoring", f"scoring.{key}", getattr(a, key), getattr(b, key))
    _mapping(out, "scoring", "scoring.response_hours.", a.response_hours, b.response_hours)
    for name in [*a.weight_sets, *(n for n in b.weight_sets if n not in a.weight_sets)]:
        wa, wb = a.weight_sets.get(name), b.weight_sets.get(name)
        if wa is None or wb is None:
            _changed(out, "scoring", f"scoring.weight_sets.{name}", wa and vars(wa), wb and vars(wb))
        else:
            _mapping(out, "scoring", f"scoring.weight_sets.{name}.", vars(wa), vars(wb))
    _changed(out, "scoring", "scoring.weights (in use)", vars(a.weights), vars(b.weights))
    _changed(out, "scoring", "scoring.exclusion_reasons", list(a.exclusion_reasons), list(b.exclusion_reasons))
    ra, rb = old.ranking, new.ranking
    for key in ("class_size", "governance_per_residents", "illustrative"):
        _changed(out, "ranking", f"ranking.{key}", getattr(ra, key), getattr(rb, key))
    _changed(out, "ranking", "ranking.levels", list(ra.levels), list(rb.levels))
    out += _units(old.units, new.units)
    out += _categories(old.categories, new.categories)
    return out


def _recoded(removed: list[Any], added: list[Any], same: Any) -> dict[str, Any]:
    """Old id -> new item for items that only changed their id (one unambiguous match)."""
    out: dict[str, Any] = {}
    for r in removed:
        cands = [a for a in added if same(r, a) and a not in out.values()]
        if len(cands) == 1:
            out[_ident(r)] = cands[0]
    return out


def _ident(item: Unit | Category) -> str:
    return item.id if isinstance(item, Unit) else item.code


def _units(old: Sequence[Unit], new: Sequence[Unit]) -> list[SettingChange]:
    out: list[SettingChange] = []
    ia, ib = {u.id: u for u in old}, {u.id: u for u in new}
    removed = [u for u in old if u.id not in ib]
    added = [u for u in new if u.id not in ia]
    recoded = _recoded(removed, added, lambda r, a: (r.name, r.level, r.district) == (a.name, a.level, a.district))
    for u in removed:
        if u.id in recoded:
            out.append(SettingChange("units", u.id, "re-coded", u.id, recoded[u.id].id))
        else:
            out.append(SettingChange("units", u.id, "removed", _unit_text(u), None))
    moved = {u.id for u in recoded.values()}
    out += [SettingChange("units", u.id, "added", None, _unit_text(u)) for u in added if u.id not in moved]
    for u in old:
        v = ib.get(u.id)
        if v is None:
            continue
        if u.name != v.name:
            out.append(SettingChange("units", u.id, "renamed", u.name, v.name))
        for key in ("level", "district", "name_en", "population"):
            if getattr(u, key) != getattr(v, key):
                out.append(SettingChange("units", f"{u.id}.{key}", "changed", getattr(u, key), getattr(v, key)))
    return out


def _unit_text(u: Unit) -> str:
    return f"{u.name} ({u.level}{', in ' + u.district if u.district else ''})"


def _categories(old: Sequence[Category], new: Sequence[Category]) -> list[SettingChange]:
    out: list[SettingChange] = []
    ia, ib = {c.code: c for c in old}, {c.code: c for c in new}
    removed = [c for c in old if c.code not in ib]
    added = [c for c in new if c.code not in ia]
    recoded = _recoded(removed, added, lambda r, a: (r.name, r.handler) == (a.name, a.handler))
    for c in removed:
        if c.code in recoded:
            out.append(SettingChange("categories", c.code, "re-coded", c.code, recoded[c.code].code))
        else:
            out.append(SettingChange("categories", c.code, "removed", f"{c.name} -> {c.handler}", None))
    moved = {c.code for c in recoded.values()}
    out += [SettingChange("categories", c.code, "added", None, f"{c.name} -> {c.handler}") for c in added if c.code not in moved]
    for c in old:
        d = ib.get(c.code)
        if d is None:
            continue
        if c.handler != d.handler:
            out.append(SettingChange("categories", c.code, "re-mapped", c.handler, d.handler))
        if c.name != d.name:
            out.append(SettingChange("categories", c.code, "renamed", c.name, d.name))
        for key in ("time_limit_hours", "name_en"):
            if getattr(c, key) != getattr(d, key):
                out.append(SettingChange("categories", f"{c.code}.{key}", "changed", getattr(c, key), getattr(d, key)))
    return out


# --------------------------------------------------------------------------------- ranks

def profile_diff(old: Profile | str | Path, new: Profile | str | Path, cases: Sequence[str | Path] = (), *,
                 levels: Sequence[str] | None = None, months: Sequence[str] | None = None,
                 progress: ProgressCallback | None = None) -> ProfileDiff:
    """Compare two profiles (built-in names, files or Profiles); with ``cases``, also rank every
    month the cases hold (or ``months``, ``YYYY-MM``) at every level either profile ranks (or
    ``levels``) under both, and list the units whose rank or classes differ."""
    from .errors import ArgumentError
    from .months import month_label, parse_month
    from .ranking import rank_rows
    from .schema import UNIT_LEVELS
    from .scoring import TERRITORY, aggregate

    a, b = load_profile(old), load_profile(new)
    diff = ProfileDiff(a.source, b.source, setting_changes(a, b))
    if not cases:
        return diff
    ranked = [lv for lv in UNIT_LEVELS if lv in a.ranking.levels or lv in b.ranking.levels]
    if levels is not None:
        unknown = [lv for lv in levels if lv not in ranked]
        if unknown:
            raise ArgumentError(f"level {unknown[0]!r} is ranked by neither profile (ranked: {', '.join(ranked)})")
        ranked = [lv for lv in ranked if lv in levels]
    wanted = None if months is None else sorted({parse_month(m) for m in months})
    groupings = sorted({TERRITORY if lv == "district" else "unit" for lv in ranked})
    aggs = {(p.source, by): aggregate(cases, profile=p, by=by, with_requests=True, progress=progress)
            for p in (a, b) for by in groupings}
    found = sorted({m for agg in aggs.values() for m in agg.months()})
    month_list = wanted if wanted is not None else found
    diff.months = [month_label(m) for m in month_list]
    diff.levels = ranked
    diff.ranks = []
    for m in month_list:
        for level in ranked:
            by = TERRITORY if level == "district" else "unit"
            rows_a = {r["unit"]: r for r in rank_rows(aggs[(a.source, by)], a, m, level)} if level in a.ranking.levels else {}
            rows_b = {r["unit"]: r for r in rank_rows(aggs[(b.source, by)], b, m, level)} if level in b.ranking.levels else {}
            for unit in [*rows_a, *(u for u in rows_b if u not in rows_a)]:
                ra, rb = rows_a.get(unit), rows_b.get(unit)
                before = (ra["rank"], tuple(ra["classes"])) if ra else (None, ())
                after = (rb["rank"], tuple(rb["classes"])) if rb else (None, ())
                if before == after and (ra is None) == (rb is None):
                    continue
                diff.ranks.append(RankChange(
                    month_label(m), level, unit, (rb or ra)["name"], before[0], after[0], before[1], after[1],
                    ra["composite"] if ra else None, rb["composite"] if rb else None))
    return diff


# --------------------------------------------------------------------------------- rendering

def _cell(value: Any) -> str:
    from .safe import shown

    if value is None:
        return "—"
    if isinstance(value, (list, tuple)):
        return shown(", ".join(str(v) for v in value), 200) or "—"
    if isinstance(value, dict):
        return shown(", ".join(f"{k} {v}" for k, v in value.items()), 200) or ""
    return shown(value, 80) or ""


def _rank(r: int | None) -> str:
    return "unranked" if r is None else str(r)


def _headline(diff: ProfileDiff) -> str:
    from .safe import shown

    head = f"{shown(diff.old, 80)} → {shown(diff.new, 80)}: {len(diff.settings)} setting change{'s' * (len(diff.settings) != 1)}"
    if diff.ranks is not None:
        units = len({(r.level, r.unit) for r in diff.ranks})
        head += (f"; {len(diff.ranks)} rank or class change{'s' * (len(diff.ranks) != 1)} ({units} unit"
                 f"{'s' * (units != 1)}) in {len(diff.months)} month{'s' * (len(diff.months) != 1)}"
                 f" ({', '.join(diff.months) or 'none'})")
    return head


def render_profile_diff(diff: ProfileDiff, fmt: str = "table") -> str:
    """The diff as text (table), JSON or Markdown; every value from a profile shown safely."""
    if fmt == "json":
        import json

        from .safe import masked

        return json.dumps(masked(diff.to_dict()), ensure_ascii=False, indent=2)
    setting_rows = [[c.section, _cell(c.key), c.kind, _cell(c.old), _cell(c.new)] for c in diff.settings]
    rank_rows_ = [[r.month, r.level, r.unit, _cell(r.name), f"{_rank(r.old_rank)} → {_rank(r.new_rank)}",
                   f"{_cell(r.old_classes)} → {_cell(r.new_classes)}"] for r in diff.ranks or []]
    if fmt == "markdown":
        from .safe import markdown_text as md

        out = [f"## jiesu profile diff: {md(_headline(diff))}", ""]
        for title, headers, rows in (("Settings", ["section", "key", "change", "old", "new"], setting_rows),
                                     ("Ranks and classes", ["month", "level", "unit", "name", "rank", "classes"], rank_rows_)):
            if rows:
                out += [f"### {title}", "", "| " + " | ".join(headers) + " |", "|" + " --- |" * len(headers)]
                out += ["| " + " | ".join(md(str(c)) for c in row) + " |" for row in rows]
                out.append("")
        return "\n".join(out).rstrip("\n") + "\n"
    from tabulate import tabulate

    from .safe import printable

    lines = [f"jiesu profile diff: {_headline(diff)}"]
    if setting_rows:
        lines += ["", tabulate([[printable(str(c)) for c in r] for r in setting_rows],
                               headers=["section", "key", "change", "old", "new"])]
    if rank_rows_:
        lines += ["", tabulate([[printable(str(c)) for c in r] for r in rank_rows_],
                               headers=["month", "level", "unit", "name", "rank", "classes"])]
    elif diff.ranks is not None:
        lines += ["", "No unit's rank or classes change in these months."]
    return "\n".join(lines)
