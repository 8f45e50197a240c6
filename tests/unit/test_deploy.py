"""Deploy validates everything before storing anything; each error names the element and its real line."""
from __future__ import annotations

import pytest
from sqlalchemy import func, select

from service.errors import DeployError, Forbidden
from service.models import FormVersion, ProcessDefinition
from tests.support import deploy

HEAD = ('<?xml version="1.0" encoding="UTF-8"?>\n'
        '<bpmn:definitions xmlns:bpmn="http://www.omg.org/spec/BPMN/20100524/MODEL" '
        'xmlns:camunda="http://camunda.org/schema/1.0/bpmn" id="defs" targetNamespace="http://x">\n')


def diagram(body: str, process_id: str = "p") -> str:
    return (HEAD + f'<bpmn:process id="{process_id}" isExecutable="true">\n'
            '<bpmn:startEvent id="start"/>\n'
            '<bpmn:sequenceFlow id="f1" sourceRef="start" targetRef="work"/>\n'
            + body +
            '\n<bpmn:sequenceFlow id="f9" sourceRef="work" targetRef="end"/>\n'
            '<bpmn:endEvent id="end"/>\n</bpmn:process>\n</bpmn:definitions>\n')


def line_of(text: str, needle: str) -> int:
    return text[:text.index(needle)].count("\n") + 1


def stored(jd) -> int:
    with jd.db.read() as session:
        return session.scalar(select(func.count()).select_from(ProcessDefinition)) + \
            session.scalar(select(func.count()).select_from(FormVersion))


def refused(jd, *files):
    before = stored(jd)
    with pytest.raises(DeployError) as err:
        deploy(jd, *files)
    assert stored(jd) == before, "a refused deploy stored something"
    return err.value.errors


def test_a_valid_diagram_deploys_and_identical_content_is_a_no_op(jd):
    xml = diagram('<bpmn:userTask id="work" name="办理" camunda:candidateGroups="office"/>')
    first = deploy(jd, ("p.bpmn", xml))[0]
    again = deploy(jd, ("p.bpmn", xml))[0]
    changed = deploy(jd, ("p.bpmn", xml.replace('name="办理"', 'name="办理事项"')))[0]
    assert (first.version, first.created) == (1, True)
    assert (again.version, again.created) == (1, False)
    assert (changed.version, changed.created) == (2, True)


def test_malformed_xml_names_the_line(jd):
    xml = diagram('<bpmn:userTask id="work" name="办理">\n<oops></bpmn:userTask>')
    errors = refused(jd, ("broken.bpmn", xml))
    assert errors[0]["line"] == line_of(xml, "</bpmn:userTask>")
    assert "XML" in errors[0]["message"]


@pytest.mark.parametrize("payload", [
    '<?xml version="1.0"?>\n<!DOCTYPE d [<!ENTITY x SYSTEM "file:///etc/passwd">]>\n'
    '<bpmn:definitions xmlns:bpmn="http://www.omg.org/spec/BPMN/20100524/MODEL">&x;</bpmn:definitions>',
    '<?xml version="1.0"?>\n<!DOCTYPE d [<!ENTITY a "aaaaaaaaaa"><!ENTITY b "&a;&a;&a;&a;&a;&a;&a;&a;&a;&a;">'
    '<!ENTITY c "&b;&b;&b;&b;&b;&b;&b;&b;&b;&b;">]>\n'
    '<bpmn:definitions xmlns:bpmn="http://www.omg.org/spec/BPMN/20100524/MODEL">&c;</bpmn:definitions>',
])
def test_doctype_and_entity_payloads_are_refused_without_reading_anything(jd, payload):
    errors = refused(jd, ("evil.bpmn", payload))
    assert len(errors) == 1 and "DOCTYPE" in errors[0]["message"]
    assert "root:" not in str(errors)  # no line of /etc/passwd leaks back


def test_an_unknown_called_process_is_an_error_on_the_call_activity(jd):
    xml = diagram('<bpmn:callActivity id="work" name="调用" calledElement="nowhere"/>')
    errors = refused(jd, ("call.bpmn", xml))
    assert [(e["element_id"], e["line"]) for e in errors] == [("work", line_of(xml, '<bpmn:callActivity'))]
    assert "nowhere" in errors[0]["message"]


