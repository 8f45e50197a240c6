"""The process editor's API (issue 5): validate, versions, diagrams, diff, drafts, deploying a draft, rollback,
forms for the picker, assignment preview — and who may call each."""
from __future__ import annotations

import io
import json
import re

import pytest
from sqlalchemy import select

from service.models import DefinitionDraft, DefinitionOwner, FormVersion, ProcessDefinition, ProcessInstance
from tests.http.test_api import Api, conforms, is_error
from tests.support import FIXTURES, complete, deploy, start, task_named, user

LEAVE = ("editor_leave.bpmn", "editor_leave_form.form")
LEAVE_XML = (FIXTURES / "editor_leave.bpmn").read_text(encoding="utf-8")
FORM = json.loads((FIXTURES / "editor_leave_form.form").read_text(encoding="utf-8"))


@pytest.fixture
def api(client, token_for) -> Api:
    return Api(client, token_for)


@pytest.fixture
def leave(jd):
    deploy(jd, *LEAVE, actor="owner")
    return jd


def put(api, as_, key, **body):
    return api.client.put(f"/api/v1/definitions/{key}/draft", json=body, headers=api.headers(as_))


def upload(*pairs) -> dict:
    return {"files": [(io.BytesIO(data.encode("utf-8") if isinstance(data, str) else data), name)
                      for name, data in pairs]}


def renamed(xml: str, old: str, new: str) -> str:
    assert f'name="{old}"' in xml
    return xml.replace(f'name="{old}"', f'name="{new}"')


# -- who may call what ----------------------------------------------------------------------------------------------

ROUTES = [  # (method, path, body)
    ("POST", "/definitions/validate", None),
    ("GET", "/definitions/editor_leave/versions", None),
    ("GET", "/definitions/editor_leave/versions/1/bpmn", None),
    ("GET", "/definitions/editor_leave/diff?from=1&to=1", None),
    ("POST", "/definitions/editor_leave/rollback", {"version": 1}),
    ("GET", "/definitions/editor_leave/draft", None),
    ("PUT", "/definitions/editor_leave/draft", {"bpmn": LEAVE_XML}),
    ("DELETE", "/definitions/editor_leave/draft", None),
    ("POST", "/definitions/editor_leave/draft/deploy", {}),
    ("GET", "/forms", None),
    ("GET", "/forms/editor_leave_form", None),
    ("POST", "/assignment/preview", {"expression": "secretary", "unit": "district"}),
]


def test_editor_routes_are_all_listed_here(app):
    """A new editor endpoint must be added to ROUTES, so the permission tests below cover it."""
    registered = set()
    for rule in app.url_map.iter_rules():
        if app.view_functions[rule.endpoint].__module__ == "web.api.editor":
            path = re.sub(r"<(?:[^:>]+:)?([^>]+)>", r"{\1}", rule.rule)[len("/api/v1"):]
            registered |= {(method, path) for method in rule.methods - {"HEAD", "OPTIONS"}}
    def pattern(path: str) -> str:
        path = path.split("?")[0].replace("/forms/editor_leave_form", "/forms/{form_id}")
        return path.replace("editor_leave", "{key}").replace("/versions/1/", "/versions/{version}/")
    listed = {(method, pattern(path)) for method, path, _ in ROUTES}
    assert registered == listed


@pytest.mark.parametrize("method,path,body", ROUTES)
def test_anonymous_and_bad_tokens_get_401(client, leave, method, path, body):
    for headers in ({}, {"Authorization": "Bearer nope"}):
        response = client.open("/api/v1" + path, method=method, headers=headers, json=body)
        is_error(response, 401)


@pytest.mark.parametrize("method,path,body", ROUTES)
def test_users_who_own_no_process_get_403(api, leave, method, path, body):
    response = api.client.open("/api/v1" + path, method=method, headers=api.headers("yangfan"), json=body)
    is_error(response, 403)


def test_an_owner_of_another_key_may_read_but_not_change(api, leave, jd):
    with jd.db.write() as session:
        session.add(DefinitionOwner(user_id=user(jd, "yangfan").id, key="some_other_process"))
    assert api.get("/definitions/editor_leave/versions", "yangfan").status_code == 200
    assert api.get("/forms", "yangfan").status_code == 200
    is_error(api.get("/definitions/editor_leave/draft", "yangfan"), 403)
    is_error(put(api, "yangfan", "editor_leave", bpmn=LEAVE_XML), 403)
    is_error(api.post("/definitions/editor_leave/rollback", "yangfan", json={"version": 1}), 403)
    is_error(api.post("/definitions/editor_leave/draft/deploy", "yangfan", json={}), 403)
    is_error(api.client.delete("/api/v1/definitions/editor_leave/draft", headers=api.headers("yangfan")), 403)


