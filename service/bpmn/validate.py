"""Full validation of a diagram before anything is stored (DESIGN.md section 3).

Order: XML (well-formed, no DOCTYPE, size) → BPMN XSD → every expression, script, timer and assignment →
referenced forms and called processes → SpiffWorkflow's own parse. Every error is ``{element_id, line, message}``
with the line of the offending element. Lint warnings (not blocking) follow the same shape.
"""
from __future__ import annotations

import os
from dataclasses import dataclass, field
from functools import lru_cache

from lxml import etree
import SpiffWorkflow.bpmn.parser as spiff_parser_package
from SpiffWorkflow.bpmn.parser.ValidationException import ValidationException
from SpiffWorkflow.bpmn.specs.event_definitions.timer import TimerEventDefinition

from .. import assignment
from ..sandbox import SandboxError, check_expression, check_script
from .inspect import BPMN_NS, CAMUNDA_NS, HUMAN_TAGS, BpmnDocument, document_from_root, form_id_of, local
from .normalize import juel_to_python
from .parser import timer_expression, variable_name
from .xmlsafe import XmlProblem, parse_xml

XSD_PATH = os.path.join(os.path.dirname(spiff_parser_package.__file__), "schema", "BPMN20.xsd")


def problem(element_id: str | None, line: int | None, message: str, file: str | None = None) -> dict:
    entry = {"element_id": element_id, "line": line, "message": message}
    if file:
        entry["file"] = file
    return entry


@dataclass
class ValidationResult:
    document: BpmnDocument | None
    key: str | None
    errors: list[dict] = field(default_factory=list)
    warnings: list[dict] = field(default_factory=list)

    @property
    def ok(self) -> bool:
        return not self.errors


@dataclass
class Environment:
    """What exists outside the file: forms, deployed processes, role keys."""

    forms: set[str] = field(default_factory=set)
    processes: dict[str, str] = field(default_factory=dict)  # deployed key -> BPMN XML (for call activities)
    roles: set[str] | None = None
    role_names: set[str] = field(default_factory=set)  # keys and display names a lane may be named after
    max_bytes: int = 2 * 1024 * 1024


@lru_cache(maxsize=1)
def _schema() -> etree.XMLSchema:
    parser = etree.XMLParser(no_network=True, resolve_entities=False)
    return etree.XMLSchema(etree.parse(XSD_PATH, parser))


def validate(data: bytes | str, filename: str, env: Environment) -> ValidationResult:
    try:
        root = parse_xml(data, max_bytes=env.max_bytes)
    except XmlProblem as err:
        return ValidationResult(None, None, [problem(None, err.line, err.message, filename)])
    if root.tag != f"{{{BPMN_NS}}}definitions":
        return ValidationResult(None, None, [problem(None, root.sourceline, f"根元素必须是 bpmn:definitions，而不是 {local(root.tag)}", filename)])
    doc = document_from_root(root, filename)
    result = ValidationResult(doc, doc.main_key())
    schema = _schema()
    if not schema.validate(root):
        for entry in list(schema.error_log)[:50]:
            element = _element_at_line(doc, entry.line)
            result.errors.append(problem(element, entry.line, f"不符合 BPMN 2.0 规范: {entry.message}", filename))
    if result.key is None:
        result.errors.append(problem(None, root.sourceline, "没有可执行的流程（process 需设置 isExecutable=\"true\"）", filename))
    _check_expressions(doc, result)
    _check_assignments(doc, result, env)
    _check_forms(doc, result, env)
    _check_calls(doc, result, env)
    if not result.errors:
        _check_spiff(doc, result, env)
    result.warnings.extend(lint(doc, env))
    for entry in result.errors + result.warnings:
        entry.setdefault("file", filename)
    return result


def _element_at_line(doc: BpmnDocument, line: int | None) -> str | None:
    best = None
    for element in doc.elements.values():
        if element.line is not None and line is not None and element.line <= line:
            if best is None or element.line > best.line:
                best = element
    return best.id if best else None


def _owner_id(node: etree._Element) -> str | None:
    while node is not None:
        if node.get("id") and isinstance(node.tag, str) and node.tag.startswith(f"{{{BPMN_NS}}}"):
            return node.get("id")
        node = node.getparent()
    return None


