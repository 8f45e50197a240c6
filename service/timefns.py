"""Time helpers shared by the service (due dates, reminders) and by BPMN scripts and conditions.

Why a module of its own: diagram authors write things like ``add_workdays(submitted_at, 3)`` in a
gateway condition or a timer expression, and the service computes the same due dates when it creates
a task. Both must agree, so both call these functions.

Conventions:

* Every datetime returned is timezone-aware. ``now()`` is UTC; date arithmetic on calendar days and
  working days happens in Asia/Shanghai, where the organisation works.
* A naive datetime (or naive ISO string) is read as Asia/Shanghai local time.
* A bare date used as a moment (``parse_datetime('2025-05-05')``) means 23:59:59 Asia/Shanghai of
  that day: a deadline "on 5 May" means by the end of 5 May.
* Working days follow the official Chinese calendar, holidays and make-up working days (调休)
  included, as published in the ``chinesecalendar`` package (``chinese_calendar.is_workday``). For a
  year that package has no data for (before 2004, or later than its last published year), the
  helpers fall back to plain Monday–Friday: keep the package up to date each December, when the
  State Council publishes the next year's schedule.
* The helpers are exposed to sandboxed scripts (``HELPERS``), so each one is bounded: no loop runs
  more than ``MAX_WORKDAYS`` steps, whatever a diagram passes in.
"""
from __future__ import annotations

from datetime import date, datetime, time, timedelta, timezone
from functools import lru_cache
from typing import Any
from zoneinfo import ZoneInfo

import chinese_calendar

SHANGHAI = ZoneInfo("Asia/Shanghai")
END_OF_DAY = time(23, 59, 59)
#: add_workdays refuses larger |n|: ten years of working days is more than any deadline needs.
MAX_WORKDAYS = 2500

DateLike = date | datetime | str


def now() -> datetime:
    """The current moment, timezone-aware UTC.

    Calls ``datetime.now(timezone.utc)`` each time (never caches) so tests that move the clock with
    time-machine, and SpiffWorkflow's timers that read the same call, see the same moment.
    """
    return datetime.now(timezone.utc)


def today() -> date:
    """The current date in Asia/Shanghai (which is not the UTC date between 16:00 and 24:00 UTC)."""
    return now().astimezone(SHANGHAI).date()


def days(n: int | float) -> timedelta:
    """A duration of ``n`` days, for ``now() + days(3)``."""
    if isinstance(n, bool) or not isinstance(n, (int, float)):
        raise TypeError(f"days() needs a number, got {type(n).__name__}")
    return timedelta(days=n)


def _is_date_only(text: str) -> bool:
    return len(text) <= 10 and "T" not in text and " " not in text


def _coerce(d: DateLike) -> date | datetime:
    """A date stays a date; a datetime or ISO datetime string becomes an aware datetime."""
    if isinstance(d, datetime):
        return d if d.tzinfo is not None else d.replace(tzinfo=SHANGHAI)
    if isinstance(d, date):
        return d
    if isinstance(d, str):
        text = d.strip()
        if _is_date_only(text):
            return date.fromisoformat(text)
        value = datetime.fromisoformat(text)
        return value if value.tzinfo is not None else value.replace(tzinfo=SHANGHAI)
    raise TypeError(f"expected a date, a datetime or an ISO string, got {type(d).__name__}")


def _check_int(n: Any, name: str) -> int:
    if isinstance(n, bool) or not isinstance(n, int):
        raise TypeError(f"{name}() needs a whole number of days, got {type(n).__name__}")
    return n


def add_days(d: DateLike, n: int) -> datetime | date:
    """``n`` calendar days after ``d`` (before, if negative), returning the same kind as given.

    A date (or a date-only ISO string) gives a date; a datetime (or an ISO datetime string) gives an
    aware datetime with the same time of day. Asia/Shanghai has no daylight saving, so adding 24-hour
    days keeps the local time of day.
    """
    return _coerce(d) + timedelta(days=_check_int(n, "add_days"))


@lru_cache(maxsize=8192)
def _workday(day: date) -> bool:
    try:
        return chinese_calendar.is_workday(day)
    except NotImplementedError:  # a year the package has no data for: plain Monday-Friday
        return day.weekday() < 5


