"""Every check fires on its fixture; valid data passes in every format; unreadable input is exit 3."""

from __future__ import annotations

import shutil
from pathlib import Path

import pyarrow as pa
import pyarrow.parquet as pq
import pytest

from jiesu.errors import InputError
from jiesu.synthetic import generate
from jiesu.validation import CHECKS, validate

FIX = Path(__file__).resolve().parents[1] / "fixtures"
DATA_CODES = sorted(CHECKS)


@pytest.mark.parametrize("name", ["cases.parquet", "cases.csv", "cases.ndjson", "cases.json"])
def test_valid_fixtures_are_valid(name):
    report = validate([FIX / "valid" / name])
    assert report.valid and report.errors == 0 and report.warnings == 0
    assert report.rows == 60


def test_all_valid_formats_together_repeat_case_ids():
    report = validate([FIX / "valid"])
    assert report.rows == 240
    dup = [n for n in report.notices if n.code == "duplicate-case-id"]
    assert dup and dup[0].count == 180  # each id appears in four files: three repeats per id


@pytest.mark.parametrize("code", DATA_CODES)
def test_every_code_has_a_fixture_that_triggers_it(code):
    path = FIX / "invalid" / f"{code}.ndjson"
    assert path.exists(), f"no fixture for {code}"
    report = validate([path])
    codes = {n.code for n in report.notices}
    assert code in codes
    assert report.valid is (CHECKS[code].severity == "warning")
    strict = validate([path], strict=True)
    assert not strict.valid


def test_fixture_notices_point_at_the_mutated_row():
    report = validate([FIX / "invalid" / "not-in-enum.ndjson"])
    (notice,) = report.notices
    assert notice.field == "channel" and notice.count == 1
    assert notice.samples[0].row == 6 and notice.samples[0].value == "fax"
    assert "is not one of" in notice.samples[0].explanation  # python-jsonschema explains it


def test_personal_data_is_masked_in_samples():
    report = validate([FIX / "invalid" / "personal-data.ndjson"])
    (notice,) = report.notices
    assert "13812345678" not in notice.samples[0].value and notice.samples[0].value.startswith("call-138")
    unknown = validate([FIX / "invalid" / "unknown-field.ndjson"])
    for n in unknown.notices:
        for s in n.samples:
            assert s.value is None or "13812345678" not in s.value


def test_gb18030_csv_is_detected_and_decoded():
    report = validate([FIX / "invalid" / "street-names-gb18030.csv"])
    assert report.files[0].encoding == "gb18030"
    notice = next(n for n in report.notices if n.code == "unknown-street")
    assert notice.samples[0].value == "东华门街道" and notice.count == 3
    forced = validate([FIX / "invalid" / "street-names-gb18030.csv"], encoding="gb18030")
    assert forced.files[0].encoding == "gb18030"


def test_csv_type_rule(tmp_path):
    src = (FIX / "valid" / "cases.csv").read_text(encoding="utf-8").splitlines()
    header = src[0].split(",")
    col = header.index("callback_valid")
    row = next(i for i, line in enumerate(src[1:], 1) if line.split(",")[col] == "true")
    cells = src[row].split(",")
    cells[col] = "TRUE"  # any case reads as boolean
    src[row] = ",".join(cells)
    (tmp_path / "a.csv").write_text("\n".join(src) + "\n", encoding="utf-8")
    assert validate([tmp_path / "a.csv"]).valid
    cells[col] = "yes"
    src[row] = ",".join(cells)
    (tmp_path / "b.csv").write_text("\n".join(src) + "\n", encoding="utf-8")
    report = validate([tmp_path / "b.csv"])
    assert next((n.code, n.field) for n in report.notices if n.severity == "error") == ("wrong-type", "callback_valid")


def test_partitioned_parquet_folder(tmp_path):
    table = generate(3000, seed=3)
    for i in range(3):
        part = tmp_path / f"month=2024-0{i + 1}"
        part.mkdir()
        pq.write_table(table.slice(i * 1000, 1000), part / "part-0.parquet")
    (tmp_path / "_SUCCESS").write_text("")
    report = validate([tmp_path], batch_rows=256)
    assert report.valid and report.rows == 3000 and len(report.files) == 3


