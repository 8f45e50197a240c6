"""Time helpers against real calendar facts: the 2024 National Day holidays (1-7 Oct, make-up working days on
Sunday 29 Sep and Saturday 12 Oct) and the 2025 Spring Festival (28 Jan - 4 Feb, make-up working days on Sunday
26 Jan and Saturday 8 Feb), as published by the State Council and shipped in chinesecalendar."""
from __future__ import annotations

from datetime import date, datetime, timedelta, timezone

import pytest
import time_machine

from service import timefns
from service.sandbox import evaluate
from service.timefns import (SHANGHAI, add_days, add_workdays, days, is_workday, now, parse_datetime, to_iso, today,
                             workdays)

UTC = timezone.utc


@pytest.mark.parametrize("day", [date(2024, 10, d) for d in range(1, 8)])
def test_national_day_2024_is_a_holiday(day):
    assert not is_workday(day)


@pytest.mark.parametrize("day, expected", [
    (date(2024, 9, 29), True),    # Sunday, make-up working day
    (date(2024, 10, 12), True),   # Saturday, make-up working day
    (date(2024, 9, 28), False),   # an ordinary Saturday
    (date(2024, 10, 13), False),  # an ordinary Sunday
    (date(2024, 9, 30), True),
    (date(2024, 10, 8), True),
    (date(2025, 1, 26), True),    # Sunday, make-up for the Spring Festival
    (date(2025, 1, 28), False),
    (date(2025, 2, 4), False),
    (date(2025, 2, 5), True),
    (date(2025, 2, 8), True),     # Saturday, make-up for the Spring Festival
    ("2024-10-12", True),
    (datetime(2024, 9, 30, 20, 0, tzinfo=UTC), False),  # 04:00 on 1 Oct in Shanghai
])
def test_is_workday(day, expected):
    assert is_workday(day) is expected


@pytest.mark.parametrize("start, n, expected", [
    (date(2024, 9, 30), 1, date(2024, 10, 8)),    # the whole holiday is skipped
    (date(2024, 9, 27), 1, date(2024, 9, 29)),    # Friday -> the make-up Sunday, not Monday
    (date(2024, 9, 27), 2, date(2024, 9, 30)),
    (date(2024, 10, 1), 1, date(2024, 10, 8)),    # starting on a holiday rolls to the first working day after it
    (date(2024, 10, 5), 2, date(2024, 10, 9)),
    (date(2024, 10, 8), 4, date(2024, 10, 12)),   # Tue + 4 -> the make-up Saturday
    (date(2024, 10, 8), 5, date(2024, 10, 14)),
    (date(2024, 10, 8), -1, date(2024, 9, 30)),   # negative: backwards over the holiday
    (date(2024, 10, 8), -2, date(2024, 9, 29)),
    (date(2024, 10, 13), -1, date(2024, 10, 12)),
    (date(2024, 10, 8), 0, date(2024, 10, 8)),
    (date(2025, 1, 24), 1, date(2025, 1, 26)),    # Spring Festival 2025
    (date(2025, 1, 27), 1, date(2025, 2, 5)),
    (date(2025, 2, 7), 1, date(2025, 2, 8)),
    (date(2025, 2, 5), -1, date(2025, 1, 27)),
    (date(2025, 1, 20), 10, date(2025, 2, 8)),    # 21-24, 26, 27 Jan, 5-8 Feb: across the whole festival
])
def test_add_workdays_across_official_holidays(start, n, expected):
    assert add_workdays(start, n) == expected


def test_add_workdays_keeps_the_time_of_day_and_the_timezone():
    assert add_workdays(datetime(2024, 9, 30, 15, 30, tzinfo=SHANGHAI), 1) == datetime(2024, 10, 8, 15, 30,
                                                                                         tzinfo=SHANGHAI)
    # 20:00 UTC on 30 Sep is 04:00 on 1 Oct (a holiday) in Shanghai: the next working day there is 8 Oct
    result = add_workdays(datetime(2024, 9, 30, 20, 0, tzinfo=UTC), 1)
    assert result == datetime(2024, 10, 7, 20, 0, tzinfo=UTC)
    assert result.utcoffset() == timedelta(0)
    assert result.astimezone(SHANGHAI).time().hour == 4