def test_session_calls_need_the_csrf_header(login_as, leave):
    owner = login_as("owner")
    response = owner.put("/api/v1/definitions/editor_leave/draft", json={"bpmn": LEAVE_XML})
    assert response.status_code == 400 and response.get_json()["details"] == "csrf"


# -- validate ---------------------------------------------------------------------------------------------------

def test_validate_reports_errors_with_element_and_line_and_stores_nothing(api, leave, jd):
    broken = LEAVE_XML.replace('camunda:formRef="editor_leave_form"', 'camunda:formRef="no_such_form"')
    response = api.post("/definitions/validate", "owner", data=upload(("editor_leave.bpmn", broken)),
                        content_type="multipart/form-data")
    assert response.status_code == 200
    body = response.get_json()
    conforms(body, "ValidationReport")
    [error] = body["errors"]
    assert error["element_id"] == "submit" and "no_such_form" in error["message"]
    line = broken.splitlines()[error["line"] - 1]
    assert 'id="submit"' in line
    with jd.db.read() as session:
        assert session.scalar(select(ProcessDefinition.version).where(ProcessDefinition.key == "editor_leave")
                              .order_by(ProcessDefinition.version.desc())) == 1


def test_validate_accepts_forms_sent_along_and_lists_lint_warnings(api, leave):
    xml = LEAVE_XML.replace('camunda:formRef="editor_leave_form"', 'camunda:formRef="new_form"') \
        .replace('<bpmn:userTask id="approve" name="书记审批" camunda:candidateGroups="secretary" />',
                 '<bpmn:userTask id="approve" name="" />')
    form = json.dumps({**FORM, "id": "new_form"})
    body = api.post("/definitions/validate", "owner", content_type="multipart/form-data",
                    data=upload(("editor_leave.bpmn", xml), ("new_form.form", form))).get_json()
    assert body["errors"] == []
    warnings = {(w["element_id"], w["message"]) for w in body["warnings"]}
    assert ("approve", "任务没有名称") in warnings
    # Without candidate groups the task still has people: its lane is named after a role (书记).
    assert not any(element == "approve" and "办理人" in message for element, message in warnings)


def test_validate_without_files_and_with_broken_xml(api, leave):
    body = api.post("/definitions/validate", "owner", data={}, content_type="multipart/form-data").get_json()
    assert body["errors"] and body["errors"][0]["message"] == "没有上传文件"
    body = api.post("/definitions/validate", "owner", content_type="multipart/form-data",
                    data=upload(("x.bpmn", "<bpmn:definitions"))).get_json()
    assert body["errors"][0]["line"] == 1 and "XML" in body["errors"][0]["message"]


# -- drafts ---------------------------------------------------------------------------------------------------------

def test_working_copy_is_the_newest_version_until_a_draft_is_saved(api, leave):
    body = api.get("/definitions/editor_leave/draft", "owner").get_json()
    conforms(body, "WorkingCopy")
    assert (body["saved"], body["revision"], body["base_version"], body["latest_version"]) == (False, 0, 1, 1)
    assert body["bpmn"] == LEAVE_XML and body["forms"] == {}
    is_error(api.get("/definitions/nothing_here/draft", "owner"), 404)


def test_saving_a_draft_changes_nothing_live(api, leave, jd):
    xml = renamed(LEAVE_XML, "书记审批", "书记审定")
    saved = put(api, "owner", "editor_leave", bpmn=xml, forms={"editor_leave_form": FORM}, revision=0,
                base_version=1)
    assert saved.status_code == 200, saved.get_json()
    body = saved.get_json()
    conforms(body, "WorkingCopy")
    assert (body["saved"], body["revision"], body["base_version"]) == (True, 1, 1)
    assert body["updated_by"] == "流程管理员孟凡"
    again = api.get("/definitions/editor_leave/draft", "owner").get_json()
    assert again["bpmn"] == xml and again["forms"]["editor_leave_form"]["components"] == FORM["components"]
    # New cases still start on the deployed version.
    case = start(jd, "yangfan", "editor_leave")
    assert case.definition_version == 1
    complete(jd, "yangfan", task_named(jd, case.id, "submit").id, {"reason": "探亲", "days": 3})
    assert task_named(jd, case.id, "approve").name == "书记审批"


