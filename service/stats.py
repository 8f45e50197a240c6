"""SQL expressions and small statistics the dashboard and the heatmap share, written once per database dialect.

Durations are computed in the database (SQLite: julianday arithmetic; PostgreSQL: epoch of the interval) so that
averages are one aggregate over an index range. Weeks start on Monday in Asia/Shanghai, which has had no daylight
saving since 1991, so a fixed +8 hours is exact.
"""
from __future__ import annotations

import math
from datetime import date, timedelta

from sqlalchemy import Float, cast, func, text
from sqlalchemy.orm import Session

SHANGHAI_OFFSET_HOURS = 8


def dialect_name(session: Session) -> str:
    return session.get_bind().dialect.name


def seconds_between(session: Session, start, end):
    """`end - start` in seconds, as a float SQL expression."""
    if dialect_name(session) == "postgresql":
        return func.extract("epoch", end - start)
    return (func.julianday(end) - func.julianday(start)) * 86400.0


def week_start(session: Session, column):
    """The Monday (Asia/Shanghai) of the week a UTC timestamp falls in, as an ISO date string."""
    if dialect_name(session) == "postgresql":
        shifted = column + text(f"interval '{SHANGHAI_OFFSET_HOURS} hours'")
        return func.to_char(func.date_trunc("week", shifted), "YYYY-MM-DD")
    return func.date(column, f"+{SHANGHAI_OFFSET_HOURS} hours", "-6 days", "weekday 1")


def weeks_back(today: date, weeks: int) -> list[date]:
    """The Mondays of the last `weeks` weeks, oldest first, ending with this week's."""
    monday = today - timedelta(days=today.weekday())
    return [monday - timedelta(weeks=n) for n in range(weeks - 1, -1, -1)]


def percentile(values: list[float], q: float) -> float | None:
    """The q-th percentile (0–100) with linear interpolation between closest ranks (like numpy's default)."""
    if not values:
        return None
    ordered = sorted(values)
    rank = (len(ordered) - 1) * q / 100.0
    low, high = math.floor(rank), math.ceil(rank)
    if low == high:
        return ordered[low]
    return ordered[low] + (ordered[high] - ordered[low]) * (rank - low)


def as_float(expression):
    return cast(expression, Float)

