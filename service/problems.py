"""The problems list: cases that need a person — a task nobody could be assigned to, a deadline that could not be
computed, a script that failed — and the retry once the cause is fixed.

Retrying
- a failed instance (status ``error``) runs the failed step again (``service.instances.retry``);
- an assignment problem resolves the task's assignment again against today's organisation (someone was given
  the role, the group got members, the variable was corrected) and recomputes a missing deadline. If it still
  finds nobody, the problem stays open and the answer says so.

Admins see every problem; supervisors those in their units' subtrees. Others: 403 for the list, 404 for one.
"""
from __future__ import annotations

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from . import audit, clock, instances, notify, runtime, scope
from .assignment import InstanceScope, Resolver, apply_proxies, task_assignment
from .errors import Conflict, Forbidden, NotFound
from .inbox import MAX_PER_PAGE, Page
from .locking import lock_instance
from .models import HumanTask, InstanceProblem, ProcessDefinition, ProcessInstance, TaskCandidate, Unit, User
from .task_sync import compute_due


def open_problems(session: Session, user: User, page: int = 1, per_page: int = 50) -> Page:
    """Unresolved problems in the user's scope, newest first (served by the (resolved_at, instance_id) index)."""
    units = scope.require_supervisor(session, user)
    page, per_page = max(1, int(page or 1)), min(MAX_PER_PAGE, max(1, int(per_page or 50)))
    where = [InstanceProblem.resolved_at.is_(None)]
    unit_condition = scope.unit_condition(ProcessInstance.unit_id, units)
    if unit_condition is not None:
        where.append(unit_condition)
    base = select(InstanceProblem, ProcessInstance, Unit.name, HumanTask) \
        .join(ProcessInstance, ProcessInstance.id == InstanceProblem.instance_id) \
        .join(Unit, Unit.id == ProcessInstance.unit_id) \
        .outerjoin(HumanTask, HumanTask.id == InstanceProblem.task_id).where(*where)
    total = session.scalar(select(func.count()).select_from(InstanceProblem)
                           .join(ProcessInstance, ProcessInstance.id == InstanceProblem.instance_id).where(*where))
    rows = session.execute(base.order_by(InstanceProblem.created_at.desc(), InstanceProblem.id.desc())
                           .offset((page - 1) * per_page).limit(per_page)).all()
    items = [{
        "id": problem.id, "kind": problem.kind, "message": problem.message, "created_at": problem.created_at,
        "element_id": problem.element_id, "instance_id": instance.id, "title": instance.title,
        "case_no": instance.case_no, "status": instance.status, "definition": instance.definition_key,
        "unit": unit_name, "task_id": task.id if task else None, "task": task.name if task else None,
        "task_state": task.state if task else None, "retryable": _retryable(problem, instance, task),
    } for problem, instance, unit_name, task in rows]
    return Page(items, total or 0, page, per_page)


def _retryable(problem: InstanceProblem, instance: ProcessInstance, task: HumanTask | None) -> bool:
    if instance.status == "error":
        return True
    return problem.kind == "assignment" and task is not None


def retry(session: Session, actor: User, problem_id: int) -> dict:
    """Retry what a problem blocked. Returns {"resolved": bool, "message": str}."""
    problem = session.get(InstanceProblem, problem_id)
    if problem is None:
        raise NotFound("问题不存在")
    scope.supervised_instance(session, actor, problem.instance_id)  # 404 outside the actor's units
    instance = lock_instance(session, problem.instance_id)
    session.refresh(problem)
    if problem.resolved_at is not None:
        raise Conflict("该问题已处理")
    if instance.status == "error":
        instances.retry(session, actor, instance.id)
        if instance.status == "error":
            return {"resolved": False, "message": "重试后流程仍然出错：" + (instance.error or "")}
        return {"resolved": True, "message": "已重试，流程继续运行"}
    if problem.kind != "assignment" or problem.task_id is None:
        raise Conflict("该问题不能自动重试，请处理流程后再试")
    return _retry_assignment(session, actor, instance, problem)


