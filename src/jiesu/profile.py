"""City profiles: one TOML file holds a city's units, categories, time limits, weights and rules.

The Beijing profile is built in (``jiesu/profiles/beijing.toml``). Settings the public record does
not fix carry ``illustrative = true`` in the file and are shown as such.
"""

from __future__ import annotations

import math
import tomllib
from dataclasses import dataclass, field
from functools import cached_property, lru_cache
from importlib import resources
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from .errors import ProfileError
from .schema import EXCLUSION_REASONS, REQUEST_TYPES, UNIT_LEVELS

BUILT_IN = ("beijing",)


@dataclass(frozen=True)
class Unit:
    id: str
    name: str
    level: str
    district: str | None = None
    name_en: str | None = None
    population: int | None = None
    #: "zone": a statistical entry that is not a street or township (a development zone, an
    #: airport): a valid case location, never ranked at street level
    kind: str | None = None
    #: on a district-tier unit: the places (street-column ids) taken into its territory
    territory: tuple[str, ...] = ()


ZONE = "zone"


@dataclass(frozen=True)
class Zones:
    """Settings for zones below district tier: who handles a case of a street-handled category
    located in one (``district``: the district-tier unit whose territory it lies in; ``zone``: the
    zone's own unit, at street tier)."""

    dispatch: str = "district"
    illustrative: bool = False


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
    #: what score and rank measure: the three rates (rates) or, for data without callbacks, timeliness
    metrics: str = "rates"

    @property
    def weights(self) -> Weights:
        return self.weight_sets[self.weight_set]


@dataclass(frozen=True)
class Ranking:
    class_size: int
    levels: tuple[str, ...]
    governance_per_residents: int
    illustrative: bool
    class_sizes: dict[str, int] = field(default_factory=dict)  # per level; class_size otherwise
    exclusive_classes: bool = False

    def size_for(self, level: str) -> int:
        """Units in each class at ``level``: the level's own size, else ``class_size``."""
        return self.class_sizes.get(level, self.class_size)


@dataclass(frozen=True)
class Topic:
    """A registered 每月一题 problem, tracked by the categories it covers."""

    code: str
    name: str
    categories: tuple[str, ...]
    theme: str | None = None
    name_en: str | None = None
    lead: str | None = None
    co_units: tuple[str, ...] = ()
    start: str | None = None  # YYYY-MM
    illustrative: bool = False


@dataclass(frozen=True)
class CandidateWeights:
    volume: float = 0.3
    spread: float = 0.25
    persistence: float = 0.15
    unresolved: float = 0.15
    dissatisfied: float = 0.1
    repeats: float = 0.05


@dataclass(frozen=True)
class Analysis:
    """Settings of topics candidates and topics track (illustrative unless a city publishes them)."""

    decline_threshold: float = 0.1
    top_n: int = 10
    top_streets: int = 3
    candidate_weights: CandidateWeights = field(default_factory=CandidateWeights)
    illustrative: bool = True


