"""The mapping engine and its readers on small hand-made exports: every rule of the format, every
input format, bad rows counted (never a traceback), nothing written when the run fails."""

from __future__ import annotations

import csv
import gzip
import hashlib
import json
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pyarrow.parquet as pq
import pytest
import tomli_w
from typer.testing import CliRunner

from jiesu.cli.app import app
from jiesu.errors import InputError, ProfileError
from jiesu.importers.run import import_cases

runner = CliRunner()
HEADER = ["No", "Opened", "Via", "Kind", "Team", "Due", "Closed", "State", "Limit", "Called", "Happy", "Address"]
SECRET = "SECRET"


def mapping(**fields) -> dict:
    base = {
        "mapping_version": 1, "id": "town", "name": "Town export",
        "source": {"timezone": "Europe/Paris", "time_formats": ["%d/%m/%Y %H:%M", "iso"], "never_read": ["Address"]},
        "fields": {
            "case_id": {"column": "No"},
            "received_at": {"column": "Opened"},
            "channel": {"column": "Via", "values": {"Phone": "phone", "Web form": "web"}, "default": "other"},
            "request_type": {"value": "complaint"},
            "category": {"column": "Kind", "codes": "slug", "default": "none"},
            "unit": {"column": "Team"},
            "disposition": {"derive": "unit_named", "default": "answered"},
            "dispatched_at": {"from": "received_at", "when": "dispatched"},
            "unit_level": {"value": "department", "when": "dispatched"},
            "deadline_at": {"column": "Due", "not_before": "received_at", "limit_column": "Limit", "limit_unit": "days",
                            "limit_hours": 72},
            "closed_at": {"column": "Closed", "not_before": "received_at"},
            "status": {"column": "State", "values": {"Done": "closed", "New": "open"}, "derive": "closed_at"},
        },
    }
    for name, rule in fields.items():
        if rule is None:
            base["fields"].pop(name, None)
        else:
            base["fields"][name] = rule
    return base


def write_mapping(path: Path, data: dict) -> Path:
    path.write_text(tomli_w.dumps(data), encoding="utf-8")
    return path


ROWS = [
    # No, Opened, Via, Kind, Team, Due, Closed, State, Limit, Called, Happy
    ["A1", "01/03/2024 09:00", "Phone", "Noise at night", "Police", "03/03/2024 09:00", "02/03/2024 10:00", "Done", "", "", ""],
    ["A2", "31/03/2024 02:30", "Web form", "Noise at night", "Parks", "", "", "New", "2", "", ""],  # Paris gap
    ["A3", "27/10/2024 02:30", "Fax", "Litter", "", "", "", "", "", "", ""],  # ambiguous; unknown channel
    ["A4", "02/03/2024 12:00", "phone", "Litter", "Parks", "", "01/03/2024 12:00", "Done", "", "", ""],  # early close
    ["A5", "2024-03-05T08:00:00+01:00", "", "", "Police", "", "", "Weird", "3 hours", "", ""],  # ISO with offset
    ["", "05/03/2024 10:00", "Phone", "Litter", "Police", "", "", "New", "", "", ""],  # no id
    ["A 7", "05/03/2024 10:00", "Phone", "Litter", "Police", "", "", "New", "", "", ""],  # id with a space
    ["A8", "2024-13-01", "Phone", "Litter", "Police", "", "", "New", "", "", ""],  # unreadable time
]


def write_csv(path: Path, rows=ROWS, header=HEADER, encoding="utf-8", bom=False, gz=False,
              address=f"{SECRET} 1 rue X, tel 13812345678") -> Path:
    opener = gzip.open if gz else open
    with opener(path, "wt", encoding=encoding, newline="") as fh:
        if bom:
            fh.write("\ufeff")
        w = csv.writer(fh)
        w.writerow(header)
        for row in rows:
            w.writerow(row + [address][: len(header) - len(row)])
    return path


