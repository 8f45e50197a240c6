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
from .models import HumanTask, InstanceProblem, ProcessDefinition, ProcessInstance, TaskCandidate, User
from .sandbox import SandboxError, evaluate


@dataclass
class SyncResult:
    opened: list[HumanTask] = field(default_factory=list)
    closed: list[HumanTask] = field(default_factory=list)
    current_steps: str = ""  # names of the open steps, for lists ("where it stands")
    names: dict[int, str] = field(default_factory=dict)  # display names of the people the opened rows name


@dataclass
class _Opening:
    """One task about to get its row: resolved before the lookups that all opened tasks share."""
    task: object
    extensions: dict
    expression: str
    label: str
    user_ids: list[int]
    problems: list[str]
    due_at: datetime | None
    final_ids: list[int] = field(default_factory=list)
    proxy_for: list[int] = field(default_factory=list)


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
_PEOPLE = select(User.id, User.username, User.name).where(User.id.in_(bindparam("ids", expanding=True)))
# RETURNING order is not promised for a multi-row insert: each id comes back with its SpiffWorkflow task id.
_INSERT_TASKS = insert(HumanTask).returning(HumanTask.spiff_task_id, HumanTask.id)
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
        self.names: dict[int, str] = {}

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
        result.opened = self._open_all([task for spiff_id, task in ready.items() if spiff_id not in have])
        result.names = self.names
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
    def _open_all(self, tasks: list) -> list[HumanTask]:
        """Open rows for every task the step made READY, with the lookups shared: a multi-instance step that
        opens one task per member costs the same few queries as a step that opens one (names, proxies, the
        inserts and the notices each once), not a few per member."""
        if not tasks:
            return []
        hows = [self._assignment(task) for task in tasks]
        self._resolver.prefetch((how.terms, self._scope(task)) for task, how in zip(tasks, hows))
        plans = [self._plan(task, how) for task, how in zip(tasks, hows)]
        wanted = list(dict.fromkeys(uid for plan in plans for uid in plan.user_ids))
        deputies = apply_proxies(self.session, wanted, self.now)
        for plan in plans:
            plan.final_ids = list(dict.fromkeys(deputies.get(uid, uid) for uid in plan.user_ids))
            plan.proxy_for = [uid for uid in plan.user_ids if uid in deputies]
        people = {uid: (username, name) for uid, username, name in self.conn.execute(
            _PEOPLE, {"ids": list({*wanted, *deputies.values()})}).all()} if wanted else {}
        self.names.update({uid: name for uid, (_, name) in people.items()})
        values = [self._row_values(plan, people, deputies) for plan in plans]
        # Plain inserts, then the rows join the session as already persistent: an ORM flush here would cost more
        # than the rest of the step. One statement for all rows.
        ids = dict(self.conn.execute(_INSERT_TASKS, values).all())
        opened = []
        for row_values in values:
            row = HumanTask(id=ids[row_values["spiff_task_id"]], **row_values)
            make_transient_to_detached(row)
            self.session.add(row)
            opened.append(row)
        self._write_extras(plans, opened)
        return opened

    def _assignment(self, task):
        spec = task.task_spec
        return task_assignment(getattr(spec, "extensions", None) or {}, spec.lane, self.definition.lanes or {})

    def _plan(self, task, how) -> _Opening:
        """Who the task is for and when it is due, before any per-person lookup."""
        extensions = getattr(task.task_spec, "extensions", None) or {}
        resolution = self._resolver.resolve(how.terms, self._scope(task))
        user_ids, problems = resolution.user_ids, list(resolution.problems)
        if str(task.id) in self.assign_to:
            user_ids, problems = [self.assign_to[str(task.id)]], []
        try:
            due_at = compute_due(extensions.get("dueDate"), task.data, self.now)
        except (SandboxError, ValueError, TypeError, KeyError) as err:
            due_at = None
            problems.append(f"期限计算失败: {err}")
        return _Opening(task, extensions, how.expression, resolution.label, user_ids, problems, due_at)

    def _row_values(self, plan: _Opening, people: dict, deputies: dict[int, int]) -> dict:
        spec, final_ids = plan.task.task_spec, plan.final_ids
        return dict(
            instance_id=self.instance.id, spiff_task_id=str(plan.task.id), element_id=spec.bpmn_id,
            name=(spec.bpmn_name or spec.bpmn_id)[:300], lane=spec.lane, form_key=form_id(plan.extensions),
            definition_key=self.instance.definition_key, unit_id=self.instance.unit_id, state="open",
            assignment=plan.expression[:300], queue_label=plan.label[:300], created_at=self.now,
            due_at=plan.due_at, mi_item=_mi_item(plan.task),
            candidates=[people[uid][0] for uid in final_ids if uid in people],
            assignee_id=final_ids[0] if len(final_ids) == 1 else None,
            original_assignee_id=plan.user_ids[0] if len(final_ids) == 1 and plan.user_ids[0] in deputies else None,
            completed_at=None, completed_by_id=None, data=None, delegate_id=None, delegate_data=None,
            escalated_at=None, reminded_at=None,  # every column set: nothing is left to lazy-load later
        )

    def _write_extras(self, plans: list[_Opening], opened: list[HumanTask]) -> None:
        """Queue rows, assignment problems, audit events and notices of the opened rows, a statement each."""
        candidates, problems, notices = [], [], []
        for plan, row in zip(plans, opened):
            if len(plan.final_ids) > 1:
                candidates += [{"task_id": row.id, "user_id": uid} for uid in plan.final_ids]
            if not plan.final_ids:
                plan.problems.insert(0, f"“{row.name}”没有找到办理人（{plan.expression}）")
            problems += [{"instance_id": self.instance.id, "kind": "assignment", "element_id": row.element_id,
                          "task_id": row.id, "message": message, "created_at": self.now} for message in plan.problems]
            audit.append(self.session, "task.created", actor=self.actor, instance_id=self.instance.id, task_id=row.id,
                         element_id=row.element_id,
                         payload={"name": row.name, "assignee": row.candidates[0] if row.assignee_id else None,
                                  "candidates": row.candidates if not row.assignee_id else [],
                                  "due_at": row.due_at.isoformat() if row.due_at else None,
                                  "problems": plan.problems, "proxy_for": plan.proxy_for})
            if plan.final_ids and str(plan.task.id) not in self.assign_to:  # a reassigning command says why itself
                notices.append((plan.final_ids, f"新待办：{row.name}（{self.instance.title}）", row.id))
        if candidates:
            self.conn.execute(insert(TaskCandidate), candidates)
        if problems:
            self.conn.execute(insert(InstanceProblem), problems)
        notify.notify_each(self.session, "task.new", notices, instance_id=self.instance.id)

    def _scope(self, task) -> InstanceScope:
        return InstanceScope(self.instance.unit_id, None, self.instance.initiator_id, task.data)


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
