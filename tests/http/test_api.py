"""The JSON API, part 1: authentication on every route, the OpenAPI document, /me, definitions and deploys,
and session-cookie calls (CSRF). Shared helpers for the other test_api_* modules live here too."""
from __future__ import annotations

import io
import re
from datetime import datetime

import pytest
from itsdangerous import URLSafeTimedSerializer
from openapi_schema_validator import OAS30Validator, oas30_format_checker
from openapi_schema_validator import validate as validate_schema
from openapi_spec_validator import validate as validate_spec

from service import org
from service.models import DefinitionOwner
from tests.support import FIXTURES, deploy, user
from web.api.openapi import document

CORE_FILES = ("core_flow.bpmn", "core_draft.form", "core_approve.form")
MEMBERS = {"members": ["wanghong", "zhangwei"]}


# -- helpers shared by the API tests --------------------------------------------------------------------------------

class Api:
    """Calls /api/v1 as a named demo user with a bearer token (one token per user per test)."""

    def __init__(self, client, token_for):
        self.client, self.token_for, self._headers = client, token_for, {}

    def headers(self, username: str | None) -> dict:
        if username is None:
            return {}
        if username not in self._headers:
            self._headers[username] = self.token_for(username)
        return self._headers[username]

    def get(self, path: str, as_: str | None, **kwargs):
        return self.client.get("/api/v1" + path, headers=self.headers(as_), **kwargs)

    def post(self, path: str, as_: str | None, **kwargs):
        return self.client.post("/api/v1" + path, headers=self.headers(as_), **kwargs)

    def start(self, as_: str = "yangfan", unit: str = "district", title: str = "采购审批", data=None, key="core_flow"):
        response = self.post("/instances", as_, json={"definition": key, "unit": unit, "title": title,
                                                      "data": MEMBERS if data is None else data})
        assert response.status_code == 201, response.get_json()
        return response.get_json()


@pytest.fixture
def api(client, token_for) -> Api:
    return Api(client, token_for)


@pytest.fixture
def core(jd):
    deploy(jd, *CORE_FILES, actor="owner")
    return jd


def conforms(body, schema_name: str) -> None:
    """The response body matches its schema in the OpenAPI document (formats such as date-time included)."""
    schema = {"$ref": f"#/components/schemas/{schema_name}", "components": document()["components"]}
    validate_schema(body, schema, cls=OAS30Validator, format_checker=oas30_format_checker)


def is_error(response, status: int) -> dict:
    assert response.status_code == status, (response.status_code, response.get_data(as_text=True)[:500])
    assert response.mimetype == "application/json"
    body = response.get_json()
    assert set(body) >= {"error", "details"} and isinstance(body["error"], str) and body["error"]
    conforms(body, "Error")
    return body


def utc(value: str) -> datetime:
    parsed = datetime.fromisoformat(value)
    assert parsed.utcoffset() is not None and parsed.utcoffset().total_seconds() == 0, value
    return parsed


def flask_path(rule) -> str:
    return re.sub(r"<(?:[^:>]+:)?([^>]+)>", r"{\1}", rule.rule)[len("/api/v1"):]


def api_rules(app):
    for rule in app.url_map.iter_rules():
        if rule.rule.startswith("/api/v1/"):
            for method in sorted(rule.methods - {"HEAD", "OPTIONS"}):
                yield rule, method


# -- authentication ------------------------------------------------------------------------------------------------

def test_every_api_route_refuses_missing_and_bad_tokens(app, client, jd):
    checked = 0
    for rule, method in api_rules(app):
        path = "/api/v1" + re.sub(r"\{(\w+)\}", lambda m: "yangfan" if m.group(1) == "username" else "1",
                                  flask_path(rule))
        for headers in ({}, {"Authorization": "Bearer not-a-token"}, {"Authorization": "Basic eWFuZ2Zhbjp4"},
                        {"Authorization": "Bearer"}):
            response = client.open(path, method=method, headers=headers, json={})
            if rule.endpoint == "api.openapi" and not headers:
                assert response.status_code == 200
                continue
            is_error(response, 401)
            assert response.headers["Cache-Control"] == "no-store"
        checked += 1
    assert checked >= 17


def test_unknown_routes_and_methods_answer_json(api):
    is_error(api.get("/no-such-thing", "yangfan"), 404)
    is_error(api.client.delete("/api/v1/me", headers=api.headers("yangfan")), 405)


def test_revoked_token_is_refused(api, jd):
    with jd.db.write() as session:
        row, token = org.create_token(session, user(jd, "yangfan"), "script")
    headers = {"Authorization": f"Bearer {token}"}
    assert api.client.get("/api/v1/me", headers=headers).status_code == 200
    with jd.db.write() as session:
        org.revoke_token(session, user(jd, "yangfan"), row.id)
    is_error(api.client.get("/api/v1/me", headers=headers), 401)


