"""Commands on process instances: start, complete, claim, unclaim, cancel, suspend, resume, retry.

Each command runs inside the caller's write transaction (``Database.write()``) and follows DESIGN.md section 8:
lock the instance row, load the workflow, check the task is READY and the caller may act, apply validated data,
run, ``do_engine_steps()``, save, sync human-task rows, append audit events. Any exception rolls it all back.
"""
from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from SpiffWorkflow.bpmn.specs.mixins.multiinstance_task import MultiInstanceTask
from SpiffWorkflow.util.task import TaskState
from sqlalchemy import bindparam, select
from sqlalchemy.orm import Session

from . import access, audit, clock, definitions, notify, org, records, rows, runtime, starting
from .errors import Conflict, Forbidden, NotFound, ScriptError, ValidationFailed
from .forms import validate_submission
from .locking import check_version, lock_instance, lock_instance_of_task
from .models import HumanTask, InstanceProblem, ProcessDefinition, ProcessInstance, Unit, User
from .task_sync import SyncResult, TaskSync
from .timefns import HELPERS

MAX_DATA_BYTES = 256 * 1024
RESERVED_NAMES = set(HELPERS) | {"initiator", "unit_code", "unit_name", "unit_people", "unit_roles"}


@dataclass
class CommandResult:
    instance: ProcessInstance
    opened: list[HumanTask]
    closed: list[HumanTask]
    names: dict[int, str] = field(default_factory=dict)  # people the opened rows name, already looked up

    @classmethod
    def after(cls, instance: ProcessInstance, sync: SyncResult) -> "CommandResult":
        return cls(instance, sync.opened, sync.closed, sync.names)


# -- helpers -------------------------------------------------------------------------------------------------------

def _check_plain_data(data: Any) -> dict:
    """API-supplied process variables: a JSON object with identifier keys, small, never shadowing helpers."""
    import json
    if data is None:
        return {}
    if not isinstance(data, dict):
        raise ValidationFailed("data 必须是 JSON 对象", {"data": "必须是对象"})
    errors = {}
    for key in data:
        if not isinstance(key, str) or not key.isidentifier() or key.startswith("_"):
            errors[str(key)] = "变量名必须是字母开头的标识符"
        elif key in RESERVED_NAMES:
            errors[key] = "与系统保留名称冲突"
    if errors:
        raise ValidationFailed("流程变量不合法", errors)
    if len(json.dumps(data, ensure_ascii=False, default=str)) > MAX_DATA_BYTES:
        raise ValidationFailed("流程变量过大", {"data": f"不能超过 {MAX_DATA_BYTES // 1024} KB"})
    return data


def finish(session: Session, instance: ProcessInstance, definition: ProcessDefinition, workflow, actor: User | None,
           outcome: runtime.Outcome, now, assign_to: dict[str, int] | None = None) -> SyncResult:
    """Save the workflow, sync task rows, record what changed. Shared by every command that ran the engine
    (service.operations too); `assign_to` is passed to TaskSync (steps reopened for a named person)."""
    previous_status = instance.status
    records.seal_completed(session, instance, workflow)
    sync = TaskSync(session, instance, definition, actor, now, assign_to).run(workflow)
    changes = runtime.save(session, instance, workflow, outcome.pruned)
    changes.update(updated_at=now, current_steps=sync.current_steps,
                   next_timer_at=runtime.next_timer(workflow) if outcome.status == "running" else None)
    if outcome.status == "error":
        changes.update(status="error", error=outcome.error)
        session.add(InstanceProblem(instance_id=instance.id, kind="script", element_id=outcome.error_element,
                                    message=outcome.error or "", created_at=now))
        audit.append(session, "instance.error", actor=actor, instance_id=instance.id,
                     element_id=outcome.error_element, payload={"error": outcome.error})
    elif outcome.status == "completed" and instance.status != "completed":
        changes.update(status="completed", ended_at=now, error=None, current_steps="")
        audit.append(session, "instance.completed", actor=actor, instance_id=instance.id, payload={})
    elif outcome.status == "running" and previous_status == "error":
        changes.update(status="running", error=None)
    rows.write_back(session, instance, **changes)
    return sync


def _definition(session: Session, instance: ProcessInstance) -> ProcessDefinition:
    return definitions.cached(session, instance.definition_id)


# -- start ---------------------------------------------------------------------------------------------------------