def run(tmp_path: Path, data: dict | None = None, rows=ROWS, **kw):
    src = kw.pop("src", None) or write_csv(tmp_path / "town.csv", rows)
    m = write_mapping(tmp_path / "town.toml", data or mapping())
    out = tmp_path / "cases.parquet"
    report = import_cases([src], mapping=m, output=out, **kw)
    rows_out = {r["case_id"]: r for r in pq.read_table(out).to_pylist()} if report.written else {}
    return report, rows_out


def utc(*a: int) -> datetime:
    return datetime(*a, tzinfo=UTC)


def test_every_rule_on_a_hand_made_export(tmp_path: Path):
    report, rows = run(tmp_path)
    assert (report.rows_read, report.rows_written, report.rows_rejected) == (8, 5, 3)
    assert {k: r.count for k, r in report.rejections.items()} == {
        ("case_id", "missing"): 1, ("case_id", "not-an-id"): 1, ("received_at", "unreadable-time"): 1}
    a1, a2, a3, a4, a5 = (rows[k] for k in ("A1", "A2", "A3", "A4", "A5"))
    # times: Paris winter +1, the spring gap read with the offset before it, the autumn overlap's first
    assert a1["received_at"] == utc(2024, 3, 1, 8) and a1["closed_at"] == utc(2024, 3, 2, 9)
    assert a2["received_at"] == utc(2024, 3, 31, 1, 30)
    assert a3["received_at"] == utc(2024, 10, 27, 0, 30)
    assert a5["received_at"] == utc(2024, 3, 5, 7)
    assert (report.fields["received_at"].nonexistent_times, report.fields["received_at"].ambiguous_times) == (1, 1)
    # value maps: case folded, unknown -> default (counted), missing -> default
    assert [r["channel"] for r in (a1, a2, a3, a4, a5)] == ["phone", "web", "other", "phone", "other"]
    ch = report.fields["channel"]
    assert (ch.mapped, ch.defaulted, ch.unknown, dict(ch.unknown_words)) == (3, 2, 1, {"Fax": 1})
    # codes: slugged; missing -> default
    assert a1["category"] == "noise-at-night" and a5["category"] == "none"
    # derivations: disposition from the unit; from + when; the deadline's limits
    assert a3["disposition"] == "answered" and a3["unit"] is None and a3["dispatched_at"] is None
    assert a1["disposition"] == "dispatched" and a1["dispatched_at"] == a1["received_at"]
    assert a1["deadline_at"] == utc(2024, 3, 3, 8)  # Due
    assert a2["deadline_at"] == a2["received_at"] + timedelta(days=2)  # Limit 2 (days)
    assert a5["deadline_at"] == a5["received_at"] + timedelta(hours=3)  # "3 hours"
    assert a4["deadline_at"] == a4["received_at"] + timedelta(hours=72)  # limit_hours
    assert a3["deadline_at"] is None  # not dispatched: no limit
    dl = report.fields["deadline_at"]
    assert (dl.mapped, dl.derived, dl.empty) == (1, 3, 1)
    # not_before: a closing time before receipt is taken as missing; status derived where unknown
    assert a4["closed_at"] is None and report.fields["closed_at"].out_of_order == 1
    assert a5["status"] == "open" and a1["status"] == "closed" and a3["status"] == "open"
    st = report.fields["status"]
    assert (st.mapped, st.derived, st.unknown) == (3, 2, 1)
    assert report.rejections[("received_at", "unreadable-time")].samples[0]["value"] == "2024-13-01"
    assert report.rejections[("case_id", "not-an-id")].samples[0] == {"file": str(tmp_path / "town.csv"), "row": 7,
                                                                      "value": "A 7"}


def test_never_read_columns_reach_nothing(tmp_path: Path):
    report, rows = run(tmp_path)
    text = json.dumps(report.to_dict(), ensure_ascii=False) + json.dumps(list(rows.values()), default=str)
    assert SECRET not in text and "1381234" not in text


