"""Mappings: one TOML file says how a kind of hotline export becomes case records.

A mapping is checked against the published mapping schema (``schemas/mapping.schema.json``, whose
values refer to the case-record schema) and then against the rules a JSON Schema cannot state;
every problem is one line naming the key. ``docs/mapping.md`` explains the format field by field.
The built-in mappings live in ``jiesu/importers/mappings/*.toml``.
"""

from __future__ import annotations

import difflib
import re
import tomllib
from dataclasses import dataclass, field
from functools import cached_property, lru_cache
from importlib import resources
from pathlib import Path
from typing import Any

from ..errors import ProfileError
from ..schema import case_record_schema, field_kinds
from .times import ISO, layout_problem, zone_problem

MAPPING_SCHEMA_FILE = "mapping.schema.json"
#: fields the case-record schema requires (read from it)
REQUIRED = tuple(case_record_schema()["required"])
#: fields a dispatched case must carry (the schema's conditional rule)
DISPATCHED_NEEDS = ("dispatched_at", "unit", "unit_level", "deadline_at")
CODE_FIELDS = ("category", "district", "street", "unit", "topic")
_SELECTOR = re.compile(r"^(?P<list>[^\[\]]+)\[(?P<key>[^=\[\]]+)=(?P<value>[^\[\]]*)\]\.(?P<field>[^\[\]]+)$")


def built_in() -> list[str]:
    """The names of the built-in mappings."""
    folder = resources.files("jiesu").joinpath("importers", "mappings")
    return sorted(p.name[:-5] for p in folder.iterdir() if p.name.endswith(".toml"))


@dataclass(frozen=True)
class Rule:
    """How one case-record field is filled (the TOML table ``fields.<name>``, with defaults)."""

    field: str
    kind: str  # string, date-time, boolean, integer (the schema's kind)
    columns: tuple[str, ...] = ()
    value: Any = None
    has_value: bool = False
    copy: str | None = None  # ``from``
    values: dict[str, Any] = field(default_factory=dict)
    patterns: tuple[tuple[re.Pattern[str], Any], ...] = ()
    null_values: frozenset[str] = frozenset()
    ignore_case: bool = True
    default: Any = None
    has_default: bool = False
    missing: str = "null"
    unknown: str = "reject"
    codes: str = "keep"
    when: str | None = None
    derive: str | None = None
    formats: tuple[str, ...] = ()
    not_before: str | None = None
    limit_column: str | None = None
    limit_unit: str = "hours"
    limit_hours: float | str | None = None
    limit_from: str = "received_at"

    @property
    def is_code(self) -> bool:
        return self.field in CODE_FIELDS

    @property
    def source_columns(self) -> tuple[str, ...]:
        return self.columns + ((self.limit_column,) if self.limit_column else ())

    def describe(self) -> str:
        """The rule in a few words, for the import report."""
        parts = []
        if self.columns:
            parts.append(" or ".join(self.columns))
        if self.has_value:
            parts.append(f"constant {self.value!r}")
        if self.derive:
            parts.append(f"derived: {self.derive}")
        if self.copy:
            parts.append(f"from {self.copy}" if not self.columns else f"else {self.copy}")
        if self.limit_column:
            parts.append(f"else {self.limit_from} + {self.limit_column}")
        if self.limit_hours is not None:
            parts.append(f"else {self.limit_from} + {self.limit_hours}{' h' if self.limit_hours != 'profile' else ' limits'}")
        if self.when:
            parts.append(f"only when {self.when}")
        return "; ".join(parts) or "-"


@dataclass(frozen=True)
class Mapping:
    """A checked mapping."""

    id: str
    name: str
    source: str  # where it was loaded from
    timezone: str
    time_formats: tuple[str, ...]
    ambiguous: str
    nonexistent: str
    never_read: frozenset[str]
    rules: dict[str, Rule]
    format: str | None = None
    encoding: str | None = None
    sheet: str | None = None
    records: str | None = None
    raw: dict[str, Any] = field(default_factory=dict, repr=False, compare=False)

    @cached_property
    def columns(self) -> list[str]:
        """Every source column the mapping reads, in the order the fields name them."""
        out: list[str] = []
        for rule in self.rules.values():
            for c in rule.source_columns:
                if c not in out:
                    out.append(c)
        return out

    @cached_property
    def order(self) -> list[str]:
        """The fields in an order where each comes after the fields it is derived from."""
        return _evaluation_order(self.rules)[0]

    @property
    def needs_profile(self) -> bool:
        return any(r.limit_hours == "profile" for r in self.rules.values())


# ---------------------------------------------------------------- loading and checking

