"""The inbox: 待办 / 已办 / 我发起的 / 抄送我的, each a server-side sorted, filtered, paginated table.

Permission: any signed-in user; every view lists only the user's own rows (the service scopes each query).
"""
from __future__ import annotations

from flask import Blueprint, abort, render_template, request, url_for
from flask_login import current_user, login_required

from service import definitions, inbox as inbox_service

from ..db import read_session
from .common import PER_PAGE_CHOICES, list_query, name_items

bp = Blueprint("inbox", __name__)

VIEWS = inbox_service.VIEWS
# Sortable columns per view (query parameter `sort`), in table order.
TASK_COLUMNS = ("name", "definition", "title", "unit", "created_at", "due_at")
DONE_COLUMNS = ("name", "definition", "title", "unit", "created_at", "completed_at")
INSTANCE_COLUMNS = ("title", "definition", "unit", "started_at", "status")
DEFAULT_SORT = {"todo": "created_at", "done": "completed_at", "started": "started_at", "cc": "started_at"}


@bp.get("/")
@login_required
def index():
    return _render("todo")


@bp.get("/inbox/<view>")
@login_required
def view(view: str):
    if view not in VIEWS:
        abort(404)
    return _render(view)


def _render(name: str):
    query = list_query()
    session = read_session()
    page = inbox_service.view(session, current_user.row, name, query)
    name_items(page.items)
    counts = inbox_service.counts(session, current_user.row)
    processes = [(d.key, d.name) for d in definitions.latest_definitions(session)]
    columns = {"todo": TASK_COLUMNS, "done": DONE_COLUMNS}.get(name, INSTANCE_COLUMNS)
    sort = query.sort if query.sort in columns else DEFAULT_SORT[name]
    return render_template("inbox.html", view=name, page=page, counts=counts, query=query, sort=sort,
                           processes=processes, per_page_choices=PER_PAGE_CHOICES, list_url=_list_url(name))


def _list_url(name: str):
    """Builds this list's URL with some parameters changed (for headers, pages and the filter form)."""
    endpoint = "inbox.index" if request.endpoint == "inbox.index" else "inbox.view"

    def build(**changes) -> str:
        args = {k: v for k, v in request.args.items() if k in ("page", "per_page", "sort", "order", "q",
                                                               "definition", "overdue") and v}
        args.update({k: v for k, v in changes.items()})
        args = {k: v for k, v in args.items() if v not in (None, "", False)}
        if endpoint == "inbox.view":
            return url_for(endpoint, view=name, **args)
        return url_for(endpoint, **args)
    return build
