"""Assignment expressions: who a task is for (DESIGN.md section 4).

Grammar (comma-separated terms, union of their users):

    secretary            role key in the instance's unit          (bare word in candidateGroups / lanes)
    parent.discipline    role in the parent unit; parent.parent.x goes further up
    unit:CODE.office     role in a named unit
    group:NAME           members of a named group (e.g. a supervision team)
    initiator            who started the instance
    user:NAME            one user                                  (bare word in assignee / candidateUsers)
    ${var}               a username, or list of usernames, read from task data (no code is run)

Parsing is separate from resolving so deploy can reject a bad expression before anything runs.
"""
from __future__ import annotations

import re
import time
from dataclasses import dataclass, field
from datetime import datetime
from typing import Iterable, Literal

from sqlalchemy import bindparam, select
from sqlalchemy.orm import Session

from .models import Group, GroupMember, Membership, Proxy, Role, Unit, User

Context = Literal["group", "user"]
_NAME = r"[A-Za-z0-9_\-\u4e00-\u9fff]+"
_ROLE = re.compile(rf"^(?:(?:parent\.)*)({_NAME})$")
_UNIT_ROLE = re.compile(rf"^unit:([A-Za-z0-9_\-.]+)\.({_NAME})$")
_VAR = re.compile(r"^\$\{\s*([A-Za-z_][A-Za-z0-9_.]*)\s*\}$")


class AssignmentSyntaxError(ValueError):
    pass


@dataclass(frozen=True)
class Term:
    kind: Literal["role", "unit_role", "group", "initiator", "user", "var"]
    name: str = ""          # role key, group name, username or variable name
    up: int = 0             # parent levels for kind == "role"
    unit_code: str = ""     # for kind == "unit_role"

    def __str__(self) -> str:
        if self.kind == "role":
            return "parent." * self.up + self.name
        if self.kind == "unit_role":
            return f"unit:{self.unit_code}.{self.name}"
        if self.kind == "var":
            return "${" + self.name + "}"
        if self.kind == "initiator":
            return "initiator"
        return f"{self.kind}:{self.name}"


def parse(text: str | None, context: Context = "group") -> list[Term]:
    """Parse an expression; raise AssignmentSyntaxError with a message a process owner understands."""
    if text is None or not text.strip():
        return []
    terms: list[Term] = []
    for raw in text.split(","):
        item = raw.strip()
        if not item:
            raise AssignmentSyntaxError(f"分配表达式中有空项: {text!r}")
        terms.append(_parse_term(item, context))
    return terms


def _parse_term(item: str, context: Context) -> Term:
    if item == "initiator":
        return Term("initiator")
    if match := _VAR.match(item):
        return Term("var", match.group(1))
    if item.startswith("${"):
        raise AssignmentSyntaxError(f"变量引用只能是 ${{变量名}}，不能是表达式: {item!r}")
    if item.startswith("user:"):
        name = item[5:]
        if not re.fullmatch(_NAME, name):
            raise AssignmentSyntaxError(f"用户名无效: {item!r}")
        return Term("user", name)
    if item.startswith("group:"):
        name = item[6:]
        if not re.fullmatch(_NAME, name):
            raise AssignmentSyntaxError(f"组名无效: {item!r}")
        return Term("group", name)
    if item.startswith("role:"):
        item = item[5:]
        context = "group"
    if item.startswith("unit:"):
        if match := _UNIT_ROLE.match(item):
            return Term("unit_role", match.group(2), unit_code=match.group(1))
        raise AssignmentSyntaxError(f"应写作 unit:单位代码.角色，例如 unit:city.office: {item!r}")
    if context == "user":
        if re.fullmatch(_NAME, item):
            return Term("user", item)
        raise AssignmentSyntaxError(f"用户名无效: {item!r}")
    if match := _ROLE.match(item):
        return Term("role", match.group(1), up=item.count("parent."))
    raise AssignmentSyntaxError(f"无法识别的分配表达式: {item!r}")


@dataclass
class TaskAssignment:
    """Where a task's people come from, in DESIGN.md's order of precedence."""

    expression: str
    terms: list[Term]
    source: str  # "assignee" | "candidates" | "lane" | "initiator"