def load_mapping(name_or_path: Mapping | str | Path) -> Mapping:
    """A built-in mapping by name or a mapping TOML file by path (a Mapping is returned as it is).

    ProfileError (exit 3 on the command line) names the first problem of a broken mapping. Built-in
    mappings are checked by the test suite instead, so loading them costs no schema validation.
    """
    if isinstance(name_or_path, Mapping):
        return name_or_path
    text, where = _mapping_text(name_or_path)
    try:
        data = tomllib.loads(text)
    except tomllib.TOMLDecodeError as exc:
        raise ProfileError(f"mapping {where}: not valid TOML ({exc})") from None
    if where.startswith("built-in:"):  # checked by the test suite, so loading costs no schema check
        return build_mapping(data, where)
    problems = mapping_problems(data)
    if problems:
        more = (f" (and {len(problems) - 1} more problems: run `jiesu mapping check {where}`)"
                if len(problems) > 1 else "")
        raise ProfileError(f"mapping {where}: {problems[0]}{more}")
    return build_mapping(data, where)


def _mapping_text(name_or_path: str | Path) -> tuple[str, str]:
    name = str(name_or_path)
    if name in built_in() and not Path(name).exists():
        folder = resources.files("jiesu").joinpath("importers", "mappings")
        return folder.joinpath(f"{name}.toml").read_text("utf-8"), f"built-in:{name}"
    path = Path(name_or_path)
    try:
        return path.read_text(encoding="utf-8-sig"), str(path)
    except FileNotFoundError:
        raise ProfileError(f"mapping {name!r} not found: give a TOML file or a built-in name "
                           f"({', '.join(built_in())})") from None
    except IsADirectoryError:
        raise ProfileError(f"mapping {name!r} is a folder, not a TOML file") from None
    except (OSError, UnicodeDecodeError) as exc:
        raise ProfileError(f"cannot read mapping {name!r}: {exc.__class__.__name__}") from None


def mapping_text(name_or_path: str | Path) -> str:
    """The TOML text of a built-in mapping or a mapping file."""
    return _mapping_text(name_or_path)[0]


def check_mapping(path: str | Path) -> list[str]:
    """Every problem of a mapping file (or built-in name), one line each; [] when it is fine."""
    text, _ = _mapping_text(path)
    try:
        data = tomllib.loads(text)
    except tomllib.TOMLDecodeError as exc:
        return [f"not valid TOML ({exc})"]
    return mapping_problems(data)


@lru_cache(maxsize=1)
def mapping_schema() -> dict[str, Any]:
    """The published mapping JSON Schema (draft 2020-12), read from the package."""
    import json

    return json.loads(resources.files("jiesu").joinpath("schemas", MAPPING_SCHEMA_FILE).read_text("utf-8"))


@lru_cache(maxsize=1)
def _validator() -> Any:
    """A validator of the mapping schema; its ``$ref``s to the case-record schema resolve offline
    (the same registry as the profile schema's)."""
    import jsonschema
    from referencing import Registry, Resource

    cases = case_record_schema()
    registry = Registry().with_resource(cases["$id"], Resource.from_contents(cases))
    return jsonschema.Draft202012Validator(mapping_schema(), registry=registry)


def mapping_problems(data: dict[str, Any]) -> list[str]:
    """Every problem of a parsed mapping, one line each (``key.path: what is wrong``): first what the
    schema says, then the rules it cannot state."""
    from ..profile import key_path, not_a_number

    errors = sorted(_validator().iter_errors(data), key=lambda e: list(map(str, e.absolute_path)))
    problems = [f"{key_path(e.absolute_path)}: {_message(e)}" for e in errors]
    problems += [f"{key}: must be a number, got nan" for key in not_a_number(data)]
    if problems:
        return problems
    return _rule_problems(data)


def _message(err: Any) -> str:
    """python-jsonschema's message, shortened, with a suggestion for a misspelt key."""
    msg = err.message.replace(", None]", "]")
    if err.validator in ("additionalProperties", "unevaluatedProperties"):
        unexpected = re.findall(r"'([^']+)'", msg.split("(", 1)[-1])
        known = _known_keys(err)
        hints = [f"{u!r} (did you mean {m[0]!r}?)" for u in unexpected if u not in known
                 for m in [difflib.get_close_matches(u, known, n=1)] if m]
        if hints:
            msg += "; " + ", ".join(hints)
    return msg if len(msg) <= 200 else msg[:197] + "..."


def _known_keys(err: Any) -> list[str]:
    schema = mapping_schema()
    keys: set[str] = set()
    for d in (schema["properties"], schema["properties"]["fields"]["properties"],
              schema["properties"]["source"]["properties"], *[schema["$defs"][n].get("properties", {})
                                                              for n in ("common", "value_rule", "time_keys",
                                                                        "deadline_rule")]):
        keys.update(d)
    return sorted(keys)


