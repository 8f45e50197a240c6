"""The cases a person may see, as one paginated query (the API's `GET /instances`, the supervisor's case list).

Two scopes share the filters:

- ``visible`` (the API): the rule of ``service.access`` turned into a set — the instances the user started, took
  part in (held, completed, was delegated or proxied a task), sits in the queue of, was copied on, or whose unit
  lies in a subtree they supervise; admins see everything. It is a UNION of small index lookups keyed by the user
  (and, for a supervisor, their units), so its cost follows the user's share of the table rather than its size.
- ``supervised`` (the case list, the exports, the dashboard's links): only the cases whose unit lies in a subtree
  the user supervises (``service.scope``), never the cases they merely took part in elsewhere.

Every filter is answered by an index (migration 0004 adds the ones marked *): the units → ``(unit_id, started_at)``*,
with status ``(unit_id, status, started_at)``, with process ``(unit_id, definition_key, started_at)``*; status alone
→ ``(status, started_at)``; process alone → ``(definition_key, started_at)``; the date range and the default order
→ ``(started_at, id)``*; overdue and current step are semi-joins answered from ``(state, due_at, unit_id,
instance_id)``* and ``(state, element_id, unit_id, instance_id)``* alone; the holder filter goes through
``(assignee_id, state, created_at)``, ``delegate_id`` and the queue's ``(user_id, task_id)``. The text filter
matches the title anywhere and the case number from its start; it narrows the rows the other conditions selected
(a substring cannot use a B-tree). Pages are OFFSET pages over that index order; the count runs the same
conditions. ``tests/unit/test_cases_scale.py`` checks the plans at 100,000 cases. Nothing here loads a workflow.
"""
from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime, time, timedelta
from typing import Iterator

from sqlalchemy import exists, func, literal_column, or_, select, union, union_all
from sqlalchemy.orm import Session, defer

from . import clock, counters, definitions, diagram, scope
from .errors import ValidationFailed
from . import inbox
from .inbox import INSTANCE_SORTS, MAX_PER_PAGE, Page, instance_item, instance_select
from .models import HumanTask, InstanceCC, Membership, ProcessInstance, TaskCandidate, Unit, User
from .models.instances import INSTANCE_STATUSES

SCOPES = ("visible", "supervised")
MAX_EXPORT = 200_000
EXPORT_BATCH = 500


@dataclass
class CaseFilters:
    status: str = ""
    unit: str = ""            # unit code
    subtree: bool = False     # with `unit`: include the units below it
    definition: str = ""      # definition key
    overdue: bool = False     # has an open task past its deadline
    step: str = ""            # element id of an open step
    assignee: str = ""        # username holding (or queued for, or delegated) an open task
    q: str = ""               # text in the title, or the start of the case number
    date_from: date | str | None = None   # started on or after this day (Asia/Shanghai)
    date_to: date | str | None = None     # started on or before this day (Asia/Shanghai)
    sort: str = "started_at"
    order: str = "desc"
    page: int = 1
    per_page: int = 20
    scope: str = "visible"

    def clamp(self) -> "CaseFilters":
        self.page = max(1, int(self.page or 1))
        self.per_page = min(MAX_PER_PAGE, max(1, int(self.per_page or 20)))
        self.order = "asc" if self.order == "asc" else "desc"
        self.status = (self.status or "").strip()
        self.unit = (self.unit or "").strip()
        self.definition = (self.definition or "").strip()
        self.step = (self.step or "").strip()
        self.assignee = (self.assignee or "").strip()
        self.q = (self.q or "").strip()[:100]
        self.date_from = _day(self.date_from, "from")
        self.date_to = _day(self.date_to, "to")
        if self.status and self.status not in INSTANCE_STATUSES:
            raise ValidationFailed("未知的流程状态", {"status": f"应为 {', '.join(INSTANCE_STATUSES)} 之一"})
        if self.date_from and self.date_to and self.date_from > self.date_to:
            raise ValidationFailed("日期范围有误", {"from": "开始日期不能晚于结束日期"})
        if self.sort not in INSTANCE_SORTS:
            self.sort = "started_at"
        if self.scope not in SCOPES:
            self.scope = "visible"
        return self

    @property
    def filtered(self) -> bool:
        return any((self.status, self.unit, self.definition, self.overdue, self.step, self.assignee, self.q,
                    self.date_from, self.date_to))


