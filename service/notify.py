"""In-app notifications (the bell). E-mail delivery, when configured, reads the same rows later."""
from __future__ import annotations

from typing import Iterable

from sqlalchemy import insert
from sqlalchemy.orm import Session

from . import clock
from .models import Notification

KINDS = {
    "task.new": "新待办",
    "task.urged": "催办",
    "task.sent_back": "退回",
    "task.transferred": "转办",
    "task.delegated": "委派",
    "task.returned": "委派已办结",
    "instance.cc": "抄送",
    "task.due_soon": "即将到期",
    "task.overdue": "已超期",
    "task.escalated": "超期督办",
    "instance.error": "流程异常",
    "task.withdrawn": "撤回",
    "instance.withdrawn": "流程撤回",
    "task.signer_removed": "减签",
    "comment.added": "留言",
    "proxy.set": "代理",
}


_INSERT = insert(Notification)


def notify(session: Session, user_ids: Iterable[int], kind: str, message: str, *,
           instance_id: int | None = None, task_id: int | None = None) -> None:
    """One row per person (duplicates dropped), written at once with a multi-row insert."""
    notify_each(session, kind, [(user_ids, message, task_id)], instance_id=instance_id)


def notify_each(session: Session, kind: str, notices: list[tuple[Iterable[int], str, int | None]], *,
                instance_id: int | None = None) -> None:
    """Several notices of one kind — (people, message, task id) each — in one multi-row insert."""
    now = clock.now()
    rows = [{"user_id": user_id, "kind": kind, "message": message[:2000], "instance_id": instance_id,
             "task_id": task_id, "created_at": now}
            for user_ids, message, task_id in notices for user_id in dict.fromkeys(user_ids)]
    if rows:
        session.connection().execute(_INSERT, rows)
