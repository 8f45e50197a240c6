"""Long-running instances stay small and behave exactly as if nothing had been pruned.

Every scenario runs twice — pruning at every chance and never — and after each step the open tasks (who holds
them), the data each ready task sees (read back from the stored state) and the case status must be identical.
"""
from __future__ import annotations

import json
from datetime import datetime, timedelta, timezone

import pytest
import time_machine
from sqlalchemy import func, select

from service import case_trace, definitions, runtime, worker
from service.bench.scenarios import MAJOR_DECISION
from service.engine import prune
from service.errors import Conflict
from service.models import HumanTask, ProcessInstance, TaskHistory
from tests.support import complete, deploy, instance, open_tasks, start, user

T0 = datetime(2026, 3, 2, 1, 0, tzinfo=timezone.utc)
NEVER = 10 ** 9


def snapshot(jd, instance_id: int) -> dict:
    with jd.db.read() as session:
        case = session.get(ProcessInstance, instance_id)
        workflow = runtime.load(session, case)  # deserialized: what is stored, not what is cached
        ready = sorted((t.task_spec.bpmn_id, json.dumps(t.data, sort_keys=True, default=str))
                       for t in runtime.ready_human_tasks(workflow))
    tasks = sorted((t.element_id, t.mi_item or "", tuple(t.candidates)) for t in open_tasks(jd, instance_id))
    return {"status": case.status, "tasks": tasks, "ready": ready}


def drive(jd, monkeypatch, key: str, starter: str, start_data: dict, data_for, *, threshold: int,
          max_steps: int = 400, on_step=None) -> tuple[list[dict], int]:
    """Walk an instance: the first open task (by element, item) is done by its first holder."""
    monkeypatch.setattr(prune, "PRUNE_AT", threshold)
    case = start(jd, starter, key, data=start_data)
    history = [snapshot(jd, case.id)]
    for step in range(max_steps):
        tasks = sorted(open_tasks(jd, case.id), key=lambda t: (t.element_id, t.mi_item or ""))
        if not tasks:
            break
        task = tasks[0]
        complete(jd, task.candidates[0], task.id, data_for(task.element_id, step))
        if on_step is not None:
            on_step(step, case.id)
        history.append(snapshot(jd, case.id))
    return history, case.id


def both_ways(jd, monkeypatch, *args, **kwargs):
    never, _ = drive(jd, monkeypatch, *args, threshold=NEVER, **kwargs)
    always, case_id = drive(jd, monkeypatch, *args, threshold=0, **kwargs)
    return never, always, case_id


def pruned_rows(jd, case_id: int) -> int:
    with jd.db.read() as session:
        return session.scalar(select(func.count()).select_from(TaskHistory).where(TaskHistory.instance_id == case_id))


def live_tasks(jd, case_id: int) -> int:
    with jd.db.read() as session:
        workflow = runtime.load(session, session.get(ProcessInstance, case_id))
        return len(workflow.tasks)


@pytest.mark.parametrize("fixture, key, data", [
    ("loop_parallel.bpmn", "loop_parallel", {"rounds": 6}),
    ("loop_mi.bpmn", "loop_mi", {"rounds": 5, "members": ["wanghong", "zhangwei", "liuyang"]}),
])
def test_loops_with_joins_and_multi_instance_behave_the_same_pruned(jd, monkeypatch, fixture, key, data):
    deploy(jd, fixture)
    never, always, case_id = both_ways(jd, monkeypatch, key, "yangfan", data, lambda element, step: {})
    assert never == always
    assert never[-1]["status"] == "completed" and len(never) > 10
    assert pruned_rows(jd, case_id) > 0  # something was actually cut off


def test_a_loop_with_a_boundary_timer_behaves_the_same_pruned(jd, monkeypatch):
    deploy(jd, "loop_timer.bpmn")

    def late_every_other_round(step, case_id):
        if step % 2 == 0:  # the holder leaves the next round's work lying: the timer escalates it
            clock.shift(timedelta(hours=2))
            worker.run_once(jd.db)

    with time_machine.travel(T0, tick=False) as clock:
        never, _ = drive(jd, monkeypatch, "loop_timer", "yangfan", {"rounds": 6}, lambda e, s: {},
                         threshold=NEVER, on_step=late_every_other_round)
    with time_machine.travel(T0, tick=False) as clock:
        always, case_id = drive(jd, monkeypatch, "loop_timer", "yangfan", {"rounds": 6}, lambda e, s: {},
                                threshold=0, on_step=late_every_other_round)
    assert never == always and never[-1]["status"] == "completed"
    assert any(task[0] == "urge" for snap in never for task in snap["tasks"])  # the timer path was taken


def test_the_shipped_decision_with_a_deferral_loop_behaves_the_same_pruned(jd, monkeypatch):
    with jd.db.write() as session:
        from service.config import PROJECT_ROOT
        definitions.deploy_directory(session, None, PROJECT_ROOT / "workflows")

    def data_for(element, step):
        if element == "member_opinion":  # the first meeting defers; the second decides
            return {"view": "缓议", "reasons": "事实尚需核实"} if step < 14 else {"view": "同意"}
        return MAJOR_DECISION.data_for(element)

    with time_machine.travel(T0, tick=False):
        never, always, case_id = both_ways(jd, monkeypatch, "major_decision", "wanghong", {}, data_for)
    assert never == always
    assert never[-1]["status"] == "completed"
    assert [s for s in never if any(t[0] == "schedule" for t in s["tasks"])].__len__() >= 2  # it looped


