"""The supervisor's dashboard: where the cases in their units stand, what is late, how long the steps take.

Every figure covers the user's supervised units (admins: all), optionally narrowed to one unit's subtree and one
process, and carries the case-list filter (`filter`) that lists the cases behind it.

Where each figure is computed, and why:

- Counts by status and by unit: one GROUP BY over the ``(unit_id, status, started_at)`` index (index-only).
- Overdue tasks by unit and by step: a GROUP BY over the open tasks past their deadline, found through the
  ``(state, due_at, unit_id, instance_id)`` index — the cost follows the number of late tasks, not the table.
- Trend: started per week through ``(unit_id, started_at)`` / ``(started_at)``, completed per week through
  ``(status, ended_at)``; the week is computed in SQL (``service.stats.week_start``).
- Average time per step and per process: SQL ``avg`` over the tasks (``(state, completed_at)``) and cases
  (``(status, ended_at)``) completed within the window (``days``, default 180).
- 90th percentiles: in Python, over a bounded selection — the newest ``MAX_SAMPLE`` completions in the same
  window, read in index order. SQLite has no percentile aggregate; one code path gives the same answer on SQLite
  and PostgreSQL; and the bound keeps time and memory flat however long the history grows (with more completions
  than the bound, the percentile describes the most recent ones, which is what a supervisor asks about anyway).
"""
from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass
from datetime import datetime, timedelta

from sqlalchemy import and_, func, select
from sqlalchemy.orm import Session

from . import clock, scope, stats
from .errors import ValidationFailed
from .models import HumanTask, ProcessDefinition, ProcessInstance, Unit
from .models.instances import INSTANCE_STATUSES

MAX_SAMPLE = 20_000
MAX_WEEKS = 104
MAX_DAYS = 3 * 365


@dataclass
class DashboardFilters:
    unit: str = ""          # unit code: that unit and everything below it
    definition: str = ""    # definition key
    weeks: int = 12         # trend length
    days: int = 180         # window for the durations

    def clamp(self) -> "DashboardFilters":
        self.unit = (self.unit or "").strip()
        self.definition = (self.definition or "").strip()
        self.weeks = min(MAX_WEEKS, max(1, int(self.weeks or 12)))
        self.days = min(MAX_DAYS, max(1, int(self.days or 180)))
        return self


class _Scope:
    """The WHERE clauses every figure shares, for instance rows and for task rows."""

    def __init__(self, session: Session, user, filters: DashboardFilters):
        units = scope.require_supervisor(session, user)
        if filters.unit:
            unit = session.scalar(select(Unit).where(Unit.code == filters.unit))
            if unit is None:
                raise ValidationFailed("单位不存在", {"unit": f"未知单位 {filters.unit}"})
            below = scope.units_under(session, [unit.path])
            units = below if units is None else sorted(set(units) & set(below))
        self.units = units
        self.definition = filters.definition

    def cases(self, *extra) -> list:
        where = [c for c in (scope.unit_condition(ProcessInstance.unit_id, self.units),) if c is not None]
        if self.definition:
            where.append(ProcessInstance.definition_key == self.definition)
        return where + list(extra)

    def tasks(self, *extra) -> list:
        where = [c for c in (scope.unit_condition(HumanTask.unit_id, self.units),) if c is not None]
        if self.definition:
            where.append(HumanTask.definition_key == self.definition)
        return where + list(extra)

    @property
    def base_filter(self) -> dict:
        return {"definition": self.definition} if self.definition else {}


def figures(session: Session, user, filters: DashboardFilters | None = None) -> dict:
    """Every figure of the dashboard (also `GET /api/v1/dashboard`)."""
    filters = (filters or DashboardFilters()).clamp()
    where = _Scope(session, user, filters)
    now = clock.now()
    since = now - timedelta(days=filters.days)
    names = _definition_names(session)
    by_status, by_unit = _status_and_unit(session, where)
    overdue_units, overdue_steps = _overdue(session, where, now, names)
    return {
        "generated_at": now,
        "filters": {"unit": filters.unit, "definition": filters.definition, "weeks": filters.weeks,
                    "days": filters.days},
        "totals": _totals(session, where, now, by_status),
        "by_status": by_status,
        "by_unit": by_unit,
        "overdue_by_unit": overdue_units,
        "overdue_by_step": overdue_steps,
        "step_durations": _step_durations(session, where, since, names),
        "process_durations": _process_durations(session, where, since, names),
        "trend": _trend(session, where, now, filters.weeks),
    }