def test_add_workdays_from_iso_strings():
    assert add_workdays("2024-09-30", 1) == date(2024, 10, 8)
    assert add_workdays("2024-09-30T09:00", 1) == datetime(2024, 10, 8, 9, 0, tzinfo=SHANGHAI)
    assert add_workdays("2024-09-30T01:00:00Z", 1) == datetime(2024, 10, 8, 1, 0, tzinfo=UTC)


def test_add_workdays_is_bounded_and_typed():
    with pytest.raises(ValueError):
        add_workdays(date(2024, 1, 1), timefns.MAX_WORKDAYS + 1)
    with pytest.raises(TypeError):
        add_workdays(date(2024, 1, 1), 1.5)
    with pytest.raises(TypeError):
        add_workdays(12345, 1)


def test_years_outside_the_package_fall_back_to_monday_to_friday():
    assert is_workday(date(2040, 1, 2))        # a Monday
    assert not is_workday(date(2040, 1, 7))    # a Sunday
    assert add_workdays(date(2040, 1, 6), 1) == date(2040, 1, 9)   # Friday -> Monday
    assert "Monday" in (timefns.__doc__ or "") and "Monday" in (is_workday.__doc__ or "")


def test_add_days_returns_the_same_kind():
    assert add_days(date(2024, 2, 28), 2) == date(2024, 3, 1)
    assert add_days("2024-02-28", 2) == date(2024, 3, 1)
    moment = datetime(2024, 2, 28, 9, 0, tzinfo=SHANGHAI)
    assert add_days(moment, -1) == datetime(2024, 2, 27, 9, 0, tzinfo=SHANGHAI)
    assert add_days("2024-02-28T09:00", 1) == datetime(2024, 2, 29, 9, 0, tzinfo=SHANGHAI)


def test_parse_datetime():
    assert parse_datetime("2025-05-05") == datetime(2025, 5, 5, 23, 59, 59, tzinfo=SHANGHAI)   # end of that day
    assert parse_datetime(date(2025, 5, 5)) == datetime(2025, 5, 5, 23, 59, 59, tzinfo=SHANGHAI)
    assert parse_datetime("2025-05-05T09:00") == datetime(2025, 5, 5, 9, 0, tzinfo=SHANGHAI)    # naive = Shanghai
    assert parse_datetime("2025-05-05T01:00:00Z") == datetime(2025, 5, 5, 1, 0, tzinfo=UTC)
    assert parse_datetime(datetime(2025, 5, 5, 9, 0)).tzinfo is SHANGHAI
    with pytest.raises(ValueError):
        parse_datetime("next tuesday")


def test_to_iso_and_days():
    assert days(3) == timedelta(days=3) and days(0.5) == timedelta(hours=12)
    assert to_iso(timedelta(days=3, hours=4)) == "P3DT4H"
    assert to_iso(timedelta(minutes=90)) == "PT1H30M"
    assert to_iso(timedelta(0)) == "PT0S"
    assert to_iso(date(2024, 10, 8)) == "2024-10-08"
    assert to_iso(datetime(2024, 10, 8, 9, 0, tzinfo=SHANGHAI)) == "2024-10-08T09:00:00+08:00"
    assert to_iso("P3D") == "P3D"


def test_now_today_and_workdays_follow_a_moved_clock():
    # 17:30 UTC on 30 Sep 2024 is already 1 Oct (a holiday) in Shanghai
    with time_machine.travel(datetime(2024, 9, 30, 17, 30, tzinfo=UTC), tick=False):
        assert now() == datetime(2024, 9, 30, 17, 30, tzinfo=UTC)
        assert now().tzinfo is UTC
        assert today() == date(2024, 10, 1)
        assert workdays(1) == datetime(2024, 10, 7, 17, 30, tzinfo=UTC)   # 01:30 on 8 Oct in Shanghai
        assert evaluate("workdays(1) == add_workdays(now(), 1) and not is_workday(today())", {}) is True
    with time_machine.travel(datetime(2025, 1, 24, 2, 0, tzinfo=UTC), tick=False):   # Friday 10:00 in Shanghai
        assert workdays(1) == datetime(2025, 1, 26, 2, 0, tzinfo=UTC)   # the make-up Sunday
        assert evaluate("today()", {}) == date(2025, 1, 24)


def test_helpers_exposed_to_scripts():
    assert set(timefns.HELPERS) >= {"now", "today", "days", "add_days", "add_workdays", "workdays", "is_workday",
                                    "parse_datetime", "datetime", "date", "timedelta"}
