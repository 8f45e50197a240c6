"""The one place the service asks for the time, so tests can move a clock instead of sleeping."""
from __future__ import annotations

from datetime import datetime, timezone
from zoneinfo import ZoneInfo

SHANGHAI = ZoneInfo("Asia/Shanghai")


def now() -> datetime:
    """Current time, timezone-aware UTC. SpiffWorkflow's timers read the same `datetime.now(timezone.utc)`."""
    return datetime.now(timezone.utc)


def as_utc(value: datetime) -> datetime:
    """Naive datetimes coming back from the database are UTC; make them aware."""
    if value.tzinfo is None:
        return value.replace(tzinfo=timezone.utc)
    return value.astimezone(timezone.utc)


def local(value: datetime | None) -> datetime | None:
    return None if value is None else as_utc(value).astimezone(SHANGHAI)