# -- counts ------------------------------------------------------------------------------------------------------------

def _status_and_unit(session: Session, where: _Scope) -> tuple[list[dict], list[dict]]:
    rows = session.execute(select(ProcessInstance.unit_id, ProcessInstance.status, func.count())
                           .where(*where.cases()).group_by(ProcessInstance.unit_id, ProcessInstance.status)).all()
    totals: dict[str, int] = dict.fromkeys(INSTANCE_STATUSES, 0)
    per_unit: dict[int, dict[str, int]] = defaultdict(lambda: dict.fromkeys(INSTANCE_STATUSES, 0))
    for unit_id, status, count in rows:
        totals[status] = totals.get(status, 0) + count
        per_unit[unit_id][status] = per_unit[unit_id].get(status, 0) + count
    units = _units(session, per_unit)
    by_status = [{"status": s, "count": n, "filter": {**where.base_filter, "status": s}} for s, n in totals.items()]
    by_unit = [{"unit": units[uid].code, "name": units[uid].name, "count": sum(counts.values()),
                "by_status": counts, "filter": {**where.base_filter, "unit": units[uid].code}}
               for uid, counts in per_unit.items()]
    by_unit.sort(key=lambda item: (-item["count"], item["unit"]))
    return by_status, by_unit


def _totals(session: Session, where: _Scope, now: datetime, by_status: list[dict]) -> dict:
    open_tasks = session.scalar(select(func.count()).select_from(HumanTask)
                                .where(*where.tasks(HumanTask.state == "open"))) or 0
    late = where.tasks(HumanTask.state == "open", HumanTask.due_at < now)
    overdue_tasks, overdue_cases = session.execute(
        select(func.count(), func.count(HumanTask.instance_id.distinct())).where(*late)).one()
    counts = {item["status"]: item["count"] for item in by_status}
    return {"cases": sum(counts.values()), "running": counts.get("running", 0), "open_tasks": open_tasks,
            "overdue_tasks": overdue_tasks or 0, "overdue_cases": overdue_cases or 0}


def _overdue(session: Session, where: _Scope, now: datetime, names: dict) -> tuple[list[dict], list[dict]]:
    late = where.tasks(HumanTask.state == "open", HumanTask.due_at < now)
    per_unit = dict(session.execute(select(HumanTask.unit_id, func.count()).where(*late)
                                    .group_by(HumanTask.unit_id)).all())
    units = _units(session, per_unit)
    by_unit = [{"unit": units[uid].code, "name": units[uid].name, "count": n,
                "filter": {**where.base_filter, "unit": units[uid].code, "overdue": True}}
               for uid, n in per_unit.items()]
    by_unit.sort(key=lambda item: (-item["count"], item["unit"]))
    rows = session.execute(select(HumanTask.definition_key, HumanTask.element_id, func.min(HumanTask.name),
                                  func.count()).where(*late)
                           .group_by(HumanTask.definition_key, HumanTask.element_id)).all()
    by_step = [{"definition": key, "definition_name": names.get(key, key), "element_id": element, "name": name,
                "count": n, "filter": {"definition": key, "step": element, "overdue": True}}
               for key, element, name, n in rows]
    by_step.sort(key=lambda item: (-item["count"], item["definition"], item["element_id"]))
    return by_unit, by_step


# -- durations ---------------------------------------------------------------------------------------------------------

