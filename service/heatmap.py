"""A process's heatmap: for each human step of a definition, how many tasks wait there now (and how many of
them are late), and how long people spent on it on average — within the user's supervised units.

Tasks are matched to the drawing by element id across all versions of the process (a step keeps its id when a
new version is deployed). Both figures are GROUP BYs over the ``(definition_key, state, element_id)`` index; the
averages cover the tasks completed in the window (``days``).
"""
from __future__ import annotations

from datetime import timedelta

from sqlalchemy import case, func, select
from sqlalchemy.orm import Session

from . import clock, definitions, diagram, scope, stats
from .errors import NotFound
from .models import HumanTask, ProcessDefinition

DEFAULT_DAYS = 180


def heatmap(session: Session, user, key: str, version: int | None = None, days: int = DEFAULT_DAYS) -> dict:
    units = scope.require_supervisor(session, user)
    definition = definitions.get_version(session, key, version) if version else definitions.latest(session, key)
    if definition is None:
        raise NotFound(f"流程 {key} 不存在")
    days = max(1, min(int(days or DEFAULT_DAYS), 3 * 365))
    now = clock.now()
    in_scope = [c for c in (scope.unit_condition(HumanTask.unit_id, units),) if c is not None]
    of_process = [HumanTask.definition_key == key, *in_scope]
    waiting = {element: (n, late) for element, n, late in session.execute(
        select(HumanTask.element_id, func.count(), func.sum(case((HumanTask.due_at < now, 1), else_=0)))
        .where(HumanTask.state == "open", *of_process).group_by(HumanTask.element_id)).all()}
    seconds = stats.seconds_between(session, HumanTask.created_at, HumanTask.completed_at)
    spent = {element: (n, avg) for element, n, avg in session.execute(
        select(HumanTask.element_id, func.count(), func.avg(seconds))
        .where(HumanTask.state == "completed", HumanTask.completed_at >= now - timedelta(days=days), *of_process)
        .group_by(HumanTask.element_id)).all()}
    drawing = diagram.drawing(definition)
    elements = []
    for element_id, name in drawing.steps:
        open_count, late = waiting.get(element_id, (0, 0))
        done, avg = spent.get(element_id, (0, None))
        elements.append({"element_id": element_id, "name": name, "open": open_count, "overdue": int(late or 0),
                         "completed": done, "avg_seconds": None if avg is None else round(float(avg), 1),
                         "filter": {"definition": key, "step": element_id}})
    longest = max((e["avg_seconds"] or 0 for e in elements), default=0)
    busiest = max((e["open"] for e in elements), default=0)
    for element in elements:
        element["heat"] = round((element["avg_seconds"] or 0) / longest, 3) if longest else 0.0
        element["load"] = round(element["open"] / busiest, 3) if busiest else 0.0
    versions = session.scalars(select(ProcessDefinition.version).where(ProcessDefinition.key == key)
                               .order_by(ProcessDefinition.version.desc())).all()
    return {"definition": key, "name": definition.name, "version": definition.version, "versions": list(versions),
            "definition_id": definition.id, "has_diagram": drawing.has_diagram, "days": days, "generated_at": now,
            "elements": elements, "open": sum(e["open"] for e in elements),
            "overdue": sum(e["overdue"] for e in elements)}


def diagram_xml(session: Session, user, key: str, version: int | None = None) -> tuple[str, str]:
    """The drawing behind a heatmap (supervisors and admins only)."""
    scope.require_supervisor(session, user)
    definition = definitions.get_version(session, key, version) if version else definitions.latest(session, key)
    if definition is None:
        raise NotFound(f"流程 {key} 不存在")
    return definition.key, definition.bpmn_xml