def test_duplicates_across_files_and_batches(tmp_path):
    table = generate(2000, seed=4)
    pq.write_table(table, tmp_path / "a.parquet", row_group_size=300)
    pq.write_table(table.slice(1500, 10), tmp_path / "b.parquet")
    report = validate([tmp_path / "a.parquet", tmp_path / "b.parquet"], batch_rows=128)
    (notice,) = [n for n in report.notices if n.code == "duplicate-case-id"]
    assert notice.count == 10
    s = notice.samples[0]
    # ids of 11 or more digits are masked like phone numbers; the rows still say where they are
    assert table.column("case_id")[1500].as_py() == "BJ000000001500"
    assert s.file.endswith("b.parquet") and s.row == 1 and s.value == "BJ000*******00"
    assert "a.parquet row 1501" in s.explanation


def test_timestamp_columns_in_other_zones_compare_by_instant(tmp_path):
    table = generate(500, seed=5)
    shanghai = pa.timestamp("us", tz="Asia/Shanghai")
    i = table.column_names.index("answered_at")
    table = table.set_column(i, "answered_at", table.column("answered_at").cast(shanghai))
    pq.write_table(table, tmp_path / "z.parquet")
    assert validate([tmp_path / "z.parquet"]).valid


@pytest.mark.parametrize("name", ["truncated.parquet", "garbage.csv", "wrong-column-type.parquet", "naive-timestamp.parquet"])
def test_unreadable_inputs_raise_input_error(name):
    with pytest.raises(InputError) as info:
        validate([FIX / "invalid" / name])
    assert name in info.value.message and "\n" not in info.value.message


def test_empty_folder_missing_path_and_unknown_extension(tmp_path):
    with pytest.raises(InputError, match="no data files"):
        validate([tmp_path])
    with pytest.raises(InputError, match="no such file"):
        validate([tmp_path / "nope.parquet"])
    (tmp_path / "cases.xml").write_text("<x/>")
    with pytest.raises(InputError, match="cannot tell the format"):
        validate([tmp_path / "cases.xml"])


def test_csv_without_schema_columns_is_not_a_case_export(tmp_path):
    (tmp_path / "x.csv").write_text("a,b\n1,2\n")
    with pytest.raises(InputError, match="does not look like a case-record CSV"):
        validate([tmp_path / "x.csv"])


def test_samples_are_capped_and_counts_exact(tmp_path):
    table = generate(1000, seed=6)
    i = table.column_names.index("topic")
    table = table.set_column(i, "topic", pa.array(["bad topic"] * 1000))
    pq.write_table(table, tmp_path / "t.parquet")
    report = validate([tmp_path / "t.parquet"], max_samples=3, batch_rows=100)
    (notice,) = report.notices
    assert notice.count == 1000 and len(notice.samples) == 3
    assert [s.row for s in notice.samples] == [1, 2, 3]


def test_copy_of_fixture_reports_its_own_path(tmp_path):
    target = tmp_path / "copy.ndjson"
    shutil.copy(FIX / "invalid" / "time-order.ndjson", target)
    report = validate([target])
    assert report.notices[0].samples[0].file == str(target)


def test_ndjson_layout_variants(tmp_path):
    lines = (FIX / "valid" / "cases.ndjson").read_bytes().splitlines()
    variants = {
        "bom.ndjson": b"\xef\xbb\xbf" + b"\n".join(lines) + b"\n",
        "no-final-newline.ndjson": b"\n".join(lines),
        "blank-lines.ndjson": b"\n".join(lines[:30]) + b"\n\n  \n" + b"\n".join(lines[30:]) + b"\n",
        "crlf.ndjson": b"\r\n".join(lines) + b"\r\n",
    }
    for name, data in variants.items():
        (tmp_path / name).write_bytes(data)
        report = validate([tmp_path / name])
        assert report.valid and report.rows == 60, name
    (tmp_path / "empty.ndjson").write_bytes(b"")
    assert validate([tmp_path / "empty.ndjson"]).rows == 0


