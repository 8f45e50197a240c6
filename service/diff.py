"""What changed between two versions of a diagram, read from the XML alone.

An owner deciding whether to deploy (or roll back) wants to see the meaning of a change, not a text diff of
pretty-printed XML: which tasks, gateways, flows and lanes were added or removed, and for those kept, what changed
in them — name, type, attributes (assignee, candidate groups, form, due date…), extension properties (a lane's
assignment), conditions, scripts, timers, multi-instance settings, documentation.

Elements are matched by id, as the modeler keeps ids stable. Some BPMN children carry ids but are parts of their
parent rather than things a person thinks of on their own (a timer definition, loop characteristics, a data input):
they are folded into the parent's description, so a changed timer shows as a change of its event. Diagram
interchange (positions, waypoints) is not a change of meaning; elements that only moved are listed separately.
"""
from __future__ import annotations

from dataclasses import asdict, dataclass, field

from lxml import etree

from .bpmn.inspect import BPMN_NS, CAMUNDA_NS, local
from .bpmn.xmlsafe import parse_xml

BPMNDI_NS = "http://www.omg.org/spec/BPMN/20100524/DI"
DC_NS = "http://www.omg.org/spec/DD/20100524/DC"
DI_NS = "http://www.omg.org/spec/DD/20100524/DI"
XSI_NS = "http://www.w3.org/2001/XMLSchema-instance"
PREFIXES = {BPMN_NS: "bpmn", CAMUNDA_NS: "camunda", XSI_NS: "xsi", BPMNDI_NS: "bpmndi", DC_NS: "dc", DI_NS: "di",
            "http://www.omg.org/spec/BPMN/non-normative/color/1.0": "color",
            "http://bpmn.io/schema/bpmn/biocolor/1.0": "bioc",
            "http://spiffworkflow.org/bpmn/schema/1.0/core": "spiffworkflow"}

# Children with ids that belong to their parent (described as part of it, never listed on their own).
FOLDED = {
    "conditionalEventDefinition", "compensateEventDefinition", "errorEventDefinition", "escalationEventDefinition",
    "linkEventDefinition", "messageEventDefinition", "signalEventDefinition", "terminateEventDefinition",
    "timerEventDefinition", "cancelEventDefinition", "multiInstanceLoopCharacteristics",
    "standardLoopCharacteristics", "ioSpecification", "dataInput", "dataOutput", "inputSet", "outputSet",
    "dataInputAssociation", "dataOutputAssociation", "property", "laneSet", "formalExpression",
    "conditionExpression", "completionCondition", "loopCardinality", "documentation", "extensionElements",
    "script", "timeDate", "timeDuration", "timeCycle", "incoming", "outgoing", "flowNodeRef", "text",
}
# Attribute names that say nothing a person reads as a change of meaning.
IGNORED_ATTRIBUTES = {"id"}
# Child elements implied by sequence flows (the flows themselves are compared).
IGNORED_CHILDREN = {"incoming", "outgoing"}

CATEGORY_OF_CHILD = {
    "conditionExpression": "condition", "completionCondition": "condition", "loopCardinality": "loop",
    "multiInstanceLoopCharacteristics": "loop", "standardLoopCharacteristics": "loop", "script": "script",
    "timerEventDefinition": "timer", "timeDate": "timer", "timeDuration": "timer", "timeCycle": "timer",
    "documentation": "documentation", "extensionElements": "extension", "flowNodeRef": "lane",
}


@dataclass
class Change:
    field: str          # readable path: "name", "camunda:assignee", "conditionExpression", "extension: assignment"
    category: str       # name | type | attribute | extension | condition | script | timer | loop | lane | documentation | other
    before: str | None
    after: str | None


@dataclass
class ElementChange:
    id: str
    type: str
    name: str | None
    changes: list[Change] = field(default_factory=list)
    source: str | None = None   # for connections: the name (or id) of each end, so a person can tell flows apart
    target: str | None = None


