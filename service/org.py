"""The organisation: import, lookups, and what a user may act for.

The import format is DESIGN.md section 11's organisation file. Import is idempotent: units, users, memberships,
groups, supervision and ownership are brought to what the file says (memberships and group members listed for a
user are added; nothing is deleted, because records outlive people).
"""
from __future__ import annotations

from dataclasses import dataclass

from sqlalchemy import Connection, bindparam, select
from sqlalchemy.orm import Session, make_transient_to_detached

from . import audit, clock
from .errors import NotFound, ValidationFailed
from .models import (ApiToken, DefinitionOwner, Group, GroupMember, Membership, Role, Supervision, Unit, User)
from .passwords import hash_password, new_token, token_digest

STANDARD_ROLES = [
    ("secretary", "书记", "Secretary"),
    ("deputy", "副书记", "Deputy secretary"),
    ("member", "班子成员", "Team member"),
    ("discipline", "纪检监察负责人", "Discipline lead"),
    ("organization", "组织部门", "Organisation department"),
    ("office", "办公室", "Office"),
    ("legal", "法制审核", "Legal review"),
    ("staff", "工作人员", "Staff"),
]


def ensure_roles(session: Session) -> None:
    existing = set(session.scalars(select(Role.key)).all())
    for key, name, name_en in STANDARD_ROLES:
        if key not in existing:
            session.add(Role(key=key, name=name, name_en=name_en))
    session.flush()


def role_keys(session: Session) -> set[str]:
    return set(session.scalars(select(Role.key)).all())


def role_aliases(session: Session) -> dict[str, str]:
    """{display name or key: key} — a lane named 办公室 or office maps to the role `office` by default."""
    aliases = {}
    for key, name in session.execute(select(Role.key, Role.name)):
        aliases[key] = key
        aliases[name] = key
    return aliases


def user_by_name(session: Session, username: str) -> User:
    user = session.scalar(select(User).where(User.username == username))
    if user is None:
        raise NotFound(f"用户 {username} 不存在")
    return user


def unit_by_code(session: Session, code: str) -> Unit:
    unit = session.scalar(select(Unit).where(Unit.code == code))
    if unit is None:
        raise NotFound(f"单位 {code} 不存在")
    return unit


def _upsert_unit(session: Session, code: str, name: str, parent: Unit | None) -> Unit:
    unit = session.scalar(select(Unit).where(Unit.code == code))
    if unit is None:
        unit = Unit(code=code, name=name, parent_id=parent.id if parent else None)
        session.add(unit)
        session.flush()
    unit.name = name
    unit.parent_id = parent.id if parent else None
    unit.path = (parent.path if parent else "/") + f"{unit.id}/"
    return unit


def import_org(session: Session, spec: dict, *, actor: User | None = None) -> dict:
    """Load an organisation file (dict). Returns counts; raises ValidationFailed on a malformed file."""
    if not isinstance(spec, dict):
        raise ValidationFailed("组织文件必须是 JSON 对象")
    ensure_roles(session)
    for role in spec.get("roles", []):
        if session.get(Role, role["key"]) is None:
            session.add(Role(key=role["key"], name=role.get("name", role["key"]), name_en=role.get("name_en", "")))
    session.flush()
    known_roles = role_keys(session)
    units_by_code: dict[str, Unit] = {}
    pending = list(spec.get("units", []))
    while pending:  # parents may be listed after their children
        progressed = False
        for item in list(pending):
            parent_code = item.get("parent")
            parent = None
            if parent_code:
                parent = units_by_code.get(parent_code) or session.scalar(select(Unit).where(Unit.code == parent_code))
                if parent is None:
                    continue
            units_by_code[item["code"]] = _upsert_unit(session, item["code"], item.get("name", item["code"]), parent)
            pending.remove(item)
            progressed = True
        if not progressed:
            raise ValidationFailed("单位的上级不存在或成环", {"units": [u["code"] for u in pending]})
    session.flush()
    counts = {"units": len(units_by_code), "users": 0, "groups": 0}
    for item in spec.get("users", []):
        _import_user(session, item, known_roles)
        counts["users"] += 1
    for item in spec.get("groups", []):
        group = session.scalar(select(Group).where(Group.name == item["name"]))
        if group is None:
            group = Group(name=item["name"], label=item.get("label", item["name"]))
            session.add(group)
            session.flush()
        group.label = item.get("label", group.label)
        for username in item.get("members", []):
            user = user_by_name(session, username)
            if session.get(GroupMember, (group.id, user.id)) is None:
                session.add(GroupMember(group_id=group.id, user_id=user.id))
        counts["groups"] += 1
    session.flush()
    audit.append(session, "org.imported", actor=actor, payload=counts)
    return counts