@pytest.mark.parametrize(("rule", "expect"), [
    ({"column": "Via", "values": {"Phone": "phone"}, "unknown": "reject", "default": "other", "missing": "default"},
     {("channel", "unknown-value"): 2}),
    ({"column": "Via", "values": {"Phone": "phone", "Web form": "web", "Fax": "other"}, "missing": "reject"},
     {("channel", "missing"): 1}),
    ({"column": "Via", "values": {"Phone": "phone"}, "unknown": "null", "default": "other", "missing": "default"}, {}),
])
def test_unknown_and_missing_rules(tmp_path: Path, rule, expect):
    report, _ = run(tmp_path, mapping(channel=rule), rows=ROWS[:5])
    assert {k: r.count for k, r in report.rejections.items()} == expect


def test_unknown_null_on_a_required_field_rejects_as_missing(tmp_path: Path):
    rule = {"column": "Via", "values": {"Phone": "phone"}, "unknown": "null"}
    report, _ = run(tmp_path, mapping(channel=rule), rows=ROWS[:5])
    # Web form and Fax unknown -> null; the empty cell missing; a required field: rejected as missing
    assert {k: r.count for k, r in report.rejections.items()} == {("channel", "missing"): 3}


def test_codes_keep_slug_listed_and_patterns(tmp_path: Path):
    rows = [["B1", "01/03/2024 09:00", "Phone", "Noise", "Police Dept", "", "", "New", "", "", ""],
            ["B2", "01/03/2024 09:00", "Phone", "noise", "PD-7", "", "", "New", "", "", ""],
            ["B3", "01/03/2024 09:00", "Phone", "Noise!", "公安局", "", "", "New", "", "", ""]]
    report, out = run(tmp_path, mapping(category={"column": "Kind", "codes": "keep"}), rows=rows)
    clash = "noise-" + hashlib.sha1(b"Noise!\x000").hexdigest()[:8]  # "noise" is taken: hashed
    assert [out[k]["category"] for k in ("B1", "B2", "B3")] == ["Noise", "noise", clash]
    assert out["B3"]["unit"].startswith("x") and len(out["B3"]["unit"]) == 9 and out["B2"]["unit"] == "PD-7"
    listed = {"column": "Kind", "codes": "listed", "values": {"Noise": "N1"}, "patterns": [{"match": "^no", "value": "N2"}],
              "ignore_case": False}
    report, out = run(tmp_path, mapping(category=listed), rows=rows)
    assert [out[k]["category"] for k in ("B1", "B2")] == ["N1", "N2"] and "B3" not in out
    assert {k: r.count for k, r in report.rejections.items()} == {("category", "unknown-value"): 1}


def test_profile_limits_and_derive_given(tmp_path: Path):
    prof = Path(__file__).resolve().parents[1] / "fixtures" / "scoring" / "profile.toml"
    data = mapping(deadline_at={"column": "Due", "limit_hours": "profile"},
                   callback_at={"column": "Called"}, callback_valid={"column": "Called", "derive": "given"},
                   satisfaction={"column": "Happy", "values": {"yes": "satisfied", "no": "dissatisfied"}, "unknown": "null"},
                   request_type={"value": "help"})
    rows = [["C1", "01/03/2024 09:00", "Phone", "Noise", "Police", "", "", "New", "", "05/03/2024 09:00", "yes"],
            ["C2", "01/03/2024 09:00", "Phone", "Noise", "Police", "", "", "New", "", "", "maybe"]]
    with pytest.raises(ProfileError, match="takes time limits from a profile"):
        run(tmp_path, data, rows=rows)
    from jiesu.profile import load_profile

    hours = load_profile(prof).time_limits["help"]
    report, out = run(tmp_path, data, rows=rows, profile=prof)
    assert out["C1"]["deadline_at"] == out["C1"]["received_at"] + timedelta(hours=hours)
    assert (out["C1"]["callback_valid"], out["C2"]["callback_valid"]) == (True, None)
    assert (out["C1"]["satisfaction"], out["C2"]["satisfaction"]) == ("satisfied", None)
    assert report.fields["satisfaction"].unknown == 1


def test_ambiguous_and_nonexistent_can_reject(tmp_path: Path):
    data = mapping()
    data["source"]["ambiguous_times"] = "reject"
    data["source"]["nonexistent_times"] = "reject"
    report, out = run(tmp_path, data, rows=ROWS[:5])
    assert set(out) == {"A1", "A4", "A5"}
    assert {k: r.count for k, r in report.rejections.items()} == {
        ("received_at", "ambiguous-time"): 1, ("received_at", "nonexistent-time"): 1}


