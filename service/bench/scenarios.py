"""What the benchmark walks: which process, with which start data, and the form data each step submits."""
from __future__ import annotations

from dataclasses import dataclass, field

from .fixtures import LINEAR, LOOP

TEAM = ["lijianguo", "wanghong", "zhangwei", "liuyang", "chenjing"]


@dataclass
class Scenario:
    key: str
    starter: str
    files: list[tuple[str, str]] = field(default_factory=list)  # extra files to deploy (the shipped ones are deployed)
    start_data: dict = field(default_factory=dict)
    step_data: dict = field(default_factory=dict)  # element id -> form data

    def data_for(self, element_id: str) -> dict:
        return dict(self.step_data.get(element_id, {}))


LINEAR_SCENARIO = Scenario("bench_linear", "yangfan", [("bench_linear.bpmn", LINEAR)])

LOOP_SCENARIO = Scenario("bench_loop", "yangfan", [("bench_loop.bpmn", LOOP)], start_data={"rounds": 100000})

MAJOR_DECISION = Scenario("major_decision", "wanghong", step_data={
    "propose": {"category": "重大项目安排", "item_title": "区体育中心改造项目", "description": "拟投资改造区体育中心，分两期实施"},
    "research": {"research_report": "已完成可行性研究", "risk_level": "中", "risk_assessment": "资金分期拨付，风险可控"},
    "legal_review": {"legal_result": "通过", "legal_opinion": "程序合法"},
    "integrity_review": {"integrity_result": "通过", "integrity_opinion": "未发现廉洁风险"},
    "consultation": {"consulted": TEAM[1:], "consultation_record": "逐一听取分管领导意见"},
    "schedule": {"meeting_date": "2026-03-10", "meeting_place": "区委常委会议室", "attendees": TEAM, "recusals": [],
                 "papers_sent_on": "2026-03-02"},
    "attendance": {"present": TEAM, "absent_notes": ""},
    "member_opinion": {"view": "同意"},
    "secretary_opinion": {"secretary_view": "同意"},
    "minutes": {"minutes_no": "区委纪要〔2026〕5号", "minutes_text": "会议同意", "issued_on": "2026-03-11"},
    "submit_superior": {"report_type": "备案", "report_text": "报请备案"},
    "superior_review": {"superior_decision": "同意"},
    "implementation": {"implementation_report": "已实施"},
    "evaluation": {"evaluation": "落实到位", "evaluation_findings": "已落实"},
})