@dataclass(frozen=True)
class Warn:
    """Settings of the early-warning detector (see docs/analysis.md)."""

    alpha: float = 0.001
    baseline: str = "recent"
    recent_periods: int = 12
    years: int = 3
    half_window: int = 1
    min_baseline: int = 4
    min_count: int = 5
    illustrative: bool = True


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
    zones: Zones = Zones()
    topics: tuple[Topic, ...] = ()
    analysis: Analysis = field(default_factory=Analysis)
    warn: Warn = field(default_factory=Warn)

    @cached_property
    def unit_by_id(self) -> dict[str, Unit]:
        return {u.id: u for u in self.units}

    @cached_property
    def category_by_code(self) -> dict[str, Category]:
        return {c.code: c for c in self.categories}

    def units_of_level(self, level: str) -> list[Unit]:
        return [u for u in self.units if u.level == level]

    def ranked_units(self, level: str) -> list[Unit]:
        """The units the ranking of ``level`` lists: every unit of the level, except zones at
        street level (they are not streets or townships)."""
        return [u for u in self.units if u.level == level and not (level == "street" and u.kind == ZONE)]

    @cached_property
    def district_ids(self) -> frozenset[str]:
        """The ids a case's ``district`` may name: the district-tier units."""
        return frozenset(u.id for u in self.units if u.level == "district")

    @cached_property
    def places(self) -> tuple[Unit, ...]:
        """The units a case's ``street`` may name: street-level units and zones, in profile order."""
        return tuple(u for u in self.units if u.level == "street" or u.kind == ZONE)

    @cached_property
    def street_ids(self) -> frozenset[str]:
        """The ids a case's ``street`` may name (:attr:`places`)."""
        return frozenset(u.id for u in self.places)

    @cached_property
    def territory_of(self) -> dict[str, str]:
        """The district-tier unit whose territory each place and each district-tier unit lies in:
        a district-tier unit is its own; a place listed in a unit's ``territory`` is that unit's;
        any other place is its district's (a place that is itself at district tier: its own)."""
        out = {u.id: u.id for u in self.units if u.level == "district"}
        claimed = {p: u.id for u in self.units if u.level == "district" for p in u.territory}
        for u in self.places:
            out[u.id] = claimed.get(u.id) or (u.id if u.level == "district" else u.district or u.id)
        return out

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


PROFILE_SCHEMA_FILE = "profile.schema.json"


def load_profile(name_or_path: Profile | str | Path | None = None) -> Profile:
    """Load a built-in profile by name (default: beijing) or a profile TOML file by path; a
    Profile is returned as it is, so every library call takes any of the three.

    A file is checked against the published profile schema and jiesu's own rules; the first
    problem is the ProfileError's message (``profile_problems`` lists them all). Built-in profiles
    are checked by the test suite instead, so loading them costs no schema validation.
    """
    if isinstance(name_or_path, Profile):
        return name_or_path
    if name_or_path is None or str(name_or_path) in BUILT_IN:
        name = str(name_or_path or "beijing")
        text = resources.files("jiesu").joinpath("profiles", f"{name}.toml").read_text("utf-8")
        return build_profile(tomllib.loads(text), f"built-in:{name}")
    path = Path(name_or_path)
    data = read_profile_file(path)
    problems = profile_problems(data)
    if problems:
        more = f" (and {len(problems) - 1} more problems: run `jiesu profile check {path}`)" if len(problems) > 1 else ""
        raise ProfileError(f"profile {path}: {problems[0]}{more}")
    return build_profile(data, str(path))


def _profile_text(path: Path) -> str:
    from .errors import InputError
    from .io.sources import check_regular

    if path.exists() and not path.is_dir():
        try:
            check_regular(path)  # a FIFO would block, a device never end
        except InputError as exc:
            raise ProfileError(f"profile {exc.message}") from None
    try:
        return path.read_text(encoding="utf-8-sig")  # a byte-order mark is allowed
    except FileNotFoundError:
        raise ProfileError(
            f"profile {str(path)!r} not found: give a TOML file or a built-in name ({', '.join(BUILT_IN)})"
        ) from None
    except IsADirectoryError:
        raise ProfileError(f"profile {str(path)!r} is a folder, not a TOML file") from None
    except (OSError, UnicodeDecodeError) as exc:
        raise ProfileError(f"cannot read profile {str(path)!r}: {exc.__class__.__name__}") from None


def read_profile_file(path: Path) -> dict[str, Any]:
    """A profile file's TOML; ProfileError when it cannot be read or is not TOML."""
    try:
        return tomllib.loads(_profile_text(path))
    except tomllib.TOMLDecodeError as exc:
        raise ProfileError(f"profile {path}: not valid TOML ({exc})") from None


def check_profile(path: str | Path) -> list[str]:
    """Every problem of a profile file, one line each (``key.path: what is wrong``); an empty list
    when it is fine. A file that is not TOML is one problem; one that cannot be read at all raises
    ProfileError."""
    try:
        data = tomllib.loads(_profile_text(Path(path)))
    except tomllib.TOMLDecodeError as exc:
        return [f"not valid TOML ({exc})"]
    return profile_problems(data)


