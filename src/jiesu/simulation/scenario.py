"""Scenarios: TOML files of model parameters on top of a city profile, with ``--set`` overrides.

Every parameter has a default here, so a scenario file names only what it changes. Unknown keys are
errors (a typo must not silently fall back to a default). A problem in a file is a ProfileError
(exit 3); a problem in a ``--set`` override is a ArgumentError (exit 2).
"""

from __future__ import annotations

import copy
import difflib
import json
import math
import tomllib
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from importlib import resources
from pathlib import Path
from typing import Any

from ..errors import ArgumentError, ProfileError
from ..schema import REQUEST_TYPES

DISTRIBUTIONS = ("exponential", "lognormal")


def _by_type(**values: float) -> dict[str, float]:
    return {rt: float(values.get(rt, 0.0)) for rt in REQUEST_TYPES}


#: Every parameter and its default. The default's type is the type a value must have.
DEFAULTS: dict[str, Any] = {
    "scenario": {
        "name": "custom",
        "description": "",
        "profile": "beijing",
        "start": "2024-01-01",  # first day, local date in the profile's time zone
        "case_id_prefix": "SIM",
    },
    "intake": {
        "agents": 10,
        "arrival_rate_per_hour": 100.0,  # mean over the week; the profiles below shape it
        "hourly_profile": [1.0] * 24,  # relative rate per local hour, rescaled to mean 1
        "weekday_profile": [1.0] * 7,  # Monday..Sunday, rescaled to mean 1
        "mean_handle_seconds": 300.0,
        "handle_distribution": "exponential",
        "handle_cv": 1.0,  # lognormal only: standard deviation / mean
        "mean_patience_seconds": 0.0,  # exponential patience; 0 means nobody abandons
        "channel_shares": {"phone": 1.0, "web": 0.0, "app": 0.0, "wechat": 0.0, "email": 0.0,
                           "sms": 0.0, "other": 0.0},
    },
    "cases": {
        "request_type_shares": _by_type(consultation=1.0),
        "category_weights": {},  # category code -> weight; unnamed categories weigh 1
        "district_weights": {},  # district id -> weight per street in it; unnamed weigh 1
    },
    "disposition": {
        # share of each request type dispatched / transferred / not dispatched; the rest is
        # answered on the spot
        "dispatched": _by_type(),
        "transferred": _by_type(),
        "not_dispatched": _by_type(),
        # category code -> factor on the dispatched share of its cases (capped so the three
        # shares still add up to 1 or less)
        "category_dispatch_factor": {},
        "dispatch_delay_minutes": 15.0,  # mean, exponential, from the end of the call
    },
    "dispatch": {
        "objection_probability": 0.0,
        "upheld_probability": 0.5,
        "review_hours": 24.0,  # mean, exponential
        "exclude_upheld": True,  # an upheld objection is recorded as excluded (objection_upheld)
    },
    "handling": {
        # a case's handling (service) time has mean fraction_of_limit x its time limit
        "fraction_of_limit": 0.3,
        "distribution": "lognormal",
        "cv": 1.0,
        "quality_speed_effect": 0.3,  # better units are faster: mean x exp(-effect x quality)
        "target_utilisation": 0.7,  # capacity sized so the expected load uses this share
        "sizing_rate_per_hour": 0.0,  # intake rate capacity is sized for; 0: the intake rate
        "capacity": {},  # unit id -> handlers, overriding the sizing
        "first_contact_hours": 4.0,  # mean, exponential, capped at closing
        "no_contact_logit": -4.0,  # P(no first contact) = logistic(this - quality)
    },
    "callback": {
        "delay_hours": 24.0,  # mean, exponential, after the deadline
        "valid_share": 0.85,
        "quality_sd": 0.5,  # per-unit quality, drawn once per unit
        "monthly_sd": 0.2,  # per-unit, per-month drift on top, so rankings move
        "contacted_logit": 4.0,
        "resolved_logit": 4.0,
        "satisfied_logit": 4.5,
        "late_penalty": 1.5,  # logit penalty for a case closed after its deadline
        "unresolved_penalty": 2.5,  # satisfaction logit penalty for an unresolved case
        "basically_share": 0.15,  # of the not-dissatisfied, the share "basically satisfied"
        "unreasonable_share": 0.005,  # dispatched cases excluded as unreasonable
        "duplicate_share": 0.005,  # dispatched cases excluded as duplicates
    },
    "surges": {},  # name -> SURGE table; none by default
}

