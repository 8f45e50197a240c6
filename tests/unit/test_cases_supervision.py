"""The supervision service (issue 6): who oversees which cases, every filter of the case list, overdue found with a
moving clock, the path a case took, the record's labelled opinions, the dashboard's figures, the heatmap, and the
problems list with its retry."""
from __future__ import annotations

from datetime import date, datetime, timedelta, timezone

import pytest
import time_machine
from sqlalchemy import select

from service import case_view, cases, clock, dashboard, heatmap, instances, problems, scope, stats, worker
from service.cases import CaseFilters
from service.errors import Conflict, Forbidden, NotFound, ValidationFailed
from service.models import AuditEvent, InstanceCC, InstanceProblem, Membership, Notification, Unit, User
from tests.support import complete, deploy, instance, one_step_bpmn, open_tasks, start, task_named, user

T0 = datetime(2026, 3, 2, 1, 0, tzinfo=timezone.utc)  # a Monday, 09:00 in Shanghai
OFFICE = {"district": "yangfan", "district-edu": "guoli", "district-health": "caoyan", "east": "duxiao"}
MEMBERS = {"district": ["wanghong", "zhangwei"], "district-edu": ["luoxiaoli"], "district-health": ["zhuhong"],
           "east": ["hanmei"]}


@pytest.fixture
def core(jd):
    deploy(jd, "core_flow_start.bpmn", "core_start.form", "core_draft.form", "core_approve.form", actor="owner")
    return jd


def open_case(jd, unit: str, title: str, case_no: str | None = None):
    with jd.db.write() as session:
        return instances.start(session, user(jd, OFFICE[unit]), "core_flow", unit, title=title, case_no=case_no,
                               data={"members": MEMBERS[unit]}).instance


def listed(jd, username: str, **filters) -> list[str]:
    filters.setdefault("scope", "supervised")
    filters.setdefault("per_page", 100)
    with jd.db.read() as session:
        page = cases.visible_instances(session, user(jd, username), CaseFilters(**filters))
    return sorted(item["title"] for item in page.items)


@pytest.fixture
def spread(core):
    """One case in the district, one in a district department, one in the sibling district."""
    with time_machine.travel(T0, tick=False):
        return {unit: open_case(core, unit, f"{unit} 案件") for unit in ("district", "district-edu", "east")}


# -- scope ---------------------------------------------------------------------------------------------------------

def test_a_supervisor_oversees_their_subtree_and_never_a_sibling_district(core, spread):
    assert listed(core, "supervisor") == ["district 案件", "district-edu 案件"]
    assert listed(core, "eastsupervisor") == ["east 案件"]
    assert listed(core, "zhengzhiyuan") == ["district 案件", "district-edu 案件", "east 案件"]
    assert listed(core, "admin") == ["district 案件", "district-edu 案件", "east 案件"]
    assert listed(core, "supervisor", unit="east") == []  # asking for the sibling finds nothing
    with core.db.read() as session:
        with pytest.raises(NotFound):
            scope.supervised_instance(session, user(core, "supervisor"), spread["east"].id)
        with pytest.raises(Forbidden):  # not a supervisor at all
            scope.require_supervisor(session, user(core, "yangfan"))


def test_the_case_list_keeps_to_supervised_units_even_where_the_api_shows_more(core, spread):
    with core.db.write() as session:  # copied on the east case: readable, but not a case they oversee
        session.add(InstanceCC(instance_id=spread["east"].id, user_id=user(core, "supervisor").id, created_at=T0))
    assert "east 案件" in listed(core, "supervisor", scope="visible")
    assert "east 案件" not in listed(core, "supervisor")


# -- filters ---------------------------------------------------------------------------------------------------------

