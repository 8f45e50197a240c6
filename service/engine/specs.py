"""Parsed process specs, cached per definition version.

A deployed version never changes, so its parsed spec can be shared by every instance and every request. Parsing
a real diagram takes tens of milliseconds; a step should not pay it.
"""
from __future__ import annotations

import threading
from collections import OrderedDict
from dataclasses import dataclass

from lxml import etree
from SpiffWorkflow.bpmn.specs.bpmn_process_spec import BpmnProcessSpec
from SpiffWorkflow.bpmn.specs.mixins.multiinstance_task import LoopTask

from ..bpmn.normalize import normalized_copy
from ..bpmn.parser import JianduParser
from ..bpmn.xmlsafe import parse_xml


@dataclass(frozen=True)
class ParsedDefinition:
    spec: BpmnProcessSpec
    subprocess_specs: dict


def parse_documents(documents: list[tuple[etree._Element, str]], process_id: str) -> ParsedDefinition:
    """Parse already-loaded XML roots (main file first, then called processes) into the spec for `process_id`."""
    parser = JianduParser()
    for root, filename in documents:
        parser.add_bpmn_xml(normalized_copy(root), filename=filename)
    if process_id in parser.collaborations:
        spec, subprocess_specs = parser.get_collaboration(process_id)
    else:
        spec = parser.get_spec(process_id)
        subprocess_specs = parser.get_subprocess_specs(process_id)
    for process_spec in [spec, *subprocess_specs.values()]:
        _connect_loops(process_spec)
    return ParsedDefinition(spec, subprocess_specs)


def _connect_loops(process_spec) -> None:
    """Wire each loop / multi-instance task to hear its instances complete.

    SpiffWorkflow connects this when it first creates an instance, or when it deserializes a spec; specs parsed
    from XML in a process that did neither (a restart, another web worker) would never see a multi-instance step
    finish, and the case would stop there.
    """
    if process_spec is None:
        return
    for task_spec in process_spec.task_specs.values():
        if isinstance(task_spec, LoopTask):
            child = process_spec.task_specs.get(task_spec.task_spec)
            if child is not None and not child.completed_event.is_connected(task_spec.merge_child):
                child.completed_event.connect(task_spec.merge_child)


class SpecCache:
    def __init__(self, size: int = 256):
        self._size = size
        self._items: OrderedDict[tuple, ParsedDefinition] = OrderedDict()
        self._lock = threading.Lock()

    def get(self, definition_id: tuple, load) -> ParsedDefinition:
        """`load()` returns (key, [(xml_text, filename), ...]) and is called only on a miss.

        The cache key is (definition id, checksum): ids alone repeat across databases (tests, several tenants).
        """
        with self._lock:
            hit = self._items.get(definition_id)
            if hit is not None:
                self._items.move_to_end(definition_id)
                return hit
        key, sources = load()
        parsed = parse_documents([(parse_xml(text), name) for text, name in sources], key)
        with self._lock:
            self._items[definition_id] = parsed
            while len(self._items) > self._size:
                self._items.popitem(last=False)
        return parsed

    def clear(self) -> None:
        with self._lock:
            self._items.clear()


SPECS = SpecCache()
