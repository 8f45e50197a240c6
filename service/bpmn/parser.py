"""The Camunda Platform 7 dialect, parsed so that nothing a process owner set in the modeler is lost.

SpiffWorkflow's CamundaParser drops `camunda:assignee`, `candidateUsers`, `candidateGroups`, `dueDate` and
`formRef`; we keep them in ``task_spec.extensions`` (with `camunda:properties`, for user, manual, plain and
script tasks). It also treats a plain `bpmn:task` as waiting for a person
(BPMN says an untyped task does nothing) and evaluates timer literals such as ``P3D`` as Python names; both are
corrected here. Multi-instance tasks use ``service.bpmn.multiinstance``, parallel joins ``service.bpmn.joins``.
"""
from __future__ import annotations

import re

from SpiffWorkflow.bpmn.parser.BpmnParser import full_tag
from SpiffWorkflow.bpmn.parser.TaskParser import TaskParser
from SpiffWorkflow.bpmn.parser.task_parsers import GatewayParser
from SpiffWorkflow.bpmn.parser.util import first
from SpiffWorkflow.bpmn.specs.data_spec import TaskDataReference
from SpiffWorkflow.bpmn.specs.defaults import ManualTask, NoneTask, ScriptTask
from SpiffWorkflow.bpmn.specs.event_definitions.timer import (
    CycleTimerEventDefinition,
    DurationTimerEventDefinition,
    TimeDateEventDefinition,
)
from SpiffWorkflow.bpmn.specs.defaults import (
    BoundaryEvent,
    IntermediateCatchEvent,
    StartEvent,
)
from SpiffWorkflow.camunda.parser.CamundaParser import CamundaParser
from SpiffWorkflow.camunda.parser import event_parsers as camunda_events
from SpiffWorkflow.camunda.parser.task_spec import CamundaTaskParser, ScriptTaskParser, UserTaskParser
from SpiffWorkflow.camunda.specs.user_task import UserTask

from .joins import JParallelGateway
from .multiinstance import JParallelMultiInstanceTask, JSequentialMultiInstanceTask

CAMUNDA_NS = "http://camunda.org/schema/1.0/bpmn"
ASSIGNMENT_ATTRIBUTES = ("assignee", "candidateUsers", "candidateGroups", "dueDate", "followUpDate", "priority",
                         "formKey", "formRef", "formRefBinding", "formRefVersion")
_VAR_REF = re.compile(r"^\$\{\s*([A-Za-z_][A-Za-z0-9_]*)\s*\}$|^([A-Za-z_][A-Za-z0-9_]*)$")
ISO_LITERAL = re.compile(
    r"^(R\d*/)?([+-]?P(?=\d|T\d)(\d+Y)?(\d+M)?(\d+W)?(\d+D)?(T(\d+H)?(\d+M)?(\d+(\.\d+)?S)?)?"
    r"|\d{4}-\d{2}-\d{2}([T ][0-9:.]+(Z|[+-]\d{2}:?\d{2})?)?)"
    r"(/.*)?$",
    re.IGNORECASE,
)


LOOKS_ISO = re.compile(r"^(R\d*/)?P\d[\w.]*$|^\d{4}-\d{2}-\d{2}\S*$")


def variable_name(expression: str | None) -> str | None:
    """`members` or `${members}` -> "members"; anything else -> None (not a plain variable reference)."""
    if not expression:
        return None
    match = _VAR_REF.match(expression.strip())
    return (match.group(1) or match.group(2)) if match else None


def timer_expression(text: str | None) -> str:
    """Turn a timer definition into a sandbox expression yielding an ISO string.

    Camunda writes literals (``P3D``, ``2025-05-01T09:00``, ``R3/PT1H``) unquoted; a Python expression such as
    ``add_workdays(meeting_date, 15)`` is wrapped in ``to_iso`` so a datetime result becomes the ISO string
    SpiffWorkflow's timers expect.
    """
    text = (text or "").strip()
    if text.startswith("${") and text.endswith("}"):
        text = text[2:-1].strip()
    if ISO_LITERAL.match(text) or LOOKS_ISO.match(text):
        return repr(text)  # a malformed literal (P3X) then fails validation as a literal, not as a variable
    if (text.startswith('"') and text.endswith('"')) or (text.startswith("'") and text.endswith("'")):
        return text
    return f"to_iso({text})"


