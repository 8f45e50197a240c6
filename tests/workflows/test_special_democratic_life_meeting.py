"""Process A: the special democratic-life meeting after a major case (以案促改), walked by the district's real
people and the city's discipline lead, with every loop of DOMAIN.md and the deadlines on a fake clock."""
from __future__ import annotations

from datetime import datetime, timedelta, timezone

import pytest
import time_machine

from service import audit, timefns, worker
from service.errors import Forbidden, ValidationFailed
from tests.support import complete, instance, open_tasks, start, task_named
from tests.workflows.conftest import by_item, events, notices, refused, tasks_of

T0 = datetime(2026, 3, 2, 1, 0, tzinfo=timezone.utc)  # Monday 2 March 2026, 09:00 in Shanghai
TEAM = ["lijianguo", "wanghong", "zhangwei", "liuyang", "chenjing"]
MEMBERS = {"wanghong": "王红", "zhangwei": "张伟", "liuyang": "刘洋", "chenjing": "陈静"}
DUODAO = {"fenghaiyan", "chenmingliang", "wangjianhua"}
MEETING = "2026-03-20"


@pytest.fixture
def clock(library):
    with time_machine.travel(T0, tick=False) as traveller:
        yield traveller


class Meeting:
    """One instance and its steps, each done by the person who holds it. A strict walk (the main path) also tries
    every step as a few people who do not hold it; the loop tests skip that to stay quick."""

    def __init__(self, jd, data=None, strict=False):
        self.jd, self.strict = jd, strict
        self.case = start(jd, "zhengzhiyuan", "special_democratic_life_meeting", title="张某某案以案促改专题民主生活会",
                          data=data)
        task = self.only("register_case", ["zhengzhiyuan"], outsiders=("lijianguo", "huangqiang"))
        self.do("zhengzhiyuan", task, {
            "case_title": "区住建局原局长张某某严重违纪违法案", "case_no": "市纪〔2026〕12号", "case_summary": "收受贿赂",
            "concluded_on": "2026-02-20", "letter_no": "市纪建〔2026〕3号", "letter_text": "建议召开专题民主生活会",
            "reply_deadline": "2026-06-30"})

    def only(self, element_id, holders, outsiders=("yangfan", "zhangwei", "hezhiming"), mi_item=None, always=False):
        task = task_named(self.jd, self.case.id, element_id, mi_item)
        assert sorted(task.candidates) == sorted(holders), (element_id, task.candidates)
        for outsider in [u for u in outsiders if u not in holders] if self.strict or always else ():
            refused(self.jd, outsider, task.id)
        return task

    def do(self, username, task, data):
        return complete(self.jd, username, task.id, data)

    def steps(self):
        return sorted({t.element_id for t in open_tasks(self.jd, self.case.id)})

    # -- step 2 and 3 ---------------------------------------------------------------------------------------------
    def plan(self, meeting=MEETING, attendees=TEAM):
        task = self.only("draft_plan", ["yangfan"], outsiders=("lijianguo", "zhengzhiyuan"))
        self.do("yangfan", task, {"theme": "以案为鉴、以案促改", "meeting_date": meeting, "attendees": list(attendees),
                                  "observers": "市纪委监委督导组", "agenda": "通报案情；书记作对照检查；班子成员逐一发言"})

    def review(self, decision="同意", comments="", reviewer="fenghaiyan"):
        task = self.only("review_plan", sorted(DUODAO | {"zhengzhiyuan"}), outsiders=("yangfan", "lijianguo"))
        self.do(reviewer, task, {"plan_decision": decision} | ({"plan_comments": comments} if comments else {}))

    # -- step 4 ---------------------------------------------------------------------------------------------------
    def preparation(self):
        self.do("yangfan", self.only("study_record", ["yangfan"], outsiders=("lijianguo",)),
                {"study_date": "2026-03-05", "study_record": "集中学习党章党规和案件通报"})
        self.do("yangfan", self.only("opinion_summary", ["yangfan"], outsiders=("lijianguo",)),
                {"opinion_scope": "向下属单位和服务对象征求意见", "opinion_summary": "共征求意见 23 条"})
        talks = by_item(self.jd, self.case.id, "heart_talk")
        assert set(talks) == set(MEMBERS.values())  # the secretary talks with each member: one record each
        for name, task in talks.items():
            assert task.candidates == ["lijianguo"]
            if self.strict:
                refused(self.jd, "wanghong", task.id, {"talk_date": "2026-03-06", "talk_record": "代记"})
            self.do("lijianguo", task, {"talk_date": "2026-03-06", "talk_record": f"与{name}谈心谈话，互相提醒"})

    # -- step 5 and 6 ---------------------------------------------------------------------------------------------
    def outlines(self, writers=MEMBERS):
        tasks = by_item(self.jd, self.case.id, "write_outline")
        assert set(tasks) == {MEMBERS[u] for u in writers}
        for username in writers:
            task = tasks[MEMBERS[username]]
            assert task.candidates == [username]  # each outline to its member only
            if self.strict:
                other = next(u for u in MEMBERS if u != username)
                refused(self.jd, other, task.id, {"outline_text": "代写"})
                refused(self.jd, "lijianguo", task.id, {"outline_text": "代写"})
            self.do(username, task, {"outline_text": f"{MEMBERS[username]}对照检查：理想信念、作风建设方面的不足"})

    def self_report(self):
        self.do("lijianguo", self.only("write_report", ["lijianguo"], outsiders=("wanghong", "yangfan")),
                {"report_text": "领导班子对照检查材料：落实主体责任不力"})

    def review_outlines(self, returned: dict[str, str] | None = None):
        returned = returned or {}
        for name, task in by_item(self.jd, self.case.id, "review_outline").items():
            assert task.candidates == ["lijianguo"]
            username = next(u for u, n in MEMBERS.items() if n == name)
            if self.strict:
                refused(self.jd, username, task.id, {"outline_decision": "通过"})
            if username in returned:
                self.do("lijianguo", task, {"outline_decision": "退回修改", "outline_comments": returned[username]})
            else:
                self.do("lijianguo", task, {"outline_decision": "通过"})

    def materials(self):
        self.outlines()
        self.self_report()
        self.review_outlines()

    def audit(self, decision="通过", comments="", **extra):
        task = self.only("audit_materials", sorted(DUODAO), outsiders=("yangfan", "lijianguo", "zhengzhiyuan"))
        self.do("chenmingliang", task, {"materials_decision": decision, **extra}
                | ({"materials_comments": comments} if comments else {}))

    # -- step 8 and 9 ---------------------------------------------------------------------------------------------
    def hold(self, present=TEAM, held_on=MEETING):
        self.do("yangfan", self.only("record_meeting", ["yangfan"], outsiders=("lijianguo", "fenghaiyan")),
                {"meeting_date": held_on, "present": list(present), "absence_notes": "", "minutes": "会议记录全文",
                 "superior_comment": "市纪委监委督导组点评：查摆问题深刻"})

    def evaluate(self, verdict="达到要求", comments=""):
        task = self.only("evaluate_meeting", sorted(DUODAO), outsiders=("yangfan", "lijianguo"))
        self.do("wangjianhua", task, {"meeting_verdict": verdict} | ({"verdict_comments": comments} if comments else {}))

    def rectification_list(self, items):
        self.do("lijianguo", self.only("rectification_list", ["lijianguo"], outsiders=("wanghong", "yangfan")),
                {"rectifications": items})

    def up_to_meeting(self):
        self.plan()
        self.review()
        self.preparation()
        self.materials()
        self.audit()

    def quorums(self):
        return [e["payload"]["record"]["quorum"] for e in events(self.jd, self.case.id, "record.sealed")
                if e["element_id"] == "check_quorum"]