def test_ndjson_blocks_keep_row_numbers(tmp_path):
    lines = (FIX / "valid" / "cases.ndjson").read_text(encoding="utf-8").splitlines()
    many = [line.replace('"case_id": "BJ', f'"case_id": "B{i}J') for i in range(40) for line in lines]
    bad = 1234
    many[bad] = many[bad].replace('"channel": "', '"channel": "x')
    (tmp_path / "many.ndjson").write_text("\n".join(many) + "\n", encoding="utf-8")
    report = validate([tmp_path / "many.ndjson"], batch_rows=100)  # blocks of 1 MiB
    (notice,) = report.notices
    assert notice.code == "not-in-enum" and notice.samples[0].row == bad + 1 and report.rows == 2400


def test_no_report_shows_a_phone_number_whatever_the_check(tmp_path):
    lines = (FIX / "valid" / "cases.ndjson").read_text(encoding="utf-8").splitlines()
    import json as _json

    recs = [_json.loads(line) for line in lines]
    recs[3]["topic"] = "call 13812345678"  # breaks the code pattern and holds a mobile number
    recs[4]["street"] = "110101001 / 110101199001011234"  # an ID-card number where a code belongs
    (tmp_path / "p.ndjson").write_text("".join(_json.dumps(r) + "\n" for r in recs), encoding="utf-8")
    report = validate([tmp_path / "p.ndjson"])
    text = _json.dumps(report.to_dict(), ensure_ascii=False)
    assert "13812345678" not in text and "110101199001011234" not in text
    codes = {(n.code, n.field) for n in report.notices}
    assert {("pattern-mismatch", "topic"), ("personal-data", "topic"), ("personal-data", "street")} <= codes


def test_validation_never_imports_pandas():
    """pyarrow imports pandas (~0.3 s) whenever it converts a Python value; validation builds its
    arrays from buffers instead (jiesu.arrays). Every fixture, valid and invalid, in a fresh process."""
    import subprocess
    import sys

    paths = [str(p) for p in sorted((FIX / "valid").iterdir())] + [str(p) for p in sorted((FIX / "invalid").glob("*.ndjson"))]
    code = ("import sys\nfrom jiesu.validation import validate\n"
            "reports = [validate([p]) for p in sys.argv[1:]]\n"
            "assert sum(r.errors for r in reports) > 0\n"
            "print('pandas' in sys.modules)")
    out = subprocess.run([sys.executable, "-c", code, *paths], capture_output=True, text=True, check=True)
    assert out.stdout.strip() == "False"


def test_semantic_checks_read_only_the_fields_they_declare():
    """Dropping every schema field outside SEMANTIC_FIELDS changes no semantic verdict, so
    validation may leave such columns undecoded (columns_to_check)."""
    from jiesu.io.raw import iter_raw
    from jiesu.io.sources import discover
    from jiesu.profile import load_profile
    from jiesu.schema import field_names
    from jiesu.validation.semantic import (
        DATE_TIME_FIELDS,
        SEMANTIC_FIELDS,
        epoch_us,
        semantic_failures,
    )

    profile = load_profile(None)
    paths = sorted((FIX / "invalid").glob("*.ndjson")) + [FIX / "valid" / "cases.parquet"]
    codes = set()

    def verdicts(table):
        times = {f: epoch_us(table.column(f)) for f in DATE_TIME_FIELDS if f in table.column_names}
        return [(c, f, m.tolist()) for c, f, _, m in semantic_failures(table, profile, times)]

    for path in paths:
        for batch in iter_raw(discover([path])[0]):
            full = verdicts(batch.table)
            codes |= {c for c, _, m in full if any(m)}
            unread = [n for n in batch.table.column_names if n in field_names() and n not in SEMANTIC_FIELDS]
            assert unread, path
            assert verdicts(batch.table.drop_columns(unread)) == full, path
    assert {"time-order", "unknown-unit", "answer-without-valid-callback", "personal-data"} <= codes