def start(session: Session, actor: User, definition_key: str, unit_code: str, *, title: str | None = None,
          data: dict | None = None, case_no: str | None = None, form_data: dict | None = None) -> CommandResult:
    """Start the newest version of a definition for a unit the actor may act for.

    `data` (API) becomes the process variables as given; `form_data` (web) is validated against the start form.
    """
    definition, unit = _startable(session, definition_key, unit_code)
    starting.require_may_start(session, actor, definition, unit)
    variables = dict(_check_plain_data(data))
    form = start_form(session, definition)
    if form is not None and form_data is not None:
        clean, errors = validate_submission(form, form_data, context=variables)
        if errors:
            raise ValidationFailed("表单填写有误", errors)
        variables.update(clean)
    return _launch(session, actor, definition, unit, variables, title, case_no)


def start_system(session: Session, definition_key: str, unit_code: str, *, title: str | None = None,
                 data: dict | None = None) -> CommandResult:
    """A start nobody asked for in person (the half-yearly schedule, service.recurring): there is no initiator
    and the audit chain names the actor "system". Who may start by hand (candidateStarterGroups) does not apply."""
    definition, unit = _startable(session, definition_key, unit_code)
    return _launch(session, None, definition, unit, dict(_check_plain_data(data)), title, None)


def _startable(session: Session, definition_key: str, unit_code: str) -> tuple[ProcessDefinition, Unit]:
    definition = definitions.latest(session, definition_key)
    if definition is None or not definition.startable:
        raise NotFound(f"流程 {definition_key} 不存在")
    unit = session.scalar(select(Unit).where(Unit.code == unit_code))
    if unit is None:
        raise ValidationFailed("单位不存在", {"unit": "请选择单位"})
    return definition, unit


def _launch(session: Session, actor: User | None, definition: ProcessDefinition, unit: Unit, variables: dict,
            title: str | None, case_no: str | None) -> CommandResult:
    title = (title or variables.get("title") or definition.name).strip()[:300]
    if not title:
        raise ValidationFailed("标题不能为空", {"title": "必填"})
    now = clock.now()
    workflow = runtime.new_workflow(session, definition)
    given = dict(variables)
    variables.update(initiator=actor.username if actor else None, unit_code=unit.code,
                     **org.unit_context(session, unit))
    for task in workflow.get_tasks(state=TaskState.READY):
        task.data.update(variables)
    outcome = runtime.run_engine(workflow)
    if outcome.status == "error":
        raise ScriptError(f"流程启动失败: {outcome.error}", {"element_id": outcome.error_element})
    instance = ProcessInstance(
        definition_id=definition.id, definition_key=definition.key, definition_version=definition.version,
        unit_id=unit.id, title=title, case_no=(case_no or variables.get("case_no") or None), status="running",
        initiator_id=actor.id if actor else None, started_at=now, updated_at=now, state="{}", state_version=0,
    )
    session.add(instance)
    session.flush()
    audit.append(session, "instance.started", actor=actor, instance_id=instance.id,
                 payload={"definition": definition.key, "version": definition.version, "unit": unit.code,
                          "title": title, "data": given})
    sync = finish(session, instance, definition, workflow, actor, outcome, now)
    return CommandResult.after(instance, sync)


def start_form(session: Session, definition: ProcessDefinition) -> dict | None:
    """The form-js schema on the process's start event (`camunda:formRef`), or None when it has none."""
    from .bpmn.inspect import BPMN_NS, load_document
    doc = load_document(definition.bpmn_xml)
    for element in doc.of_tag("startEvent"):
        parent = element.node.getparent()
        if parent is not None and parent.tag == f"{{{BPMN_NS}}}process":
            form = doc.form_refs().get(element.id)
            if form:
                return definitions.form_schema(session, definition, form)
    return None


# -- tasks ---------------------------------------------------------------------------------------------------------

_TASK = select(HumanTask).where(HumanTask.id == bindparam("id")).execution_options(populate_existing=True)
_TASK_WITH_INSTANCE = (select(HumanTask, ProcessInstance)
                       .join(ProcessInstance, ProcessInstance.id == HumanTask.instance_id)
                       .where(HumanTask.id == bindparam("id")).execution_options(populate_existing=True))


def locked_task(session: Session, actor: User, task_id: int, expected_version: int | None = None):
    if session.get_bind().dialect.name == "sqlite":
        # The write transaction began with BEGIN IMMEDIATE: the database is ours, so one read of both rows will do.
        found = session.execute(_TASK_WITH_INSTANCE, {"id": task_id}).first()
        if found is None:
            raise NotFound("任务不存在或无权查看")
        task, instance = found
        check_version(instance, expected_version)
    else:
        instance = lock_instance_of_task(session, task_id, expected_version=expected_version)
        # Read after the lock is ours, so it shows whatever the command that held it did to the task.
        task = session.scalar(_TASK, {"id": task_id}) if instance is not None else None
        if task is None:
            raise NotFound("任务不存在或无权查看")
    # Whoever may work on the task took part in the case; only others need the (costlier) visibility check.
    if not access.may_work_on(session, actor, task) and not access.can_view_instance(session, actor, instance):
        raise NotFound("任务不存在或无权查看")
    if task.state != "open":
        who = session.get(User, task.completed_by_id).name if task.completed_by_id else None
        raise Conflict("该任务已办理" + (f"（{who}）" if who else "") if task.state == "completed" else "该任务已取消",
                       {"state": task.state})
    if instance.status == "suspended":
        raise Conflict("流程已挂起，暂不能办理")
    if instance.status in ("completed", "cancelled"):
        raise Conflict("流程已结束")
    return task, instance


