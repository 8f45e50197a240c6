"""撤回: take back what one did, while nobody has built on it yet.

A step: the person who completed it takes it back while the steps it opened are untouched — no completion, claim,
delegation, transfer, send-back or any other action in the case since (urges, comments, attachments and copies
do not count). The step is reset in the engine (`reset_from_task_id`), the steps it opened are cancelled, and it
reopens for that person with what they entered. The instance's audit chain decides "untouched": every event after
the step's `task.completed` must be one of `PASSIVE`. A signer of a multi-instance task takes back their own
signature the same way; if theirs was the last one, the multi-instance task is reopened and what followed it
dropped.

A case: its initiator withdraws it while nobody else has acted in it (system events such as timers and others'
urges aside). The case ends as `cancelled`; the audit event `instance.withdrawn` records the reason "withdrawn".
"""
from __future__ import annotations

import json
from copy import deepcopy

from SpiffWorkflow.bpmn.specs.mixins.multiinstance_task import MultiInstanceTask
from SpiffWorkflow.util.task import TaskState
from sqlalchemy import select
from sqlalchemy.orm import Session

from .. import access, audit, clock, instances, notify, runtime
from ..errors import Conflict, Forbidden, NotFound
from ..instances import CommandResult
from ..locking import lock_instance
from ..models import AuditEvent, HumanTask, ProcessDefinition, ProcessInstance, User
from . import common

PASSIVE = {"task.created", "task.urged", "comment.added", "attachment.added", "instance.cc", "task.overdue",
           "record.sealed"}
OTHERS_MAY = {"task.urged"}


def _events_after(session: Session, instance_id: int, seq: int) -> list[AuditEvent]:
    return list(session.scalars(select(AuditEvent).where(
        AuditEvent.chain == audit.chain_for(instance_id), AuditEvent.seq > seq).order_by(AuditEvent.seq)).all())


def _completion_event(session: Session, task: HumanTask) -> AuditEvent | None:
    return session.scalar(select(AuditEvent).where(
        AuditEvent.chain == audit.chain_for(task.instance_id), AuditEvent.task_id == task.id,
        AuditEvent.kind == "task.completed").order_by(AuditEvent.seq.desc()).limit(1))


def task_blockers(session: Session, task: HumanTask) -> tuple[AuditEvent | None, list[AuditEvent]]:
    """The step's completion event and the events since that are not passive (non-empty: cannot withdraw)."""
    completion = _completion_event(session, task)
    if completion is None:
        return None, []
    return completion, [e for e in _events_after(session, task.instance_id, completion.seq) if e.kind not in PASSIVE]


def may_withdraw_task(session: Session, user: User, task: HumanTask, instance: ProcessInstance) -> bool:
    if task.state != "completed" or task.completed_by_id != user.id or instance.status != "running":
        return False
    completion, blockers = task_blockers(session, task)
    return completion is not None and not blockers


def withdraw_task(session: Session, actor: User, task_id: int) -> CommandResult:
    task = session.get(HumanTask, task_id)
    if task is None:
        raise NotFound("任务不存在或无权查看")
    instance = lock_instance(session, task.instance_id)
    session.refresh(task)
    if not access.can_view_instance(session, actor, instance):
        raise NotFound("任务不存在或无权查看")
    if task.state == "open":
        raise Conflict("该任务尚未办理，无需撤回")
    if task.state == "cancelled":
        raise Conflict("该任务已取消，不能撤回")
    if task.completed_by_id != actor.id:
        raise Forbidden("只有办理人本人可以撤回")
    if instance.status != "running":
        raise Conflict("流程已结束或已挂起，不能撤回")
    completion, blockers = task_blockers(session, task)
    if completion is None or blockers:
        raise Conflict("后续环节已有人办理，不能撤回")
    later = [e.task_id for e in _events_after(session, instance.id, completion.seq) if e.kind == "task.created"]
    later_rows = [session.get(HumanTask, i) for i in dict.fromkeys(i for i in later if i)]
    people = {uid for row in later_rows if row.state == "open" for uid in common.holders(session, row)}
    definition = session.get(ProcessDefinition, instance.definition_id)
    workflow = runtime.load(session, instance, definition)
    spiff_task = runtime.find_task(workflow, task.spiff_task_id)
    if spiff_task is None or spiff_task.state != TaskState.COMPLETED:
        raise Conflict("任务状态已变化，不能撤回")
    keep = {}
    if spiff_task.parent is not None and isinstance(spiff_task.parent.task_spec, MultiInstanceTask):
        _take_back_signature(spiff_task)
        keep = {k: v for k, v in spiff_task.internal_data.items() if k in ("key_or_index", "item")}
    workflow.reset_from_task_id(spiff_task.id, data=deepcopy(spiff_task.data))
    spiff_task.internal_data.update(keep)  # which entry of the collection this instance stands for
    now = clock.now()
    outcome = runtime.run_engine(workflow)
    audit.append(session, "task.withdrawn", actor=actor, instance_id=instance.id, task_id=task.id,
                 element_id=task.element_id, payload={"name": task.name})
    sync = instances.finish(session, instance, definition, workflow, actor, outcome, now,
                            assign_to={str(spiff_task.id): actor.id})
    if any(row.state == "open" for row in later_rows):
        raise Conflict("后续环节不在此步骤之后，撤回不会收回它们，请联系后续办理人退回")
    notify.notify(session, sorted(people - {actor.id}), "task.withdrawn",
                  f"{actor.name} 撤回了“{task.name}”（{instance.title}），您的待办已撤销",
                  instance_id=instance.id, task_id=task.id)
    return CommandResult.after(instance, sync)