def _check_expressions(doc: BpmnDocument, result: ValidationResult) -> None:
    def check(node, text: str | None, kind: str, script: bool = False):
        if text is None or not text.strip():
            return
        try:
            (check_script if script else check_expression)(juel_to_python(text) if not script else text)
        except SandboxError as err:
            line = node.sourceline + (err.line - 1 if script and getattr(err, "line", None) else 0)
            result.errors.append(problem(_owner_id(node), line, f"{kind}不可用: {err}"))

    for tag in ("conditionExpression", "completionCondition", "loopCardinality", "loopCondition"):
        for node in doc.root.iter(f"{{{BPMN_NS}}}{tag}"):
            check(node, node.text, {"conditionExpression": "条件表达式", "completionCondition": "完成条件",
                                    "loopCardinality": "循环次数", "loopCondition": "循环条件"}[tag])
    for node in doc.root.iter(f"{{{BPMN_NS}}}scriptTask"):
        fmt = (node.get("scriptFormat") or "python").lower()
        script = node.find(f"{{{BPMN_NS}}}script")
        if fmt not in ("python", "py", "text/x-python"):
            result.errors.append(problem(node.get("id"), node.sourceline, f"只支持 Python 脚本，不支持 {fmt}"))
        elif script is None or not (script.text or "").strip():
            result.errors.append(problem(node.get("id"), node.sourceline, "脚本任务没有脚本"))
        else:
            check(script, script.text, "脚本", script=True)
    for tag in ("timeDate", "timeDuration", "timeCycle"):
        for node in doc.root.iter(f"{{{BPMN_NS}}}{tag}"):
            _check_timer(node, tag, result)
    for node in doc.root.iter(f"{{{BPMN_NS}}}multiInstanceLoopCharacteristics"):
        collection = node.get(f"{{{CAMUNDA_NS}}}collection")
        if collection is not None and variable_name(collection) is None:
            result.errors.append(problem(_owner_id(node.getparent()), node.sourceline,
                                         f"多实例集合必须是变量名（如 members 或 ${{members}}）: {collection}"))
    for element in doc.of_tag(*HUMAN_TAGS):
        due = element.node.get(f"{{{CAMUNDA_NS}}}dueDate")
        if due:
            _check_due(element.node, due, result)


def _check_timer(node, tag: str, result: ValidationResult) -> None:
    text = (node.text or "").strip()
    owner = _owner_id(node)
    if not text:
        result.errors.append(problem(owner, node.sourceline, "定时器没有时间表达式"))
        return
    expression = timer_expression(text)
    if expression.startswith("'"):
        try:
            literal = expression[1:-1]
            if tag == "timeCycle":
                TimerEventDefinition.parse_iso_recurring_interval(literal)
            else:
                TimerEventDefinition.parse_time_or_duration(literal)
        except Exception as err:  # the library raises bare Exception/ValueError for bad literals
            result.errors.append(problem(owner, node.sourceline, f"时间格式错误 {text!r}: {err}"))
        return
    try:
        check_expression(expression)
    except SandboxError as err:
        result.errors.append(problem(owner, node.sourceline, f"定时器表达式不可用: {err}"))


def _check_due(node, due: str, result: ValidationResult) -> None:
    expression = timer_expression(due)
    try:
        if expression.startswith("'"):
            TimerEventDefinition.parse_time_or_duration(expression[1:-1])
        else:
            check_expression(expression)
    except SandboxError as err:
        result.errors.append(problem(node.get("id"), node.sourceline, f"期限表达式 dueDate 不可用: {err}"))
    except Exception as err:
        result.errors.append(problem(node.get("id"), node.sourceline, f"期限 dueDate 格式错误 {due!r}: {err}"))


def _check_terms(node, text: str, context: str, what: str, result: ValidationResult, env: Environment) -> None:
    try:
        terms = assignment.parse(text, context)
    except assignment.AssignmentSyntaxError as err:
        result.errors.append(problem(_owner_id(node), node.sourceline, f"{what}: {err}"))
        return
    if env.roles is not None:
        for term in terms:
            if term.kind in ("role", "unit_role") and term.name not in env.roles:
                result.errors.append(problem(_owner_id(node), node.sourceline,
                                             f"{what}: 未知角色 {term.name!r}（可用: {', '.join(sorted(env.roles))}）"))


def _check_assignments(doc: BpmnDocument, result: ValidationResult, env: Environment) -> None:
    for element in doc.of_tag(*HUMAN_TAGS):
        for attribute, context in (("assignee", "user"), ("candidateUsers", "user"), ("candidateGroups", "group")):
            value = element.node.get(f"{{{CAMUNDA_NS}}}{attribute}")
            if value is not None:
                _check_terms(element.node, value, context, f"{attribute} 分配表达式", result, env)
    for lane in doc.root.iter(f"{{{BPMN_NS}}}lane"):
        prop = lane.find(f"{{{BPMN_NS}}}extensionElements/{{{CAMUNDA_NS}}}properties/{{{CAMUNDA_NS}}}property[@name='assignment']")
        if prop is not None and prop.get("value"):
            _check_terms(lane, prop.get("value"), "group", f"泳道“{lane.get('name')}”的分配表达式", result, env)


