"""City profiles: one TOML file holds a city's units, categories, time limits, weights and rules.

The Beijing profile is built in (``jiesu/profiles/beijing.toml``). Settings the public record does
not fix carry ``illustrative = true`` in the file and are shown as such.
"""

from __future__ import annotations

import tomllib
from dataclasses import dataclass, field
from functools import cached_property
from importlib import resources
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from .cache import loads_toml
from .errors import ProfileError
from .schema import EXCLUSION_REASONS, REQUEST_TYPES, UNIT_LEVELS

RESPONSE_METHODS = ("callback", "timestamp")
BUILT_IN = ("beijing",)


@dataclass(frozen=True)
class Unit:
    id: str
    name: str
    level: str
    district: str | None = None
    name_en: str | None = None
    population: int | None = None


@dataclass(frozen=True)
class Category:
    code: str
    name: str
    handler: str
    name_en: str | None = None
    time_limit_hours: float | None = None


@dataclass(frozen=True)
class Weights:
    response: float
    resolution: float
    satisfaction: float


@dataclass(frozen=True)
class Scoring:
    response_method: str
    response_hours: dict[str, float]
    basically_satisfied_weight: float
    weight_set: str
    weight_sets: dict[str, Weights]
    min_scored: int
    exclusion_reasons: tuple[str, ...]
    illustrative: bool

    @property
    def weights(self) -> Weights:
        return self.weight_sets[self.weight_set]


@dataclass(frozen=True)
class Ranking:
    class_size: int
    levels: tuple[str, ...]
    governance_per_residents: int
    illustrative: bool


@dataclass(frozen=True)
class Profile:
    id: str
    name: str
    name_en: str | None
    timezone: str
    language: str
    source: str
    time_limits: dict[str, float]
    scoring: Scoring
    ranking: Ranking
    categories: tuple[Category, ...]
    units: tuple[Unit, ...]
    raw: dict[str, Any] = field(repr=False, compare=False)

    @cached_property
    def unit_by_id(self) -> dict[str, Unit]:
        return {u.id: u for u in self.units}

    @cached_property
    def category_by_code(self) -> dict[str, Category]:
        return {c.code: c for c in self.categories}

    def units_of_level(self, level: str) -> list[Unit]:
        return [u for u in self.units if u.level == level]

    @cached_property
    def district_ids(self) -> frozenset[str]:
        return frozenset(u.id for u in self.units if u.level == "district")

    @cached_property
    def street_ids(self) -> frozenset[str]:
        return frozenset(u.id for u in self.units if u.level == "street")

    @property
    def zone(self) -> ZoneInfo:
        return ZoneInfo(self.timezone)

    def time_limit_hours(self, request_type: str, category: str | None = None) -> float:
        cat = self.category_by_code.get(category) if category else None
        if cat is not None and cat.time_limit_hours is not None:
            return cat.time_limit_hours
        return self.time_limits[request_type]

    def with_weight_set(self, name: str) -> Profile:
        """The same profile scored with another named weight set."""
        from dataclasses import replace

        if name not in self.scoring.weight_sets:
            known = ", ".join(sorted(self.scoring.weight_sets))
            raise ProfileError(f"profile {self.id!r} has no weight set {name!r} (known: {known})")
        return replace(self, scoring=replace(self.scoring, weight_set=name))


def load_profile(name_or_path: Profile | str | Path | None = None) -> Profile:
    """Load a built-in profile by name (default: beijing) or a profile TOML file by path; a
    Profile is returned as it is, so every library call takes any of the three."""
    if isinstance(name_or_path, Profile):
        return name_or_path
    if name_or_path is None or str(name_or_path) in BUILT_IN:
        name = str(name_or_path or "beijing")
        text = resources.files("jiesu").joinpath("profiles", f"{name}.toml").read_text("utf-8")
        source = f"built-in:{name}"
    else:
        path = Path(name_or_path)
        try:
            text = path.read_text(encoding="utf-8")
        except FileNotFoundError:
            raise ProfileError(
                f"profile {str(path)!r} not found: give a TOML file or a built-in name ({', '.join(BUILT_IN)})"
            ) from None
        except (OSError, UnicodeDecodeError) as exc:
            raise ProfileError(f"cannot read profile {str(path)!r}: {exc.__class__.__name__}") from None
        source = str(path)
    try:
        data = loads_toml(text)  # tomllib.loads, cached as JSON: start-up (jiesu.cache)
    except tomllib.TOMLDecodeError as exc:
        raise ProfileError(f"profile {source}: not valid TOML ({exc})") from None
    return parse_profile(data, source)