def _step_durations(session: Session, where: _Scope, since: datetime, names: dict) -> list[dict]:
    done = where.tasks(HumanTask.state == "completed", HumanTask.completed_at >= since)
    seconds = stats.seconds_between(session, HumanTask.created_at, HumanTask.completed_at)
    rows = session.execute(select(HumanTask.definition_key, HumanTask.element_id, func.min(HumanTask.name),
                                  func.count(), func.avg(seconds)).where(*done)
                           .group_by(HumanTask.definition_key, HumanTask.element_id)).all()
    sample = session.execute(select(HumanTask.definition_key, HumanTask.element_id, seconds).where(*done)
                             .order_by(HumanTask.completed_at.desc()).limit(MAX_SAMPLE)).all()
    spread: dict[tuple, list[float]] = defaultdict(list)
    for key, element, value in sample:
        if value is not None:
            spread[(key, element)].append(float(value))
    result = [{"definition": key, "definition_name": names.get(key, key), "element_id": element, "name": name,
               "count": n, "avg_seconds": _round(avg),
               "p90_seconds": _round(stats.percentile(spread[(key, element)], 90)),
               "filter": {"definition": key, "step": element}}
              for key, element, name, n, avg in rows]
    result.sort(key=lambda item: -(item["avg_seconds"] or 0))
    return result


def _process_durations(session: Session, where: _Scope, since: datetime, names: dict) -> list[dict]:
    done = where.cases(ProcessInstance.status == "completed", ProcessInstance.ended_at >= since)
    seconds = stats.seconds_between(session, ProcessInstance.started_at, ProcessInstance.ended_at)
    rows = session.execute(select(ProcessInstance.definition_key, func.count(), func.avg(seconds)).where(*done)
                           .group_by(ProcessInstance.definition_key)).all()
    sample = session.execute(select(ProcessInstance.definition_key, seconds).where(*done)
                             .order_by(ProcessInstance.ended_at.desc()).limit(MAX_SAMPLE)).all()
    spread: dict[str, list[float]] = defaultdict(list)
    for key, value in sample:
        if value is not None:
            spread[key].append(float(value))
    result = [{"definition": key, "name": names.get(key, key), "count": n, "avg_seconds": _round(avg),
               "p90_seconds": _round(stats.percentile(spread[key], 90)),
               "filter": {"definition": key, "status": "completed"}}
              for key, n, avg in rows]
    result.sort(key=lambda item: -(item["avg_seconds"] or 0))
    return result


# -- trend -------------------------------------------------------------------------------------------------------------

def _trend(session: Session, where: _Scope, now: datetime, weeks: int) -> list[dict]:
    mondays = stats.weeks_back(clock.local(now).date(), weeks)
    since = datetime.combine(mondays[0], datetime.min.time(), clock.SHANGHAI)
    started_week = stats.week_start(session, ProcessInstance.started_at)
    started = dict(session.execute(select(started_week, func.count())
                                   .where(*where.cases(ProcessInstance.started_at >= since))
                                   .group_by(started_week)).all())
    ended_week = stats.week_start(session, ProcessInstance.ended_at)
    completed = dict(session.execute(select(ended_week, func.count())
                                     .where(*where.cases(and_(ProcessInstance.status == "completed",
                                                              ProcessInstance.ended_at >= since)))
                                     .group_by(ended_week)).all())
    return [{"week": monday.isoformat(), "started": started.get(monday.isoformat(), 0),
             "completed": completed.get(monday.isoformat(), 0),
             "filter": {**where.base_filter, "from": monday.isoformat(),
                        "to": (monday + timedelta(days=6)).isoformat()}}
            for monday in mondays]


# -- helpers -----------------------------------------------------------------------------------------------------------

def _units(session: Session, ids) -> dict[int, Unit]:
    ids = list(ids)
    if not ids:
        return {}
    return {u.id: u for u in session.scalars(select(Unit).where(Unit.id.in_(ids))).all()}


def _definition_names(session: Session) -> dict[str, str]:
    """{key: name of the newest version}."""
    rows = session.execute(select(ProcessDefinition.key, ProcessDefinition.name)
                           .order_by(ProcessDefinition.key, ProcessDefinition.version)).all()
    return dict(rows)


def _round(value) -> float | None:
    return None if value is None else round(float(value), 1)
