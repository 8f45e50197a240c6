"""Supervision reports: the dashboard, a process's heatmap, and the problems list with its retry.

| route | permission |
|---|---|
| `GET /dashboard` | supervisors and admins (403 otherwise); figures cover only the supervised subtrees |
| `GET /processes/<key>/heatmap`, `GET /processes/<key>/heatmap.bpmn` | supervisors and admins; counts cover only the supervised subtrees |
| `GET /problems` | supervisors and admins; problems in the supervised subtrees |
| `POST /problems/<id>/retry` | as above, and the problem's case in the user's subtrees (404 otherwise) |
"""
from __future__ import annotations

import re

from flask import Response, flash, redirect, render_template, request, url_for
from flask_login import current_user

from service import cases, dashboard, heatmap as heatmap_service, problems
from service.errors import Conflict

from ..db import read_session, write
from .common import translate
from .supervision_common import bp, supervisor_required, with_links


def dashboard_filters(args=None) -> dashboard.DashboardFilters:
    args = request.args if args is None else args
    return dashboard.DashboardFilters(unit=args.get("unit", ""), definition=args.get("definition", ""),
                                      weeks=args.get("weeks", 12, type=int) or 12,
                                      days=args.get("days", 180, type=int) or 180)


@bp.get("/dashboard", endpoint="dashboard")
@supervisor_required
def dashboard_page():
    session = read_session()
    figures = with_links(dashboard.figures(session, current_user.row, dashboard_filters()))
    return render_template("dashboard.html", figures=figures, units=cases.unit_choices(session, current_user.row),
                           processes=cases.step_choices(session),
                           problem_count=problems.problem_count(session, current_user.row))


@bp.get("/processes/<key>/heatmap")
@supervisor_required
def heatmap(key: str):
    session = read_session()
    version = request.args.get("version", type=int)
    days = request.args.get("days", 180, type=int) or 180
    figures = with_links(heatmap_service.heatmap(session, current_user.row, key, version, days))
    return render_template("heatmap.html", heat=figures, processes=cases.step_choices(session),
                           problem_count=problems.problem_count(session, current_user.row))


@bp.get("/processes/<key>/heatmap.bpmn")
@supervisor_required
def heatmap_diagram(key: str):
    definition_key, xml = heatmap_service.diagram_xml(read_session(), current_user.row, key,
                                                      request.args.get("version", type=int))
    response = Response(xml, mimetype="application/xml")
    response.headers["Content-Security-Policy"] = "default-src 'none'; sandbox"  # data for the viewer only
    filename = re.sub(r"[^A-Za-z0-9_.-]", "_", definition_key) or "diagram"
    response.headers["Content-Disposition"] = f'inline; filename="{filename}.bpmn"'
    return response


@bp.get("/problems", endpoint="problems")
@supervisor_required
def problems_page():
    session = read_session()
    page = problems.open_problems(session, current_user.row, request.args.get("page", 1, type=int))
    return render_template("problems.html", page=page, problem_count=page.total,
                           list_url=lambda page=None, **_ignored: url_for("supervision.problems", page=page))


@bp.post("/problems/<int:problem_id>/retry")
@supervisor_required
def retry_problem(problem_id: int):
    try:
        with write() as session:
            outcome = problems.retry(session, current_user.row, problem_id)
    except Conflict as err:
        flash(translate(err.message), "error")
    else:
        flash(translate(outcome["message"]), "success" if outcome["resolved"] else "error")
    return redirect(url_for("supervision.problems"))

