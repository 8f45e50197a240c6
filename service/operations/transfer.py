"""转办: the holder hands an open task to another person, who then owns it as if it had been assigned to them.

Allowed for the holder (the assignee, or a queue member of an unclaimed task — transferring takes it out of the
queue) and for admins (a person has left). Not while the task is delegated: the delegate must hand it back first.
`original_assignee_id` keeps whom the task was first meant for, however many times it moves.
"""
from __future__ import annotations

from sqlalchemy import delete
from sqlalchemy.orm import Session

from .. import audit, clock, instances, notify
from ..errors import ValidationFailed
from ..models import HumanTask, TaskCandidate, User
from . import common


def transfer(session: Session, actor: User, task_id: int, to: str, reason: str = "") -> HumanTask:
    task, instance = instances.locked_task(session, actor, task_id)
    common.require_holder(session, actor, task, allow_admin=True)
    target = common.active_user(session, to, "to")
    reason = common.reason_text(reason)
    if target.id == task.assignee_id:
        raise ValidationFailed("该任务已由此人办理", {"to": "请选择其他人"})
    previous = session.get(User, task.assignee_id) if task.assignee_id else None
    now = clock.now()
    if task.original_assignee_id is None and previous is not None:
        task.original_assignee_id = previous.id
    task.assignee_id = target.id
    session.execute(delete(TaskCandidate).where(TaskCandidate.task_id == task.id))
    common.bump(instance, now)
    audit.append(session, "task.transferred", actor=actor, instance_id=instance.id, task_id=task.id,
                 element_id=task.element_id,
                 payload={"name": task.name, "from": previous.username if previous else None,
                          "to": target.username, "reason": reason})
    notify.notify(session, [target.id], "task.transferred",
                  f"{actor.name} 将“{task.name}”转办给您（{instance.title}）" + (f"：{reason}" if reason else ""),
                  instance_id=instance.id, task_id=task.id)
    return task