# ---------------------------------------------------------------- formats and files

def test_encodings_gzip_bom_folder_same_records(tmp_path: Path):
    _, plain = run(tmp_path)
    folder = tmp_path / "in"
    folder.mkdir()
    for name, kw in {"a.csv": {"bom": True}, "b.csv.gz": {"gz": True},
                     "c.csv": {"encoding": "gb18030", "address": f"{SECRET} 北京市东城区某路1号"}}.items():
        rows = [[f"{name[0]}{r[0]}" if r[0] else "", *r[1:]] for r in ROWS]
        write_csv(folder / name, rows, **kw)
    (folder / ".hidden.csv").write_text("not,read\n", encoding="utf-8")
    report = import_cases([folder], mapping=write_mapping(tmp_path / "m.toml", mapping()), output=tmp_path / "all.parquet")
    assert [(Path(s["path"]).name, s["encoding"], s["rows"]) for s in report.sources] == [
        ("a.csv", "utf-8", 8), ("b.csv.gz", "utf-8", 8), ("c.csv", "gb18030", 8)]
    got = {r["case_id"]: r for r in pq.read_table(tmp_path / "all.parquet").to_pylist()}
    for prefix in "abc":
        for cid, rec in plain.items():
            assert {**got[prefix + cid], "case_id": cid} == rec


def test_xlsx_json_and_ndjson(tmp_path: Path):
    from openpyxl import Workbook

    _, plain = run(tmp_path)
    wb = Workbook()
    ws = wb.active
    ws.append(HEADER)
    for r in ROWS:
        ws.append([v or None for v in r])
    wb.save(tmp_path / "town.xlsx")
    records = [dict(zip(HEADER, [v or None for v in r])) for r in ROWS]
    (tmp_path / "town.json").write_text(json.dumps(records), encoding="utf-8")
    (tmp_path / "town.ndjson").write_text("\n".join(json.dumps(r) for r in records) + "\nnot json\n[1]\n", encoding="utf-8")
    m = write_mapping(tmp_path / "m.toml", mapping())
    for name in ("town.xlsx", "town.json", "town.ndjson"):
        out = tmp_path / f"{name}.parquet"
        report = import_cases([tmp_path / name], mapping=m, output=out)
        assert {r["case_id"]: r for r in pq.read_table(out).to_pylist()} == plain, name
    assert {k: r.count for k, r in report.rejections.items() if k[0] == "(row)"} == {
        ("(row)", "invalid-json"): 1, ("(row)", "not-an-object"): 1}
    assert report.rows_read == 10 and report.rejections[("(row)", "invalid-json")].samples[0]["row"] == 9


def test_json_records_key_and_nested_selectors(tmp_path: Path):
    data = mapping(closed_at={"column": ["events[kind=closed].at", "meta.closed"], "not_before": "received_at"})
    recs = [{"No": "D1", "Opened": "01/03/2024 09:00", "Team": "Police", "events": [{"kind": "opened", "at": "x"},
                                                                                      {"kind": "closed", "at": "02/03/2024 09:00"}]},
            {"No": "D2", "Opened": "01/03/2024 09:00", "Team": "Police", "meta": {"closed": "03/03/2024 09:00"}}]
    (tmp_path / "d.json").write_text(json.dumps({"requests": recs}), encoding="utf-8")
    data["source"]["records"] = "requests"
    report = import_cases([tmp_path / "d.json"], mapping=write_mapping(tmp_path / "m.toml", data), output=tmp_path / "o.parquet")
    got = {r["case_id"]: r["closed_at"] for r in pq.read_table(tmp_path / "o.parquet").to_pylist()}
    assert got == {"D1": utc(2024, 3, 2, 8), "D2": utc(2024, 3, 3, 8)} and report.rows_written == 2


