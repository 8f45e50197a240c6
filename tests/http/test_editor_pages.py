"""The process library, new process, import, editor, diff, rollback and discard pages (issue 5): what they show and
who may open them."""
from __future__ import annotations

import io
import json
import re

import pytest
from sqlalchemy import select

from service.models import DefinitionDraft, DefinitionOwner, ProcessDefinition
from tests.http.conftest import csrf_token
from tests.support import FIXTURES, complete, deploy, start, task_named, user

LEAVE = ("editor_leave.bpmn", "editor_leave_form.form")
LEAVE_XML = (FIXTURES / "editor_leave.bpmn").read_text(encoding="utf-8")


@pytest.fixture
def leave(jd):
    deploy(jd, *LEAVE, actor="owner")
    return jd


def text(response) -> str:
    return response.get_data(as_text=True)


def token(client, path="/processes") -> str:
    return csrf_token(client, path)


PAGES = ["/processes", "/processes/new", "/processes/editor_leave/edit", "/processes/editor_leave/diff"]
POSTS = ["/processes/new", "/processes/import", "/processes/editor_leave/rollback", "/processes/editor_leave/discard"]


@pytest.mark.parametrize("path", PAGES + POSTS)
def test_anonymous_people_are_sent_to_sign_in(client, leave, path):
    response = client.post(path) if path in POSTS and path not in PAGES else client.get(path)
    assert response.status_code in (302, 400)  # a POST without a session fails CSRF first
    if response.status_code == 302:
        assert "/login" in response.headers["Location"]


@pytest.mark.parametrize("path", PAGES)
def test_people_who_own_no_process_get_403(login_as, leave, path):
    response = login_as("yangfan").get(path)
    assert response.status_code == 403
    assert "流程负责人" in text(response) or "负责人" in text(response)


@pytest.mark.parametrize("path", POSTS)
def test_people_who_own_no_process_cannot_post(login_as, leave, path):
    client = login_as("yangfan")
    data = {"csrf_token": token(client, "/"), "version": "1", "key": "x", "name": "x",
            "file": (io.BytesIO(LEAVE_XML.encode()), "editor_leave.bpmn")}
    assert client.post(path, data=data, content_type="multipart/form-data").status_code == 403


def test_the_header_links_owners_to_the_library(login_as, leave):
    assert 'href="/processes"' in text(login_as("owner").get("/"))
    assert 'href="/processes"' not in text(login_as("yangfan").get("/"))


# -- the library ----------------------------------------------------------------------------------------------------

def test_library_lists_versions_with_deployer_time_and_case_counts(login_as, leave, jd):
    done = start(jd, "yangfan", "editor_leave")
    complete(jd, "yangfan", task_named(jd, done.id, "submit").id, {"reason": "a", "days": 1})
    complete(jd, "lijianguo", task_named(jd, done.id, "approve").id, {})
    deploy(jd, ("editor_leave.bpmn", LEAVE_XML.replace('name="结束"', 'name="办结"')), actor="admin")
    start(jd, "yangfan", "editor_leave")
    html = text(login_as("owner").get("/processes"))
    card = html[html.index('id="process-editor_leave"'):]
    card = card[:card.index("</section>")]
    assert "请假审批" in card and "当前版本 v2" in card and "1 件进行中" in card
    rows = re.findall(r'<tr data-version="(\d)">(.*?)</tr>', card, re.S)
    assert [v for v, _ in rows] == ["2", "1"]
    v2, v1 = (row for _, row in rows)
    assert "系统管理员" in v2 and "流程管理员孟凡" in v1
    cells = lambda row: [re.sub(r"<[^>]+>", "", c).strip() for c in re.findall(r'<td class="num[^"]*">(.*?)</td>', row)]
    assert cells(v2) == ["1", "0"] and cells(v1) == ["0", "1"]
    assert "/api/v1/definitions/editor_leave/versions/1/bpmn?download=1" in v1
    assert 'action="/processes/editor_leave/rollback"' in v1 and 'action="/processes/editor_leave/rollback"' not in v2
    assert "/processes/editor_leave/diff?from=1&amp;to=2" in v2


def test_library_marks_drafts_and_what_the_owner_may_edit(login_as, leave, jd):
    with jd.db.write() as session:
        session.add(DefinitionOwner(user_id=user(jd, "yangfan").id, key="another_key"))
    client = login_as("owner")
    client.post("/processes/new", data={"csrf_token": token(client), "key": "fresh_one", "name": "新的流程"})
    html = text(client.get("/processes"))
    assert 'id="process-fresh_one"' in html and "尚未部署" in html and "继续编辑草稿" in html
    limited = text(login_as("yangfan").get("/processes"))
    assert 'id="process-editor_leave"' in limited and 'href="/processes/editor_leave/edit"' not in limited


