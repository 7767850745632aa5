"""The vectorised schema checks agree with python-jsonschema on every row of a mutated corpus.

12,000 records: valid cases, most with one to three mutations drawn from operators that cover every
field and every keyword of the schema. The reference verdict comes from python-jsonschema on the
records exactly as each file format presents them; jiesu's verdict comes from `validate`.
"""

from __future__ import annotations

import csv
import json
import random
import re
from datetime import timedelta, timezone
from pathlib import Path

import pyarrow as pa
import pyarrow.parquet as pq
import pytest

from jiesu.records import json_records
from jiesu.schema import case_record_schema, field_kinds, record_validator
from jiesu.synthetic import generate
from jiesu.validation import schema_invalid_rows

N = 12_000
KINDS = field_kinds().kind
FIELDS = list(KINDS)
BEIJING = timezone(timedelta(hours=8))

WRONG_TYPES = [5, 1.5, 1.0, True, False, "true", "7", [], {}, ["x"], {"a": 1}, ""]
TEXT_VALUES = ["", "a b", "东城", "x\n", "BJ1\n", "-abc", "１２３", "ok_code-1.2", "A" * 64, "A" * 65, "a:b", "Z",
               "13812345678", "\t", "abc$"]
DATE_TIMES = [
    "2024-02-30T00:00:00Z", "2024-02-29T00:00:00Z", "2023-02-29T10:00:00+08:00", "2024-01-01t00:00:00z",
    "2024-01-01T00:00:00", "2024-01-01 00:00:00+08:00", "2024-01-01T24:00:00Z", "2024-01-01T00:00:60Z",
    "0000-01-01T00:00:00Z", "2024-01-01T00:00:00.123456789+08:00", "2024-01-01T00:00:00Z\n",
    "2024-13-01T00:00:00Z", "2024-01-01T00:00:00+24:00", "2024-04-31T00:00:00Z", "2024-04-30T23:59:59.5-05:00",
    "1900-02-29T00:00:00Z", "2000-02-29T00:00:00Z", "2024-1-01T00:00:00Z", "20240101T000000Z", " 2024-01-01T00:00:00Z",
]
INTEGERS = [-1, 0, 1000, 1001, 2**63, 10**20, 1.0, 2.5, "3", True, -(2**63) - 5]


def base_records(n: int) -> list[dict]:
    return json_records(generate(n, seed=2024, start="2024-01-01", days=120), BEIJING)


def mutate(rec: dict, rng: random.Random) -> object:
    roll = rng.random()
    if roll < 0.01:
        return rng.choice([[1, 2], "x", 5, None, True])
    for _ in range(rng.choice([0, 1, 1, 1, 2, 3])):
        name = rng.choice(FIELDS + ["_extra"])
        op = rng.random()
        if name == "_extra":
            rec[rng.choice(["phone", "requester", "note"])] = rng.choice([None, "13812345678", 5, "x"])
        elif op < 0.15:
            rec.pop(name, None)
        elif op < 0.25:
            rec[name] = None
        elif op < 0.4:
            rec[name] = rng.choice(WRONG_TYPES)
        else:
            kind = KINDS[name]
            if kind == "date-time":
                rec[name] = rng.choice(DATE_TIMES)
            elif kind == "integer":
                rec[name] = rng.choice(INTEGERS)
            elif kind == "boolean":
                rec[name] = rng.choice([True, False, "false", 1, 0])
                if name == "excluded" and rng.random() < 0.5:
                    rec["excluded"] = True
                    rec.pop("exclusion_reason", None)
            else:
                enum = case_record_schema()["properties"][name].get("enum")
                choices = TEXT_VALUES + ([v for v in enum if v is not None] + ["PHONE", "fax"] if enum else [])
                rec[name] = rng.choice(choices)
                if name == "disposition" and rng.random() < 0.5:
                    rec["disposition"] = "dispatched"
                    rec.pop(rng.choice(["unit", "unit_level", "dispatched_at", "deadline_at"]), None)
    return rec


@pytest.fixture(scope="module")
def corpus() -> list[object]:
    rng = random.Random(7)
    return [mutate(r, rng) if rng.random() < 0.85 else r for r in base_records(N)]


def reference(records: list[object]) -> set[int]:
    v = record_validator()
    return {i for i, r in enumerate(records) if not v.is_valid(r)}


def jiesu_invalid(path: Path, **kw) -> set[int]:
    return set(schema_invalid_rows([path], **kw).get(str(path), []))


def test_corpus_covers_every_field_and_keyword(corpus):
    v = record_validator()
    keywords, fields, conditionals = set(), set(), set()
    for r in corpus:
        for err in v.iter_errors(r):
            keywords.add(err.validator)
            path = list(err.schema_path)
            if path[:1] == ["allOf"]:
                conditionals.add((path[1], path[2]))
            for e in [err, *err.context]:
                if e.absolute_path:
                    fields.add(e.absolute_path[0])
                if e.validator == "required":
                    fields.update(re.findall(r"'([a-z_]+)' is a required property", e.message))
                keywords.add(e.validator)
    assert set(FIELDS) <= fields
    assert {"required", "type", "format", "enum", "pattern", "minLength", "maxLength", "minimum", "maximum",
            "additionalProperties", "anyOf", "not"} <= keywords
    assert conditionals == {(0, "then"), (1, "then")}  # both if/then rules are exercised
    invalid = reference(corpus)
    assert 0.3 * len(corpus) < len(invalid) < 0.9 * len(corpus)


