"""Issue #2's walk: lanes, an exclusive gateway, a parallel split/join, a multi-instance task over usernames and
an interrupting boundary timer, walked by the right users only, with the fake clock driving the timer."""
from __future__ import annotations

from datetime import datetime, timedelta, timezone

import pytest
import time_machine
from sqlalchemy import select

from service import audit, worker
from service.errors import Conflict, Forbidden, NotFound, ValidationFailed
from service.models import AuditEvent, Notification
from tests.support import complete, deploy, instance, open_tasks, start, task_named, user

T0 = datetime(2026, 3, 2, 1, 0, tzinfo=timezone.utc)  # a Monday, 09:00 in Shanghai


@pytest.fixture
def core(jd):
    deploy(jd, "core_flow.bpmn", "core_draft.form", "core_approve.form", actor="owner")
    return jd


def refused(jd, username, task_id, data=None):
    with pytest.raises((Forbidden, NotFound)):
        complete(jd, username, task_id, data or {"decision": "同意"})


def test_walk_with_gateway_parallel_multi_instance_and_boundary_timer(core):
    jd = core
    with time_machine.travel(T0, tick=False) as clock:
        case = start(jd, "yangfan", "core_flow", data={"members": ["wanghong", "zhangwei"]}, title="采购审批")
        draft = task_named(jd, case.id, "draft")
        assert draft.candidates == ["yangfan"] and draft.assignee_id == user(jd, "yangfan").id
        for outsider in ("zhangwei", "lijianguo", "hezhiming"):
            refused(jd, outsider, draft.id, {"amount": 10, "summary": "说明文字"})

        with pytest.raises(ValidationFailed) as bad:
            complete(jd, "yangfan", draft.id, {"amount": "many"})
        assert set(bad.value.details) >= {"amount", "summary"}
        assert task_named(jd, case.id, "draft").state == "open"  # nothing moved

        complete(jd, "yangfan", draft.id, {"amount": 5000, "summary": "购置办公设备", "unknown": "dropped"})
        approve = task_named(jd, case.id, "secretary_approve")
        assert approve.candidates == ["lijianguo"]
        refused(jd, "yangfan", approve.id)
        complete(jd, "lijianguo", approve.id, {"decision": "同意"})

        reviews = {t.mi_item: t for t in open_tasks(jd, case.id) if t.element_id == "member_review"}
        assert set(reviews) == {"wanghong", "zhangwei"}
        assert reviews["wanghong"].candidates == ["wanghong"]
        refused(jd, "zhangwei", reviews["wanghong"].id)
        check = task_named(jd, case.id, "discipline_check")
        assert check.candidates == ["huangqiang"]
        assert check.due_at == T0 + timedelta(hours=1)

        # Two hours later the deadline has passed: the holder is told, once, however many passes run.
        clock.move_to(T0 + timedelta(hours=2))
        assert worker.run_once(jd.db).overdue == 1
        assert worker.run_once(jd.db).overdue == 0
        with jd.db.read() as session:
            kinds = session.scalars(select(Notification.kind).where(
                Notification.user_id == user(jd, "huangqiang").id)).all()
        assert kinds.count("task.overdue") == 1

        # Three days later the interrupting boundary timer has fired: the check is cancelled, escalated upward.
        clock.move_to(T0 + timedelta(days=3))
        assert worker.run_once(jd.db).timers_fired == 1
        escalated = task_named(jd, case.id, "escalated_review")
        assert escalated.candidates == ["zhengzhiyuan"]  # parent.discipline: the city's discipline lead
        with pytest.raises(Conflict):
            complete(jd, "huangqiang", check.id, {})
        complete(jd, "zhengzhiyuan", escalated.id, {})

        complete(jd, "wanghong", reviews["wanghong"].id, {"decision": "同意"})
        assert not [t for t in open_tasks(jd, case.id) if t.element_id == "archive"]  # join still waits
        complete(jd, "zhangwei", reviews["zhangwei"].id, {"decision": "不同意", "comment": "预算偏高"})
        archive = task_named(jd, case.id, "archive")
        complete(jd, "yangfan", archive.id, {})

    done = instance(jd, case.id)
    assert done.status == "completed" and done.ended_at is not None and open_tasks(jd, case.id) == []
    with jd.db.read() as session:
        kinds = [e.kind for e in session.scalars(select(AuditEvent).where(AuditEvent.instance_id == case.id)
                                                 .order_by(AuditEvent.seq))]
        assert kinds[0] == "instance.started" and kinds[-1] == "instance.completed"
        assert kinds.count("task.completed") == 6 and "timer.fired" in kinds and "task.cancelled" in kinds
        assert audit.verify_chain(session, f"instance:{case.id}").ok


def test_small_amount_skips_the_secretary(core):
    jd = core
    case = start(jd, "yangfan", "core_flow", data={"members": ["wanghong"]})
    complete(jd, "yangfan", task_named(jd, case.id, "draft").id, {"amount": 10, "summary": "小额事项"})
    steps = {t.element_id for t in open_tasks(jd, case.id)}
    assert steps == {"member_review", "discipline_check"}


def test_second_submit_of_the_same_task_is_a_conflict(core):
    jd = core
    case = start(jd, "yangfan", "core_flow", data={"members": ["wanghong"]})
    draft = task_named(jd, case.id, "draft")
    complete(jd, "yangfan", draft.id, {"amount": 10, "summary": "小额事项"})
    with pytest.raises(Conflict):
        complete(jd, "yangfan", draft.id, {"amount": 10, "summary": "小额事项"})
    with jd.db.read() as session:
        completions = session.scalars(select(AuditEvent).where(
            AuditEvent.instance_id == case.id, AuditEvent.kind == "task.completed")).all()
    assert len(completions) == 1