#: Tables whose keys are open (ids from the profile), with the type of their values.
OPEN_TABLES: dict[str, type] = {
    "cases.category_weights": float,
    "cases.district_weights": float,
    "disposition.category_dispatch_factor": float,
    "handling.capacity": int,
    "surges": dict,
}

#: One surge (``[surges.NAME]`` in a scenario file): from the local day ``start`` on, for ``days``
#: days (0: to the end of the run), requests of ``category`` in ``streets`` (none named: every
#: street) come ``factor`` times as often; a factor below 1 is a fall. Only scenario files set them.
SURGE: dict[str, Any] = {"category": "", "streets": [], "start": "", "days": 0, "factor": 1.0}


#: Upper bounds of numeric parameters (a ``*`` stands for every key of an open table). Beyond them a
#: run would describe no hotline, allocate without bound or compute times past the supported
#: date-time range; ``check_scenario`` refuses them (docs/simulate.md).
MAXIMA: dict[str, float] = {
    "intake.agents": 100_000,
    "intake.arrival_rate_per_hour": 1_000_000.0,
    "intake.hourly_profile": 1e6,
    "intake.weekday_profile": 1e6,
    "intake.mean_handle_seconds": 86_400.0,
    "intake.handle_cv": 100.0,
    "intake.mean_patience_seconds": 86_400.0,
    "intake.channel_shares.*": 1e6,
    "cases.request_type_shares.*": 1e6,
    "cases.category_weights.*": 1e6,
    "cases.district_weights.*": 1e6,
    "disposition.category_dispatch_factor.*": 1e6,
    "disposition.dispatch_delay_minutes": 43_200.0,
    "dispatch.review_hours": 8_760.0,
    "handling.fraction_of_limit": 100.0,
    "handling.cv": 100.0,
    "handling.quality_speed_effect": 10.0,
    "handling.sizing_rate_per_hour": 1_000_000.0,
    "handling.capacity.*": 100_000,
    "handling.first_contact_hours": 8_760.0,
    "handling.no_contact_logit": 100.0,
    "callback.delay_hours": 8_760.0,
    "callback.quality_sd": 10.0,
    "callback.monthly_sd": 10.0,
    "callback.contacted_logit": 100.0,
    "callback.resolved_logit": 100.0,
    "callback.satisfied_logit": 100.0,
    "callback.late_penalty": 100.0,
    "callback.unresolved_penalty": 100.0,
    "surges.*.factor": 1_000.0,
}
#: Parameters bounded on both sides: |value| <= the maximum.
SYMMETRIC = frozenset({"handling.quality_speed_effect", "handling.no_contact_logit", "callback.contacted_logit",
                       "callback.resolved_logit", "callback.satisfied_logit", "callback.late_penalty",
                       "callback.unresolved_penalty"})
#: The first day of a run (``scenario.start``) lies between these dates, so that every time the
#: run computes stays inside the schema's supported date-time range.
FIRST_START, LAST_START = "1900-01-02", "2199-12-31"


@dataclass
class Scenario:
    """A resolved scenario: every parameter, where it came from, and the overrides applied."""

    params: dict[str, Any]
    source: str
    overrides: dict[str, Any] = field(default_factory=dict)

    @property
    def name(self) -> str:
        return str(self.params["scenario"]["name"])

    def get(self, dotted: str) -> Any:
        node: Any = self.params
        for part in dotted.split("."):
            node = node[part]
        return node

    def flat(self) -> dict[str, Any]:
        """Parameters as ``{"intake.agents": 750, ...}``."""
        return dict(_flatten(self.params))

    def to_json(self) -> str:
        """The parameters as JSON (without ``surges`` when there is none, so runs without a surge
        carry the same metadata as before surges existed)."""
        params = self.params if self.params.get("surges") else {k: v for k, v in self.params.items() if k != "surges"}
        return json.dumps(params, ensure_ascii=False, sort_keys=True, separators=(",", ":"))


def _flatten(node: Mapping[str, Any], prefix: str = "") -> Iterable[tuple[str, Any]]:
    for key, value in node.items():
        path = f"{prefix}{key}"
        if isinstance(value, dict) and path not in OPEN_TABLES:
            yield from _flatten(value, path + ".")
        else:
            yield path, value


def built_in_scenarios() -> list[str]:
    """Names of the scenarios shipped with jiesu."""
    folder = resources.files("jiesu").joinpath("scenarios")
    return sorted(p.name[:-5] for p in folder.iterdir() if p.name.endswith(".toml"))


