"""Diagrams the benchmark runs: a linear process of four user tasks, and a loop that can run thousands of times."""

_HEAD = ('<?xml version="1.0" encoding="UTF-8"?>\n'
         '<bpmn:definitions xmlns:bpmn="http://www.omg.org/spec/BPMN/20100524/MODEL" '
         'xmlns:camunda="http://camunda.org/schema/1.0/bpmn" id="bench" targetNamespace="http://jiandu/bench">\n')

LINEAR = _HEAD + """<bpmn:process id="bench_linear" name="基准：四步线性流程" isExecutable="true">
<bpmn:startEvent id="start"/>
<bpmn:sequenceFlow id="f0" sourceRef="start" targetRef="t1"/>
<bpmn:userTask id="t1" name="第一步" camunda:assignee="initiator"/>
<bpmn:sequenceFlow id="f1" sourceRef="t1" targetRef="t2"/>
<bpmn:userTask id="t2" name="第二步" camunda:assignee="initiator"/>
<bpmn:sequenceFlow id="f2" sourceRef="t2" targetRef="t3"/>
<bpmn:userTask id="t3" name="第三步" camunda:assignee="initiator"/>
<bpmn:sequenceFlow id="f3" sourceRef="t3" targetRef="t4"/>
<bpmn:userTask id="t4" name="第四步" camunda:assignee="initiator"/>
<bpmn:sequenceFlow id="f4" sourceRef="t4" targetRef="end"/>
<bpmn:endEvent id="end"/>
</bpmn:process></bpmn:definitions>
"""

# A person reviews again and again until the counter reaches `rounds` (a long-running supervision case).
LOOP = _HEAD + """<bpmn:process id="bench_loop" name="基准：循环流程" isExecutable="true">
<bpmn:startEvent id="start"/>
<bpmn:sequenceFlow id="f0" sourceRef="start" targetRef="init"/>
<bpmn:scriptTask id="init" name="初始化" scriptFormat="python"><bpmn:script>round = 0</bpmn:script></bpmn:scriptTask>
<bpmn:sequenceFlow id="f1" sourceRef="init" targetRef="review"/>
<bpmn:userTask id="review" name="复核" camunda:assignee="initiator"/>
<bpmn:sequenceFlow id="f2" sourceRef="review" targetRef="count"/>
<bpmn:scriptTask id="count" name="计数" scriptFormat="python"><bpmn:script>round = round + 1</bpmn:script></bpmn:scriptTask>
<bpmn:sequenceFlow id="f3" sourceRef="count" targetRef="more"/>
<bpmn:exclusiveGateway id="more" name="还要复核？" default="again"/>
<bpmn:sequenceFlow id="done" sourceRef="more" targetRef="end"><bpmn:conditionExpression>round &gt;= rounds</bpmn:conditionExpression></bpmn:sequenceFlow>
<bpmn:sequenceFlow id="again" sourceRef="more" targetRef="review"/>
<bpmn:endEvent id="end"/>
</bpmn:process></bpmn:definitions>
"""