def test_ndjson_agrees_with_jsonschema(corpus, tmp_path):
    path = tmp_path / "corpus.ndjson"
    path.write_text("".join(json.dumps(r, ensure_ascii=False) + "\n" for r in corpus), encoding="utf-8")
    assert jiesu_invalid(path, batch_rows=1000) == reference(corpus)


def test_json_array_agrees_with_jsonschema(corpus, tmp_path):
    path = tmp_path / "corpus.json"
    part = corpus[:3000]
    path.write_text(json.dumps(part, ensure_ascii=False), encoding="utf-8")
    assert jiesu_invalid(path) == reference(part)


def _csv_cell(v: object) -> str:
    if v is None:
        return ""
    if isinstance(v, bool):
        return "true" if v else "false"
    if isinstance(v, (dict, list, float)):
        return json.dumps(v, ensure_ascii=False)
    return str(v)


def _from_csv_cell(text: str) -> object:
    """The documented CSV rule, written independently of jiesu.io."""
    if text == "":
        return None
    if text.lower() in ("true", "false"):
        return text.lower() == "true"
    if re.fullmatch(r"[+-]?[0-9]{1,18}", text):
        return int(text)
    return text


def test_csv_agrees_with_jsonschema(corpus, tmp_path):
    records = [r for r in corpus if isinstance(r, dict)]
    header = list(dict.fromkeys(k for r in records for k in r))
    path = tmp_path / "corpus.csv"
    with open(path, "w", newline="", encoding="utf-8") as f:
        w = csv.writer(f)
        w.writerow(header)
        for r in records:
            w.writerow([_csv_cell(r.get(k)) for k in header])
    with open(path, newline="", encoding="utf-8") as f:
        rows = list(csv.reader(f))[1:]
    as_read = []
    for row in rows:
        rec = {}
        for k, cell in zip(header, row):
            value = _from_csv_cell(cell)
            if value is not None:
                # a boolean or integer field reads typed; a text field keeps its text
                rec[k] = value if KINDS.get(k) in ("boolean", "integer") else cell
        as_read.append(rec)
    assert jiesu_invalid(path) == reference(as_read)


def fits(r: object) -> bool:
    if not isinstance(r, dict):
        return False
    for k, v in r.items():
        kind = KINDS.get(k)
        if v is None:
            continue
        if kind in ("string", "date-time") and not isinstance(v, str):
            return False
        if kind == "boolean" and not isinstance(v, bool):
            return False
        if kind == "integer" and (not isinstance(v, int) or isinstance(v, bool) or abs(v) >= 2**63):
            return False
        if kind is None and not isinstance(v, str):
            return False
    return True



def test_parquet_agrees_with_jsonschema(corpus, tmp_path):
    arrow_types = {"string": pa.string(), "date-time": pa.string(), "boolean": pa.bool_(), "integer": pa.int64()}

    records = [r for r in corpus if fits(r)]
    names = list(dict.fromkeys(k for r in records for k in r))
    table = pa.table({k: pa.array([r.get(k) for r in records], arrow_types.get(KINDS.get(k), pa.string())) for k in names})
    path = tmp_path / "corpus.parquet"
    pq.write_table(table, path, row_group_size=2500)
    as_read = [{k: v for k, v in row.items() if v is not None} for row in pq.read_table(path).to_pylist()]
    assert len(records) > 5000
    assert jiesu_invalid(path, batch_rows=2000) == reference(as_read)


def test_ndjson_fast_path_agrees_with_jsonschema(corpus, tmp_path, monkeypatch):
    """Blocks with only well-typed values go through Arrow's JSON parser: prove it and compare."""
    import jiesu.io.json_reader

    records = [r for r in corpus if fits(r) and set(r) <= set(KINDS)]
    path = tmp_path / "typed.ndjson"
    path.write_text("".join(json.dumps(r, ensure_ascii=False) + "\n" for r in records), encoding="utf-8")

    def no_slow_path(*a, **k):
        raise AssertionError("slow path used")

    monkeypatch.setattr(jiesu.io.json_reader, "records_table", no_slow_path)
    assert len(records) > 5000
    assert jiesu_invalid(path, batch_rows=1500) == reference(records)


def test_ndjson_pieces_agree_with_jsonschema(corpus, tmp_path, monkeypatch):
    """A block Arrow rejects is tried again in pieces; Arrow takes the clean ones, Python the rest.
    Small pieces here, so that every block mixes both: the verdicts must not change."""
    import jiesu.io.json_reader

    path = tmp_path / "corpus.ndjson"
    path.write_text("".join(json.dumps(r, ensure_ascii=False) + "\n" for r in corpus), encoding="utf-8")
    monkeypatch.setattr(jiesu.io.json_reader, "PIECE_BYTES", 6 << 10)
    used = {"arrow": 0, "python": 0}
    arrow_lines, records_table = jiesu.io.json_reader.arrow_lines, jiesu.io.json_reader.records_table

    def counted_arrow(text):
        table = arrow_lines(text)
        used["arrow"] += table is not None and len(text) < (1 << 20)
        return table

    def counted_python(records):
        used["python"] += 1
        return records_table(records)

    monkeypatch.setattr(jiesu.io.json_reader, "arrow_lines", counted_arrow)
    monkeypatch.setattr(jiesu.io.json_reader, "records_table", counted_python)
    assert jiesu_invalid(path, batch_rows=2000) == reference(corpus)
    assert used["arrow"] > 10 and used["python"] > 10