def test_a_loop_of_two_thousand_rounds_ends_correctly_and_stays_small(jd):
    deploy(jd, ("counter.bpmn", """<?xml version="1.0" encoding="UTF-8"?>
<bpmn:definitions xmlns:bpmn="http://www.omg.org/spec/BPMN/20100524/MODEL" id="d" targetNamespace="http://t">
<bpmn:process id="counter" isExecutable="true">
<bpmn:startEvent id="start"/><bpmn:sequenceFlow id="f0" sourceRef="start" targetRef="init"/>
<bpmn:scriptTask id="init" scriptFormat="python"><bpmn:script>round = 0</bpmn:script></bpmn:scriptTask>
<bpmn:sequenceFlow id="f1" sourceRef="init" targetRef="count"/>
<bpmn:scriptTask id="count" scriptFormat="python"><bpmn:script>round = round + 1</bpmn:script></bpmn:scriptTask>
<bpmn:sequenceFlow id="f2" sourceRef="count" targetRef="more"/>
<bpmn:exclusiveGateway id="more" default="again"/>
<bpmn:sequenceFlow id="done" sourceRef="more" targetRef="check"><bpmn:conditionExpression>round &gt;= rounds</bpmn:conditionExpression></bpmn:sequenceFlow>
<bpmn:sequenceFlow id="again" sourceRef="more" targetRef="count"/>
<bpmn:userTask id="check" name="核对"/>
<bpmn:sequenceFlow id="f3" sourceRef="check" targetRef="end"/><bpmn:endEvent id="end"/>
</bpmn:process></bpmn:definitions>"""))
    case = start(jd, "yangfan", "counter", data={"rounds": 2000})
    # 2,000 rounds ran in one engine pass; without pruning the engine loses sight of its tasks at depth 1000.
    [check] = open_tasks(jd, case.id)
    with jd.db.read() as session:
        workflow = runtime.load(session, session.get(ProcessInstance, case.id))
        assert runtime.ready_human_tasks(workflow)[0].data["round"] == 2000
        assert len(workflow.tasks) < 2 * prune.PRUNE_AT + 20
    assert not instance(jd, case.id).status == "completed"
    complete(jd, "yangfan", check.id, {})
    assert instance(jd, case.id).status == "completed"


def test_the_stored_state_does_not_grow_with_the_rounds(jd):
    """The cost of a step follows the size of what it loads and saves: round 500 saves what round 5 did."""
    deploy(jd, "loop_parallel.bpmn")
    case = start(jd, "yangfan", "loop_parallel", data={"rounds": 10 ** 6})
    sizes = {}
    for step in range(1, 1501):  # three tasks per round: 500 rounds
        task = sorted(open_tasks(jd, case.id), key=lambda t: t.element_id)[0]
        complete(jd, task.candidates[0], task.id, {})
        if step in (15, 1500):
            sizes[step] = len(instance(jd, case.id).state)
    assert sizes[1500] < 1.5 * sizes[15]
    assert live_tasks(jd, case.id) < 2 * prune.PRUNE_AT + 20


def test_send_back_after_pruning_reaches_the_previous_step_and_refuses_a_pruned_one(jd, monkeypatch):
    from service.operations import send_back
    monkeypatch.setattr(prune, "PRUNE_AT", 0)
    deploy(jd, ("sendback.bpmn", """<?xml version="1.0" encoding="UTF-8"?>
<bpmn:definitions xmlns:bpmn="http://www.omg.org/spec/BPMN/20100524/MODEL" xmlns:camunda="http://camunda.org/schema/1.0/bpmn" id="d" targetNamespace="http://t">
<bpmn:process id="sendback" isExecutable="true">
<bpmn:startEvent id="start"/><bpmn:sequenceFlow id="f0" sourceRef="start" targetRef="one"/>
<bpmn:userTask id="one" name="第一步" camunda:assignee="initiator"/><bpmn:sequenceFlow id="f1" sourceRef="one" targetRef="two"/>
<bpmn:userTask id="two" name="第二步" camunda:assignee="initiator"/><bpmn:sequenceFlow id="f2" sourceRef="two" targetRef="three"/>
<bpmn:userTask id="three" name="第三步" camunda:assignee="initiator">
  <bpmn:extensionElements><camunda:properties><camunda:property name="sendBackTo" value="*"/></camunda:properties></bpmn:extensionElements>
</bpmn:userTask>
<bpmn:sequenceFlow id="f3" sourceRef="three" targetRef="end"/><bpmn:endEvent id="end"/>
</bpmn:process></bpmn:definitions>"""))
    case = start(jd, "yangfan", "sendback")
    for element in ("one", "two"):
        complete(jd, "yangfan", next(t for t in open_tasks(jd, case.id) if t.element_id == element).id, {})
    three = open_tasks(jd, case.id)[0]
    assert pruned_rows(jd, case.id) > 0
    with pytest.raises(Conflict, match="归档"), jd.db.write() as session:
        send_back.send_back(session, user(jd, "yangfan"), three.id, "one", "重新办理第一步")
    with jd.db.write() as session:
        send_back.send_back(session, user(jd, "yangfan"), three.id, None, "第二步有误")
    assert [t.element_id for t in open_tasks(jd, case.id)] == ["two"]


def test_the_path_taken_still_shows_what_was_pruned(jd, monkeypatch):
    deploy(jd, "loop_parallel.bpmn")
    _, case_id = drive(jd, monkeypatch, "loop_parallel", "yangfan", {"rounds": 3}, lambda e, s: {}, threshold=0)
    with jd.db.read() as session:
        case = session.get(ProcessInstance, case_id)
        rows = session.scalars(select(HumanTask).where(HumanTask.instance_id == case_id)).all()
        trace = case_trace.trace(session, case, definitions.cached(session, case.definition_id), list(rows))
    assert {"init", "prepare", "legal", "integrity", "count"} <= trace.completed
