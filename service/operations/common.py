"""What the operations share: finding the people named in a request, who holds a task, who may act on it."""
from __future__ import annotations

from sqlalchemy import select
from sqlalchemy.orm import Session

from .. import access
from ..errors import Conflict, Forbidden, ValidationFailed
from ..models import HumanTask, TaskCandidate, User

MAX_REASON = 2000


def active_user(session: Session, username, field: str) -> User:
    """The active user a request names (by username); a 422 on `field` otherwise."""
    name = username.strip() if isinstance(username, str) else ""
    if not name:
        raise ValidationFailed("请选择人员", {field: "必填"})
    user = session.scalar(select(User).where(User.username == name))
    if user is None or not user.is_active:
        raise ValidationFailed("人员不存在或已停用", {field: f"用户 {name} 不存在或已停用"})
    return user


def active_users(session: Session, usernames, field: str, limit: int = 50) -> list[User]:
    if not isinstance(usernames, list) or not usernames or not all(isinstance(u, str) for u in usernames):
        raise ValidationFailed("请选择人员", {field: "至少选择一人"})
    names = list(dict.fromkeys(u.strip() for u in usernames if u.strip()))
    if not names:
        raise ValidationFailed("请选择人员", {field: "至少选择一人"})
    if len(names) > limit:
        raise ValidationFailed("人员过多", {field: f"一次最多 {limit} 人"})
    found = {u.username: u for u in session.scalars(select(User).where(User.username.in_(names))).all()
             if u.is_active}
    missing = [n for n in names if n not in found]
    if missing:
        raise ValidationFailed("人员不存在或已停用", {field: "不存在或已停用：" + "、".join(missing)})
    return [found[n] for n in names]


def reason_text(reason, field: str = "reason", *, required: bool = False) -> str:
    text = reason.strip() if isinstance(reason, str) else ""
    if required and not text:
        raise ValidationFailed("请填写原因", {field: "必填"})
    if len(text) > MAX_REASON:
        raise ValidationFailed("内容过长", {field: f"不能超过 {MAX_REASON} 字"})
    return text


def holders(session: Session, task: HumanTask) -> list[int]:
    """Who is expected to act on an open task now: the delegate, else the holder, else the queue."""
    if task.delegate_id:
        return [task.delegate_id]
    if task.assignee_id:
        return [task.assignee_id]
    return list(session.scalars(select(TaskCandidate.user_id).where(TaskCandidate.task_id == task.id)).all())


def is_holder(session: Session, user: User, task: HumanTask) -> bool:
    """The person the task belongs to: its assignee, or a queue member while nobody has claimed it."""
    if task.assignee_id is not None:
        return task.assignee_id == user.id
    return access.is_candidate(session, user, task)


def require_holder(session: Session, user: User, task: HumanTask, *, allow_admin: bool = False) -> None:
    """Only the holder decides where the task goes; while it is delegated, the delegate has it (409)."""
    if allow_admin and user.is_admin:
        pass
    elif not is_holder(session, user, task):
        if task.delegate_id == user.id:
            raise Forbidden("您是受委派人，只能办理后交回委派人")
        raise Forbidden("这不是您的待办任务")
    if task.delegate_id is not None:
        raise Conflict("任务已委派他人办理，待其办结交回后才能进行此操作")


def names(session: Session, ids) -> dict[int, str]:
    wanted = {i for i in ids if i}
    if not wanted:
        return {}
    return dict(session.execute(select(User.id, User.name).where(User.id.in_(wanted))).all())


def bump(instance, now) -> None:
    """A change to the instance's task rows moves its version (clients holding the old one get 409)."""
    instance.state_version += 1
    instance.updated_at = now
