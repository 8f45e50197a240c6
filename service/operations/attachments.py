"""Files on a task: checked (size, type by content), stored in the database, readable only through the case.

Uploading needs the task open and the uploader to be one who works on it (holder, delegate, queue member) or
the case's initiator. Downloading needs sight of the case (`service.access`); anyone else gets 404, which does
not even confirm that the file exists. The stored name is sanitised; the type is the one the content proved.
"""
from __future__ import annotations

import hashlib

from sqlalchemy import select
from sqlalchemy.orm import Session

from .. import access, audit, clock, instances
from ..config import Settings
from ..errors import Forbidden, NotFound, ValidationFailed
from ..models import Attachment, HumanTask, User
from . import filetypes

DEFAULT_MAX_BYTES = Settings.attachment_max_bytes


def add(session: Session, actor: User, task_id: int, filename: str | None, content: bytes, *,
        max_bytes: int = DEFAULT_MAX_BYTES) -> Attachment:
    task, instance = instances.locked_task(session, actor, task_id)
    if not (access.may_work_on(session, actor, task) or instance.initiator_id == actor.id):
        raise Forbidden("只有办理人或发起人可以上传附件")
    if not content:
        raise ValidationFailed("请选择文件", {"file": "文件为空"})
    if len(content) > max_bytes:
        raise ValidationFailed("文件过大", {"file": f"文件不能超过 {max_bytes / 1024 / 1024:.0f} MB"})
    name = filetypes.safe_filename(filename)
    kind = filetypes.content_type(name, content)
    row = Attachment(instance_id=instance.id, task_id=task.id, uploader_id=actor.id, filename=name,
                     content_type=kind, size=len(content), sha256=hashlib.sha256(content).hexdigest(),
                     content=content, created_at=clock.now())
    session.add(row)
    session.flush()
    audit.append(session, "attachment.added", actor=actor, instance_id=instance.id, task_id=task.id,
                 element_id=task.element_id,
                 payload={"name": task.name, "attachment_id": row.id, "filename": name, "size": row.size,
                          "sha256": row.sha256, "content_type": kind})
    return row


def get(session: Session, user: User, attachment_id: int) -> Attachment:
    row = session.get(Attachment, attachment_id)
    if row is None:
        raise NotFound("附件不存在或无权查看")
    try:
        access.visible_instance(session, user, row.instance_id)
    except NotFound:
        raise NotFound("附件不存在或无权查看") from None
    return row


def for_instance(session: Session, user: User, instance_id: int) -> list[dict]:
    """The case's attachments (without their content), oldest first."""
    access.visible_instance(session, user, instance_id)
    rows = session.execute(
        select(Attachment.id, Attachment.instance_id, Attachment.task_id, Attachment.filename,
               Attachment.content_type, Attachment.size, Attachment.sha256, Attachment.created_at, User.name,
               HumanTask.name)
        .join(User, User.id == Attachment.uploader_id).outerjoin(HumanTask, HumanTask.id == Attachment.task_id)
        .where(Attachment.instance_id == instance_id).order_by(Attachment.created_at, Attachment.id)).all()
    return [{"id": r[0], "instance_id": r[1], "task_id": r[2], "filename": r[3], "content_type": r[4],
             "size": r[5], "sha256": r[6], "created_at": r[7], "uploader": r[8], "task_name": r[9]} for r in rows]


def as_dict(row: Attachment, uploader: str) -> dict:
    return {"id": row.id, "instance_id": row.instance_id, "task_id": row.task_id, "filename": row.filename,
            "content_type": row.content_type, "size": row.size, "sha256": row.sha256, "created_at": row.created_at,
            "uploader": uploader}
