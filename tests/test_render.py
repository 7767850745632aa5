"""The report formats CI reads: JUnit XML and the Markdown summary (and the one registry)."""

from __future__ import annotations

import json
import re
import xml.etree.ElementTree as ET
from pathlib import Path

import pytest
from typer.testing import CliRunner

from jiesu.cli.app import app
from jiesu.validation import validate
from jiesu.validation.render import ALL_FILES, FORMATS, render, render_junit, render_markdown
from jiesu.validation.report import CHECKS, FileInfo, Notice, Report, Sample

FIX = Path(__file__).resolve().parents[1] / "fixtures"
runner = CliRunner()
# XML 1.0's Char production, as written in the specification
XML_CHAR = re.compile("[\x09\x0a\x0d\x20-\ud7ff\ue000-\ufffd\U00010000-\U0010ffff]*")


def report(notices: list[Notice], strict: bool = False, files=("a.ndjson", "b.csv")) -> Report:
    return Report("https://x/1.0.0/s.json", "1.0.0", "built-in:beijing",
                  [FileInfo(f, f.rsplit(".", 1)[-1], 10) for f in files], 10 * len(files), notices, strict)


def suites(xml: str) -> dict[str, ET.Element]:
    root = ET.fromstring(xml)
    assert root.tag == "testsuites"
    return {s.get("name"): s for s in root.findall("testsuite")}


def test_registry_is_what_the_cli_accepts_and_documents():
    assert list(FORMATS) == ["table", "json", "github", "junit", "markdown"]
    help_text = runner.invoke(app, ["validate", "--help"]).stdout
    for fmt in FORMATS:
        assert fmt in help_text
    with pytest.raises(ValueError, match="unknown report format 'xml'"):
        render(report([]), "xml")
    assert runner.invoke(app, ["validate", "-f", "xml", str(FIX / "valid" / "cases.ndjson")]).exit_code == 2


def test_junit_one_case_per_check_and_file_failures_carry_their_samples():
    n1 = Notice("not-in-enum", "error", "channel", "is not one of: phone", 3,
                [Sample("a.ndjson", 2, "fax"), Sample("b.csv", 7, "telex")], {"a.ndjson": 2, "b.csv": 1})
    n2 = Notice("not-in-enum", "error", "status", "is not one of: open", 1, [Sample("a.ndjson", 4, "shut")], {"a.ndjson": 1})
    n3 = Notice("closed-without-closed-at", "warning", "closed_at", "is empty", 2, [], {"b.csv": 2})
    xml = render_junit(report([n1, n2, n3]))
    assert xml.startswith('<?xml version="1.0" encoding="UTF-8"?>\n')
    root = ET.fromstring(xml)
    assert (root.get("tests"), root.get("failures"), root.get("errors")) == (str(2 * len(CHECKS)), "2", "0")
    s = suites(xml)
    assert list(s) == ["a.ndjson", "b.csv"]
    for name, suite in s.items():
        cases = suite.findall("testcase")
        assert [c.get("name") for c in cases] == list(CHECKS)
        assert {c.get("classname") for c in cases} == {name}
        assert suite.get("tests") == str(len(CHECKS))
    failed_a = [c for c in s["a.ndjson"].findall("testcase") if c.find("failure") is not None]
    assert [c.get("name") for c in failed_a] == ["not-in-enum"]
    failure = failed_a[0].find("failure")
    assert failure.get("type") == "error:not-in-enum"
    assert failure.get("message") == "2 rows: channel is not one of: phone; 1 row: status is not one of: open"
    assert "a.ndjson:2 value 'fax'" in failure.text and "a.ndjson:4 value 'shut'" in failure.text
    assert "telex" not in failure.text  # b.csv's sample belongs to b.csv's case
    b_cases = {c.get("name"): c for c in s["b.csv"].findall("testcase")}
    assert "b.csv:7 value 'telex'" in b_cases["not-in-enum"].find("failure").text
    # a warning passes (said in system-out) unless strict
    warn = b_cases["closed-without-closed-at"]
    assert warn.find("failure") is None and warn.find("system-out").text.startswith("warning: 2 rows: closed_at is empty")
    assert s["b.csv"].get("failures") == "1"
    strict = suites(render_junit(report([n1, n2, n3], strict=True)))
    warn = next(c for c in strict["b.csv"].findall("testcase") if c.get("name") == "closed-without-closed-at")
    assert warn.find("failure").get("type") == "warning:closed-without-closed-at"


def test_junit_rows_no_file_is_named_for_get_a_suite_of_their_own():
    n = Notice("duplicate-case-id", "error", "case_id", "appears more than once", 5, [Sample("a.ndjson", 1, "X")], {"a.ndjson": 3})
    s = suites(render_junit(report([n])))
    assert list(s) == ["a.ndjson", "b.csv", ALL_FILES]
    assert s[ALL_FILES].find("testcase[@name='duplicate-case-id']/failure").get("message").startswith("2 rows:")
    assert s["b.csv"].get("failures") == "0"


