"""加签 / 减签 on a parallel multi-instance task (会签) that has not completed yet.

加签 adds an instance for a named person: the person's entry is appended to the task's input collection in the
live workflow and a child is created on the multi-instance task, exactly as SpiffWorkflow creates the others, so
the engine waits for it like any other signer; the new instance goes straight to that person. 减签 cancels an
instance nobody has completed; `JParallelMultiInstanceTask.children_complete` counts cancelled instances as done,
so the join no longer waits for it, and when it was the last one outstanding the task completes at once. The
removed person's entry leaves the input collection when the outputs do not depend on positions in it.

Allowed for a holder of one of the task's open instances, the case's initiator, and admins. Sequential
multi-instance tasks and instance counts (loop cardinality) are refused: there is no list of people to change.
"""
from __future__ import annotations

from collections.abc import Mapping

from SpiffWorkflow.bpmn.specs.mixins.multiinstance_task import MultiInstanceTask, ParallelMultiInstanceTask
from SpiffWorkflow.util.task import TaskState
from sqlalchemy import select
from sqlalchemy.orm import Session

from .. import audit, clock, instances, notify, runtime
from ..errors import Conflict, ValidationFailed
from ..instances import CommandResult
from ..models import HumanTask, ProcessDefinition, ProcessInstance, User
from . import common


def multi_instance_parent(workflow, row: HumanTask):
    """The running parallel multi-instance task `row` is one instance of (409 when there is none)."""
    child = runtime.find_task(workflow, row.spiff_task_id)
    if child is None:
        raise Conflict("任务状态已变化，请刷新")
    parent = child.parent
    if parent is None or not isinstance(parent.task_spec, MultiInstanceTask):
        raise Conflict("该任务不是会签（多实例）任务，不能加签或减签")
    if not isinstance(parent.task_spec, ParallelMultiInstanceTask):
        raise Conflict("只有并行会签可以加签或减签")
    if parent.state != TaskState.STARTED:
        raise Conflict("会签已结束，不能加签或减签")
    return child, parent


def instance_rows(session: Session, instance: ProcessInstance, parent) -> list[HumanTask]:
    """The task rows of every instance of one multi-instance task."""
    ids = [str(c.id) for c in parent.children if c.task_spec.name == parent.task_spec.task_spec]
    return list(session.scalars(select(HumanTask).where(
        HumanTask.instance_id == instance.id, HumanTask.spiff_task_id.in_(ids)).order_by(HumanTask.id)).all())


def may_manage(session: Session, actor: User, row: HumanTask, instance: ProcessInstance) -> bool:
    if actor.is_admin or instance.initiator_id == actor.id:
        return True
    return row.state == "open" and row.delegate_id is None and common.is_holder(session, actor, row)


def _require_may_manage(session, actor, row, instance) -> None:
    if not may_manage(session, actor, row, instance):
        common.require_holder(session, actor, row)  # raises the precise 403 / 409


def _load(session: Session, instance: ProcessInstance):
    definition = session.get(ProcessDefinition, instance.definition_id)
    return definition, runtime.load(session, instance, definition)


def add_signer(session: Session, actor: User, task_id: int, username: str) -> CommandResult:
    task, instance = instances.locked_task(session, actor, task_id)
    _require_may_manage(session, actor, task, instance)
    target = common.active_user(session, username, "user")
    definition, workflow = _load(session, instance)
    _, parent = multi_instance_parent(workflow, task)
    for row in instance_rows(session, instance, parent):
        if row.state != "cancelled" and target.id in (row.assignee_id, row.completed_by_id, row.delegate_id):
            raise ValidationFailed("此人已在会签人中", {"user": f"{target.name} 已在会签人中"})
    spec = parent.task_spec
    collection = spec.data_input.get(parent) if spec.data_input is not None else None
    if not isinstance(collection, list):
        raise Conflict("该会签不是按人员名单生成的，不能加签")
    item = target.username if all(isinstance(i, str) for i in collection) \
        else {"username": target.username, "name": target.name}
    collection.append(item)
    _share_collection(parent)
    spec.create_child(parent, item, len(collection) - 1)
    added = parent.children[-1]
    now = clock.now()
    outcome = runtime.run_engine(workflow)
    audit.append(session, "task.signer_added", actor=actor, instance_id=instance.id, task_id=task.id,
                 element_id=task.element_id, payload={"name": task.name, "user": target.username})
    sync = instances.finish(session, instance, definition, workflow, actor, outcome, now,
                            assign_to={str(added.id): target.id})
    for row in sync.opened:
        if row.spiff_task_id == str(added.id) and row.assignee_id:
            notify.notify(session, [row.assignee_id], "task.new",
                          f"{actor.name} 加签，请您办理“{row.name}”（{instance.title}）",
                          instance_id=instance.id, task_id=row.id)
    return CommandResult.after(instance, sync)