def complete(session: Session, actor: User, task_id: int, data: dict | None, *,
             expected_version: int | None = None) -> CommandResult:
    task, instance = locked_task(session, actor, task_id, expected_version)
    access.require_work_on(session, actor, task)
    definition = _definition(session, instance)
    workflow = runtime.load(session, instance, definition, for_update=True)
    spiff_task = runtime.find_task(workflow, task.spiff_task_id)
    if spiff_task is None or spiff_task.state != TaskState.READY or not spiff_task.task_spec.manual:
        raise Conflict("任务状态已变化，请刷新")
    schema = definitions.form_schema(session, definition, task.form_key)
    clean = validated_data(schema, data, spiff_task.data)
    if task.delegate_id is not None and task.delegate_id == actor.id:
        return _return_delegation(session, actor, task, instance, clean)
    now = clock.now()
    spiff_task.data.update(clean)
    _set_multiinstance_output(spiff_task, clean, actor)
    spiff_task.run()
    outcome = runtime.run_engine(workflow)
    rows.write_back(session, task, completed_by_id=actor.id, completed_at=now, data=clean,
                    assignee_id=task.assignee_id or actor.id)
    audit.append(session, "task.completed", actor=actor, instance_id=instance.id, task_id=task.id,
                 element_id=task.element_id, payload={"name": task.name, "data": clean, "mi_item": task.mi_item})
    sync = finish(session, instance, definition, workflow, actor, outcome, now)
    return CommandResult.after(instance, sync)


def validated_data(schema: dict | None, data: dict | None, context: dict) -> dict:
    """Only keys the form declares reach the workflow; without a form, a task takes no data."""
    if data is not None and not isinstance(data, dict):
        raise ValidationFailed("data 必须是 JSON 对象", {"data": "必须是对象"})
    if schema is None:
        return {}
    clean, errors = validate_submission(schema, data or {}, context=context)
    if errors:
        raise ValidationFailed("表单填写有误", errors)
    return clean


def _set_multiinstance_output(spiff_task, clean: dict, actor: User) -> None:
    """For a multi-instance task that collects outputs, each instance's result is its form data plus who gave it."""
    parent = spiff_task.parent
    if parent is None or not isinstance(parent.task_spec, MultiInstanceTask):
        return
    output_item = parent.task_spec.output_item
    if output_item is not None and output_item.bpmn_id not in clean:
        spiff_task.data[output_item.bpmn_id] = {**clean, "user": actor.username, "name": actor.name}


def _return_delegation(session, actor, task, instance, clean) -> CommandResult:
    """委派: the delegate's completion hands the task back to its holder with the delegate's input kept."""
    task.delegate_data = clean
    task.delegate_id = None
    instance.state_version += 1
    audit.append(session, "task.delegation_returned", actor=actor, instance_id=instance.id, task_id=task.id,
                 element_id=task.element_id, payload={"name": task.name, "data": clean})
    if task.assignee_id:
        notify.notify(session, [task.assignee_id], "task.returned", f"委派已办结：{task.name}（{actor.name}）",
                      instance_id=instance.id, task_id=task.id)
    return CommandResult(instance, [], [])


def claim(session: Session, actor: User, task_id: int) -> HumanTask:
    task, instance = locked_task(session, actor, task_id)
    if task.assignee_id == actor.id:
        return task
    if task.assignee_id is not None:
        raise Conflict("该任务已被他人认领")
    if not access.is_candidate(session, actor, task):
        raise Forbidden("您不在该任务的候选人中")
    task.assignee_id = actor.id
    instance.state_version += 1
    audit.append(session, "task.claimed", actor=actor, instance_id=instance.id, task_id=task.id,
                 element_id=task.element_id, payload={"name": task.name})
    return task


def unclaim(session: Session, actor: User, task_id: int) -> HumanTask:
    task, instance = locked_task(session, actor, task_id)
    if task.assignee_id != actor.id:
        raise Forbidden("只能退回自己认领的任务")
    if not access.is_candidate(session, actor, task):
        raise Conflict("该任务是直接分配给您的，不能放回队列")
    task.assignee_id = None
    instance.state_version += 1
    audit.append(session, "task.unclaimed", actor=actor, instance_id=instance.id, task_id=task.id,
                 element_id=task.element_id, payload={"name": task.name})
    return task


