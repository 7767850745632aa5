"""The monthly page in a real browser: headless Chromium (Debian's ``chromium``) driven by
Playwright. No console error, no network request, the charts and tables there with the
hand-worked numbers, sorting by a click, hostile names inert, and a screenshot.

Where Chromium is missing the tests say so: they fail under CI (``CI`` set: ``.ci/run`` installs
it) and are skipped elsewhere. Playwright's own browser download is never used.
"""

from __future__ import annotations

import os
import shutil
from pathlib import Path

import pytest

from jiesu.report import monthly_report, render

ROOT = Path(__file__).resolve().parents[1]
FIX = ROOT / "fixtures" / "analysis"
CASES, CITY = FIX / "cases.csv", FIX / "city.toml"
CHROMIUM_FLAGS = ["--headless", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
                  "--disable-background-networking", "--disable-component-update", "--disable-sync"]


def chromium_path() -> str | None:
    found = os.environ.get("JIESU_CHROMIUM") or shutil.which("chromium") or shutil.which("chromium-browser")
    return found if found and Path(found).exists() else None


def need_browser() -> str:
    """The browser's path, or a clear failure (CI) or skip (elsewhere) saying what is missing."""
    why = None
    path = chromium_path()
    try:
        import playwright.sync_api  # noqa: F401
    except ImportError:
        why = "the Python package playwright is missing: pip install -e '.[test]'"
    if path is None:
        why = ("Chromium is missing: apt-get install -y chromium fonts-noto-cjk (as .ci/run does), "
               "or set JIESU_CHROMIUM to a Chromium binary")
    if why:
        if os.environ.get("CI"):
            pytest.fail(f"browser test cannot run under CI: {why}", pytrace=False)
        pytest.skip(why)
    return path  # type: ignore[return-value]


class Browser:
    """One Chromium with a fresh profile folder; ``open`` loads a local page and records every
    request, console message, page error and dialog."""

    def __init__(self, path: str, profile_dir: Path) -> None:
        from playwright.sync_api import sync_playwright

        self._pw = sync_playwright().start()
        self.context = self._pw.chromium.launch_persistent_context(
            str(profile_dir), executable_path=path, args=CHROMIUM_FLAGS, headless=True,
            viewport={"width": 1200, "height": 900}, locale="zh-CN")

    def open(self, page_file: Path):
        page = self.context.new_page()
        page.requests, page.console, page.errors, page.dialogs = [], [], [], []  # type: ignore[attr-defined]
        url = page_file.resolve().as_uri()

        def route(r):
            page.requests.append(r.request.url)  # type: ignore[attr-defined]
            if r.request.url == url:
                r.continue_()
            else:
                r.abort()

        page.route("**/*", route)
        page.on("console", lambda m: page.console.append((m.type, m.text)))  # type: ignore[attr-defined]
        page.on("pageerror", lambda e: page.errors.append(str(e)))  # type: ignore[attr-defined]
        page.on("dialog", lambda d: (page.dialogs.append(d.message), d.dismiss()))  # type: ignore[attr-defined]
        page.goto(url, wait_until="load")
        return page

    def close(self) -> None:
        self.context.close()
        self._pw.stop()


@pytest.fixture(scope="module")
def browser(tmp_path_factory):
    b = Browser(need_browser(), tmp_path_factory.mktemp("chromium-profile"))
    yield b
    b.close()


def write_page(folder: Path, lang: str = "zh") -> Path:
    report = monthly_report([CASES], profile=CITY, month="2024-02")
    path = folder / f"report-{lang}.html"
    path.write_text(render(report, "html", lang=lang, command="jiesu report --month 2024-02 cases.csv"),
                    encoding="utf-8")
    return path