def _take_back_signature(child) -> None:
    """Undo what merging one instance did to its multi-instance task, so that completing it again counts once."""
    parent = child.parent
    spec = parent.task_spec
    merged = parent.internal_data.get("merged", [])
    if str(child.id) in merged:
        merged.remove(str(child.id))
    if spec.data_output is not None and spec.output_item is not None and spec.output_item.exists(child):
        output = spec.data_output.get(parent)
        value = spec.output_item.get(child)
        key = child.internal_data.get("key_or_index")
        if isinstance(output, list) and spec.data_output.bpmn_id != getattr(spec.data_input, "bpmn_id", None):
            for index in range(len(output) - 1, -1, -1):
                if _same(output[index], value):
                    output.pop(index)
                    break
        elif isinstance(output, dict) and key in output:
            output.pop(key)
    if parent.state in (TaskState.READY, TaskState.COMPLETED):
        for follower in [c for c in parent.children if c.task_spec.name != spec.task_spec]:
            parent.workflow._remove_task(follower.id)  # what the finished multi-instance task had started
        parent._set_state(TaskState.STARTED)
        spec._predict(parent, mask=TaskState.PREDICTED_MASK | TaskState.STARTED)  # its successors, to come again


def _same(a, b) -> bool:
    return json.dumps(a, sort_keys=True, default=str) == json.dumps(b, sort_keys=True, default=str)


# -- the whole case ----------------------------------------------------------------------------------------------

def instance_blockers(session: Session, instance: ProcessInstance) -> list[AuditEvent]:
    starter = session.get(User, instance.initiator_id) if instance.initiator_id else None
    events = _events_after(session, instance.id, 0)
    return [e for e in events if e.actor not in ("system", starter.username if starter else None)
            and e.kind not in OTHERS_MAY]


def may_withdraw_instance(session: Session, user: User, instance: ProcessInstance) -> bool:
    return instance.initiator_id == user.id and instance.status not in ("completed", "cancelled") \
        and not instance_blockers(session, instance)


def withdraw_instance(session: Session, actor: User, instance_id: int, note: str = "") -> CommandResult:
    instance = lock_instance(session, instance_id)
    access.visible_instance(session, actor, instance_id)
    note = common.reason_text(note, "note")
    if instance.initiator_id != actor.id:
        raise Forbidden("只有发起人可以撤回流程")
    if instance.status in ("completed", "cancelled"):
        raise Conflict("流程已结束")
    if instance_blockers(session, instance):
        raise Conflict("已有其他人办理过此流程，不能撤回；如需终止请联系督办人撤销")
    open_rows = session.scalars(select(HumanTask).where(
        HumanTask.instance_id == instance.id, HumanTask.state == "open")).all()
    people = {uid for row in open_rows for uid in common.holders(session, row)} - {actor.id}
    result = instances.end_cancelled(session, actor, instance, "instance.withdrawn",
                                     {"reason": "withdrawn", "note": note})
    notify.notify(session, sorted(people), "instance.withdrawn",
                  f"{actor.name} 撤回了流程“{instance.title}”，相关待办已撤销", instance_id=instance.id)
    return result
