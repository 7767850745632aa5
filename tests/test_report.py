"""`jiesu report` and jiesu.report: the monthly page and workbook (issue 14).

The numbers are checked against the hand-worked fixtures of fixtures/analysis (README.md there
works every case out), against counts made here with the csv module, and — for the parts the
report takes from other commands — against those commands' own results (same rules, one pass).
"""

from __future__ import annotations

import csv
import html
import re
import shutil
from collections import Counter
from datetime import datetime, timedelta, timezone
from pathlib import Path

import pytest
from typer.testing import CliRunner

import jiesu
from jiesu.cli.app import app
from jiesu.report import monthly_report, render

ROOT = Path(__file__).resolve().parents[1]
FIX = ROOT / "fixtures" / "analysis"
CASES, WARN, CITY = FIX / "cases.csv", FIX / "warn.csv", FIX / "city.toml"
BEIJING = timezone(timedelta(hours=8))
runner = CliRunner()


def local_month(text: str) -> str:
    return datetime.fromisoformat(text).astimezone(BEIJING).strftime("%Y-%m")


def csv_rows(path: Path) -> list[dict[str, str]]:
    with open(path, encoding="utf-8", newline="") as f:
        return list(csv.DictReader(f))


@pytest.fixture(scope="module")
def february():
    return monthly_report([CASES], profile=CITY, month="2024-02")


# ---------------------------------------------------------------- the numbers

def test_headline_figures_are_the_hand_worked_ones(february):
    """README of fixtures/analysis: February received E, H, I, J, K, N, O, V (8, all dispatched);
    January A-D, F, G, L, M, P, Q (10, Q answered on the spot). February's scored callbacks are
    E, H, I, J, N, O (K and V excluded): 6 contacted, 4 resolved (H, I, J, N), 4 satisfied.
    January's: A, B, C, D, F, G, L, M (P not valid): 8 contacted, 7 resolved (not M), 6 satisfied
    and D basically satisfied."""
    h = {r["measure"]: r for r in february.headline}
    assert (h["received"]["value"], h["received"]["previous"]) == (8, 10)
    assert h["received"]["change"] == pytest.approx(-0.2)
    assert (h["dispatched"]["value"], h["dispatched"]["previous"]) == (8, 9)
    assert (h["dispatched_share"]["value"], h["dispatched_share"]["previous"]) == (1.0, 0.9)
    assert (h["response_rate"]["value"], h["response_rate"]["previous"]) == (1.0, 1.0)
    assert h["resolution_rate"]["value"] == pytest.approx(4 / 6)
    assert h["resolution_rate"]["previous"] == pytest.approx(7 / 8)
    assert h["satisfaction_rate"]["value"] == pytest.approx(4 / 6)
    assert h["satisfaction_rate"]["previous"] == pytest.approx((6 + 0.9) / 8)
    # composite = 100 (0.1 response + 0.5 resolution + 0.4 satisfaction)
    assert h["composite"]["value"] == pytest.approx(100 * (0.1 + 0.5 * 4 / 6 + 0.4 * 4 / 6))  # 70
    assert h["composite"]["previous"] == pytest.approx(100 * (0.1 + 0.5 * 7 / 8 + 0.4 * 6.9 / 8))  # 88.25
    assert h["composite"]["change"] == pytest.approx(-18.25)


def test_city_volume_per_month_equals_a_count_of_the_rows(february):
    rows = csv_rows(CASES)
    received = Counter(local_month(r["received_at"]) for r in rows)
    dispatched = Counter(local_month(r["received_at"]) for r in rows if r["disposition"] == "dispatched")
    assert february.months == [f"2023-{m:02d}" for m in range(3, 13)] + ["2024-01", "2024-02"]
    got = {r["month"]: (r["received"], r["dispatched"]) for r in february.city}
    for month in february.months:
        want = (received[month], dispatched[month]) if received[month] else (None, None)
        assert got[month] == want, month
    assert february.missing_months == [f"2023-{m:02d}" for m in range(4, 13)]
    assert [(f.path, f.format, f.rows) for f in february.inputs] == [(str(CASES), "csv", len(rows))]