def _need(d: dict[str, Any], key: str, where: str, kind: type | tuple[type, ...]) -> Any:
    if key not in d:
        raise ProfileError(f"profile {where}: missing {key!r}")
    value = d[key]
    if isinstance(value, bool) and kind is not bool and bool not in (kind if isinstance(kind, tuple) else (kind,)):
        raise ProfileError(f"profile {where}.{key}: expected {_kind(kind)}, got a boolean")
    if not isinstance(value, kind):
        raise ProfileError(f"profile {where}.{key}: expected {_kind(kind)}, got {type(value).__name__}")
    return value


def _kind(kind: type | tuple[type, ...]) -> str:
    kinds = kind if isinstance(kind, tuple) else (kind,)
    return " or ".join(k.__name__ for k in kinds)


def _fraction(value: float, where: str) -> float:
    if not 0 <= value <= 1:
        raise ProfileError(f"profile {where}: must be between 0 and 1, got {value}")
    return float(value)


def parse_profile(data: dict[str, Any], source: str = "<profile>") -> Profile:
    """Check a parsed profile and build the Profile; every problem is one clear ProfileError."""
    num = (int, float)
    city = _need(data, "city", source, dict)
    tz = _need(city, "timezone", "city", str)
    try:
        ZoneInfo(tz)
    except (ZoneInfoNotFoundError, ValueError):
        raise ProfileError(f"profile city.timezone: unknown time zone {tz!r}") from None
    limits_raw = _need(data, "time_limits", source, dict)
    time_limits = {}
    for rt in REQUEST_TYPES:
        hours = _need(limits_raw, rt, "time_limits", num)
        if hours <= 0:
            raise ProfileError(f"profile time_limits.{rt}: must be positive hours, got {hours}")
        time_limits[rt] = float(hours)

    sc = _need(data, "scoring", source, dict)
    method = _need(sc, "response_method", "scoring", str)
    if method not in RESPONSE_METHODS:
        raise ProfileError(f"profile scoring.response_method: {method!r} is not one of {', '.join(RESPONSE_METHODS)}")
    rh = sc.get("response_hours", {})
    response_hours = {rt: float(_need(rh, rt, "scoring.response_hours", num)) for rt in REQUEST_TYPES} if method == "timestamp" or rh else {}
    weight_sets = {}
    for wname, w in _need(sc, "weight_sets", "scoring", dict).items():
        where = f"scoring.weight_sets.{wname}"
        if not isinstance(w, dict):
            raise ProfileError(f"profile {where}: expected a table")
        ws = Weights(*(_fraction(_need(w, k, where, num), f"{where}.{k}") for k in ("response", "resolution", "satisfaction")))
        if abs(ws.response + ws.resolution + ws.satisfaction - 1) > 1e-9:
            raise ProfileError(f"profile {where}: weights must add up to 1")
        weight_sets[wname] = ws
    weight_set = _need(sc, "weight_set", "scoring", str)
    if weight_set not in weight_sets:
        raise ProfileError(f"profile scoring.weight_set: no weight set named {weight_set!r}")
    min_scored = _need(sc, "min_scored", "scoring", int)
    if min_scored < 0:
        raise ProfileError("profile scoring.min_scored: must be 0 or more")
    reasons = tuple(sc.get("exclusion_reasons", EXCLUSION_REASONS))
    bad = [r for r in reasons if r not in EXCLUSION_REASONS]
    if bad:
        raise ProfileError(f"profile scoring.exclusion_reasons: unknown reason {bad[0]!r}")
    scoring = Scoring(
        response_method=method,
        response_hours=response_hours,
        basically_satisfied_weight=_fraction(_need(sc, "basically_satisfied_weight", "scoring", num), "scoring.basically_satisfied_weight"),
        weight_set=weight_set,
        weight_sets=weight_sets,
        min_scored=min_scored,
        exclusion_reasons=reasons,
        illustrative=bool(sc.get("illustrative", False)),
    )
    rk = _need(data, "ranking", source, dict)
    class_size = _need(rk, "class_size", "ranking", int)
    if class_size < 1:
        raise ProfileError("profile ranking.class_size: must be 1 or more")
    levels = tuple(rk.get("levels", UNIT_LEVELS))
    for lv in levels:
        if lv not in UNIT_LEVELS:
            raise ProfileError(f"profile ranking.levels: unknown level {lv!r}")
    ranking = Ranking(class_size, levels, int(rk.get("governance_per_residents", 10000)), bool(rk.get("illustrative", False)))

    units = []
    seen: set[str] = set()
    for i, u in enumerate(_need(data, "units", source, list)):
        where = f"units[{i}]"
        if not isinstance(u, dict):
            raise ProfileError(f"profile {where}: expected a table")
        uid = _need(u, "id", where, str)
        if uid in seen:
            raise ProfileError(f"profile {where}: duplicate unit id {uid!r}")
        seen.add(uid)
        level = _need(u, "level", where, str)
        if level not in UNIT_LEVELS:
            raise ProfileError(f"profile {where}: level {level!r} is not one of {', '.join(UNIT_LEVELS)}")
        pop = u.get("population")
        if pop is not None and (not isinstance(pop, int) or isinstance(pop, bool) or pop <= 0):
            raise ProfileError(f"profile {where}.population: must be a positive integer")
        units.append(Unit(uid, _need(u, "name", where, str), level, u.get("district"), u.get("name_en"), pop))
    districts = {u.id for u in units if u.level == "district"}
    for i, u in enumerate(units):
        if u.level == "street" and u.district not in districts:
            raise ProfileError(f"profile units[{i}] ({u.id}): street needs the id of a district in 'district'")
    categories = []
    for i, c in enumerate(_need(data, "categories", source, list)):
        where = f"categories[{i}]"
        if not isinstance(c, dict):
            raise ProfileError(f"profile {where}: expected a table")
        handler = _need(c, "handler", where, str)
        if handler not in ("street", "district") and handler not in seen:
            raise ProfileError(f"profile {where}.handler: {handler!r} is neither street, district nor a unit id")
        tl = c.get("time_limit_hours")
        categories.append(Category(_need(c, "code", where, str), _need(c, "name", where, str), handler, c.get("name_en"), float(tl) if tl is not None else None))
    if not categories:
        raise ProfileError("profile: needs at least one category")
    return Profile(
        id=_need(city, "id", "city", str),
        name=_need(city, "name", "city", str),
        name_en=city.get("name_en"),
        timezone=tz,
        language=city.get("language", "en"),
        source=source,
        time_limits=time_limits,
        scoring=scoring,
        ranking=ranking,
        categories=tuple(categories),
        units=tuple(units),
        raw=data,
    )


