"""Who may see and do what, checked on the object (DESIGN.md section 10).

A person sees an instance when they started it, hold or held one of its tasks, sit in the queue of an open
task, were copied on it, supervise its unit's subtree, or are an admin. Anyone else gets "not found": the
existence of a case is itself information.
"""
from __future__ import annotations

from sqlalchemy import exists, or_, select
from sqlalchemy.orm import Session

from .errors import Forbidden, NotFound
from .models import HumanTask, InstanceCC, ProcessInstance, Supervision, TaskCandidate, Unit, User


def _supervises(session: Session, user: User, unit_id: int) -> bool:
    unit_path = session.scalar(select(Unit.path).where(Unit.id == unit_id))
    if unit_path is None:
        return False
    paths = session.scalars(select(Unit.path).join(Supervision, Supervision.unit_id == Unit.id)
                            .where(Supervision.user_id == user.id)).all()
    return any(unit_path.startswith(p) for p in paths)


def participant_clause(user_id: int, instance_id_column):
    """SQL condition: the user took part in the instance (for lists and for single checks)."""
    took_part = exists().where(
        HumanTask.instance_id == instance_id_column,
        or_(HumanTask.assignee_id == user_id, HumanTask.completed_by_id == user_id, HumanTask.delegate_id == user_id,
            HumanTask.original_assignee_id == user_id),
    )
    in_queue = exists().where(TaskCandidate.user_id == user_id, TaskCandidate.task_id == HumanTask.id,
                              HumanTask.instance_id == instance_id_column)
    copied = exists().where(InstanceCC.instance_id == instance_id_column, InstanceCC.user_id == user_id)
    return or_(took_part, in_queue, copied)


def can_view_instance(session: Session, user: User, instance: ProcessInstance) -> bool:
    if user.is_admin or instance.initiator_id == user.id:
        return True
    if session.scalar(select(participant_clause(user.id, instance.id))):
        return True
    return _supervises(session, user, instance.unit_id)


def visible_instance(session: Session, user: User, instance_id: int) -> ProcessInstance:
    instance = session.get(ProcessInstance, instance_id)
    if instance is None or not can_view_instance(session, user, instance):
        raise NotFound("流程实例不存在或无权查看")
    return instance


def visible_task(session: Session, user: User, task_id: int) -> tuple[HumanTask, ProcessInstance]:
    task = session.get(HumanTask, task_id)
    if task is None:
        raise NotFound("任务不存在或无权查看")
    instance = session.get(ProcessInstance, task.instance_id)
    if not can_view_instance(session, user, instance):
        raise NotFound("任务不存在或无权查看")
    return task, instance


def is_candidate(session: Session, user: User, task: HumanTask) -> bool:
    return session.get(TaskCandidate, (task.id, user.id)) is not None


def may_work_on(session: Session, user: User, task: HumanTask) -> bool:
    """The holder, the delegate while delegated, or a queue member of an unclaimed task."""
    if task.delegate_id is not None:
        return task.delegate_id == user.id
    if task.assignee_id is not None:
        return task.assignee_id == user.id
    return is_candidate(session, user, task)


def require_work_on(session: Session, user: User, task: HumanTask) -> None:
    if not may_work_on(session, user, task):
        raise Forbidden("这不是您的待办任务")


def supervises_instance(session: Session, user: User, instance: ProcessInstance) -> bool:
    return user.is_admin or _supervises(session, user, instance.unit_id)