def test_parquet_columns_no_check_can_fail_on_are_not_decoded(tmp_path):
    from jiesu.io.sources import discover
    from jiesu.validation.engine import columns_to_check

    table = generate(1000, seed=8)
    pq.write_table(table, tmp_path / "ok.parquet", row_group_size=400)
    skipped = set(table.column_names) - set(columns_to_check(discover([tmp_path / "ok.parquet"])[0]))
    assert skipped == {"objections", "objection_upheld", "proactive"}

    # one negative count in the last row group: statistics no longer prove the range
    i = table.column_names.index("objections")
    values = table.column("objections").to_pylist()
    values[-1] = -1
    bad = table.set_column(i, "objections", pa.array(values, pa.int64()))
    pq.write_table(bad, tmp_path / "bad.parquet", row_group_size=400)
    assert "objections" in columns_to_check(discover([tmp_path / "bad.parquet"])[0])
    report = validate([tmp_path / "bad.parquet"])
    assert [(n.code, n.field, n.count, n.samples[0].row) for n in report.notices if n.severity == "error"] == [
        ("out-of-range", "objections", 1, 1000)]

    # without statistics nothing is proven
    pq.write_table(table, tmp_path / "nostats.parquet", write_statistics=False)
    assert "objections" in columns_to_check(discover([tmp_path / "nostats.parquet"])[0])
    assert validate([tmp_path / "nostats.parquet"]).valid


def test_duplicate_found_between_batches_of_different_id_lengths(tmp_path):
    """A case_id hashes alike whatever the other ids of its batch look like (a batch of long ids
    once hid a repeat of a short one)."""
    import json

    records = [json.loads(line) for line in (FIX / "valid" / "cases.ndjson").read_text().splitlines()[:3]]
    ids = ["A1", "Z" * 40, "A1"]
    for rec, case_id in zip(records, ids):
        rec["case_id"] = case_id
    (tmp_path / "a.ndjson").write_text("".join(json.dumps(r) + "\n" for r in records[:2]))
    (tmp_path / "b.ndjson").write_text(json.dumps(records[2]) + "\n")
    report = validate([tmp_path / "a.ndjson", tmp_path / "b.ndjson"])
    (notice,) = [n for n in report.notices if n.code == "duplicate-case-id"]
    assert notice.count == 1 and notice.samples[0].file.endswith("b.ndjson") and notice.samples[0].value == "A1"


def write_as(table: pa.Table, path: Path, row_group_size: int | None = None) -> Path:
    """Write generated cases as Parquet, NDJSON or CSV (by the path's suffix), as an export would."""
    import json

    import pyarrow.csv as pcsv

    from jiesu.records import json_records

    if path.suffix == ".parquet":
        pq.write_table(table, path, row_group_size=row_group_size)
        return path
    records = json_records(table)
    if path.suffix == ".ndjson":
        path.write_text("".join(json.dumps(r) + "\n" for r in records))
    else:
        def cell(v):
            return None if v is None else (str(v).lower() if isinstance(v, bool) else str(v))

        pcsv.write_csv(pa.table({n: pa.array([cell(r.get(n)) for r in records], pa.string()) for n in table.column_names}), path)
    return path


@pytest.mark.parametrize("fmt", ["ndjson", "csv", "parquet"])
def test_file_row_counts_survive_reading_ids_again(tmp_path, fmt):
    """Ids out of order across files and a duplicate make validation read case_id again (replay,
    then the exact pass); the per-file counts in the report stay those of the files."""
    table = generate(300, seed=11)
    parts = {"a": table.slice(150, 150), "b": table.slice(0, 150), "c": table.slice(10, 5)}  # c repeats 5 ids of b
    paths = []
    for name, part in parts.items():
        paths.append(write_as(part, tmp_path / f"{name}.{fmt}", row_group_size=60))
    report = validate(paths, batch_rows=64)
    assert [f.rows for f in report.files] == [150, 150, 5] and report.rows == 305
    (dup,) = [n for n in report.notices if n.code == "duplicate-case-id"]
    assert dup.count == 5 and dup.samples[0].file.endswith(f"c.{fmt}") and "b." in dup.samples[0].explanation