def test_every_filter_of_the_case_list(core):
    with time_machine.travel(T0, tick=False) as clock:
        open_case(core, "district", "购置办公设备", case_no="JD-2026-001")
        clock.shift(timedelta(days=3))
        second = open_case(core, "district-edu", "=危险标题", case_no="JD-2026-002")
        complete(core, "guoli", task_named(core, second.id, "draft").id, {"amount": 5000, "summary": "教育局采购"})
        clock.shift(timedelta(days=10))
        third = open_case(core, "district", "年度预算调整")
        complete(core, "yangfan", task_named(core, third.id, "draft").id, {"amount": 10, "summary": "小额事项"})
    su = "supervisor"
    assert listed(core, su, unit="district") == ["年度预算调整", "购置办公设备"]
    assert listed(core, su, unit="district", subtree=True) == ["=危险标题", "年度预算调整", "购置办公设备"]
    assert listed(core, su, step="secretary_approve") == ["=危险标题"]
    assert listed(core, su, step="discipline_check") == ["年度预算调整"]
    assert listed(core, su, assignee="hezhiming") == ["=危险标题"]          # holds 书记审批 in the department
    assert listed(core, su, assignee="wanghong") == ["年度预算调整"]        # 成员会签, one item each
    assert listed(core, su, q="预算") == ["年度预算调整"]
    assert listed(core, su, q="jd-2026-00") == ["=危险标题", "购置办公设备"]  # case number, from its start
    assert listed(core, su, q="%") == []                                    # LIKE wildcards are literal
    assert listed(core, su, date_from="2026-03-04", date_to="2026-03-05") == ["=危险标题"]
    assert listed(core, su, date_to=date(2026, 3, 2)) == ["购置办公设备"]
    assert listed(core, su, definition="core_flow", status="running") == ["=危险标题", "年度预算调整", "购置办公设备"]
    assert listed(core, su, status="completed") == []
    with core.db.read() as session:
        page = cases.visible_instances(session, user(core, su), CaseFilters(scope="supervised", sort="title",
                                                                            order="asc", per_page=2, page=2))
        assert page.total == 3 and [i["title"] for i in page.items] == ["购置办公设备"]
        holders = {t["name"]: t["assignee"] for t in page.items[0]["open_tasks"]}
        assert holders == {"起草事项": "杨帆"} and page.items[0]["overdue"] is False
    with pytest.raises(ValidationFailed):
        listed(core, su, date_from="2026-02-30")
    with pytest.raises(ValidationFailed):
        listed(core, su, assignee="nobody-by-that-name")
    with pytest.raises(ValidationFailed):
        listed(core, su, date_from="2026-03-05", date_to="2026-03-01")


# -- overdue, with a moving clock -------------------------------------------------------------------------------------

def test_a_task_past_its_deadline_is_overdue_in_the_list_the_dashboard_the_diagram_and_the_heatmap(core):
    with time_machine.travel(T0, tick=False) as clock:
        case = open_case(core, "district", "期限测试")
        complete(core, "yangfan", task_named(core, case.id, "draft").id, {"amount": 10, "summary": "小额事项"})
        supervisor = user(core, "supervisor")
        with core.db.read() as session:
            assert listed(core, "supervisor", overdue=True) == []
            assert dashboard.figures(session, supervisor)["totals"]["overdue_tasks"] == 0
            assert case_view.case_view(session, supervisor, case.id)["marking"]["overdue"] == []

        clock.move_to(T0 + timedelta(hours=2))  # discipline_check is due after one hour
        assert listed(core, "supervisor", overdue=True) == ["期限测试"]
        assert listed(core, "eastsupervisor", overdue=True) == []
        with core.db.read() as session:
            figures = dashboard.figures(session, supervisor)
            assert figures["totals"]["overdue_tasks"] == 1 and figures["totals"]["overdue_cases"] == 1
            assert [(u["unit"], u["count"]) for u in figures["overdue_by_unit"]] == [("district", 1)]
            assert [(s["element_id"], s["count"]) for s in figures["overdue_by_step"]] == [("discipline_check", 1)]
            assert figures["overdue_by_step"][0]["filter"] == {"definition": "core_flow", "step": "discipline_check",
                                                               "overdue": True}
            east = dashboard.figures(session, user(core, "eastsupervisor"))
            assert east["totals"]["overdue_tasks"] == 0 and east["overdue_by_unit"] == []
            marking = case_view.case_view(session, supervisor, case.id)["marking"]
            assert marking["overdue"] == ["discipline_check"] and "discipline_check" in marking["current"]
            heat = {e["element_id"]: e for e in heatmap.heatmap(session, supervisor, "core_flow")["elements"]}
            assert heat["discipline_check"]["overdue"] == 1 and heat["member_review"]["open"] == 2


