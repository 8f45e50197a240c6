"""The bell's page: recent notifications, marked read one by one or all at once.

Permission: signed in; only the user's own notifications are listed or changed.
"""
from __future__ import annotations

from flask import Blueprint, redirect, render_template, request, url_for
from flask_login import current_user, login_required

from service import notifications

from ..db import read_session, write
from .common import safe_target

bp = Blueprint("notifications", __name__)
SHOWN = 100


@bp.get("/notifications")
@login_required
def index():
    unread_only = request.args.get("unread") == "1"
    items = notifications.recent(read_session(), current_user.row, SHOWN, unread_only=unread_only)
    return render_template("notifications.html", items=items, unread_only=unread_only)


@bp.post("/notifications/read")
@login_required
def mark_read():
    if request.form.get("all"):
        ids = "all"
    else:
        ids = [int(i) for i in request.form.getlist("ids") if i.isdigit()]
    with write() as session:
        notifications.mark_read(session, current_user.row, ids)
    return redirect(safe_target(request.form.get("next"), url_for("notifications.index")))