# -- the OpenAPI document -----------------------------------------------------------------------------------------

def test_openapi_document_is_valid_and_public(client):
    response = client.get("/api/v1/openapi.json")
    assert response.status_code == 200
    spec = response.get_json()
    validate_spec(spec)
    assert spec["openapi"].startswith("3.") and spec == document()
    assert spec["paths"]["/openapi.json"]["get"]["security"] == []


def test_openapi_document_describes_every_registered_api_route(app):
    paths = document()["paths"]
    registered = set()
    for rule, method in api_rules(app):
        path = flask_path(rule)
        registered.add((path, method.lower()))
        assert path in paths, f"{rule.rule} is not in the OpenAPI document"
        assert method.lower() in paths[path], f"{method} {rule.rule} is not in the OpenAPI document"
        operation = paths[path][method.lower()]
        assert operation["description"].startswith("Permission: ")
        for name in rule.arguments:
            assert name in {p["name"] for p in operation.get("parameters", []) if p["in"] == "path"}
    documented = {(path, method) for path, item in paths.items() for method in item}
    assert documented == registered, documented ^ registered


# -- /me -------------------------------------------------------------------------------------------------------------

def test_me_names_the_user_memberships_and_roles(api):
    body = api.get("/me", "yangfan").get_json()
    conforms(body, "Me")
    assert body["username"] == "yangfan" and body["name"] == "杨帆"
    assert body["memberships"] == [{"unit": "district", "unit_name": "示例区委", "role": "office", "role_name": "办公室"}]
    assert body["roles"] == {"admin": False, "owner": False, "supervisor": False}
    assert "password_hash" not in body

    supervisor = api.get("/me", "supervisor").get_json()
    assert supervisor["roles"]["supervisor"] and supervisor["supervises"] == [{"unit": "district", "unit_name": "示例区委"}]
    owner = api.get("/me", "owner").get_json()
    assert owner["roles"]["owner"] and owner["owns"] == ["*"]
    assert api.get("/me", "admin").get_json()["roles"] == {"admin": True, "owner": True, "supervisor": True}


# -- definitions -------------------------------------------------------------------------------------------------

def _upload(*names_or_pairs):
    files = []
    for item in names_or_pairs:
        name, content = item if isinstance(item, tuple) else (item, (FIXTURES / item).read_bytes())
        files.append((io.BytesIO(content.encode() if isinstance(content, str) else content), name))
    return {"files": files}


def test_definitions_list_is_the_newest_version_of_each(api, core):
    body = api.get("/definitions", "zhangwei").get_json()
    conforms(body, "DefinitionList")
    assert body["total"] == len(body["items"]) and body["page"] == 1
    core_flow = next(d for d in body["items"] if d["key"] == "core_flow")
    assert core_flow["version"] == 1 and core_flow["deployed_by"] == "owner"
    assert core_flow["forms"] == ["core_approve", "core_draft"]
    utc(core_flow["deployed_at"])


def test_deploy_by_multipart_creates_versions(api, jd):
    response = api.post("/definitions", "owner", data=_upload(*CORE_FILES), content_type="multipart/form-data")
    assert response.status_code == 201, response.get_json()
    body = response.get_json()
    conforms(body, "DeployResult")
    assert (body["key"], body["version"], body["created"]) == ("core_flow", 1, True)
    assert [item["key"] for item in body["items"]] == ["core_flow"]

    again = api.post("/definitions", "owner", data=_upload(*CORE_FILES), content_type="multipart/form-data")
    assert again.status_code == 201 and (again.get_json()["version"], again.get_json()["created"]) == (1, False)

    changed = (FIXTURES / "core_flow.bpmn").read_text().replace('name="归档"', 'name="归档保存"')
    third = api.post("/definitions", "admin", content_type="multipart/form-data",
                     data=_upload(("core_flow.bpmn", changed), "core_draft.form", "core_approve.form"))
    assert third.status_code == 201 and third.get_json()["version"] == 2
    assert {d["key"]: d["version"] for d in api.get("/definitions", "owner").get_json()["items"]}["core_flow"] == 2


def test_deploying_several_diagrams_lists_them_under_items(api):
    second = (FIXTURES / "core_flow.bpmn").read_text().replace('"core_flow"', '"core_flow_b"')
    response = api.post("/definitions", "owner", content_type="multipart/form-data",
                        data=_upload(*CORE_FILES, ("core_flow_b.bpmn", second)))
    assert response.status_code == 201, response.get_json()
    body = response.get_json()
    conforms(body, "DeployResult")
    assert sorted(item["key"] for item in body["items"]) == ["core_flow", "core_flow_b"] and body["total"] == 2
    assert "key" not in body


