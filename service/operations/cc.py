"""抄送: copy people on a case from one of its open tasks. They may then read the whole case (`service.access`
counts InstanceCC rows) and find it under 抄送我的 (`service.inbox.cc`).

Allowed for the task's holder or delegate, the case's initiator, supervisors of its unit and admins. Copying a
person twice changes nothing (and is not recorded twice).
"""
from __future__ import annotations

from sqlalchemy import select
from sqlalchemy.orm import Session

from .. import access, audit, clock, instances, notify
from ..errors import Forbidden
from ..models import InstanceCC, User
from . import common


def may_copy(session: Session, user: User, task, instance) -> bool:
    return (instance.initiator_id == user.id or task.delegate_id == user.id or common.is_holder(session, user, task)
            or access.supervises_instance(session, user, instance))


def copy_to(session: Session, actor: User, task_id: int, usernames: list[str], note: str = "") -> list[User]:
    """Returns the people newly copied."""
    task, instance = instances.locked_task(session, actor, task_id)
    if not may_copy(session, actor, task, instance):
        raise Forbidden("只有办理人、发起人或督办人可以抄送")
    people = common.active_users(session, usernames, "users")
    note = common.reason_text(note, "note")
    already = set(session.scalars(select(InstanceCC.user_id).where(InstanceCC.instance_id == instance.id)).all())
    added = [p for p in people if p.id not in already]
    if not added:
        return []
    now = clock.now()
    for person in added:
        session.add(InstanceCC(instance_id=instance.id, user_id=person.id, by_id=actor.id, task_id=task.id,
                               created_at=now))
    audit.append(session, "instance.cc", actor=actor, instance_id=instance.id, task_id=task.id,
                 element_id=task.element_id,
                 payload={"name": task.name, "users": [p.username for p in added], "note": note})
    notify.notify(session, [p.id for p in added], "instance.cc",
                  f"{actor.name} 抄送给您：{instance.title}（{task.name}）" + (f"：{note}" if note else ""),
                  instance_id=instance.id, task_id=task.id)
    return added