def test_case_id_dictionary_of_nulls_only(tmp_path):
    table = generate(20, seed=12)
    i = table.column_names.index("case_id")
    table = table.set_column(i, "case_id", pa.array([None] * 20, pa.string()).dictionary_encode())
    pq.write_table(table, tmp_path / "n.parquet")
    report = validate([tmp_path / "n.parquet"])
    assert [(n.code, n.field, n.count) for n in report.notices if n.severity == "error"] == [("missing-required", "case_id", 20)]


@pytest.mark.parametrize("suffix", ["ndjson", "csv", "parquet"])
def test_progress_follows_the_file_to_its_end(tmp_path, suffix):
    """Progress counts bytes of the file read (text) or rows of its known total (Parquet):
    it only grows, and ends at the inputs' total size. (Arrow's CSV reader reads blocks ahead, so
    its byte count can run ahead of the rows checked.)"""
    table = generate(16000, seed=13)
    paths = [write_as(table.slice(i * 8000, 8000), tmp_path / f"{i}.{suffix}", row_group_size=2000) for i in range(2)]
    seen = []
    report = validate(paths, batch_rows=2000, progress=lambda done, total: seen.append((done, total)))
    assert report.valid and report.rows == 16000
    total = sum(p.stat().st_size for p in paths)
    assert len(seen) >= 4 and all(t == total for _, t in seen)
    done = [d for d, _ in seen]
    assert done == sorted(done) and done[-1] == total
    if suffix != "csv":
        assert done[0] < total / 2  # the first batch of the first file is not reported as the whole file


@pytest.mark.parametrize("where", [0, 30, 59])
def test_ndjson_null_line_is_not_an_object_wherever_it_is(tmp_path, where):
    """A line `null` used to crash Arrow's reader when it came first in a block (segmentation
    fault) and to pass as an empty record elsewhere."""
    lines = (FIX / "valid" / "cases.ndjson").read_bytes().splitlines()
    lines.insert(where, b"null")
    lines[10] = b"   " + lines[10]  # an indented record is still a record
    (tmp_path / "n.ndjson").write_bytes(b"\n".join(lines) + b"\n")
    report = validate([tmp_path / "n.ndjson"])
    assert [(n.code, n.count, n.samples[0].row) for n in report.notices] == [("not-an-object", 1, where + 1)]
    assert report.rows == 61


def test_a_few_bad_records_send_only_their_pieces_to_python(tmp_path, monkeypatch):
    import json

    import jiesu.io.json_reader

    table = generate(12000, seed=14)
    path = write_as(table, tmp_path / "c.ndjson")
    lines = path.read_text().splitlines()
    for i in (100, 9000):
        rec = json.loads(lines[i])
        rec["objections"] = "two"
        lines[i] = json.dumps(rec)
    path.write_text("\n".join(lines) + "\n")
    parsed = []
    records_table = jiesu.io.json_reader.records_table
    monkeypatch.setattr(jiesu.io.json_reader, "records_table", lambda records: parsed.append(len(records)) or records_table(records))
    monkeypatch.setattr(jiesu.io.json_reader, "PIECE_BYTES", 64 << 10)
    report = validate([path], batch_rows=20000)  # blocks of 10 MiB: the whole file is one block
    (notice,) = [n for n in report.notices if n.severity == "error"]
    assert (notice.code, notice.field, notice.count, [s.row for s in notice.samples]) == ("wrong-type", "objections", 2, [101, 9001])
    assert len(parsed) == 2 and sum(parsed) < 12000 / 10  # two pieces of about 64 KiB, not the block
