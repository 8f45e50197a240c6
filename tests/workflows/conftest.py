"""The shipped process library (workflows/), deployed the way `jiandu init` deploys it, and helpers for walking it."""
from __future__ import annotations

import json
from pathlib import Path

import pytest
from sqlalchemy import select

from service import definitions
from service.errors import Forbidden, NotFound
from service.models import AuditEvent, Base, HumanTask, Notification, User
from tests.conftest import restore
from tests.support import complete, open_tasks

WORKFLOWS = Path(__file__).resolve().parents[2] / "workflows"
KEYS = {"special_democratic_life_meeting", "major_decision", "dual_duty_hearing"}


@pytest.fixture(scope="session")
def library_snapshot(baseline):
    """The demo organisation with workflows/ deployed as `jiandu init` deploys it, built once per session."""
    service, snapshot = baseline
    restore(service, snapshot)
    with service.db.write() as session:
        deployed = definitions.deploy_directory(session, None, WORKFLOWS)
    assert {d.key for d in deployed} == KEYS
    with service.db.engine.connect() as conn:
        return {table.name: [dict(row) for row in conn.execute(select(table)).mappings()]
                for table in Base.metadata.sorted_tables}


@pytest.fixture
def library(baseline, library_snapshot):
    service, _ = baseline
    restore(service, library_snapshot)
    return service


def refused(jd, username: str, task_id: int, data: dict | None = None) -> None:
    """The user may not complete the task: not theirs (403) or not even visible to them (404)."""
    with pytest.raises((Forbidden, NotFound)):
        complete(jd, username, task_id, data or {})


def tasks_of(jd, instance_id: int, element_id: str) -> list[HumanTask]:
    return [t for t in open_tasks(jd, instance_id) if t.element_id == element_id]


def by_item(jd, instance_id: int, element_id: str) -> dict[str, HumanTask]:
    """Open multi-instance tasks of one element, keyed by their item (a username or a person's name)."""
    return {t.mi_item: t for t in tasks_of(jd, instance_id, element_id)}


def events(jd, instance_id: int, kind: str | None = None) -> list[dict]:
    with jd.db.read() as session:
        query = select(AuditEvent).where(AuditEvent.instance_id == instance_id).order_by(AuditEvent.seq)
        if kind:
            query = query.where(AuditEvent.kind == kind)
        return [{"kind": e.kind, "actor": e.actor, "element_id": e.element_id, "task_id": e.task_id,
                 "payload": json.loads(e.payload)} for e in session.scalars(query)]


def notices(jd, username: str, kind: str, instance_id: int | None = None) -> list[Notification]:
    with jd.db.read() as session:
        user_id = session.scalar(select(User.id).where(User.username == username))
        query = select(Notification).where(Notification.user_id == user_id, Notification.kind == kind)
        if instance_id is not None:
            query = query.where(Notification.instance_id == instance_id)
        return list(session.scalars(query.order_by(Notification.id)))
