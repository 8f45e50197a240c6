"""What the supervision views read from a definition's drawing: its human steps and its sequence flows.

Definitions never change after deploy, so what is read from one version is cached by (id, checksum).
"""
from __future__ import annotations

from dataclasses import dataclass
from .bpmn.inspect import HUMAN_TAGS, load_document
from .models import ProcessDefinition

BPMNDI_NS = "http://www.omg.org/spec/BPMN/20100524/DI"


@dataclass(frozen=True)
class Flow:
    id: str
    source: str
    target: str


@dataclass(frozen=True)
class Drawing:
    steps: tuple[tuple[str, str], ...]   # (element id, name) of each human task, in document order
    flows: tuple[Flow, ...]
    tags: dict                           # element id -> tag (userTask, exclusiveGateway, boundaryEvent, ...)
    has_diagram: bool                    # the file carries BPMN DI (shapes), so a viewer can draw it

    def step_name(self, element_id: str) -> str:
        return dict(self.steps).get(element_id, element_id)


_CACHE: dict[tuple[int, str], Drawing] = {}
CACHE_SIZE = 256


def drawing(definition: ProcessDefinition) -> Drawing:
    key = (definition.id, definition.checksum)
    found = _CACHE.get(key)
    if found is None:
        if len(_CACHE) >= CACHE_SIZE:
            _CACHE.clear()
        found = _CACHE[key] = _read(definition.bpmn_xml)
    return found


def _read(xml: str) -> Drawing:
    doc = load_document(xml)
    steps = tuple((e.id, (e.name or e.id).strip()) for e in doc.of_tag(*HUMAN_TAGS))
    flows = tuple(Flow(e.id, e.node.get("sourceRef") or "", e.node.get("targetRef") or "")
                  for e in doc.of_tag("sequenceFlow"))
    tags = {element_id: element.tag for element_id, element in doc.elements.items()}
    has_diagram = doc.root.find(f".//{{{BPMNDI_NS}}}BPMNShape") is not None
    return Drawing(steps, flows, tags, has_diagram)
