"""Process C: the half-yearly 一岗双责 hearing, started by the schedule in every unit with a secretary, walked by
the district's real people, with its deadlines escalating on a fake clock."""
from __future__ import annotations

from datetime import datetime, timedelta, timezone

import pytest
import time_machine
from sqlalchemy import func, select

from service import audit, recurring, timefns, worker
from service.errors import Forbidden, ValidationFailed
from service.models import ProcessInstance, ScheduledStart, Unit
from tests.support import complete, instance, open_tasks, start, task_named
from tests.unit.test_transactions import run_together
from tests.workflows.conftest import by_item, events, notices, refused, tasks_of

NEW_YEAR = datetime(2026, 1, 1, 1, 0, tzinfo=timezone.utc)  # 09:00 in Shanghai, first day of 2026-H1
MEMBERS = {"wanghong": "王红", "zhangwei": "张伟", "liuyang": "刘洋", "chenjing": "陈静"}
UNITS_WITH_SECRETARY = {"city", "district", "district-edu", "district-health", "east"}


def scheduled(jd, unit_code: str, period: str = "2026-H1") -> ProcessInstance:
    with jd.db.read() as session:
        unit_id = session.scalar(select(Unit.id).where(Unit.code == unit_code))
        row = session.get(ScheduledStart, ("dual_duty_hearing", unit_id, period))
        assert row is not None and row.instance_id is not None, unit_code
        return session.get(ProcessInstance, row.instance_id)


def report(jd, case, username):
    task = task_named(jd, case.id, "member_report", MEMBERS[username])
    complete(jd, username, task.id, {"report_text": f"{MEMBERS[username]}分管领域履职情况", "problems": "督促检查不够经常"})


def hear_all(jd, case, short: dict[str, str]):
    for name, task in by_item(jd, case.id, "hearing").items():
        username = next(u for u, n in MEMBERS.items() if n == name)
        data = {"hearing_date": "2026-05-20", "assessment": "存在不足" if username in short else "履职到位"}
        if username in short:
            data["assessment_comments"] = short[username]
        complete(jd, "lijianguo", task.id, data)


def test_the_schedule_starts_one_hearing_per_unit_with_a_secretary_per_half_year(library):
    jd = library
    with time_machine.travel(NEW_YEAR, tick=False) as clock:
        assert worker.run_once(jd.db).started == len(UNITS_WITH_SECRETARY)
        assert worker.run_once(jd.db).started == 0  # every later pass of the half year finds nothing to do
        with jd.db.read() as session:
            rows = session.execute(select(Unit.code, ScheduledStart.period).join(
                Unit, Unit.id == ScheduledStart.unit_id)).all()
        assert sorted(rows) == sorted((code, "2026-H1") for code in UNITS_WITH_SECRETARY)

        case = scheduled(jd, "district")
        assert case.initiator_id is None and case.title == "示例区委2026年上半年“一岗双责”听取汇报"
        started = events(jd, case.id, "instance.started")[0]
        assert started["actor"] == "system" and started["payload"]["data"] == {"period": "2026-H1"}

        clock.move_to(datetime(2026, 3, 10, tzinfo=timezone.utc))
        assert worker.run_once(jd.db).started == 0
        clock.move_to(datetime(2026, 6, 30, 16, 0, tzinfo=timezone.utc))  # 1 July 00:00 in Shanghai: 2026-H2
        assert recurring.start_due(jd.db, timefns.now()) != []
        assert scheduled(jd, "district", "2026-H2").id != case.id


def test_racing_workers_start_exactly_one_instance_per_unit(library):
    jd = library
    with time_machine.travel(NEW_YEAR, tick=False):
        results = run_together(*[lambda: recurring.start_due(jd.db, timefns.now())] * 3)
    assert not [r for r in results if isinstance(r, Exception)]
    assert sum(len(r) for r in results) == len(UNITS_WITH_SECRETARY)
    with jd.db.read() as session:
        counts = session.execute(select(ProcessInstance.unit_id, func.count()).where(
            ProcessInstance.definition_key == "dual_duty_hearing").group_by(ProcessInstance.unit_id)).all()
    assert len(counts) == len(UNITS_WITH_SECRETARY) and {n for _, n in counts} == {1}