def test_a_stale_save_is_a_conflict_and_a_wrong_key_is_refused(api, leave):
    assert put(api, "owner", "editor_leave", bpmn=LEAVE_XML, revision=0).status_code == 200
    assert put(api, "admin", "editor_leave", bpmn=LEAVE_XML, revision=1).status_code == 200
    conflict = is_error(put(api, "owner", "editor_leave", bpmn=LEAVE_XML, revision=1), 409)
    assert conflict["details"] == {"revision": 2}
    wrong = is_error(put(api, "owner", "editor_leave", bpmn=LEAVE_XML.replace('"editor_leave"', '"other_key"'),
                         revision=2), 422)
    assert "other_key" in wrong["details"]["bpmn"]
    is_error(put(api, "owner", "editor_leave", bpmn="<not xml", revision=2), 422)
    is_error(put(api, "owner", "editor_leave", bpmn=LEAVE_XML, forms={"bad id!": {}}, revision=2), 422)
    is_error(api.client.put("/api/v1/definitions/editor_leave/draft", data="[]", headers=api.headers("owner")), 400)


def test_discarding_a_draft(api, leave, jd):
    assert put(api, "owner", "editor_leave", bpmn=LEAVE_XML, revision=0).status_code == 200
    response = api.client.delete("/api/v1/definitions/editor_leave/draft", headers=api.headers("owner"))
    assert response.status_code == 200 and response.get_json() == {"key": "editor_leave", "discarded": True}
    with jd.db.read() as session:
        assert session.get(DefinitionDraft, "editor_leave") is None
    is_error(api.client.delete("/api/v1/definitions/editor_leave/draft", headers=api.headers("owner")), 404)


# -- deploying a draft ----------------------------------------------------------------------------------------------

def test_an_invalid_draft_is_not_deployed(api, leave, jd):
    broken = LEAVE_XML.replace('camunda:candidateGroups="secretary"', 'camunda:candidateGroups="no_such_role"')
    assert put(api, "owner", "editor_leave", bpmn=broken, revision=0).status_code == 200
    response = api.post("/definitions/editor_leave/draft/deploy", "owner", json={"revision": 1})
    body = is_error(response, 422)
    conforms(body, "DeployFailure")
    assert [e["element_id"] for e in body["errors"]] == ["approve"]
    with jd.db.read() as session:
        assert session.get(DefinitionDraft, "editor_leave") is not None
        assert len(session.scalars(select(ProcessDefinition).where(ProcessDefinition.key == "editor_leave")).all()) == 1


def test_deploying_a_draft_makes_a_new_version_with_its_forms_and_drops_the_draft(api, leave, jd):
    case_v1 = start(jd, "yangfan", "editor_leave")
    form = {**FORM, "components": FORM["components"] + [
        {"type": "textarea", "id": "Field_note", "key": "note", "label": "备注"}]}
    xml = renamed(LEAVE_XML, "书记审批", "书记审定")
    assert put(api, "owner", "editor_leave", bpmn=xml, forms={"editor_leave_form": form}, revision=0).status_code == 200
    response = api.post("/definitions/editor_leave/draft/deploy", "owner", json={"revision": 1, "comment": "改名"})
    assert response.status_code == 201, response.get_json()
    body = response.get_json()
    conforms(body, "Deployed")
    assert (body["key"], body["version"], body["created"]) == ("editor_leave", 2, True)
    with jd.db.read() as session:
        assert session.get(DefinitionDraft, "editor_leave") is None
        v2 = session.scalar(select(ProcessDefinition).where(ProcessDefinition.key == "editor_leave",
                                                            ProcessDefinition.version == 2))
        pinned = session.get(FormVersion, v2.forms["editor_leave_form"])
        assert pinned.version == 2 and pinned.schema["components"][-1]["key"] == "note"
        assert v2.comment == "改名" and v2.deployed_by_id == user(jd, "owner").id
    # The running case stays on version 1; a new one starts on version 2.
    complete(jd, "yangfan", task_named(jd, case_v1.id, "submit").id, {"reason": "探亲", "days": 2})
    assert task_named(jd, case_v1.id, "approve").name == "书记审批"
    case_v2 = start(jd, "yangfan", "editor_leave")
    assert case_v2.definition_version == 2
    complete(jd, "yangfan", task_named(jd, case_v2.id, "submit").id, {"reason": "探亲", "days": 2, "note": "无"})
    assert task_named(jd, case_v2.id, "approve").name == "书记审定"


