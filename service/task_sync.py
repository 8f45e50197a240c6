"""Keep the human-task rows in step with the workflow after every command.

The inbox reads only these rows. After the engine ran, each READY manual task must have exactly one open row
(created here, with its assignment resolved once), and every open row whose task is no longer READY is closed:
completed when the engine completed it, cancelled when a boundary event, a send-back or a cancel removed it.
"""
from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime

from SpiffWorkflow.bpmn.specs.mixins.multiinstance_task import MultiInstanceTask
from SpiffWorkflow.bpmn.specs.event_definitions.timer import TimerEventDefinition
from SpiffWorkflow.util.task import TaskState
from sqlalchemy import bindparam, delete, insert, select
from sqlalchemy.orm import make_transient_to_detached
from sqlalchemy.orm import Session

from . import audit, notify, rows, runtime, timefns
from .assignment import InstanceScope, Resolver, apply_proxies, task_assignment
from .bpmn.inspect import FORM_KEY_PREFIXES
from .bpmn.parser import ISO_LITERAL
from .models import HumanTask, InstanceProblem, ProcessDefinition, ProcessInstance, TaskCandidate, Unit, User
from .sandbox import SandboxError, evaluate


@dataclass
class SyncResult:
    opened: list[HumanTask] = field(default_factory=list)
    closed: list[HumanTask] = field(default_factory=list)
    current_steps: str = ""  # names of the open steps, for lists ("where it stands")


def form_id(extensions: dict) -> str | None:
    if extensions.get("formRef"):
        return extensions["formRef"]
    key = extensions.get("formKey") or ""
    for prefix in FORM_KEY_PREFIXES:
        if key.startswith(prefix):
            return key[len(prefix):]
    return None


def compute_due(expression: str | None, data: dict, now: datetime) -> datetime | None:
    """`camunda:dueDate`: an ISO date-time, an ISO duration from now, or a sandbox expression."""
    if not expression:
        return None
    text = expression.strip()
    if text.startswith("${") and text.endswith("}"):
        text = text[2:-1].strip()
    if ISO_LITERAL.match(text):
        if text.upper().startswith("P"):
            parsed = TimerEventDefinition.parse_iso_duration(text)
            return now + TimerEventDefinition.get_timedelta_from_start(parsed, now)
        return timefns.parse_datetime(text)
    value = evaluate(text, data)
    return None if value in (None, "") else timefns.parse_datetime(value)


_OPEN_ROWS = select(HumanTask).where(HumanTask.instance_id == bindparam("instance"), HumanTask.state == "open")
_USERNAMES = select(User.id, User.username).where(User.id.in_(bindparam("ids", expanding=True)))
_UNIT_PATH = select(Unit.path).where(Unit.id == bindparam("id"))
_INSERT_TASK = insert(HumanTask).returning(HumanTask.id)
_DROP_CANDIDATES = delete(TaskCandidate).where(TaskCandidate.task_id == bindparam("task"))


