"""The engine floor: what SpiffWorkflow itself costs for one persistent user step, measured in the same run.

One step = deserialize the saved workflow, complete the ready task, run the engine, serialize — with
SpiffWorkflow's own serializer (spec included, as a plain SpiffWorkflow application would store it), the same
parsed spec and the same sandboxed script engine Jiandu uses. Jiandu's step is then measured against this.
"""
from __future__ import annotations

import time

from SpiffWorkflow.bpmn import BpmnWorkflow
from SpiffWorkflow.bpmn.serializer import DEFAULT_CONFIG, BpmnWorkflowSerializer
from SpiffWorkflow.bpmn.specs.mixins.multiinstance_task import MultiInstanceTask
from SpiffWorkflow.camunda.serializer.config import CAMUNDA_CONFIG

from .. import runtime
from ..engine.specs import ParsedDefinition
from .scenarios import Scenario


def _serializer() -> BpmnWorkflowSerializer:
    """SpiffWorkflow's serializer, taught Jiandu's few spec subclasses with their base class's converter."""
    from ..bpmn.joins import JParallelGateway
    from ..bpmn.multiinstance import JParallelMultiInstanceTask, JSequentialMultiInstanceTask
    from ..bpmn.parser import AutomaticNoneTask
    config = dict(CAMUNDA_CONFIG)
    for ours in (JParallelGateway, JParallelMultiInstanceTask, JSequentialMultiInstanceTask, AutomaticNoneTask):
        base = next(cls for cls in ours.__mro__[1:] if cls in CAMUNDA_CONFIG or cls in DEFAULT_CONFIG)
        config[ours] = CAMUNDA_CONFIG.get(base) or DEFAULT_CONFIG[base]
    return BpmnWorkflowSerializer(BpmnWorkflowSerializer.configure(config))


def _next_ready(workflow):
    ready = runtime.ready_human_tasks(workflow)
    return sorted(ready, key=lambda t: (t.task_spec.bpmn_id, str(t.id)))[0] if ready else None


def walk_floor(parsed: ParsedDefinition, scenario: Scenario, variables: dict, max_steps: int = 60) -> list[float]:
    """Walk one instance to its end (or max_steps); return the seconds each persistent step took."""
    serializer = _serializer()
    workflow = BpmnWorkflow(parsed.spec, parsed.subprocess_specs, script_engine=runtime.SCRIPT_ENGINE)
    for task in workflow.get_tasks():
        if task.state == 16:  # READY
            task.data.update(variables)
    workflow.do_engine_steps()
    saved = serializer.serialize_json(workflow)
    timings = []
    for _ in range(max_steps):
        started = time.perf_counter()
        workflow = serializer.deserialize_json(saved)
        workflow.script_engine = runtime.SCRIPT_ENGINE
        task = _next_ready(workflow)
        if task is None:
            break
        data = scenario.data_for(task.task_spec.bpmn_id)
        task.data.update(data)
        parent = task.parent
        if parent is not None and isinstance(parent.task_spec, MultiInstanceTask) and parent.task_spec.output_item:
            item = parent.task_spec.input_item
            who = task.data.get(item.bpmn_id) if item is not None else None
            who = who if isinstance(who, str) else "bench"
            task.data[parent.task_spec.output_item.bpmn_id] = {**data, "user": who, "name": who}
        task.run()
        workflow.do_engine_steps()
        saved = serializer.serialize_json(workflow)
        timings.append(time.perf_counter() - started)
    return timings