# -- new process, import ------------------------------------------------------------------------------------------

def test_creating_a_new_process_opens_its_draft_in_the_editor(login_as, jd):
    client = login_as("owner")
    assert "流程标识" in text(client.get("/processes/new"))
    response = client.post("/processes/new", data={"csrf_token": token(client), "key": "leave_request",
                                                   "name": "请假 & 审批"})
    assert response.status_code == 302 and response.headers["Location"] == "/processes/leave_request/edit"
    with jd.db.read() as session:
        draft = session.get(DefinitionDraft, "leave_request")
        assert draft.base_version is None and draft.revision == 1
        assert 'name="请假 &amp; 审批"' in draft.bpmn_xml and 'isExecutable="true"' in draft.bpmn_xml
    again = client.post("/processes/new", data={"csrf_token": token(client), "key": "leave_request", "name": "x"})
    assert again.status_code == 409 and "已被使用" in text(again)
    bad = client.post("/processes/new", data={"csrf_token": token(client), "key": "1 bad", "name": "x"})
    assert bad.status_code == 422 and "以字母或下划线开头" in text(bad)


def test_a_key_owner_may_create_only_their_keys(login_as, jd):
    with jd.db.write() as session:
        session.add(DefinitionOwner(user_id=user(jd, "yangfan").id, key="office_only"))
    client = login_as("yangfan")
    assert client.post("/processes/new", data={"csrf_token": token(client), "key": "office_only",
                                               "name": "x"}).status_code == 302
    assert client.post("/processes/new", data={"csrf_token": token(client), "key": "someone_else",
                                               "name": "x"}).status_code == 403


def _import(client, name, data, replace=False):
    form = {"csrf_token": token(client), "file": (io.BytesIO(data.encode() if isinstance(data, str) else data), name)}
    if replace:
        form["replace"] = "1"
    return client.post("/processes/import", data=form, content_type="multipart/form-data")


def test_importing_a_file_makes_it_the_draft_of_its_key(login_as, leave, jd):
    client = login_as("owner")
    changed = LEAVE_XML.replace('name="结束"', 'name="办结"')
    response = _import(client, "whatever.bpmn", changed)
    assert response.status_code == 302 and response.headers["Location"] == "/processes/editor_leave/edit"
    with jd.db.read() as session:
        draft = session.get(DefinitionDraft, "editor_leave")
        assert draft.bpmn_xml == changed and draft.base_version == 1
    second = _import(client, "again.bpmn", LEAVE_XML)
    assert second.status_code == 302 and second.headers["Location"] == "/processes"
    assert "已有未部署的草稿" in text(client.get("/processes"))
    assert _import(client, "again.bpmn", LEAVE_XML, replace=True).headers["Location"] == "/processes/editor_leave/edit"


def test_importing_keys_with_dots_and_files_without_a_process(login_as, jd):
    client = login_as("owner")
    dotted = LEAVE_XML.replace('"editor_leave"', '"editor.leave.v1"')
    response = _import(client, "dotted.bpmn", dotted)
    assert response.headers["Location"] == "/processes/editor.leave.v1/edit"
    assert client.get("/processes/editor.leave.v1/edit").status_code == 200
    # No process at all: kept under the file's name, so the editor can show what bpmn-js makes of it.
    empty = ('<?xml version="1.0"?>\n<bpmn:definitions xmlns:bpmn="http://www.omg.org/spec/BPMN/20100524/MODEL" '
             'id="d" targetNamespace="x"/>')
    response = _import(client, "nothing-here.bpmn", empty)
    assert response.headers["Location"] == "/processes/nothing-here/edit"
    with jd.db.read() as session:
        assert session.get(DefinitionDraft, "nothing-here").bpmn_xml == empty


def test_importing_a_file_with_an_entity_is_refused_without_reading_it(login_as, jd):
    client = login_as("owner")
    probe = ('<?xml version="1.0"?>\n<!DOCTYPE x [<!ENTITY e SYSTEM "file:///etc/passwd">]>\n'
             '<bpmn:definitions xmlns:bpmn="http://www.omg.org/spec/BPMN/20100524/MODEL"><bpmn:process id="p">'
             '<bpmn:documentation>&e;</bpmn:documentation></bpmn:process></bpmn:definitions>')
    response = _import(client, "probe.bpmn", probe)
    assert response.headers["Location"] == "/processes"
    html = text(client.get("/processes"))
    assert "导入失败" in html and "DOCTYPE" in html and "root:" not in html
    with jd.db.read() as session:
        assert session.scalars(select(DefinitionDraft)).all() == []
    _import(client, "empty.bpmn", "")
    assert "文件为空" in text(client.get("/processes"))