# -- the path taken -------------------------------------------------------------------------------------------------

def test_the_path_follows_the_branch_taken_and_the_boundary_timer(core):
    with time_machine.travel(T0, tick=False) as clock:
        big = open_case(core, "district", "大额")
        complete(core, "yangfan", task_named(core, big.id, "draft").id, {"amount": 5000, "summary": "大额事项"})
        small = open_case(core, "district", "小额")
        complete(core, "yangfan", task_named(core, small.id, "draft").id, {"amount": 10, "summary": "小额事项"})
        supervisor = user(core, "supervisor")
        with core.db.read() as session:
            path = case_view.case_view(session, supervisor, big.id)["marking"]
            assert {"f_start", "f_draft", "f_large"} <= set(path["path"]) and "f_small" not in path["path"]
            assert "amount_check" in path["completed"] and "secretary_approve" in path["current"]
            small_path = case_view.case_view(session, supervisor, small.id)["marking"]["path"]
            assert {"f_small", "f_to_split", "f_to_members", "f_to_discipline"} <= set(small_path)
            assert "f_large" not in small_path and "f_timeout" not in small_path
        clock.move_to(T0 + timedelta(days=3))  # the boundary timer (two days) cancels the check, escalates
        worker.run_once(core.db)
        with core.db.read() as session:
            marking = case_view.case_view(session, supervisor, small.id)["marking"]
        assert "f_timeout" in marking["path"] and "f_checked" not in marking["path"]
        assert "escalated_review" in marking["current"] and "discipline_timeout" in marking["completed"]


# -- the case view and the record --------------------------------------------------------------------------------------

def test_the_case_view_quotes_every_opinion_with_its_form_labels_and_verifies_the_chain(core):
    with time_machine.travel(T0, tick=False):
        case = open_case(core, "district", "意见测试")
        complete(core, "yangfan", task_named(core, case.id, "draft").id,
                 {"amount": 5000, "summary": "第一段说明。\n第二段说明，写得比较长，用来检查全文引用是否完整保留。"})
        complete(core, "lijianguo", task_named(core, case.id, "secretary_approve").id,
                 {"decision": "不同意", "comment": "预算偏高"})
    with core.db.read() as session:
        view = case_view.case_view(session, user(core, "supervisor"), case.id)
        with pytest.raises(NotFound):
            case_view.case_view(session, user(core, "eastsupervisor"), case.id)
    assert view["verification"]["ok"] and view["verification"]["events"] == len(view["timeline"])
    completed = [e for e in view["timeline"] if e["kind"] == "task.completed"]
    draft_fields = {f["label"]: f for f in completed[0]["fields"]}
    summary = draft_fields["事项说明"]
    assert summary["text"].endswith("用来检查全文引用是否完整保留。") and summary["long"]
    assert draft_fields["金额（元）"]["text"] == "5000"
    assert [(f["label"], f["text"]) for f in completed[1]["fields"]] == [("意见", "不同意"), ("说明", "预算偏高")]
    assert [(o["name"], o["by"]) for o in view["opinions"]] == [("起草事项", "杨帆"), ("书记审批", "李建国")]
    started = next(e for e in view["timeline"] if e["kind"] == "instance.started")
    assert (started["fields"][0]["label"], started["fields"][0]["text"]) == ("参与会签的班子成员", "王红、张伟")
    assert view["elapsed_seconds"] >= 0 and view["has_diagram"]


def test_labelled_data_reads_options_lists_and_unknown_keys():
    schema = {"components": [
        {"type": "radio", "key": "decision", "label": "意见", "values": [{"label": "同意", "value": "yes"}]},
        {"type": "checkbox", "key": "urgent", "label": "加急"},
        {"type": "dynamiclist", "path": "items", "label": "整改清单", "isRepeating": True, "components": [
            {"type": "textfield", "key": "problem", "label": "问题"}, {"type": "textfield", "key": "owner", "label": "责任人"}]},
    ]}
    fields = case_view.labelled(schema, {"decision": "yes", "urgent": False, "extra": [1, 2],
                                         "items": [{"problem": "会议不规范", "owner": "liuyang"}]})
    assert [(f["label"], f["text"]) for f in fields] == [
        ("意见", "同意"), ("加急", "否"), ("整改清单", "1. 问题：会议不规范；责任人：liuyang"), ("extra", "1、2")]


