"""The task page and what a person does on it: complete (JSON, from the form-js viewer), claim, give back.

Permissions: signed in; the task must be visible to the user (they take part in its case, supervise its unit or
are an admin) or the answer is 404 with no data. Completing needs the task to be the user's to work on (holder,
delegate, or queue member of an unclaimed task): 403 otherwise. Claiming needs queue membership.
"""
from __future__ import annotations

from flask import Blueprint, flash, jsonify, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_login import current_user, login_required
from sqlalchemy import select

from service import details, instances
from service.errors import ServiceError, ValidationFailed
from service.models import User

from ..db import read_session, write
from .common import name_items, safe_target, timeline_entries, translate

bp = Blueprint("tasks", __name__)
TIMELINE_ON_TASK_PAGE = 8


@bp.get("/tasks/<int:task_id>")
@login_required
def show(task_id: int):
    session = read_session()
    task = details.task_detail(session, current_user.row, task_id)
    case = details.instance_detail(session, current_user.row, task["instance"]["id"])
    timeline = timeline_entries(case["timeline"], TIMELINE_ON_TASK_PAGE)
    form_data = task["data"] if task["state"] == "open" else (task["submitted"] or {})
    name_items([task], case["open_tasks"])
    return render_template("task.html", task=task, case=task["instance"], timeline=timeline,
                           timeline_total=len(case["timeline"]), form_data=form_data,
                           open_tasks=case["open_tasks"])


@bp.post("/tasks/<int:task_id>/complete")
@login_required
def complete(task_id: int):
    """JSON in ({"data": {...}}), JSON out: 200 {instance_status, next_tasks} / 422 {error, details} / 409 / 403 / 404."""
    body = request.get_json(silent=True)
    if not isinstance(body, dict):
        return _json_error(ValidationFailed(_("提交的数据格式不正确"), {"": _("提交的数据格式不正确")}))
    data = body.get("data", {})
    try:
        with write() as session:
            result = instances.complete(session, current_user.row, task_id, data)
            next_tasks = _next_tasks(session, result.opened)
            instance = result.instance
            answer = {"instance_status": instance.status, "instance_id": instance.id, "next_tasks": next_tasks}
    except ServiceError as err:
        return _json_error(err)
    answer["message"] = _summary(answer)
    answer["instance_url"] = url_for("instances.show", instance_id=answer["instance_id"])
    answer["inbox_url"] = url_for("inbox.index")
    return jsonify(answer)


def _json_error(err: ServiceError):
    details_ = err.details
    if isinstance(details_, dict):
        details_ = {key: translate(value) if isinstance(value, str) else value for key, value in details_.items()}
    response = jsonify({"error": translate(err.message), "details": details_})
    response.status_code = err.status
    return response


def _next_tasks(session, opened) -> list[dict]:
    """The steps the completion opened and who holds them (names, not usernames)."""
    ids = {t.assignee_id for t in opened if t.assignee_id}
    usernames = {u for t in opened for u in (t.candidates or [])} | {t.mi_item for t in opened if t.mi_item}
    by_id, by_username = {}, {}
    if ids or usernames:
        for uid, username, name in session.execute(select(User.id, User.username, User.name).where(
                (User.id.in_(ids)) | (User.username.in_(usernames)))).all():
            by_id[uid], by_username[username] = name, name
    return [{
        "id": t.id, "name": t.name, "element_id": t.element_id, "mi_item": t.mi_item,
        "mi_label": by_username.get(t.mi_item, t.mi_item) if t.mi_item else None,
        "assignee": by_id.get(t.assignee_id), "candidates": list(t.candidates or []),
        "candidate_names": [by_username.get(u, u) for u in t.candidates or []],
        "queue": t.queue_label or None, "due_at": t.due_at.isoformat() if t.due_at else None,
        "mine": t.assignee_id == current_user.row.id,
    } for t in opened]


def _summary(answer: dict) -> str:
    if answer["instance_status"] == "completed":
        return _("已提交，流程已办结。")
    if not answer["next_tasks"]:
        return _("已提交。其他并行环节完成后流程将继续。")
    return _("已提交，流程已转到下一步。")


@bp.post("/tasks/<int:task_id>/claim")
@login_required
def claim(task_id: int):
    with write() as session:
        task = instances.claim(session, current_user.row, task_id)
        name = task.name
    flash(_("已认领“%(name)s”，现在由您办理", name=name), "success")
    return redirect(safe_target(request.form.get("next"), url_for("tasks.show", task_id=task_id)))


@bp.post("/tasks/<int:task_id>/unclaim")
@login_required
def unclaim(task_id: int):
    with write() as session:
        task = instances.unclaim(session, current_user.row, task_id)
        name = task.name
    flash(_("已将“%(name)s”退回队列", name=name), "success")
    return redirect(safe_target(request.form.get("next"), url_for("inbox.index")))
