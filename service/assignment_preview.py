"""Who an assignment expression would reach in a given unit, for owners editing lanes and tasks.

Uses the same parser and Resolver as a running task, with no instance: terms that only exist at run time (the
initiator, `${var}` read from task data) are explained rather than resolved.
"""
from __future__ import annotations

from dataclasses import dataclass, field

from sqlalchemy import select
from sqlalchemy.orm import Session

from . import assignment, org
from .models import User


@dataclass
class Preview:
    expression: str
    unit: str
    users: list[dict] = field(default_factory=list)     # [{username, name}]
    label: str = ""
    problems: list[str] = field(default_factory=list)   # the expression is wrong or reaches nobody
    notes: list[str] = field(default_factory=list)      # decided only when a case runs

    def as_dict(self) -> dict:
        return dict(self.__dict__)


def preview(session: Session, expression: str, unit_code: str, context: assignment.Context = "group") -> Preview:
    unit = org.unit_by_code(session, unit_code)
    result = Preview(expression, unit.code)
    try:
        terms = assignment.parse(expression, context)
    except assignment.AssignmentSyntaxError as err:
        result.problems.append(str(err))
        return result
    if not terms:
        result.notes.append("没有分配表达式：任务将由发起人办理")
        return result
    roles = org.role_keys(session)
    static = []
    for term in terms:
        if term.kind == "initiator":
            result.notes.append("initiator：发起流程的人，发起时确定")
        elif term.kind == "var":
            result.notes.append(f"${{{term.name}}}：运行时从流程数据中的变量 {term.name} 读取用户名")
        elif term.kind in ("role", "unit_role") and term.name not in roles:
            result.problems.append(f"未知角色 {term.name}（可用: {', '.join(sorted(roles))}）")
        else:
            static.append(term)
    resolver = assignment.Resolver(session)
    resolution = resolver.resolve(static, assignment.InstanceScope(unit.id, unit.path, None, {}))
    result.problems.extend(resolution.problems)
    result.label = resolution.label
    if resolution.user_ids:
        rows = session.execute(select(User.id, User.username, User.name).where(User.id.in_(resolution.user_ids))).all()
        by_id = {row.id: row for row in rows}
        result.users = [{"username": by_id[i].username, "name": by_id[i].name} for i in resolution.user_ids if i in by_id]
    elif static and not result.problems:
        result.problems.append(f"在 {unit.name} 中没有找到任何人：任务将无人办理并报错")
    return result
