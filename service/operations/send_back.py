"""退回: return the case to an earlier completed user step of the same instance, with a reason.

By default the step is the previous one — the most recently completed step that led here, on any branch that
joined on the way (`steps.earlier_steps`); any other only where the process owner allows it with the task's
`sendBackTo` property. The engine state is reset properly: SpiffWorkflow's
`reset_from_task_id` on the target's completed task drops everything after it (task sync then closes those rows as
cancelled) and makes the target ready again with the data it had when it was completed (the form shows what was
entered before). The reopened step goes straight to the person who did it before (a multi-instance step is opened
again for all its signers). Only the holder sends back (not a delegate), and the reason is required (422).
"""
from __future__ import annotations

from copy import deepcopy

from SpiffWorkflow.util.task import TaskState
from sqlalchemy import select
from sqlalchemy.orm import Session

from .. import audit, clock, instances, notify, runtime
from ..errors import Conflict, Forbidden, ValidationFailed
from ..instances import CommandResult
from ..models import HumanTask, ProcessDefinition, TaskHistory, User
from . import common
from .steps import Step, allowed_send_back, earlier_steps


def send_back(session: Session, actor: User, task_id: int, to_element: str | None, reason: str) -> CommandResult:
    reason = common.reason_text(reason, required=True)
    task, instance = instances.locked_task(session, actor, task_id)
    common.require_holder(session, actor, task)
    definition = session.get(ProcessDefinition, instance.definition_id)
    workflow = runtime.load(session, instance, definition)
    current = runtime.find_task(workflow, task.spiff_task_id)
    if current is None or current.state != TaskState.READY:
        raise Conflict("任务状态已变化，请刷新")
    steps = earlier_steps(current)
    if not steps:
        raise Conflict("这是流程的第一个办理环节，没有可以退回的环节")
    root = getattr(workflow.task_tree.task_spec, "bpmn_id", None)  # a pruned tree's root cannot be reset either
    target = _choose(session, instance.id, root, steps, allowed_send_back(current, steps), to_element)
    assign_to, previous_person = {}, None
    if not target.multi_instance:
        previous_person = _completed_by(session, instance.id, target)
        if previous_person is not None:
            assign_to[str(target.spiff_task.id)] = previous_person.id
    data = None if target.multi_instance else deepcopy(target.spiff_task.data)
    workflow.reset_from_task_id(target.spiff_task.id, data=data)
    if target.rejoin is not None:  # reached through another branch: the join waits for that branch again
        workflow.reset_from_task_id(target.rejoin.id)
    now = clock.now()
    outcome = runtime.run_engine(workflow)
    audit.append(session, "task.sent_back", actor=actor, instance_id=instance.id, task_id=task.id,
                 element_id=task.element_id,
                 payload={"name": task.name, "to_element": target.element_id, "to_name": target.name,
                          "to_user": previous_person.username if previous_person else None, "reason": reason})
    sync = instances.finish(session, instance, definition, workflow, actor, outcome, now, assign_to=assign_to)
    for row in sync.opened:
        if row.element_id == target.element_id:
            notify.notify(session, common.holders(session, row), "task.sent_back",
                          f"{actor.name} 将“{target.name}”退回给您（{instance.title}），原因：{reason}",
                          instance_id=instance.id, task_id=row.id)
    return CommandResult.after(instance, sync)


def _choose(session: Session, instance_id: int, root: str | None, steps: list[Step], allowed: list[Step],
            to_element: str | None) -> Step:
    if to_element is None or not str(to_element).strip():
        return steps[0]
    wanted = str(to_element).strip()
    target = next((s for s in steps if s.element_id == wanted), None)
    if target is None and (wanted == root or _archived(session, instance_id, wanted)):
        raise Conflict("该环节办理得较早，执行状态已归档（长期运行的案件只保留最近的执行状态），不能退回到该环节；"
                       "可以退回到上一环节", {"to_element": wanted})
    if target is None:
        raise ValidationFailed("只能退回到本案件此前已办理的环节", {"to_element": f"{wanted} 不是此前已办理的环节"})
    if target not in allowed:
        raise Forbidden("流程未允许从此环节退回到该环节，只能退回上一环节")
    return target


def _archived(session: Session, instance_id: int, element_id: str) -> bool:
    """Did this instance complete the element in the history that pruning cut off?"""
    return session.scalar(select(TaskHistory.id).where(
        TaskHistory.instance_id == instance_id, TaskHistory.bpmn_id == element_id).limit(1)) is not None


def _completed_by(session: Session, instance_id: int, step: Step) -> User | None:
    row = session.scalar(select(HumanTask).where(
        HumanTask.instance_id == instance_id, HumanTask.spiff_task_id == str(step.spiff_task.id),
        HumanTask.state == "completed").order_by(HumanTask.id.desc()).limit(1))
    if row is None or row.completed_by_id is None:
        return None
    person = session.get(User, row.completed_by_id)
    return person if person is not None and person.is_active else None