def _day(value, field: str) -> date | None:
    if value in (None, ""):
        return None
    if isinstance(value, datetime):
        return value.date()
    if isinstance(value, date):
        return value
    try:
        return date.fromisoformat(str(value).strip()[:10])
    except ValueError:
        raise ValidationFailed("日期格式有误", {field: "应为 YYYY-MM-DD"}) from None


def local_day_start(day: date) -> datetime:
    """Midnight of a day in Asia/Shanghai, as an aware datetime (compared with UTC columns)."""
    return datetime.combine(day, time.min, clock.SHANGHAI)


# -- scope -----------------------------------------------------------------------------------------------------------

def _participation(uid: int) -> list:
    """Instances the user started, took part in, sits in the queue of, or was copied on: one index lookup each.

    Mirrors ``access.can_view_instance`` branch by branch (supervision is added by ``_visible_branches``); keep
    the two in step."""
    return [
        select(ProcessInstance.id).where(ProcessInstance.initiator_id == uid),
        select(HumanTask.instance_id).where(HumanTask.assignee_id == uid),
        select(HumanTask.instance_id).where(HumanTask.completed_by_id == uid),
        select(HumanTask.instance_id).where(HumanTask.delegate_id == uid),
        select(HumanTask.instance_id).where(HumanTask.original_assignee_id == uid),
        select(HumanTask.instance_id).join(TaskCandidate, TaskCandidate.task_id == HumanTask.id)
        .where(TaskCandidate.user_id == uid),
        select(InstanceCC.instance_id).where(InstanceCC.user_id == uid),
    ]


def _unit_set(session: Session, user: User, filters: CaseFilters) -> list[int] | None:
    """The units the cases may belong to: the supervised subtrees (supervised scope) narrowed by the unit filter;
    None when any unit will do. One list, so the instance query and the task semi-joins both seek by unit."""
    units = None
    if filters.scope == "supervised" and not user.is_admin:
        units = scope.supervised_unit_ids(session, user) or []
    if filters.unit:
        unit = session.scalar(select(Unit).where(Unit.code == filters.unit))
        if unit is None:
            raise ValidationFailed("单位不存在", {"unit": f"未知单位 {filters.unit}"})
        chosen = scope.units_under(session, [unit.path]) if filters.subtree else [unit.id]
        units = chosen if units is None else sorted(set(units) & set(chosen))
    return units


def _visible_branches(session: Session, user: User) -> list[list]:
    """The API's scope for a non-admin, as alternatives: the cases they took part in (small per-user lookups) and,
    for a supervisor, their supervised units (the unit index). Kept apart — and UNIONed in ``list_statements``
    — because an OR of the two would leave each database only a full pass to answer it."""
    took_part = [ProcessInstance.id.in_(union(*_participation(user.id)))]
    supervised = scope.supervised_unit_ids(session, user)
    return [took_part, [ProcessInstance.unit_id.in_(supervised)]] if supervised else [took_part]


# -- filters ---------------------------------------------------------------------------------------------------------

def _open_tasks(*conditions):
    return select(HumanTask.instance_id).where(HumanTask.state == "open", *conditions)


def _held_by(user_id: int):
    """Instances with an open task the user holds, works on as delegate, or may claim from a queue."""
    return union(
        _open_tasks(HumanTask.assignee_id == user_id),
        _open_tasks(HumanTask.delegate_id == user_id),
        select(HumanTask.instance_id).join(TaskCandidate, TaskCandidate.task_id == HumanTask.id)
        .where(TaskCandidate.user_id == user_id, HumanTask.assignee_id.is_(None)),
    )