def test_deploying_over_a_version_deployed_meanwhile_needs_force(api, leave, jd):
    assert put(api, "owner", "editor_leave", bpmn=renamed(LEAVE_XML, "结束", "办结"), revision=0).status_code == 200
    deploy(jd, ("editor_leave.bpmn", renamed(LEAVE_XML, "开始", "发起")), actor="admin")  # v2 by someone else
    body = is_error(api.post("/definitions/editor_leave/draft/deploy", "owner", json={"revision": 1}), 409)
    assert body["details"] == {"base_version": 1, "latest_version": 2}
    forced = api.post("/definitions/editor_leave/draft/deploy", "owner", json={"revision": 1, "force": True})
    assert forced.status_code == 201 and forced.get_json()["version"] == 3


def test_deploy_needs_a_saved_draft_and_the_current_revision(api, leave):
    is_error(api.post("/definitions/editor_leave/draft/deploy", "owner", json={}), 404)
    assert put(api, "owner", "editor_leave", bpmn=LEAVE_XML, revision=0).status_code == 200
    is_error(api.post("/definitions/editor_leave/draft/deploy", "owner", json={"revision": 7}), 409)


# -- versions, diagrams, diff, rollback ---------------------------------------------------------------------------

def test_versions_list_who_deployed_when_and_cases_per_version(api, leave, jd):
    first = start(jd, "yangfan", "editor_leave")
    done = start(jd, "yangfan", "editor_leave")
    complete(jd, "yangfan", task_named(jd, done.id, "submit").id, {"reason": "a", "days": 1})
    complete(jd, "lijianguo", task_named(jd, done.id, "approve").id, {})
    deploy(jd, ("editor_leave.bpmn", renamed(LEAVE_XML, "结束", "办结")), actor="admin")
    start(jd, "yangfan", "editor_leave")
    body = api.get("/definitions/editor_leave/versions", "owner").get_json()
    conforms(body, "VersionList")
    assert [(v["version"], v["deployed_by"], v["running"], v["finished"]) for v in body["items"]] == \
        [(2, "系统管理员", 1, 0), (1, "流程管理员孟凡", 1, 1)]
    assert body["items"][1]["forms"] == {"editor_leave_form": 1}
    assert first.definition_version == 1
    is_error(api.get("/definitions/nothing/versions", "owner"), 404)


def test_a_version_s_bpmn_downloads_as_xml(api, leave):
    response = api.get("/definitions/editor_leave/versions/1/bpmn?download=1", "owner")
    assert response.status_code == 200 and response.mimetype == "application/xml"
    assert response.get_data(as_text=True) == LEAVE_XML
    assert response.headers["Content-Disposition"] == 'attachment; filename="editor_leave-v1.bpmn"'
    assert "sandbox" in response.headers["Content-Security-Policy"]
    is_error(api.get("/definitions/editor_leave/versions/9/bpmn", "owner"), 404)


def test_diff_between_versions_and_against_the_draft(api, leave, jd):
    v2 = renamed(LEAVE_XML, "书记审批", "书记审定").replace(
        'camunda:candidateGroups="secretary"', 'camunda:candidateGroups="secretary, deputy"')
    deploy(jd, ("editor_leave.bpmn", v2), actor="owner")
    body = api.get("/definitions/editor_leave/diff?from=1&to=2", "owner").get_json()
    conforms(body, "Diff")
    assert body["added"] == [] and body["removed"] == []
    [changed] = body["changed"]
    assert changed["id"] == "approve"
    assert {(c["field"], c["category"], c["before"], c["after"]) for c in changed["changes"]} == {
        ("name", "name", "书记审批", "书记审定"),
        ("camunda:candidateGroups", "attribute", "secretary", "secretary, deputy")}
    is_error(api.get("/definitions/editor_leave/diff?from=1&to=draft", "owner"), 404)
    draft = v2.replace('<bpmn:endEvent id="end" name="结束" />',
                       '<bpmn:endEvent id="end" name="结束" />\n    <bpmn:task id="extra" name="多余" />')
    assert put(api, "owner", "editor_leave", bpmn=draft, revision=0).status_code == 200
    body = api.get("/definitions/editor_leave/diff?from=2&to=draft", "owner").get_json()
    assert body["added"] == [{"id": "extra", "type": "task", "name": "多余", "source": None, "target": None}]
    assert body["to"] == "draft"
    is_error(api.get("/definitions/editor_leave/diff?from=x&to=1", "owner"), 422)


