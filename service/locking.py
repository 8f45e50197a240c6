"""How a command gets exclusive use of one instance.

- PostgreSQL: ``SELECT … FOR NO KEY UPDATE`` on the instance row. Other instances stay writable; a second command on
  the same instance waits for the first to commit, then sees its result (and finds the task already done: 409).
- SQLite: the write transaction began with ``BEGIN IMMEDIATE`` (see ``service.db``), which holds the database's
  single write lock for the whole command; FOR UPDATE is not SQL SQLite knows and SQLAlchemy leaves it out.
- Timer workers use ``FOR UPDATE SKIP LOCKED`` on PostgreSQL so several workers share due instances without
  waiting on each other; on SQLite they simply queue on the write lock.

Lock order is always instance first, then its task rows: every writer (commands, timers, the deadline sweep)
takes the instance lock before it touches anything of the instance, so two writers never wait on each other.

Optimistic versioning (``state_version``) sits on top: a client that read version N and sends it back gets 409
if anything moved the instance since.
"""
from __future__ import annotations

from sqlalchemy import bindparam, select
from sqlalchemy.orm import Session

from .errors import Conflict, NotFound
from .models import HumanTask, ProcessInstance


# FOR NO KEY UPDATE, not FOR UPDATE: other transactions' foreign-key checks (a notification or audit row that
# references this instance) take KEY SHARE, which FOR UPDATE would block — and with the deadline sweep holding a
# task row that is a deadlock. The instance's key never changes, so the weaker lock loses nothing.
_LOCK = (select(ProcessInstance).where(ProcessInstance.id == bindparam("id")).with_for_update(key_share=True)
         .execution_options(populate_existing=True))


_LOCK_FOR_TASK = (select(ProcessInstance)
                  .where(ProcessInstance.id == select(HumanTask.instance_id)
                         .where(HumanTask.id == bindparam("task")).scalar_subquery())
                  .with_for_update(key_share=True).execution_options(populate_existing=True))


def lock_instance_of_task(session: Session, task_id: int, *, expected_version: int | None = None):
    """Lock the instance a task belongs to, found from the task id in the same statement. The caller reads the
    task afterwards, in a new statement: only then is it sure to see what a command that held the lock wrote."""
    instance = session.scalar(_LOCK_FOR_TASK, {"task": task_id})
    if instance is None:
        return None
    check_version(instance, expected_version)
    return instance


def lock_instance(session: Session, instance_id: int, *, expected_version: int | None = None) -> ProcessInstance:
    instance = session.scalar(_LOCK, {"id": instance_id})
    if instance is None:
        raise NotFound("流程实例不存在")
    check_version(instance, expected_version)
    return instance


def check_version(instance: ProcessInstance, expected_version: int | None) -> None:
    """The optimistic check: a client that read version N and sends it back is refused if anything moved since."""
    if expected_version is not None and instance.state_version != expected_version:
        raise Conflict("流程已被他人更新，请刷新后重试",
                       {"expected_version": expected_version, "current_version": instance.state_version})


def due_instance_ids(session: Session, now, limit: int = 50) -> list[int]:
    """Instances whose next timer is due, skipping rows another worker holds (PostgreSQL)."""
    query = (select(ProcessInstance.id)
             .where(ProcessInstance.next_timer_at <= now, ProcessInstance.status == "running")
             .order_by(ProcessInstance.next_timer_at).limit(limit))
    if session.get_bind().dialect.name == "postgresql":
        query = query.with_for_update(skip_locked=True)
    return list(session.scalars(query).all())