def parse_profile(data: dict[str, Any], source: str = "<profile>") -> Profile:
    """A Profile from parsed TOML, after every check; ProfileError naming the first problem."""
    problems = profile_problems(data)
    if problems:
        raise ProfileError(f"profile {source}: {problems[0]}")
    return build_profile(data, source)


@lru_cache(maxsize=1)
def profile_schema() -> dict[str, Any]:
    """The published profile JSON Schema (draft 2020-12), read from the package."""
    import json

    return json.loads(resources.files("jiesu").joinpath("schemas", PROFILE_SCHEMA_FILE).read_text("utf-8"))


@lru_cache(maxsize=1)
def _profile_validator() -> Any:
    """A validator of the profile schema; its ``$ref``s to the case-record schema (levels,
    exclusion reasons, the code pattern: defined once, there) resolve offline."""
    import jsonschema
    from referencing import Registry, Resource

    from .schema import case_record_schema

    cases = case_record_schema()
    registry = Registry().with_resource(cases["$id"], Resource.from_contents(cases))
    return jsonschema.Draft202012Validator(profile_schema(), registry=registry)


def key_path(path: Any) -> str:
    """``units[3].level`` from a JSON path (deque of keys and indices)."""
    out = ""
    for part in path:
        out += f"[{part}]" if isinstance(part, int) else (f".{part}" if out else str(part))
    return out or "(top level)"


def profile_problems(data: dict[str, Any]) -> list[str]:
    """Every problem of a parsed profile, one line each (``key.path: what is wrong``): first what
    the published schema says, then the rules it cannot state. An empty list: the profile is fine."""
    problems = [f"{key_path(e.absolute_path)}: {_schema_message(e)}"
                for e in sorted(_profile_validator().iter_errors(data), key=lambda e: list(map(str, e.absolute_path)))]
    problems += [f"{key}: must be a number, got nan" for key in not_a_number(data)]  # nan passes every bound
    if problems:
        return problems
    return _rule_problems(data)


def _schema_message(err: Any) -> str:
    """python-jsonschema's message, with the offending value shortened."""
    msg = err.message.replace(", None]", "]")  # enums shared with the case schema allow null
    return msg if len(msg) <= 160 else msg[:157] + "..."


def not_a_number(node: Any, path: str = "") -> list[str]:
    """Keys holding nan (TOML allows it; JSON Schema's bounds cannot catch it; inf breaks them)."""
    if isinstance(node, float):
        return [path or "(top level)"] if math.isnan(node) else []
    if isinstance(node, dict):
        return [x for k, v in node.items() for x in not_a_number(v, f"{path}.{k}" if path else str(k))]
    if isinstance(node, list):
        return [x for i, v in enumerate(node) for x in not_a_number(v, f"{path}[{i}]")]
    return []


def _rule_problems(data: dict[str, Any]) -> list[str]:
    """The rules a JSON Schema cannot state; ``data`` already conforms to the schema."""
    out: list[str] = []
    tz = data["city"]["timezone"]
    try:
        ZoneInfo(tz)
    except (ZoneInfoNotFoundError, ValueError):
        out.append(f"city.timezone: unknown time zone {tz!r} (an IANA name such as Asia/Shanghai)")
    sc = data["scoring"]
    if sc["response_method"] == "timestamp" and "response_hours" not in sc:
        out.append("scoring.response_hours: needed when response_method is timestamp")
    for name, w in sc["weight_sets"].items():
        if abs(w["response"] + w["resolution"] + w["satisfaction"] - 1) > 1e-9:
            out.append(f"scoring.weight_sets.{name}: response, resolution and satisfaction must add up to 1")
    if sc["weight_set"] not in sc["weight_sets"]:
        out.append(f"scoring.weight_set: no weight set named {sc['weight_set']!r} "
                   f"(known: {', '.join(sc['weight_sets'])})")
    seen: dict[str, int] = {}
    for i, u in enumerate(data["units"]):
        if u["id"] in seen:
            out.append(f"units[{i}].id: {u['id']!r} is already the id of units[{seen[u['id']]}]")
        seen.setdefault(u["id"], i)
    districts = {u["id"] for u in data["units"] if u["level"] == "district"}
    for i, u in enumerate(data["units"]):
        if u["level"] == "street" and u.get("district") not in districts:
            out.append(f"units[{i}].district: street {u['id']!r} needs the id of a district unit, got {u.get('district')!r}")
        elif u.get("kind") == ZONE and (u["district"] not in districts or u["district"] == u["id"]):
            out.append(f"units[{i}].district: zone {u['id']!r} needs the id of the district unit it lies in, "
                       f"got {u['district']!r}")
    out += _territory_problems(data["units"], districts)
    codes: dict[str, int] = {}
    for i, c in enumerate(data["categories"]):
        if c["code"] in codes:
            out.append(f"categories[{i}].code: {c['code']!r} is already the code of categories[{codes[c['code']]}]")
        codes.setdefault(c["code"], i)
        if c["handler"] not in ("street", "district") and c["handler"] not in seen:
            out.append(f"categories[{i}].handler: {c['handler']!r} is neither street, district nor a unit id")
    return out + _analysis_problems(data, set(seen), set(codes))