def test_broken_csv_rows_are_counted(tmp_path: Path):
    src = tmp_path / "broken.csv"
    src.write_text(",".join(HEADER) + "\nE1,01/03/2024 09:00,Phone,Litter,Police,,,New,,,,x\nE2,01/03/2024\n"
                   + "E3,01/03/2024 09:00,Phone,Litter,Police,,,New,,,,x,EXTRA\n", encoding="utf-8")
    report, out = run(tmp_path, src=src)
    assert set(out) == {"E1"} and (report.rows_read, report.rows_rejected) == (3, 2)
    rej = report.rejections[("(row)", "wrong-number-of-cells")]
    assert rej.count == 2 and rej.samples[0]["value"] == "2 cells where the header has 12"


@pytest.mark.parametrize(("content", "message"), [
    ("No,Opened\nA,1\n", "missing columns 'Via', 'Kind'"),
    ("No,Opened,Via,Kind,Team,Team,Due,Closed,State,Limit\n", "column 'Team' appears more than once"),
    ("", "empty file"),
    ("No,Opened\x00", "not a text file"),
])
def test_unusable_inputs_write_nothing(tmp_path: Path, content, message):
    src = tmp_path / "bad.csv"
    src.write_text(content, encoding="utf-8")
    with pytest.raises(InputError, match=message):
        run(tmp_path, src=src)
    assert not list(tmp_path.glob("*.parquet")) and not list(tmp_path.glob(".*.tmp"))


def test_nothing_written_when_no_row_maps_or_strict(tmp_path: Path):
    report, _ = run(tmp_path, rows=ROWS[5:])
    assert not report.written and report.rows_written == 0 and not (tmp_path / "cases.parquet").exists()
    report, _ = run(tmp_path, strict=True)
    assert not report.written and report.rows_written == 5 and not (tmp_path / "cases.parquet").exists()
    assert not list(tmp_path.glob(".*.tmp"))


# ---------------------------------------------------------------- the command

def test_cli_report_and_exit_codes(tmp_path: Path):
    src, m = write_csv(tmp_path / "town.csv"), write_mapping(tmp_path / "m.toml", mapping())
    out = tmp_path / "c.parquet"
    result = runner.invoke(app, ["import", str(src), "--mapping", str(m), "-o", str(out), "--format", "json"])
    assert result.exit_code == 0, result.stderr
    data = json.loads(result.stdout)
    assert (data["rows_read"], data["rows_written"], data["rows_rejected"], data["written"]) == (8, 5, 3, True)
    assert "5 of 8 rows written" in result.stderr
    table = runner.invoke(app, ["import", str(src), "-m", str(m), "-o", str(out)])
    assert table.exit_code == 0 and "rejected rows (per field and reason)" in table.stdout
    assert "unreadable-time" in table.stdout and "Fax" in table.stdout
    strict = runner.invoke(app, ["import", str(src), "-m", str(m), "-o", str(tmp_path / "s.parquet"), "--strict"])
    assert strict.exit_code == 1 and "nothing written" in strict.stderr and not (tmp_path / "s.parquet").exists()
    typo = tmp_path / "typo.toml"
    typo.write_text(m.read_text(encoding="utf-8").replace("[fields.channel]", "[fields.chanel]"), encoding="utf-8")
    bad = runner.invoke(app, ["import", str(src), "-m", str(typo), "-o", str(tmp_path / "t.parquet")])
    assert bad.exit_code == 3 and bad.stderr.count("\n") == 1 and "did you mean 'channel'" in bad.stderr
    missing = runner.invoke(app, ["import", str(src), "-m", "boston-311", "-o", str(tmp_path / "t.parquet")])
    assert missing.exit_code == 3 and "missing columns" in missing.stderr and "Traceback" not in missing.stderr
    assert not (tmp_path / "t.parquet").exists()


def test_cli_hostile_values_are_masked_and_inert(tmp_path: Path):
    rows = [["=HYPERLINK(\"x\")", "01/03/2024 09:00", "13812345678 <script>|\x1b[31m", "Litter", "Police", "", "", "New",
             "", "", ""], ["F2", "bad\ntime 13812345678", "Phone", "Litter", "Police", "", "", "New", "", "", ""]]
    src, m = write_csv(tmp_path / "t.csv", rows), write_mapping(tmp_path / "m.toml", mapping())
    for fmt in ("table", "json"):
        result = runner.invoke(app, ["import", str(src), "-m", str(m), "-o", str(tmp_path / "c.parquet"), "-f", fmt])
        assert result.exit_code == 1, result.stderr  # neither row maps
        assert "13812345678" not in result.stdout and "\x1b" not in result.stdout
        assert "138******78" in result.stdout


