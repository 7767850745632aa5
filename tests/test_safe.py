"""The output guard: masking, clipping, terminals, spreadsheets and Markdown, on hand-picked text."""

from __future__ import annotations

import re

import pyarrow as pa
import pyarrow.compute as pc
import pytest

from jiesu.safe import (
    PERSONAL_DATA_RE2,
    clip,
    is_formula_like,
    markdown_text,
    mask,
    printable,
    shown,
    spreadsheet_text,
    xlsx_text,
)


@pytest.mark.parametrize("text, masked", [
    ("13812345678", "138******78"),
    ("call 138-1234-5678 now", "call 138-****-**78 now"),
    ("138 1234 5678", "138 **** **78"),
    ("+8613812345678", "+861********78"),
    ("008613812345678", "008**********78"),
    ("ID 11010519491231002X", "ID 110*************2X"),
    ("ID 110105491231002", "ID 110**********02"),          # 15-digit ID
    ("010-65123456", "010-******56"),                         # landline with its area code
    ("column 13812345678", "column 138******78"),
    ("mail zhang.san@example.com", "mail z***@***.com"),
    ("BJ000000001500", "BJ000*******00"),                    # 12 digits: masked too (could be a number)
    ("电话１３８１２３４５６７８", "电话１３８******７８"),      # full-width digits (a Chinese IME)
    ("＋８６ １３８－１２３４－５６７８", "＋８６ １**－****－**７８"),
    ("ID １１０１０１１９９００３０７１２３Ｘ", "ID １１０*************３Ｘ"),
    ("138\u00a01234\u00a05678", "138\u00a0****\u00a0**78"),         # no-break spaces
    ("138\u200b1234\u200b5678", "138\u200b****\u200b**78"),         # zero-width spaces
])
def test_personal_numbers_are_masked_in_every_form(text, masked):
    assert mask(text) == masked


@pytest.mark.parametrize("text", [
    "110101005",                 # a street's division code (9 digits)
    "2024-05-01T08:30:00+08:00",  # a date-time
    "1,861,097 rows",             # counts with thousands separators
    "0.1234567",                  # a rate (a fraction of 15 digits would be masked: it could be an ID)
    "BJSIM000000123",             # a simulated case id (9 digits)
])
def test_what_is_not_a_personal_number_stays(text):
    assert mask(text) == text


def test_masked_text_has_no_run_of_eleven_digits():
    text = "a 13812345678 b +86 138 1234 5678 c 110105194912310021 d 0086-138-1234-5678"
    assert not re.search(r"[0-9](?:[ -]?[0-9]){10}", mask(text))


@pytest.mark.parametrize("text, found", [
    ("call 13812345678", True), ("138-1234-5678", True), ("+86 138 1234 5678", True),
    ("008613812345678", True), ("11010519491231002X", True), ("110105491231002", True),
    ("zhang@example.com", True), ("12812345678", False), ("110101005", False),
    ("BJSIM000000123", False), ("2024-05-01", False),
])
def test_personal_data_detection_covers_the_same_forms(text, found):
    assert pc.match_substring_regex(pa.array([text]), PERSONAL_DATA_RE2)[0].as_py() is found
    assert bool(re.search(PERSONAL_DATA_RE2, text)) is found  # RE2 and Python agree


def test_clip_and_shown():
    assert clip("x" * 10, 5) == "xxxx…"
    assert clip("short") == "short"
    assert len(shown("y" * 10_000_000)) == 200
    assert shown(None) is None
    assert shown("\x1b[31mred 13812345678") == "\\x1b[31mred 138******78"


@pytest.mark.parametrize("text, out", [
    ("\x1b]8;;http://evil/\x07link", "\\x1b]8;;http://evil/\\x07link"),  # OSC hyperlink
    ("a\u202eb", "a\\u202eb"),                                            # right-to-left override
    ("zero\u200bwidth", "zero\\u200bwidth"),
    ("tab\tand\nnewline", "tab\\x09and\\x0anewline"),
    ("北京 Café", "北京 Café"),
])
def test_printable_shows_what_a_terminal_would_act_on(text, out):
    assert printable(text) == out


@pytest.mark.parametrize("text, formula", [
    ("=HYPERLINK(\"http://evil\")", True), ("+cmd|' /C calc'!A0", True), ("-2+3+cmd|x", True),
    ("@SUM(1+1)", True), ("\t=1", True), ("\r=1", True), ("  =1", True), ("＝1", True),
    ("2024-05", False), ("Back Bay", False), ("a=b", False),
])
def test_formula_prefixes(text, formula):
    assert is_formula_like(text) is formula
    assert spreadsheet_text(text) == ("'" + text if formula else text)


def test_xlsx_text_removes_what_xlsx_cannot_hold():
    assert xlsx_text("a\x01b\x1fc\td\ne") == "a\\x01b\\x1fc\td\ne"


@pytest.mark.parametrize("text, out", [
    ("a|b", "a\\|b"), ("line\nbreak", "line break"), ("<script>x</script>", "\\<script\\>x\\</script\\>"),
    ("*bold* _it_ `code` [link](x)", "\\*bold\\* \\_it\\_ \\`code\\` \\[link\\](x)"), ("100.00%", "100.00%"),
])
def test_markdown_cells(text, out):
    assert markdown_text(text) == out
