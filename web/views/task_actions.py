"""The approval operations on the task page and the inbox (issue 7): plain form posts, one service call each.

Every form carries the CSRF token. A refused operation comes back to the page it came from with the service's
message (a 404 — the case is not the user's to see — shows the error page instead). The partials
`_task_actions.html` (included by task.html) and `_inbox_bulk.html` (included by inbox.html) read what the user
may do from `service.operations.available` through the `task_operations()` template global.

| route | permission (checked by the service) |
|---|---|
| `POST /tasks/<id>/transfer`, `/delegate`, `/recall-delegation`, `/add-signer`, `/remove-signer`, `/send-back` | the holder (see service.operations) |
| `POST /tasks/<id>/withdraw` | who completed the task |
| `POST /tasks/<id>/urge`, `/comments` | sees the case (urge: not the holder) |
| `POST /tasks/<id>/cc` | holder, delegate, initiator, supervisor |
| `POST /tasks/<id>/attachments` | works on the open task, or the initiator |
| `GET /attachments/<id>` | sees the case, else 404 |
| `POST /instances/<id>/withdraw` | the initiator, while nobody else acted |
| `POST /instances/<id>/comments` | sees the case |
| `POST /inbox/bulk` | per task, as the single operation |
| `GET /me/proxy`, `POST /me/proxy`, `POST /me/proxy/revoke` | signed in; own proxy only |
"""
from __future__ import annotations

import re

from flask import Blueprint, Flask, flash, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_login import current_user, login_required
from sqlalchemy import select

from service import urge
from service.errors import NotFound, ServiceError
from service.models import User
from service.operations import (attachments, available, bulk, cc, comments, delegate, proxies, send_back, signers,
                                transfer, withdraw)

from ..api.discussion import attachment_response
from ..db import close_read, read_session, service, write
from .common import N_, safe_target, translate, user_names

bp = Blueprint("task_actions", __name__)
SEPARATORS = re.compile(r"[\s,，、;；]+")
# The notification kinds these operations add (service.notify.KINDS), for the message catalogue.
_CATALOGUE = [N_("撤回"), N_("流程撤回"), N_("减签"), N_("留言"), N_("代理")]


def install(app: Flask) -> None:
    app.register_blueprint(bp)
    app.jinja_env.globals.update(task_operations=task_operations, active_people=active_people)


# -- what the partials read ----------------------------------------------------------------------------------------

def task_operations(task_id: int) -> dict | None:
    """What the signed-in user may do on the task, or None when that cannot be told (the page still renders)."""
    try:
        return available.for_task(read_session(), current_user.row, task_id)
    except ServiceError:
        return None


def active_people() -> list[tuple[str, str]]:
    """(username, name) of every active person, for the pickers (a datalist: type a name or a username)."""
    return list(read_session().execute(select(User.username, User.name).where(User.is_active.is_(True))
                                       .order_by(User.name)).all())


# -- running one operation from a form -------------------------------------------------------------------------------

def _task_page(task_id: int) -> str:
    return url_for("tasks.show", task_id=task_id)


def _refused(err: ServiceError, back: str):
    if isinstance(err, NotFound):
        raise err
    message = translate(err.message)
    if isinstance(err.details, dict):
        message += "：" + "；".join(translate(str(v)) for v in err.details.values() if v)
    flash(message, "error")
    return redirect(back)


def _usernames(raw: str) -> list[str]:
    return [part for part in SEPARATORS.split(raw or "") if part]


def _form(name: str) -> str:
    return (request.form.get(name) or "").strip()


@bp.post("/tasks/<int:task_id>/transfer")
@login_required
def transfer_task(task_id: int):
    try:
        with write() as session:
            task = transfer.transfer(session, current_user.row, task_id, _form("to"), _form("reason"))
            name, to = task.name, session.get(User, task.assignee_id).name
    except ServiceError as err:
        return _refused(err, _task_page(task_id))
    flash(_("已将“%(task)s”转办给 %(who)s", task=name, who=to), "success")
    return redirect(url_for("inbox.index"))


@bp.post("/tasks/<int:task_id>/delegate")
@login_required
def delegate_task(task_id: int):
    try:
        with write() as session:
            task = delegate.delegate(session, current_user.row, task_id, _form("to"), _form("note"))
            name, to = task.name, session.get(User, task.delegate_id).name
    except ServiceError as err:
        return _refused(err, _task_page(task_id))
    flash(_("已将“%(task)s”委派给 %(who)s，对方办理后将交回给您", task=name, who=to), "success")
    return redirect(_task_page(task_id))