def is_workday(d: DateLike) -> bool:
    """Whether ``d`` (its Asia/Shanghai date, for a datetime) is an official working day.

    Saturdays and Sundays that are make-up working days (调休) count as working days; weekdays inside
    an official holiday do not. Outside the years ``chinesecalendar`` knows: Monday–Friday.
    """
    value = _coerce(d)
    if isinstance(value, datetime):
        value = value.astimezone(SHANGHAI).date()
    return _workday(value)


def add_workdays(d: DateLike, n: int) -> datetime | date:
    """The ``n``-th official working day after ``d`` (before ``d`` when ``n`` is negative).

    Counting starts the day after ``d``: from a Friday, ``+1`` is the next Monday (or a make-up
    Saturday); from a holiday, ``+1`` is the first working day after it. ``n == 0`` returns ``d``
    unchanged, even on a holiday. A datetime keeps its Asia/Shanghai time of day and its own
    timezone; a date or date-only string gives a date. ``|n|`` is limited to ``MAX_WORKDAYS``.
    """
    n = _check_int(n, "add_workdays")
    if abs(n) > MAX_WORKDAYS:
        raise ValueError(f"add_workdays() handles at most {MAX_WORKDAYS} working days, got {n}")
    value = _coerce(d)
    if isinstance(value, datetime):
        local = value.astimezone(SHANGHAI)
        day = local.date()
    else:
        local, day = None, value
    step = timedelta(days=1 if n > 0 else -1)
    remaining = abs(n)
    while remaining:
        day += step
        if _workday(day):
            remaining -= 1
    if local is None:
        return day
    moved = datetime.combine(day, local.timetz())
    return moved.astimezone(value.tzinfo)


def workdays(n: int) -> datetime:
    """``n`` working days from now, at the same time of day: ``add_workdays(now(), n)``, in UTC."""
    return add_workdays(now(), n)  # type: ignore[return-value]


def parse_datetime(value: DateLike) -> datetime:
    """An aware datetime from an ISO date/datetime string, a date, or a datetime.

    Naive values are Asia/Shanghai local time. A bare date (or date-only string) means the end of that
    day, 23:59:59 Asia/Shanghai, because a deadline "on 5 May" is met by anything done on 5 May.
    """
    coerced = _coerce(value)
    if isinstance(coerced, datetime):
        return coerced
    return datetime.combine(coerced, END_OF_DAY, SHANGHAI)


def _iso_duration(value: timedelta) -> str:
    sign = "-" if value < timedelta(0) else ""
    total = abs(value)
    seconds = total.seconds + total.microseconds / 1_000_000
    hours, rest = divmod(seconds, 3600)
    minutes, secs = divmod(rest, 60)
    text = f"{sign}P{total.days}D" if total.days else f"{sign}P"
    clock = ""
    if hours:
        clock += f"{int(hours)}H"
    if minutes:
        clock += f"{int(minutes)}M"
    if secs:
        clock += f"{secs:g}S"
    if clock:
        text += "T" + clock
    return text if text not in ("P", "-P") else "PT0S"


def to_iso(value: DateLike | timedelta) -> str:
    """ISO 8601 text: a datetime with its offset, a date as YYYY-MM-DD, a timedelta as a duration
    (``P3DT4H``, which SpiffWorkflow's duration timers accept).

    A string is returned as it is (stripped): timer definitions are wrapped in ``to_iso(...)`` by the
    BPMN parser, and a variable may already hold ``'P3D'`` or ``'R3/PT1H'``, which are not dates.
    """
    if isinstance(value, timedelta):
        return _iso_duration(value)
    if isinstance(value, str):
        return value.strip()
    return _coerce(value).isoformat()


HELPERS: dict[str, Any] = {
    "now": now,
    "today": today,
    "days": days,
    "add_days": add_days,
    "add_workdays": add_workdays,
    "workdays": workdays,
    "is_workday": is_workday,
    "parse_datetime": parse_datetime,
    "to_iso": to_iso,
    "datetime": datetime,
    "date": date,
    "timedelta": timedelta,
}
