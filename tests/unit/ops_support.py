"""Helpers for the approval-operation tests (issue 7): acting through the service, reading the audit chain and
people's notifications, and the diagrams the tests run."""
from __future__ import annotations

import json

import pytest
from sqlalchemy import select

from service import audit
from service.models import AuditEvent, HumanTask, Notification
from tests.support import FIXTURES, complete, deploy, start, task_named, user

CORE_FILES = ("core_flow.bpmn", "core_draft.form", "core_approve.form")
MEMBERS = {"members": ["wanghong", "zhangwei"]}
DRAFT = {"amount": 5000, "summary": "购置办公设备"}

QUEUE_FLOW = """<?xml version="1.0" encoding="UTF-8"?>
<bpmn:definitions xmlns:bpmn="http://www.omg.org/spec/BPMN/20100524/MODEL"
                  xmlns:camunda="http://camunda.org/schema/1.0/bpmn" id="ops_queue_defs" targetNamespace="http://t">
  <bpmn:process id="ops_queue" name="班子成员队列" isExecutable="true">
    <bpmn:startEvent id="start"/>
    <bpmn:sequenceFlow id="f1" sourceRef="start" targetRef="review"/>
    <bpmn:userTask id="review" name="成员审阅" camunda:candidateGroups="member" camunda:formRef="core_approve"/>
    <bpmn:sequenceFlow id="f2" sourceRef="review" targetRef="end"/>
    <bpmn:endEvent id="end"/>
  </bpmn:process>
</bpmn:definitions>
"""


def send_back_property(value: str) -> str:
    return ('<bpmn:extensionElements><camunda:properties><camunda:property name="sendBackTo" value="'
            + value + '"/></camunda:properties></bpmn:extensionElements>')


def core_flow_allowing_send_back() -> str:
    """The core flow where the process owner allows more send-back targets: any earlier step from 归档 (`*`),
    起草事项 from 成员会签; 书记审批 keeps the default (the previous step only)."""
    text = (FIXTURES / "core_flow.bpmn").read_text(encoding="utf-8")
    text = text.replace('<bpmn:userTask id="archive" name="归档"/>',
                        '<bpmn:userTask id="archive" name="归档">' + send_back_property("*") + "</bpmn:userTask>")
    text = text.replace('<bpmn:multiInstanceLoopCharacteristics camunda:collection="members"',
                        send_back_property("draft") + '<bpmn:multiInstanceLoopCharacteristics camunda:collection="members"')
    assert text.count("sendBackTo") == 2
    return text


@pytest.fixture
def core(jd):
    deploy(jd, *CORE_FILES, actor="owner")
    return jd


@pytest.fixture
def queue(core):
    deploy(core, ("ops_queue.bpmn", QUEUE_FLOW), actor="owner")
    return core


def act(jd, fn, username: str, *args, **kwargs):
    """Run one service command as `username` in its own write transaction."""
    with jd.db.write() as session:
        return fn(session, user(jd, username), *args, **kwargs)


def case_at_secretary(jd, title: str = "采购审批"):
    """A core-flow case whose draft (by yangfan) is done: 书记审批 is open for lijianguo."""
    case = start(jd, "yangfan", "core_flow", data=MEMBERS, title=title)
    complete(jd, "yangfan", task_named(jd, case.id, "draft").id, DRAFT)
    return case


def case_at_members(jd, title: str = "采购审批"):
    """The same case past the secretary: 成员会签 (wanghong, zhangwei) and 纪检审查 (huangqiang) are open."""
    case = case_at_secretary(jd, title)
    complete(jd, "lijianguo", task_named(jd, case.id, "secretary_approve").id, {"decision": "同意"})
    return case


def events(jd, instance_id: int) -> list[dict]:
    with jd.db.read() as session:
        return audit.timeline(session, instance_id)


def kinds(jd, instance_id: int) -> list[str]:
    return [e["kind"] for e in events(jd, instance_id)]


def last_event(jd, instance_id: int, kind: str) -> dict:
    found = [e for e in events(jd, instance_id) if e["kind"] == kind]
    assert found, f"no {kind} event in {kinds(jd, instance_id)}"
    return found[-1]


def chain_ok(jd, instance_id: int) -> bool:
    with jd.db.read() as session:
        return audit.verify_chain(session, audit.chain_for(instance_id)).ok


def notes(jd, username: str, kind: str | None = None) -> list[str]:
    """The messages of a person's notifications (of one kind), oldest first."""
    with jd.db.read() as session:
        query = select(Notification).where(Notification.user_id == user(jd, username).id)
        if kind:
            query = query.where(Notification.kind == kind)
        return [n.message for n in session.scalars(query.order_by(Notification.id)).all()]


def row(jd, task_id: int) -> HumanTask:
    with jd.db.read() as session:
        return session.get(HumanTask, task_id)


def payload(event: dict) -> dict:
    return event["payload"] if isinstance(event["payload"], dict) else json.loads(event["payload"])


def event_count(jd, kind: str) -> int:
    with jd.db.read() as session:
        return len(session.scalars(select(AuditEvent.id).where(AuditEvent.kind == kind)).all())


def done_row(jd, instance_id: int, element_id: str) -> HumanTask:
    """The latest completed row of a step."""
    with jd.db.read() as session:
        found = session.scalar(select(HumanTask).where(
            HumanTask.instance_id == instance_id, HumanTask.element_id == element_id,
            HumanTask.state == "completed").order_by(HumanTask.id.desc()).limit(1))
    assert found is not None, element_id
    return found
