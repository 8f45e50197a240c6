"""The four inbox views (待办 / 已办 / 我发起的 / 抄送我的) as indexed queries over task and instance rows.

None of these loads a workflow. 待办 is the union of three small index lookups — tasks held by the user, tasks
delegated to the user, and unclaimed tasks in a queue the user belongs to — so its cost follows the size of the
user's inbox, not of the table.
"""
from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta

from functools import lru_cache

from sqlalchemy import and_, bindparam, func, or_, select, union_all
from sqlalchemy.orm import Session, aliased

from . import clock
from .models import HumanTask, InstanceCC, ProcessDefinition, ProcessInstance, TaskCandidate, Unit, User

VIEWS = ("todo", "done", "started", "cc")
DUE_SOON = timedelta(days=2)
MAX_PER_PAGE = 100
# Lists count at most this many rows: past it the total says "10,000+" (`total_capped`), so a count never reads a
# whole table — a person's or a supervisor's list costs the same at a million cases as at ten thousand.
COUNT_CAP = 10_000


@dataclass
class Page:
    items: list[dict]
    total: int
    page: int
    per_page: int
    total_capped: bool = False   # there are more than `total` (which is then COUNT_CAP)

    @property
    def pages(self) -> int:
        return max(1, -(-self.total // self.per_page))

    def as_dict(self) -> dict:
        return {"items": self.items, "total": self.total, "total_capped": self.total_capped, "page": self.page,
                "per_page": self.per_page}


def capped_count(stmt):
    """`SELECT count(*)` of at most COUNT_CAP + 1 rows of `stmt` (a SELECT of one column)."""
    return select(func.count()).select_from(stmt.limit(COUNT_CAP + 1).subquery())


def total_of(counted: int) -> tuple[int, bool]:
    return (COUNT_CAP, True) if counted > COUNT_CAP else (counted, False)


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


def queue_ids(user_id):
    """Unclaimed tasks in a group queue the user belongs to: read from the user's queue rows (which exist only while
    the task is open), each task then found by its key — never from the far larger set of all unclaimed tasks."""
    return select(TaskCandidate.task_id).join(HumanTask, HumanTask.id == TaskCandidate.task_id) \
        .where(TaskCandidate.user_id == user_id, HumanTask.assignee_id.is_(None))


def todo_ids(user_id):
    """Open tasks the user can act on now (`user_id` may be a bound parameter)."""
    return union_all(
        select(HumanTask.id).where(HumanTask.assignee_id == user_id, HumanTask.state == "open",
                                   HumanTask.delegate_id.is_(None)),
        select(HumanTask.id).where(HumanTask.delegate_id == user_id, HumanTask.state == "open"),
        queue_ids(user_id),
    )


_ASSIGNEE, _COMPLETER = aliased(User), aliased(User)
_TASK_COLUMNS = (
    HumanTask.id, HumanTask.name, HumanTask.element_id, HumanTask.instance_id, HumanTask.definition_key,
    HumanTask.candidates, HumanTask.queue_label, HumanTask.mi_item, HumanTask.due_at, HumanTask.created_at,
    HumanTask.completed_at, HumanTask.state, HumanTask.delegate_id,
    ProcessInstance.title.label("instance_title"), ProcessInstance.status.label("instance_status"),
    Unit.name.label("unit"), _ASSIGNEE.name.label("assignee"), _COMPLETER.name.label("completed_by"),
    ProcessDefinition.name.label("definition_name"),
)
_USER = bindparam("user")
_VIEW_WHERE = {
    "todo": HumanTask.id.in_(todo_ids(_USER)),
    "queue": HumanTask.id.in_(queue_ids(_USER)),
    "done": and_(HumanTask.completed_by_id == _USER, HumanTask.state == "completed"),
}
TASK_SORTS = {"created_at": HumanTask.created_at, "due_at": HumanTask.due_at, "name": HumanTask.name,
              "title": ProcessInstance.title, "definition": HumanTask.definition_key, "unit": Unit.name,
              "completed_at": HumanTask.completed_at}


def task_item(row, now: datetime) -> dict:
    due, state = row.due_at, row.state
    return {
        "id": row.id, "name": row.name, "element_id": row.element_id, "instance_id": row.instance_id,
        "instance_title": row.instance_title, "instance_status": row.instance_status, "unit": row.unit,
        "definition": row.definition_key, "definition_name": row.definition_name, "assignee": row.assignee,
        "candidates": row.candidates, "queue": row.queue_label, "mi_item": row.mi_item, "due_at": due,
        "created_at": row.created_at, "completed_at": row.completed_at, "completed_by": row.completed_by,
        "state": state, "delegated": row.delegate_id is not None,
        "overdue": state == "open" and due is not None and due < now,
        "due_soon": state == "open" and due is not None and now <= due < now + DUE_SOON,
    }


def _filtered(stmt, has_q: bool, has_definition: bool, overdue: bool):
    if has_q:
        like = bindparam("like")
        stmt = stmt.where(or_(ProcessInstance.title.like(like), HumanTask.name.like(like),
                              ProcessInstance.case_no.like(like)))
    if has_definition:
        stmt = stmt.where(HumanTask.definition_key == bindparam("definition"))
    if overdue:
        stmt = stmt.where(HumanTask.state == "open", HumanTask.due_at < bindparam("now"))
    return stmt


@lru_cache(maxsize=256)
def _task_statements(view: str, sort: str, order: str, has_q: bool, has_definition: bool, overdue: bool):
    """(page, count) statements for one shape of inbox query, built once; the values are bound per call.

    The page and the count are chosen from the task rows alone (joined to their case only to search or sort by its
    title, to the unit only to sort by its name), ordered and cut to one page; only that page's rows are then joined to their
    case, unit, process and people. A person's inbox may hold hundreds of open tasks; the joins cost 20, not
    hundreds."""
    where = _VIEW_WHERE[view]
    column = TASK_SORTS[sort]
    ordering = column.asc() if order == "asc" else column.desc()
    orderings = (HumanTask.due_at.is_(None), ordering) if column is HumanTask.due_at else (ordering,)
    chosen = select(HumanTask.id).where(where)
    if has_q or column is ProcessInstance.title:  # the case's title and number
        chosen = chosen.join(ProcessInstance, ProcessInstance.id == HumanTask.instance_id)
    if column is Unit.name:
        chosen = chosen.join(Unit, Unit.id == HumanTask.unit_id)
    chosen = _filtered(chosen, has_q, has_definition, overdue)
    count = capped_count(chosen)
    chosen = chosen.order_by(*orderings, HumanTask.id.desc()).limit(bindparam("limit")).offset(bindparam("offset")) \
        .subquery("page")
    page = select(*_TASK_COLUMNS) \
        .join(chosen, chosen.c.id == HumanTask.id) \
        .join(ProcessInstance, ProcessInstance.id == HumanTask.instance_id) \
        .join(Unit, Unit.id == HumanTask.unit_id) \
        .join(ProcessDefinition, ProcessDefinition.id == ProcessInstance.definition_id) \
        .outerjoin(_ASSIGNEE, _ASSIGNEE.id == HumanTask.assignee_id) \
        .outerjoin(_COMPLETER, _COMPLETER.id == HumanTask.completed_by_id) \
        .order_by(*orderings, HumanTask.id.desc())
    return page, count


def _page_of_tasks(session: Session, view: str, user: User, query: Query, default_sort: str) -> Page:
    query.clamp()
    now = clock.now()
    sort = query.sort if query.sort in TASK_SORTS else default_sort
    page_stmt, count_stmt = _task_statements(view, sort, query.order, bool(query.q), bool(query.definition),
                                             bool(query.overdue))
    params = {"user": user.id, "limit": query.per_page, "offset": (query.page - 1) * query.per_page}
    if query.q:
        params["like"] = f"%{query.q}%"
    if query.definition:
        params["definition"] = query.definition
    if query.overdue:
        params["now"] = now
    conn = session.connection()
    total, capped = total_of(conn.execute(count_stmt, params).scalar() or 0)
    rows = conn.execute(page_stmt, params).all()
    return Page([task_item(row, now) for row in rows], total, query.page, query.per_page, total_capped=capped)


def todo(session: Session, user: User, query: Query | None = None) -> Page:
    return _page_of_tasks(session, "todo", user, query or Query(), "created_at")


def queue(session: Session, user: User, query: Query | None = None) -> Page:
    """The unclaimed tasks waiting in the group queues the user belongs to (a part of 待办)."""
    return _page_of_tasks(session, "queue", user, query or Query(), "created_at")


def done(session: Session, user: User, query: Query | None = None) -> Page:
    return _page_of_tasks(session, "done", user, query or Query(), "completed_at")


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
    count = select(ProcessInstance.id).where(base_where)
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
    total, capped = total_of(session.scalar(capped_count(count)) or 0)
    return Page([instance_item(*row) for row in rows], total, query.page, query.per_page, total_capped=capped)


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