def _analysis_problems(data: dict[str, Any], units: set[str], categories: set[str]) -> list[str]:
    """The topic registry names categories and units that exist, each code once; the candidate
    weights add up to 1."""
    out: list[str] = []
    topics: dict[str, int] = {}
    for i, t in enumerate(data.get("topics", [])):
        if t["code"] in topics:
            out.append(f"topics[{i}].code: {t['code']!r} is already the code of topics[{topics[t['code']]}]")
        topics.setdefault(t["code"], i)
        out += [f"topics[{i}].categories: {c!r} is not a category code of the profile"
                for c in t["categories"] if c not in categories]
        if "lead" in t and t["lead"] not in units:
            out.append(f"topics[{i}].lead: {t['lead']!r} is not a unit id of the profile")
        out += [f"topics[{i}].co_units: {u!r} is not a unit id of the profile"
                for u in t.get("co_units", []) if u not in units]
    w = data.get("analysis", {}).get("candidate_weights")
    if w is not None and abs(sum(w.values()) - 1) > 1e-9:
        out.append("analysis.candidate_weights: the six weights must add up to 1")
    return out


def _territory_problems(units: list[dict[str, Any]], districts: set[str]) -> list[str]:
    """A territory names places (street-level units or zones), none claimed twice, and no other
    district-tier unit (a unit at district tier has its own territory)."""
    out: list[str] = []
    places = {u["id"] for u in units if u["level"] == "street" or u.get("kind") == ZONE}
    owner: dict[str, int] = {}
    for i, u in enumerate(units):
        for j, place in enumerate(u.get("territory", ())):
            key = f"units[{i}].territory[{j}]"
            if place not in places:
                out.append(f"{key}: {place!r} is not the id of a street or zone unit")
            elif place in districts and place != u["id"]:
                out.append(f"{key}: {place!r} is a unit of district tier with a territory of its own")
            elif place in owner:
                out.append(f"{key}: {place!r} is already in the territory of units[{owner[place]}]")
            else:
                owner[place] = i
    return out


