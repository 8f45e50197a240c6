"""What a diagram says, read statically from its XML: processes, elements and their lines, lanes, forms.

Used by validation (line numbers for every error), by deploy (the definition key, lane mapping, forms to pin)
and by the editor's lint. SpiffWorkflow's own exceptions carry no line numbers in 3.2.0, so element ids are
mapped to ``sourceline`` here.
"""
from __future__ import annotations

from dataclasses import dataclass, field

from lxml import etree

from .xmlsafe import parse_xml

BPMN_NS = "http://www.omg.org/spec/BPMN/20100524/MODEL"
CAMUNDA_NS = "http://camunda.org/schema/1.0/bpmn"
NS = {"bpmn": BPMN_NS, "camunda": CAMUNDA_NS}
HUMAN_TAGS = ("userTask", "manualTask")
FORM_KEY_PREFIXES = ("camunda-forms:deployment:", "camunda-forms:app:", "jiandu:", "form:")


def local(tag) -> str:
    return etree.QName(tag).localname if isinstance(tag, str) else ""


@dataclass
class Element:
    id: str
    tag: str
    name: str | None
    line: int | None
    node: etree._Element = field(repr=False)


@dataclass
class BpmnDocument:
    root: etree._Element
    filename: str
    elements: dict[str, Element]

    # -- structure ---------------------------------------------------------------------------------------------
    def processes(self) -> list[etree._Element]:
        return self.root.findall(f"{{{BPMN_NS}}}process")

    def executable_processes(self) -> list[etree._Element]:
        return [p for p in self.processes() if p.get("isExecutable", "false").lower() == "true"]

    def called_elements(self) -> set[str]:
        return {c.get("calledElement") for c in self.root.iter(f"{{{BPMN_NS}}}callActivity") if c.get("calledElement")}

    def main_key(self) -> str | None:
        """The id a definition is deployed under.

        A collaboration with several executable participants runs as one (its id); otherwise the first executable
        process that no call activity in the same file calls.
        """
        executable = self.executable_processes()
        collaboration = self.root.find(f"{{{BPMN_NS}}}collaboration")
        if collaboration is not None:
            refs = [p.get("processRef") for p in collaboration.findall(f"{{{BPMN_NS}}}participant")]
            executable_ids = {p.get("id") for p in executable}
            if len([r for r in refs if r in executable_ids]) > 1:
                return collaboration.get("id")
        called = self.called_elements()
        for process in executable:
            if process.get("id") not in called:
                return process.get("id")
        return executable[0].get("id") if executable else None

    def process_name(self, key: str) -> str:
        element = self.elements.get(key)
        if element is not None and element.name:
            return element.name
        for process in self.executable_processes():
            if process.get("name"):
                return process.get("name")
        return key

    def line_of(self, element_id: str | None) -> int | None:
        element = self.elements.get(element_id or "")
        return element.line if element else None

    def of_tag(self, *tags: str) -> list[Element]:
        return [e for e in self.elements.values() if e.tag in tags]

    # -- lanes and assignment ----------------------------------------------------------------------------------
    def lanes(self) -> dict[str, str | None]:
        """{lane name: the `assignment` extension property, or None when the diagram does not say}."""
        found: dict[str, str | None] = {}
        for lane in self.root.iter(f"{{{BPMN_NS}}}lane"):
            name = (lane.get("name") or "").strip()
            if not name:
                continue
            prop = lane.find("bpmn:extensionElements/camunda:properties/camunda:property[@name='assignment']", NS)
            found[name] = prop.get("value").strip() if prop is not None and prop.get("value") else found.get(name)
        return found

    def lane_of(self, element_id: str) -> str | None:
        for ref in self.root.iter(f"{{{BPMN_NS}}}flowNodeRef"):
            if (ref.text or "").strip() == element_id:
                return ref.getparent().get("name")
        return None

    # -- forms -------------------------------------------------------------------------------------------------
    def form_refs(self) -> dict[str, str]:
        """{element id: form id} for every human task that names a form we can render."""
        refs = {}
        for element in self.of_tag(*HUMAN_TAGS, "startEvent"):
            form_id = form_id_of(element.node)
            if form_id:
                refs[element.id] = form_id
        return refs


def form_id_of(node: etree._Element) -> str | None:
    ref = node.get(f"{{{CAMUNDA_NS}}}formRef")
    if ref:
        return ref.strip()
    key = (node.get(f"{{{CAMUNDA_NS}}}formKey") or "").strip()
    for prefix in FORM_KEY_PREFIXES:
        if key.startswith(prefix):
            return key[len(prefix):]
    return None


def load_document(data: bytes | str, filename: str = "diagram.bpmn", *, max_bytes: int | None = None) -> BpmnDocument:
    root = parse_xml(data, **({"max_bytes": max_bytes} if max_bytes else {}))
    return document_from_root(root, filename)


def document_from_root(root: etree._Element, filename: str) -> BpmnDocument:
    elements: dict[str, Element] = {}
    for node in root.iter():
        if not isinstance(node.tag, str) or not node.tag.startswith(f"{{{BPMN_NS}}}"):
            continue
        element_id = node.get("id")
        if element_id and element_id not in elements:
            elements[element_id] = Element(element_id, local(node.tag), node.get("name"), node.sourceline, node)
    return BpmnDocument(root, filename, elements)
