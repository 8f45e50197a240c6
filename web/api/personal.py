"""The caller's own things: notifications (the bell) and the proxy while away (代理). Any authenticated caller,
only ever their own rows.

| route | permission |
|---|---|
| `GET /notifications`, `POST /notifications/read` | own notifications |
| `GET /me/proxy`, `PUT /me/proxy`, `DELETE /me/proxy` | own proxy |
"""
from __future__ import annotations

from flask import request

from service import notifications
from service.errors import ValidationFailed
from service.operations import proxies
from service.models import User

from ..db import read_session, write
from ..principal import actor
from . import bp
from .parse import fields, flag, int_arg, json_body
from .serialize import reply


@bp.get("/notifications")
def list_notifications():
    session = read_session()
    limit = int_arg("limit", 50)
    if not 1 <= limit <= notifications.MAX_RECENT:
        raise ValidationFailed("查询参数有误", {"limit": f"应在 1 到 {notifications.MAX_RECENT} 之间"})
    items = notifications.recent(session, actor(), limit, unread_only=flag("unread"))
    return reply({"items": items, "total": len(items), "page": 1,
                  "unread": notifications.unread_count(session, actor())})


@bp.post("/notifications/read")
def read_notifications():
    body = fields(json_body(), optional={"ids": list, "all": bool})
    if body["all"]:
        ids = "all"
    elif body["ids"] is not None and all(isinstance(i, int) and not isinstance(i, bool) for i in body["ids"]):
        ids = body["ids"]
    else:
        raise ValidationFailed("请指明要标为已读的通知", {"ids": "通知编号列表，或 all: true"})
    with write() as session:
        changed = notifications.mark_read(session, actor(), ids)
        unread = notifications.unread_count(session, actor())
    return reply({"changed": changed, "unread": unread})


@bp.get("/me/proxy")
def get_proxy():
    return reply({"proxy": proxies.current(read_session(), actor())})


@bp.put("/me/proxy")
def put_proxy():
    body = fields(json_body(), required={"deputy": str, "from": str, "to": str})
    with write() as session:
        row = proxies.set_proxy(session, actor(), body["deputy"], body["from"], body["to"])
        deputy = session.get(User, row.deputy_id)
        answer = proxies.as_dict(row, deputy.username, deputy.name)
    return reply(answer)


@bp.delete("/me/proxy")
def delete_proxy():
    if request.get_data(cache=True).strip():
        json_body()
    with write() as session:
        revoked = proxies.revoke(session, actor())
    return reply({"revoked": revoked})