def load_scenario(name_or_path: str | Path, overrides: Iterable[str] = ()) -> Scenario:
    """A built-in scenario by name or a TOML file by path, then ``key=value`` overrides applied."""
    text, source = _read(str(name_or_path))
    try:
        data = tomllib.loads(text)
    except tomllib.TOMLDecodeError as exc:
        raise ProfileError(f"scenario {source}: not valid TOML ({exc})") from None
    params = copy.deepcopy(DEFAULTS)
    _merge(params, data, "", source)
    check_scenario(Scenario(copy.deepcopy(params), source))  # the file alone: ProfileError
    applied: dict[str, Any] = {}
    for item in overrides:
        key, value = apply_override(params, item)
        applied[key] = value
    scenario = Scenario(params, source, applied)
    if applied:
        check_scenario(scenario)  # the file was fine, so a failure here is the overrides' doing
    if source != f"built-in:{name_or_path}" and Path(source).is_file():
        _resolve_profile(scenario, Path(source).parent)
    return scenario


def _resolve_profile(scenario: Scenario, folder: Path) -> None:
    """A relative profile path in a scenario file is read relative to the file's folder."""
    from ..profile import BUILT_IN

    name = scenario.params["scenario"]["profile"]
    if name in BUILT_IN or Path(name).is_absolute() or "scenario.profile" in scenario.overrides:
        return
    beside = folder / name
    if beside.is_file():
        scenario.params["scenario"]["profile"] = str(beside)


def _read(name: str) -> tuple[str, str]:
    if name in built_in_scenarios():
        text = resources.files("jiesu").joinpath("scenarios", f"{name}.toml").read_text("utf-8")
        return text, f"built-in:{name}"
    path = Path(name)
    try:
        if path.exists() and not path.is_file() and not path.is_dir():  # never open a FIFO or device
            raise ProfileError(f"scenario {name!r} is not a regular file (a FIFO or device?)")
        return path.read_text(encoding="utf-8-sig"), str(path)
    except FileNotFoundError:
        raise ProfileError(
            f"scenario {name!r} not found: give a TOML file or a built-in name "
            f"({', '.join(built_in_scenarios())})"
        ) from None
    except (OSError, UnicodeDecodeError) as exc:
        raise ProfileError(f"cannot read scenario {name!r}: {exc.__class__.__name__}") from None


def _suggest(key: str, known: Iterable[str], table: str = "") -> str:
    close = difflib.get_close_matches(key, list(known), n=1)
    where = f"{table}." if table else ""
    return f" (did you mean {where + close[0]!r}?)" if close else ""


def _merge(into: dict[str, Any], data: Mapping[str, Any], prefix: str, source: str) -> None:
    for key, value in data.items():
        path = f"{prefix}{key}"
        if prefix[:-1] in OPEN_TABLES:
            kind = OPEN_TABLES[prefix[:-1]]
            into[key] = _surge(value, path, source) if kind is dict else _coerce(value, kind, path, ProfileError, source)
            continue
        if key not in into:
            raise ProfileError(f"scenario {source}: unknown key {path!r}{_suggest(key, into, prefix[:-1])}")
        if isinstance(into[key], dict):
            if not isinstance(value, dict):
                raise ProfileError(f"scenario {source}: {path!r} must be a table")
            _merge(into[key], value, path + ".", source)
        else:
            into[key] = _coerce(value, into[key], path, ProfileError, source)


def _surge(value: Any, path: str, source: str) -> dict[str, Any]:
    """One ``[surges.NAME]`` table, every key known and typed."""
    if not isinstance(value, dict):
        raise ProfileError(f"scenario {source}: {path!r} must be a table")
    out = copy.deepcopy(SURGE)
    for key, v in value.items():
        if key not in SURGE:
            raise ProfileError(f"scenario {source}: unknown key {path + '.' + key!r}{_suggest(key, SURGE, path)}")
        if key == "streets":
            if not isinstance(v, list) or not all(isinstance(x, str) for x in v):
                raise ProfileError(f"scenario {source}: {path + '.streets'!r} must be a list of street ids")
            out[key] = list(v)
        else:
            out[key] = _coerce(v, SURGE[key], f"{path}.{key}", ProfileError, f"scenario {source}")
    return out


def _coerce(value: Any, like: Any, path: str, error: type[Exception], where: str) -> Any:
    """``value`` as the type of the default ``like`` (an int is accepted where a float is)."""
    kind = like if isinstance(like, type) else type(like)
    bad = f"{where}: {path!r} must be {_kind_name(kind)}, got {value!r}"
    if kind is bool:
        if not isinstance(value, bool):
            raise error(bad)
        return value
    if kind is int:
        if isinstance(value, bool) or not isinstance(value, int):
            raise error(bad)
        return value
    if kind is float:
        if isinstance(value, bool) or not isinstance(value, int | float) or not math.isfinite(value):
            raise error(bad)
        return float(value)
    if kind is str:
        if not isinstance(value, str):
            raise error(bad)
        return value
    if kind is list:
        if not isinstance(value, list) or not all(
            isinstance(v, int | float) and not isinstance(v, bool) and math.isfinite(v) for v in value
        ):
            raise error(f"{where}: {path!r} must be a list of numbers, got {value!r}")
        return [float(v) for v in value]
    raise error(bad)  # pragma: no cover