def task_assignment(extensions: dict, lane: str | None, lane_map: dict[str, str]) -> TaskAssignment:
    """assignee > candidateUsers/candidateGroups > the lane's mapping > initiator."""
    if extensions.get("assignee"):
        return TaskAssignment(extensions["assignee"], parse(extensions["assignee"], "user"), "assignee")
    users, groups = extensions.get("candidateUsers"), extensions.get("candidateGroups")
    if users or groups:
        terms = parse(users, "user") + parse(groups, "group")
        text = ", ".join(part for part in (users, groups) if part)
        return TaskAssignment(text, terms, "candidates")
    if lane and lane_map.get(lane):
        return TaskAssignment(lane_map[lane], parse(lane_map[lane], "group"), "lane")
    return TaskAssignment("initiator", [Term("initiator")], "initiator")


@dataclass
class Resolution:
    user_ids: list[int]
    label: str
    problems: list[str] = field(default_factory=list)


@dataclass
class InstanceScope:
    unit_id: int
    unit_path: str | None  # None: read when a role term needs it (most steps name a person, not a role)
    initiator_id: int | None
    data: dict


# Statements built once: constructing a select costs more than running it on an indexed table.
_GROUP_MEMBERS = (select(GroupMember.user_id).join(Group, Group.id == GroupMember.group_id)
                  .join(User, User.id == GroupMember.user_id)
                  .where(Group.name == bindparam("name"), User.is_active.is_(True)))
_UNIT_BY_CODE = select(Unit).where(Unit.code == bindparam("code"))
_ROLE_MEMBERS = (select(Membership.user_id).join(User, User.id == Membership.user_id)
                 .where(Membership.unit_id == bindparam("unit"), Membership.role == bindparam("role"),
                        User.is_active.is_(True))
                 .order_by(Membership.id))
_USERS_BY_NAME = select(User.username, User.id).where(User.username.in_(bindparam("names", expanding=True)),
                                                      User.is_active.is_(True))
# A deputy who has since left gets nothing: the task stays with its owner.
_PROXIES = (select(Proxy.user_id, Proxy.deputy_id).join(User, User.id == Proxy.deputy_id)
            .where(Proxy.user_id.in_(bindparam("ids", expanding=True)), Proxy.revoked_at.is_(None),
                   Proxy.starts_at <= bindparam("at"), Proxy.ends_at > bindparam("at"), User.is_active.is_(True))
            .order_by(Proxy.created_at))
_ROLE_NAMES_TTL = 60.0
_role_names_cache: tuple[float, dict[str, str]] = (0.0, {})


def role_names(session: Session) -> dict[str, str]:
    """Role display names; they change about never, so a minute's staleness costs nothing on a label."""
    global _role_names_cache
    fetched, names = _role_names_cache
    if time.monotonic() - fetched > _ROLE_NAMES_TTL or not names:
        names = dict(session.execute(select(Role.key, Role.name)).all())
        _role_names_cache = (time.monotonic(), names)
    return names


