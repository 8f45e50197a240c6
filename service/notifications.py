"""Reading and dismissing in-app notifications (the bell); `service.notify` writes them.

Every query is scoped to the user and served by the (user_id, read_at, created_at) index, so the unread count
that every page shows costs one index range scan.
"""
from __future__ import annotations

from typing import Iterable, Literal

from sqlalchemy import func, select, update
from sqlalchemy.orm import Session

from . import clock
from .models import Notification, User
from .notify import KINDS

MAX_RECENT = 200


def unread_count(session: Session, user: User) -> int:
    return session.scalar(select(func.count()).select_from(Notification).where(
        Notification.user_id == user.id, Notification.read_at.is_(None))) or 0


def recent(session: Session, user: User, limit: int = 50, *, unread_only: bool = False) -> list[dict]:
    """The user's newest notifications, newest first, as plain dicts."""
    limit = max(1, min(MAX_RECENT, int(limit or 50)))
    stmt = select(Notification).where(Notification.user_id == user.id)
    if unread_only:
        stmt = stmt.where(Notification.read_at.is_(None))
    rows = session.scalars(stmt.order_by(Notification.created_at.desc(), Notification.id.desc()).limit(limit)).all()
    return [{
        "id": n.id, "kind": n.kind, "kind_label": KINDS.get(n.kind, n.kind), "message": n.message,
        "instance_id": n.instance_id, "task_id": n.task_id, "created_at": n.created_at, "read_at": n.read_at,
        "unread": n.read_at is None,
    } for n in rows]


def mark_read(session: Session, user: User, ids: Iterable[int] | Literal["all"]) -> int:
    """Mark the given notifications (or all of them) read; ids of other people's notifications are ignored.
    Returns how many changed."""
    stmt = update(Notification).where(Notification.user_id == user.id, Notification.read_at.is_(None))
    if ids != "all":
        wanted = sorted({int(i) for i in ids})[:MAX_RECENT]
        if not wanted:
            return 0
        stmt = stmt.where(Notification.id.in_(wanted))
    result = session.execute(stmt.values(read_at=clock.now()).execution_options(synchronize_session=False))
    return result.rowcount or 0