def profile_summary(profile: Profile) -> dict[str, Any]:
    """A JSON-ready description of the profile, with illustrative settings flagged."""
    sc, rk = profile.scoring, profile.ranking
    counts: dict[str, int] = {}
    for u in profile.units:
        counts[u.level] = counts.get(u.level, 0) + 1
    return {
        "id": profile.id,
        "name": profile.name,
        "name_en": profile.name_en,
        "source": profile.source,
        "timezone": profile.timezone,
        "language": profile.language,
        "units": counts,
        "categories": len(profile.categories),
        "time_limits_hours": {"values": profile.time_limits, "illustrative": bool(profile.raw.get("time_limits", {}).get("illustrative", False))},
        "scoring": {
            "illustrative": sc.illustrative,
            "response_method": sc.response_method,
            "response_hours": sc.response_hours,
            "basically_satisfied_weight": sc.basically_satisfied_weight,
            "weight_set": sc.weight_set,
            "weights": {n: vars(w) for n, w in sc.weight_sets.items()},
            "min_scored": sc.min_scored,
            "exclusion_reasons": list(sc.exclusion_reasons),
        },
        "ranking": {
            "illustrative": rk.illustrative,
            "class_size": rk.class_size,
            "levels": list(rk.levels),
            "governance_per_residents": rk.governance_per_residents,
        },
    }
