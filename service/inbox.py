"""The four inbox views (待办 / 已办 / 我发起的 / 抄送我的) as indexed queries over task and instance rows.

None of these loads a workflow. 待办 is the union of three small index lookups — tasks held by the user, tasks
delegated to the user, and unclaimed tasks in a queue the user belongs to — so its cost follows the size of the
user's inbox, not of the table.
"""
from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta

from sqlalchemy import and_, func, or_, select, union_all
from sqlalchemy.orm import Session, aliased

from . import clock
from .models import HumanTask, InstanceCC, ProcessDefinition, ProcessInstance, TaskCandidate, Unit, User

VIEWS = ("todo", "done", "started", "cc")
DUE_SOON = timedelta(days=2)
MAX_PER_PAGE = 100


@dataclass
class Page:
    items: list[dict]
    total: int
    page: int
    per_page: int

    @property
    def pages(self) -> int:
        return max(1, -(-self.total // self.per_page))

    def as_dict(self) -> dict:
        return {"items": self.items, "total": self.total, "page": self.page, "per_page": self.per_page}


@dataclass
class Query:
    page: int = 1
    per_page: int = 20
    sort: str = ""
    order: str = "desc"
    q: str = ""
    definition: str = ""
    overdue: bool = False

    def clamp(self) -> "Query":
        self.page = max(1, int(self.page or 1))
        self.per_page = min(MAX_PER_PAGE, max(1, int(self.per_page or 20)))
        self.order = "asc" if self.order == "asc" else "desc"
        self.q = (self.q or "").strip()[:100]
        return self


def todo_ids(user_id: int):
    """Open tasks the user can act on now."""
    return union_all(
        select(HumanTask.id).where(HumanTask.assignee_id == user_id, HumanTask.state == "open",
                                   HumanTask.delegate_id.is_(None)),
        select(HumanTask.id).where(HumanTask.delegate_id == user_id, HumanTask.state == "open"),
        select(TaskCandidate.task_id).join(HumanTask, HumanTask.id == TaskCandidate.task_id)
        .where(TaskCandidate.user_id == user_id, HumanTask.assignee_id.is_(None)),
    )


def _task_select():
    assignee = aliased(User)
    completer = aliased(User)
    return select(
        HumanTask, ProcessInstance.title, ProcessInstance.status, Unit.name, assignee.name, completer.name,
        ProcessDefinition.name,
    ).join(ProcessInstance, ProcessInstance.id == HumanTask.instance_id) \
        .join(Unit, Unit.id == HumanTask.unit_id) \
        .join(ProcessDefinition, ProcessDefinition.id == ProcessInstance.definition_id) \
        .outerjoin(assignee, assignee.id == HumanTask.assignee_id) \
        .outerjoin(completer, completer.id == HumanTask.completed_by_id)


TASK_SORTS = {"created_at": HumanTask.created_at, "due_at": HumanTask.due_at, "name": HumanTask.name,
              "title": ProcessInstance.title, "definition": HumanTask.definition_key, "unit": Unit.name,
              "completed_at": HumanTask.completed_at}


def task_item(row, now: datetime) -> dict:
    task, title, status, unit_name, assignee_name, completer_name, definition_name = row
    due = task.due_at
    return {
        "id": task.id, "name": task.name, "element_id": task.element_id, "instance_id": task.instance_id,
        "instance_title": title, "instance_status": status, "unit": unit_name, "definition": task.definition_key,
        "definition_name": definition_name, "assignee": assignee_name, "candidates": task.candidates,
        "queue": task.queue_label, "mi_item": task.mi_item, "due_at": due, "created_at": task.created_at,
        "completed_at": task.completed_at, "completed_by": completer_name, "state": task.state,
        "delegated": task.delegate_id is not None,
        "overdue": task.state == "open" and due is not None and due < now,
        "due_soon": task.state == "open" and due is not None and now <= due < now + DUE_SOON,
    }


def _apply_task_filters(stmt, query: Query, now: datetime):
    if query.q:
        like = f"%{query.q}%"
        stmt = stmt.where(or_(ProcessInstance.title.like(like), HumanTask.name.like(like),
                              ProcessInstance.case_no.like(like)))
    if query.definition:
        stmt = stmt.where(HumanTask.definition_key == query.definition)
    if query.overdue:
        stmt = stmt.where(HumanTask.state == "open", HumanTask.due_at < now)
    return stmt


def _page_of_tasks(session: Session, base_where, query: Query, default_sort: str) -> Page:
    query.clamp()
    now = clock.now()
    sort_column = TASK_SORTS.get(query.sort) or TASK_SORTS[default_sort]
    stmt = _apply_task_filters(_task_select().where(base_where), query, now)
    count_stmt = _apply_task_filters(
        select(func.count()).select_from(HumanTask).join(ProcessInstance, ProcessInstance.id == HumanTask.instance_id)
        .where(base_where), query, now)
    total = session.scalar(count_stmt) or 0
    ordering = sort_column.asc() if query.order == "asc" else sort_column.desc()
    if sort_column is HumanTask.due_at:  # tasks without a deadline go last either way
        ordering = (HumanTask.due_at.is_(None), ordering)
    else:
        ordering = (ordering,)
    rows = session.execute(stmt.order_by(*ordering, HumanTask.id.desc())
                           .offset((query.page - 1) * query.per_page).limit(query.per_page)).all()
    return Page([task_item(row, now) for row in rows], total, query.page, query.per_page)


def todo(session: Session, user: User, query: Query | None = None) -> Page:
    return _page_of_tasks(session, HumanTask.id.in_(todo_ids(user.id)), query or Query(), "created_at")


def done(session: Session, user: User, query: Query | None = None) -> Page:
    return _page_of_tasks(session, and_(HumanTask.completed_by_id == user.id, HumanTask.state == "completed"),
                          query or Query(), "completed_at")


INSTANCE_SORTS = {"started_at": ProcessInstance.started_at, "title": ProcessInstance.title,
                  "status": ProcessInstance.status, "definition": ProcessInstance.definition_key,
                  "unit": Unit.name, "updated_at": ProcessInstance.updated_at}


def instance_item(instance: ProcessInstance, unit_name: str, starter_name: str | None, definition_name: str) -> dict:
    return {
        "id": instance.id, "definition": instance.definition_key, "definition_name": definition_name,
        "version": instance.definition_version, "unit": unit_name, "title": instance.title,
        "case_no": instance.case_no, "status": instance.status, "started_by": starter_name,
        "started_at": instance.started_at, "ended_at": instance.ended_at, "current_steps": instance.current_steps,
        "updated_at": instance.updated_at,
    }


def instance_select():
    starter = aliased(User)
    return select(ProcessInstance, Unit.name, starter.name, ProcessDefinition.name) \
        .join(Unit, Unit.id == ProcessInstance.unit_id) \
        .join(ProcessDefinition, ProcessDefinition.id == ProcessInstance.definition_id) \
        .outerjoin(starter, starter.id == ProcessInstance.initiator_id)


def _page_of_instances(session: Session, base_where, query: Query) -> Page:
    query.clamp()
    stmt = instance_select().where(base_where)
    count = select(func.count()).select_from(ProcessInstance).where(base_where)
    if query.q:
        like = f"%{query.q}%"
        cond = or_(ProcessInstance.title.like(like), ProcessInstance.case_no.like(like))
        stmt, count = stmt.where(cond), count.where(cond)
    if query.definition:
        stmt = stmt.where(ProcessInstance.definition_key == query.definition)
        count = count.where(ProcessInstance.definition_key == query.definition)
    column = INSTANCE_SORTS.get(query.sort, ProcessInstance.started_at)
    ordering = column.asc() if query.order == "asc" else column.desc()
    rows = session.execute(stmt.order_by(ordering, ProcessInstance.id.desc())
                           .offset((query.page - 1) * query.per_page).limit(query.per_page)).all()
    return Page([instance_item(*row) for row in rows], session.scalar(count) or 0, query.page, query.per_page)


def started(session: Session, user: User, query: Query | None = None) -> Page:
    return _page_of_instances(session, ProcessInstance.initiator_id == user.id, query or Query())


def cc(session: Session, user: User, query: Query | None = None) -> Page:
    copied = select(InstanceCC.instance_id).where(InstanceCC.user_id == user.id)
    return _page_of_instances(session, ProcessInstance.id.in_(copied), query or Query())


def counts(session: Session, user: User) -> dict[str, int]:
    """Badge numbers on the tabs."""
    return {
        "todo": session.scalar(select(func.count()).select_from(todo_ids(user.id).subquery())) or 0,
        "done": session.scalar(select(func.count()).select_from(HumanTask).where(
            HumanTask.completed_by_id == user.id, HumanTask.state == "completed")) or 0,
        "started": session.scalar(select(func.count()).select_from(ProcessInstance).where(
            ProcessInstance.initiator_id == user.id)) or 0,
        "cc": session.scalar(select(func.count()).select_from(InstanceCC).where(InstanceCC.user_id == user.id)) or 0,
    }


def view(session: Session, user: User, name: str, query: Query | None = None) -> Page:
    return {"todo": todo, "done": done, "started": started, "cc": cc}[name](session, user, query)