@dataclass
class _Where:
    """A list query's conditions, apart by role: `units` (None: any), the other `conditions` every case meets,
    `scopes` (alternatives of which a case meets one: the API's took-part / supervises), and `overdue` (the arms
    of the overdue filter, see ``service.counters``), or None without that filter."""
    units: list[int] | None
    conditions: list
    scopes: list[list]
    overdue: list[list] | None
    count_parts: tuple[list, list, list] | None

    def unit_condition(self, ordered_walk: bool = False) -> list:
        """`unit_id IN (...)`. For a page on SQLite over several units, as `unit_id + 0 IN (...)`: that keeps its
        planner from reading every case of those units through the unit index and sorting them all, when walking
        an index already in the list's order finds the first page after a few dozen rows."""
        if self.units is None:
            return []
        column = ProcessInstance.unit_id + 0 if ordered_walk and len(self.units) > 1 else ProcessInstance.unit_id
        return [scope.unit_condition(column, self.units)]


def _conditions(session: Session, user: User, filters: CaseFilters, now: datetime) -> _Where:
    units = _unit_set(session, user, filters)
    conditions, on_tasks = [], []
    if units is not None:
        on_tasks.append(scope.unit_condition(HumanTask.unit_id, units))  # a task's unit is its case's unit
    if filters.status:
        conditions.append(ProcessInstance.status == filters.status)
    if filters.definition:
        conditions.append(ProcessInstance.definition_key == filters.definition)
    if filters.step:
        conditions.append(ProcessInstance.id.in_(_open_tasks(HumanTask.element_id == filters.step, *on_tasks)))
    if filters.assignee:
        holder = session.scalar(select(User.id).where(User.username == filters.assignee))
        if holder is None:
            raise ValidationFailed("用户不存在", {"assignee": f"未知用户 {filters.assignee}"})
        conditions.append(ProcessInstance.id.in_(_held_by(holder)))
    if filters.q:
        conditions.append(or_(ProcessInstance.title.icontains(filters.q, autoescape=True),
                              ProcessInstance.case_no.istartswith(filters.q, autoescape=True)))
    if filters.date_from:
        conditions.append(ProcessInstance.started_at >= local_day_start(filters.date_from))
    if filters.date_to:
        conditions.append(ProcessInstance.started_at < local_day_start(filters.date_to + timedelta(days=1)))
    scopes = _visible_branches(session, user) if filters.scope == "visible" and not user.is_admin else [[]]
    # the overdue arms read the few unmarked or moved late tasks through their partial indexes, checking each one's
    # unit, rather than every open task of the units
    checked = [] if units is None else [scope.unit_filter(HumanTask.unit_id, units)]
    overdue, parts = counters.overdue_filter(session, now, checked) if filters.overdue else (None, None)
    return _Where(units, conditions, scopes, overdue, parts)