def test_a_called_process_deployed_in_the_same_batch_is_found(jd):
    callee = diagram('<bpmn:userTask id="work" name="子流程任务" camunda:candidateGroups="office"/>', "callee")
    caller = diagram('<bpmn:callActivity id="work" name="调用" calledElement="callee"/>', "caller")
    keys = sorted(d.key for d in deploy(jd, ("caller.bpmn", caller), ("callee.bpmn", callee)))
    assert keys == ["callee", "caller"]


def test_a_script_that_does_not_compile_and_one_the_sandbox_refuses(jd):
    xml = diagram(
        '<bpmn:scriptTask id="work" name="计算" scriptFormat="python">\n'
        '<bpmn:script>total = 1 +\n</bpmn:script></bpmn:scriptTask>\n'
        '<bpmn:scriptTask id="evil" name="越权" scriptFormat="python">'
        '<bpmn:script>__import__("os").system("id")</bpmn:script></bpmn:scriptTask>')
    errors = refused(jd, ("script.bpmn", xml))
    by_element = {e["element_id"]: e for e in errors}
    assert by_element["work"]["line"] >= line_of(xml, 'id="work"')
    assert by_element["evil"]["line"] == line_of(xml, "<bpmn:script>__import__")


def test_a_condition_that_does_not_compile(jd):
    xml = (HEAD + '<bpmn:process id="p" isExecutable="true"><bpmn:startEvent id="start"/>\n'
           '<bpmn:sequenceFlow id="f1" sourceRef="start" targetRef="gw"/>\n'
           '<bpmn:exclusiveGateway id="gw" default="f3"/>\n'
           '<bpmn:sequenceFlow id="f2" sourceRef="gw" targetRef="end"><bpmn:conditionExpression>amount &gt;</bpmn:conditionExpression></bpmn:sequenceFlow>\n'
           '<bpmn:sequenceFlow id="f3" sourceRef="gw" targetRef="end"/>\n'
           '<bpmn:endEvent id="end"/></bpmn:process></bpmn:definitions>')
    errors = refused(jd, ("cond.bpmn", xml))
    assert errors[0]["element_id"] == "f2" and errors[0]["line"] == line_of(xml, 'id="f2"')


@pytest.mark.parametrize("attribute, value, fragment", [
    ("candidateGroups", "unit:nowhere", "unit:"),
    ("candidateGroups", "office,,legal", "空项"),
    ("candidateGroups", "chairman", "未知角色"),
    ("assignee", "${1 + 2}", "变量"),
])
def test_bad_assignment_expressions(jd, attribute, value, fragment):
    xml = diagram(f'<bpmn:userTask id="work" name="办理" camunda:{attribute}="{value}"/>')
    errors = refused(jd, ("assign.bpmn", xml))
    assert errors[0]["element_id"] == "work" and errors[0]["line"] == line_of(xml, 'id="work"')
    assert fragment in errors[0]["message"]


def test_a_missing_form_and_a_bad_timer_are_both_reported(jd):
    xml = diagram('<bpmn:userTask id="work" name="办理" camunda:formRef="no_such_form" camunda:dueDate="P3X"/>')
    messages = " ".join(e["message"] for e in refused(jd, ("form.bpmn", xml)))
    assert "no_such_form" in messages and "P3X" in messages


def test_an_invalid_form_file_is_refused_with_its_name(jd):
    xml = diagram('<bpmn:userTask id="work" name="办理" camunda:formRef="f"/>')
    errors = refused(jd, ("p.bpmn", xml), ("f.form", '{"type": "default", "id": "f", "components": [{"type": "textfield"}]}'))
    assert any(e.get("file") == "f.form" for e in errors)


def test_only_owners_may_deploy(jd):
    xml = diagram('<bpmn:userTask id="work" name="办理" camunda:candidateGroups="office"/>')
    with pytest.raises(Forbidden):
        deploy(jd, ("p.bpmn", xml), actor="zhangwei")
    assert deploy(jd, ("p.bpmn", xml), actor="owner")[0].version == 1
