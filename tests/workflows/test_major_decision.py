"""Process B: the "三重一大" collective decision, walked by the district's real people through the service.

Quorum, 末位表态, the computed result and the sealed record are the rules under test; each step is also refused to
people who do not hold it.
"""
from __future__ import annotations

from datetime import datetime, timezone

import pytest
import time_machine

from service import audit, worker
from service.errors import Forbidden, ValidationFailed
from tests.support import complete, instance, open_tasks, start, task_named
from tests.workflows.conftest import by_item, events, notices, refused, tasks_of

T0 = datetime(2026, 3, 2, 1, 0, tzinfo=timezone.utc)  # Monday 2 March 2026, 09:00 in Shanghai
TEAM = ["lijianguo", "wanghong", "zhangwei", "liuyang", "chenjing"]  # the secretary first, then the members
MEMBERS = TEAM[1:]
OUTSIDERS = ("hezhiming", "zhengzhiyuan")  # another unit's secretary; the superior discipline lead


@pytest.fixture
def clock(library):
    with time_machine.travel(T0, tick=False) as traveller:
        yield traveller


class Decision:
    """One decision instance and the steps of its walk, each done by the person who holds it."""

    def __init__(self, jd, category="重大项目安排", proposer="wanghong", strict=False, data=None, **extra):
        self.jd, self.strict = jd, strict
        self.case = start(jd, proposer, "major_decision", title="区体育中心改造项目", data=data)
        self.proposer = proposer
        task = self.only("propose", [proposer])
        self.do(proposer, task, {"category": category, "item_title": "区体育中心改造项目",
                                 "description": "拟投资改造区体育中心，分两期实施", **extra})

    # -- plumbing ---------------------------------------------------------------------------------------------
    def only(self, element_id, holders, outsiders=OUTSIDERS):
        task = task_named(self.jd, self.case.id, element_id)
        assert task.candidates == holders, (element_id, task.candidates)
        for outsider in [u for u in (*outsiders, "zhangwei") if u not in holders] if self.strict else ():
            refused(self.jd, outsider, task.id)
        return task

    def do(self, username, task, data):
        return complete(self.jd, username, task.id, data)

    def steps(self):
        return sorted(t.element_id for t in open_tasks(self.jd, self.case.id))

    # -- the steps --------------------------------------------------------------------------------------------
    def research(self):
        self.do("yangfan", self.only("research", ["yangfan"]),
                {"research_report": "已征求体育局意见，完成可行性研究", "risk_level": "中", "risk_assessment": "资金分期拨付，风险可控"})

    def reviews(self, legal="通过", integrity="通过"):
        self.do("xulei", self.only("legal_review", ["xulei"]), {"legal_result": legal, "legal_opinion": "程序合法"})
        self.do("huangqiang", self.only("integrity_review", ["huangqiang"]),
                {"integrity_result": integrity, "integrity_opinion": "未发现廉洁风险"})

    def consult(self):
        self.do("lijianguo", self.only("consultation", ["lijianguo"]),
                {"consulted": MEMBERS, "consultation_record": "逐一听取分管领导意见"})

    def prepare(self):
        self.research()
        self.reviews()
        self.consult()

    def schedule(self, meeting="2026-03-10", sent="2026-03-02", attendees=TEAM, recusals=()):
        self.do("yangfan", self.only("schedule", ["yangfan"]),
                {"meeting_date": meeting, "meeting_place": "区委常委会议室", "attendees": list(attendees),
                 "recusals": list(recusals), "papers_sent_on": sent})

    def attend(self, present=TEAM, notes=""):
        self.do("yangfan", self.only("attendance", ["yangfan"]), {"present": list(present), "absent_notes": notes})

    def vote(self, views: dict[str, tuple[str, str]]):
        """Members' views, then (if given under "lijianguo") the secretary's, asserting 末位表态 on the way."""
        members = {u: v for u, v in views.items() if u != "lijianguo"}
        tasks = by_item(self.jd, self.case.id, "member_opinion")
        assert set(tasks) == set(members)
        for username, task in tasks.items():
            assert task.candidates == [username]  # one task per attending member, to that member only
        for index, (username, (view, reasons)) in enumerate(members.items()):
            assert tasks_of(self.jd, self.case.id, "secretary_opinion") == []  # the secretary speaks last
            others = [u for u in members if u != username]
            if others and self.strict:
                refused(self.jd, others[0], tasks[username].id, {"view": "同意"})
                refused(self.jd, "lijianguo", tasks[username].id, {"view": "同意"})
            data = {"view": view} | ({"reasons": reasons} if reasons else {})
            self.do(username, tasks[username], data)
        if "lijianguo" in views:
            view, reasons = views["lijianguo"]
            task = self.only("secretary_opinion", ["lijianguo"], outsiders=("wanghong", "yangfan"))
            self.do("lijianguo", task, {"secretary_view": view} | ({"secretary_reasons": reasons} if reasons else {}))

    def decision_records(self):
        return [e["payload"]["record"]["decision_record"] for e in events(self.jd, self.case.id, "record.sealed")
                if e["element_id"] == "seal_record"]

    def minutes(self):
        self.do("yangfan", self.only("minutes", ["yangfan"]),
                {"minutes_no": "区委纪要〔2026〕5号", "minutes_text": "会议同意区体育中心改造项目", "issued_on": "2026-03-11"})

    def submit(self):
        self.do("yangfan", self.only("submit_superior", ["yangfan"]), {"report_type": "备案", "report_text": "报请备案"})

    def superior(self, decision="同意", comments=""):
        task = self.only("superior_review", ["zhaoguoqiang"], outsiders=("lijianguo", "zhengzhiyuan"))
        self.do("zhaoguoqiang", task, {"superior_decision": decision} | ({"superior_comments": comments} if comments else {}))