def _retry_assignment(session: Session, actor: User, instance: ProcessInstance, problem: InstanceProblem) -> dict:
    task = session.get(HumanTask, problem.task_id)
    now = clock.now()
    if task.state != "open":  # the step is over (completed by someone, or cancelled): nothing left to fix
        _resolve_all(session, instance.id, task_id=task.id, at=now)
        return {"resolved": True, "message": "该环节已结束，问题已关闭"}
    definition = session.get(ProcessDefinition, instance.definition_id)
    workflow = runtime.load(session, instance, definition)
    spiff_task = runtime.find_task(workflow, task.spiff_task_id)
    if spiff_task is None:
        raise Conflict("任务状态已变化，请刷新")
    extensions = getattr(spiff_task.task_spec, "extensions", None) or {}
    remaining = []
    if task.due_at is None and extensions.get("dueDate"):
        try:
            task.due_at = compute_due(extensions.get("dueDate"), spiff_task.data, now)
        except Exception as err:  # the expression still fails on this data
            remaining.append(f"期限计算失败: {err}")
    holders = _holders(session, task)
    if not holders:
        unit = session.get(Unit, instance.unit_id)
        how = task_assignment(extensions, spiff_task.task_spec.lane, definition.lanes or {})
        resolution = Resolver(session).resolve(
            how.terms, InstanceScope(instance.unit_id, unit.path, instance.initiator_id, spiff_task.data))
        holders = _assign(session, task, resolution.user_ids, resolution.label, now)
        if not holders:
            remaining.insert(0, f"“{task.name}”仍然没有找到办理人（{how.expression}）")
        else:
            notify.notify(session, holders, "task.new", f"新待办：{task.name}（{instance.title}）",
                          instance_id=instance.id, task_id=task.id)
    instance.state_version += 1
    audit.append(session, "task.assignment_retried", actor=actor, instance_id=instance.id, task_id=task.id,
                 element_id=task.element_id,
                 payload={"name": task.name, "candidates": list(task.candidates), "problems": remaining,
                          "due_at": task.due_at.isoformat() if task.due_at else None})
    if remaining:
        return {"resolved": False, "message": "；".join(remaining)}
    _resolve_all(session, instance.id, task_id=task.id, at=now)
    return {"resolved": True, "message": "已重新分配：" + "、".join(task.candidates)}


def _holders(session: Session, task: HumanTask) -> list[int]:
    if task.assignee_id:
        return [task.assignee_id]
    return list(session.scalars(select(TaskCandidate.user_id).where(TaskCandidate.task_id == task.id)).all())


def _assign(session: Session, task: HumanTask, user_ids: list[int], label: str, now) -> list[int]:
    """The same rule as when the task was created: one person holds it, several share a queue; deputies
    (代理) stand in for people who are away."""
    deputies = apply_proxies(session, user_ids, now)
    final = list(dict.fromkeys(deputies.get(uid, uid) for uid in user_ids))
    if not final:
        return []
    if len(final) == 1:
        task.assignee_id = final[0]
        if user_ids[0] in deputies:
            task.original_assignee_id = user_ids[0]
    else:
        for uid in final:
            session.add(TaskCandidate(task_id=task.id, user_id=uid))
    usernames = dict(session.execute(select(User.id, User.username).where(User.id.in_(final))).all())
    task.candidates = [usernames[uid] for uid in final if uid in usernames]
    task.queue_label = label[:300]
    return final


def _resolve_all(session: Session, instance_id: int, *, task_id: int | None = None, at=None) -> None:
    where = [InstanceProblem.instance_id == instance_id, InstanceProblem.resolved_at.is_(None)]
    if task_id:
        where.append(InstanceProblem.task_id == task_id)
    for row in session.scalars(select(InstanceProblem).where(*where)).all():
        row.resolved_at = at or clock.now()


def problem_count(session: Session, user: User) -> int:
    """Open problems in the user's scope (the badge on the supervision tabs); 0 for non-supervisors."""
    try:
        units = scope.require_supervisor(session, user)
    except Forbidden:
        return 0
    where = [InstanceProblem.resolved_at.is_(None)]
    condition = scope.unit_condition(ProcessInstance.unit_id, units)
    if condition is not None:
        where.append(condition)
    return session.scalar(select(func.count()).select_from(InstanceProblem)
                          .join(ProcessInstance, ProcessInstance.id == InstanceProblem.instance_id)
                          .where(*where)) or 0
