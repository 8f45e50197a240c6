"""发起: the processes the user may start, for which units, with the start form when the process has one.

Permission: signed in; the list shows only what the user may start (service.starting), and starting re-checks
the unit against the definition's starters (403 otherwise).
"""
from __future__ import annotations

import json

from flask import Blueprint, flash, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_login import current_user, login_required

from service import definitions, instances, starting
from service.errors import ValidationFailed

from ..db import read_session, write
from .common import translate

bp = Blueprint("start", __name__)


@bp.get("/start")
@login_required
def index():
    return _render(request.args.get("key", ""))


@bp.post("/start/<key>")
@login_required
def submit(key: str):
    unit = request.form.get("unit", "")
    title = (request.form.get("title") or "").strip()
    raw = request.form.get("form_data")
    form_data = None
    errors: dict = {}
    if raw:
        try:
            form_data = json.loads(raw)
        except ValueError:
            errors[""] = _("提交的数据格式不正确")
        if not isinstance(form_data, dict):
            form_data, errors[""] = None, _("提交的数据格式不正确")
    if not errors:
        try:
            with write() as session:
                definition_form = _has_start_form(session, key)
                if definition_form and form_data is None:
                    form_data = {}  # a start form is always validated, even when the browser sent nothing
                result = instances.start(session, current_user.row, key, unit, title=title or None,
                                         form_data=form_data)
                instance_id, instance_title = result.instance.id, result.instance.title
                mine = [t.id for t in result.opened if t.assignee_id == current_user.row.id]
        except ValidationFailed as err:
            errors = {k: translate(v) if isinstance(v, str) else v for k, v in (err.details or {}).items()} \
                if isinstance(err.details, dict) else {}
            errors.setdefault("", translate(err.message))
        else:
            flash(_("已发起“%(title)s”", title=instance_title), "success")
            if mine:
                return redirect(url_for("tasks.show", task_id=mine[0]))
            return redirect(url_for("instances.show", instance_id=instance_id))
    return _render(key, errors=errors, unit=unit, title=title, form_data=form_data or {}), 422


def _has_start_form(session, key: str) -> bool:
    definition = definitions.latest(session, key)
    return definition is not None and instances.start_form(session, definition) is not None


def _render(key: str, *, errors: dict | None = None, unit: str = "", title: str = "", form_data: dict | None = None):
    session = read_session()
    options = starting.startable(session, current_user.row)
    chosen = next((o for o in options if o.definition.key == key), None)
    if chosen is None and len(options) == 1:
        chosen = options[0]
    start_form = instances.start_form(session, chosen.definition) if chosen else None
    return render_template("start.html", options=options, chosen=chosen, start_form=start_form,
                           errors=errors or {}, unit=unit, title=title, form_data=form_data or {})