@bp.post("/tasks/<int:task_id>/recall-delegation")
@login_required
def recall_delegation(task_id: int):
    try:
        with write() as session:
            delegate.recall(session, current_user.row, task_id)
    except ServiceError as err:
        return _refused(err, _task_page(task_id))
    flash(_("已收回委派，现在由您办理"), "success")
    return redirect(_task_page(task_id))


@bp.post("/tasks/<int:task_id>/add-signer")
@login_required
def add_signer(task_id: int):
    try:
        with write() as session:
            signers.add_signer(session, current_user.row, task_id, _form("user"))
    except ServiceError as err:
        return _refused(err, _task_page(task_id))
    flash(_("已加签：%(who)s", who=user_names([_form("user")]).get(_form("user"), _form("user"))), "success")
    return redirect(_task_page(task_id))


@bp.post("/tasks/<int:task_id>/remove-signer")
@login_required
def remove_signer(task_id: int):
    try:
        with write() as session:
            signers.remove_signer(session, current_user.row, task_id, request.form.get("task", type=int) or 0)
    except ServiceError as err:
        return _refused(err, _task_page(task_id))
    flash(_("已减签"), "success")
    return redirect(_task_page(task_id))


@bp.post("/tasks/<int:task_id>/send-back")
@login_required
def send_back_task(task_id: int):
    try:
        with write() as session:
            result = send_back.send_back(session, current_user.row, task_id, _form("to_element") or None,
                                         _form("reason"))
            names = "、".join(dict.fromkeys(t.name for t in result.opened))
    except ServiceError as err:
        return _refused(err, _task_page(task_id))
    flash(_("已退回到“%(step)s”", step=names), "success")
    return redirect(url_for("inbox.index"))


@bp.post("/tasks/<int:task_id>/withdraw")
@login_required
def withdraw_task(task_id: int):
    try:
        with write() as session:
            result = withdraw.withdraw_task(session, current_user.row, task_id)
            reopened = next((t.id for t in result.opened if t.assignee_id == current_user.row.id), None)
    except ServiceError as err:
        return _refused(err, _task_page(task_id))
    flash(_("已撤回，您可以修改后重新提交"), "success")
    return redirect(_task_page(reopened or task_id))


@bp.post("/tasks/<int:task_id>/urge")
@login_required
def urge_task(task_id: int):
    try:
        with write() as session:
            urge.urge(session, current_user.row, task_id, _form("message"))
    except ServiceError as err:
        return _refused(err, _task_page(task_id))
    flash(_("已催办"), "success")
    return redirect(_task_page(task_id))


@bp.post("/tasks/<int:task_id>/cc")
@login_required
def copy_task(task_id: int):
    try:
        with write() as session:
            added = cc.copy_to(session, current_user.row, task_id, _usernames(_form("users")), _form("note"))
            names = "、".join(u.name for u in added)
    except ServiceError as err:
        return _refused(err, _task_page(task_id))
    flash(_("已抄送：%(who)s", who=names) if names else _("所选人员都已抄送过"), "success")
    return redirect(_task_page(task_id))


@bp.post("/tasks/<int:task_id>/comments")
@login_required
def comment_on_task(task_id: int):
    try:
        with write() as session:
            comments.add_to_task(session, current_user.row, task_id, _form("text"))
    except ServiceError as err:
        return _refused(err, _task_page(task_id) + "#task-discussion")
    flash(_("留言已发布"), "success")
    return redirect(_task_page(task_id) + "#task-discussion")


@bp.post("/instances/<int:instance_id>/comments")
@login_required
def comment_on_instance(instance_id: int):
    back = safe_target(request.form.get("next"), url_for("instances.show", instance_id=instance_id))
    try:
        with write() as session:
            comments.add_to_instance(session, current_user.row, instance_id, _form("text"))
    except ServiceError as err:
        return _refused(err, back)
    flash(_("留言已发布"), "success")
    return redirect(back)


@bp.post("/tasks/<int:task_id>/attachments")
@login_required
def upload_attachment(task_id: int):
    upload = request.files.get("file")
    limit = service().settings.attachment_max_bytes
    try:
        with write() as session:
            row = attachments.add(session, current_user.row, task_id, upload.filename if upload else None,
                                  upload.read(limit + 1) if upload else b"", max_bytes=limit)
            name = row.filename
    except ServiceError as err:
        return _refused(err, _task_page(task_id) + "#task-discussion")
    flash(_("已上传附件“%(name)s”", name=name), "success")
    return redirect(_task_page(task_id) + "#task-discussion")


@bp.get("/attachments/<int:attachment_id>")
@login_required
def download_attachment(attachment_id: int):
    return attachment_response(attachments.get(read_session(), current_user.row, attachment_id))