# -- editor, diff, rollback, discard ---------------------------------------------------------------------------

def test_the_editor_page_carries_its_configuration(login_as, leave):
    response = login_as("owner").get("/processes/editor_leave/edit")
    assert response.status_code == 200
    html = text(response)
    config = json.loads(re.search(r'<script type="application/json" id="jd-editor-config">(.*?)</script>', html,
                                  re.S).group(1))
    assert config["key"] == "editor_leave" and config["latestVersion"] == 1 and config["saved"] is False
    assert config["urls"]["draft"] == "/api/v1/definitions/editor_leave/draft"
    assert config["urls"]["zn"] == "/vendor/bpmn-js-i18n/zn.js"
    assert ["secretary", "书记"] in config["roles"] and ["district", "示例区委"] in config["units"]
    # The help pane lists the role keys, the expression forms and the time helpers.
    for needle in ("parent.discipline", "unit:city.office", "group:duodao", "${reviewer}", "initiator",
                   "user:lijianguo", "add_workdays(d, n)", "is_workday(d)", "today()", "<code>legal</code>"):
        assert needle in html, needle
    # Scripts only from us: the modeler runs under the ordinary policy (no unsafe-eval, no inline handlers).
    csp = response.headers["Content-Security-Policy"]
    assert "unsafe-eval" not in csp and "script-src 'self' 'nonce-" in csp
    assert not re.search(r"\son[a-z]+=", html)
    assert login_as("owner").get("/processes/unknown_key/edit").status_code == 404


def test_vendor_assets_the_editor_needs_are_served(client):
    for path in ("/vendor/camunda-bpmn-js/camunda-platform-modeler.production.min.js",
                 "/vendor/camunda-bpmn-js/assets/camunda-platform-modeler.css",
                 "/vendor/form-js/form-editor.umd.js", "/vendor/form-js/assets/form-js-editor.css",
                 "/vendor/bpmn-js-i18n/zn.js", "/static/js/editor/main.js", "/static/js/editor/zh.js"):
        response = client.get(path)
        assert response.status_code == 200, path
        if path.endswith(".js"):
            assert "javascript" in response.mimetype, (path, response.mimetype)


def test_diff_page_lists_the_changes(login_as, leave, jd):
    deploy(jd, ("editor_leave.bpmn", LEAVE_XML.replace('name="书记审批"', 'name="书记审定"')), actor="owner")
    html = text(login_as("owner").get("/processes/editor_leave/diff"))
    assert "修改 1" in html and "新增 0" in html
    item = re.search(r'<li class="diff-item" data-element-id="approve" data-kind="changed">(.*?)</li>', html, re.S)
    assert item and "书记审批" in item.group(1) and "书记审定" in item.group(1) and "用户任务" in item.group(1)
    assert "/api/v1/definitions/editor_leave/versions/1/bpmn" in html
    same = text(login_as("owner").get("/processes/editor_leave/diff?from=2&to=2"))
    assert "两个版本的流程含义相同" in same


def test_rollback_from_the_library(login_as, leave, jd):
    deploy(jd, ("editor_leave.bpmn", LEAVE_XML.replace('name="书记审批"', 'name="书记审定"')), actor="owner")
    client = login_as("owner")
    assert client.post("/processes/editor_leave/rollback", data={"version": "1"}).status_code == 400  # no CSRF
    response = client.post("/processes/editor_leave/rollback", data={"version": "1", "csrf_token": token(client)})
    assert response.status_code == 302
    assert "已将版本 1 的内容部署为版本 3" in text(client.get("/processes"))
    with jd.db.read() as session:
        newest = session.scalar(select(ProcessDefinition).where(ProcessDefinition.key == "editor_leave")
                                .order_by(ProcessDefinition.version.desc()))
        assert newest.version == 3 and newest.bpmn_xml == LEAVE_XML


def test_discarding_a_draft_from_the_library(login_as, leave, jd):
    client = login_as("owner")
    _import(client, "x.bpmn", LEAVE_XML)
    response = client.post("/processes/editor_leave/discard", data={"csrf_token": token(client)})
    assert response.status_code == 302
    assert "已放弃流程 editor_leave 的草稿" in text(client.get("/processes"))
    with jd.db.read() as session:
        assert session.get(DefinitionDraft, "editor_leave") is None
