"""The cases a person may see, as one paginated query (the API's `GET /instances`, the case list pages).

Visibility is the rule of ``service.access`` turned into a set: the instances the user started, took part in
(held, completed, was delegated or proxied a task), sits in the queue of, was copied on, or whose unit lies in a
subtree they supervise; admins see everything. The set is built as a UNION of small index lookups keyed by the
user, so the cost follows the user's share of the table rather than its size, and nothing loads a workflow.

Filters live in one dataclass so later filters (step, assignee, text, date range) are added in one place.
"""
from __future__ import annotations

from dataclasses import dataclass

from sqlalchemy import exists, func, select, union
from sqlalchemy.orm import Session

from . import clock, org
from .errors import ValidationFailed
from .inbox import INSTANCE_SORTS, MAX_PER_PAGE, Page, instance_item, instance_select
from .models import HumanTask, InstanceCC, ProcessInstance, TaskCandidate, Unit, User
from .models.instances import INSTANCE_STATUSES


@dataclass
class CaseFilters:
    status: str = ""
    unit: str = ""            # unit code
    subtree: bool = False     # with `unit`: include the units below it
    definition: str = ""      # definition key
    overdue: bool = False     # has an open task past its deadline
    sort: str = "started_at"
    order: str = "desc"
    page: int = 1
    per_page: int = 20

    def clamp(self) -> "CaseFilters":
        self.page = max(1, int(self.page or 1))
        self.per_page = min(MAX_PER_PAGE, max(1, int(self.per_page or 20)))
        self.order = "asc" if self.order == "asc" else "desc"
        self.status = (self.status or "").strip()
        self.unit = (self.unit or "").strip()
        self.definition = (self.definition or "").strip()
        if self.status and self.status not in INSTANCE_STATUSES:
            raise ValidationFailed("未知的流程状态", {"status": f"应为 {', '.join(INSTANCE_STATUSES)} 之一"})
        if self.sort not in INSTANCE_SORTS:
            self.sort = "started_at"
        return self


def visible_ids(session: Session, user: User):
    """A UNION of instance ids the user may see (None for admins: no restriction).

    Mirrors ``access.can_view_instance`` branch by branch; keep the two in step.
    """
    if user.is_admin:
        return None
    uid = user.id
    branches = [
        select(ProcessInstance.id).where(ProcessInstance.initiator_id == uid),
        select(HumanTask.instance_id).where(HumanTask.assignee_id == uid),
        select(HumanTask.instance_id).where(HumanTask.completed_by_id == uid),
        select(HumanTask.instance_id).where(HumanTask.delegate_id == uid),
        select(HumanTask.instance_id).where(HumanTask.original_assignee_id == uid),
        select(HumanTask.instance_id).join(TaskCandidate, TaskCandidate.task_id == HumanTask.id)
        .where(TaskCandidate.user_id == uid),
        select(InstanceCC.instance_id).where(InstanceCC.user_id == uid),
    ]
    for path in org.profile(session, user).supervised_paths:
        branches.append(select(ProcessInstance.id).where(
            ProcessInstance.unit_id.in_(select(Unit.id).where(Unit.path.startswith(path)))))
    return union(*branches)


def _conditions(session: Session, user: User, filters: CaseFilters) -> list:
    conditions = []
    ids = visible_ids(session, user)
    if ids is not None:
        conditions.append(ProcessInstance.id.in_(ids))
    if filters.status:
        conditions.append(ProcessInstance.status == filters.status)
    if filters.definition:
        conditions.append(ProcessInstance.definition_key == filters.definition)
    if filters.unit:
        unit = session.scalar(select(Unit).where(Unit.code == filters.unit))
        if unit is None:
            raise ValidationFailed("单位不存在", {"unit": f"未知单位 {filters.unit}"})
        if filters.subtree:
            conditions.append(ProcessInstance.unit_id.in_(select(Unit.id).where(Unit.path.startswith(unit.path))))
        else:
            conditions.append(ProcessInstance.unit_id == unit.id)
    if filters.overdue:
        conditions.append(exists().where(HumanTask.instance_id == ProcessInstance.id, HumanTask.state == "open",
                                         HumanTask.due_at < clock.now()))
    return conditions


def visible_instances(session: Session, user: User, filters: CaseFilters | None = None) -> Page:
    """One page of the cases `user` may see, newest first unless sorted otherwise."""
    filters = (filters or CaseFilters()).clamp()
    conditions = _conditions(session, user, filters)
    total = session.scalar(select(func.count()).select_from(ProcessInstance).where(*conditions)) or 0
    column = INSTANCE_SORTS[filters.sort]
    ordering = column.asc() if filters.order == "asc" else column.desc()
    rows = session.execute(instance_select().where(*conditions)
                           .order_by(ordering, ProcessInstance.id.desc())
                           .offset((filters.page - 1) * filters.per_page).limit(filters.per_page)).all()
    return Page([instance_item(*row) for row in rows], total, filters.page, filters.per_page)

