"""Hostile names in the monthly report: markup, formulas and phone numbers in the profile's unit,
category, problem and city names and in the data's category codes stay inert text, masked, in the
page (HTML, SVG text and titles) and in the workbook (no formula cell). The browser half of this
test is in test_report_browser.py."""

from __future__ import annotations

import csv
import json
import re
from pathlib import Path

from jiesu.report import monthly_report, render

ROOT = Path(__file__).resolve().parents[1]
FIX = ROOT / "fixtures" / "analysis"

SCRIPT = "<script>window.__pwned=1</script>"
IMG = '"><img src=x onerror="window.__pwned=2">'
FORMULA = '=HYPERLINK("http://example.invalid","x")'
PHONE = "13812345678"
BELL = "\x07\u202e"  # a control character and a bidi override
DATA_CODE = '<img src=x onerror="window.__pwned=4">'  # a category code in the data (never validated here)


def hostile_inputs(folder: Path) -> tuple[Path, Path]:
    """A copy of fixtures/analysis with hostile names in the profile and a hostile category code
    in February's data (case K)."""
    text = (FIX / "city.toml").read_text(encoding="utf-8")
    for old, new in (('name = "小城"', f"name = {json.dumps(BELL + '小城' + SCRIPT, ensure_ascii=False)}"),
                     ('name = "西区"', f"name = {json.dumps('西区' + IMG, ensure_ascii=False)}"),
                     ('name = "东一街"', f"name = {json.dumps(FORMULA, ensure_ascii=False)}"),
                     ('name = "西一街"', f"name = {json.dumps('西一街 ' + PHONE, ensure_ascii=False)}"),
                     ('name = "停车"', f"name = {json.dumps(SCRIPT, ensure_ascii=False)}"),
                     ('name = "道路"', f"name = {json.dumps('+1+' + PHONE, ensure_ascii=False)}"),
                     ('name = "停车与道路"', f"name = {json.dumps('@' + SCRIPT, ensure_ascii=False)}")):
        assert old in text, old
        text = text.replace(old, new, 1)
    profile = folder / "hostile.toml"
    profile.write_text(text, encoding="utf-8")
    with open(FIX / "cases.csv", encoding="utf-8", newline="") as f:
        rows = list(csv.DictReader(f))
    for r in rows:
        if r["case_id"] == "K":
            r["category"] = DATA_CODE
    cases = folder / "hostile.csv"
    with open(cases, "w", encoding="utf-8", newline="") as f:
        w = csv.DictWriter(f, fieldnames=list(rows[0]))
        w.writeheader()
        w.writerows(rows)
    return cases, profile


def test_hostile_names_are_escaped_and_masked_in_the_page(tmp_path):
    cases, profile = hostile_inputs(tmp_path)
    report = monthly_report([cases], profile=profile, month="2024-02")
    for lang in ("zh", "en"):
        page = render(report, "html", lang=lang, command=f"jiesu report {SCRIPT} {PHONE}")
        assert page.count("<script") == 1  # the page's own; every injected one escaped
        assert "<img" not in page and "onerror=\"window" not in page
        assert "&lt;script&gt;window.__pwned=1&lt;/script&gt;" in page
        assert "&lt;img src=x onerror=&quot;window.__pwned=4&quot;&gt;" in page  # the data's code, in the heat map
        assert "=HYPERLINK(&quot;http://example.invalid&quot;,&quot;x&quot;)" in page
        assert PHONE not in page and "138******78" in page
        # inside SVG too: every text and title element holds escaped text only
        for svg in re.findall(r"<svg.*?</svg>", page, flags=re.DOTALL):
            assert "<script" not in svg and "<img" not in svg
        if lang == "zh":  # the English page names PARK from its name_en
            assert re.search(r"<title>[^<]*&lt;script&gt;", page)  # a tooltip with a hostile name
        assert '<code id="command">jiesu report &lt;script&gt;' in page
        assert "\x07" not in page and "\u202e" not in page  # shown as visible escapes


def test_hostile_names_are_inert_text_in_the_workbook(tmp_path):
    from openpyxl import load_workbook

    cases, profile = hostile_inputs(tmp_path)
    report = monthly_report([cases], profile=profile, month="2024-02")
    path = tmp_path / "hostile.xlsx"
    path.write_bytes(render(report, "xlsx", lang="zh", command=f"jiesu report {FORMULA} {PHONE}"))
    wb = load_workbook(path)
    texts = []
    for ws in wb.worksheets:
        for row in ws.iter_rows():
            for cell in row:
                assert cell.data_type != "f", (ws.title, cell.coordinate, cell.value)
                if isinstance(cell.value, str):
                    texts.append(cell.value)
                    if cell.value.lstrip(" ").startswith(("=", "+", "-", "@")):
                        assert cell.quotePrefix, (ws.title, cell.coordinate, cell.value)
    assert FORMULA in texts  # kept as text (东一街's name), not run
    assert any(t.startswith("+1+138") for t in texts) and any(t.startswith("@<script>") for t in texts)
    assert not any(PHONE in t for t in texts)
    # the raw XML of the sheets holds no formula element at all
    import zipfile

    with zipfile.ZipFile(path) as z:
        for name in z.namelist():
            if name.startswith("xl/worksheets/"):
                assert b"<f>" not in z.read(name) and b"<f " not in z.read(name)


FULL_WIDTH_PHONE = "１３８１２３４５６７８"  # typed with a Chinese IME in full-width mode
FULL_WIDTH_ID = "１１０１０１１９９００３０７１２３Ｘ"


def test_full_width_personal_numbers_are_masked_in_page_and_workbook(tmp_path):
    from openpyxl import load_workbook

    cases, profile = hostile_inputs(tmp_path)
    text = profile.read_text(encoding="utf-8")
    for old, new in (("西一街 " + PHONE, "西一街 " + FULL_WIDTH_PHONE), ('name = "东区"', f'name = "东区{FULL_WIDTH_ID}"')):
        assert old in text, old
        text = text.replace(old, new, 1)
    profile.write_text(text, encoding="utf-8")
    report = monthly_report([cases], profile=profile, month="2024-02")
    page = render(report, "html", lang="zh")
    assert FULL_WIDTH_PHONE not in page and "１３８******７８" in page
    assert FULL_WIDTH_ID not in page and "东区１１０*************３Ｘ" in page
    path = tmp_path / "r.xlsx"
    path.write_bytes(render(report, "xlsx", lang="zh"))
    texts = [c.value for ws in load_workbook(path).worksheets for row in ws.iter_rows() for c in row
             if isinstance(c.value, str)]
    assert not any(FULL_WIDTH_PHONE in t or FULL_WIDTH_ID in t for t in texts)
    assert any("１３８******７８" in t for t in texts)