def test_the_page_renders_offline_with_the_hand_worked_numbers(browser, tmp_path):
    path = write_page(tmp_path)
    page = browser.open(path)
    assert page.errors == []
    assert [m for m in page.console if m[0] in ("error", "warning")] == []
    assert page.requests == [path.resolve().as_uri()]  # the page itself, nothing else
    # headline (fixtures/analysis/README.md): composite 70.00 against 88.25; resolution 4/6 against 7/8
    card = page.locator('[data-measure="composite"]')
    assert card.locator(".v").inner_text() == "70.00"
    assert "88.25" in card.locator(".p").inner_text() and card.locator(".c").inner_text() == "-18.25"
    assert page.locator('[data-measure="resolution_rate"] .v').inner_text() == "66.67%"
    assert "87.50%" in page.locator('[data-measure="resolution_rate"] .p').inner_text()
    assert page.locator('[data-measure="received"] .v').inner_text() == "8"
    # the four classes of the district level: advanced 西区 (D2), rectification 东区 (D1)
    districts = page.locator('.classes[data-level="district"]')
    assert districts.locator('[data-class="advanced"] li').all_inner_texts() == ["西区100.00"]
    assert districts.locator('[data-class="rectification"] li').all_inner_texts() == ["东区40.00"]
    # charts: the district dumbbell, four city trends, a sparkline per district and measure, the heat map
    assert page.locator("svg.chart").count() >= 6
    assert page.locator("table.multiples svg.spark").count() == 2 * 4
    assert page.locator("svg.heat rect title").count() >= 3
    heat = page.locator("svg.heat rect title").all_text_contents()
    assert "西区 · 停车: 4" in heat and "东区 · 道路: 3" in heat
    # the district ranking table
    rows = page.locator("table.level-district tbody tr")
    assert rows.count() == 2
    assert rows.nth(0).locator("td").nth(2).inner_text() == "西区"
    assert rows.nth(0).locator("td").nth(8).inner_text() == "100.00"
    page.screenshot(path=str(tmp_path / "report.png"), full_page=True)
    assert (tmp_path / "report.png").stat().st_size > 10_000
    page.close()


def test_sorting_a_table_by_clicking_its_header(browser, tmp_path):
    page = browser.open(write_page(tmp_path, "en"))
    table = page.locator("table.level-district")

    def names() -> list[str]:
        return table.locator("tbody tr td:nth-child(3)").all_inner_texts()

    assert names() == ["West", "East"]  # ranked order: 100 then 40
    header = table.locator("thead th", has_text="composite").first
    header.click()
    assert header.get_attribute("aria-sort") == "ascending"
    assert names() == ["East", "West"]
    header.click()
    assert header.get_attribute("aria-sort") == "descending" and names() == ["West", "East"]
    # text columns sort too; a street table with empty values keeps them last both ways
    streets = page.locator("table.level-street")
    rank = streets.locator("thead th", has_text="rank").first
    rank.click()
    first = streets.locator("tbody tr td:nth-child(1)").all_inner_texts()
    rank.click()
    second = streets.locator("tbody tr td:nth-child(1)").all_inner_texts()
    assert first[0] == "1" and first[-1] == "" and second[-1] == ""
    assert page.errors == [] and page.dialogs == []
    page.close()


def test_hostile_names_stay_text_in_the_browser(browser, tmp_path):
    from tests.test_report_escaping import hostile_inputs

    cases, profile = hostile_inputs(tmp_path)
    path = tmp_path / "hostile.html"
    path.write_text(render(monthly_report([cases], profile=profile, month="2024-02"), "html", lang="zh",
                           command='jiesu report "<script>window.__pwned=3</script>"'), encoding="utf-8")
    page = browser.open(path)
    assert page.dialogs == [] and page.errors == []
    assert page.evaluate("window.__pwned") is None  # no injected script or handler ran
    assert page.evaluate("document.images.length") == 0  # no <img> was created from a name
    assert page.evaluate("document.scripts.length") == 1  # only the page's own
    text = page.locator("body").inner_text()
    assert "<script>window.__pwned=1</script>" in text  # shown as text
    assert "13812345678" not in text and "138******78" in text  # masked
    assert page.requests == [path.resolve().as_uri()]
    page.screenshot(path=str(tmp_path / "hostile.png"), full_page=True)
    page.close()
