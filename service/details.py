"""Read models for one task or one instance: what the task page, the instance page and the API show."""
from __future__ import annotations

from sqlalchemy import select
from sqlalchemy.orm import Session

from . import access, audit, case_trace, clock, definitions, runtime
from .inbox import DUE_SOON
from .models import (HumanTask, InstanceProblem, ProcessDefinition, ProcessInstance, TaskCandidate, Unit, User)


def _names(session: Session, ids) -> dict[int, str]:
    ids = [i for i in set(ids) if i]
    if not ids:
        return {}
    return dict(session.execute(select(User.id, User.name).where(User.id.in_(ids))).all())


def task_row(task: HumanTask, names: dict[int, str], now) -> dict:
    return {
        "id": task.id, "name": task.name, "element_id": task.element_id, "state": task.state, "lane": task.lane,
        "assignee": names.get(task.assignee_id), "assignee_id": task.assignee_id, "candidates": task.candidates,
        "queue": task.queue_label, "mi_item": task.mi_item, "created_at": task.created_at, "due_at": task.due_at,
        "completed_at": task.completed_at, "completed_by": names.get(task.completed_by_id),
        "delegate": names.get(task.delegate_id), "original_assignee": names.get(task.original_assignee_id),
        "overdue": task.state == "open" and task.due_at is not None and task.due_at < now,
        "due_soon": task.state == "open" and task.due_at is not None and now <= task.due_at < now + DUE_SOON,
    }


def instance_summary(session: Session, instance: ProcessInstance) -> dict:
    unit = session.get(Unit, instance.unit_id)
    definition = session.get(ProcessDefinition, instance.definition_id)
    starter = session.get(User, instance.initiator_id) if instance.initiator_id else None
    return {
        "id": instance.id, "title": instance.title, "case_no": instance.case_no, "status": instance.status,
        "definition": instance.definition_key, "definition_name": definition.name,
        "version": instance.definition_version, "definition_id": definition.id,
        "unit": unit.name, "unit_code": unit.code, "started_by": starter.name if starter else None,
        "started_by_username": starter.username if starter else None, "started_at": instance.started_at,
        "ended_at": instance.ended_at, "updated_at": instance.updated_at, "error": instance.error,
        "state_version": instance.state_version, "current_steps": instance.current_steps,
    }


def instance_detail(session: Session, user: User, instance_id: int, *, with_timeline: bool = True,
                    with_path: bool = False) -> dict:
    """`with_path`: mark everything that ran and the flows taken, read from the workflow (the pages' diagrams);
    without it the marking comes from the task rows alone (the API's answer, no workflow read)."""
    instance = access.visible_instance(session, user, instance_id)
    tasks = session.scalars(select(HumanTask).where(HumanTask.instance_id == instance.id)
                            .order_by(HumanTask.created_at, HumanTask.id)).all()
    names = _names(session, [t.assignee_id for t in tasks] + [t.completed_by_id for t in tasks]
                   + [t.delegate_id for t in tasks] + [t.original_assignee_id for t in tasks])
    now = clock.now()
    rows = [task_row(t, names, now) for t in tasks]
    problems = session.scalars(select(InstanceProblem).where(
        InstanceProblem.instance_id == instance.id, InstanceProblem.resolved_at.is_(None))).all()
    detail = {
        **instance_summary(session, instance),
        "open_tasks": [r for r in rows if r["state"] == "open"],
        "completed_tasks": [r for r in rows if r["state"] == "completed"],
        "cancelled_tasks": [r for r in rows if r["state"] == "cancelled"],
        "marking": marking(tasks, now),
        "problems": [{"kind": p.kind, "element_id": p.element_id, "message": p.message, "created_at": p.created_at}
                     for p in problems],
        "can_manage": user.is_admin or instance.initiator_id == user.id or access.supervises_instance(session, user, instance),
    }
    if with_path:
        definition = session.get(ProcessDefinition, instance.definition_id)
        detail["marking"] = case_trace.marking(session, instance, definition, tasks, detail["marking"])
    if with_timeline:
        detail["timeline"] = audit.timeline(session, instance.id)
    return detail


def marking(tasks, now) -> dict:
    """Element ids to colour on the diagram: finished, current, overdue."""
    completed = sorted({t.element_id for t in tasks if t.state == "completed"})
    current = sorted({t.element_id for t in tasks if t.state == "open"})
    overdue = sorted({t.element_id for t in tasks if t.state == "open" and t.due_at is not None and t.due_at < now})
    return {"completed": completed, "current": current, "overdue": overdue}


def task_detail(session: Session, user: User, task_id: int) -> dict:
    """A task with its case, form, current data, documentation and what the user may do with it."""
    task, instance = access.visible_task(session, user, task_id)
    definition = session.get(ProcessDefinition, instance.definition_id)
    schema = definitions.form_schema(session, definition, task.form_key)
    names = _names(session, [task.assignee_id, task.completed_by_id, task.delegate_id, task.original_assignee_id])
    now = clock.now()
    documentation, data = None, {}
    if task.state == "open":
        workflow = runtime.load(session, instance, definition)
        spiff_task = runtime.find_task(workflow, task.spiff_task_id)
        if spiff_task is not None:
            documentation = getattr(spiff_task.task_spec, "documentation", None)
            data = _json_safe(spiff_task.data)
    else:
        spec = runtime.human_task_spec(runtime.parsed(session, definition), task.element_id)
        documentation = getattr(spec, "documentation", None)
        data = task.data or {}
    is_candidate = session.get(TaskCandidate, (task.id, user.id)) is not None
    return {
        **task_row(task, names, now),
        "instance": instance_summary(session, instance),
        "form": schema,
        "data": data,
        "submitted": task.data,
        "delegate_data": task.delegate_data,
        "documentation": documentation,
        "can_complete": task.state == "open" and instance.status == "running" and access.may_work_on(session, user, task),
        "can_claim": task.state == "open" and task.assignee_id is None and is_candidate,
        "can_unclaim": task.state == "open" and task.assignee_id == user.id and is_candidate,
        "state_version": instance.state_version,
    }


def _json_safe(data: dict) -> dict:
    import json
    return json.loads(json.dumps(data, default=str))
