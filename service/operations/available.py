"""What one person may do on one task right now, and what the task page shows around it.

The task page and `GET /api/v1/tasks/{id}/operations` read this; each command still checks everything itself
when it runs (the situation may change between the page and the click).
"""
from __future__ import annotations

import json

from SpiffWorkflow.bpmn.specs.mixins.multiinstance_task import MultiInstanceTask, ParallelMultiInstanceTask
from SpiffWorkflow.util.task import TaskState
from sqlalchemy import select
from sqlalchemy.orm import Session

from .. import access, runtime
from ..models import AuditEvent, HumanTask, ProcessDefinition, User
from . import attachments, cc, comments, common, signers, withdraw
from .steps import allowed_send_back, earlier_steps

WORKING = ("running", "error")


def for_task(session: Session, user: User, task_id: int) -> dict:
    task, instance = access.visible_task(session, user, task_id)
    is_open = task.state == "open" and instance.status in WORKING
    free = is_open and task.delegate_id is None
    holder = free and common.is_holder(session, user, task)
    names = common.names(session, [task.assignee_id, task.delegate_id, task.original_assignee_id])
    result = {
        "task_id": task.id, "instance_id": instance.id,
        "transfer": free and (holder or user.is_admin),
        "delegate": free and task.assignee_id == user.id,
        "recall_delegation": is_open and task.delegate_id is not None and task.assignee_id == user.id,
        "send_back": False, "send_back_targets": [],
        "add_signer": False, "remove_signer": [],
        "withdraw": withdraw.may_withdraw_task(session, user, task, instance),
        "withdraw_instance": withdraw.may_withdraw_instance(session, user, instance),
        "urge": is_open and user.id not in common.holders(session, task),
        "cc": is_open and cc.may_copy(session, user, task, instance),
        "comment": True,
        "attach": is_open and (access.may_work_on(session, user, task) or instance.initiator_id == user.id),
        "delegate_name": names.get(task.delegate_id), "delegate_data": task.delegate_data,
        "original_assignee": names.get(task.original_assignee_id),
        "sent_back": sent_back_note(session, task),
        "comments": comments.for_instance(session, user, instance.id),
        "attachments": attachments.for_instance(session, user, instance.id),
    }
    if is_open:
        _from_workflow(session, user, task, instance, holder, result)
    return result


def _from_workflow(session, user, task, instance, holder, result) -> None:
    definition = session.get(ProcessDefinition, instance.definition_id)
    workflow = runtime.load(session, instance, definition)
    current = runtime.find_task(workflow, task.spiff_task_id)
    if current is None or current.state != TaskState.READY:
        return
    if holder:
        steps = earlier_steps(current)
        allowed = allowed_send_back(current, steps)
        result["send_back_targets"] = [{"element_id": s.element_id, "name": s.name, "default": i == 0}
                                       for i, s in enumerate(allowed)]
        result["send_back"] = bool(allowed)
    parent = current.parent
    if parent is None or not isinstance(parent.task_spec, MultiInstanceTask) \
            or not isinstance(parent.task_spec, ParallelMultiInstanceTask) or parent.state != TaskState.STARTED:
        return
    if not signers.may_manage(session, user, task, instance):
        return
    result["add_signer"] = True
    rows = signers.instance_rows(session, instance, parent)
    others = [r for r in rows if r.state != "cancelled"]
    names = common.names(session, [r.assignee_id for r in rows])
    if len(others) > 1:
        result["remove_signer"] = [
            {"task_id": r.id, "mi_item": r.mi_item, "assignee": names.get(r.assignee_id)}
            for r in rows if r.state == "open" and user.id not in (r.assignee_id, r.delegate_id)]


def sent_back_note(session: Session, task: HumanTask) -> dict | None:
    """When this task was reopened by a send-back: who sent it back, why, and when."""
    created = session.scalar(select(AuditEvent.seq).where(
        AuditEvent.chain == f"instance:{task.instance_id}", AuditEvent.task_id == task.id,
        AuditEvent.kind == "task.created"))
    if created is None:
        return None
    earlier = session.scalars(select(AuditEvent).where(
        AuditEvent.chain == f"instance:{task.instance_id}", AuditEvent.seq < created)
        .order_by(AuditEvent.seq.desc()).limit(100)).all()
    for event in earlier:
        if event.kind in ("task.cancelled", "task.created", "record.sealed"):
            continue
        payload = json.loads(event.payload)
        if event.kind == "task.sent_back" and payload.get("to_element") == task.element_id:
            author = session.scalar(select(User.name).where(User.id == event.actor_id)) if event.actor_id else None
            return {"by": author or event.actor, "reason": payload.get("reason"), "at": event.at,
                    "from_name": payload.get("name")}
        return None
    return None