def test_every_level_is_ranked_as_rank_ranks_it(february):
    for level in ("street", "district", "department"):
        assert february.rankings[level] == jiesu.rank([CASES], profile=CITY, month="2024-02", level=level)
    # README, trend: February D2 100 (rank 1, advanced), D1 40 (rank 2, rectification), both governance
    d = {r["unit"]: r for r in february.rankings["district"]}
    assert (d["D2"]["rank"], d["D2"]["composite"], d["D1"]["rank"]) == (1, 100.0, 2)
    assert d["D1"]["composite"] == pytest.approx(40.0)
    classes = february.classes["district"]
    assert [r["unit"] for r in classes["advanced"]] == ["D2"]
    assert [r["unit"] for r in classes["rectification"]] == ["D1"]
    assert sorted(r["unit"] for r in classes["governance"]) == ["D1", "D2"]
    assert classes["improving"] == []


def test_district_trend_is_territorial(february):
    """README, trend: January D1 = A, B, C, D, F, G: 6 requests, composite 99.33; D2 = L, M: 2."""
    rows = {(r["unit"], r["month"]): r for r in february.districts}
    assert rows[("D1", "2024-01")]["dispatched"] == 6 and rows[("D2", "2024-01")]["dispatched"] == 2
    assert rows[("D1", "2024-01")]["composite"] == pytest.approx(100 * (0.1 + 0.5 + 0.4 * 5.9 / 6))
    assert rows[("D2", "2024-01")]["composite"] == pytest.approx(55.0)
    assert rows[("D1", "2023-05")]["dispatched"] is None  # no data that month: not 0


def test_heat_map_cells_are_the_february_cases(february):
    """E (NOISE, D1), N, O, V (ROAD, D1), H, I, J, K (PARK, D2)."""
    assert february.heat == [{"district": "D1", "category": "NOISE", "received": 1},
                             {"district": "D1", "category": "ROAD", "received": 3},
                             {"district": "D2", "category": "PARK", "received": 4}]


def test_tracking_and_warnings_are_the_commands_own():
    march = monthly_report([CASES], profile=CITY, month="2024-03")
    tracked = jiesu.track_topics([CASES], profile=CITY, month="2024-03")
    assert march.tracking.rows == tracked.rows and march.tracking.summary() == tracked.summary()
    assert march.tracking.summary() == "2024-03: 1 of 2 problems declining month on month (1 fell by more than 10%)"
    # the series over the twelve months 2023-04..2024-03: no data before January (unknown, not 0);
    # P1 (NOISE) January A-D 4, February E 1, March R, S 2; P2 (PARK + ROAD) 4, 7, 2
    assert march.topic_series == {"P1": [None] * 9 + [4, 1, 2], "P2": [None] * 9 + [4, 7, 2]}
    january = monthly_report([WARN], profile=CITY, month="2024-01")
    assert january.warnings.rows == jiesu.warn([WARN], profile=CITY, month="2024-01").rows
    assert [(r["level"], r["category"], r["place"]) for r in january.warnings.rows] == [
        ("street", "PARK", "S21"), ("district", "PARK", "D2"), ("street", "NOISE", "S11"), ("district", "NOISE", "D1")]


def test_rising_categories_per_day_with_enough_cases():
    """warn.csv: January NOISE 30 against December's 10 (+200 % per day, both months of 31 days),
    WATER 29 against 20 (+45 %); PARK (5 against 0) and ROAD (4 against 0) are below min_count 5
    last month, so they are not 'rising' (warn judges them against their history)."""
    january = monthly_report([WARN], profile=CITY, month="2024-01")
    assert [(r["category"], r["received"], r["previous_received"]) for r in january.rising] == [
        ("NOISE", 30, 10), ("WATER", 29, 20)]
    assert january.rising[0]["change_mom"] == pytest.approx(2.0)
    assert january.rising[1]["change_mom"] == pytest.approx(0.45)