# -- instance lifecycle ----------------------------------------------------------------------------------------------

def _may_manage(session: Session, actor: User, instance: ProcessInstance) -> None:
    if actor.is_admin or instance.initiator_id == actor.id or access.supervises_instance(session, actor, instance):
        return
    raise Forbidden("只有发起人、督办人或管理员可以操作该流程")


def cancel(session: Session, actor: User, instance_id: int, reason: str = "") -> CommandResult:
    instance = lock_instance(session, instance_id)
    access.visible_instance(session, actor, instance_id)
    _may_manage(session, actor, instance)
    if instance.status in ("completed", "cancelled"):
        raise Conflict("流程已结束")
    return end_cancelled(session, actor, instance, "instance.cancelled", {"reason": reason[:2000]})


def end_cancelled(session: Session, actor: User | None, instance: ProcessInstance, kind: str,
                  payload: dict) -> CommandResult:
    """Stop the locked instance's workflow and close its open tasks; `kind` names why in the audit chain
    (`instance.cancelled`, or `instance.withdrawn` when the initiator takes the case back)."""
    definition = _definition(session, instance)
    workflow = runtime.load(session, instance, definition)
    workflow.cancel()
    now = clock.now()
    sync = TaskSync(session, instance, definition, actor, now).run(workflow)
    instance.state = runtime.dump(workflow)
    instance.state_version += 1
    instance.status, instance.ended_at, instance.updated_at, instance.next_timer_at = "cancelled", now, now, None
    instance.current_steps = ""
    audit.append(session, kind, actor=actor, instance_id=instance.id, payload=payload)
    return CommandResult(instance, [], sync.closed)


def suspend(session: Session, actor: User, instance_id: int, reason: str = "") -> ProcessInstance:
    instance = lock_instance(session, instance_id)
    access.visible_instance(session, actor, instance_id)
    _may_manage(session, actor, instance)
    if instance.status != "running":
        raise Conflict("只有运行中的流程可以挂起")
    instance.status, instance.updated_at = "suspended", clock.now()
    instance.state_version += 1
    audit.append(session, "instance.suspended", actor=actor, instance_id=instance.id, payload={"reason": reason[:2000]})
    return instance


def resume(session: Session, actor: User, instance_id: int) -> ProcessInstance:
    instance = lock_instance(session, instance_id)
    access.visible_instance(session, actor, instance_id)
    _may_manage(session, actor, instance)
    if instance.status != "suspended":
        raise Conflict("只有已挂起的流程可以恢复")
    instance.status, instance.updated_at = "running", clock.now()
    instance.state_version += 1
    audit.append(session, "instance.resumed", actor=actor, instance_id=instance.id, payload={})
    return instance


def retry(session: Session, actor: User, instance_id: int) -> CommandResult:
    """Run the failed step again (after the cause was fixed: data, organisation, or a transient error)."""
    instance = lock_instance(session, instance_id)
    if not (actor.is_admin or access.supervises_instance(session, actor, instance)):
        raise Forbidden("只有管理员或督办人可以重试")
    if instance.status != "error":
        raise Conflict("流程没有异常")
    definition = _definition(session, instance)
    workflow = runtime.load(session, instance, definition)
    for task in runtime.error_tasks(workflow):
        task._set_state(TaskState.READY)
    now = clock.now()
    outcome = runtime.run_engine(workflow)
    for problem in session.scalars(select(InstanceProblem).where(
            InstanceProblem.instance_id == instance.id, InstanceProblem.kind == "script",
            InstanceProblem.resolved_at.is_(None))).all():
        problem.resolved_at = now
    audit.append(session, "instance.retried", actor=actor, instance_id=instance.id, payload={})
    sync = finish(session, instance, definition, workflow, actor, outcome, now)
    return CommandResult.after(instance, sync)


def fire_timers(session: Session, instance_id: int) -> CommandResult | None:
    """Worker: fire what is due on one instance (it may have been handled by another worker meanwhile)."""
    instance = lock_instance(session, instance_id)
    now = clock.now()
    if instance.status != "running" or instance.next_timer_at is None or instance.next_timer_at > now:
        return None
    definition = _definition(session, instance)
    workflow = runtime.load(session, instance, definition)
    outcome = runtime.run_engine(workflow)
    audit.append(session, "timer.fired", actor=None, instance_id=instance.id,
                 payload={"due": instance.next_timer_at.isoformat()})
    sync = finish(session, instance, definition, workflow, None, outcome, now)
    return CommandResult.after(instance, sync)
