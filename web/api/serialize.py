"""The one way API responses become JSON: datetimes as ISO 8601 in UTC with their offset, tuples and sets as
lists, everything else as Flask's JSON provider writes it. Every API view answers through `reply`."""
from __future__ import annotations

from datetime import date, datetime
from typing import Any

from flask import Response, jsonify
from sqlalchemy import select
from sqlalchemy.orm import Session

from service import clock, details
from service.models import HumanTask, User


def jsonable(value: Any) -> Any:
    if isinstance(value, datetime):
        return clock.as_utc(value).isoformat()
    if isinstance(value, date):
        return value.isoformat()
    if isinstance(value, dict):
        return {str(k): jsonable(v) for k, v in value.items()}
    if isinstance(value, (list, tuple, set, frozenset)):
        return [jsonable(v) for v in value]
    return value


def reply(body: Any, status: int = 200, headers: dict | None = None) -> Response:
    response = jsonify(jsonable(body))
    response.status_code = status
    if headers:
        response.headers.update(headers)
    return response


def page(items: list, total: int | None = None, page_number: int = 1, per_page: int | None = None) -> dict:
    """The list shape every list answers with."""
    body = {"items": items, "total": len(items) if total is None else total, "page": page_number}
    if per_page is not None:
        body["per_page"] = per_page
    return body


def task_rows(session: Session, rows: list[HumanTask], known: dict[int, str] | None = None) -> list[dict]:
    """Task rows as the instance page shows them (who holds each, when it is due). `known` holds names the
    command already looked up; only the others are read."""
    names = dict(known or {})
    ids = {i for t in rows for i in (t.assignee_id, t.completed_by_id, t.delegate_id, t.original_assignee_id)
           if i and i not in names}
    if ids:
        names.update(session.execute(select(User.id, User.name).where(User.id.in_(ids))).all())
    now = clock.now()
    return [details.task_row(task, names, now) for task in rows]