def test_rising_is_per_day_so_a_longer_month_is_no_rise(tmp_path):
    """February 2024 has 29 days, March 31: NOISE 29 then 30 cases is more cases but fewer a day
    (1.0 then 0.97): not rising; PARK 10 then 20 is (0.34 then 0.65 a day: +87.1 %)."""
    template = csv_rows(CASES)[0]
    rows = []
    for month, days, counts in (("2024-02", 29, {"NOISE": 29, "PARK": 10}), ("2024-03", 31, {"NOISE": 30, "PARK": 20})):
        for cat, n in counts.items():
            for i in range(n):
                at = f"{month}-{1 + i % days:02d}T04:00:00Z"
                rows.append({**template, "case_id": f"{cat}-{month}-{i}", "category": cat, "received_at": at,
                             "dispatched_at": at, "callback_at": ""})
    path = tmp_path / "cases.csv"
    with open(path, "w", encoding="utf-8", newline="") as f:
        w = csv.DictWriter(f, fieldnames=list(template))
        w.writeheader()
        w.writerows(rows)
    march = monthly_report([path], profile=CITY, month="2024-03")
    assert [(r["category"], r["received"], r["previous_received"]) for r in march.rising] == [("PARK", 20, 10)]
    assert march.rising[0]["change_mom"] == pytest.approx((20 / 31) / (10 / 29) - 1)


def test_one_pass_over_each_input(monkeypatch, tmp_path):
    from jiesu import scoring

    reads = []
    real = scoring.sequential_tables

    def reading(source, columns):
        reads.append(source.path.name)
        yield from real(source, columns)

    monkeypatch.setattr(scoring, "sequential_tables", reading)
    second = tmp_path / "more.csv"
    shutil.copy(WARN, second)
    report = monthly_report([CASES, second], profile=CITY, month="2024-01")
    assert reads == ["cases.csv", "more.csv"]  # each file read once, everything counted together
    assert [f.rows for f in report.inputs] == [len(csv_rows(CASES)), len(csv_rows(WARN))]
    both = Counter(local_month(r["received_at"]) for r in csv_rows(CASES) + csv_rows(WARN))
    assert {r["month"]: r["received"] for r in report.city}["2024-01"] == both["2024-01"]


def test_parquet_row_groups_are_read_once(tmp_path, monkeypatch):
    import pyarrow.csv as pacsv
    import pyarrow.parquet as pq

    from jiesu import scoring
    from jiesu.io import cases as io_cases

    path = tmp_path / "cases.parquet"
    pq.write_table(pacsv.read_csv(WARN), path, row_group_size=20)  # several row groups
    groups = pq.ParquetFile(path).num_row_groups
    reads = []
    real = io_cases.row_group_tasks

    def counted(source, columns):  # every row-group task notes its index when it runs
        tasks = real(source, columns)
        if tasks is None:
            return None

        def noting(i, task):
            return lambda: (reads.append(i), task())[1]

        return [noting(i, t) for i, t in enumerate(tasks)]

    monkeypatch.setattr(scoring, "row_group_tasks", counted)  # the name the shared reduction calls
    report = monthly_report([path], profile=CITY, month="2024-01")
    assert sorted(reads) == list(range(groups)) and groups > 3
    assert report.warnings.rows == jiesu.warn([WARN], profile=CITY, month="2024-01").rows
    assert report.inputs[0].rows == len(csv_rows(WARN))


def test_a_month_without_data_is_a_clear_error():
    with pytest.raises(jiesu.ArgumentError, match=r"in 2025-01 .*latest month before it with cases is 2024-03"):
        monthly_report([CASES], profile=CITY, month="2025-01")
    with pytest.raises(jiesu.ArgumentError, match=r"in 2030-01 .*nor in the 12 months before it"):
        monthly_report([CASES], profile=CITY, month="2030-01")


# ---------------------------------------------------------------- the page