AGREE = ("同意", "")


def test_main_path_members_then_the_secretary_result_computed_record_sealed(clock, library):
    jd = library
    d = Decision(jd, strict=True)
    d.prepare()
    d.schedule()
    d.attend()
    with pytest.raises(ValidationFailed) as missing:  # reasons are required for a dissenting view
        d.do("zhangwei", by_item(jd, d.case.id, "member_opinion")["zhangwei"], {"view": "不同意"})
    assert "reasons" in missing.value.details
    d.vote({"wanghong": AGREE, "zhangwei": ("不同意", "投资测算依据不足，建议压缩一期规模"),
            "liuyang": ("保留意见", "运营模式尚需论证"), "chenjing": AGREE, "lijianguo": ("同意", "")})

    [record] = d.decision_records()
    assert record["result"] == "通过" and record["counts"] == {
        "应到": 5, "实到": 5, "同意": 3, "不同意": 1, "保留意见": 1, "缓议": 0}
    assert [(v["username"], v["view"], v["reasons"]) for v in record["member_views"]] == [
        ("wanghong", "同意", ""), ("zhangwei", "不同意", "投资测算依据不足，建议压缩一期规模"),
        ("liuyang", "保留意见", "运营模式尚需论证"), ("chenjing", "同意", "")]
    assert record["secretary_view"] == {"usernames": ["lijianguo"], "view": "同意", "reasons": ""}

    # Each view is in the audit chain exactly as submitted; a hidden field (reasons beside 同意) is not written.
    completed = {e["actor"]: e["payload"]["data"] for e in events(jd, d.case.id, "task.completed")
                 if e["element_id"] in ("member_opinion", "secretary_opinion")}
    assert completed == {"wanghong": {"view": "同意"},
                         "zhangwei": {"view": "不同意", "reasons": "投资测算依据不足，建议压缩一期规模"},
                         "liuyang": {"view": "保留意见", "reasons": "运营模式尚需论证"},
                         "chenjing": {"view": "同意"}, "lijianguo": {"secretary_view": "同意"}}

    d.minutes()
    d.submit()  # a 重大项目安排 is reported to the superior committee (report_categories)
    d.superior("同意")
    implementation = d.only("implementation", ["wanghong"])  # the proposer implements
    d.do("wanghong", implementation, {"implementation_report": "一期工程已开工"})
    evaluation = d.only("evaluation", ["huangqiang"])
    d.do("huangqiang", evaluation, {"evaluation": "需继续落实", "evaluation_findings": "二期资金拨付进度滞后"})
    d.do("wanghong", d.only("implementation", ["wanghong"]), {"implementation_report": "二期资金已到位"})
    d.do("huangqiang", d.only("evaluation", ["huangqiang"]), {"evaluation": "落实到位", "evaluation_findings": "已落实"})

    assert instance(jd, d.case.id).status == "completed" and open_tasks(jd, d.case.id) == []
    with jd.db.read() as session:
        assert audit.verify_chain(session, f"instance:{d.case.id}").ok


def test_result_is_computed_never_typed_in(clock, library):
    jd = library
    d = Decision(jd)
    d.prepare()
    d.schedule()
    d.attend()
    task = by_item(jd, d.case.id, "member_opinion")["wanghong"]
    d.do("wanghong", task, {"view": "同意", "decision_result": "通过", "agree": 99})  # undeclared keys are dropped
    assert events(jd, d.case.id, "task.completed")[-1]["payload"]["data"] == {"view": "同意"}


def test_not_a_major_item_is_handled_individually(clock, library):
    d = Decision(library, category="其他事项（不属于“三重一大”）")
    assert instance(library, d.case.id).status == "completed" and d.steps() == []