# -- the dashboard -----------------------------------------------------------------------------------------------------

def test_dashboard_counts_durations_percentiles_and_trend_within_scope(core):
    with time_machine.travel(T0, tick=False) as clock:
        for hours in (1, 2, 3, 4, 10):
            case = open_case(core, "district", f"用时 {hours}")
            clock.shift(timedelta(hours=hours))
            complete(core, "yangfan", task_named(core, case.id, "draft").id, {"amount": 10, "summary": "小额事项"})
        open_case(core, "east", "东城案件")
        clock.shift(timedelta(days=7))
        with core.db.read() as session:
            figures = dashboard.figures(session, user(core, "supervisor"), dashboard.DashboardFilters(weeks=3))
            east = dashboard.figures(session, user(core, "eastsupervisor"))
            everyone = dashboard.figures(session, user(core, "admin"))
    assert figures["totals"]["cases"] == 5 and east["totals"]["cases"] == 1 and everyone["totals"]["cases"] == 6
    assert [(u["unit"], u["count"]) for u in figures["by_unit"]] == [("district", 5)]
    assert {s["status"]: s["count"] for s in figures["by_status"]}["running"] == 5
    draft = next(s for s in figures["step_durations"] if s["element_id"] == "draft")
    assert draft["count"] == 5 and draft["avg_seconds"] == pytest.approx(4 * 3600, abs=1)
    assert draft["p90_seconds"] == pytest.approx(stats.percentile([1, 2, 3, 4, 10], 90) * 3600, abs=1)
    assert draft["filter"] == {"definition": "core_flow", "step": "draft"}
    assert [w["week"] for w in figures["trend"]] == ["2026-02-23", "2026-03-02", "2026-03-09"]
    assert [w["started"] for w in figures["trend"]] == [0, 5, 0]
    assert figures["trend"][1]["filter"] == {"from": "2026-03-02", "to": "2026-03-08"}
    with core.db.read() as session:
        with pytest.raises(Forbidden):
            dashboard.figures(session, user(core, "yangfan"))


def test_percentile_interpolates_between_ranks():
    assert stats.percentile([], 90) is None
    assert stats.percentile([5], 90) == 5
    assert stats.percentile([1, 2, 3, 4, 10], 90) == pytest.approx(7.6)
    assert stats.percentile(list(range(1, 101)), 50) == pytest.approx(50.5)


# -- problems ----------------------------------------------------------------------------------------------------------

NOBODY = one_step_bpmn("legal_review", "法制审核", "合法性审查", "legal")


def test_an_assignment_problem_is_listed_and_retried_once_the_organisation_is_fixed(jd):
    deploy(jd, ("legal_review.bpmn", NOBODY), actor="owner")
    case = start(jd, "duxiao", "legal_review", unit="east", title="东城合法性审查")  # east has no legal role
    with jd.db.read() as session:
        listed_east = problems.open_problems(session, user(jd, "eastsupervisor"))
        assert problems.open_problems(session, user(jd, "supervisor")).total == 0
        assert problems.problem_count(session, user(jd, "yangfan")) == 0
    [item] = listed_east.items
    assert item["kind"] == "assignment" and "没有找到办理人" in item["message"] and item["retryable"]
    with pytest.raises(NotFound):
        with jd.db.write() as session:
            problems.retry(session, user(jd, "supervisor"), item["id"])  # another district's problem
    with jd.db.write() as session:
        outcome = problems.retry(session, user(jd, "eastsupervisor"), item["id"])
    assert outcome["resolved"] is False and "仍然没有找到办理人" in outcome["message"]

    with jd.db.write() as session:  # the organisation is fixed: east gets a legal reviewer
        east = session.scalar(select(Unit).where(Unit.code == "east"))
        session.add(Membership(user_id=user(jd, "yuqing").id, unit_id=east.id, role="legal"))
    with jd.db.write() as session:
        outcome = problems.retry(session, user(jd, "eastsupervisor"), item["id"])
    assert outcome["resolved"] is True
    [task] = open_tasks(jd, case.id)
    assert task.assignee_id == user(jd, "yuqing").id and task.candidates == ["yuqing"]
    with jd.db.read() as session:
        assert problems.open_problems(session, user(jd, "eastsupervisor")).total == 0
        assert session.scalar(select(InstanceProblem.resolved_at).where(InstanceProblem.id == item["id"]))
        kinds = session.scalars(select(Notification.kind).where(Notification.user_id == user(jd, "yuqing").id)).all()
        assert "task.new" in kinds
        assert "task.assignment_retried" in session.scalars(select(AuditEvent.kind).where(
            AuditEvent.instance_id == case.id)).all()
    with pytest.raises(Conflict):
        with jd.db.write() as session:
            problems.retry(session, user(jd, "eastsupervisor"), item["id"])