class Resolver:
    """Resolves terms to active users for one instance; caches unit and role lookups for one command."""

    def __init__(self, session: Session):
        self.session = session
        self._units: dict[int, Unit] = {}
        self._role_names: dict[str, str] | None = None
        self._ids_by_name: dict[str, int | None] = {}  # active users looked up so far (None: no such user)

    def prefetch(self, wanted: Iterable[tuple[Iterable[Term], "InstanceScope"]]) -> None:
        """Look up at once every username the given resolutions will ask for: a multi-instance step names one
        person per instance, and one query for all of them beats one each."""
        self._fetch([name for terms, scope in wanted for term in terms for name in self._names_in(term, scope) or []])

    def resolve(self, terms: Iterable[Term], scope: InstanceScope) -> Resolution:
        user_ids: list[int] = []
        labels: list[str] = []
        problems: list[str] = []
        for term in terms:
            found, label, problem = self._resolve_term(term, scope)
            labels.append(label)
            if problem:
                problems.append(problem)
            for user_id in found:
                if user_id not in user_ids:
                    user_ids.append(user_id)
        return Resolution(user_ids, "、".join(labels), problems)

    def _resolve_term(self, term: Term, scope: InstanceScope) -> tuple[list[int], str, str | None]:
        if term.kind == "initiator":
            return ([scope.initiator_id] if scope.initiator_id else []), "发起人", None
        if term.kind == "user":
            ids = self._active_users_by_name([term.name])
            return ids, term.name, None if ids else f"用户 {term.name} 不存在或已停用"
        if term.kind == "var":
            names = self._names_in(term, scope)
            if names is None:
                kind = type(_lookup(scope.data, term.name)).__name__
                return [], term.name, f"变量 {term.name} 不是用户名或用户名列表（{kind}）"
            ids = self._active_users_by_name(names)
            missing = len(set(names)) - len(ids)
            return ids, ",".join(names), f"变量 {term.name} 中有 {missing} 个用户不存在" if missing else None
        if term.kind == "group":
            ids = self.session.scalars(_GROUP_MEMBERS, {"name": term.name}).all()
            return list(ids), f"组 {term.name}", None
        if term.kind == "unit_role":
            unit = self.session.scalar(_UNIT_BY_CODE, {"code": term.unit_code})
            if unit is None:
                return [], str(term), f"单位 {term.unit_code} 不存在"
            return self._role_members(unit.id, term.name), f"{self.role_name(term.name)} · {unit.name}", None
        unit = self._ancestor(scope, term.up)
        if unit is None:
            return [], str(term), f"单位没有第 {term.up} 级上级"
        return self._role_members(unit.id, term.name), f"{self.role_name(term.name)} · {unit.name}", None

    def role_name(self, key: str) -> str:
        if self._role_names is None:
            self._role_names = role_names(self.session)
        return self._role_names.get(key, key)

    def _ancestor(self, scope: InstanceScope, up: int) -> Unit | None:
        path = scope.unit_path if scope.unit_path is not None else self._unit(scope.unit_id).path
        ids = [int(part) for part in path.strip("/").split("/") if part] or [scope.unit_id]
        if up >= len(ids):
            return None
        return self._unit(ids[len(ids) - 1 - up])

    def _unit(self, unit_id: int) -> Unit:
        if unit_id not in self._units:
            self._units[unit_id] = self.session.get(Unit, unit_id)
        return self._units[unit_id]

    def _role_members(self, unit_id: int, role: str) -> list[int]:
        return list(self.session.connection().execute(_ROLE_MEMBERS, {"unit": unit_id, "role": role}).scalars())

    @staticmethod
    def _names_in(term: Term, scope: "InstanceScope") -> list[str] | None:
        """The usernames a `user:` or `${var}` term names (None: the variable holds no usernames)."""
        if term.kind == "user":
            return [term.name]
        if term.kind != "var":
            return []
        value = _lookup(scope.data, term.name)
        names = [value] if isinstance(value, str) else value if isinstance(value, list) else None
        return names if names is not None and all(isinstance(n, str) for n in names) else None

    def _fetch(self, names: list[str]) -> None:
        missing = [name for name in dict.fromkeys(names) if name not in self._ids_by_name]
        if missing:
            found = dict(self.session.connection().execute(_USERS_BY_NAME, {"names": missing}).all())
            self._ids_by_name.update({name: found.get(name) for name in missing})

    def _active_users_by_name(self, names: list[str]) -> list[int]:
        self._fetch(names)
        return [self._ids_by_name[n] for n in dict.fromkeys(names) if self._ids_by_name[n] is not None]


def apply_proxies(session: Session, user_ids: list[int], at: datetime) -> dict[int, int]:
    """Map each user who is away at `at` to their deputy (代理). Returns {original: deputy}."""
    if not user_ids:
        return {}
    return dict(session.connection().execute(_PROXIES, {"ids": list(user_ids), "at": at}).all())


def _lookup(data: dict, dotted: str):
    value = data
    for part in dotted.split("."):
        if not isinstance(value, dict) or part not in value:
            return None
        value = value[part]
    return value
