"""Mapping files: the published schema (values referenced from the case-record schema), the rules
it cannot state, one line per problem, and `jiesu mapping check|list|show`."""

from __future__ import annotations

import copy
import json
import re
import tomllib
from pathlib import Path

import pytest
import tomli_w
from typer.testing import CliRunner

from jiesu.cli.app import app
from jiesu.errors import ProfileError
from jiesu.importers.mapping import (
    built_in,
    check_mapping,
    load_mapping,
    mapping_problems,
    mapping_schema,
)
from jiesu.schema import field_names

ROOT = Path(__file__).resolve().parents[1]
runner = CliRunner()

BASE = {
    "mapping_version": 1, "id": "town", "name": "Town export",
    "source": {"timezone": "Europe/Paris", "time_formats": ["%d/%m/%Y %H:%M"], "never_read": ["Address"]},
    "fields": {
        "case_id": {"column": "No"},
        "received_at": {"column": "Opened"},
        "channel": {"column": "Via", "values": {"Phone": "phone"}, "default": "other"},
        "request_type": {"value": "other"},
        "category": {"column": "Kind", "codes": "slug"},
        "unit": {"column": "Team"},
        "disposition": {"derive": "unit_named", "default": "not_dispatched"},
        "dispatched_at": {"from": "received_at", "when": "dispatched"},
        "unit_level": {"value": "department", "when": "dispatched"},
        "deadline_at": {"column": "Due", "limit_hours": 72},
        "status": {"column": "State", "values": {"Done": "closed"}, "derive": "closed_at"},
        "closed_at": {"column": "Closed", "not_before": "received_at"},
    },
}


def problems(**changes) -> list[str]:
    data = copy.deepcopy(BASE)
    for path, value in changes.items():
        node = data
        keys = path.split("__")
        for k in keys[:-1]:
            node = node[k]
        if value is None:
            node.pop(keys[-1], None)
        else:
            node[keys[-1]] = value
    return mapping_problems(data)


def test_a_good_mapping_has_no_problem():
    assert problems() == []


def test_built_in_mappings_pass_every_check():
    assert built_in() == ["boston-311", "cn-12345", "nyc-311", "open311"]
    for name in built_in():
        text = (ROOT / "src" / "jiesu" / "importers" / "mappings" / f"{name}.toml").read_text(encoding="utf-8")
        assert mapping_problems(tomllib.loads(text)) == [], name
        assert load_mapping(name).id == name


def test_schema_is_published_beside_the_case_record_schema_and_lists_every_field():
    published = json.loads((ROOT / "schemas" / "mapping.schema.json").read_text(encoding="utf-8"))
    assert published == mapping_schema()
    assert published["$id"] == "https://jiesu.dev/schemas/1.0.0/mapping.schema.json"
    from jiesu.schema import schema_id

    refs = {ref.split("#")[0] for ref in re.findall(r'"\$ref": "([^"]+)"', json.dumps(published)) if "#" in ref}
    assert refs == {"", schema_id()}  # its own definitions, and the case-record schema of this version
    assert list(published["properties"]["fields"]["properties"]) == field_names()
    text = json.dumps(published)
    for word in ("wechat", "basically_satisfied", "not_dispatched", "in_progress", "consultation"):
        assert word not in text  # enum values are referenced from the case-record schema, never restated


