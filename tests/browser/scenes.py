"""Cases to look at in the browser, set up through the service by the people who hold each step (the gallery and
the page checks share them).

- `meeting`: a "三重一大" decision walked to the members' views — 王红 has agreed, 张伟 and 刘洋 still have their own
  per-member step open (the task's item is their username) — with an urge from the supervisor on 张伟's step and a
  comment from the office in its timeline.
- `draft`: a plain case (tests/fixtures/core_flow.bpmn) whose first step, 起草事项, waits in the office's inbox.
- `secretary`: a second decision where all three members have spoken (张伟 with a two-line reason), so the
  secretary's 末位表态 form with the table of their views is open for 李建国.
"""
from __future__ import annotations

from dataclasses import dataclass
from datetime import timedelta

from service import clock, definitions, urge
from service.operations import comments
from tests.support import complete, deploy, start, task_named, user
from tests.workflows.conftest import WORKFLOWS

SECRETARY = "lijianguo"
MEMBERS = ("wanghong", "zhangwei", "liuyang")
TWO_LINES = "投资测算依据不足，一期预算没有第三方评估。\n建议压缩一期规模，补充可行性研究报告后再议。"
URGE = "请本周内表态"
COMMENT = "会议材料已补充第三方评估报告，请各位查阅。"


@dataclass
class Scenes:
    meeting: int
    secretary: int
    zhangwei_task: int
    secretary_task: int
    draft: int
    draft_task: int


def to_meeting(jd, title: str) -> int:
    """A decision walked up to the meeting by the people who hold each step (each step in that person's inbox
    only): scheduled for today with three members and the secretary, all four present."""
    case = start(jd, "wanghong", "major_decision", title=title)

    def do(username, element_id, data):
        task = task_named(jd, case.id, element_id)
        assert task.candidates == [username], (element_id, task.candidates)
        complete(jd, username, task.id, data)

    do("wanghong", "propose", {"category": "重大项目安排", "item_title": title,
                               "description": "拟分两期实施，一期预算 1.2 亿元"})
    do("yangfan", "research", {"research_report": "已完成可行性研究", "risk_level": "中",
                               "risk_assessment": "资金分期拨付，风险可控"})
    do("xulei", "legal_review", {"legal_result": "通过", "legal_opinion": "程序合法"})
    do("huangqiang", "integrity_review", {"integrity_result": "通过", "integrity_opinion": "未发现廉洁风险"})
    do(SECRETARY, "consultation", {"consulted": list(MEMBERS), "consultation_record": "逐一听取分管领导意见"})
    today = clock.local(clock.now()).date()
    attendees = [SECRETARY, *MEMBERS]
    do("yangfan", "schedule", {"meeting_date": today.isoformat(), "meeting_place": "区委常委会议室",
                               "attendees": attendees, "recusals": [],
                               "papers_sent_on": (today - timedelta(days=14)).isoformat()})
    do("yangfan", "attendance", {"present": attendees, "absent_notes": ""})
    return case.id


def build(jd) -> Scenes:
    with jd.db.write() as session:
        definitions.deploy_directory(session, None, WORKFLOWS)

    meeting = to_meeting(jd, "区体育中心改造项目")
    complete(jd, "wanghong", task_named(jd, meeting, "member_opinion", "wanghong").id, {"view": "同意"})
    zhangwei_task = task_named(jd, meeting, "member_opinion", "zhangwei").id
    with jd.db.write() as session:
        urge.urge(session, user(jd, "supervisor"), zhangwei_task, URGE)
    with jd.db.write() as session:
        comments.add_to_instance(session, user(jd, "yangfan"), meeting, COMMENT)

    secretary = to_meeting(jd, "老旧小区改造工程")
    views = {"wanghong": ("同意", ""), "zhangwei": ("不同意", TWO_LINES), "liuyang": ("保留意见", "运营模式尚需论证。")}
    for username in MEMBERS:
        view, reasons = views[username]
        complete(jd, username, task_named(jd, secretary, "member_opinion", username).id,
                 {"view": view, "reasons": reasons} if reasons else {"view": view})
    secretary_task = task_named(jd, secretary, "secretary_opinion").id

    deploy(jd, "core_flow.bpmn", "core_draft.form", "core_approve.form", actor="owner")
    draft = start(jd, "lijianguo", "core_flow", data={"members": ["wanghong", "zhangwei"]},
                  title="关于加强机关作风建设的通知").id
    return Scenes(meeting, secretary, zhangwei_task, secretary_task, draft, task_named(jd, draft, "draft").id)
