"""Times of other systems: layouts, days a month does not have, and local wall-clock times placed in
their zone with the daylight-saving rules (checked against Python's zoneinfo, PEP 495 fold=0)."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from zoneinfo import ZoneInfo

import numpy as np
import pyarrow as pa
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from jiesu.importers.times import layout_problem, local_to_utc, parse_times

US = 1_000_000
ZONES = ["America/New_York", "Europe/London", "Australia/Lord_Howe", "Asia/Shanghai", "America/Sao_Paulo", "UTC"]
EPOCH = datetime(1970, 1, 1)


def expected(local: datetime, zone: str) -> tuple[int, bool, bool]:
    """(UTC microseconds by fold=0, ambiguous, nonexistent), from zoneinfo itself."""
    tz = ZoneInfo(zone)
    first, second = local.replace(tzinfo=tz, fold=0), local.replace(tzinfo=tz, fold=1)
    ambiguous = first.utcoffset() != second.utcoffset() and first.astimezone(UTC).astimezone(tz).replace(tzinfo=None) == local
    nonexistent = first.astimezone(UTC).astimezone(tz).replace(tzinfo=None) != local
    us = int((first.astimezone(UTC).replace(tzinfo=None) - EPOCH) / timedelta(microseconds=1))
    return us, ambiguous, nonexistent


@settings(max_examples=120, deadline=None)
@given(zone=st.sampled_from(ZONES),
       moments=st.lists(st.datetimes(min_value=datetime(2000, 1, 1), max_value=datetime(2030, 12, 31)), min_size=1, max_size=20))
def test_local_to_utc_matches_zoneinfo_fold_0(zone, moments):
    local = np.array([int((m - EPOCH) / timedelta(microseconds=1)) for m in moments], np.int64)
    utc, amb, gap = local_to_utc(local, zone)
    for i, m in enumerate(moments):
        assert (int(utc[i]), bool(amb[i]), bool(gap[i])) == expected(m, zone), (zone, m)


@pytest.mark.parametrize(("zone", "text", "utc", "amb", "gap"), [
    ("America/New_York", "2015-03-08 02:30:00", datetime(2015, 3, 8, 7, 30), False, True),   # gap: +1 h
    ("America/New_York", "2015-11-01 01:30:00", datetime(2015, 11, 1, 5, 30), True, False),  # first of two
    ("America/New_York", "2015-11-01 00:59:59", datetime(2015, 11, 1, 4, 59, 59), False, False),
    ("America/New_York", "2015-11-01 02:00:00", datetime(2015, 11, 1, 7, 0), False, False),
    ("Australia/Lord_Howe", "2015-10-04 02:15:00", datetime(2015, 10, 3, 15, 45), False, True),  # 30-min DST
    ("Asia/Shanghai", "2024-03-01 08:30:00", datetime(2024, 3, 1, 0, 30), False, False),
])
def test_hand_worked_changes(zone, text, utc, amb, gap):
    t = parse_times(pa.array([text]), ["%Y-%m-%d %H:%M:%S"], zone)
    assert t.ok[0] and datetime.fromtimestamp(t.us[0] / US, UTC).replace(tzinfo=None) == utc
    assert (bool(t.ambiguous[0]), bool(t.nonexistent[0])) == (amb, gap)


def test_latest_takes_the_second_occurrence():
    t = parse_times(pa.array(["2015-11-01 01:30:00"]), ["%Y-%m-%d %H:%M:%S"], "America/New_York", latest=True)
    assert datetime.fromtimestamp(t.us[0] / US, UTC).replace(tzinfo=None) == datetime(2015, 11, 1, 6, 30)


def test_layouts_in_order_trimmed_iso_and_offsets():
    col = pa.array(["01/31/2015 11:59:59 PM", "2015-01-31T23:59:59.000", " 01/31/2015 11:59:59 PM ",
                    "2015-01-31T23:59:59+08:00", "2015-01-31T23:59:59Z", "2015-02-30T00:00:00", "31.01.2015", None, "  "])
    t = parse_times(col, ["%m/%d/%Y %I:%M:%S %p", "iso"], "America/New_York")
    est = datetime(2015, 2, 1, 4, 59, 59)
    got = [datetime.fromtimestamp(u / US, UTC).replace(tzinfo=None) if ok else None for u, ok in zip(t.us, t.ok)]
    assert got == [est, est, est, datetime(2015, 1, 31, 15, 59, 59), datetime(2015, 1, 31, 23, 59, 59),
                   None, None, None, None]
    assert t.given.tolist() == [True] * 7 + [False, False]  # a cell of spaces is empty
    assert t.unreadable.tolist() == [False] * 5 + [True, True, False, False]


@pytest.mark.parametrize("text", ["2015-02-29 10:00:00", "2024-02-30 10:00:00", "2015-04-31 10:00:00",
                                  "2015-06-31 00:00:00", "2015-09-31 23:59:59", "2015-11-31 12:00:00"])
def test_days_the_month_does_not_have_are_unreadable(text):
    # Arrow's strptime would roll them over into the next month
    t = parse_times(pa.array([text, "2024-02-29 10:00:00", "2015-03-01 10:00:00"]), ["%Y-%m-%d %H:%M:%S"], "UTC")
    assert t.ok.tolist() == [False, True, True]
    t = parse_times(pa.array(["30 Feb 2015", "01 Mar 2015"]), ["%d %b %Y"], "UTC")
    assert t.ok.tolist() == [False, True]


def test_layout_problems():
    assert layout_problem("iso") is None and layout_problem("%d.%m.%Y %H:%M") is None
    assert layout_problem("%d.%m.%Y %k").startswith("unknown directive %k")
    assert layout_problem("YYYY-MM-DD").startswith("'YYYY-MM-DD' holds no % directive")


def test_the_byte_reading_of_fixed_layouts_checks_dates_itself():
    from jiesu.importers.times import fixed_width

    col = pa.array(["02/29/2015 10:00:00 AM", "02/29/2016 12:00:00 AM", "13/01/2015 10:00:00 AM",
                    "01/01/2015 13:00:00 PM", "01/01/2015 10:00:00 XM", "1/1/2015 10:00:00 AM", None])
    us, ok = fixed_width(col, "%m/%d/%Y %I:%M:%S %p")
    assert ok.tolist() == [False, True, False, False, False, False, False]
    assert datetime.fromtimestamp(us[1] / US, UTC).replace(tzinfo=None) == datetime(2016, 2, 29, 0, 0)  # 12 AM
    assert fixed_width(col, "%m/%d/%Y %k") is None and fixed_width(col, "%H:%M") is None