def test_rollback_redeploys_an_old_version_s_content_as_the_newest(api, leave, jd):
    form_v2 = {**FORM, "components": FORM["components"][:2]}
    deploy(jd, ("editor_leave.bpmn", renamed(LEAVE_XML, "书记审批", "书记审定")),
           ("editor_leave_form.form", json.dumps(form_v2)), actor="owner")
    running_v2 = start(jd, "yangfan", "editor_leave")
    response = api.post("/definitions/editor_leave/rollback", "owner", json={"version": 1})
    assert response.status_code == 201, response.get_json()
    body = response.get_json()
    conforms(body, "Deployed")
    assert (body["version"], body["created"]) == (3, True)
    with jd.db.read() as session:
        rows = {r.version: r for r in session.scalars(select(ProcessDefinition)
                                                      .where(ProcessDefinition.key == "editor_leave")).all()}
        assert rows[3].bpmn_xml == rows[1].bpmn_xml and rows[3].forms == rows[1].forms != rows[2].forms
        assert rows[3].comment == "回滚到版本 1"
        assert session.get(ProcessInstance, running_v2.id).definition_version == 2
    # New cases use the rolled-back content, with the form as it was pinned in version 1.
    case = start(jd, "yangfan", "editor_leave")
    assert case.definition_version == 3
    complete(jd, "yangfan", task_named(jd, case.id, "submit").id, {"reason": "a", "days": 2})
    assert task_named(jd, case.id, "approve").name == "书记审批"
    # Rolling back to what is already the newest content changes nothing.
    again = api.post("/definitions/editor_leave/rollback", "owner", json={"version": 1})
    assert again.status_code == 200 and again.get_json() == {"key": "editor_leave", "version": 3, "created": False,
                                                               "warnings": []}
    is_error(api.post("/definitions/editor_leave/rollback", "owner", json={"version": 9}), 404)
    is_error(api.post("/definitions/editor_leave/rollback", "owner", json={"version": "1"}), 422)


def test_rollback_refuses_a_version_that_no_longer_validates(api, leave, jd):
    old = LEAVE_XML.replace('camunda:candidateGroups="secretary"', 'camunda:candidateGroups="auditor"')
    with jd.db.write() as session:
        from service.models import Role
        session.add(Role(key="auditor", name="审计"))
    deploy(jd, ("editor_leave.bpmn", old), actor="owner")          # v2 uses the role
    deploy(jd, ("editor_leave.bpmn", LEAVE_XML), actor="owner")    # v3 no longer does
    with jd.db.write() as session:
        from service.models import Role
        session.delete(session.get(Role, "auditor"))
    body = is_error(api.post("/definitions/editor_leave/rollback", "owner", json={"version": 2}), 422)
    assert "auditor" in body["errors"][0]["message"]


# -- forms and preview ------------------------------------------------------------------------------------------------

def test_forms_for_the_picker(api, leave):
    body = api.get("/forms", "owner").get_json()
    conforms(body, "FormList")
    item = next(f for f in body["items"] if f["id"] == "editor_leave_form")
    assert item["version"] == 1 and item["title"] == "请假申请" and item["used_by"] == ["editor_leave"]
    form = api.get("/forms/editor_leave_form", "owner").get_json()
    conforms(form, "Form")
    assert form["schema"]["components"] == FORM["components"]
    assert api.get("/forms/editor_leave_form?version=1", "owner").status_code == 200
    is_error(api.get("/forms/editor_leave_form?version=5", "owner"), 404)
    is_error(api.get("/forms/nothing", "owner"), 404)