def build_profile(data: dict[str, Any], source: str) -> Profile:
    """The Profile of a checked profile (``profile_problems`` found nothing)."""
    city, sc, rk = data["city"], data["scoring"], data["ranking"]
    rh = sc.get("response_hours", {})
    scoring = Scoring(
        response_method=sc["response_method"],
        response_hours={rt: float(rh[rt]) for rt in REQUEST_TYPES} if rh else {},
        basically_satisfied_weight=float(sc["basically_satisfied_weight"]),
        weight_set=sc["weight_set"],
        weight_sets={n: Weights(float(w["response"]), float(w["resolution"]), float(w["satisfaction"]))
                     for n, w in sc["weight_sets"].items()},
        min_scored=sc["min_scored"],
        exclusion_reasons=tuple(sc.get("exclusion_reasons", EXCLUSION_REASONS)),
        illustrative=bool(sc.get("illustrative", False)),
        metrics=sc.get("metrics", "rates"),
    )
    ranking = Ranking(rk["class_size"], tuple(rk.get("levels", UNIT_LEVELS)),
                      int(rk.get("governance_per_residents", 10000)), bool(rk.get("illustrative", False)),
                      dict(rk.get("class_sizes", {})), bool(rk.get("exclusive_classes", False)))
    units = tuple(Unit(u["id"], u["name"], u["level"], u.get("district"), u.get("name_en"), u.get("population"),
                       u.get("kind"), tuple(u.get("territory", ())))
                  for u in data["units"])
    zn = data.get("zones", {})
    zones = Zones(zn.get("dispatch", "district"), bool(zn.get("illustrative", False)))
    categories = tuple(Category(c["code"], c["name"], c["handler"], c.get("name_en"),
                                float(c["time_limit_hours"]) if "time_limit_hours" in c else None)
                       for c in data["categories"])
    return Profile(
        id=city["id"],
        name=city["name"],
        name_en=city.get("name_en"),
        timezone=city["timezone"],
        language=city.get("language", "en"),
        source=source,
        time_limits={rt: float(data["time_limits"][rt]) for rt in REQUEST_TYPES},
        scoring=scoring,
        ranking=ranking,
        categories=categories,
        units=units,
        raw=data,
        zones=zones,
        topics=_topics(data.get("topics", [])),
        analysis=_analysis(data.get("analysis", {})),
        warn=_warn(data.get("warn", {})),
    )


def _topics(items: list[dict[str, Any]]) -> tuple[Topic, ...]:
    return tuple(Topic(t["code"], t["name"], tuple(t["categories"]), t.get("theme"), t.get("name_en"),
                       t.get("lead"), tuple(t.get("co_units", ())), t.get("start"), bool(t.get("illustrative", False)))
                 for t in items)


def _analysis(a: dict[str, Any]) -> Analysis:
    """The analysis settings; a profile without the table gets jiesu's illustrative defaults."""
    d = Analysis()
    w = a.get("candidate_weights")
    return Analysis(float(a.get("decline_threshold", d.decline_threshold)), int(a.get("top_n", d.top_n)),
                    int(a.get("top_streets", d.top_streets)),
                    CandidateWeights(**{k: float(v) for k, v in w.items()}) if w else d.candidate_weights,
                    bool(a.get("illustrative", True)) if a else True)


def _warn(w: dict[str, Any]) -> Warn:
    d = Warn()
    return Warn(float(w.get("alpha", d.alpha)), w.get("baseline", d.baseline),
                int(w.get("recent_periods", d.recent_periods)), int(w.get("years", d.years)),
                int(w.get("half_window", d.half_window)), int(w.get("min_baseline", d.min_baseline)),
                int(w.get("min_count", d.min_count)), bool(w.get("illustrative", True)) if w else True)


def write_profile(data: dict[str, Any]) -> str:
    """A profile as TOML text (tomli-w); it is checked first, so a broken profile is never written."""
    import tomli_w

    problems = profile_problems(data)
    if problems:
        raise ProfileError(f"profile to write: {problems[0]}")
    return tomli_w.dumps(data)


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
            "metrics": sc.metrics,
        },
        "ranking": {
            "illustrative": rk.illustrative,
            "class_size": rk.class_size,
            "levels": list(rk.levels),
            "governance_per_residents": rk.governance_per_residents,
            "class_sizes": {lv: rk.size_for(lv) for lv in rk.levels},
            "exclusive_classes": rk.exclusive_classes,
        },
        "ranked_units": {lv: len(profile.ranked_units(lv)) for lv in rk.levels},
        "zones": {
            "illustrative": profile.zones.illustrative,
            "ids": [u.id for u in profile.units if u.kind == ZONE],
            "dispatch": profile.zones.dispatch,
        },
        "analysis": {**vars(profile.analysis), "candidate_weights": vars(profile.analysis.candidate_weights)},
        "warn": vars(profile.warn),
        "topics": [t.code for t in profile.topics],
    }