ITEMS = [
    {"problem": "工程项目审批把关不严", "measure": "建立项目审批集体研究制度", "owner": "wanghong", "deadline": "2026-05-31"},
    {"problem": "廉政风险排查不到位", "measure": "开展廉政风险点排查", "owner": "zhangwei", "deadline": "2026-06-15"},
]


def test_main_path_end_to_end(clock, library):
    jd = library
    with pytest.raises(Forbidden):  # started by the superior discipline lead for the unit concerned
        start(jd, "lijianguo", "special_democratic_life_meeting")
    m = Meeting(jd, strict=True)
    draft = task_named(jd, m.case.id, "draft_plan")
    assert draft.due_at == timefns.add_workdays(T0, 10)  # within 10 working days of the letter
    m.plan()
    review = task_named(jd, m.case.id, "review_plan")
    assert review.due_at == timefns.parse_datetime("2026-03-13")  # approved at least 7 days before the meeting
    m.review()
    assert m.steps() == ["heart_talk", "opinion_summary", "study_record"]
    m.preparation()
    assert m.steps() == ["write_outline", "write_report"]
    m.outlines()
    m.self_report()
    m.review_outlines({"zhangwei": "剖析不深刻，缺少具体事例"})
    rewrite = m.only("write_outline", ["zhangwei"], mi_item="张伟")  # only the returned member rewrites
    assert rewrite.due_at == timefns.add_workdays(T0, 3)
    m.do("zhangwei", rewrite, {"outline_text": "补充具体事例后的发言提纲"})
    [again] = tasks_of(jd, m.case.id, "review_outline")
    assert again.mi_item == "张伟"
    m.do("lijianguo", again, {"outline_decision": "通过"})
    assert m.steps() == ["audit_materials"]
    m.audit()
    m.hold(present=["lijianguo", "wanghong", "zhangwei", "liuyang"])  # 4 of 5: at least two thirds
    assert m.quorums() == [{"meeting_date": MEETING, "should_attend": TEAM,
                            "present": ["lijianguo", "wanghong", "zhangwei", "liuyang"], "met": True}]
    m.evaluate()
    with pytest.raises(ValidationFailed):  # the owner is one of the unit's people
        m.do("lijianguo", task_named(jd, m.case.id, "rectification_list"),
             {"rectifications": [dict(ITEMS[0], owner="hezhiming")]})
    m.rectification_list(ITEMS)

    report = m.only("report_meeting", ["yangfan"], outsiders=("lijianguo",))
    assert report.due_at == timefns.parse_datetime("2026-04-04")  # 15 days after the meeting
    notice = m.only("staff_notice", ["yangfan"], outsiders=("lijianguo",))
    assert notice.due_at == timefns.parse_datetime("2026-04-03")
    reply = m.only("reply_letter", ["lijianguo"], outsiders=("yangfan", "wanghong"))
    assert reply.due_at == timefns.parse_datetime("2026-06-30")
    items = by_item(jd, m.case.id, "rectify_item")
    assert {u: t.candidates for u, t in items.items()} == {"wanghong": ["wanghong"], "zhangwei": ["zhangwei"]}
    assert items["wanghong"].due_at == timefns.parse_datetime("2026-05-31")
    refused(jd, "zhangwei", items["wanghong"].id, {"completed_on": "2026-05-01", "completion_report": "代报"})
    refused(jd, "lijianguo", items["wanghong"].id, {"completed_on": "2026-05-01", "completion_report": "代报"})

    m.do("yangfan", report, {"report_no": "区委〔2026〕8号", "report_text": "专题民主生活会情况报告"})
    m.do("yangfan", notice, {"notice_scope": "全区党员干部", "notice_date": "2026-03-25", "notice_text": "会议情况通报"})
    m.do("lijianguo", reply, {"reply_no": "区委函〔2026〕2号", "reply_text": "已采纳建议并制定整改清单"})
    for username, task in items.items():
        m.do(username, task, {"completed_on": "2026-05-10", "completion_report": "已完成整改"})
    assert open_tasks(jd, m.case.id) == []
    case = instance(jd, m.case.id)
    follow_up_at = timefns.parse_datetime("2026-06-18")  # 90 days after the meeting
    assert case.status == "running" and case.next_timer_at == follow_up_at

    clock.move_to(follow_up_at - timedelta(minutes=1))
    worker.run_once(jd.db)
    assert tasks_of(jd, m.case.id, "follow_up_check") == []
    clock.move_to(follow_up_at + timedelta(minutes=1))
    worker.run_once(jd.db)
    check = m.only("follow_up_check", ["zhengzhiyuan"], outsiders=("lijianguo", "huangqiang"))
    m.do("zhengzhiyuan", check, {"follow_up_verdict": "整改到位", "follow_up_findings": "整改措施均已落实"})

    done = instance(jd, m.case.id)
    assert done.status == "completed" and open_tasks(jd, m.case.id) == []
    kinds = [e["kind"] for e in events(jd, m.case.id)]
    assert kinds[0] == "instance.started" and kinds[-1] == "instance.completed" and "timer.fired" in kinds
    with jd.db.read() as session:
        assert audit.verify_chain(session, f"instance:{m.case.id}").ok


