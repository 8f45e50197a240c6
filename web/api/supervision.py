"""`GET /dashboard`: the supervision dashboard's figures as JSON (the same service call as the `/dashboard` page).

Permission: supervisors and admins (403 otherwise); the figures cover only the caller's supervised subtrees, and
every figure carries `filter` (the case-list filter behind it) and `link` (the `/cases` page showing those cases).
(催办 — `POST /tasks/{id}/urge` — lives with the approval operations in `operations.py`.)
"""
from __future__ import annotations

from flask import request

from service import dashboard

from ..db import read_session
from ..principal import actor
from ..views.supervision_common import with_links
from . import bp
from .parse import int_arg
from .serialize import reply


@bp.get("/dashboard")
def dashboard_figures():
    filters = dashboard.DashboardFilters(unit=request.args.get("unit", ""),
                                         definition=request.args.get("definition", ""),
                                         weeks=int_arg("weeks", 12), days=int_arg("days", 180))
    return reply(with_links(dashboard.figures(read_session(), actor(), filters)))
