"""What a supervisor oversees: the units of the subtrees they supervise, and the check on one case.

The supervision pages (case list, case view, dashboard, heatmap, problems, exports) show only cases whose unit
lies in a subtree the user supervises — never the other cases the user can read because they took part in them.
Admins oversee everything (``None`` below means "no restriction").

Unit ids are resolved here, once per request, from the small units table (``Unit.path`` is a materialised path,
so a subtree is a prefix match). The big queries then carry a plain ``unit_id IN (...)`` that the
``(unit_id, status, started_at)`` index serves, instead of a LIKE subquery the planner cannot see through.
"""
from __future__ import annotations

from sqlalchemy import false, select
from sqlalchemy.orm import Session

from . import org
from .errors import Forbidden, NotFound
from .models import ProcessInstance, Unit, User


def supervised_unit_ids(session: Session, user: User) -> list[int] | None:
    """Ids of every unit in the user's supervised subtrees; None for admins (everything)."""
    if user.is_admin:
        return None
    paths = org.profile(session, user).supervised_paths
    return units_under(session, paths)


def units_under(session: Session, paths: list[str]) -> list[int]:
    """Ids of the units whose path starts with any of `paths` (each unit and its subtree)."""
    ids: set[int] = set()
    for path in dict.fromkeys(paths):
        ids.update(session.scalars(select(Unit.id).where(Unit.path.startswith(path, autoescape=True))).all())
    return sorted(ids)


def unit_condition(column, unit_ids: list[int] | None):
    """`column IN unit_ids`, nothing for no restriction, and a false condition for an empty scope."""
    if unit_ids is None:
        return None
    return column.in_(unit_ids) if unit_ids else false()


def unit_filter(column, unit_ids: list[int] | None):
    """``unit_condition`` for a query that should walk another index (one in its order, or a small partial index)
    and check the unit of each row it meets: written ``unit_id + 0 IN (...)``, which no database answers through
    an index on the unit column. Without it SQLite's planner, which has no statistics on how few rows a range of
    deadlines or the newest completions hold, would read every row of those units and sort or filter them all."""
    return unit_condition(column + 0, unit_ids)


def require_supervisor(session: Session, user: User) -> list[int] | None:
    """The supervision pages are for supervisors and admins (403 for everyone else)."""
    if user.is_admin:
        return None
    ids = supervised_unit_ids(session, user)
    if not ids:
        raise Forbidden("只有督办人员和管理员可以查看")
    return ids


def supervised_instance(session: Session, user: User, instance_id: int) -> ProcessInstance:
    """One case in the user's supervised scope; anything else (missing, or another district's) is "not found"."""
    unit_ids = require_supervisor(session, user)
    instance = session.get(ProcessInstance, instance_id)
    if instance is None or (unit_ids is not None and instance.unit_id not in unit_ids):
        raise NotFound("案件不存在或不在您的督办范围内")
    return instance