def test_hearing_main_path_with_a_summons_for_the_member_falling_short(library):
    jd = library
    with time_machine.travel(NEW_YEAR, tick=False):
        recurring.start_due(jd.db, timefns.now())
        case = scheduled(jd, "district")

        reports = by_item(jd, case.id, "member_report")
        assert set(reports) == set(MEMBERS.values())
        for username, name in MEMBERS.items():
            assert reports[name].candidates == [username]          # each report to that member only
        # Reports are due ten working days before the half year ends; the hearing by its last day.
        assert reports["王红"].due_at == timefns.parse_datetime(timefns.add_workdays("2026-06-30", -10))
        refused(jd, "zhangwei", reports["王红"].id, {"report_text": "代写", "problems": "无"})
        refused(jd, "lijianguo", reports["王红"].id, {"report_text": "代写", "problems": "无"})
        for username in MEMBERS:
            report(jd, case, username)

        hearings = by_item(jd, case.id, "hearing")
        assert set(hearings) == set(MEMBERS.values())
        assert {tuple(t.candidates) for t in hearings.values()} == {("lijianguo",)}
        assert hearings["王红"].due_at == timefns.parse_datetime("2026-06-30")
        refused(jd, "huangqiang", hearings["王红"].id, {"hearing_date": "2026-05-20", "assessment": "履职到位"})
        with pytest.raises(ValidationFailed):  # falling short without saying why is refused by the form
            complete(jd, "lijianguo", hearings["王红"].id, {"hearing_date": "2026-05-20", "assessment": "存在不足"})
        hear_all(jd, case, {"wanghong": "分管领域发生违纪问题，监督责任落实不力"})

        sealed = events(jd, case.id, "record.sealed")
        assert len(sealed) == 1 and sealed[0]["actor"] == "system"
        record = sealed[0]["payload"]["record"]["hearing_record"]
        assert record["short_members"] == ["wanghong"]
        assert {r["username"]: r["assessment"] for r in record["members"]} == {
            "wanghong": "存在不足", "zhangwei": "履职到位", "liuyang": "履职到位", "chenjing": "履职到位"}

        review = task_named(jd, case.id, "discipline_review")
        assert review.candidates == ["huangqiang"]
        refused(jd, "lijianguo", review.id, {"review_comments": "已阅"})
        refused(jd, "zhengzhiyuan", review.id, {"review_comments": "已阅"})
        summons = task_named(jd, case.id, "summons", "王红")
        assert summons.candidates == ["lijianguo"]
        refused(jd, "wanghong", summons.id)
        complete(jd, "lijianguo", summons.id, {"summons_date": "2026-05-25", "summons_record": "指出问题，提出整改要求",
                                               "follow_up_due": "2026-06-25"})
        follow_up = task_named(jd, case.id, "follow_up", "王红")
        assert follow_up.candidates == ["wanghong"]
        assert follow_up.due_at == timefns.parse_datetime("2026-06-25")
        refused(jd, "zhangwei", follow_up.id, {"follow_up_report": "代报"})
        complete(jd, "wanghong", follow_up.id, {"follow_up_report": "已建立分管领域廉政风险清单"})
        assert instance(jd, case.id).status == "running"  # the discipline lead has not seen the record yet
        complete(jd, "huangqiang", review.id, {"review_comments": "已阅，督促整改到位"})

    done = instance(jd, case.id)
    assert done.status == "completed" and open_tasks(jd, case.id) == []
    completed = events(jd, case.id, "task.completed")
    assert [e["actor"] for e in completed if e["element_id"] == "member_report"] == list(MEMBERS)
    with jd.db.read() as session:
        assert audit.verify_chain(session, f"instance:{case.id}").ok


def test_nobody_falling_short_needs_no_summons(library):
    jd = library
    with time_machine.travel(NEW_YEAR, tick=False):
        recurring.start_due(jd.db, timefns.now())
        case = scheduled(jd, "district-edu")  # members luoxiaoli, gaojun, lintao; secretary hezhiming
        reports = by_item(jd, case.id, "member_report")
        assert set(reports) == {"罗晓丽", "高军", "林涛"}
        for task in reports.values():
            complete(jd, task.candidates[0], task.id, {"report_text": "履职情况", "problems": "无"})
        for task in tasks_of(jd, case.id, "hearing"):
            assert task.candidates == ["hezhiming"]
            complete(jd, "hezhiming", task.id, {"hearing_date": "2026-06-01", "assessment": "履职到位"})
        assert {t.element_id for t in open_tasks(jd, case.id)} == {"discipline_review"}
        complete(jd, "majun", task_named(jd, case.id, "discipline_review").id, {"review_comments": "已阅"})
    assert instance(jd, case.id).status == "completed"


def test_overdue_reports_and_hearing_escalate_to_the_discipline_leads(library):
    jd = library
    with time_machine.travel(NEW_YEAR, tick=False) as clock:
        worker.run_once(jd.db)
        case = scheduled(jd, "district")
        for username in ("zhangwei", "liuyang", "chenjing"):
            report(jd, case, username)
        late = task_named(jd, case.id, "member_report", "王红")

        clock.move_to(late.due_at - timedelta(hours=1))
        assert worker.run_once(jd.db).overdue == 0
        clock.move_to(late.due_at + timedelta(minutes=1))
        worker.run_once(jd.db)
        assert len(notices(jd, "wanghong", "task.overdue", case.id)) == 1
        for lead in ("huangqiang", "zhengzhiyuan"):  # the unit's and the superior discipline lead
            assert len(notices(jd, lead, "task.escalated", case.id)) == 1
        overdue = events(jd, case.id, "task.overdue")
        assert [e["task_id"] for e in overdue] == [late.id]

        worker.run_once(jd.db)  # once only
        assert len(notices(jd, "zhengzhiyuan", "task.escalated", case.id)) == 1

        report(jd, case, "wanghong")
        clock.move_to(datetime(2026, 6, 30, 16, 1, tzinfo=timezone.utc))  # the half year is over, no hearing held
        worker.run_once(jd.db)
        hearing_overdue = [e for e in events(jd, case.id, "task.overdue") if e["element_id"] == "hearing"]
        assert len(hearing_overdue) == 4
        assert len(notices(jd, "zhengzhiyuan", "task.escalated", case.id)) == 5
        assert len(notices(jd, "lijianguo", "task.overdue", case.id)) == 4


def test_the_superior_discipline_lead_may_start_a_missed_hearing_by_hand(library):
    jd = library
    with time_machine.travel(datetime(2026, 8, 3, 2, 0, tzinfo=timezone.utc), tick=False):
        with pytest.raises(Forbidden):
            start(jd, "lijianguo", "dual_duty_hearing", "district")
        case = start(jd, "zhengzhiyuan", "dual_duty_hearing", "district", title="补发：2026年下半年听取汇报")
        report_task = task_named(jd, case.id, "member_report", "王红")
        assert report_task.due_at == timefns.parse_datetime(timefns.add_workdays("2026-12-31", -10))