def list_statements(session: Session, user: User, filters: CaseFilters, now: datetime | None = None,
                    export: int | None = None):
    """The statements behind one page (also what the query-plan tests explain): the page's ids in order, and the
    count. Only (id, sort key) pairs are sorted and skipped — from index entries where the order has an index —
    and the page's rows are then read by primary key, so a wide row (the serialized workflow) never enters a sort.

    Alternatives (the API's scopes, the overdue filter's two arms) become a compound SELECT of index-served
    branches, each carrying its sort key and limited to the rows the page needs, then ordered and limited as a
    whole — the top rows of a union are among the top rows of its branches, and no branch reads past them.
    `export`: every row up to that many, from the first (``iter_cases``).

    The count reads at most ``inbox.COUNT_CAP + 1`` rows (see ``count_of``): one row (raw, minus, plus), the overdue
    filter's cases with a marked task counted without confirming each and corrected by two small sets."""
    filters.clamp()
    where = _conditions(session, user, filters, now or clock.now())
    column = INSTANCE_SORTS[filters.sort]
    walk = session.get_bind().dialect.name == "sqlite" and filters.sort == "started_at"
    page_where = [*where.unit_condition(ordered_walk=walk), *where.conditions]
    count_where = [*where.unit_condition(), *where.conditions]
    arms = where.overdue or [[]]
    branches = [scope_ + arm for scope_ in where.scopes for arm in arms]

    def branch(extra: list, conditions: list):
        stmt = select(ProcessInstance.id.label("id"), column.label("sort_key")).where(*conditions, *extra)
        return stmt.join(Unit, Unit.id == ProcessInstance.unit_id) if filters.sort == "unit" else stmt

    def capped(stmt):
        return select(func.count()).select_from(stmt.limit(inbox.COUNT_CAP + 1).subquery()).scalar_subquery()

    zero = literal_column("0")
    offset, limit = (filters.page - 1) * filters.per_page, filters.per_page
    if export is not None:
        offset, limit = 0, export
    if len(branches) == 1:
        key, tie = column, ProcessInstance.id
        ordering = (key.asc(), tie.asc()) if filters.order == "asc" else (key.desc(), tie.desc())
        page_ids = branch(branches[0], page_where).with_only_columns(ProcessInstance.id) \
            .order_by(*ordering).offset(offset).limit(limit)
        count = select(capped(select(ProcessInstance.id).where(*count_where, *branches[0])).label("raw"),
                       zero.label("minus"), zero.label("plus"))
    else:
        # the scopes overlap (UNION); the overdue arms alone do not (UNION ALL, which PostgreSQL can merge)
        combine = union if len(where.scopes) > 1 else union_all

        def top(extra: list):
            stmt = branch(extra, page_where)
            ordered = (column.asc(), ProcessInstance.id.asc()) if filters.order == "asc" \
                else (column.desc(), ProcessInstance.id.desc())
            first = stmt.order_by(*ordered).limit(offset + limit).subquery()
            return select(first.c.id, first.c.sort_key)
        compound = combine(*(top(extra) for extra in branches))
        key, tie = literal_column("sort_key"), literal_column("id")
        ordering = (key.asc(), tie.asc()) if filters.order == "asc" else (key.desc(), tie.desc())
        page_ids = compound.order_by(*ordering).offset(offset).limit(limit)
        if where.count_parts is not None and len(where.scopes) == 1:
            marked, excluded, backlog = where.count_parts

            def counted(extra):
                return select(func.count()).select_from(ProcessInstance) \
                    .where(*count_where, *extra).scalar_subquery()
            scope_ = where.scopes[0]
            count = select(capped(select(ProcessInstance.id).where(*count_where, *scope_, *marked)).label("raw"),
                           counted([*scope_, *excluded]).label("minus"), counted([*scope_, *backlog]).label("plus"))
        else:
            either = combine(*(select(ProcessInstance.id).where(*count_where, *extra) for extra in branches))
            count = select(capped(either).label("raw"), zero.label("minus"), zero.label("plus"))
    return page_ids, count


def count_of(session: Session, count) -> tuple[int, bool]:
    """(total, capped) from a count statement of ``list_statements``. Capped: counting stopped after
    ``inbox.COUNT_CAP`` rows and there are more than `total` (the lists say "more than 10,000")."""
    raw, minus, plus = (value or 0 for value in session.execute(count).one())
    if raw > inbox.COUNT_CAP:  # `raw` marked cases, of which `minus` may not count: more than raw - 1 - minus + plus
        return min(inbox.COUNT_CAP, raw - 1 - minus + plus), True
    return raw - minus + plus, False


def rows_by_id(session: Session, ids: list[int]) -> list[dict]:
    """List items for these instance ids, in the given order (the wide workflow column is not read)."""
    if not ids:
        return []
    found = {row[0].id: instance_item(*row) for row in session.execute(
        instance_select().where(ProcessInstance.id.in_(ids)).options(defer(ProcessInstance.state))).all()}
    return [found[i] for i in ids if i in found]


def visible_instances(session: Session, user: User, filters: CaseFilters | None = None) -> Page:
    """One page of the cases `user` may see (or supervises), newest first unless sorted otherwise.

    Each item also carries its open tasks (who holds them, when they are due) and whether any is overdue.
    """
    filters = (filters or CaseFilters()).clamp()
    now = clock.now()
    page_ids, count = list_statements(session, user, filters, now)
    items = rows_by_id(session, list(session.scalars(page_ids).all()))
    add_open_tasks(session, items, now)
    total, capped = count_of(session, count)
    return Page(items, total, filters.page, filters.per_page, total_capped=capped)


