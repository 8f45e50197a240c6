"""What the supervision pages share: their blueprint, the permission check, reading the case-list filters from a
query string, links from a figure's filter to the case list, and how durations read.

Permission for every supervision page: signed in, and a supervisor (of at least one unit) or an admin — others get
403. Within the pages a supervisor only ever sees their units' subtrees; a case outside them is 404.
"""
from __future__ import annotations

from functools import wraps

from flask import Blueprint, request, url_for
from flask_babel import gettext as _
from flask_login import current_user, login_required

from service import scope
from service.cases import CaseFilters

from ..db import read_session

bp = Blueprint("supervision", __name__)

# Query parameters of the case list (also the exports): name -> CaseFilters field.
FILTER_PARAMS = {"status": "status", "unit": "unit", "subtree": "subtree", "definition": "definition",
                 "overdue": "overdue", "step": "step", "assignee": "assignee", "q": "q", "from": "date_from",
                 "to": "date_to"}
LIST_PARAMS = tuple(FILTER_PARAMS) + ("sort", "order", "page", "per_page")
SORTS = ("title", "definition", "unit", "started_at", "updated_at", "status")


def supervisor_required(view):
    """Signed in (else the login page) and supervising something or admin (else 403)."""
    @wraps(view)
    @login_required
    def wrapped(*args, **kwargs):
        scope.require_supervisor(read_session(), current_user.row)
        return view(*args, **kwargs)
    return wrapped


def truthy(value: str | None) -> bool:
    return (value or "").strip().lower() in ("1", "true", "yes", "on")


def case_filters(args=None, *, paged: bool = True) -> CaseFilters:
    """The case list's filters from a query string (the service validates and clamps them)."""
    args = request.args if args is None else args
    return CaseFilters(
        status=args.get("status", ""), unit=args.get("unit", ""), subtree=truthy(args.get("subtree")),
        definition=args.get("definition", ""), overdue=truthy(args.get("overdue")), step=args.get("step", ""),
        assignee=args.get("assignee", ""), q=args.get("q", ""), date_from=args.get("from") or None,
        date_to=args.get("to") or None, sort=args.get("sort", "started_at"), order=args.get("order", "desc"),
        page=args.get("page", 1, type=int) if paged else 1, per_page=args.get("per_page", 20, type=int) or 20,
        scope="supervised",
    )


def filter_args(args=None) -> dict:
    """The filter parameters present in a query string (for export links and "clear" links)."""
    args = request.args if args is None else args
    return {k: v for k, v in args.items() if k in LIST_PARAMS and v not in ("", None)}


def list_url(endpoint: str = "supervision.cases", **changes) -> str:
    """This list's URL with some parameters changed (None removes one)."""
    args = filter_args()
    args.update(changes)
    return url_for(endpoint, **{k: v for k, v in args.items() if v not in (None, "", False)})


def cases_link(filters: dict) -> str:
    """The case list showing the cases behind a figure."""
    args = {k: ("1" if v is True else v) for k, v in filters.items() if v not in (None, "", False)}
    return url_for("supervision.cases", **args)


def with_links(value):
    """Adds `link` next to every `filter` in a figure structure (dashboard, heatmap), recursively."""
    if isinstance(value, dict):
        out = {k: with_links(v) for k, v in value.items()}
        if isinstance(value.get("filter"), dict):
            out["link"] = cases_link(value["filter"])
        return out
    if isinstance(value, list):
        return [with_links(v) for v in value]
    return value


def duration(seconds) -> str:
    """3 天 4 小时 / 5 小时 20 分钟 / 12 分钟."""
    if seconds is None:
        return "—"
    seconds = max(0, int(seconds))
    if seconds < 60:
        return _("不足 1 分钟")
    days, rest = divmod(seconds, 86400)
    hours, rest = divmod(rest, 3600)
    minutes = rest // 60
    if days:
        return _("%(d)d 天 %(h)d 小时", d=days, h=hours) if hours else _("%(d)d 天", d=days)
    if hours:
        return _("%(h)d 小时 %(m)d 分钟", h=hours, m=minutes) if minutes else _("%(h)d 小时", h=hours)
    return _("%(m)d 分钟", m=minutes)


def file_size(size: int | None) -> str:
    if size is None:
        return ""
    for unit in ("B", "KB", "MB"):
        if size < 1024 or unit == "MB":
            return f"{size:.0f} {unit}" if unit == "B" else f"{size:.1f} {unit}"
        size /= 1024
    return f"{size:.1f} MB"


bp.add_app_template_filter(duration, "elapsed")
bp.add_app_template_filter(file_size, "file_size")
