"""The published case-record schema, loaded offline from the installed package, and what the code
reads from it: field names, the JSON type each field holds, the allowed values of enum fields and
the patterns of codes. Nothing here re-types a list the schema already states.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from functools import cache, lru_cache
from importlib import resources
from typing import Any

SCHEMA_FILE = "case-record.schema.json"


@lru_cache(maxsize=1)
def case_record_schema() -> dict[str, Any]:
    """The case-record JSON Schema (draft 2020-12), read from the package, never the network."""
    text = resources.files("jiesu").joinpath("schemas", SCHEMA_FILE).read_text(encoding="utf-8")
    return json.loads(text)


def schema_version() -> str:
    return case_record_schema()["x-schema-version"]


def schema_id() -> str:
    return case_record_schema()["$id"]


def field_names() -> list[str]:
    """The schema's fields in their published order."""
    return list(case_record_schema()["properties"])


def _resolved(prop: dict[str, Any]) -> dict[str, Any]:
    """A property with its ``$ref`` (or the non-null branch of ``anyOf``) folded in."""
    defs = case_record_schema().get("$defs", {})
    if "$ref" in prop and "type" not in prop:
        prop = {**defs[prop["$ref"].rsplit("/", 1)[1]], **{k: v for k, v in prop.items() if k != "$ref"}}
    if "type" not in prop and "anyOf" in prop:
        for alt in prop["anyOf"]:
            if alt.get("type") != "null":
                return _resolved(alt)
    return prop


def _json_kind(prop: dict[str, Any]) -> str:
    prop = _resolved(prop)
    types = prop.get("type")
    types = [types] if isinstance(types, str) else list(types or [])
    main = [t for t in types if t != "null"]
    if main == ["string"]:
        return "date-time" if prop.get("format") == "date-time" else "string"
    if main in (["boolean"], ["integer"]):
        return main[0]
    raise ValueError(f"unsupported schema type {types!r}")


@dataclass(frozen=True)
class FieldKinds:
    """The JSON type each schema field holds: string, date-time, boolean or integer."""

    kind: dict[str, str]

    @property
    def names(self) -> list[str]:
        return list(self.kind)

    def of(self, kind: str) -> list[str]:
        return [f for f, k in self.kind.items() if k == kind]


@lru_cache(maxsize=1)
def field_kinds() -> FieldKinds:
    """Every field of the schema and its kind, in the published order."""
    return FieldKinds({name: _json_kind(p) for name, p in case_record_schema()["properties"].items()})


@cache
def enum_values(field: str) -> tuple[str, ...]:
    """The allowed values of an enum field, in the schema's order (null left out)."""
    values = _resolved(case_record_schema()["properties"][field]).get("enum")
    if values is None:
        raise KeyError(f"schema field {field!r} has no enum")
    return tuple(v for v in values if v is not None)


@cache
def field_pattern(field: str) -> str:
    """The regular expression a field's text must match (``case_id``, or a code field)."""
    return _resolved(case_record_schema()["properties"][field])["pattern"]


@cache
def field_max_length(field: str) -> int | None:
    return _resolved(case_record_schema()["properties"][field]).get("maxLength")


@dataclass(frozen=True)
class DateTimeRange:
    """The supported date-time range (``x-date-time-range`` of the schema), as text and as
    microseconds since 1970 in UTC: ``minimum <= t < before``."""

    minimum: str
    before: str
    minimum_us: int
    before_us: int

    def __str__(self) -> str:
        return f"{self.minimum} to before {self.before}"


@lru_cache(maxsize=1)
def date_time_range() -> DateTimeRange:
    """The range every date-time of a record must lie in, read from the schema."""
    from datetime import UTC, datetime

    spec = case_record_schema()["x-date-time-range"]
    lo, hi = spec["minimum"], spec["exclusiveMaximum"]
    epoch = datetime(1970, 1, 1, tzinfo=UTC)

    def us(text: str) -> int:
        delta = datetime.fromisoformat(text) - epoch
        return (delta.days * 86_400 + delta.seconds) * 1_000_000 + delta.microseconds

    return DateTimeRange(lo, hi, us(lo), us(hi))


@lru_cache(maxsize=1)
def record_validator():
    """A python-jsonschema validator built once, with the date-time format really checked.

    The registry holds only this schema, so every `$ref` resolves offline.
    """
    import jsonschema
    from referencing import Registry, Resource

    schema = case_record_schema()
    registry = Registry().with_resource(schema["$id"], Resource.from_contents(schema))
    cls = jsonschema.Draft202012Validator
    checker = cls.FORMAT_CHECKER
    if "date-time" not in checker.checkers:  # pragma: no cover - dependency is declared
        raise RuntimeError("rfc3339-validator is required to check date-time formats")
    return cls(schema, registry=registry, format_checker=checker)


# The enum fields' values, read from the schema once (the order is the schema's).
CHANNELS = enum_values("channel")
REQUEST_TYPES = enum_values("request_type")
DISPOSITIONS = enum_values("disposition")
UNIT_LEVELS = enum_values("unit_level")
STATUSES = enum_values("status")
SATISFACTION = enum_values("satisfaction")
EXCLUSION_REASONS = enum_values("exclusion_reason")
