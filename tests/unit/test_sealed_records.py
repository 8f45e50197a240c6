"""Script results a diagram marks with `auditRecord` are sealed into the audit chain once per run (service.records)."""
from __future__ import annotations

import json

from sqlalchemy import select

from service import audit
from service.models import AuditEvent
from tests.support import complete, deploy, start, task_named

BPMN = """<?xml version="1.0" encoding="UTF-8"?>
<bpmn:definitions xmlns:bpmn="http://www.omg.org/spec/BPMN/20100524/MODEL"
                  xmlns:camunda="http://camunda.org/schema/1.0/bpmn" id="defs" targetNamespace="http://jiandu.example/test">
  <bpmn:process id="sealing" name="封存" isExecutable="true">
    <bpmn:startEvent id="start"/>
    <bpmn:sequenceFlow id="f1" sourceRef="start" targetRef="compute"/>
    <bpmn:scriptTask id="compute" name="计算" scriptFormat="python">
      <bpmn:extensionElements><camunda:properties>
        <camunda:property name="auditRecord" value="result, missing"/>
      </camunda:properties></bpmn:extensionElements>
      <bpmn:script>try:
    runs = runs + 1
except NameError:
    runs = 1
result = {"run": runs, "views": ["同意", "不同意"]}
scratch = "not sealed"</bpmn:script>
    </bpmn:scriptTask>
    <bpmn:sequenceFlow id="f2" sourceRef="compute" targetRef="plain"/>
    <bpmn:scriptTask id="plain" name="不封存" scriptFormat="python"><bpmn:script>other = 1</bpmn:script></bpmn:scriptTask>
    <bpmn:sequenceFlow id="f3" sourceRef="plain" targetRef="wait"/>
    <bpmn:userTask id="wait" name="确认" camunda:candidateUsers="wanghong"/>
    <bpmn:sequenceFlow id="f4" sourceRef="wait" targetRef="more"/>
    <bpmn:exclusiveGateway id="more" default="f6"/>
    <bpmn:sequenceFlow id="f5" sourceRef="more" targetRef="compute"><bpmn:conditionExpression>runs &lt; 2</bpmn:conditionExpression></bpmn:sequenceFlow>
    <bpmn:sequenceFlow id="f6" sourceRef="more" targetRef="end"/>
    <bpmn:endEvent id="end"/>
  </bpmn:process>
</bpmn:definitions>
"""


def sealed(jd, case_id):
    with jd.db.read() as session:
        rows = session.scalars(select(AuditEvent).where(
            AuditEvent.instance_id == case_id, AuditEvent.kind == "record.sealed").order_by(AuditEvent.seq)).all()
        return [(e.actor, e.element_id, json.loads(e.payload)) for e in rows]


def test_each_run_of_a_marked_script_is_sealed_once_by_the_system(jd):
    deploy(jd, ("sealing.bpmn", BPMN), actor="owner")
    case = start(jd, "wanghong", "sealing")
    assert sealed(jd, case.id) == [("system", "compute", {
        "name": "计算", "record": {"result": {"run": 1, "views": ["同意", "不同意"]}, "missing": None}})]
    complete(jd, "wanghong", task_named(jd, case.id, "wait").id)  # the loop runs the script again: a new record
    complete(jd, "wanghong", task_named(jd, case.id, "wait").id)  # no script ran: nothing new
    records = sealed(jd, case.id)
    assert [r[2]["record"]["result"]["run"] for r in records] == [1, 2]
    with jd.db.read() as session:
        assert audit.verify_chain(session, f"instance:{case.id}").ok
