"""Supervision (督办): the case list and one case as its supervisor sees it, with 催办 on its open tasks.

| route | permission |
|---|---|
| `GET /cases` | supervisors and admins (403 otherwise); lists only the supervised units' subtrees |
| `GET /cases/<id>` | as above, and the case's unit in the user's subtrees (404 otherwise) |
| `POST /cases/<id>/tasks/<task_id>/urge` | as above, and the task belongs to that case (404); a closed task or one's own task comes back with the reason |
| `GET /cases/export.csv`, `/cases/export.xlsx`, `/cases/<id>/record`, `/cases/<id>/record.docx` | see supervision_exports |
| `GET /dashboard`, `/problems`, `POST /problems/<id>/retry`, `GET /processes/<key>/heatmap` | see supervision_reports |

Every POST needs the CSRF token.
"""
from __future__ import annotations

from flask import Flask, flash, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_login import current_user
from werkzeug.routing import BuildError

from service import case_view, cases, problems, scope, urge as urge_service
from service.errors import Conflict, NotFound, ValidationFailed
from service.inbox import Page
from service.models import HumanTask
from service.models.instances import INSTANCE_STATUSES

from ..db import read_session, write
from .common import PER_PAGE_CHOICES, name_items, timeline_entries, translate
from .supervision_common import SORTS, bp, case_filters, filter_args, list_url, supervisor_required


def register(app: Flask) -> None:
    from . import supervision_exports, supervision_reports  # noqa: F401  (their routes join the blueprint)
    app.register_blueprint(bp)


@bp.get("/cases", endpoint="cases")
@supervisor_required
def cases_list():
    session = read_session()
    filters = case_filters()
    error = None
    try:
        page = cases.visible_instances(session, current_user.row, filters)
    except ValidationFailed as err:
        error = translate(err.message) + "：" + "；".join(translate(str(v)) for v in (err.details or {}).values())
        page = Page([], 0, 1, filters.per_page)
    name_items(*(item.get("open_tasks") for item in page.items))
    return render_template(
        "cases.html", page=page, filters=filters, error=error, statuses=INSTANCE_STATUSES,
        units=cases.unit_choices(session, current_user.row), processes=cases.step_choices(session),
        people=cases.people_choices(session, current_user.row), sorts=SORTS, per_page_choices=PER_PAGE_CHOICES,
        list_url=list_url, export_args=filter_args(), problem_count=problems.problem_count(session, current_user.row),
    )


@bp.get("/cases/<int:instance_id>")
@supervisor_required
def case(instance_id: int):
    session = read_session()
    view = case_view.case_view(session, current_user.row, instance_id)
    name_items(view["open_tasks"], view["cancelled_tasks"], view.get("opinions"))
    return render_template("cases_show.html", case=view, timeline=timeline_with_data(view),
                           attachment_url=attachment_url, problem_count=problems.problem_count(session, current_user.row))


def timeline_with_data(view: dict) -> list[dict]:
    """The audit chain as sentences, each with its submitted data, sequence number and hash."""
    entries = timeline_entries(view["timeline"])  # every kind is worded there (web/views/common.py)
    for entry, event in zip(entries, view["timeline"]):
        entry.update(seq=event["seq"], hash=event["hash"], fields=event.get("fields") or [])
    return entries


@bp.post("/cases/<int:instance_id>/tasks/<int:task_id>/urge")
@supervisor_required
def urge(instance_id: int, task_id: int):
    session = read_session()
    scope.supervised_instance(session, current_user.row, instance_id)
    task = session.get(HumanTask, task_id)
    if task is None or task.instance_id != instance_id:
        raise NotFound("任务不存在或无权查看")
    try:
        with write() as session:
            text = urge_service.urge(session, current_user.row, task_id, request.form.get("message", "")).message
    except (Conflict, ValidationFailed) as err:
        flash(translate(err.message), "error")
    else:
        flash(_("已催办“%(task)s”：%(message)s", task=task.name, message=text), "success")
    return redirect(url_for("supervision.case", instance_id=instance_id) + "#open-tasks")


def attachment_url(attachment_id: int) -> str | None:
    """Attachments download through the approval operations' route (same rule: whoever sees the case)."""
    try:
        return url_for("task_actions.download_attachment", attachment_id=attachment_id)
    except BuildError:
        return None