@bp.post("/instances/<int:instance_id>/withdraw")
@login_required
def withdraw_instance(instance_id: int):
    back = safe_target(request.form.get("next"), url_for("instances.show", instance_id=instance_id))
    try:
        with write() as session:
            withdraw.withdraw_instance(session, current_user.row, instance_id, _form("note"))
    except ServiceError as err:
        return _refused(err, back)
    flash(_("流程已撤回"), "success")
    return redirect(url_for("instances.show", instance_id=instance_id))


@bp.post("/inbox/bulk")
@login_required
def bulk_tasks():
    back = safe_target(request.form.get("next"), url_for("inbox.index"))
    ids = [int(i) for i in request.form.getlist("tasks") if i.isdigit()]
    close_read()
    try:
        results = bulk.run(service().db, current_user.row, _form("action"), ids, to=_form("to") or None,
                           message=_form("message"))
    except ServiceError as err:
        return _refused(err, back)
    done = [r for r in results if r["ok"]]
    failed = [r for r in results if not r["ok"]]
    if done:
        flash(_("批量操作完成 %(n)d 项", n=len(done)), "success")
    for result in failed:
        flash(_("任务 %(id)d 未能办理：%(why)s", id=result["task"], why=translate(result["error"])), "error")
    return redirect(back)


# -- 代理 -------------------------------------------------------------------------------------------------------------

@bp.get("/me/proxy")
@login_required
def proxy_page():
    return render_template("proxy.html", proxy=proxies.current(read_session(), current_user.row))


@bp.post("/me/proxy")
@login_required
def set_proxy():
    try:
        with write() as session:
            proxies.set_proxy(session, current_user.row, _form("deputy"), _form("from"), _form("to"))
    except ServiceError as err:
        return _refused(err, url_for("task_actions.proxy_page"))
    flash(_("已设置代理：期间新到的任务将送达代理人"), "success")
    return redirect(url_for("task_actions.proxy_page"))


@bp.post("/me/proxy/revoke")
@login_required
def revoke_proxy():
    with write() as session:
        proxies.revoke(session, current_user.row)
    flash(_("已取消代理"), "success")
    return redirect(url_for("task_actions.proxy_page"))


# -- the timeline's sentences for these operations -----------------------------------------------------------------

def sentence(kind: str, actor: str, payload: dict, names: dict[str, str]) -> str | None:
    """A readable line for an operation's audit event (None: not one of ours)."""
    people = [payload.get(k) for k in ("to", "from", "user", "to_user") if isinstance(payload.get(k), str)]
    people += [u for u in payload.get("users") or [] if isinstance(u, str)]
    missing = [p for p in people if p not in names]
    if missing:
        names = {**names, **user_names(missing)}

    def who(key):
        value = payload.get(key)
        return names.get(value, value) if value else ""

    task = f"“{payload.get('name')}”" if payload.get("name") else ""
    if kind == "task.transferred":
        return _("%(actor)s 将%(task)s转办给 %(to)s", actor=actor, task=task, to=who("to"))
    if kind == "task.delegated":
        return _("%(actor)s 将%(task)s委派给 %(to)s", actor=actor, task=task, to=who("to"))
    if kind == "task.delegation_recalled":
        return _("%(actor)s 收回了%(task)s的委派", actor=actor, task=task)
    if kind == "task.signer_added":
        return _("%(actor)s 为%(task)s加签：%(who)s", actor=actor, task=task, who=who("user"))
    if kind == "task.signer_removed":
        return _("%(actor)s 为%(task)s减签：%(who)s", actor=actor, task=task, who=who("user"))
    if kind == "task.sent_back":
        return _("%(actor)s 将%(task)s退回到“%(step)s”，原因：%(reason)s", actor=actor, task=task,
                 step=payload.get("to_name") or "", reason=payload.get("reason") or "")
    if kind == "task.withdrawn":
        return _("%(actor)s 撤回了%(task)s", actor=actor, task=task)
    if kind == "instance.withdrawn":
        return _("%(actor)s 撤回了流程", actor=actor)
    if kind == "task.urged":
        return _("%(actor)s 催办%(task)s：%(message)s", actor=actor, task=task, message=payload.get("message") or "")
    if kind == "instance.cc":
        return _("%(actor)s 抄送给 %(who)s", actor=actor,
                 who="、".join(names.get(u, u) for u in payload.get("users") or []))
    if kind == "comment.added":
        return _("%(actor)s 留言：%(text)s", actor=actor, text=payload.get("text") or "")
    if kind == "attachment.added":
        return _("%(actor)s 上传了附件“%(file)s”", actor=actor, file=payload.get("filename") or "")
    return None
