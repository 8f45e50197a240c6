"""委派: the holder asks another person to work on a task without giving it away.

While delegated, the task is in the delegate's 待办 and only the delegate may complete it; that completion does not
run the step — `service.instances.complete` keeps the delegate's input in `delegate_data` and hands the task back
to its holder, who then completes it (seeing what the delegate wrote). Only the assignee may delegate (a queue
task is claimed first), one delegate at a time; the holder may recall an unanswered delegation.
"""
from __future__ import annotations

from sqlalchemy.orm import Session

from .. import audit, clock, instances, notify
from ..errors import Conflict, Forbidden, ValidationFailed
from ..models import HumanTask, User
from . import common


def delegate(session: Session, actor: User, task_id: int, to: str, note: str = "") -> HumanTask:
    task, instance = instances.locked_task(session, actor, task_id)
    if task.assignee_id is None and common.is_holder(session, actor, task):
        raise Conflict("请先认领该任务，再委派")
    common.require_holder(session, actor, task)
    target = common.active_user(session, to, "to")
    note = common.reason_text(note, "note")
    if target.id == actor.id:
        raise ValidationFailed("不能委派给自己", {"to": "请选择其他人"})
    task.delegate_id = target.id
    common.bump(instance, clock.now())
    audit.append(session, "task.delegated", actor=actor, instance_id=instance.id, task_id=task.id,
                 element_id=task.element_id, payload={"name": task.name, "to": target.username, "note": note})
    notify.notify(session, [target.id], "task.delegated",
                  f"{actor.name} 委派您办理“{task.name}”（{instance.title}）" + (f"：{note}" if note else ""),
                  instance_id=instance.id, task_id=task.id)
    return task


def recall(session: Session, actor: User, task_id: int) -> HumanTask:
    """收回委派: the holder takes a delegated task back before the delegate has answered."""
    task, instance = instances.locked_task(session, actor, task_id)
    if task.assignee_id != actor.id:
        raise Forbidden("只有委派人可以收回委派")
    if task.delegate_id is None:
        raise Conflict("该任务没有委派")
    delegate_user = session.get(User, task.delegate_id)
    task.delegate_id = None
    common.bump(instance, clock.now())
    audit.append(session, "task.delegation_recalled", actor=actor, instance_id=instance.id, task_id=task.id,
                 element_id=task.element_id, payload={"name": task.name, "from": delegate_user.username})
    notify.notify(session, [delegate_user.id], "task.delegated",
                  f"{actor.name} 已收回委派的“{task.name}”（{instance.title}），您无需再办理",
                  instance_id=instance.id, task_id=task.id)
    return task