class _Extensions:
    """Collects Camunda attributes and `camunda:properties` into `task_spec.extensions`."""

    PARALLEL_MI_CLASS = JParallelMultiInstanceTask
    SEQUENTIAL_MI_CLASS = JSequentialMultiInstanceTask

    def parse_extensions(self, node=None):
        node = self.node if node is None else node
        extensions: dict = {"properties": {}}
        for prop in self._xpath(node, "./bpmn:extensionElements/camunda:properties/camunda:property"):
            if prop.get("name"):
                extensions["properties"][prop.get("name")] = prop.get("value")
        for attribute in ASSIGNMENT_ATTRIBUTES:
            value = node.get(f"{{{CAMUNDA_NS}}}{attribute}")
            if value is not None and value.strip() != "":
                extensions[attribute] = value.strip()
        return extensions

    def _add_multiinstance_task(self, loop_characteristics):
        collection = loop_characteristics.get(f"{{{CAMUNDA_NS}}}collection")
        if collection is None:
            # Standard BPMN data inputs/outputs or a loop cardinality.
            return self._standard_multiinstance(loop_characteristics)
        name = variable_name(collection)
        if name is None:
            self.raise_validation_exception(
                f"多实例集合必须是变量名（如 members 或 ${{members}}），而不是表达式: {collection}")
        element_var = loop_characteristics.get(f"{{{CAMUNDA_NS}}}elementVariable")
        condition = first(self.xpath("./bpmn:multiInstanceLoopCharacteristics/bpmn:completionCondition"))
        properties = self.parse_extensions().get("properties", {})
        output_collection = properties.get("outputCollection")
        output_element = properties.get("outputElement") or (f"{element_var}_result" if output_collection else None)
        original = self.spec.task_specs.pop(self.task.name)
        params = dict(
            task_spec="",
            cardinality=None,
            data_input=TaskDataReference(name),
            data_output=TaskDataReference(output_collection) if output_collection else None,
            input_item=TaskDataReference(element_var) if element_var else None,
            output_item=TaskDataReference(output_element) if output_element else None,
            condition=condition.text if condition is not None else None,
        )
        cls = JSequentialMultiInstanceTask if loop_characteristics.get("isSequential") == "true" \
            else JParallelMultiInstanceTask
        self.task = cls(self.spec, original.name, description="MultiInstance", **params)
        self._copy_task_attrs(original, loop_characteristics)

    def _standard_multiinstance(self, loop_characteristics):
        TaskParser._add_multiinstance_task(self, loop_characteristics)


class JTaskParser(_Extensions, CamundaTaskParser):
    pass


class JUserTaskParser(_Extensions, UserTaskParser):
    pass


class JScriptTaskParser(_Extensions, ScriptTaskParser):
    """Script tasks keep their `camunda:properties` too (e.g. `auditRecord`, see service.records)."""


class AutomaticNoneTask(NoneTask):
    """An untyped `bpmn:task` does nothing and moves on (SpiffWorkflow would wait for a person)."""

    def __init__(self, wf_spec, bpmn_id, **kwargs):
        super().__init__(wf_spec, bpmn_id, **kwargs)
        self.manual = False


class _TimerLiterals:
    def parse_timer_event(self, event):
        definition = super().parse_timer_event(event)
        if isinstance(definition, (TimeDateEventDefinition, DurationTimerEventDefinition, CycleTimerEventDefinition)):
            definition.expression = timer_expression(definition.expression)
        return definition


class JStartEventParser(_TimerLiterals, camunda_events.CamundaStartEventParser):
    pass


class JIntermediateCatchEventParser(_TimerLiterals, camunda_events.CamundaIntermediateCatchEventParser):
    pass


class JBoundaryEventParser(_TimerLiterals, camunda_events.CamundaBoundaryEventParser):
    pass


class JianduParser(CamundaParser):
    OVERRIDE_PARSER_CLASSES = {
        **CamundaParser.OVERRIDE_PARSER_CLASSES,
        full_tag("userTask"): (JUserTaskParser, UserTask),
        full_tag("manualTask"): (JTaskParser, ManualTask),
        full_tag("task"): (JTaskParser, AutomaticNoneTask),
        full_tag("scriptTask"): (JScriptTaskParser, ScriptTask),
        full_tag("parallelGateway"): (GatewayParser, JParallelGateway),
        full_tag("startEvent"): (JStartEventParser, StartEvent),
        full_tag("intermediateCatchEvent"): (JIntermediateCatchEventParser, IntermediateCatchEvent),
        full_tag("boundaryEvent"): (JBoundaryEventParser, BoundaryEvent),
    }