def iter_cases(session: Session, user: User, filters: CaseFilters, limit: int = MAX_EXPORT) -> Iterator[dict]:
    """Every case matching `filters` in the list's order, for exports: the ordered ids are read now (one index
    walk; bad filters fail here, before any byte is sent), the rows later in batches by primary key, so memory
    stays flat and no OFFSET walks the table again for each batch."""
    filters.clamp()
    now = clock.now()
    page_ids, _count = list_statements(session, user, filters, now, export=limit)
    ids = list(dict.fromkeys(session.scalars(page_ids).all()))

    def batches() -> Iterator[dict]:
        for start in range(0, len(ids), EXPORT_BATCH):
            items = rows_by_id(session, ids[start:start + EXPORT_BATCH])
            add_open_tasks(session, items, now)
            yield from items
    return batches()


def add_open_tasks(session: Session, items: list[dict], now: datetime) -> None:
    """Attach each case's open tasks (holder, queue, deadline) and its overdue flag and elapsed time."""
    ids = [item["id"] for item in items]
    by_instance: dict[int, list[dict]] = {i: [] for i in ids}
    if ids:
        tasks = session.scalars(select(HumanTask).where(HumanTask.instance_id.in_(ids), HumanTask.state == "open")
                                .order_by(HumanTask.created_at, HumanTask.id)).all()
        people = {uid for t in tasks for uid in (t.assignee_id, t.delegate_id) if uid}
        names = dict(session.execute(select(User.id, User.name).where(User.id.in_(people))).all()) if people else {}
        for task in tasks:
            by_instance[task.instance_id].append({
                "id": task.id, "name": task.name, "element_id": task.element_id, "mi_item": task.mi_item,
                "assignee": names.get(task.assignee_id), "delegate": names.get(task.delegate_id),
                "queue": task.queue_label, "candidates": task.candidates, "due_at": task.due_at,
                "overdue": task.due_at is not None and task.due_at < now,
            })
    for item in items:
        item["open_tasks"] = by_instance.get(item["id"], [])
        item["overdue"] = any(t["overdue"] for t in item["open_tasks"])
        item["elapsed_seconds"] = int(((item["ended_at"] or now) - item["started_at"]).total_seconds())


# -- choices for the filter bar --------------------------------------------------------------------------------------

def unit_choices(session: Session, user: User) -> list[dict]:
    """The units a supervisor may filter by (their subtrees), in tree order with their depth for indenting."""
    unit_ids = scope.supervised_unit_ids(session, user)
    stmt = select(Unit).order_by(Unit.path)
    if unit_ids is not None:
        stmt = stmt.where(Unit.id.in_(unit_ids or [-1]))
    units = session.scalars(stmt).all()
    top = min((u.path.count("/") for u in units), default=0)
    return [{"code": u.code, "name": u.name, "depth": u.path.count("/") - top} for u in units]


def people_choices(session: Session, user: User, limit: int = 500) -> list[dict]:
    """People holding a role in the supervised units (for the holder filter's suggestions): the first `limit` by
    username, read along the username index with a membership check each — not every member sorted."""
    unit_ids = scope.supervised_unit_ids(session, user)
    member = exists().where(Membership.user_id == User.id)
    if unit_ids is not None:
        member = member.where(Membership.unit_id.in_(unit_ids or [-1]))
    rows = session.execute(select(User.username, User.name).where(member)
                           .order_by(User.username).limit(limit)).all()
    return [{"username": u, "name": n} for u, n in rows]


def step_choices(session: Session) -> list[dict]:
    """The human steps of each process (newest version), for the current-step filter: read from the drawings,
    not from the task table, so offering them costs nothing however many cases there are."""
    return [{"definition": d.key, "name": d.name,
             "steps": [{"element_id": e, "name": n} for e, n in diagram.drawing(d).steps]}
            for d in definitions.latest_definitions(session)]