def test_page_is_self_contained_and_complete(february):
    page = render(february, "html", lang="zh", command="jiesu report --month 2024-02 x.csv")
    assert page.startswith("<!DOCTYPE html>") and '<html lang="zh-CN">' in page
    assert not re.search(r"""(src|href)\s*=\s*["']?(https?:|//)""", page)  # nothing fetched
    assert "@import" not in page and "url(" not in page
    assert page.count("<script>") == 1 and "Content-Security-Policy" in page
    for section in ("headline", "classes", "rankings", "trends", "heat", "rising", "topics", "warnings", "about"):
        assert f'id="{section}"' in page, section
    for level in ("street", "district", "department"):
        assert f"level-{level}" in page
    assert "@page{size:A4" in page and "@media print" in page
    assert '<code id="command">jiesu report --month 2024-02 x.csv</code>' in page
    from jiesu.schema import schema_version

    assert f"<dd>{schema_version()}</dd>" in page and "cases.csv" in page  # schema version and the input


def test_the_script_hash_in_the_policy_is_the_scripts():
    import base64
    import hashlib

    from jiesu.report.html import SCRIPT, script_hash

    assert script_hash() == "sha256-" + base64.b64encode(hashlib.sha256(SCRIPT.encode()).digest()).decode()
    assert "<" not in SCRIPT  # nothing in it could close the script element


def test_one_language_per_page(february):
    zh = render(february, "html", lang="zh")
    en = render(february, "html", lang="en")
    assert "本月要点" in zh and "先进类" in zh and "The month at a glance" not in zh
    assert "The month at a glance" in en and "advanced" in en
    # the English page's words are English; Chinese remains only in names the profile gives in Chinese
    text = re.sub(r"<[^>]+>", " ", en.split("<style>")[0] + en.split("</style>")[1])
    chinese = set(re.findall(r"[\u4e00-\u9fff]+", html.unescape(text)))
    names = {u.name for u in february.profile.units} | {"小城", "居住"}  # streets have no name_en; a theme
    assert chinese <= names, chinese - names
    assert '<html lang="en">' in en


def test_numbers_formatted_for_the_language(tmp_path):
    from jiesu.profile import load_profile
    from jiesu.report.words import Words

    zh, en = Words("zh", load_profile(CITY)), Words("en", load_profile(CITY))
    assert (zh.big(2_143_400), en.big(2_143_400)) == ("214.3万", "2,143,400")
    assert (zh.points(0.0123), en.points(0.0123)) == ("+1.23个百分点", "+1.23 pp")
    assert (zh.month("2024-05"), en.month("2024-05")) == ("2024年5月", "May 2024")
    assert zh.pct(0.96734) == en.pct(0.96734) == "96.73%"


def test_charts_show_values_on_the_data_range():
    from jiesu.report import charts

    # 349 composites between 85 and 99.5: the axis spans the data, not 0..100
    points = [(85 + 14.5 * i / 348, f"u{i}", "other") for i in range(349)]
    svg = charts.strip_plot(points, fmt=lambda v: f"{v:.2f}", label="q", median_word="median")
    ticks = [float(t) for t in re.findall(r'<text class="tl"[^>]*text-anchor="middle">([\d.]+)</text>', svg)]
    assert ticks and min(ticks) >= 84 and max(ticks) <= 100
    xs = [float(x) for x in re.findall(r'<circle class="dot other" cx="([\d.]+)"', svg)]
    assert len(xs) == 349 and max(xs) - min(xs) > 640  # the whole width (720) separates 85 from 99.5
    assert charts.nice_ticks(96.3, 97.9, 5) == ([96.5, 97.0, 97.5], 0.5)
    assert charts.percent_tick(0.9725, 0.0025) == "97.25%"


# ---------------------------------------------------------------- the workbook

