"""Workflow state without its specs.

SpiffWorkflow's serializer writes the whole process spec into every saved workflow and parses it back on every
load; for a step that only moves one task, that is most of the work. Specs belong to the (immutable) definition
version and are cached per process (``service.engine.specs``), so the stored state holds only the task tree and
data, and loading reattaches the cached spec objects.
"""
from __future__ import annotations

import json
import threading
from uuid import UUID

from SpiffWorkflow.bpmn import BpmnWorkflow
from SpiffWorkflow.bpmn.serializer import BpmnWorkflowSerializer
from SpiffWorkflow.bpmn.serializer.default.workflow import BpmnWorkflowConverter
from SpiffWorkflow.camunda.serializer.config import CAMUNDA_CONFIG

_specs = threading.local()


class _SpeclessWorkflowConverter(BpmnWorkflowConverter):
    def to_dict(self, workflow):
        dct = super(BpmnWorkflowConverter, self).to_dict(workflow)  # WorkflowConverter: tasks, data, root
        dct["subprocesses"] = self.mapping_to_dict(workflow.subprocesses)
        dct["bpmn_events"] = self.registry.convert(workflow.bpmn_events)
        return dct

    def from_dict(self, dct):
        spec, subprocess_specs = _specs.current
        workflow = self.target_class(spec, subprocess_specs, deserializing=True)
        workflow.tasks = self.mapping_from_dict(dct["tasks"], UUID, workflow=workflow)
        workflow.task_tree = workflow.tasks.get(UUID(dct["root"]))
        self.set_default_attributes(workflow, dct)
        self.subprocesses_from_dict(dct["subprocesses"], workflow)
        workflow.bpmn_events = self.registry.restore(dct.pop("bpmn_events", []))
        return workflow


class StateSerializer:
    """Dumps and loads one workflow's state; thread-safe (the spec hand-off is thread-local)."""

    def __init__(self):
        registry = BpmnWorkflowSerializer.configure(CAMUNDA_CONFIG)
        _SpeclessWorkflowConverter(BpmnWorkflow, registry)
        self._serializer = BpmnWorkflowSerializer(registry)

    def dumps(self, workflow: BpmnWorkflow) -> str:
        serializer = self._serializer
        serializer.registry._encoder_mode = True
        try:
            dct = serializer.to_dict(workflow)
            return json.dumps(dct, cls=serializer._encoder_cls, separators=(",", ":"), ensure_ascii=False)
        finally:
            serializer.registry._encoder_mode = False

    def loads(self, text: str, spec, subprocess_specs: dict, script_engine) -> BpmnWorkflow:
        dct = json.loads(text, cls=self._serializer.json_decoder_cls)
        _specs.current = (spec, subprocess_specs)
        try:
            workflow = self._serializer.from_dict(dct)
        finally:
            _specs.current = None
        workflow.script_engine = script_engine
        return workflow