def remove_signer(session: Session, actor: User, task_id: int, signer_task_id: int) -> CommandResult:
    task, instance = instances.locked_task(session, actor, task_id)
    _require_may_manage(session, actor, task, instance)
    definition, workflow = _load(session, instance)
    _, parent = multi_instance_parent(workflow, task)
    rows = instance_rows(session, instance, parent)
    removed = next((r for r in rows if r.id == signer_task_id), None)
    if removed is None:
        raise ValidationFailed("不是同一会签中的任务", {"task": "请选择本会签中尚未办理的任务"})
    if removed.state != "open":
        raise Conflict("该会签人已办理，不能减签" if removed.state == "completed" else "该会签任务已取消")
    if actor.id in (removed.assignee_id, removed.delegate_id):
        raise Conflict("不能减签自己")
    if not [r for r in rows if r.state != "cancelled" and r.id != removed.id]:
        raise Conflict("至少保留一位会签人")
    child = runtime.find_task(workflow, removed.spiff_task_id)
    if child is None or child.state != TaskState.READY:
        raise Conflict("任务状态已变化，请刷新")
    who = common.holders(session, removed)
    removed_user = session.get(User, removed.assignee_id) if removed.assignee_id else None
    _drop_from_collection(parent, child)
    child.cancel()
    if parent.task_spec.children_complete(parent):
        parent._set_state(TaskState.READY)  # what merge_child would do when the last instance completes
    now = clock.now()
    outcome = runtime.run_engine(workflow)
    audit.append(session, "task.signer_removed", actor=actor, instance_id=instance.id, task_id=removed.id,
                 element_id=removed.element_id,
                 payload={"name": removed.name, "user": removed_user.username if removed_user else None,
                          "mi_item": removed.mi_item})
    sync = instances.finish(session, instance, definition, workflow, actor, outcome, now)
    notify.notify(session, who, "task.signer_removed",
                  f"{actor.name} 已将您从“{removed.name}”会签中减去（{instance.title}），您无需再办理",
                  instance_id=instance.id, task_id=removed.id)
    return CommandResult.after(instance, sync)


def _drop_from_collection(parent, child) -> None:
    """Take the person's entry out of the input list, unless outputs are written by position or key into it."""
    spec = parent.task_spec
    if spec.data_input is None:
        return
    collection = spec.data_input.get(parent)
    output = spec.data_output.get(parent) if spec.data_output is not None else None
    if not isinstance(collection, list) or output is collection or isinstance(output, Mapping):
        return
    index = child.internal_data.get("key_or_index")
    if isinstance(index, int) and 0 <= index < len(collection):
        collection.pop(index)
        for sibling in parent.children:  # later instances keep pointing at their own entry
            position = sibling.internal_data.get("key_or_index")
            if sibling is not child and isinstance(position, int) and position > index:
                sibling.internal_data["key_or_index"] = position - 1
        _share_collection(parent)


def _share_collection(parent) -> None:
    """Each instance carries a copy of the process data; their copies of the list must say the same, or merging a
    completed instance back (lists merge as unions) would bring a removed person back into it."""
    name = parent.task_spec.data_input.bpmn_id
    collection = parent.data[name]
    for child in parent.children:
        if isinstance(child.data.get(name), list):
            child.data[name] = list(collection)