def test_workbook_has_the_pages_content(february, tmp_path):
    from openpyxl import load_workbook

    path = tmp_path / "r.xlsx"
    path.write_bytes(render(february, "xlsx", lang="en", command="jiesu report ..."))
    wb = load_workbook(path)
    assert wb.sheetnames[:2] == ["The month at a glance", "street The four classes"]
    assert "district ranking" in wb.sheetnames and "Districts × categories" in wb.sheetnames
    head = {row[0]: row[1:] for row in wb["The month at a glance"].iter_rows(min_row=2, values_only=True)}
    assert head["composite"][0] == pytest.approx(70.0) and head["composite"][1] == pytest.approx(88.25)
    assert head["requests received"][:2] == (8, 10)
    ranking = list(wb["district ranking"].iter_rows(values_only=True))
    assert ranking[1][:3] == (1, "D2", "West") and ranking[2][:3] == (2, "D1", "East")
    heat = list(wb["Districts × categories"].iter_rows(values_only=True))
    assert heat[0] == ("district", "name", "Noise", "Parking", "Roads")
    assert heat[1] == ("D1", "East", 1, None, 3)


# ---------------------------------------------------------------- the command

def test_cli_writes_page_and_workbook_and_the_footer_command_reproduces_it(tmp_path, monkeypatch):
    monkeypatch.chdir(ROOT)
    out = tmp_path / "report.html"
    args = ["report", "--month", "2024-02", "fixtures/analysis/cases.csv", "-p", "fixtures/analysis/city.toml",
            "--output", str(out)]
    result = runner.invoke(app, args)
    assert result.exit_code == 0, result.stderr
    page = out.read_text(encoding="utf-8")
    command = html.unescape(re.search(r'<code id="command">(.*?)</code>', page).group(1))
    assert command == ("jiesu report --month 2024-02 --profile fixtures/analysis/city.toml --format html "
                       f"--lang en --output {out} fixtures/analysis/cases.csv")
    out.unlink()
    again = runner.invoke(app, command.split()[1:])
    assert again.exit_code == 0 and out.read_text(encoding="utf-8") == page  # same command, same page
    xlsx = tmp_path / "report.xlsx"
    assert runner.invoke(app, [*args[:-1], str(xlsx)]).exit_code == 0  # the format follows the name
    assert xlsx.read_bytes()[:2] == b"PK"


def test_cli_usage_errors(tmp_path):
    base = ["report", str(CASES), "-p", str(CITY)]
    assert runner.invoke(app, [*base, "--month", "2024-13"]).exit_code == 2
    piped = runner.invoke(app, [*base, "--month", "2024-02", "--format", "xlsx"])  # stdout is no terminal here
    assert piped.exit_code == 0 and piped.stdout_bytes[:2] == b"PK"
    assert runner.invoke(app, [*base, "--month", "2024-02", "--output", str(tmp_path)]).exit_code == 2  # a folder
    assert runner.invoke(app, [*base, "--month", "2024-02", "--format", "pdf"]).exit_code == 2
    result = runner.invoke(app, [*base, "--month", "2030-01", "--output", str(tmp_path / "x.html")])
    assert result.exit_code == 2 and "no case was received or called back in 2030-01" in result.stderr
    assert not (tmp_path / "x.html").exists()


def test_library_face():
    import inspect

    assert jiesu.monthly_report is monthly_report and jiesu.render_report is render
    params = list(inspect.signature(jiesu.monthly_report).parameters.values())
    assert params[0].name == "inputs" and all(p.kind is p.KEYWORD_ONLY for p in params[1:])
    assert params[1].name == "profile" and params[-1].name == "progress"


# ---------------------------------------------------------------- a simulated Beijing month

@pytest.fixture(scope="module")
def beijing_month(tmp_path_factory):
    """About 37,000 simulated Beijing cases over April and May 2024 (the baseline at a tenth of its
    rate): every street and township has cases."""
    path = tmp_path_factory.mktemp("bj") / "cases.parquet"
    jiesu.simulate("beijing-baseline", days=40, seed=5, output=path,
                   overrides=["scenario.start=2024-04-22", "intake.arrival_rate_per_hour=40", "intake.agents=20"])
    return path


def test_the_page_for_349_streets_stays_under_2_mb(beijing_month, tmp_path):
    report = monthly_report([beijing_month], month="2024-05")
    page = render(report, "html")
    size = len(page.encode("utf-8"))
    assert size < 2_000_000, size
    streets = report.rankings["street"]
    assert len(streets) == 343 and len(report.rankings["district"]) == 17
    assert page.count('<tr><td data-v="') >= 343  # every street's row in the sortable table
    assert report.rankings["street"] == jiesu.rank([beijing_month], month="2024-05", level="street")
    (tmp_path / "beijing.html").write_text(page, encoding="utf-8")