NASTY = 'a<b>&"c\' ]]> \x00\x01\x0b\x1b[31m \ufffe\uffff \ud800 tab\tnl\nend 接诉'


def test_junit_escapes_markup_and_strips_what_xml_forbids():
    n = Notice("not-in-enum", "error", NASTY, NASTY, 1, [Sample(NASTY, 1, NASTY, NASTY)], {NASTY: 1})
    xml = render_junit(report([n], files=(NASTY,)))
    assert XML_CHAR.fullmatch(xml), "a character XML 1.0 forbids was written"
    assert "&#0;" not in xml and "&#1;" not in xml and "&#27;" not in xml
    root = ET.fromstring(xml)  # well-formed, and the text comes back as it was, less the forbidden
    expected = re.sub("[\x00\x01\x0b\x1b\ufffe\uffff\ud800]", "", NASTY)
    suite = root.find("testsuite")
    assert suite.get("name") == expected
    failure = suite.find("testcase/failure")
    assert failure.get("message") == f"1 row: {expected} {expected}"
    assert f"value {NASTY!r}" in failure.text  # a value is shown as its repr: escapes, nothing lost


def test_junit_of_a_real_run_counts_rows_per_file(tmp_path):
    lines = (FIX / "valid" / "cases.ndjson").read_text("utf-8").splitlines()
    recs = [json.loads(x) for x in lines]
    for prefix, bad in (("A", (1, 5)), ("B", (2,))):
        out = []
        for i, r in enumerate(recs):
            r = {**r, "case_id": prefix + r["case_id"]}
            if i in bad:
                r["channel"] = "fax"
            out.append(json.dumps(r))
        (tmp_path / f"{prefix}.ndjson").write_text("\n".join(out) + "\n")
    result = runner.invoke(app, ["validate", "-f", "junit", "--max-samples", "1", str(tmp_path)])
    assert result.exit_code == 1
    s = suites(result.stdout)
    fa = s[str(tmp_path / "A.ndjson")].find("testcase[@name='not-in-enum']/failure")
    fb = s[str(tmp_path / "B.ndjson")].find("testcase[@name='not-in-enum']/failure")
    assert fa.get("message").startswith("2 rows: channel") and fb.get("message").startswith("1 row: channel")
    assert "for example" in fa.text and "for example" not in fb.text  # the one sample is A's


def test_markdown_summary_cells_cannot_break_the_table():
    md_it = pytest.importorskip("markdown_it")
    n = Notice("not-in-enum", "error", "a|b", "is *not* | one", 1, [Sample("x|y.ndjson", 3, "v|`x`\nz", "why | <b>")], {"x|y.ndjson": 1})
    text = render_markdown(report([n], files=("x|y.ndjson",)))
    assert text.startswith("## jiesu validate: INVALID\n")
    html = md_it.MarkdownIt("commonmark").enable("table").render(text)
    tables = re.findall(r"<table>.*?</table>", html, re.DOTALL)
    assert len(tables) == 3  # files, checks, samples
    for table in tables:
        rows = re.findall(r"<tr>(.*?)</tr>", table, re.DOTALL)
        widths = {len(re.findall(r"<t[hd]", r)) for r in rows}
        assert len(widths) == 1, table  # no cell spilled into another
    assert "<b>" not in html and "<code>" not in html and "<em>" not in html
    assert "| error | not-in-enum | a\\|b | 1 | is \\*not\\* \\| one |" in text


def test_markdown_of_a_valid_run():
    rep = validate([FIX / "valid" / "cases.ndjson"])
    text = render(rep, "markdown")
    assert text.splitlines()[:3] == ["## jiesu validate: valid", "",
                                     ("60 rows in 1 file; 0 errors, 0 warnings. Schema 1.0.1 "
                                      "(https://jiesu.dev/schemas/1.0.1/case-record.schema.json); profile built-in:beijing.")]
    assert text.endswith("Every check passed.\n")


def test_save_writes_more_formats_from_one_run(tmp_path):
    path = str(FIX / "invalid" / "not-in-enum.ndjson")
    result = runner.invoke(app, ["validate", "-f", "github", "--save", f"json:{tmp_path / 'r.json'}",
                                 "--save", f"junit:{tmp_path / 'j.xml'}", path])
    assert result.exit_code == 1 and result.stdout.startswith("::error file=")
    assert json.loads((tmp_path / "r.json").read_text())["errors"] == 1
    assert suites((tmp_path / "j.xml").read_text())[path].find("testcase[@name='not-in-enum']/failure") is not None
    bad = runner.invoke(app, ["validate", "--save", "yaml:x.yml", path])
    assert bad.exit_code == 2 and "FORMAT:FILE" in bad.stderr