FAILING = """<?xml version="1.0" encoding="UTF-8"?>
<bpmn:definitions xmlns:bpmn="http://www.omg.org/spec/BPMN/20100524/MODEL" id="d"
                  targetNamespace="http://jiandu.example/t">
  <bpmn:process id="divide" name="计算" isExecutable="true">
    <bpmn:startEvent id="start"/>
    <bpmn:sequenceFlow id="f1" sourceRef="start" targetRef="ask"/>
    <bpmn:userTask id="ask" name="填写"/>
    <bpmn:sequenceFlow id="f2" sourceRef="ask" targetRef="calc"/>
    <bpmn:scriptTask id="calc" name="计算比例"><bpmn:script>ratio = 100 / divisor</bpmn:script></bpmn:scriptTask>
    <bpmn:sequenceFlow id="f3" sourceRef="calc" targetRef="end"/>
    <bpmn:endEvent id="end"/>
  </bpmn:process>
</bpmn:definitions>"""


def test_a_failed_instance_is_listed_and_a_retry_that_still_fails_keeps_it_listed(jd):
    deploy(jd, ("divide.bpmn", FAILING), actor="owner")
    case = start(jd, "yangfan", "divide", data={"divisor": 0})
    complete(jd, "yangfan", task_named(jd, case.id, "ask").id, {})
    assert instance(jd, case.id).status == "error"
    with jd.db.read() as session:
        [item] = problems.open_problems(session, user(jd, "supervisor")).items
    assert item["kind"] == "script" and item["status"] == "error" and item["retryable"]
    with jd.db.write() as session:
        outcome = problems.retry(session, user(jd, "supervisor"), item["id"])
    assert outcome["resolved"] is False and instance(jd, case.id).status == "error"
    with jd.db.read() as session:
        assert problems.open_problems(session, user(jd, "supervisor")).total == 1


def test_people_pickers_read_by_name_and_stay_unambiguous(core):
    """A field whose options come from a process variable (`unit_people`) stored usernames; the record shows the
    people as the form showed them — by name — and adds the username where two people of the unit share a name."""
    schema = {"components": [{"type": "checklist", "key": "attendees", "label": "出席人员", "valuesKey": "unit_people"},
                             {"type": "select", "key": "owner", "label": "责任人", "valuesKey": "unit_people"}]}
    with core.db.read() as session:
        district = session.scalar(select(Unit).where(Unit.code == "district"))
        people = case_view.unit_people(session, district.id)
    assert people["wanghong"] == "王红" and people["lijianguo"] == "李建国"
    people["someone"] = "王红（someone）"  # as unit_people words a second 王红
    fields = case_view.labelled(schema, {"attendees": ["lijianguo", "wanghong", "outsider"], "owner": "zhangwei"},
                                people)
    assert [(f["label"], f["text"]) for f in fields] == [("出席人员", "李建国、王红、outsider"), ("责任人", "张伟")]


def test_two_people_of_one_unit_with_one_name_are_told_apart(core):
    with core.db.write() as session:
        district = session.scalar(select(Unit).where(Unit.code == "district"))
        namesake = User(username="wanghong2", name="王红", password_hash="x", created_at=clock.now())
        session.add(namesake)
        session.flush()
        session.add(Membership(user_id=namesake.id, unit_id=district.id, role="member"))
    with core.db.read() as session:
        people = case_view.unit_people(session, district.id)
    assert people["wanghong"] == "王红（wanghong）" and people["wanghong2"] == "王红（wanghong2）"
    assert people["zhangwei"] == "张伟"