def _rule_problems(data: dict[str, Any]) -> list[str]:
    """The rules a JSON Schema cannot state; ``data`` already conforms to the schema."""
    out: list[str] = []
    src = data["source"]
    problem = zone_problem(src["timezone"])
    if problem:
        out.append(f"source.timezone: {problem}")
    for i, layout in enumerate(src.get("time_formats", [])):
        problem = layout_problem(layout)
        if problem:
            out.append(f"source.time_formats[{i}]: {problem}")
    never = set(src.get("never_read", []))
    kinds = field_kinds().kind
    fields: dict[str, dict[str, Any]] = data["fields"]
    for name in REQUIRED:
        rule = fields.get(name)
        if rule is None or not any(k in rule for k in ("column", "value", "from", "derive", "default")):
            out.append(f"fields.{name}: the case-record schema requires {name}: give a column, a value, "
                       "from, or a default")
    for name, rule in fields.items():
        key = f"fields.{name}"
        kind = kinds[name]
        columns = _columns(rule)
        for c in columns:
            if c in never:
                out.append(f"{key}.column: {c!r} is listed in source.never_read and must not be read")
        if rule.get("limit_column") in never:
            out.append(f"{key}.limit_column: {rule['limit_column']!r} is listed in source.never_read")
        if "value" in rule and (columns or "from" in rule):
            out.append(f"{key}: a constant value cannot be combined with column or from")
        if "derive" in rule and (columns or "value" in rule) and name == "disposition":
            out.append(f"{key}: derive = unit_named cannot be combined with column or value")
        if "derive" in rule and name not in ("disposition", "status") and not (kind == "boolean" and rule["derive"] == "given"):
            out.append(f"{key}.derive: only disposition (unit_named), status (closed_at) and boolean fields "
                       "(given: true where the column is not empty) are derived")
        if rule.get("derive") == "given" and not columns:
            out.append(f"{key}.derive: given needs a column")
        if name == "disposition" and rule.get("derive") == "unit_named" and "unit" not in fields:
            out.append(f"{key}.derive: unit_named needs a rule for unit")
        if "default" in (rule.get("missing"), rule.get("unknown")) and "default" not in rule:
            out.append(f"{key}: missing or unknown = default needs a default")
        if "codes" in rule and name not in CODE_FIELDS:
            out.append(f"{key}.codes: only code fields ({', '.join(CODE_FIELDS)}) take codes")
        if kind == "date-time" and any(k in rule for k in ("values", "patterns")):
            out.append(f"{key}: a time field takes formats, not values or patterns")
        if kind == "boolean" and rule.get("codes"):
            out.append(f"{key}.codes: only code fields take codes")
        if name in ("disposition", "status") and "when" in rule:
            out.append(f"{key}.when: {name} decides when, it cannot depend on it")
        for i, layout in enumerate(rule.get("formats", [])):
            problem = layout_problem(layout)
            if problem:
                out.append(f"{key}.formats[{i}]: {problem}")
        for ref_key in ("from", "not_before"):
            ref = rule.get(ref_key)
            if ref is None:
                continue
            if ref not in kinds:
                hint = difflib.get_close_matches(ref, list(kinds), n=1)
                out.append(f"{key}.{ref_key}: {ref!r} is not a case-record field"
                           + (f" (did you mean {hint[0]!r}?)" if hint else ""))
            elif ref not in fields:
                out.append(f"{key}.{ref_key}: {ref!r} has no rule in this mapping")
            elif ref_key == "from" and kinds[ref] != kind:
                out.append(f"{key}.from: {ref!r} holds {kinds[ref]} values, {name} needs {kind}")
            elif ref_key == "not_before" and kinds[ref] != "date-time":
                out.append(f"{key}.not_before: {ref!r} is not a time field")
        if rule.get("limit_from") and rule["limit_from"] not in fields:
            out.append(f"{key}.limit_from: {rule['limit_from']!r} has no rule in this mapping")
        if rule.get("limit_unit") and "limit_column" not in rule:
            out.append(f"{key}.limit_unit: needs limit_column")
        for i, pat in enumerate(rule.get("patterns", [])):
            try:
                re.compile(pat["match"])
            except re.error as exc:
                out.append(f"{key}.patterns[{i}].match: not a regular expression ({exc})")
        if "values" in rule and rule.get("ignore_case", True):
            seen: dict[str, str] = {}
            for word in rule["values"]:
                low = word.strip().casefold()
                if low in seen and rule["values"][seen[low]] != rule["values"][word]:
                    out.append(f"{key}.values: {seen[low]!r} and {word!r} differ only in case but map "
                               "to different values (set ignore_case = false)")
                seen.setdefault(low, word)
    if not out:
        cycle = _evaluation_order({n: _bare_rule(n, r) for n, r in fields.items()})[1]
        if cycle:
            out.append(f"fields: {' -> '.join(cycle)} derive from each other in a circle")
    return out


