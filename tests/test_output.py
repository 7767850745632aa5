"""Rendering: every format read back and compared with the rows it was given."""

from __future__ import annotations

import csv
import io
import json

import pyarrow as pa
import pyarrow.parquet as pq
import pytest
from openpyxl import load_workbook

from jiesu.output import render

COLUMNS = ["rank", "unit", "name", "scored", "response_rate", "composite", "change", "classes"]
ROWS = [
    {"rank": 1, "unit": "S12", "name": "二街", "scored": 5, "response_rate": 1.0, "composite": 82.0,
     "change": -18.0, "classes": ["advanced"]},
    {"rank": 3, "unit": "S11", "name": "一街 <&>", "scored": 5, "response_rate": 0.8, "composite": 68.4,
     "change": 58.4, "classes": ["improving", "rectification"]},
    {"rank": None, "unit": "S22", "name": "四街", "scored": 2, "response_rate": None, "composite": None,
     "change": None, "classes": []},
    {"rank": None, "unit": "S23", "name": "五街", "scored": 0, "requests": 0, "response_rate": None,
     "composite": None, "change": None, "classes": []},
]


def markdown_cells(text: str) -> list[list[str]]:
    lines = [ln for ln in text.splitlines() if ln.startswith("|")]
    rows = [[c.strip() for c in ln.strip().strip("|").split("|")] for ln in lines]
    return [rows[0]] + rows[2:]  # drop the |---| line


def test_json_and_jsonl_keep_raw_values_and_nulls():
    data = json.loads(render(ROWS, "json", columns=COLUMNS))
    assert data == [{c: r[c] for c in COLUMNS} for r in ROWS]
    lines = render(ROWS, "jsonl", columns=COLUMNS).splitlines()
    assert [json.loads(x) for x in lines] == data


def test_csv_reads_back():
    text = render(ROWS, "csv", columns=COLUMNS)
    got = list(csv.DictReader(io.StringIO(text)))
    assert list(got[0]) == COLUMNS
    assert got[1]["name"] == "一街 <&>" and float(got[1]["composite"]) == 68.4
    assert got[1]["classes"] == "improving;rectification"
    assert got[2]["composite"] == "" and got[2]["rank"] == ""


@pytest.mark.parametrize("lang,headers,incomplete,classes", [
    ("zh", ["排名", "承办单位", "名称", "有效回访", "响应率", "综合成绩", "环比变化", "类别"], "不完整", "进步类, 整改类"),
    ("en", ["rank", "unit", "name", "scored", "response rate", "composite", "change", "classes"], "incomplete",
     "improving, rectification"),
])
def test_markdown_reads_back_in_both_languages(lang, headers, incomplete, classes):
    text = render(ROWS, "markdown", columns=COLUMNS, lang=lang, title="T")
    assert text.startswith("# T\n")
    cells = markdown_cells(text)
    assert cells[0] == headers
    assert cells[1] == ["1", "S12", "二街", "5", "100.00%", "82.00", "-18.00", class_labels(lang, ["advanced"])]
    assert cells[2][4:] == ["80.00%", "68.40", "+58.40", classes]
    assert cells[3][5] == incomplete  # scored but a rate is missing
    assert cells[4][5] == ""  # no case at all: nothing to say


def test_requests_without_callbacks_are_incomplete_too():
    rows = [{"unit": "S1", "scored": 0, "requests": 7, "composite": None},
            {"unit": "S2", "scored": 0, "requests": 0, "composite": None}]
    cells = markdown_cells(render(rows, "markdown", columns=["unit", "composite"], lang="en"))
    assert cells[1:] == [["S1", "incomplete"], ["S2", ""]]


def class_labels(lang, names):
    return {"zh": {"advanced": "先进类"}, "en": {"advanced": "advanced"}}[lang][names[0]]


def test_table_is_plain_text_with_headers():
    text = render(ROWS, "table", columns=COLUMNS, lang="en")
    assert text.splitlines()[0].split()[:3] == ["rank", "unit", "name"]
    assert "68.40" in text and "incomplete" in text


def test_parquet_reads_back_typed(tmp_path):
    data = render(ROWS, "parquet", columns=COLUMNS)
    path = tmp_path / "x.parquet"
    path.write_bytes(data)
    table = pq.read_table(path)
    assert table.column_names == COLUMNS
    assert str(table.schema.field("rank").type) == "int64"
    classes = table.schema.field("classes").type
    assert pa.types.is_list(classes) and pa.types.is_string(classes.value_type)
    assert table.to_pylist() == [{c: r[c] for c in COLUMNS} for r in ROWS]


def test_parquet_of_no_rows_still_has_the_columns(tmp_path):
    path = tmp_path / "x.parquet"
    path.write_bytes(render([], "parquet", columns=COLUMNS))
    assert pq.read_table(path).column_names == COLUMNS


def test_xlsx_reads_back_with_a_sheet_per_class(tmp_path):
    sheets = {"advanced": ROWS[:1], "rectification": ROWS[1:2]}
    path = tmp_path / "r.xlsx"
    path.write_bytes(render(ROWS, "xlsx", columns=COLUMNS, lang="zh", sheets=sheets))
    wb = load_workbook(path)
    assert wb.sheetnames == ["全部", "先进类", "整改类"]
    ws = wb["全部"]
    values = [[c.value for c in row] for row in ws.iter_rows()]
    assert values[0] == ["排名", "承办单位", "名称", "有效回访", "响应率", "综合成绩", "环比变化", "类别"]
    assert values[1] == [1, "S12", "二街", 5, 1.0, 82.0, -18.0, "先进类"]
    assert values[2][4] == pytest.approx(0.8) and ws.cell(3, 5).number_format == "0.00%"
    assert values[3][5] == "不完整" and values[4][5] is None
    assert wb["整改类"].cell(2, 2).value == "S11"
    en = tmp_path / "e.xlsx"
    en.write_bytes(render(ROWS, "xlsx", columns=COLUMNS, lang="en", sheets=sheets))
    assert load_workbook(en).sheetnames == ["all units", "advanced", "rectification"]


def test_html_is_self_contained_with_a_chart_and_escaped_text():
    page = render(ROWS, "html", columns=COLUMNS, lang="en", title="Ranking <2024-02>",
                  sheets={"advanced": ROWS[:1]}, chart=("name", "composite"))
    assert page.startswith("<!DOCTYPE html>")
    assert "<svg" in page and page.count("<rect") == 2  # only rows with a composite get a bar
    assert "一街 &lt;&amp;&gt;" in page and "<&>" not in page
    assert "Ranking &lt;2024-02&gt;" in page
    lowered = page.lower()
    assert "<script" not in lowered and "src=" not in lowered and "href=" not in lowered and "@import" not in lowered


def test_unknown_format_and_language_fail_loudly():
    with pytest.raises(ValueError):
        render(ROWS, "yaml", columns=COLUMNS)
    with pytest.raises(ValueError):
        render(ROWS, "table", columns=COLUMNS, lang="fr")