@dataclass
class ElementRef:
    id: str
    type: str
    name: str | None
    source: str | None = None
    target: str | None = None


@dataclass
class Diff:
    added: list[ElementRef] = field(default_factory=list)
    removed: list[ElementRef] = field(default_factory=list)
    changed: list[ElementChange] = field(default_factory=list)
    moved: list[str] = field(default_factory=list)  # only the diagram layout changed

    @property
    def empty(self) -> bool:
        return not (self.added or self.removed or self.changed)

    def as_dict(self) -> dict:
        body = asdict(self)
        body["summary"] = {"added": len(self.added), "removed": len(self.removed), "changed": len(self.changed),
                           "moved": len(self.moved)}
        return body


def qualified(name: str) -> str:
    """`{ns}local` → `prefix:local` with the usual prefixes (bpmn elements and plain attributes stay unprefixed)."""
    if not name.startswith("{"):
        return name
    namespace, _, tag = name[1:].partition("}")
    if namespace == BPMN_NS:
        return tag
    return f"{PREFIXES.get(namespace, namespace)}:{tag}"


def _is_bpmn(node) -> bool:
    return isinstance(node.tag, str) and node.tag.startswith(f"{{{BPMN_NS}}}")


def _is_element(node) -> bool:
    """A thing listed on its own in a diff: a BPMN node with an id that is not part of its parent."""
    return _is_bpmn(node) and bool(node.get("id")) and local(node.tag) not in FOLDED and local(node.tag) != "definitions"


def elements(root: etree._Element) -> dict[str, etree._Element]:
    found: dict[str, etree._Element] = {}
    for node in root.iter():
        if _is_element(node) and node.get("id") not in found:
            found[node.get("id")] = node
    return found


def _text(node) -> str:
    return (node.text or "").strip()


def describe(node: etree._Element) -> dict[str, tuple[str, str]]:
    """{field: (category, value)} for the element itself and the parts folded into it."""
    facts: dict[str, tuple[str, str]] = {}
    for name, value in node.attrib.items():
        if name in IGNORED_ATTRIBUTES or _default_value(node, name, value):
            continue
        key = qualified(name)
        category = "name" if key == "name" else "attribute"
        facts[key] = (category, value)
    _describe_children(node, "", facts, None)
    return facts


def _describe_children(node, prefix: str, facts: dict, category: str | None) -> None:
    counts: dict[str, int] = {}
    for child in node:
        if not isinstance(child.tag, str) or _is_element(child):
            continue
        tag = local(child.tag)
        if tag in IGNORED_CHILDREN and _is_bpmn(child):
            continue
        label = _child_label(child)
        counts[label] = counts.get(label, 0) + 1
        if counts[label] > 1:
            label = f"{label}#{counts[label]}"
        path = f"{prefix}{label}"
        child_category = category or CATEGORY_OF_CHILD.get(tag, "extension" if not _is_bpmn(child) else "other")
        if tag == "flowNodeRef":
            continue  # collected as one sorted list below
        text = _text(child)
        if text:
            facts[path] = (child_category, text)
        for name, value in child.attrib.items():
            if (name == "id" and _is_bpmn(child)) or _default_value(child, name, value):
                continue
            facts[f"{path}@{qualified(name)}"] = (child_category, value)
        if not len(child) and not text and not child.attrib:
            facts[path] = (child_category, "")
        _describe_children(child, f"{path}/", facts, child_category)
    refs = sorted(_text(ref) for ref in node.findall(f"{{{BPMN_NS}}}flowNodeRef"))
    if refs:
        facts[f"{prefix}flowNodeRef"] = ("lane", ", ".join(refs))


def _default_value(node, name: str, value: str) -> bool:
    """Attributes the modeler writes out that only restate the default (no change of meaning when they appear)."""
    if name == f"{{{XSI_NS}}}type":
        return value.rsplit(":", 1)[-1] == "tFormalExpression"
    if name == "isExecutable" and local(node.tag) == "process":
        return value == "false"
    return False


