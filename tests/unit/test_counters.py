"""The dashboard's running totals (issue 8): after every kind of write a walk of real instances makes — start,
complete, the worker marking a task late, a boundary timer, suspend, resume, cancel, withdraw, a script error and
its retry, a delete, a rolled-back command — the counters (and each case's ``late_tasks``) equal a recount from
the rows, and the dashboard's figures and the overdue filter equal a brute-force count of the same rows."""
from __future__ import annotations

from datetime import datetime, timedelta, timezone

import pytest
import time_machine
from sqlalchemy import delete, func, select, update

from service import cases, clock, counters, dashboard, instances, problems, scope, worker
from service.cases import CaseFilters
from service.models import Base, HumanTask, ProcessInstance, Unit
from service.operations import withdraw
from tests.support import complete, deploy, instance, open_tasks, start, task_named, user
from tests.unit.test_cases_supervision import FAILING, MEMBERS, OFFICE

T0 = datetime(2026, 3, 2, 1, 0, tzinfo=timezone.utc)  # a Monday, 09:00 in Shanghai


@pytest.fixture
def core(jd):
    deploy(jd, "core_flow_start.bpmn", "core_start.form", "core_draft.form", "core_approve.form", actor="owner")
    deploy(jd, ("divide.bpmn", FAILING), actor="owner")
    return jd


def open_case(jd, unit: str, title: str):
    with jd.db.write() as session:
        return instances.start(session, user(jd, OFFICE[unit]), "core_flow", unit, title=title,
                               data={"members": MEMBERS[unit]}).instance


def assert_consistent(jd, supervisors=("supervisor", "eastsupervisor", "admin")) -> None:
    """Counters = recount; dashboard and overdue list = brute force over the rows, for each supervisor."""
    with jd.db.read() as session:
        conn = session.connection()
        assert counters.stored(conn) == counters.recount(conn)
        now = clock.now()
        for name in supervisors:
            actor = user(jd, name)
            units = scope.supervised_unit_ids(session, actor)
            figures = dashboard.figures(session, actor)
            expected = brute_force(session, units, now)
            totals = figures["totals"]
            assert (totals["cases"], totals["running"], totals["open_tasks"], totals["overdue_tasks"],
                    totals["overdue_cases"]) == expected["totals"], name
            assert {s["status"]: s["count"] for s in figures["by_status"] if s["count"]} == expected["by_status"]
            assert {u["unit"]: u["count"] for u in figures["overdue_by_unit"]} == expected["overdue_by_unit"]
            assert {(s["definition"], s["element_id"]): s["count"] for s in figures["overdue_by_step"]} \
                == expected["overdue_by_step"]
            listed = cases.visible_instances(session, actor, CaseFilters(scope="supervised", overdue=True,
                                                                         per_page=100))
            assert (listed.total, listed.total_capped) == (len(expected["overdue_ids"]), False), name
            assert sorted(item["id"] for item in listed.items) == sorted(expected["overdue_ids"]), name


def brute_force(session, units, now) -> dict:
    in_units = (lambda column: column.in_(units)) if units is not None else (lambda column: column.is_not(None))
    statuses = dict(session.execute(select(ProcessInstance.status, func.count())
                                    .where(in_units(ProcessInstance.unit_id))
                                    .group_by(ProcessInstance.status)).all())
    open_rows = session.execute(select(HumanTask.instance_id, HumanTask.unit_id, HumanTask.definition_key,
                                       HumanTask.element_id, HumanTask.due_at)
                                .where(HumanTask.state == "open", in_units(HumanTask.unit_id))).all()
    late = [row for row in open_rows if row.due_at is not None and row.due_at < now]
    codes = dict(session.execute(select(Unit.id, Unit.code)).all())
    by_unit, by_step = {}, {}
    for row in late:
        by_unit[codes[row.unit_id]] = by_unit.get(codes[row.unit_id], 0) + 1
        by_step[(row.definition_key, row.element_id)] = by_step.get((row.definition_key, row.element_id), 0) + 1
    overdue_ids = sorted({row.instance_id for row in late})
    return {"totals": (sum(statuses.values()), statuses.get("running", 0), len(open_rows), len(late),
                       len(overdue_ids)),
            "by_status": statuses, "overdue_by_unit": by_unit, "overdue_by_step": by_step,
            "overdue_ids": overdue_ids}


