"""催办: press the holder of an open task to act. Anyone who may view the case and is not the holder may urge —
in practice the initiator, earlier participants, and supervisors of the unit. The holder sees it in the inbox
(a notification and the task's urge count) and it goes into the audit chain."""
from __future__ import annotations

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from . import access, audit, clock, notify
from .errors import Conflict, ValidationFailed
from .locking import lock_instance
from .models import TaskCandidate, Urge, User

MAX_MESSAGE = 500


def urge(session: Session, actor: User, task_id: int, message: str = "") -> Urge:
    task, instance = access.visible_task(session, actor, task_id)
    lock_instance(session, instance.id)
    session.refresh(task)
    if task.state != "open":
        raise Conflict("该任务已办结，无需催办")
    message = (message or "").strip()
    if len(message) > MAX_MESSAGE:
        raise ValidationFailed("催办说明过长", {"message": f"不能超过 {MAX_MESSAGE} 字"})
    holders = [task.delegate_id or task.assignee_id] if task.assignee_id else list(session.scalars(
        select(TaskCandidate.user_id).where(TaskCandidate.task_id == task.id)).all())
    if actor.id in holders:
        raise Conflict("不能催办自己的任务")
    row = Urge(task_id=task.id, instance_id=instance.id, by_id=actor.id, message=message or "请尽快办理",
               created_at=clock.now())
    session.add(row)
    notify.notify(session, holders, "task.urged", f"{actor.name} 催办：{task.name}（{instance.title}）— {row.message}",
                  instance_id=instance.id, task_id=task.id)
    audit.append(session, "task.urged", actor=actor, instance_id=instance.id, task_id=task.id,
                 element_id=task.element_id, payload={"name": task.name, "message": row.message})
    return row


def urge_counts(session: Session, task_ids: list[int]) -> dict[int, int]:
    if not task_ids:
        return {}
    return dict(session.execute(select(Urge.task_id, func.count()).where(Urge.task_id.in_(task_ids))
                                .group_by(Urge.task_id)).all())
