"""Timer workers: due timers fire once however many workers run; deadlines notify exactly once."""
from __future__ import annotations

from datetime import datetime, timedelta, timezone

import time_machine
from sqlalchemy import func, select

from service import worker
from service.models import AuditEvent, ProcessInstance
from tests.support import complete, deploy, open_tasks, start, task_named
from tests.unit.test_transactions import run_together

T0 = datetime(2026, 3, 2, 1, 0, tzinfo=timezone.utc)


def test_several_workers_fire_each_due_timer_once(jd):
    deploy(jd, "core_flow.bpmn", "core_draft.form", "core_approve.form", actor="owner")
    with time_machine.travel(T0, tick=False) as clock:
        cases = []
        for n in range(3):
            case = start(jd, "yangfan", "core_flow", data={"members": ["wanghong"]}, title=f"案件{n}")
            complete(jd, "yangfan", task_named(jd, case.id, "draft").id, {"amount": 1, "summary": "小额事项"})
            cases.append(case)
        with jd.db.read() as session:
            due = session.scalars(select(ProcessInstance.next_timer_at).where(
                ProcessInstance.id.in_([c.id for c in cases]))).all()
        assert due == [T0 + timedelta(days=2)] * 3  # the boundary timer's deadline is stored and indexed

        clock.move_to(T0 + timedelta(hours=2))  # each discipline check is overdue: one notice each, not three
        assert sum(r.overdue for r in run_together(*[lambda: worker.run_once(jd.db)] * 3)) == 3

        clock.move_to(T0 + timedelta(days=3))
        reports = run_together(*[lambda: worker.run_once(jd.db)] * 3)
        assert sum(r.timers_fired for r in reports) == 3 and not any(r.errors for r in reports)
    for case in cases:
        assert [t.element_id for t in open_tasks(jd, case.id) if t.element_id == "escalated_review"] == ["escalated_review"]
    with jd.db.read() as session:
        fired = session.scalar(select(func.count()).select_from(AuditEvent).where(AuditEvent.kind == "timer.fired"))
    assert fired == 3


def test_nothing_fires_before_its_time(jd):
    deploy(jd, "core_flow.bpmn", "core_draft.form", "core_approve.form", actor="owner")
    with time_machine.travel(T0, tick=False) as clock:
        case = start(jd, "yangfan", "core_flow", data={"members": ["wanghong"]})
        complete(jd, "yangfan", task_named(jd, case.id, "draft").id, {"amount": 1, "summary": "小额事项"})
        clock.move_to(T0 + timedelta(days=1, hours=23))
        assert worker.run_once(jd.db).timers_fired == 0
    assert task_named(jd, case.id, "discipline_check").state == "open"