def _columns(rule: dict[str, Any]) -> list[str]:
    c = rule.get("column")
    return [] if c is None else [c] if isinstance(c, str) else list(c)


def _bare_rule(name: str, rule: dict[str, Any]) -> Rule:
    return Rule(field=name, kind=field_kinds().kind[name], copy=rule.get("from"), not_before=rule.get("not_before"),
                derive=rule.get("derive"), limit_hours=rule.get("limit_hours"),
                limit_from=rule.get("limit_from", "received_at"),
                limit_column=rule.get("limit_column"))


def dependencies(rule: Rule) -> list[str]:
    """The fields a rule's raw value is computed from (``when`` is applied after all of them)."""
    deps = [d for d in (rule.copy, rule.not_before) if d]
    if rule.derive == "unit_named":
        deps.append("unit")
    if rule.derive == "closed_at":
        deps.append("closed_at")
    if rule.limit_hours is not None or rule.limit_column:
        deps += [rule.limit_from, "disposition"]  # limits give deadlines to dispatched cases only
    if rule.limit_hours == "profile":
        deps += ["request_type", "category"]
    return deps


def _evaluation_order(rules: dict[str, Rule]) -> tuple[list[str], list[str]]:
    """(fields in dependency order, a cycle if there is one)."""
    order: list[str] = []
    state: dict[str, int] = {}
    stack: list[str] = []
    cycle: list[str] = []

    def visit(name: str) -> None:
        nonlocal cycle
        if cycle or state.get(name) == 2 or name not in rules:
            return
        if state.get(name) == 1:
            cycle = stack[stack.index(name):] + [name]
            return
        state[name] = 1
        stack.append(name)
        for dep in dependencies(rules[name]):
            visit(dep)
        stack.pop()
        state[name] = 2
        order.append(name)

    for name in rules:
        visit(name)
    return order, cycle


def build_mapping(data: dict[str, Any], source: str) -> Mapping:
    """The Mapping of a checked mapping (``mapping_problems`` found nothing)."""
    kinds = field_kinds().kind
    src = data["source"]
    rules = {}
    for name, r in data["fields"].items():
        required = name in REQUIRED
        has_default = "default" in r
        ignore_case = bool(r.get("ignore_case", True))
        fold = (lambda w: w.strip().casefold()) if ignore_case else (lambda w: w.strip())
        flags = re.IGNORECASE if ignore_case else 0
        rules[name] = Rule(
            field=name, kind=kinds[name], columns=tuple(_columns(r)),
            value=r.get("value"), has_value="value" in r, copy=r.get("from"),
            values={fold(k): v for k, v in r.get("values", {}).items()},
            patterns=tuple((re.compile(p["match"], flags), p["value"]) for p in r.get("patterns", [])),
            null_values=frozenset(fold(w) for w in r.get("null_values", [])),
            ignore_case=ignore_case, default=r.get("default"), has_default=has_default,
            missing=r.get("missing", "default" if has_default else "reject" if required else "null"),
            unknown=r.get("unknown", "default" if has_default else "reject"),
            codes=r.get("codes", "keep"), when=r.get("when"), derive=r.get("derive"),
            formats=tuple(r.get("formats", ())), not_before=r.get("not_before"),
            limit_column=r.get("limit_column"), limit_unit=r.get("limit_unit", "hours"),
            limit_hours=r.get("limit_hours"), limit_from=r.get("limit_from", "received_at"),
        )
    return Mapping(
        id=data["id"], name=data["name"], source=source, timezone=src["timezone"],
        time_formats=tuple(src.get("time_formats", [ISO])),
        ambiguous=src.get("ambiguous_times", "earliest"), nonexistent=src.get("nonexistent_times", "shift"),
        never_read=frozenset(src.get("never_read", [])), rules=rules, format=src.get("format"),
        encoding=src.get("encoding"), sheet=src.get("sheet"), records=src.get("records"), raw=data,
    )


def parse_selector(column: str) -> tuple[str, str, str, str] | None:
    """``notes[type=closed].datetime`` -> (list key, match key, match value, field), else None."""
    m = _SELECTOR.match(column)
    return None if m is None else (m["list"], m["key"], m["value"], m["field"])
