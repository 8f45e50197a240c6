"""Parallel joins keep what each branch changed (service.bpmn.joins), in a first run and when a loop runs the
parallel block again: a branch that did not touch a variable must not bring back its stale copy."""
from __future__ import annotations

import json

from sqlalchemy import select

from service.models import AuditEvent
from tests.support import complete, deploy, task_named, start

FORM = json.dumps({"type": "default", "id": "join_set_x", "components": [
    {"type": "textfield", "key": "x", "label": "x", "validate": {"required": True}}]})

BPMN = """<?xml version="1.0" encoding="UTF-8"?>
<bpmn:definitions xmlns:bpmn="http://www.omg.org/spec/BPMN/20100524/MODEL"
                  xmlns:camunda="http://camunda.org/schema/1.0/bpmn" id="defs" targetNamespace="http://jiandu.example/test">
  <bpmn:process id="join_loop" name="并行汇合" isExecutable="true">
    <bpmn:startEvent id="start"/>
    <bpmn:sequenceFlow id="f1" sourceRef="start" targetRef="init"/>
    <bpmn:scriptTask id="init" name="初始化" scriptFormat="python"><bpmn:script>x = "old"
rounds = 0</bpmn:script></bpmn:scriptTask>
    <bpmn:sequenceFlow id="f2" sourceRef="init" targetRef="again"/>
    <bpmn:exclusiveGateway id="again"/>
    <bpmn:sequenceFlow id="f3" sourceRef="again" targetRef="split"/>
    <bpmn:parallelGateway id="split"/>
    <bpmn:sequenceFlow id="f4" sourceRef="split" targetRef="set_x"/>
    <bpmn:sequenceFlow id="f5" sourceRef="split" targetRef="other"/>
    <bpmn:userTask id="set_x" name="设置 x" camunda:formRef="join_set_x" camunda:candidateUsers="wanghong"/>
    <bpmn:userTask id="other" name="另一分支" camunda:candidateUsers="zhangwei"/>
    <bpmn:sequenceFlow id="f6" sourceRef="set_x" targetRef="join"/>
    <bpmn:sequenceFlow id="f7" sourceRef="other" targetRef="join"/>
    <bpmn:parallelGateway id="join"/>
    <bpmn:sequenceFlow id="f8" sourceRef="join" targetRef="seen"/>
    <bpmn:scriptTask id="seen" name="记录" scriptFormat="python">
      <bpmn:extensionElements><camunda:properties><camunda:property name="auditRecord" value="x"/></camunda:properties></bpmn:extensionElements>
      <bpmn:script>rounds = rounds + 1</bpmn:script>
    </bpmn:scriptTask>
    <bpmn:sequenceFlow id="f9" sourceRef="seen" targetRef="more"/>
    <bpmn:exclusiveGateway id="more" default="f11"/>
    <bpmn:sequenceFlow id="f10" sourceRef="more" targetRef="again"><bpmn:conditionExpression>rounds &lt; 2</bpmn:conditionExpression></bpmn:sequenceFlow>
    <bpmn:sequenceFlow id="f11" sourceRef="more" targetRef="end"/>
    <bpmn:endEvent id="end"/>
  </bpmn:process>
</bpmn:definitions>
"""


def seen(jd, case_id):
    with jd.db.read() as session:
        rows = session.scalars(select(AuditEvent.payload).where(
            AuditEvent.instance_id == case_id, AuditEvent.kind == "record.sealed").order_by(AuditEvent.seq)).all()
    return [json.loads(p)["record"]["x"] for p in rows]


def test_the_branch_arriving_last_does_not_undo_the_other_branchs_change(jd):
    deploy(jd, ("join_loop.bpmn", BPMN), ("join_set_x.form", FORM), actor="owner")
    case = start(jd, "wanghong", "join_loop")
    for value in ("a1", "a2"):  # two runs of the parallel block; the untouched branch finishes last each time
        complete(jd, "wanghong", task_named(jd, case.id, "set_x").id, {"x": value})
        complete(jd, "zhangwei", task_named(jd, case.id, "other").id, {})
    assert seen(jd, case.id) == ["a1", "a2"]


def test_either_order_of_arrival(jd):
    deploy(jd, ("join_loop.bpmn", BPMN), ("join_set_x.form", FORM), actor="owner")
    case = start(jd, "wanghong", "join_loop")
    complete(jd, "zhangwei", task_named(jd, case.id, "other").id, {})
    complete(jd, "wanghong", task_named(jd, case.id, "set_x").id, {"x": "first"})
    complete(jd, "wanghong", task_named(jd, case.id, "set_x").id, {"x": "second"})
    complete(jd, "zhangwei", task_named(jd, case.id, "other").id, {})
    assert seen(jd, case.id) == ["first", "second"]
