"""留言: comments on a task or on a whole case, by anyone who may see the case.

A comment is part of the case's record: it is stored as a row (for lists) and appended to the audit chain with
its full text (`comment.added`), which is how it appears in the timeline, word for word and tamper-evident.
Comments are accepted whatever the task's or case's state — a supervisor's note on a finished case belongs to
the record too. The people concerned (the task's holders, the initiator) are notified.
"""
from __future__ import annotations

from sqlalchemy import select
from sqlalchemy.orm import Session

from .. import access, audit, clock, notify
from ..errors import ValidationFailed
from ..locking import lock_instance
from ..models import Comment, HumanTask, ProcessInstance, User
from . import common

MAX_TEXT = 2000


def _text(text) -> str:
    value = text.strip() if isinstance(text, str) else ""
    if not value:
        raise ValidationFailed("请填写留言内容", {"text": "必填"})
    if len(value) > MAX_TEXT:
        raise ValidationFailed("留言过长", {"text": f"不能超过 {MAX_TEXT} 字"})
    return value


def add_to_task(session: Session, actor: User, task_id: int, text: str) -> Comment:
    task, instance = access.visible_task(session, actor, task_id)
    lock_instance(session, instance.id)
    session.refresh(task)
    people = common.holders(session, task) if task.state == "open" else []
    return _add(session, actor, instance, task, _text(text), people)


def add_to_instance(session: Session, actor: User, instance_id: int, text: str) -> Comment:
    instance = access.visible_instance(session, actor, instance_id)
    lock_instance(session, instance.id)
    open_rows = session.scalars(select(HumanTask).where(
        HumanTask.instance_id == instance.id, HumanTask.state == "open")).all()
    people = [uid for row in open_rows for uid in common.holders(session, row)]
    return _add(session, actor, instance, None, _text(text), people)


def _add(session, actor: User, instance: ProcessInstance, task: HumanTask | None, text: str, people) -> Comment:
    row = Comment(instance_id=instance.id, task_id=task.id if task else None, author_id=actor.id, text=text,
                  created_at=clock.now())
    session.add(row)
    session.flush()
    audit.append(session, "comment.added", actor=actor, instance_id=instance.id, task_id=task.id if task else None,
                 element_id=task.element_id if task else None,
                 payload={"comment_id": row.id, "name": task.name if task else None, "text": text})
    concerned = [p for p in dict.fromkeys([*people, instance.initiator_id]) if p and p != actor.id]
    where = f"“{task.name}”" if task else "案件"
    notify.notify(session, concerned, "comment.added",
                  f"{actor.name} 在{where}留言（{instance.title}）：{text[:100]}",
                  instance_id=instance.id, task_id=task.id if task else None)
    return row


def for_instance(session: Session, user: User, instance_id: int) -> list[dict]:
    """The case's comments, oldest first (task comments name their task)."""
    access.visible_instance(session, user, instance_id)
    rows = session.execute(
        select(Comment, User.username, User.name, HumanTask.name)
        .join(User, User.id == Comment.author_id)
        .outerjoin(HumanTask, HumanTask.id == Comment.task_id)
        .where(Comment.instance_id == instance_id).order_by(Comment.created_at, Comment.id)).all()
    return [as_dict(c, username, name, task_name) for c, username, name, task_name in rows]


def as_dict(comment: Comment, username: str, name: str, task_name: str | None) -> dict:
    return {"id": comment.id, "instance_id": comment.instance_id, "task_id": comment.task_id,
            "task_name": task_name, "author": name, "author_username": username, "text": comment.text,
            "created_at": comment.created_at}