def _import_user(session: Session, item: dict, known_roles: set[str]) -> User:
    user = session.scalar(select(User).where(User.username == item["username"]))
    if user is None:
        user = User(username=item["username"], name=item.get("name", item["username"]), created_at=clock.now())
        session.add(user)
    user.name = item.get("name", user.name)
    user.email = item.get("email", user.email)
    user.is_admin = bool(item.get("admin", user.is_admin or False))
    if item.get("password"):
        user.password_hash = hash_password(item["password"])
    elif item.get("password_hash", "").startswith("$argon2"):
        user.password_hash = item["password_hash"]
    session.flush()
    for membership in item.get("memberships", []):
        if membership["role"] not in known_roles:
            raise ValidationFailed(f"未知角色 {membership['role']}", {"user": item["username"]})
        unit = unit_by_code(session, membership["unit"])
        exists = session.scalar(select(Membership).where(
            Membership.user_id == user.id, Membership.unit_id == unit.id, Membership.role == membership["role"]))
        if exists is None:
            session.add(Membership(user_id=user.id, unit_id=unit.id, role=membership["role"],
                                   title=membership.get("title")))
    for code in item.get("supervises", []):
        unit = unit_by_code(session, code)
        if session.get(Supervision, (user.id, unit.id)) is None:
            session.add(Supervision(user_id=user.id, unit_id=unit.id))
    owner = item.get("owner")
    for key in (["*"] if owner is True else owner if isinstance(owner, list) else []):
        if session.get(DefinitionOwner, (user.id, key)) is None:
            session.add(DefinitionOwner(user_id=user.id, key=key))
    return user


@dataclass
class UserProfile:
    """What permission checks need to know about a user, loaded in a few queries."""

    user: User
    memberships: list[tuple[Unit, str]]
    supervised_paths: list[str]
    owned_keys: set[str]

    @property
    def is_admin(self) -> bool:
        return self.user.is_admin

    def may_own(self, key: str) -> bool:
        return self.is_admin or "*" in self.owned_keys or key in self.owned_keys

    @property
    def is_owner(self) -> bool:
        return self.is_admin or bool(self.owned_keys)

    @property
    def is_supervisor(self) -> bool:
        return self.is_admin or bool(self.supervised_paths)

    def supervises_path(self, unit_path: str) -> bool:
        return self.is_admin or any(unit_path.startswith(p) for p in self.supervised_paths)


def profile(session: Session, user: User) -> UserProfile:
    memberships = session.execute(
        select(Unit, Membership.role).join(Membership, Membership.unit_id == Unit.id)
        .where(Membership.user_id == user.id).order_by(Unit.path, Membership.role)
    ).all()
    paths = session.scalars(
        select(Unit.path).join(Supervision, Supervision.unit_id == Unit.id).where(Supervision.user_id == user.id)
    ).all()
    owned = set(session.scalars(select(DefinitionOwner.key).where(DefinitionOwner.user_id == user.id)).all())
    return UserProfile(user, list(memberships), list(paths), owned)


def units_user_may_act_for(session: Session, user: User) -> list[Unit]:
    """Units where the user holds any role, plus supervised subtrees; admins may act for every unit."""
    if user.is_admin:
        return list(session.scalars(select(Unit).order_by(Unit.path)).all())
    prof = profile(session, user)
    units = {unit.id: unit for unit, _ in prof.memberships}
    for path in prof.supervised_paths:
        for unit in session.scalars(select(Unit).where(Unit.path.startswith(path))).all():
            units[unit.id] = unit
    return sorted(units.values(), key=lambda u: u.path)


def create_token(session: Session, user: User, name: str = "") -> tuple[ApiToken, str]:
    token = new_token()
    row = ApiToken(user_id=user.id, name=name[:100], token_hash=token_digest(token), prefix=token[:10],
                   created_at=clock.now())
    session.add(row)
    session.flush()
    audit.append(session, "token.created", actor=user, payload={"token_id": row.id, "name": row.name})
    return row, token


_USER_FOR_TOKEN = (select(*User.__table__.c).join(ApiToken, ApiToken.user_id == User.id)
                   .where(ApiToken.token_hash == bindparam("digest"), ApiToken.revoked_at.is_(None),
                          User.is_active.is_(True)))


def user_for_token(connection: Connection, token: str) -> User | None:
    """The active owner of an unrevoked token, in one indexed lookup. Every API request pays for it, so it is a
    plain statement on a connection and the answer a detached row (User has no relationships to lazy-load)."""
    row = connection.execute(_USER_FOR_TOKEN, {"digest": token_digest(token)}).mappings().first()
    if row is None:
        return None
    user = User(**row)
    make_transient_to_detached(user)
    return user


def revoke_token(session: Session, user: User, token_id: int) -> None:
    row = session.get(ApiToken, token_id)
    if row is None or row.user_id != user.id:
        raise NotFound("令牌不存在")
    if row.revoked_at is None:
        row.revoked_at = clock.now()
        audit.append(session, "token.revoked", actor=user, payload={"token_id": row.id})


def unit_context(session: Session, unit: Unit) -> dict:
    """Process variables describing the unit, set at start so forms and scripts can use them without the database.

    `unit_people` is a form-js options list (label/value) of everyone holding a role in the unit; `unit_roles`
    maps each role key to its usernames, in membership order (`unit_roles["member"]` lists the team members).
    """
    rows = session.execute(
        select(User.username, User.name, Membership.role).join(Membership, Membership.user_id == User.id)
        .where(Membership.unit_id == unit.id, User.is_active.is_(True)).order_by(Membership.id)
    ).all()
    people: dict[str, str] = {}
    roles: dict[str, list[str]] = {}
    for username, name, role in rows:
        people.setdefault(username, name)
        roles.setdefault(role, []).append(username)
    return {
        "unit_name": unit.name,
        "unit_people": [{"label": name, "value": username} for username, name in people.items()],
        "unit_roles": roles,
    }