def _child_label(child) -> str:
    """A path step that stays the same when siblings are reordered: named extension entries use their name."""
    label = qualified(child.tag)
    key = None if _is_bpmn(child) else (child.get("name") or child.get("key") or child.get("id") or child.get("event"))
    if key:
        return f"{label}[{key}]"
    return label


def _friendly(field_path: str) -> str:
    """`extensionElements/camunda:properties/camunda:property[assignment]@value` → `extension: assignment`."""
    if field_path.startswith("extensionElements/camunda:properties/camunda:property[") and field_path.endswith("@value"):
        return "extension: " + field_path.split("[", 1)[1].rsplit("]", 1)[0]
    return field_path


def _layout(root: etree._Element) -> dict[str, tuple]:
    """{bpmnElement id: geometry} from the diagram interchange."""
    shapes: dict[str, tuple] = {}
    for node in root.iter(f"{{{BPMNDI_NS}}}BPMNShape", f"{{{BPMNDI_NS}}}BPMNEdge"):
        ref = node.get("bpmnElement")
        if not ref or ref in shapes:
            continue
        bounds = node.find(f"{{{DC_NS}}}Bounds")
        points = tuple((p.get("x"), p.get("y")) for p in node.findall(f"{{{DI_NS}}}waypoint"))
        shapes[ref] = (tuple(sorted(bounds.attrib.items())) if bounds is not None else (), points,
                       node.get("isExpanded"), node.get("isHorizontal"))
    return shapes


def _ends(node: etree._Element, found: dict[str, etree._Element]) -> dict:
    """{source, target} of a connection, each as its element's name (or id); {} for anything else."""
    if node.get("sourceRef") is None and node.get("targetRef") is None:
        return {}

    def label(ref):
        other = found.get(ref or "")
        return (other.get("name") or ref) if other is not None else ref
    return {"source": label(node.get("sourceRef")), "target": label(node.get("targetRef"))}


def diff_roots(old: etree._Element, new: etree._Element) -> Diff:
    before, after = elements(old), elements(new)
    result = Diff()
    for element_id, node in after.items():
        if element_id not in before:
            result.added.append(ElementRef(element_id, local(node.tag), node.get("name"), **_ends(node, after)))
    for element_id, node in before.items():
        if element_id not in after:
            result.removed.append(ElementRef(element_id, local(node.tag), node.get("name"), **_ends(node, before)))
    for element_id, new_node in after.items():
        old_node = before.get(element_id)
        if old_node is None:
            continue
        changes = []
        if local(old_node.tag) != local(new_node.tag):
            changes.append(Change("type", "type", local(old_node.tag), local(new_node.tag)))
        old_facts, new_facts = describe(old_node), describe(new_node)
        for key in sorted(set(old_facts) | set(new_facts), key=lambda k: (k != "name", k)):
            old_value, new_value = old_facts.get(key), new_facts.get(key)
            if (old_value[1] if old_value else "") == (new_value[1] if new_value else ""):
                continue
            category = (new_value or old_value)[0]
            changes.append(Change(_friendly(key), category, old_value[1] if old_value else None,
                                  new_value[1] if new_value else None))
        if changes:
            result.changed.append(ElementChange(element_id, local(new_node.tag), new_node.get("name"), changes,
                                                **_ends(new_node, after)))
    old_layout, new_layout = _layout(old), _layout(new)
    changed_ids = {c.id for c in result.changed}
    result.moved = sorted(i for i in set(old_layout) & set(new_layout) & set(after)
                          if old_layout[i] != new_layout[i] and i not in changed_ids)
    return result


def diff(old_xml: str | bytes, new_xml: str | bytes) -> Diff:
    """Compare two diagrams (already validated when deployed; parsed with the hardened parser all the same)."""
    return diff_roots(parse_xml(old_xml), parse_xml(new_xml))
