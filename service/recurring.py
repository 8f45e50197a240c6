"""Recurring starts: processes the rules require on a calendar, started by the worker without anyone asking.

The half-yearly 一岗双责 hearing (``dual_duty_hearing``, DOMAIN.md Process C) must run once per half year in every
unit that has a secretary. ``start_due`` is called on every worker pass; it starts what is missing for the current
period and is cheap when nothing is (one query). Exactly once per unit and period, however many workers race: the
``scheduled_starts`` row, whose primary key is (definition, unit, period), is inserted *before* the instance in
the same transaction. A second worker either sees the committed row (SQLite serialises writers) or blocks on the
key and fails with an integrity error (PostgreSQL); its transaction rolls back, instance and all.
"""
from __future__ import annotations

import logging
from dataclasses import dataclass
from datetime import datetime
from typing import Callable

from sqlalchemy import exists, select
from sqlalchemy.exc import IntegrityError

from . import clock, definitions, instances
from .db import Database
from .models import Membership, ScheduledStart, Unit, User

log = logging.getLogger("jiandu.recurring")


def half_year(now: datetime) -> tuple[str, str]:
    """("2026-H1", "2026年上半年") for the half year `now` falls in, by the date in Asia/Shanghai."""
    local = clock.local(now)
    first = local.month <= 6
    return f"{local.year}-H{1 if first else 2}", f"{local.year}年{'上' if first else '下'}半年"


@dataclass(frozen=True)
class Schedule:
    """One recurring process: which definition, for units holding which role, in which periods."""

    definition_key: str
    role: str
    period: Callable[[datetime], tuple[str, str]]
    title: str  # formatted with {unit} and {period}


SCHEDULES = [
    Schedule("dual_duty_hearing", "secretary", half_year, "{unit}{period}“一岗双责”听取汇报"),
]


def start_due(db: Database, now: datetime) -> list[int]:
    """Start every scheduled instance that is due at `now` and not started yet; return the new instance ids."""
    started: list[int] = []
    for schedule in SCHEDULES:
        period, label = schedule.period(now)
        with db.read() as session:
            if definitions.latest(session, schedule.definition_key) is None:
                continue
            units = _units_missing(session, schedule, period)
        for unit_id, code, name in units:
            instance_id = _start_one(db, schedule, unit_id, code, period,
                                     schedule.title.format(unit=name, period=label), now)
            if instance_id is not None:
                started.append(instance_id)
    return started


def _units_missing(session, schedule: Schedule, period: str) -> list[tuple[int, str, str]]:
    """Units with an active holder of the schedule's role and no start recorded for the period."""
    has_role = exists().where(Membership.unit_id == Unit.id, Membership.role == schedule.role,
                              Membership.user_id == User.id, User.is_active.is_(True))
    done = exists().where(ScheduledStart.definition_key == schedule.definition_key,
                          ScheduledStart.unit_id == Unit.id, ScheduledStart.period == period)
    return [tuple(row) for row in session.execute(
        select(Unit.id, Unit.code, Unit.name).where(has_role, ~done).order_by(Unit.path)).all()]


def _start_one(db: Database, schedule: Schedule, unit_id: int, code: str, period: str, title: str,
               now: datetime) -> int | None:
    try:
        with db.write() as session:
            if session.get(ScheduledStart, (schedule.definition_key, unit_id, period)) is not None:
                return None  # another worker did it
            row = ScheduledStart(definition_key=schedule.definition_key, unit_id=unit_id, period=period,
                                 created_at=now)
            session.add(row)
            session.flush()  # claim the (definition, unit, period) key before doing the work
            result = instances.start_system(session, schedule.definition_key, code, title=title,
                                            data={"period": period})
            row.instance_id = result.instance.id
            return result.instance.id
    except IntegrityError:
        return None  # lost the race for the key: the winner's instance is the one
    except Exception:  # one unit's failure must not stop the others; it is retried on the next pass
        log.exception("scheduled start of %s for unit %s (%s) failed", schedule.definition_key, code, period)
        return None