def test_importing_never_imports_pandas(tmp_path: Path):
    """pyarrow converts Python values through pandas (0.3 s to import): the import builds its
    columns from buffers, on every reader's path."""
    import subprocess
    import sys

    fix = Path(__file__).resolve().parents[1] / "fixtures" / "import"
    code = ("import sys; from jiesu.importers.run import import_cases as i; o = sys.argv[1]; "
            "[i([f'{sys.argv[2]}/{n}'], mapping=m, output=o, profile_output=o + '.toml') for n, m in "
            "(('nyc-311.csv', 'nyc-311'), ('open311.json', 'open311'), ('cn-12345.xlsx', 'cn-12345'))]; "
            "print('pandas' in sys.modules)")
    out = subprocess.run([sys.executable, "-c", code, str(tmp_path / "o.parquet"), str(fix)], capture_output=True,
                         text=True, check=True).stdout
    assert out.strip() == "False"


def test_xlsx_sheet_and_format_override(tmp_path: Path):
    from openpyxl import Workbook

    wb = Workbook()
    wb.active.title = "Notes"
    wb.active.append(["not", "cases"])
    ws = wb.create_sheet("Cases")
    ws.append([None])  # a blank row before the header
    ws.append(HEADER)
    ws.append(ROWS[0])
    wb.save(tmp_path / "book.xlsx")
    data = mapping()
    data["source"]["sheet"] = "Cases"
    report = import_cases([tmp_path / "book.xlsx"], mapping=write_mapping(tmp_path / "m.toml", data),
                          output=tmp_path / "o.parquet")
    assert report.rows_written == 1 and pq.read_table(tmp_path / "o.parquet")["case_id"].to_pylist() == ["A1"]
    data["source"]["sheet"] = "Missing"
    with pytest.raises(InputError, match="no sheet named 'Missing' \\(sheets: Notes, Cases\\)"):
        import_cases([tmp_path / "book.xlsx"], mapping=write_mapping(tmp_path / "m.toml", data), output=tmp_path / "p.parquet")
    data = mapping()
    data["source"]["format"] = "csv"
    src = write_csv(tmp_path / "export.dat")
    report = import_cases([src], mapping=write_mapping(tmp_path / "m.toml", data), output=tmp_path / "q.parquet")
    assert report.rows_written == 5 and report.sources[0]["format"] == "csv"


@pytest.mark.parametrize(("name", "data", "message"), [
    ("nul.csv", b"case_id,opened\nA1,\x00\x01\x02\n", "not a text file (it holds NUL bytes); is it really CSV?"),
    ("nul.csv.gz", gzip.compress(b"case_id\n\x00\n"), "not a text file (it holds NUL bytes); is it really CSV?"),
    ("latin.csv", b"case_id,street\nA1,\xff\xfe\xff\n", "text is neither UTF-8 nor GB18030; give --encoding"),
])
def test_binary_and_unknown_text_are_refused_before_any_row(tmp_path: Path, name, data, message):
    src = tmp_path / name
    src.write_bytes(data)
    with pytest.raises(InputError) as err:
        run(tmp_path, src=src)
    assert err.value.message == f"{src}: {message}"
    assert not (tmp_path / "cases.parquet").exists()


def test_validation_refuses_the_same_binary_file_the_same_way(tmp_path: Path):
    import jiesu

    src = tmp_path / "nul.csv"
    src.write_bytes(b"case_id,opened\nA1,\x00\x01\x02\n")  # NUL is valid UTF-8: only the NUL check stops it
    for encoding in (None, "utf-8"):
        with pytest.raises(InputError) as err:
            jiesu.validate([src], encoding=encoding)
        assert err.value.message == f"{src}: not a text file (it holds NUL bytes); is it really CSV?"