def test_the_plan_is_returned_and_redrafted(clock, library):
    m = Meeting(library)
    m.plan()
    with pytest.raises(ValidationFailed):  # returning a plan states why
        m.do("fenghaiyan", task_named(library, m.case.id, "review_plan"), {"plan_decision": "退回修改"})
    m.review("退回修改", "议程未安排书记代表班子作对照检查")
    assert m.steps() == ["draft_plan"]
    m.plan()
    m.review(reviewer="zhengzhiyuan")  # the superior discipline lead may review instead of the team
    assert m.steps() == ["heart_talk", "opinion_summary", "study_record"]


def test_a_plan_approved_too_close_to_the_meeting_goes_back(clock, library):
    m = Meeting(library)
    m.plan(meeting="2026-03-10")
    clock.move_to(datetime(2026, 3, 4, 1, 0, tzinfo=timezone.utc))  # 6 days before: later than 7 days ahead
    m.review()
    assert m.steps() == ["draft_plan"]
    m.plan(meeting="2026-03-20")
    m.review()
    assert "study_record" in m.steps()


def test_a_unit_may_require_the_plan_earlier(clock, library):
    m = Meeting(library, data={"plan_lead_days": 15})
    m.plan(meeting="2026-03-13")  # 11 days ahead: enough for the default 7, not for 15
    m.review()
    assert m.steps() == ["draft_plan"]


