"""The published case-record schema: loaded offline from the installed package."""

from __future__ import annotations

import json
from functools import lru_cache
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
