"""Two commands on two cases of the same process in the same unit never deadlock on the dashboard's running
totals (PostgreSQL; SQLite runs one writer at a time). Each test writes the rows in the order two commands would,
on two connections, and lets them collide.

- B completes the last open step of its case (that step's open-task counter) and then ends the case (the unit's
  "running" case counter); A changes its case's status first (the same case counter), then closes a task at the
  same step. Fixed by keeping the case counters with a trigger deferred to commit.
- A moves a task at step X, then one at step Y; B moves one at Y, then one at X (two cases going opposite ways
  around a loop). Fixed by an advisory lock per unit and process taken before a task row changes: the second
  transaction waits for the first at its first task row, holding nothing the first needs."""
from __future__ import annotations

import threading
from sqlalchemy import select

import pytest
from sqlalchemy import text

from tests.support import deploy, start, task_named


def test_a_case_ending_while_another_changes_status_does_not_deadlock(jd):
    if jd.db.is_sqlite:
        pytest.skip("SQLite serializes writers on the database lock")
    deploy(jd, "core_flow.bpmn", "core_draft.form", "core_approve.form", actor="owner")
    ending = start(jd, "yangfan", "core_flow", data={"members": ["wanghong"]}, title="结束的案件")
    pausing = start(jd, "yangfan", "core_flow", data={"members": ["wanghong"]}, title="挂起的案件")
    ending_task = task_named(jd, ending.id, "draft").id
    pausing_task = task_named(jd, pausing.id, "draft").id

    with jd.db.engine.connect() as a, jd.db.engine.connect() as b:
        for conn in (a, b):
            conn.execute(text("SET lock_timeout = '20s'"))
        b.execute(text("UPDATE human_tasks SET state = 'completed' WHERE id = :id"), {"id": ending_task})
        a.execute(text("UPDATE process_instances SET status = 'suspended' WHERE id = :id"), {"id": pausing.id})
        failures: list[BaseException] = []

        def a_closes_its_task() -> None:
            try:
                a.execute(text("UPDATE human_tasks SET state = 'cancelled' WHERE id = :id"), {"id": pausing_task})
                a.commit()
            except BaseException as err:  # noqa: BLE001 - reported below
                failures.append(err)
                a.rollback()

        waiting = threading.Thread(target=a_closes_its_task)
        waiting.start()
        waiting.join(timeout=0.5)  # A now waits for B's open-task counter row
        try:
            b.execute(text("UPDATE process_instances SET status = 'completed', ended_at = now() WHERE id = :id"),
                      {"id": ending.id})
            b.commit()
        except BaseException as err:  # noqa: BLE001
            failures.append(err)
            b.rollback()
        waiting.join(timeout=30)
    assert not failures, failures


def test_two_cases_moving_tasks_at_two_steps_in_opposite_orders_do_not_deadlock(jd):
    if jd.db.is_sqlite:
        pytest.skip("SQLite serializes writers on the database lock")
    from service.models import HumanTask
    from tests.support import complete
    deploy(jd, "core_flow.bpmn", "core_draft.form", "core_approve.form", actor="owner")
    at_draft = [start(jd, "yangfan", "core_flow", data={"members": ["wanghong", "zhangwei"]}, title=f"起草{n}")
                for n in range(2)]
    at_review = start(jd, "yangfan", "core_flow", data={"members": ["wanghong", "zhangwei"]}, title="会签")
    complete(jd, "yangfan", task_named(jd, at_review.id, "draft").id, {"amount": 10, "summary": "小额事项"})
    with jd.db.read() as session:
        reviews = list(session.scalars(select(HumanTask.id).where(HumanTask.instance_id == at_review.id,
                                                                  HumanTask.element_id == "member_review",
                                                                  HumanTask.state == "open")).all())
    drafts = [task_named(jd, case.id, "draft").id for case in at_draft]
    assert len(reviews) == 2  # two open tasks at the second step, two at the first
    mark = text("UPDATE human_tasks SET escalated_at = now() WHERE id = :id")  # moves a task between counters

    failures: list[BaseException] = []
    a_started, b_started = threading.Event(), threading.Event()

    def run(conn, first: int, second: int, started: threading.Event, other: threading.Event) -> None:
        try:
            conn.execute(text("SET lock_timeout = '20s'"))
            conn.execute(mark, {"id": first})
            started.set()
            other.wait(timeout=0.5)  # let the other side take its first row, if it can
            conn.execute(mark, {"id": second})
            conn.commit()
        except BaseException as err:  # noqa: BLE001 - reported below
            failures.append(err)
            conn.rollback()
        finally:
            started.set()

    with jd.db.engine.connect() as a, jd.db.engine.connect() as b:
        side_a = threading.Thread(target=run, args=(a, drafts[0], reviews[0], a_started, b_started))
        side_a.start()
        a_started.wait(timeout=5)
        side_b = threading.Thread(target=run, args=(b, reviews[1], drafts[1], b_started, a_started))
        side_b.start()
        side_a.join(timeout=30)
        side_b.join(timeout=30)
    assert not failures, failures