def _kind_name(kind: type) -> str:
    return {bool: "true or false", int: "an integer", float: "a number", str: "a string",
            list: "a list of numbers"}.get(kind, kind.__name__)


def _parse_value(text: str, like: Any) -> Any:
    """Read an override's value as a TOML value; a bare word is a string."""
    if (like is str or isinstance(like, str)):
        return text
    try:
        return tomllib.loads(f"v = {text}")["v"]
    except tomllib.TOMLDecodeError:
        return text


def apply_override(params: dict[str, Any], item: str) -> tuple[str, Any]:
    """Apply one ``key=value`` (dotted key) to ``params``; ArgumentError when it does not fit."""
    if "=" not in item:
        raise ArgumentError(f"--set {item!r}: expected key=value, for example intake.agents=800")
    key, text = (s.strip() for s in item.split("=", 1))
    parts = key.split(".")
    node: Any = params
    for i, part in enumerate(parts[:-1]):
        here = ".".join(parts[: i + 1])
        if not isinstance(node, dict) or part not in node or not isinstance(node[part], dict):
            known = node.keys() if isinstance(node, dict) else ()
            raise ArgumentError(f"--set {key!r}: unknown parameter {here!r}"
                             f"{_suggest(part, known, '.'.join(parts[:i]))}")
        node = node[part]
    last = parts[-1]
    table = ".".join(parts[:-1])
    if table in OPEN_TABLES:
        like: Any = OPEN_TABLES[table]
    elif last in node and not isinstance(node[last], dict):
        like = node[last]
    else:
        raise ArgumentError(f"--set {key!r}: unknown parameter{_suggest(last, node, table)}")
    value = _coerce(_parse_value(text, like), like, key, ArgumentError, "--set")
    node[last] = value
    return key, value


