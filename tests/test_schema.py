"""The published schema: well-formed, versioned, bilingual, offline, and the checks' single source."""

from __future__ import annotations

import json
import re
from pathlib import Path

import jsonschema
import pytest

from jiesu.schema import case_record_schema, field_names, record_validator, schema_version
from jiesu.validation.schema_checks import SchemaCompileError, compile_schema

ROOT = Path(__file__).resolve().parents[1]
CJK = re.compile(r"[\u4e00-\u9fff]")


def test_schema_is_draft_2020_12_with_versioned_absolute_id():
    s = case_record_schema()
    jsonschema.Draft202012Validator.check_schema(s)
    assert s["$schema"] == "https://json-schema.org/draft/2020-12/schema"
    assert s["$id"].startswith("https://") and f"/{schema_version()}/" in s["$id"]
    assert schema_version() == "1.0.1"


def test_published_file_is_the_packaged_file():
    on_disk = json.loads((ROOT / "schemas" / "case-record.schema.json").read_text(encoding="utf-8"))
    assert on_disk == case_record_schema()


def test_contract_fields_exactly():
    expected = ["case_id", "received_at", "answered_at", "channel", "request_type", "category", "district", "street",
                "disposition", "dispatched_at", "unit", "unit_level", "deadline_at", "objections", "objection_upheld",
                "first_contact_at", "closed_at", "status", "callback_at", "callback_valid", "contacted", "resolved",
                "satisfaction", "excluded", "exclusion_reason", "proactive", "topic"]
    assert field_names() == expected


def test_every_field_has_english_and_chinese_title_and_description():
    for name, prop in case_record_schema()["properties"].items():
        assert prop.get("title") and prop.get("description"), name
        assert CJK.search(prop["title"] + prop["description"]), f"{name} lacks the Chinese term"


def test_no_field_for_personal_data():
    banned = ("name", "phone", "mobile", "id_number", "address", "idcard")
    for name in field_names():
        assert not any(b in name for b in banned), name
    assert case_record_schema()["additionalProperties"] is False


def test_validator_checks_date_time_format():
    v = record_validator()
    rec = {"case_id": "A1", "received_at": "not a date", "channel": "phone", "request_type": "help",
           "category": "OTHER", "disposition": "answered", "status": "closed"}
    assert not v.is_valid(rec)
    rec["received_at"] = "2024-05-01T08:00:00+08:00"
    assert v.is_valid(rec)


def test_refs_resolve_offline(monkeypatch):
    import urllib.request

    def no_network(*a, **k):
        raise AssertionError("network used")

    monkeypatch.setattr(urllib.request, "urlopen", no_network)
    rec = {"case_id": "A1", "received_at": "2024-05-01T08:00:00+08:00", "channel": "phone", "request_type": "help",
           "category": "bad code!", "disposition": "answered", "status": "closed"}
    errors = list(record_validator().iter_errors(rec))
    assert errors and "does not match" in errors[0].message


def test_compiler_covers_schema_and_rejects_unknown_keywords():
    compiled = compile_schema(case_record_schema())
    assert set(compiled.rules) == set(field_names())
    assert compiled.rules["case_id"].pattern and compiled.rules["objections"].minimum == 0
    assert [c.when_field for c in compiled.conditionals] == ["disposition", "excluded"]
    broken = json.loads(json.dumps(case_record_schema()))
    broken["properties"]["topic"]["multipleOf"] = 2
    with pytest.raises(SchemaCompileError):
        compile_schema(broken)
    broken = json.loads(json.dumps(case_record_schema()))
    broken["properties"]["case_id"]["pattern"] = r"^\d+$"
    with pytest.raises(SchemaCompileError):
        compile_schema(broken)