def test_counters_equal_a_recount_after_every_kind_of_write(core):
    jd = core
    with time_machine.travel(T0, tick=False) as travel:
        assert_consistent(jd)
        first = open_case(jd, "district", "第一件")
        second = open_case(jd, "district-edu", "第二件")
        third = open_case(jd, "east", "第三件")
        assert_consistent(jd)
        for case, holder in ((first, "yangfan"), (second, "guoli"), (third, "duxiao")):
            complete(jd, holder, task_named(jd, case.id, "draft").id, {"amount": 10, "summary": "小额事项"})
        assert_consistent(jd)  # each stands at the member reviews and the discipline check (due in an hour)

        travel.move_to(T0 + timedelta(hours=2))  # the checks are late, and the worker has not looked yet
        assert_consistent(jd)
        with jd.db.read() as session:
            assert session.scalar(select(func.count()).select_from(ProcessInstance)
                                  .where(ProcessInstance.late_tasks > 0)) == 0
        assert worker.run_once(jd.db).overdue == 3  # now it has: marked late, counted as such
        with jd.db.read() as session:
            assert session.scalar(select(func.sum(ProcessInstance.late_tasks))) == 3
        assert_consistent(jd)

        with jd.db.write() as session:  # a deadline moved later after the mark: no longer overdue
            session.execute(update(HumanTask).where(HumanTask.instance_id == third.id,
                                                    HumanTask.element_id == "discipline_check")
                            .values(due_at=clock.now() + timedelta(days=5)))
        assert_consistent(jd)

        with jd.db.write() as session:
            instances.suspend(session, user(jd, "supervisor"), second.id, "暂停")
        assert_consistent(jd)
        with jd.db.write() as session:
            instances.resume(session, user(jd, "supervisor"), second.id)
        with jd.db.write() as session:
            instances.cancel(session, user(jd, "supervisor"), first.id, "不再需要")
        assert instance(jd, first.id).status == "cancelled"
        assert_consistent(jd)

        travel.move_to(T0 + timedelta(days=3))  # the boundary timer cancels the late check and escalates
        assert worker.run_once(jd.db).timers_fired >= 1
        assert_consistent(jd)

        fourth = open_case(jd, "district", "第四件")  # withdrawn by its initiator before anyone acted
        assert_consistent(jd)
        with jd.db.write() as session:
            withdraw.withdraw_instance(session, user(jd, "yangfan"), fourth.id, "撤回")
        assert instance(jd, fourth.id).status == "cancelled"

        failing = start(jd, "yangfan", "divide", data={"divisor": 0})  # a script error, then a retry that fails
        complete(jd, "yangfan", task_named(jd, failing.id, "ask").id, {})
        assert instance(jd, failing.id).status == "error"
        assert_consistent(jd)
        with jd.db.read() as session:
            [problem] = [p for p in problems.open_problems(session, user(jd, "supervisor")).items
                         if p["instance_id"] == failing.id]
        with jd.db.write() as session:
            problems.retry(session, user(jd, "supervisor"), problem["id"])
        assert_consistent(jd)

        for _ in range(10):  # the second case runs to its end, each open task done by whoever holds it
            waiting = open_tasks(jd, second.id)
            if not waiting:
                break
            complete(jd, waiting[0].candidates[0], waiting[0].id, {"decision": "同意"})
        assert instance(jd, second.id).status == "completed"
        assert_consistent(jd)

        with pytest.raises(RuntimeError):  # a command that fails takes its counts with it
            with jd.db.write() as session:
                session.execute(update(ProcessInstance).where(ProcessInstance.id == third.id)
                                .values(status="completed", ended_at=clock.now()))
                session.execute(update(HumanTask).where(HumanTask.instance_id == third.id)
                                .values(state="cancelled"))
                raise RuntimeError("rolled back")
        assert_consistent(jd)

        with jd.db.write() as session:  # deleting a case and its rows takes them out of the counts
            task_ids = list(session.scalars(select(HumanTask.id).where(HumanTask.instance_id == third.id)))
            for table in reversed(Base.metadata.sorted_tables):
                if table.name in ("human_tasks", "process_instances"):
                    continue
                if "task_id" in table.c:
                    session.execute(delete(table).where(table.c.task_id.in_(task_ids)))
                if "instance_id" in table.c:
                    session.execute(delete(table).where(table.c.instance_id == third.id))
            session.execute(delete(HumanTask).where(HumanTask.instance_id == third.id))
            session.execute(delete(ProcessInstance).where(ProcessInstance.id == third.id))
        assert_consistent(jd)

    with jd.db.write() as session:  # and a rebuild from scratch changes nothing
        before = counters.stored(session.connection())
        counters.rebuild(session.connection())
        assert counters.stored(session.connection()) == before