def same_counts(path: Path, profile, month: str) -> None:
    """The report's one pass counts what score's aggregate and the analysis cubes count, each in
    its own pass (the same rules, so the same numbers)."""
    from jiesu.analysis import tracking, warn
    from jiesu.analysis.cube import count
    from jiesu.io.sources import as_sources
    from jiesu.months import parse_month
    from jiesu.profile import load_profile
    from jiesu.report.counting import count_report
    from jiesu.report.data import needed_months
    from jiesu.scoring import TERRITORY, aggregate

    def rows(records):
        return sorted(tuple(sorted((k, str(v)) for k, v in r.items())) for r in records)

    profile, m = load_profile(profile), parse_month(month)
    months = needed_months(profile, m)
    counts, _ = count_report(as_sources([path]), profile, months, m)
    volume, topic_volume = count([path], [warn.VOLUME, tracking.VOLUME], profile=profile, periods=months)
    assert rows(counts.volume.to_records()) == rows(volume.to_records())
    assert rows(counts.topic_volume.to_records()) == rows(topic_volume.to_records())
    for by, agg in (("unit", counts.by_unit), (TERRITORY, counts.by_territory)):
        assert rows(agg.to_records()) == rows(aggregate([path], profile=profile, by=by, months=months).to_records())
    answers = aggregate([path], profile=profile, by="category", months=[m], with_requests=False)
    assert rows(counts.by_category.to_records()) == rows(answers.to_records())


def test_the_one_pass_counts_what_the_commands_count(tmp_path):
    same_counts(CASES, CITY, "2024-02")
    same_counts(WARN, CITY, "2024-01")


def test_the_one_pass_counts_a_simulated_beijing_month_as_the_commands_do(beijing_month):
    same_counts(beijing_month, None, "2024-05")


def test_a_profile_that_ranks_on_timeliness_shows_the_on_time_rate(tmp_path):
    """Data without callbacks (tests/test_timeliness.py's hand-worked cases): the page ranks on the
    on-time rate as ``rank`` does. March: S11 2 of 3 on time (February 1 of 2), S12 1 of 2; the
    city 3 of 5 against 1 of 2."""
    from tests.test_timeliness import CASES as TIMELY
    from tests.test_timeliness import COLS, timeliness_profile

    path = tmp_path / "cases.csv"
    with open(path, "w", newline="", encoding="utf-8") as fh:
        w = csv.writer(fh)
        w.writerow(COLS)
        for cid, unit, rec, dl, cl, st, fc in TIMELY:
            dispatched = "" if not unit else rec[:11] + "03:00:00Z" if rec.endswith("02:00:00Z") else rec
            w.writerow([cid, rec, "phone", "help", "GEN", "dispatched" if unit else "answered", dispatched,
                        unit or "", "street" if unit else "", dl or "", fc or "", cl or "", st])
    profile = timeliness_profile(tmp_path)
    report = monthly_report([path], profile=profile, month="2024-03")
    assert report.metrics == "timeliness" and report.score == "on_time_rate"
    assert report.rankings["street"] == jiesu.rank([path], profile=profile, month="2024-03", level="street")
    s11 = report.rankings["street"][0]
    assert (s11["unit"], s11["on_time_rate"], s11["previous_on_time_rate"]) == ("S11", 2 / 3, 0.5)
    h = {r["measure"]: r for r in report.headline}
    assert "composite" not in h and (h["on_time_rate"]["value"], h["on_time_rate"]["previous"]) == (0.6, 0.5)
    page = render(report, "html", lang="en")
    assert "on-time rate" in page and "66.67%" in page and "composite = 100" not in page
    assert [r["month"] for r in report.city if r["on_time_rate"] is not None] == ["2024-02", "2024-03"]
