"""`jiesu schema diff` on the packaged schema against hand-made variants of it.

Each variant says by hand which differences it holds and what they are; every breaking variant
also brings a witness record that the old schema accepts and the new one rejects (checked with
python-jsonschema, not with the code under test), and every compatible variant is checked to keep
the 60 valid fixture records valid.
"""

from __future__ import annotations

import copy
import json
from collections.abc import Callable
from pathlib import Path
from typing import Any

import jsonschema
import pytest
from typer.testing import CliRunner

from jiesu.cli.app import app
from jiesu.schema import case_record_schema
from jiesu.schema_diff import BREAKING, COMPATIBLE, EDITORIAL, render_diff, schema_diff

ROOT = Path(__file__).resolve().parents[1]
RELEASED = ROOT / "schemas" / "released"
runner = CliRunner()
WITNESS_BASE = {"case_id": "W1", "received_at": "2024-03-01T08:00:00+08:00", "channel": "phone",
                "request_type": "help", "category": "ENV", "disposition": "answered", "status": "open"}


def base() -> dict[str, Any]:
    """The packaged schema, as version 1.0.0 whatever version the package is at: the rules below
    are stated from that base."""
    s = copy.deepcopy(case_record_schema())
    s["$id"] = s["$id"].replace(f"/{s['x-schema-version']}/", "/1.0.0/")
    s["x-schema-version"] = "1.0.0"
    return s


def variant(edit: Callable[[dict[str, Any]], None], version: str | None = None) -> dict[str, Any]:
    s = base()
    edit(s)
    if version is not None:
        s["x-schema-version"] = version
        s["$id"] = s["$id"].replace("/1.0.0/", f"/{version}/")
    return s


def accepts(schema: dict[str, Any], record: dict[str, Any]) -> bool:
    cls = jsonschema.Draft202012Validator
    return cls(schema, format_checker=cls.FORMAT_CHECKER).is_valid(record)


def valid_records() -> list[dict[str, Any]]:
    return [json.loads(x) for x in (ROOT / "fixtures" / "valid" / "cases.ndjson").read_text("utf-8").splitlines()]


def kinds(diff) -> list[tuple[str, str]]:
    return sorted((c.kind, c.path) for c in diff.changes)


# ---------------------------------------------------------------- breaking: edit, changes, witness

def _remove_field(s):
    del s["properties"]["proactive"]


def _require(s):
    s["required"].append("district")


def _narrow_type(s):
    s["properties"]["answered_at"]["type"] = "string"


def _narrow_enum(s):
    s["properties"]["channel"]["enum"].remove("sms")


def _tighten_pattern(s):
    s["$defs"]["code"]["pattern"] = "^[A-Z0-9][A-Z0-9._-]*$"


def _tighten_range(s):
    s["properties"]["objections"]["maximum"] = 10


def _tighten_length(s):
    s["properties"]["case_id"]["maxLength"] = 8


def _conditional_required(s):
    s["allOf"][0]["then"]["required"].append("first_contact_at")


def _new_constraint(s):
    s["allOf"].append({"description": "A closed case has closed_at.",
                       "if": {"properties": {"status": {"const": "closed"}}, "required": ["status"]},
                       "then": {"required": ["closed_at"]}})


def _rename(s):
    props = s["properties"]
    s["properties"] = {("topic_code" if k == "topic" else k): v for k, v in props.items()}


BREAKING_VARIANTS = [
    ("field removed", _remove_field, [(BREAKING, "/properties/proactive")], {"proactive": True}),
    ("field made required", _require, [(BREAKING, "/required")], {}),
    ("type narrowed", _narrow_type, [(BREAKING, "/properties/answered_at/type")], {"answered_at": None}),
    ("enum narrowed", _narrow_enum, [(BREAKING, "/properties/channel/enum")], {"channel": "sms"}),
    ("pattern tightened", _tighten_pattern, [(BREAKING, "/$defs/code/pattern")], {"category": "env"}),
    ("range tightened", _tighten_range, [(BREAKING, "/properties/objections/maximum")], {"objections": 11}),
    ("length tightened", _tighten_length, [(BREAKING, "/properties/case_id/maxLength")], {"case_id": "W" * 9}),
    ("conditionally required", _conditional_required, [(BREAKING, "/allOf/0/then/required")],
     {"disposition": "dispatched", "dispatched_at": "2024-03-01T09:00:00+08:00", "unit": "U1",
      "unit_level": "street", "deadline_at": "2024-03-02T09:00:00+08:00"}),
    ("new constraint", _new_constraint, [(BREAKING, "/allOf/2")], {"status": "closed"}),
    ("field renamed", _rename, [(BREAKING, "/properties/topic")], {"topic": "T1"}),
]


