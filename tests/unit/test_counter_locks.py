"""Two commands on two cases of the same process in the same unit never deadlock on the dashboard's running
totals (PostgreSQL; SQLite runs one writer at a time).

The order that used to deadlock, written as the two commands write it: B completes the last open step of its case
(the step's open-task counter row is locked) and then ends the case (the unit's "running" case counter); A changes
its case's status first (the same "running" counter) and then closes a task at the same step (the same open-task
counter). The case counters are now kept by a trigger deferred to commit, so within every transaction the case
counters come after every task counter, and the two writers queue instead of deadlocking."""
from __future__ import annotations

import threading

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
