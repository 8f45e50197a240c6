"""代理: while away, a person names a deputy for a date range; new tasks meant for them go to the deputy.

`service.assignment.apply_proxies` does the routing when a task is created (`service.task_sync`), recording the
original owner on the task (`original_assignee_id`), who keeps sight of the case. Tasks already in the inbox stay
where they are: a person hands those over with 转办. One proxy per person at a time — naming a new one revokes
the old. Two people cannot be each other's deputy for overlapping dates. Bounds are read as Asia/Shanghai: a date
`from` means the start of that day, a date `to` the end of that day.
"""
from __future__ import annotations

from datetime import date, datetime, time, timedelta

from sqlalchemy import select, update
from sqlalchemy.orm import Session

from .. import audit, clock, notify
from ..errors import ValidationFailed
from ..models import Proxy, User
from ..timefns import SHANGHAI
from . import common

MAX_DAYS = 366


def parse_bound(value, field: str, *, end: bool) -> datetime:
    if not isinstance(value, str) or not value.strip():
        raise ValidationFailed("请填写代理起止时间", {field: "必填"})
    text = value.strip()
    try:
        if len(text) == 10:
            day = date.fromisoformat(text)
            moment = datetime.combine(day + timedelta(days=1) if end else day, time(0), SHANGHAI)
        else:
            moment = datetime.fromisoformat(text.replace("Z", "+00:00"))
            if moment.tzinfo is None:
                moment = moment.replace(tzinfo=SHANGHAI)
    except ValueError:
        raise ValidationFailed("日期格式不正确", {field: "应为 YYYY-MM-DD 或 ISO 8601 时间"}) from None
    return clock.as_utc(moment)


def set_proxy(session: Session, actor: User, deputy: str, starts: str, ends: str) -> Proxy:
    deputy_user = common.active_user(session, deputy, "deputy")
    if deputy_user.id == actor.id:
        raise ValidationFailed("不能由自己代理", {"deputy": "请选择其他人"})
    start, end = parse_bound(starts, "from", end=False), parse_bound(ends, "to", end=True)
    now = clock.now()
    if end <= start:
        raise ValidationFailed("结束时间必须晚于开始时间", {"to": "必须晚于开始时间"})
    if end <= now:
        raise ValidationFailed("代理期限已过", {"to": "结束时间已过"})
    if end - start > timedelta(days=MAX_DAYS):
        raise ValidationFailed("代理期限过长", {"to": f"不能超过 {MAX_DAYS} 天"})
    mutual = session.scalar(select(Proxy.id).where(
        Proxy.user_id == deputy_user.id, Proxy.deputy_id == actor.id, Proxy.revoked_at.is_(None),
        Proxy.starts_at < end, Proxy.ends_at > start))
    if mutual is not None:
        raise ValidationFailed("不能互为代理", {"deputy": f"{deputy_user.name} 在此期间正由您代理"})
    _revoke_open(session, actor, now)
    row = Proxy(user_id=actor.id, deputy_id=deputy_user.id, starts_at=start, ends_at=end, created_at=now)
    session.add(row)
    session.flush()
    audit.append(session, "proxy.set", actor=actor,
                 payload={"user": actor.username, "deputy": deputy_user.username, "from": start.isoformat(),
                          "to": end.isoformat()})
    notify.notify(session, [deputy_user.id], "proxy.set",
                  f"{actor.name} 请您代理其待办：{clock.local(start):%Y-%m-%d %H:%M} 至 {clock.local(end):%Y-%m-%d %H:%M}"
                  "，期间新到的任务将送达您")
    return row


def revoke(session: Session, actor: User) -> int:
    count = _revoke_open(session, actor, clock.now())
    if count:
        audit.append(session, "proxy.revoked", actor=actor, payload={"user": actor.username})
    return count


def _revoke_open(session: Session, actor: User, now: datetime) -> int:
    result = session.execute(update(Proxy).where(
        Proxy.user_id == actor.id, Proxy.revoked_at.is_(None), Proxy.ends_at > now).values(revoked_at=now)
        .execution_options(synchronize_session=False))
    return result.rowcount or 0


def current(session: Session, user: User) -> dict | None:
    """The person's proxy in force or still to come, with the deputy's name."""
    row = session.execute(select(Proxy, User.username, User.name).join(User, User.id == Proxy.deputy_id).where(
        Proxy.user_id == user.id, Proxy.revoked_at.is_(None), Proxy.ends_at > clock.now())
        .order_by(Proxy.created_at.desc()).limit(1)).first()
    if row is None:
        return None
    proxy, username, name = row
    return as_dict(proxy, username, name)


def as_dict(proxy: Proxy, deputy_username: str, deputy_name: str) -> dict:
    now = clock.now()
    return {"id": proxy.id, "deputy": deputy_username, "deputy_name": deputy_name, "from": proxy.starts_at,
            "to": proxy.ends_at, "active": proxy.starts_at <= now < proxy.ends_at, "created_at": proxy.created_at}