def _check_forms(doc: BpmnDocument, result: ValidationResult, env: Environment) -> None:
    for element_id, form_id in doc.form_refs().items():
        if form_id not in env.forms:
            result.errors.append(problem(element_id, doc.line_of(element_id), f"引用的表单 {form_id!r} 不存在"))
    for element in doc.of_tag(*HUMAN_TAGS):
        key = element.node.get(f"{{{CAMUNDA_NS}}}formKey")
        if key and form_id_of(element.node) is None:
            result.warnings.append(problem(element.id, element.line, f"formKey {key!r} 不是 Jiandu 表单，办理时不显示表单"))


def _check_calls(doc: BpmnDocument, result: ValidationResult, env: Environment) -> None:
    local_ids = {p.get("id") for p in doc.processes()}
    for node in doc.root.iter(f"{{{BPMN_NS}}}callActivity"):
        called = node.get("calledElement")
        if not called:
            result.errors.append(problem(node.get("id"), node.sourceline, "调用活动没有指定被调用的流程 calledElement"))
        elif called not in local_ids and called not in env.processes:
            result.errors.append(problem(node.get("id"), node.sourceline, f"被调用的流程 {called!r} 不存在（未部署）"))


def _check_spiff(doc: BpmnDocument, result: ValidationResult, env: Environment) -> None:
    from ..engine.specs import parse_documents  # late: the engine imports this package

    documents = [(doc.root, doc.filename)]
    for called in sorted(doc.called_elements() - {p.get("id") for p in doc.processes()}):
        if called in env.processes:
            documents.append((parse_xml(env.processes[called]), f"{called}.bpmn"))
    try:
        parse_documents(documents, result.key)
    except ValidationException as err:
        element_id = getattr(err, "id", None) or None
        message = str(err).split(". ")[0] if str(err) else err.__class__.__name__
        result.errors.append(problem(element_id, doc.line_of(element_id), f"流程无法解析: {message}"))
    except Exception as err:  # a library bug must become an error entry, never a 500
        result.errors.append(problem(None, None, f"流程无法解析: {err.__class__.__name__}: {err}"))


def lint(doc: BpmnDocument, env: Environment) -> list[dict]:
    """Not errors, but things a careful owner wants to know before deploying."""
    warnings: list[dict] = []
    lanes = doc.lanes()
    roles = (env.roles or set()) | env.role_names
    for element in doc.of_tag("userTask", "manualTask", "task", "scriptTask", "serviceTask", "callActivity", "subProcess"):
        if not (element.name or "").strip():
            warnings.append(problem(element.id, element.line, "任务没有名称"))
    for element in doc.of_tag(*HUMAN_TAGS):
        node = element.node
        has_own = any(node.get(f"{{{CAMUNDA_NS}}}{a}") for a in ("assignee", "candidateUsers", "candidateGroups"))
        lane = doc.lane_of(element.id)
        lane_ok = lane is not None and (lanes.get(lane) or lane in roles)
        if not has_own and not lane_ok:
            warnings.append(problem(element.id, element.line, "任务没有指定办理人（将由发起人办理）"))
    flows = list(doc.root.iter(f"{{{BPMN_NS}}}sequenceFlow"))
    targets = {f.get("targetRef") for f in flows}
    outgoing: dict[str, int] = {}
    for flow in flows:
        outgoing[flow.get("sourceRef")] = outgoing.get(flow.get("sourceRef"), 0) + 1
    for element in doc.of_tag("exclusiveGateway", "inclusiveGateway"):
        if outgoing.get(element.id, 0) > 1 and not element.node.get("default"):
            warnings.append(problem(element.id, element.line, "网关没有默认流向，所有条件都不满足时流程会出错"))
    flow_nodes = ("userTask", "manualTask", "task", "scriptTask", "serviceTask", "sendTask", "receiveTask",
                  "businessRuleTask", "callActivity", "subProcess", "exclusiveGateway", "parallelGateway",
                  "inclusiveGateway", "eventBasedGateway", "intermediateCatchEvent", "intermediateThrowEvent", "endEvent")
    for element in doc.of_tag(*flow_nodes):
        parent = element.node.getparent()
        if element.id not in targets and not (parent is not None and parent.get("triggeredByEvent") == "true"):
            warnings.append(problem(element.id, element.line, "元素不可达（没有进入的连线）"))
    return warnings