def test_the_supervision_team_has_chosen_materials_rewritten(clock, library):
    jd = library
    m = Meeting(jd)
    m.plan()
    m.review()
    m.preparation()
    m.materials()
    with pytest.raises(ValidationFailed):
        m.audit("重写")  # a rewrite says what is wrong
    m.audit("重写", "发言提纲批评与自我批评不够", rewrite_members=["zhangwei", "liuyang"], rewrite_report=False)
    assert m.steps() == ["write_outline"]  # only the outlines named, not the team's report
    m.outlines({"zhangwei": "张伟", "liuyang": "刘洋"})
    m.review_outlines()
    m.audit("重写", "对照检查材料剖析根源不深", rewrite_members=[], rewrite_report=True)
    assert m.steps() == ["write_report"]
    m.self_report()
    m.audit("重写", "材料整体不合格")  # nothing chosen: everything is rewritten
    assert m.steps() == ["write_outline", "write_report"]
    m.materials()
    m.audit()
    assert m.steps() == ["record_meeting"]


def test_the_meeting_is_postponed_back_to_planning(clock, library):
    jd = library
    m = Meeting(jd)
    m.plan()
    m.review()
    m.preparation()
    m.materials()
    m.audit("延期召开", "案件通报材料尚未下发")
    assert m.steps() == ["draft_plan"]
    m.plan(meeting="2026-03-27")
    m.review()
    m.preparation()  # a new plan: preparation and materials again
    m.materials()
    m.audit()
    m.hold(held_on="2026-03-27")
    assert m.quorums()[-1]["meeting_date"] == "2026-03-27"


def test_fewer_than_two_thirds_present_reschedules(clock, library):
    m = Meeting(library)
    m.up_to_meeting()
    m.hold(present=["lijianguo", "wanghong", "zhangwei"])  # 3 of 5 < 2/3
    assert m.steps() == ["draft_plan"]
    assert [q["met"] for q in m.quorums()] == [False]
    m.plan(meeting="2026-03-27")
    m.review()
    m.preparation()
    m.materials()
    m.audit()
    m.hold(present=TEAM, held_on="2026-03-27")
    assert [q["met"] for q in m.quorums()] == [False, True]
    assert m.steps() == ["evaluate_meeting"]


def test_a_meeting_judged_too_soft_is_reconvened(clock, library):
    m = Meeting(library)
    m.up_to_meeting()
    m.hold()
    with pytest.raises(ValidationFailed):
        m.evaluate("偏离主题或批评不严肃，须重新召开")
    m.evaluate("偏离主题或批评不严肃，须重新召开", "相互批评避重就轻")
    assert m.steps() == ["draft_plan"]