def test_funds_below_the_units_threshold_are_not_a_major_item(clock, library):
    jd = library
    case = start(jd, "wanghong", "major_decision", data={"fund_threshold": 50})
    task = task_named(jd, case.id, "propose")
    with pytest.raises(ValidationFailed):  # the amount is required for a fund operation
        complete(jd, "wanghong", task.id, {"category": "大额度资金运作", "item_title": "购置设备", "description": "购置"})
    complete(jd, "wanghong", task.id, {"category": "大额度资金运作", "item_title": "购置设备", "description": "购置",
                                       "amount": 20})
    assert instance(jd, case.id).status == "completed"
    case = start(jd, "wanghong", "major_decision", data={"fund_threshold": 50})
    complete(jd, "wanghong", task_named(jd, case.id, "propose").id,
             {"category": "大额度资金运作", "item_title": "拨付专项资金", "description": "拨付", "amount": 80})
    assert task_named(jd, case.id, "research").candidates == ["yangfan"]


def test_a_failed_review_sends_the_item_back_to_research(clock, library):
    jd = library
    d = Decision(jd)
    d.research()
    d.reviews(legal="不通过")
    assert d.steps() == ["research"]
    d.research()
    d.reviews()
    assert d.steps() == ["consultation"]


def test_papers_sent_too_late_send_the_office_back_to_scheduling(clock, library):
    jd = library
    d = Decision(jd)
    d.prepare()
    d.schedule(meeting="2026-03-10", sent="2026-03-09")  # three working days before the 10th is the 5th
    assert d.steps() == ["schedule"]
    d.schedule(meeting="2026-03-16", sent="2026-03-09")
    assert d.steps() == ["attendance"]


def test_a_unit_may_require_more_notice(clock, library):
    jd = library
    d = Decision(jd, category="重大事项决策", data={"papers_workdays": 5})
    d.prepare()
    d.schedule(meeting="2026-03-10", sent="2026-03-04")  # 4 working days: enough for 3, not for 5
    assert d.steps() == ["schedule"]


def test_quorum_is_more_than_half_for_ordinary_decisions(clock, library):
    jd = library
    d = Decision(jd)
    d.prepare()
    d.schedule()
    d.attend(present=["lijianguo", "wanghong"])  # 2 of 5
    assert d.steps() == ["schedule"]
    d.schedule(meeting="2026-03-17", sent="2026-03-09")
    d.attend(present=["lijianguo", "wanghong", "zhangwei"])  # 3 of 5
    assert set(by_item(jd, d.case.id, "member_opinion")) == {"wanghong", "zhangwei"}
    quorums = [e["payload"]["record"]["quorum"] for e in events(jd, d.case.id, "record.sealed")
               if e["element_id"] == "check_quorum"]
    assert [(q["round"], q["met"], q["present"]) for q in quorums] == [
        (1, False, ["lijianguo", "wanghong"]), (2, True, ["lijianguo", "wanghong", "zhangwei"])]


def test_quorum_is_two_thirds_for_appointments(clock, library):
    jd = library
    d = Decision(jd, category="重要干部任免")
    d.prepare()
    d.schedule()
    d.attend(present=["lijianguo", "wanghong", "zhangwei"])  # 3 of 5: a majority, but short of two thirds
    assert d.steps() == ["schedule"]
    d.schedule(meeting="2026-03-17", sent="2026-03-09")
    d.attend(present=["lijianguo", "wanghong", "zhangwei", "liuyang"])  # 4 of 5
    assert set(by_item(jd, d.case.id, "member_opinion")) == {"wanghong", "zhangwei", "liuyang"}


def test_recused_members_neither_count_nor_vote(clock, library):
    jd = library
    d = Decision(jd, category="重要干部任免")
    d.prepare()
    d.schedule(recusals=["chenjing"])  # 4 should attend
    with pytest.raises(ValidationFailed) as bad:  # a recused member is not among those whose attendance counts
        d.attend(present=["lijianguo", "wanghong", "zhangwei", "chenjing"])
    assert "present" in bad.value.details
    d.attend(present=["lijianguo", "wanghong", "zhangwei"])  # 3 of the 4: two thirds
    assert set(by_item(jd, d.case.id, "member_opinion")) == {"wanghong", "zhangwei"}
    d.vote({"wanghong": AGREE, "zhangwei": AGREE, "lijianguo": AGREE})
    [record] = d.decision_records()
    assert record["should_attend"] == ["lijianguo", "wanghong", "zhangwei", "liuyang"]
    assert record["recusals"] == ["chenjing"] and record["result"] == "通过"  # 3 of 4