def test_malformed_diagram_is_422_with_its_line(api):
    broken = ('<?xml version="1.0" encoding="UTF-8"?>\n'
              '<bpmn:definitions xmlns:bpmn="http://www.omg.org/spec/BPMN/20100524/MODEL" id="d">\n'
              '  <bpmn:process id="p" isExecutable="true">\n'
              '    <bpmn:startEvent id="s">\n'
              '  </bpmn:process>\n'
              '</bpmn:definitions>\n')
    response = api.post("/definitions", "owner", data=_upload(("broken.bpmn", broken)),
                        content_type="multipart/form-data")
    body = is_error(response, 422)
    conforms(body, "DeployFailure")
    assert body["errors"] == body["details"] and body["errors"]
    assert body["errors"][0]["line"] == 5 and body["errors"][0]["file"] == "broken.bpmn"
    assert api.get("/definitions", "owner").get_json()["total"] == 0  # nothing half-deployed


def test_doctype_and_entities_are_refused_and_never_echoed(api):
    payload = ('<?xml version="1.0"?>\n<!DOCTYPE d [<!ENTITY leak SYSTEM "file:///etc/passwd">'
               '<!ENTITY canary "CANARY-5821">]>\n'
               '<bpmn:definitions xmlns:bpmn="http://www.omg.org/spec/BPMN/20100524/MODEL" id="d">'
               '<bpmn:process id="p" name="&leak;&canary;" isExecutable="true"/></bpmn:definitions>\n')
    response = api.post("/definitions", "owner", data=_upload(("evil.bpmn", payload)),
                        content_type="multipart/form-data")
    body = is_error(response, 422)
    text = response.get_data(as_text=True)
    assert "CANARY" not in text and "/etc/passwd" not in text and "root:" not in text and "ENTITY" not in text
    assert body["errors"][0]["line"] in (1, 2)


def test_deploy_needs_ownership_of_the_key(api, jd):
    is_error(api.post("/definitions", "yangfan", data=_upload(*CORE_FILES), content_type="multipart/form-data"), 403)
    with jd.db.write() as session:
        session.add(DefinitionOwner(user_id=user(jd, "wanghong").id, key="another_process"))
    is_error(api.post("/definitions", "wanghong", data=_upload(*CORE_FILES), content_type="multipart/form-data"), 403)
    assert api.get("/definitions", "wanghong").get_json()["total"] == 0


def test_deploy_without_files_is_422(api):
    body = is_error(api.post("/definitions", "owner", data={}, content_type="multipart/form-data"), 422)
    assert body["errors"] and body["errors"][0]["message"]


# -- the web app's own pages calling the API with their session cookie ---------------------------------------------------

def signed_in(app, username: str, jd):
    """A test client holding a flask-login session for the user, and the CSRF header value for that session."""
    client = app.test_client()
    raw = "a" * 40
    with client.session_transaction() as session:
        session["_user_id"] = str(user(jd, username).id)
        session["_fresh"] = True
        session["csrf_token"] = raw
    token = URLSafeTimedSerializer(app.secret_key, salt="wtf-csrf-token").dumps(raw)
    return client, token


def test_session_cookie_calls_need_the_csrf_header_for_unsafe_methods(app, core):
    client, token = signed_in(app, "yangfan", core)
    assert client.get("/api/v1/me").get_json()["username"] == "yangfan"
    start = {"definition": "core_flow", "unit": "district", "data": MEMBERS}
    body = is_error(client.post("/api/v1/instances", json=start), 400)
    assert body["details"] == "csrf"
    is_error(client.post("/api/v1/instances", json=start, headers={"X-CSRFToken": "forged"}), 400)
    assert client.get("/api/v1/tasks").get_json()["total"] == 0  # nothing was started
    response = client.post("/api/v1/instances", json=start, headers={"X-CSRFToken": token})
    assert response.status_code == 201, response.get_json()


def test_documented_statuses_include_the_contract(app):
    """DESIGN.md section 11 names these statuses; the document must say so too."""
    paths = document()["paths"]
    assert {"201", "403", "422"} <= set(paths["/definitions"]["post"]["responses"])
    assert {"201", "422"} <= set(paths["/instances"]["post"]["responses"])
    assert {"200", "403", "404", "409", "422"} <= set(paths["/tasks/{task_id}/complete"]["post"]["responses"])
    for path, item in paths.items():
        for method, operation in item.items():
            assert ("401" in operation["responses"]) == (path != "/openapi.json"), (method, path)