def test_an_inadequate_follow_up_leads_to_accountability(clock, library):
    jd = library
    m = Meeting(jd)
    m.up_to_meeting()
    m.hold()
    m.evaluate()
    m.rectification_list(ITEMS[:1])
    for task in open_tasks(jd, m.case.id):
        data = {"report_meeting": {"report_no": "1", "report_text": "报告"},
                "staff_notice": {"notice_scope": "全区", "notice_date": "2026-03-25", "notice_text": "通报"},
                "reply_letter": {"reply_no": "1", "reply_text": "答复"},
                "rectify_item": {"completed_on": "2026-05-01", "completion_report": "完成"}}[task.element_id]
        complete(jd, task.candidates[0], task.id, data)
    clock.move_to(datetime(2026, 6, 19, tzinfo=timezone.utc))
    worker.run_once(jd.db)
    m.do("zhengzhiyuan", task_named(jd, m.case.id, "follow_up_check"),
         {"follow_up_verdict": "整改不到位", "follow_up_findings": "项目审批制度未执行"})
    task = m.only("accountability", ["zhengzhiyuan"], outsiders=("lijianguo", "huangqiang"), always=True)
    m.do("zhengzhiyuan", task, {"accountable_people": ["wanghong"], "accountability_measures": "诫勉谈话"})
    assert instance(jd, m.case.id).status == "completed"
    assert [e["element_id"] for e in events(jd, m.case.id, "task.completed")][-1] == "accountability"


def test_overdue_steps_escalate_to_the_superior_discipline_lead(clock, library):
    jd = library
    m = Meeting(jd)
    plan_task = task_named(jd, m.case.id, "draft_plan")
    clock.move_to(plan_task.due_at + timedelta(minutes=1))  # the plan is late
    worker.run_once(jd.db)
    assert [n.task_id for n in notices(jd, "yangfan", "task.overdue", m.case.id)] == [plan_task.id]
    assert [n.task_id for n in notices(jd, "zhengzhiyuan", "task.escalated", m.case.id)] == [plan_task.id]

    clock.move_to(T0)
    m.plan(meeting="2026-03-31")
    m.review()
    m.preparation()
    m.materials()
    m.audit()
    m.hold(held_on="2026-03-31")
    m.evaluate()
    m.rectification_list(ITEMS)
    report = task_named(jd, m.case.id, "report_meeting")
    assert report.due_at == timefns.parse_datetime("2026-04-15")

    clock.move_to(report.due_at - timedelta(hours=1))
    worker.run_once(jd.db)
    assert not [n for n in notices(jd, "zhengzhiyuan", "task.escalated", m.case.id) if n.task_id == report.id]
    clock.move_to(report.due_at + timedelta(seconds=2))
    worker.run_once(jd.db)
    assert [n.task_id for n in notices(jd, "yangfan", "task.overdue", m.case.id)][-1] == report.id
    escalated = {n.task_id for n in notices(jd, "zhengzhiyuan", "task.escalated", m.case.id)}
    notice = task_named(jd, m.case.id, "staff_notice")
    assert {report.id, notice.id} <= escalated  # the notice (14 days) is late too

    item = by_item(jd, m.case.id, "rectify_item")["wanghong"]
    clock.move_to(item.due_at + timedelta(seconds=2))
    worker.run_once(jd.db)
    assert item.id in {n.task_id for n in notices(jd, "wanghong", "task.overdue", m.case.id)}
    assert item.id in {n.task_id for n in notices(jd, "zhengzhiyuan", "task.escalated", m.case.id)}
    overdue = [e for e in events(jd, m.case.id, "task.overdue") if e["task_id"] == item.id]
    assert overdue[0]["payload"]["escalated_to"] and overdue[0]["actor"] == "system"


def test_a_late_outline_rewrite_is_reported_to_the_secretary(clock, library):
    jd = library
    m = Meeting(jd)
    m.plan()
    m.review()
    m.preparation()
    m.outlines()
    m.self_report()
    m.review_outlines({"liuyang": "内容空泛"})
    rewrite = task_named(jd, m.case.id, "write_outline", "刘洋")
    clock.move_to(rewrite.due_at + timedelta(minutes=1))
    worker.run_once(jd.db)
    assert [n.task_id for n in notices(jd, "liuyang", "task.overdue", m.case.id)] == [rewrite.id]
    assert [n.task_id for n in notices(jd, "lijianguo", "task.escalated", m.case.id)] == [rewrite.id]