@pytest.mark.parametrize(("name", "edit", "expected", "witness"), BREAKING_VARIANTS, ids=[v[0] for v in BREAKING_VARIANTS])
def test_breaking_changes_need_a_major_version(name, edit, expected, witness):
    old = base()
    record = {**WITNESS_BASE, **witness}
    assert accepts(old, record) and not accepts(variant(edit), record), "the witness must break"
    minor = schema_diff(old, variant(edit, "1.1.0"))
    assert kinds(minor) == sorted(expected)
    assert minor.kind == BREAKING and minor.bump_needed == "major" and minor.bump == "minor"
    assert not minor.ok and "need" in minor.problems[0] and "a new major version" in minor.problems[0]
    major = schema_diff(old, variant(edit, "2.0.0"))
    assert major.ok and major.problems == []


def test_a_rename_is_one_change_that_says_so():
    d = schema_diff(base(), variant(_rename, "2.0.0"))
    assert [c.what for c in d.changes] == ['field "topic" renamed to "topic_code"']


# ---------------------------------------------------------------- compatible

def _add_enum_value(s):
    s["properties"]["channel"]["enum"].append("fax")


def _add_field(s):
    s["properties"]["language"] = {"type": ["string", "null"], "maxLength": 16}


def _loosen(s):
    s["$defs"]["code"]["maxLength"] = 128
    s["properties"]["objections"]["maximum"] = 100000


def _unrequire(s):
    s["required"].remove("request_type")


def _widen_type(s):
    s["properties"]["objections"]["type"] = ["number", "null"]


COMPATIBLE_VARIANTS = [
    ("enum value added", _add_enum_value, [(COMPATIBLE, "/properties/channel/enum")]),
    ("field added", _add_field, [(COMPATIBLE, "/properties/language")]),
    ("constraints loosened", _loosen, [(COMPATIBLE, "/$defs/code/maxLength"), (COMPATIBLE, "/properties/objections/maximum")]),
    ("no longer required", _unrequire, [(COMPATIBLE, "/required")]),
    ("type widened", _widen_type, [(COMPATIBLE, "/properties/objections/type")]),
]


@pytest.mark.parametrize(("name", "edit", "expected"), COMPATIBLE_VARIANTS, ids=[v[0] for v in COMPATIBLE_VARIANTS])
def test_compatible_changes_need_a_minor_version(name, edit, expected):
    new = variant(edit, "1.1.0")
    assert all(accepts(new, r) for r in valid_records())  # old records stay valid
    d = schema_diff(base(), new)
    assert kinds(d) == sorted(expected) and d.kind == COMPATIBLE and d.ok
    patch = schema_diff(base(), variant(edit, "1.0.1"))
    assert not patch.ok and patch.problems == [
        (f"{len(expected)} compatible change{'s' * (len(expected) > 1)} need{'s' * (len(expected) == 1)} a new minor "
         "version, but the version went from 1.0.0 to 1.0.1 (a patch bump)")]
    assert schema_diff(base(), variant(edit, "2.0.0")).ok  # more than needed is allowed


def test_the_defs_change_names_the_fields_that_use_it():
    d = schema_diff(base(), variant(_loosen, "1.1.0"))
    what = next(c.what for c in d.changes if c.path == "/$defs/code/maxLength")
    assert what == "maxLength loosened from 64 to 128 (used by category, district, street, unit, topic)"


# ---------------------------------------------------------------- editorial, versions, ids

def _editorial(s):
    s["properties"]["topic"]["description"] = "A better description."
    s["title"] = "Case record"
    s["properties"] = dict(reversed(list(s["properties"].items())))


def test_editorial_changes_need_a_patch_version():
    d = schema_diff(base(), variant(_editorial, "1.0.1"))
    assert kinds(d) == [(EDITORIAL, "/properties"), (EDITORIAL, "/properties/topic/description"), (EDITORIAL, "/title")]
    assert d.ok and d.bump == "patch" and d.bump_needed == "patch"
    same = schema_diff(base(), variant(_editorial))
    assert not same.ok and "the version went from 1.0.0 to 1.0.0 (unchanged)" in same.problems[0]