def check_scenario(scenario: Scenario) -> None:
    """Range checks. With overrides applied a failure is a ArgumentError (``--set``), otherwise a
    ProfileError naming the scenario file."""

    def fail(key: str, why: str) -> None:
        if scenario.overrides:
            raise ArgumentError(f"--set: {key} {why}")
        raise ProfileError(f"scenario {scenario.source}: {key} {why}")

    flat = scenario.flat()
    if flat["intake.agents"] < 1:
        fail("intake.agents", "must be 1 or more")
    for key in ("intake.arrival_rate_per_hour", "intake.mean_patience_seconds",
                "disposition.dispatch_delay_minutes", "handling.sizing_rate_per_hour"):
        if flat[key] < 0:
            fail(key, "must be 0 or more")
    for key in ("intake.mean_handle_seconds", "intake.handle_cv", "dispatch.review_hours",
                "handling.fraction_of_limit", "handling.cv", "handling.first_contact_hours",
                "callback.delay_hours"):
        if flat[key] <= 0:
            fail(key, "must be more than 0")
    for key in ("intake.handle_distribution", "handling.distribution"):
        if flat[key] not in DISTRIBUTIONS:
            fail(key, f"must be one of {', '.join(DISTRIBUTIONS)}")
    for key, n in (("intake.hourly_profile", 24), ("intake.weekday_profile", 7)):
        values = flat[key]
        if len(values) != n or min(values) < 0 or sum(values) <= 0:
            fail(key, f"must be {n} numbers, none negative, not all 0")
    for key in ("dispatch.objection_probability", "dispatch.upheld_probability",
                "callback.valid_share", "callback.basically_share",
                "callback.unreasonable_share", "callback.duplicate_share"):
        if not 0 <= flat[key] <= 1:
            fail(key, "must be between 0 and 1")
    if not 0 < flat["handling.target_utilisation"] < 1:
        fail("handling.target_utilisation", "must be between 0 and 1 (exclusive)")
    if flat["callback.unreasonable_share"] + flat["callback.duplicate_share"] > 1:
        fail("callback.unreasonable_share", "plus callback.duplicate_share must not exceed 1")
    for key in ("callback.quality_sd", "callback.monthly_sd"):
        if flat[key] < 0:
            fail(key, "must be 0 or more")
    for table in ("intake.channel_shares", "cases.request_type_shares"):
        values = scenario.get(table)
        if min(values.values()) < 0 or sum(values.values()) <= 0:
            fail(table, "shares must not be negative and not all 0")
    disp = scenario.params["disposition"]
    for rt in REQUEST_TYPES:
        parts = [disp[k][rt] for k in ("dispatched", "transferred", "not_dispatched")]
        if min(parts) < 0 or sum(parts) > 1 + 1e-9:
            fail(f"disposition.dispatched.{rt}",
                 "with transferred and not_dispatched must be shares between 0 and 1 adding up to 1 or less")
    for table in ("cases.category_weights", "cases.district_weights",
                  "disposition.category_dispatch_factor"):
        for k, v in scenario.get(table).items():
            if v < 0:
                fail(f"{table}.{k}", "must be 0 or more")
    for k, v in scenario.get("handling.capacity").items():
        if v < 1:
            fail(f"handling.capacity.{k}", "must be 1 or more")
    for key, value in flat.items():
        items = [(f"{key}.{k}", v) for k, v in value.items()] if isinstance(value, dict) else [(key, value)]
        for name, v in items:
            limit = MAXIMA.get(name, MAXIMA.get(name.rsplit(".", 1)[0] + ".*"))
            numbers = [x for x in (v if isinstance(v, list) else [v])
                       if isinstance(x, int | float) and not isinstance(x, bool)]
            if limit is not None and not all(abs(x) <= limit for x in numbers):
                shown = f"{limit:,.0f}" if float(limit).is_integer() else f"{limit:,}"
                bound = f"from -{shown} to {shown}" if name in SYMMETRIC else f"at most {shown}"
                fail(name, f"must be {bound}")
    from datetime import date

    try:
        start = date.fromisoformat(flat["scenario.start"])
    except ValueError:
        fail("scenario.start", "must be a date, YYYY-MM-DD")
    else:
        if not date.fromisoformat(FIRST_START) <= start <= date.fromisoformat(LAST_START):
            fail("scenario.start", f"must be a date from {FIRST_START} to {LAST_START} (the supported "
                 "date-time range of case records)")
    for name, sg in scenario.get("surges").items():
        if not sg["category"]:
            fail(f"surges.{name}.category", "must name a category")
        try:
            date.fromisoformat(sg["start"])
        except ValueError:
            fail(f"surges.{name}.start", "must be a date, YYYY-MM-DD")
        if sg["days"] < 0:
            fail(f"surges.{name}.days", "must be 0 (to the end) or more")
        if not 0 < sg["factor"] <= MAXIMA["surges.*.factor"]:
            fail(f"surges.{name}.factor", f"must be more than 0 and at most {MAXIMA['surges.*.factor']:,.0f}")
    prefix = flat["scenario.case_id_prefix"]
    if not prefix or not prefix[0].isalnum() or not all(ch.isalnum() or ch in "._-" for ch in prefix) \
            or not prefix.isascii() or len(prefix) > 40:
        fail("scenario.case_id_prefix", "must be ASCII letters, digits and . _ - (1 to 40), starting with a letter or digit")


def check_against_profile(scenario: Scenario, profile: Any) -> None:
    """Ids named by the scenario must exist in the profile."""
    def fail(key: str, why: str) -> None:
        if any(key.startswith(k) for k in scenario.overrides):
            raise ArgumentError(f"--set {key}: {why}")
        raise ProfileError(f"scenario {scenario.source}: {key} {why}")

    cats = {c.code for c in profile.categories}
    for table in ("cases.category_weights", "disposition.category_dispatch_factor"):
        for code in scenario.get(table):
            if code not in cats:
                fail(f"{table}.{code}", f"is not a category of profile {profile.id!r}")
    for d in scenario.get("cases.district_weights"):
        if d not in profile.district_ids:
            fail(f"cases.district_weights.{d}", f"is not a district of profile {profile.id!r}")
    for u in scenario.get("handling.capacity"):
        if u not in profile.unit_by_id:
            fail(f"handling.capacity.{u}", f"is not a unit of profile {profile.id!r}")
    for name, sg in scenario.get("surges").items():
        if sg["category"] not in cats:
            fail(f"surges.{name}.category", f"{sg['category']!r} is not a category of profile {profile.id!r}")
        for s in sg["streets"]:
            if s not in profile.street_ids:
                fail(f"surges.{name}.streets", f"{s!r} is not a street of profile {profile.id!r}")
    if not profile.street_ids:
        raise ProfileError(f"profile {profile.id!r}: the simulation needs at least one street unit")