def test_absent_members_written_views_do_not_count_and_a_split_defers(clock, library):
    jd = library
    d = Decision(jd)
    d.prepare()
    d.schedule()
    d.attend(present=["lijianguo", "wanghong", "zhangwei", "chenjing"], notes="刘洋出差，书面意见：同意")
    d.vote({"wanghong": AGREE, "zhangwei": ("不同意", "程序不完备"), "chenjing": ("不同意", "资金来源不明"),
            "lijianguo": AGREE})
    [record] = d.decision_records()
    # 2 of 5 agree: not more than half of those who should attend; liuyang's written 同意 is not counted.
    assert record["counts"]["同意"] == 2 and record["result"] == "缓议"
    assert record["absent"] == ["liuyang"] and record["absent_notes"] == "刘洋出差，书面意见：同意"
    assert d.steps() == ["schedule"]  # deferred: back to scheduling, the record of round 1 kept

    d.schedule(meeting="2026-03-17", sent="2026-03-09")
    d.attend()
    d.vote({u: AGREE for u in TEAM})
    assert [r["result"] for r in d.decision_records()] == ["缓议", "通过"]
    assert d.steps() == ["minutes"]


def test_asking_to_defer_defers(clock, library):
    jd = library
    d = Decision(jd)
    d.prepare()
    d.schedule()
    d.attend()
    d.vote({"wanghong": ("缓议", "关键数据尚未核实"), "zhangwei": ("缓议", "需进一步调研"), "liuyang": AGREE,
            "chenjing": ("不同意", "时机不成熟"), "lijianguo": ("缓议", "情况尚不清楚，暂缓决策")})
    assert d.decision_records()[-1]["result"] == "缓议" and d.steps() == ["schedule"]


def test_a_clear_majority_against_fails_and_ends_recorded(clock, library):
    jd = library
    d = Decision(jd)
    d.prepare()
    d.schedule()
    d.attend()
    d.vote({"wanghong": AGREE, "zhangwei": ("不同意", "不符合规划"), "liuyang": ("不同意", "财力不允许"),
            "chenjing": ("不同意", "群众意见较大"), "lijianguo": ("保留意见", "可另行研究")})
    [record] = d.decision_records()
    assert record["result"] == "未通过" and record["counts"]["不同意"] == 3
    done = instance(jd, d.case.id)
    assert done.status == "completed" and d.steps() == []


def test_without_the_secretary_present_the_members_decide(clock, library):
    jd = library
    d = Decision(jd)
    d.prepare()
    d.schedule()
    d.attend(present=MEMBERS)
    d.vote({u: AGREE for u in MEMBERS})
    assert tasks_of(jd, d.case.id, "secretary_opinion") == []
    [record] = d.decision_records()
    assert record["secretary_view"] is None and record["result"] == "通过"


def test_the_superior_objects_and_the_team_decides_again(clock, library):
    jd = library
    d = Decision(jd)
    d.prepare()
    d.schedule()
    d.attend()
    d.vote({u: AGREE for u in TEAM})
    d.minutes()
    d.submit()
    with pytest.raises(ValidationFailed):  # an objection states its reasons
        d.do("zhaoguoqiang", task_named(jd, d.case.id, "superior_review"), {"superior_decision": "提出异议"})
    d.superior("提出异议", "项目未列入年度计划，请重新研究")
    assert d.steps() == ["schedule"]
    d.schedule(meeting="2026-03-20", sent="2026-03-12")
    d.attend()
    d.vote({u: AGREE for u in TEAM})
    d.minutes()
    d.submit()
    d.superior("同意")
    assert d.steps() == ["implementation"]
    assert [r["round"] for r in d.decision_records()] == [1, 2]


def test_only_listed_categories_go_to_the_superior(clock, library):
    jd = library
    d = Decision(jd, category="重大事项决策", data={"report_categories": ["重要干部任免"]})
    d.prepare()
    d.schedule()
    d.attend()
    d.vote({u: AGREE for u in TEAM})
    d.minutes()
    assert d.steps() == ["implementation"]


def test_who_may_propose(clock, library):
    jd = library
    for username in ("yangfan", "xulei", "hezhiming"):  # office, legal review, another unit's secretary
        with pytest.raises(Forbidden):
            start(jd, username, "major_decision")
    assert start(jd, "lijianguo", "major_decision").status == "running"


def test_the_meeting_record_is_due_on_the_meeting_day(clock, library):
    jd = library
    d = Decision(jd)
    d.prepare()
    d.schedule(meeting="2026-03-10")
    attendance = task_named(jd, d.case.id, "attendance")
    clock.move_to(datetime(2026, 3, 10, 16, 0, 1, tzinfo=timezone.utc))  # 11 March 00:00:01 in Shanghai
    worker.run_once(jd.db)
    assert [n.task_id for n in notices(jd, "yangfan", "task.overdue", d.case.id)] == [attendance.id]