class TaskSync:
    def __init__(self, session: Session, instance: ProcessInstance, definition: ProcessDefinition,
                 actor: User | None, now: datetime, assign_to: dict[str, int] | None = None):
        """`assign_to` maps SpiffWorkflow task ids to a user who gets the task directly, whatever the diagram's
        assignment says: a step reopened by a send-back or a withdrawal goes back to whoever did it before."""
        self.session, self.instance, self.definition, self.actor, self.now = session, instance, definition, actor, now
        self.assign_to = assign_to or {}
        self.conn = session.connection()  # plain Core statements: the ORM layer costs more than the SQL here
        self._resolver = Resolver(session)
        self._scope_unit: str | None = None  # the unit's path

    def run(self, workflow) -> SyncResult:
        result = SyncResult()
        ready = {str(task.id): task for task in runtime.ready_human_tasks(workflow)}
        open_rows = self.session.scalars(_OPEN_ROWS, {"instance": self.instance.id}).all()
        have = set()
        for row in open_rows:
            if row.spiff_task_id in ready:
                have.add(row.spiff_task_id)
                continue
            self._close(row, workflow)
            result.closed.append(row)
        for spiff_id, task in ready.items():
            if spiff_id not in have:
                result.opened.append(self._open(task))
        names = [row.name for row in open_rows if row.state == "open"] + [row.name for row in result.opened]
        result.current_steps = "、".join(dict.fromkeys(names))[:500]  # the caller writes it with the instance
        return result

    # -- closing -----------------------------------------------------------------------------------------------
    def _close(self, row: HumanTask, workflow) -> None:
        task = runtime.find_task(workflow, row.spiff_task_id)
        completed = task is not None and task.state == TaskState.COMPLETED
        rows.write_back(self.session, row, state="completed" if completed else "cancelled",
                        completed_at=row.completed_at or self.now)
        if row.assignee_id is None or len(row.candidates or []) > 1:  # queue rows exist only for queued tasks
            self.conn.execute(_DROP_CANDIDATES, {"task": row.id})
        if not completed:
            audit.append(self.session, "task.cancelled", actor=self.actor, instance_id=self.instance.id,
                         task_id=row.id, element_id=row.element_id, payload={"name": row.name})

    # -- opening -----------------------------------------------------------------------------------------------
    def _open(self, task) -> HumanTask:
        spec = task.task_spec
        extensions = getattr(spec, "extensions", None) or {}
        how = task_assignment(extensions, spec.lane, self.definition.lanes or {})
        resolution = self._resolver.resolve(how.terms, self._scope(task))
        user_ids = resolution.user_ids
        if str(task.id) in self.assign_to:
            user_ids, resolution.problems = [self.assign_to[str(task.id)]], []
        deputies = apply_proxies(self.session, user_ids, self.now)
        problems = list(resolution.problems)
        try:
            due_at = compute_due(extensions.get("dueDate"), task.data, self.now)
        except (SandboxError, ValueError, TypeError, KeyError) as err:
            due_at = None
            problems.append(f"期限计算失败: {err}")
        final_ids = list(dict.fromkeys(deputies.get(uid, uid) for uid in user_ids))
        usernames = dict(self.conn.execute(_USERNAMES, {"ids": final_ids}).all()) if final_ids else {}
        name = (spec.bpmn_name or spec.bpmn_id)[:300]
        values = dict(
            instance_id=self.instance.id, spiff_task_id=str(task.id), element_id=spec.bpmn_id, name=name,
            lane=spec.lane, form_key=form_id(extensions), definition_key=self.instance.definition_key,
            unit_id=self.instance.unit_id, state="open", assignment=how.expression[:300],
            queue_label=resolution.label[:300], created_at=self.now, due_at=due_at, mi_item=_mi_item(task),
            candidates=[usernames[uid] for uid in final_ids if uid in usernames],
            assignee_id=final_ids[0] if len(final_ids) == 1 else None,
            original_assignee_id=user_ids[0] if len(final_ids) == 1 and user_ids[0] in deputies else None,
            completed_at=None, completed_by_id=None, data=None, delegate_id=None, delegate_data=None,
            escalated_at=None, reminded_at=None,  # every column set: nothing is left to lazy-load later
        )
        # A plain insert, then the row joins the session as already persistent: an ORM flush here would cost more
        # than the rest of the step.
        row = HumanTask(id=self.conn.execute(_INSERT_TASK, values).scalar_one(), **values)
        make_transient_to_detached(row)
        self.session.add(row)
        if len(final_ids) > 1:
            self.conn.execute(insert(TaskCandidate), [{"task_id": row.id, "user_id": uid} for uid in final_ids])
        if not final_ids:
            problems.insert(0, f"“{row.name}”没有找到办理人（{how.expression}）")
        if problems:
            self.conn.execute(insert(InstanceProblem), [
                {"instance_id": self.instance.id, "kind": "assignment", "element_id": row.element_id,
                 "task_id": row.id, "message": message, "created_at": self.now} for message in problems])
        audit.append(self.session, "task.created", actor=self.actor, instance_id=self.instance.id, task_id=row.id,
                     element_id=row.element_id,
                     payload={"name": row.name, "assignee": row.candidates[0] if row.assignee_id else None,
                              "candidates": row.candidates if not row.assignee_id else [],
                              "due_at": row.due_at.isoformat() if row.due_at else None, "problems": problems,
                              "proxy_for": [u for u in user_ids if u in deputies]})
        if final_ids and str(task.id) not in self.assign_to:  # the command that reassigned it says why itself
            notify.notify(self.session, final_ids, "task.new", f"新待办：{row.name}（{self.instance.title}）",
                          instance_id=self.instance.id, task_id=row.id)
        return row

    def _scope(self, task) -> InstanceScope:
        if self._scope_unit is None:
            self._scope_unit = self.conn.execute(_UNIT_PATH, {"id": self.instance.unit_id}).scalar_one()
        return InstanceScope(self.instance.unit_id, self._scope_unit, self.instance.initiator_id, task.data)


def _mi_item(task) -> str | None:
    parent = task.parent
    if parent is None or not isinstance(parent.task_spec, MultiInstanceTask):
        return None
    item_ref = parent.task_spec.input_item
    value = task.data.get(item_ref.bpmn_id) if item_ref is not None else task.internal_data.get("item")
    if isinstance(value, (str, int, float)):
        return str(value)[:200]
    if isinstance(value, dict):
        for key in ("name", "title", "username", "owner", "problem"):
            if isinstance(value.get(key), str):
                return value[key][:200]
    return None
