"""service.drafts helpers that need no database: what the editor is given to open."""
from __future__ import annotations

from service.bpmn.xmlsafe import parse_xml
from service.drafts import draft_key, for_modeler, new_process_xml
from tests.support import FIXTURES


def _shape(text: str) -> list:
    return [(node.tag, dict(node.attrib), (node.text or "").strip()) for node in parse_xml(text).iter()]


def test_documents_without_clashing_prefixes_are_given_unchanged():
    text = (FIXTURES / "editor_leave.bpmn").read_text(encoding="utf-8")
    assert for_modeler(text) is text or for_modeler(text) == text
    assert for_modeler("<not xml") == "<not xml"


def test_a_prefix_the_modeler_owns_bound_elsewhere_is_renamed_and_nothing_else_changes():
    text = (FIXTURES / "editor_roundtrip_signavio.bpmn").read_text(encoding="utf-8")
    renamed = for_modeler(text)
    assert 'xmlns:camunda="http://activiti.org/bpmn"' in text
    assert 'xmlns:activiti="http://activiti.org/bpmn"' in renamed and "xmlns:camunda" not in renamed
    assert _shape(renamed) == _shape(text)


def test_new_processes_are_named_safely_and_drafted_under_their_key():
    xml = new_process_xml("leave", '请假 <"&">')
    assert draft_key(xml) == "leave"
    assert parse_xml(xml).find("{http://www.omg.org/spec/BPMN/20100524/MODEL}process").get("name") == '请假 <"&">'