@pytest.mark.parametrize(("changes", "expected"), [
    ({"fields__chanel": {"value": "phone"}}, "fields: Additional properties are not allowed ('chanel' was unexpected); 'chanel' (did you mean 'channel'?)"),
    ({"fields__channel__values": {"Phone": "fax"}}, "fields.channel.values.Phone: 'fax' is not one of ['phone', 'web', 'app', 'wechat', 'email', 'sms', 'other']"),
    ({"fields__channel__defualt": "other"}, "fields.channel: Unevaluated properties are not allowed ('defualt' was unexpected); 'defualt' (did you mean 'default'?)"),
    ({"fields__unit__values": {"A": "not a code"}}, "fields.unit.values.A: 'not a code' is not valid under any of the given schemas"),
    ({"fields__received_at__limit_hours": 3}, "fields.received_at: Unevaluated properties are not allowed ('limit_hours' was unexpected)"),
    ({"source__timezone": "Mars/Olympus"}, "source.timezone: unknown time zone 'Mars/Olympus' (an IANA name such as America/New_York or Asia/Shanghai)"),
    ({"source__time_formats": ["%d/%m/%Y %Q"]}, "source.time_formats[0]: unknown directive %Q in '%d/%m/%Y %Q' (known: %Y %m %d %H %I %M %S %p %y %j %b %B %z, or 'iso')"),
    ({"fields__unit__column": "Address"}, "fields.unit.column: 'Address' is listed in source.never_read and must not be read"),
    ({"fields__received_at": None}, "fields.received_at: the case-record schema requires received_at: give a column, a value, from, or a default"),
    ({"fields__closed_at__not_before": "recieved_at"}, "fields.closed_at.not_before: 'recieved_at' is not a case-record field (did you mean 'received_at'?)"),
    ({"fields__dispatched_at__from": "unit"}, "fields.dispatched_at.from: 'unit' holds string values, dispatched_at needs date-time"),
    ({"fields__channel__unknown": "default", "fields__channel__default": None}, "fields.channel: missing or unknown = default needs a default"),
    ({"fields__closed_at__from": "deadline_at", "fields__deadline_at__from": "closed_at"}, "fields: deadline_at -> closed_at -> deadline_at derive from each other in a circle"),
    ({"fields__channel__values": {"Phone": "phone", "PHONE": "web"}}, "fields.channel.values: 'Phone' and 'PHONE' differ only in case but map to different values (set ignore_case = false)"),
    ({"fields__category__patterns": [{"match": "(", "value": "x"}]}, "fields.category.patterns[0].match: not a regular expression (missing ), unterminated subpattern at position 0)"),
    ({"fields__channel__derive": "given"}, "fields.channel.derive: only disposition (unit_named), status (closed_at) and boolean fields (given: true where the column is not empty) are derived"),
])
def test_one_line_per_problem(changes, expected):
    found = problems(**changes)
    assert found[0] == expected
    if "received_at" not in str(changes):  # removing received_at also breaks the rules naming it
        assert len(found) == 1


def test_nan_and_every_problem_listed():
    found = problems(fields__deadline_at__limit_hours=float("nan"), fields__chanel={"value": "phone"})
    assert "fields.deadline_at.limit_hours: must be a number, got nan" in found and len(found) == 2


def test_load_mapping_errors(tmp_path: Path):
    with pytest.raises(ProfileError, match="not found: give a TOML file or a built-in name"):
        load_mapping(tmp_path / "none.toml")
    bad = tmp_path / "bad.toml"
    bad.write_text("mapping_version = 1\nid = [", encoding="utf-8")
    with pytest.raises(ProfileError, match="not valid TOML"):
        load_mapping(bad)
    typo = tmp_path / "typo.toml"
    data = copy.deepcopy(BASE)
    data["fields"]["chanel"] = {"value": "phone"}
    data["source"]["timezone"] = "Nowhere/Land"
    typo.write_text(tomli_w.dumps(data), encoding="utf-8")
    with pytest.raises(ProfileError) as err:
        load_mapping(typo)
    assert err.value.message.startswith(f"mapping {typo}: fields: Additional properties are not allowed")
    assert err.value.message.endswith(f"(and 0 more problems: run `jiesu mapping check {typo}`)") is False
    assert check_mapping(typo)[0].startswith("fields: Additional properties")


def test_cli_check_list_show(tmp_path: Path):
    good = tmp_path / "good.toml"
    good.write_text("\ufeff" + tomli_w.dumps(BASE), encoding="utf-8")  # a byte-order mark is fine
    bad = tmp_path / "bad.toml"
    data = copy.deepcopy(BASE)
    data["fields"]["channel"]["values"] = {"Phone": "fax"}
    data["source"]["timezone"] = "Mars/Olympus"
    bad.write_text(tomli_w.dumps(data), encoding="utf-8")
    result = runner.invoke(app, ["mapping", "check", str(good), str(bad)])
    assert result.exit_code == 1
    assert result.stdout.splitlines() == [
        f"{bad}: fields.channel.values.Phone: 'fax' is not one of ['phone', 'web', 'app', 'wechat', 'email', 'sms', 'other']"]
    assert f"{good}: ok" in result.stderr
    assert runner.invoke(app, ["mapping", "check", str(good)]).exit_code == 0
    assert runner.invoke(app, ["mapping", "check", str(tmp_path / "none.toml")]).exit_code == 3
    listed = runner.invoke(app, ["mapping", "list"])
    assert listed.exit_code == 0 and [line.split()[0] for line in listed.stdout.splitlines()] == built_in()
    shown = runner.invoke(app, ["mapping", "show", "nyc-311"])
    assert shown.exit_code == 0 and tomllib.loads(shown.stdout)["id"] == "nyc-311"
