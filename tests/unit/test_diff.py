"""service.diff: what changed between two diagrams, by meaning rather than by text."""
from __future__ import annotations

from service.diff import diff
from tests.support import FIXTURES

LEAVE = (FIXTURES / "editor_leave.bpmn").read_text(encoding="utf-8")
CORE = (FIXTURES / "core_flow.bpmn").read_text(encoding="utf-8")


def changes_of(result, element_id):
    [item] = [c for c in result.changed if c.id == element_id]
    return {(c.field, c.category, c.before, c.after) for c in item.changes}


def test_identical_diagrams_have_no_changes():
    result = diff(CORE, CORE)
    assert result.empty and result.as_dict()["summary"] == {"added": 0, "removed": 0, "changed": 0, "moved": 0}


def test_name_attributes_conditions_timers_loops_and_lane_assignments():
    new = (CORE.replace('name="归档"', 'name="归档保存"')
           .replace("amount &gt; 1000", "amount &gt; 2000")
           .replace("<bpmn:timeDuration>P2D</bpmn:timeDuration>", "<bpmn:timeDuration>P3D</bpmn:timeDuration>")
           .replace('value="parent.discipline"', 'value="parent.parent.discipline"')
           .replace('camunda:dueDate="PT1H"', 'camunda:dueDate="P1D" camunda:candidateGroups="discipline"')
           .replace('camunda:collection="members"', 'camunda:collection="reviewers"'))
    result = diff(CORE, new)
    assert changes_of(result, "archive") == {("name", "name", "归档", "归档保存")}
    assert changes_of(result, "f_large") == {("conditionExpression", "condition", "amount > 1000", "amount > 2000")}
    assert changes_of(result, "discipline_timeout") == {("timerEventDefinition/timeDuration", "timer", "P2D", "P3D")}
    assert changes_of(result, "lane_superior") == {
        ("extension: assignment", "extension", "parent.discipline", "parent.parent.discipline")}
    assert changes_of(result, "discipline_check") == {("camunda:dueDate", "attribute", "PT1H", "P1D"),
                                                      ("camunda:candidateGroups", "attribute", None, "discipline")}
    assert changes_of(result, "member_review") == {
        ("multiInstanceLoopCharacteristics@camunda:collection", "loop", "members", "reviewers")}
    assert not result.added and not result.removed


def test_scripts_documentation_and_type_changes():
    old = LEAVE.replace('<bpmn:userTask id="approve" name="书记审批" camunda:candidateGroups="secretary" />',
                        '<bpmn:scriptTask id="approve" name="书记审批"><bpmn:script>x = 1</bpmn:script>'
                        '</bpmn:scriptTask>')
    new = LEAVE.replace('<bpmn:userTask id="approve" name="书记审批" camunda:candidateGroups="secretary" />',
                        '<bpmn:scriptTask id="approve" name="书记审批"><bpmn:documentation>说明</bpmn:documentation>'
                        '<bpmn:script>x = 2</bpmn:script></bpmn:scriptTask>')
    assert changes_of(diff(old, new), "approve") == {("script", "script", "x = 1", "x = 2"),
                                                    ("documentation", "documentation", None, "说明")}
    assert ("type", "type", "userTask", "scriptTask") in changes_of(diff(LEAVE, old), "approve")


def test_added_and_removed_elements_name_both_ends_of_a_flow():
    new = LEAVE.replace('<bpmn:sequenceFlow id="f_approve" sourceRef="approve" targetRef="end" />',
                        '<bpmn:sequenceFlow id="f_legal" sourceRef="approve" targetRef="legal" />\n'
                        '    <bpmn:userTask id="legal" name="法制审核" />\n'
                        '    <bpmn:sequenceFlow id="f_done" sourceRef="legal" targetRef="end" />')
    result = diff(LEAVE, new)
    added = {(a.id, a.type, a.name, a.source, a.target) for a in result.added}
    assert added == {("legal", "userTask", "法制审核", None, None), ("f_legal", "sequenceFlow", None, "书记审批", "法制审核"),
                     ("f_done", "sequenceFlow", None, "法制审核", "结束")}
    assert [(r.id, r.source, r.target) for r in result.removed] == [("f_approve", "书记审批", "结束")]


def test_layout_alone_is_not_a_change_and_modeler_restatements_are_ignored():
    moved = LEAVE.replace('<dc:Bounds x="480" y="265" width="100" height="80" />',
                          '<dc:Bounds x="500" y="265" width="100" height="80" />')
    result = diff(LEAVE, moved)
    assert result.empty and result.moved == ["approve"]
    # What bpmn-js writes on save: incoming/outgoing children, xsi:type on expressions, explicit isExecutable.
    saved = (CORE.replace('<bpmn:userTask id="archive" name="归档"/>',
                          '<bpmn:userTask id="archive" name="归档"><bpmn:incoming>f_joined</bpmn:incoming>'
                          '<bpmn:outgoing>f_archived</bpmn:outgoing></bpmn:userTask>')
             .replace("<bpmn:conditionExpression>",
                      '<bpmn:conditionExpression xmlns:xsi="http://www.w3.org/2001/XMLSchema-instance" '
                      'xsi:type="bpmn:tFormalExpression">'))
    assert diff(CORE, saved).empty


def test_lane_membership_changes_show_on_the_lane():
    new = LEAVE.replace("<bpmn:flowNodeRef>approve</bpmn:flowNodeRef>", "") \
        .replace("<bpmn:flowNodeRef>submit</bpmn:flowNodeRef>",
                 "<bpmn:flowNodeRef>submit</bpmn:flowNodeRef><bpmn:flowNodeRef>approve</bpmn:flowNodeRef>")
    result = diff(LEAVE, new)
    assert changes_of(result, "lane_office") == {("flowNodeRef", "lane", "start, submit", "approve, start, submit")}
    assert changes_of(result, "lane_secretary") == {("flowNodeRef", "lane", "approve, end", "end")}
