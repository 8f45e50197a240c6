"""The caller's inbox and one task: read it, claim it from a queue, give it back, complete it.

Reading a task needs sight of its instance (else 404, no data); acting on it needs to hold it, be its delegate,
or sit in its queue (else 403); a task no longer open is 409. The service commands check all of this.
"""
from __future__ import annotations

from flask import request

from service import details, inbox, instances
from service.errors import ValidationFailed

from ..db import read_session, write
from ..principal import actor
from . import bp, page_args
from .parse import fields, json_body
from .serialize import reply, task_rows


@bp.get("/tasks")
def list_tasks():
    view = request.args.get("view", "todo")
    if view not in inbox.VIEWS:
        raise ValidationFailed("未知的视图", {"view": f"应为 {', '.join(inbox.VIEWS)} 之一"})
    query = inbox.Query(**page_args())
    body = inbox.view(read_session(), actor(), view, query).as_dict()
    body["view"] = view
    return reply(body)


@bp.get("/tasks/<int:task_id>")
def get_task(task_id: int):
    return reply(details.task_detail(read_session(), actor(), task_id))


def _task_answer(session, task) -> dict:
    return task_rows(session, [task])[0]


@bp.post("/tasks/<int:task_id>/claim")
def claim_task(task_id: int):
    json_body()
    with write() as session:
        answer = _task_answer(session, instances.claim(session, actor(), task_id))
    return reply(answer)


@bp.post("/tasks/<int:task_id>/unclaim")
def unclaim_task(task_id: int):
    json_body()
    with write() as session:
        answer = _task_answer(session, instances.unclaim(session, actor(), task_id))
    return reply(answer)


@bp.post("/tasks/<int:task_id>/complete")
def complete_task(task_id: int):
    body = fields(json_body(), optional={"data": dict, "expected_version": int})
    with write() as session:
        result = instances.complete(session, actor(), task_id, body["data"] or {},
                                    expected_version=body["expected_version"])
        answer = {"task_id": task_id, "instance_id": result.instance.id, "instance_status": result.instance.status,
                  "state_version": result.instance.state_version, "next_tasks": task_rows(session, result.opened, result.names)}
    return reply(answer)