def test_assignment_preview_names_the_people(api, leave):
    def preview(expression, unit="district", **extra):
        response = api.post("/assignment/preview", "owner", json={"expression": expression, "unit": unit, **extra})
        assert response.status_code == 200, response.get_json()
        conforms(response.get_json(), "Preview")
        return response.get_json()

    body = preview("secretary")
    assert body["users"] == [{"username": "lijianguo", "name": "李建国"}] and body["label"] == "书记 · 示例区委"
    assert body["problems"] == [] and body["notes"] == []
    assert [u["username"] for u in preview("parent.discipline")["users"]] == ["zhengzhiyuan"]
    both = preview("unit:east.office, group:duodao")
    assert both["users"][0]["username"] == "duxiao" and both["label"] == "办公室 · 东城区委、组 duodao"
    assert sorted(u["username"] for u in both["users"][1:]) == ["chenmingliang", "fenghaiyan", "wangjianhua"]
    assert preview("lijianguo", context="user")["users"][0]["name"] == "李建国"
    notes = preview("initiator, ${reviewer}")
    assert notes["users"] == [] and len(notes["notes"]) == 2 and notes["problems"] == []
    assert "未知角色" in preview("nosuchrole")["problems"][0]
    assert preview("unit:bad")["problems"]
    assert preview("legal", unit="city")["problems"] == ["在 示例市委 中没有找到任何人：任务将无人办理并报错"]
    is_error(api.post("/assignment/preview", "owner", json={"expression": "secretary", "unit": "nowhere"}), 404)
    is_error(api.post("/assignment/preview", "owner", json={"unit": "district"}), 422)
    is_error(api.post("/assignment/preview", "owner", json={"expression": "x", "unit": "district", "context": "y"}),
             422)


# -- the shared route walk (tests/http/test_api_tasks.py) -----------------------------------------------------------

def editor_walk(api) -> dict:
    """This module's endpoints for test_api_tasks.test_every_api_route_as_an_unrelated_and_as_the_right_user, in its
    format: endpoint: (method, make path, unrelated user, refused statuses, right user, allowed status, kwargs).
    Expects core_flow (and its forms) deployed, as that test's fixtures do."""
    core_xml = (FIXTURES / "core_flow.bpmn").read_text(encoding="utf-8")

    def drafted(path: str):
        def make():
            response = put(api, "owner", "core_flow", bpmn=core_xml.replace('name="归档"', 'name="归档入卷"'))
            assert response.status_code == 200, response.get_json()
            return path
        return make

    return {
        "api.validate_definitions": ("POST", lambda: "/definitions/validate", "yangfan", {403}, "owner", 200,
                                     {"files": True}),
        "api.definition_versions": ("GET", lambda: "/definitions/core_flow/versions", "yangfan", {403}, "owner",
                                    200, {}),
        "api.definition_version_bpmn": ("GET", lambda: "/definitions/core_flow/versions/1/bpmn", "yangfan", {403},
                                        "owner", 200, {}),
        "api.definition_diff": ("GET", lambda: "/definitions/core_flow/diff?from=1&to=1", "yangfan", {403}, "owner",
                                200, {}),
        "api.rollback_definition": ("POST", lambda: "/definitions/core_flow/rollback", "yangfan", {403}, "owner",
                                    200, {"json": {"version": 1}}),
        "api.get_draft": ("GET", lambda: "/definitions/core_flow/draft", "yangfan", {403}, "owner", 200, {}),
        "api.put_draft": ("PUT", lambda: "/definitions/core_flow/draft", "yangfan", {403}, "owner", 200,
                          {"json": {"bpmn": core_xml}}),
        "api.delete_draft": ("DELETE", drafted("/definitions/core_flow/draft"), "yangfan", {403}, "owner", 200, {}),
        "api.deploy_draft": ("POST", drafted("/definitions/core_flow/draft/deploy"), "yangfan", {403}, "owner", 201,
                             {"json": {}}),
        "api.list_forms": ("GET", lambda: "/forms", "yangfan", {403}, "owner", 200, {}),
        "api.get_form": ("GET", lambda: "/forms/core_draft", "yangfan", {403}, "owner", 200, {}),
        "api.preview_assignment": ("POST", lambda: "/assignment/preview", "yangfan", {403}, "owner", 200,
                                   {"json": {"expression": "secretary", "unit": "district"}}),
    }


def test_editor_walk_holds(app, api, jd):
    """The entries handed to the shared walk, run the way it runs them."""
    from tests.http.test_api import CORE_FILES, _upload

    deploy(jd, *CORE_FILES, actor="owner")
    walk = editor_walk(api)
    assert set(walk) == {app.view_functions[r.endpoint].__module__ == "web.api.editor" and r.endpoint or None
                         for r in app.url_map.iter_rules()} - {None}
    for endpoint, (method, make_path, outsider, refused, insider, allowed, kwargs) in walk.items():
        def call(username, path, method=method, kwargs=kwargs):
            extra = dict(kwargs)
            if extra.pop("files", False):
                extra.update(data=_upload(*CORE_FILES), content_type="multipart/form-data")
            return api.client.open("/api/v1" + path, method=method, headers=api.headers(username), **extra)

        path = make_path()
        assert call(outsider, path).status_code in refused, endpoint
        assert call(insider, path).status_code == allowed, endpoint