def test_identical_schemas_and_version_rules():
    assert schema_diff(base(), base()).to_dict()["ok"] is True
    down = schema_diff(variant(lambda s: None, "1.2.0"), base())
    assert down.problems == ["the version went down, from 1.2.0 to 1.0.0"]
    same_id = variant(_add_enum_value)
    same_id["x-schema-version"] = "1.1.0"
    assert schema_diff(base(), same_id).problems == [
        ('the version changed but $id did not ("https://jiesu.dev/schemas/1.0.0/case-record.schema.json"): '
         "every version has its own $id")]
    bad = variant(lambda s: s.update({"x-schema-version": "v2"}))
    assert schema_diff(base(), bad).problems == ['the new schema\'s x-schema-version "v2" is not MAJOR.MINOR.PATCH']


# ---------------------------------------------------------------- the command

def _write(tmp_path: Path, name: str, schema: dict[str, Any]) -> str:
    path = tmp_path / name
    path.write_text(json.dumps(schema), encoding="utf-8")
    return str(path)


def test_cli_exit_codes_and_formats(tmp_path):
    old = _write(tmp_path, "old.json", base())
    bad = _write(tmp_path, "bad.json", variant(_narrow_enum, "1.1.0"))
    good = _write(tmp_path, "good.json", variant(_narrow_enum, "2.0.0"))
    result = runner.invoke(app, ["schema", "diff", old, bad])
    assert result.exit_code == 1
    assert result.stdout.splitlines()[0] == (
        "jiesu schema diff: 1.0.0 -> 1.1.0: 1 breaking, 0 compatible, 0 editorial; needs a major version"
        " — VERSION DOES NOT MATCH")
    assert 'value "sms" removed' in result.stdout
    ok = runner.invoke(app, ["schema", "diff", "--format", "json", old, good])
    assert ok.exit_code == 0
    assert json.loads(ok.stdout) == schema_diff(base(), variant(_narrow_enum, "2.0.0")).to_dict()
    md = runner.invoke(app, ["schema", "diff", "-f", "markdown", old, bad])
    assert "| breaking | /properties/channel/enum | value \"sms\" removed |" in md.stdout
    (tmp_path / "broken.json").write_text("{not json")
    for args in (["schema", "diff", old, str(tmp_path / "none.json")], ["schema", "diff", old, str(tmp_path / "broken.json")]):
        r = runner.invoke(app, args)
        assert r.exit_code == 3 and r.stderr.count("\n") == 1 and "[unreadable-input]" in r.stderr
    assert runner.invoke(app, ["schema", "diff", "-f", "xml", old, good]).exit_code == 2


def test_values_from_a_schema_are_shown_safely():
    evil = variant(lambda s: s["properties"]["channel"]["enum"].append("\x1b[31m13812345678|*x*"), "1.1.0")
    d = schema_diff(base(), evil)
    text = render_diff(d, "table")
    assert "\x1b" not in text and "13812345678" not in text and "138******78" in text
    assert "\\|\\*x\\*" in render_diff(d, "markdown")


# ---------------------------------------------------------------- the project's own CI check

def released_versions() -> list[tuple[tuple[int, ...], Path]]:
    out = []
    for d in RELEASED.iterdir():
        out.append((tuple(int(x) for x in d.name.split(".")), d / "case-record.schema.json"))
    return sorted(out)


def test_packaged_schema_against_the_last_released_version():
    """Run on every change: the schema jiesu ships may differ from the last release only as far as
    its x-schema-version says (docs/schema.md, "How CI checks a schema change")."""
    version, path = released_versions()[-1]
    packaged = ROOT / "schemas" / "case-record.schema.json"
    result = runner.invoke(app, ["schema", "diff", str(path), str(packaged)])
    assert result.exit_code == 0, result.stdout
    released = json.loads(path.read_text("utf-8"))
    assert released["x-schema-version"] == ".".join(map(str, version)), "the folder is named after the version"
    if released["x-schema-version"] == case_record_schema()["x-schema-version"]:
        assert released == case_record_schema(), "a released version never changes: bump the version"
