"""Bulk actions in the inbox: claim, transfer or urge several tasks at once.

Each task is its own command in its own transaction, so one refused task (someone else claimed it, it was
completed meanwhile) never undoes the others; the answer reports every task's outcome with the status and the
message the single operation would have given.
"""
from __future__ import annotations

from sqlalchemy.orm import Session

from .. import instances, urge
from ..db import Database
from ..errors import ServiceError, ValidationFailed
from ..models import User
from . import common, transfer

ACTIONS = ("claim", "transfer", "urge")
MAX_TASKS = 100


def run(db: Database, actor: User, action: str, task_ids, *, to: str | None = None, message: str = "") -> list[dict]:
    if action not in ACTIONS:
        raise ValidationFailed("未知的批量操作", {"action": f"应为 {', '.join(ACTIONS)} 之一"})
    if not isinstance(task_ids, list) or not task_ids or \
            not all(isinstance(i, int) and not isinstance(i, bool) for i in task_ids):
        raise ValidationFailed("请选择任务", {"tasks": "至少选择一项任务（任务编号列表）"})
    if len(task_ids) > MAX_TASKS:
        raise ValidationFailed("一次选择的任务过多", {"tasks": f"一次最多 {MAX_TASKS} 项"})
    if action == "transfer":
        with db.read() as session:
            common.active_user(session, to, "to")
    results = []
    for task_id in dict.fromkeys(task_ids):
        try:
            with db.write() as session:
                _one(session, actor, action, task_id, to, message)
            results.append({"task": task_id, "ok": True, "status": 200, "error": None, "details": None})
        except ServiceError as err:
            results.append({"task": task_id, "ok": False, "status": err.status, "error": err.message,
                            "details": err.details})
    return results


def _one(session: Session, actor: User, action: str, task_id: int, to: str | None, message: str) -> None:
    if action == "claim":
        instances.claim(session, actor, task_id)
    elif action == "transfer":
        transfer.transfer(session, actor, task_id, to, message)
    else:
        urge.urge(session, actor, task_id, message)
