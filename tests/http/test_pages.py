"""The web pages of issue #3 through the Flask test client: inbox, task, start, instance, profile, notifications.

Every test runs against the real app and a fresh demo database; a case is driven through the pages the way a
person would (form posts carry the CSRF token, task completion is JSON like the page's script sends).
"""
from __future__ import annotations

import json
import re
from datetime import timedelta

import pytest
from sqlalchemy import select, update

from service import clock
from service.models import ApiToken, HumanTask, Notification, ProcessInstance
from tests.http.conftest import csrf_token
from tests.support import complete, deploy, one_step_bpmn, open_tasks, start, task_named, user

MEMBERS = {"members": ["wanghong", "zhangwei"]}

QUEUE_BPMN = one_step_bpmn("queue_flow", "队列测试", "成员审阅", "member")


@pytest.fixture
def core(jd):
    deploy(jd, "core_flow.bpmn", "core_draft.form", "core_approve.form", actor="owner")
    return jd


@pytest.fixture
def case(core):
    """yangfan started core_flow for the district; the draft waits in yangfan's inbox."""
    return start(core, "yangfan", "core_flow", data=MEMBERS, title="购置办公设备")


def draft_of(jd, case_id):
    return task_named(jd, case_id, "draft")


def complete_json(client, task_id, data, token=None):
    headers = {"X-CSRFToken": token} if token is not None else {}
    return client.post(f"/tasks/{task_id}/complete", json={"data": data}, headers=headers)


def page_token(client, path="/"):
    return csrf_token(client, path)


def text(response) -> str:
    return response.get_data(as_text=True)


# -- sign-in and the layout --------------------------------------------------------------------------------------

@pytest.mark.parametrize("path", ["/", "/inbox/done", "/inbox/started", "/inbox/cc", "/tasks/1", "/start",
                                  "/instances/1", "/instances/1/diagram.bpmn", "/profile", "/notifications"])
def test_pages_send_anonymous_people_to_sign_in(client, path):
    response = client.get(path)
    assert response.status_code == 302
    assert response.headers["Location"].startswith("/login")


@pytest.mark.parametrize("path", ["/tasks/1/complete", "/tasks/1/claim", "/tasks/1/unclaim", "/start/core_flow",
                                  "/profile/tokens", "/profile/tokens/1/revoke", "/notifications/read"])
def test_commands_refuse_anonymous_people(client, path):
    response = client.post(path, data={"csrf_token": page_token(client, "/login")})
    assert response.status_code in (302, 401)
    if response.status_code == 302:
        assert response.headers["Location"].startswith("/login")


def test_login_page_has_the_contracted_fields(client):
    html = text(client.get("/login?next=/start"))
    for name in ("username", "password", "csrf_token", "next"):
        assert re.search(rf'name="{name}"', html), name
    assert 'value="/start"' in html


def test_failed_login_shows_an_error_and_keeps_the_username(client):
    token = page_token(client, "/login")
    response = client.post("/login", data={"username": "yangfan", "password": "wrong", "csrf_token": token})
    assert response.status_code == 401
    assert "用户名或密码错误" in text(response) and 'value="yangfan"' in text(response)


def test_login_then_next_and_logout(app, client):
    from tests.conftest import DEMO_PASSWORD
    token = page_token(client, "/login")
    response = client.post("/login?next=/profile", data={"username": "yangfan", "password": DEMO_PASSWORD,
                                                         "csrf_token": token, "next": "/profile"})
    assert response.status_code == 302 and response.headers["Location"] == "/profile"
    home = client.get("/")
    assert home.status_code == 200 and "杨帆" in text(home)
    response = client.post("/logout", data={"csrf_token": page_token(client, "/")})
    assert response.status_code == 302
    assert client.get("/").status_code == 302


def test_header_has_navigation_bell_language_and_user(login_as, case):
    html = text(login_as("yangfan").get("/"))
    assert 'href="/start"' in html and ">发起<" in html
    assert 'href="/notifications"' in html and 'class="bell-count"' in html
    assert 'href="/profile"' in html and "杨帆" in html
    assert "?lang=en" in html and "退出" in html
    # 督办 / 流程管理 only appear once those pages exist, and only for the right people
    assert 'href="/cases"' not in html and 'href="/processes"' not in html


def test_role_links_appear_for_the_right_people_once_their_pages_exist(app, login_as):
    rules = {rule.rule for rule in app.url_map.iter_rules()}
    for username, path in (("owner", "/processes"), ("supervisor", "/cases")):
        html = text(login_as(username).get("/"))
        assert (f'href="{path}"' in html) == (path in rules), (username, path)
    plain = text(login_as("yangfan").get("/"))
    assert 'href="/processes"' not in plain and 'href="/cases"' not in plain


def test_inline_scripts_carry_the_nonce(jd, login_as, case):
    client = login_as("yangfan")
    response = client.get(f"/tasks/{draft_of(jd, case.id).id}")
    csp = response.headers["Content-Security-Policy"]
    nonce = re.search(r"'nonce-([^']+)'", csp).group(1)
    scripts = re.findall(r"<script(?![^>]*\bsrc=)([^>]*)>", text(response))
    assert scripts and all(f'nonce="{nonce}"' in attrs for attrs in scripts)
    assert not re.search(r"\son[a-z]+=", text(response))  # no inline event handlers (CSP forbids them)


# -- inbox ---------------------------------------------------------------------------------------------------------

def test_todo_shows_my_task_and_not_someone_elses(jd, login_as, case):
    draft = draft_of(jd, case.id)
    mine = text(login_as("yangfan").get("/"))
    assert f'data-task-id="{draft.id}"' in mine
    for column in ("任务", "流程", "案件标题", "单位", "接收时间", "期限", "办理人 / 队列"):
        assert column in mine
    assert "购置办公设备" in mine and "核心流程测试" in mine and "示例区委" in mine
    other = text(login_as("zhangwei").get("/"))
    assert f'data-task-id="{draft.id}"' not in other and "购置办公设备" not in other


def test_tab_counts_and_the_four_views(jd, login_as, case):
    client = login_as("yangfan")
    html = text(client.get("/"))
    counts = dict(re.findall(r'data-view="(\w+)">\s*[^<]+<span class="tab-count[^"]*">(\d+)</span>', html))
    assert counts == {"todo": "1", "done": "0", "started": "1", "cc": "0"}
    started = text(client.get("/inbox/started"))
    assert f'data-instance-id="{case.id}"' in started and "起草事项" in started  # current step shown
    complete(jd, "yangfan", draft_of(jd, case.id).id, {"amount": 5000, "summary": "购置办公设备一批"})
    done = text(client.get("/inbox/done"))
    assert "起草事项" in done and "购置办公设备" in done
    assert client.get("/inbox/cc").status_code == 200
    assert client.get("/inbox/elsewhere").status_code == 404


def test_inbox_sorts_filters_and_paginates_on_the_server(core, login_as):
    titles = ["乙案", "甲案", "丙案", "丁案", "戊案"]
    for title in titles:
        start(core, "yangfan", "core_flow", data=MEMBERS, title=title)
    client = login_as("yangfan")

    def rows(url):
        html = text(client.get(url))
        return re.findall(r'<a class="quiet" href="/instances/\d+">([^<]+)</a>', html), html

    order, html = rows("/?sort=title&order=asc&per_page=100")
    assert order == sorted(titles)
    assert 'aria-sort="ascending"' in html and "sort=title&amp;order=desc" in html  # header toggles
    order, _ = rows("/?sort=title&order=desc")
    assert order == sorted(titles, reverse=True)
    order, _ = rows("/?q=" + "丙")
    assert order == ["丙案"]
    order, _ = rows("/?definition=nothing")
    assert order == []
    order, html = rows("/?sort=title&order=asc&per_page=2&page=2")
    assert order == sorted(titles)[2:4]
    assert "共 5 条" in html and "page=3" in html and "page=1" in html


def test_deadlines_stand_out(jd, login_as, case):
    start(jd, "yangfan", "core_flow", data=MEMBERS, title="第二件")
    tasks = open_tasks(jd, case.id) + [t for t in _all_open(jd) if t.instance_id != case.id]
    now = clock.now()
    with jd.db.write() as session:
        session.execute(update(HumanTask).where(HumanTask.id == tasks[0].id).values(due_at=now - timedelta(days=3)))
        session.execute(update(HumanTask).where(HumanTask.id == tasks[1].id).values(due_at=now + timedelta(days=1)))
    client = login_as("yangfan")
    html = text(client.get("/"))
    assert re.search(rf'<tr class="due-overdue" data-task-id="{tasks[0].id}"', html)
    assert re.search(rf'<tr class="due-soon" data-task-id="{tasks[1].id}"', html)
    assert "已超期 3 天" in html and "剩余" in html
    overdue_only = text(client.get("/?overdue=1"))
    assert f'data-task-id="{tasks[0].id}"' in overdue_only and f'data-task-id="{tasks[1].id}"' not in overdue_only


def _all_open(jd):
    with jd.db.read() as session:
        return list(session.scalars(select(HumanTask).where(HumanTask.state == "open")).all())


def test_dates_are_shown_in_shanghai_time(jd, login_as, case):
    draft = draft_of(jd, case.id)
    shown = clock.local(draft.created_at).strftime("%Y-%m-%d %H:%M")
    assert shown in text(login_as("yangfan").get("/"))


# -- queue tasks: claim and give back --------------------------------------------------------------------------------

@pytest.fixture
def queued(jd):
    deploy(jd, ("queue_flow.bpmn", QUEUE_BPMN), actor="owner")
    instance = start(jd, "yangfan", "queue_flow", title="队列案件")
    return task_named(jd, instance.id, "review")


def test_claim_and_give_back_from_the_inbox(jd, login_as, queued):
    wanghong, zhangwei = login_as("wanghong"), login_as("zhangwei")
    html = text(wanghong.get("/"))
    assert f'/tasks/{queued.id}/claim' in html and "班子成员" in html  # waits in the members' queue
    response = wanghong.post(f"/tasks/{queued.id}/claim", data={"csrf_token": page_token(wanghong), "next": "/"})
    assert response.status_code == 302 and response.headers["Location"] == "/"
    assert "已认领" in text(wanghong.get("/"))
    assert f'data-task-id="{queued.id}"' not in text(zhangwei.get("/"))  # gone from the others' queue
    html = text(wanghong.get("/"))
    assert f'/tasks/{queued.id}/unclaim' in html
    # someone else cannot take it over or give it back
    assert zhangwei.post(f"/tasks/{queued.id}/claim", data={"csrf_token": page_token(zhangwei)}).status_code == 409
    assert zhangwei.post(f"/tasks/{queued.id}/unclaim", data={"csrf_token": page_token(zhangwei)}).status_code == 403
    response = wanghong.post(f"/tasks/{queued.id}/unclaim", data={"csrf_token": page_token(wanghong)})
    assert response.status_code == 302
    assert f'data-task-id="{queued.id}"' in text(zhangwei.get("/"))
    with jd.db.read() as session:
        assert session.get(HumanTask, queued.id).assignee_id is None


def test_claim_from_the_task_page(login_as, queued):
    client = login_as("zhangwei")
    html = text(client.get(f"/tasks/{queued.id}"))
    assert "等待认领" in html and f'/tasks/{queued.id}/claim' in html
    response = client.post(f"/tasks/{queued.id}/claim", data={"csrf_token": page_token(client)})
    assert response.headers["Location"] == f"/tasks/{queued.id}"
    assert "退回队列" in text(client.get(f"/tasks/{queued.id}"))


def test_claim_without_csrf_token_is_refused(jd, login_as, queued):
    response = login_as("wanghong").post(f"/tasks/{queued.id}/claim", data={})
    assert response.status_code == 400 and "CSRF" in text(response)
    with jd.db.read() as session:
        assert session.get(HumanTask, queued.id).assignee_id is None


# -- the task page and completing it -------------------------------------------------------------------------------

def test_task_page_shows_case_timeline_and_form(jd, login_as, case):
    draft = draft_of(jd, case.id)
    response = login_as("yangfan").get(f"/tasks/{draft.id}")
    assert response.status_code == 200
    html = text(response)
    for needle in ("起草事项", "购置办公设备", "示例区委", "核心流程测试", "杨帆", "办理经过", "杨帆 发起了流程",
                   "“起草事项” 送达 杨帆", "/vendor/form-js/form-viewer.umd.js", "/static/js/task.js"):
        assert needle in html, needle
    config = json.loads(re.search(r'<script type="application/json" id="jd-form-config"[^>]*>(.*?)</script>',
                                  html, re.S).group(1))
    assert config["schema"]["id"] == "core_draft"
    assert config["data"]["members"] == ["wanghong", "zhangwei"]  # imported with the task's current data
    assert config["completeUrl"] == f"/tasks/{draft.id}/complete" and config["readOnly"] is False


def test_someone_elses_task_is_not_found_and_shows_nothing(jd, login_as, case):
    draft = draft_of(jd, case.id)
    for username in ("zhangwei", "hezhiming"):
        client = login_as(username)
        response = client.get(f"/tasks/{draft.id}")
        assert response.status_code == 404
        body = text(response)
        assert "购置办公设备" not in body and "起草事项" not in body and "core_draft" not in body
        assert client.get(f"/instances/{case.id}").status_code == 404
        assert complete_json(client, draft.id, {"amount": 1}, page_token(client)).status_code == 404
    assert login_as("yangfan").get("/tasks/999999").status_code == 404


def test_completing_with_a_wrong_field_gives_422_and_moves_nothing(jd, login_as, case):
    draft = draft_of(jd, case.id)
    client = login_as("yangfan")
    response = complete_json(client, draft.id, {"amount": 5000, "summary": ""}, page_token(client))
    assert response.status_code == 422
    body = response.get_json()
    assert "summary" in body["details"] and body["details"]["summary"] == "此项为必填项"
    response = complete_json(client, draft.id, {"amount": "many", "summary": "短"}, page_token(client))
    assert response.status_code == 422 and {"amount", "summary"} <= set(response.get_json()["details"])
    assert [t.element_id for t in open_tasks(jd, case.id)] == ["draft"]
    assert draft_of(jd, case.id).data is None


def test_complete_answers_next_step_and_holder_then_409(jd, login_as, case):
    draft = draft_of(jd, case.id)
    client = login_as("yangfan")
    response = complete_json(client, draft.id, {"amount": 5000, "summary": "购置办公设备一批"}, page_token(client))
    assert response.status_code == 200, response.get_json()
    body = response.get_json()
    assert body["instance_status"] == "running"
    assert [(t["name"], t["assignee"]) for t in body["next_tasks"]] == [("书记审批", "李建国")]
    assert body["next_tasks"][0]["candidates"] == ["lijianguo"]
    again = complete_json(client, draft.id, {"amount": 5000, "summary": "购置办公设备一批"}, page_token(client))
    assert again.status_code == 409 and "已办理" in again.get_json()["error"]
    # the secretary now sees it; the office cannot complete his step (visible to them, but not theirs)
    approve = task_named(jd, case.id, "secretary_approve")
    assert f'data-task-id="{approve.id}"' in text(login_as("lijianguo").get("/"))
    assert complete_json(client, approve.id, {"decision": "同意"}, page_token(client)).status_code == 403


def test_completed_task_page_is_read_only(jd, login_as, case):
    draft = draft_of(jd, case.id)
    complete(jd, "yangfan", draft.id, {"amount": 10, "summary": "小额采购事项"})
    html = text(login_as("yangfan").get(f"/tasks/{draft.id}"))
    assert "办理完毕" in html and 'id="submit-task"' not in html
    config = json.loads(re.search(r'id="jd-form-config"[^>]*>(.*?)</script>', html, re.S).group(1))
    assert config["readOnly"] is True and config["data"]["summary"] == "小额采购事项"


def test_completing_without_csrf_token_is_refused(jd, login_as, case):
    draft = draft_of(jd, case.id)
    response = complete_json(login_as("yangfan"), draft.id, {"amount": 10, "summary": "小额采购事项"})
    assert response.status_code == 400
    assert [t.element_id for t in open_tasks(jd, case.id)] == ["draft"]


def test_completing_with_a_body_that_is_not_json(jd, login_as, case):
    client = login_as("yangfan")
    response = client.post(f"/tasks/{draft_of(jd, case.id).id}/complete", data="nonsense",
                           headers={"X-CSRFToken": page_token(client), "Content-Type": "application/json"})
    assert response.status_code == 422 and response.get_json()["error"]


# -- starting --------------------------------------------------------------------------------------------------------

def test_start_page_lists_what_the_user_may_start(core, login_as):
    html = text(login_as("yangfan").get("/start"))
    assert "核心流程测试" in html and 'name="unit"' in html and "示例区委" in html
    assert "示例区教育局党组" not in html  # units yangfan may not act for are not offered


def test_start_redirects_to_the_first_task_when_the_starter_holds_it(jd, login_as, core):
    client = login_as("yangfan")
    token = page_token(client, "/start")
    response = client.post("/start/core_flow", data={"csrf_token": token, "unit": "district", "title": "网页发起"})
    assert response.status_code == 302
    match = re.fullmatch(r"/tasks/(\d+)", response.headers["Location"])
    assert match
    with jd.db.read() as session:
        task = session.get(HumanTask, int(match.group(1)))
        assert task.element_id == "draft"
        assert session.get(ProcessInstance, task.instance_id).title == "网页发起"
    assert "已发起“网页发起”" in text(client.get(response.headers["Location"]))


def test_start_elsewhere_goes_to_the_instance_page(jd, login_as):
    deploy(jd, ("queue_flow.bpmn", QUEUE_BPMN), actor="owner")
    client = login_as("yangfan")
    response = client.post("/start/queue_flow", data={"csrf_token": page_token(client, "/start"), "unit": "district"})
    assert response.status_code == 302 and re.fullmatch(r"/instances/\d+", response.headers["Location"])
    assert "队列测试" in text(client.get(response.headers["Location"]))  # the title defaults to the process name


def test_start_for_a_unit_one_may_not_act_for_is_forbidden(jd, login_as, core):
    client = login_as("yangfan")
    response = client.post("/start/core_flow", data={"csrf_token": page_token(client, "/start"),
                                                     "unit": "district-edu"})
    assert response.status_code == 403
    with jd.db.read() as session:
        assert session.scalar(select(ProcessInstance.id)) is None


def test_start_without_csrf_token_is_refused(jd, login_as, core):
    response = login_as("yangfan").post("/start/core_flow", data={"unit": "district"})
    assert response.status_code == 400


def test_start_form_is_rendered_validated_and_kept(jd, login_as):
    deploy(jd, "core_flow_start.bpmn", "core_start.form", "core_draft.form", "core_approve.form", actor="owner")
    client = login_as("yangfan")
    html = text(client.get("/start?key=core_flow"))
    config = json.loads(re.search(r'id="jd-start-config"[^>]*>(.*?)</script>', html, re.S).group(1))
    assert config["schema"]["id"] == "core_start"
    token = page_token(client, "/start")
    response = client.post("/start/core_flow", data={"csrf_token": token, "unit": "district", "title": "带表单",
                                                     "form_data": json.dumps({"members": []})})
    assert response.status_code == 422
    html = text(response)
    config = json.loads(re.search(r'id="jd-start-config"[^>]*>(.*?)</script>', html, re.S).group(1))
    assert config["errors"]["members"] == "此项为必填项" and 'value="带表单"' in html
    # no form data at all is no way around the start form
    response = client.post("/start/core_flow", data={"csrf_token": token, "unit": "district"})
    assert response.status_code == 422
    response = client.post("/start/core_flow", data={"csrf_token": token, "unit": "district", "title": "带表单",
                                                     "form_data": json.dumps({"members": ["wanghong", "zhangwei"]})})
    assert response.status_code == 302
    with jd.db.read() as session:
        instance = session.scalar(select(ProcessInstance).where(ProcessInstance.title == "带表单"))
    draft = draft_of(jd, instance.id)
    result = complete(jd, "yangfan", draft.id, {"amount": 10, "summary": "小额采购事项"})
    assert sorted(t.mi_item for t in result.opened if t.element_id == "member_review") == ["wanghong", "zhangwei"]


# -- the instance page and its diagram ---------------------------------------------------------------------------------

def test_instance_page_for_participants(jd, login_as, case):
    complete(jd, "yangfan", draft_of(jd, case.id).id, {"amount": 5000, "summary": "购置办公设备一批"})
    for username in ("yangfan", "lijianguo", "supervisor"):
        response = login_as(username).get(f"/instances/{case.id}")
        assert response.status_code == 200, username
        html = text(response)
        assert "购置办公设备" in html and "进行中" in html
        assert "书记审批" in html and "李建国" in html  # the current step and its owner
        assert "起草事项" in html and "杨帆" in html  # the completed step and who did it
        assert 'data-src="/instances/%d/diagram.bpmn"' % case.id in html
        assert "杨帆 办理了“起草事项”" in html
    marking = json.loads(re.search(r'id="jd-marking"[^>]*>(.*?)</script>', html, re.S).group(1))
    # Everything that ran is marked, not only the steps people did: the start event, the amount check, the flows.
    assert marking == {"completed": ["amount_check", "draft", "start"], "current": ["secretary_approve"],
                       "overdue": [], "path": ["f_start", "f_draft", "f_large"]}


def test_diagram_has_the_pages_permission(jd, login_as, case):
    response = login_as("yangfan").get(f"/instances/{case.id}/diagram.bpmn")
    assert response.status_code == 200 and response.mimetype == "application/xml"
    assert b'<bpmn:userTask id="draft"' in response.data
    assert "sandbox" in response.headers["Content-Security-Policy"]
    response = login_as("zhangwei").get(f"/instances/{case.id}/diagram.bpmn")
    assert response.status_code == 404
    assert b"userTask" not in response.data and "核心流程测试".encode() not in response.data


# -- profile and API tokens ----------------------------------------------------------------------------------------

def test_profile_shows_memberships_and_roles(login_as):
    html = text(login_as("huangqiang").get("/profile"))
    assert "黄强" in html and "示例区委" in html and "纪检监察负责人" in html and "督办人" in html


def test_tokens_are_shown_once_and_can_be_revoked(jd, app, login_as):
    client = login_as("yangfan")
    response = client.post("/profile/tokens", data={"csrf_token": page_token(client, "/profile"), "name": "同步"})
    assert response.status_code == 200
    token = re.search(r'<code class="token-value" id="new-token">([^<]+)</code>', text(response)).group(1)
    with jd.db.read() as session:
        row = session.scalar(select(ApiToken).where(ApiToken.user_id == user(jd, "yangfan").id))
    assert row.name == "同步" and token.startswith(row.prefix) and row.token_hash != token
    later = text(client.get("/profile"))
    assert token not in later and row.prefix in later  # shown once, afterwards only its prefix
    bearer = {"Authorization": f"Bearer {token}"}
    probe = _bearer_probe(app)
    if probe:
        assert client.application.test_client().get(probe, headers=bearer).status_code == 200

    other = login_as("zhangwei")
    assert other.post(f"/profile/tokens/{row.id}/revoke",
                      data={"csrf_token": page_token(other, "/profile")}).status_code == 404
    response = client.post(f"/profile/tokens/{row.id}/revoke", data={"csrf_token": page_token(client, "/profile")})
    assert response.status_code == 302 and response.headers["Location"] == "/profile"
    with jd.db.read() as session:
        assert session.get(ApiToken, row.id).revoked_at is not None
    assert "已吊销" in text(client.get("/profile"))
    if probe:
        assert client.application.test_client().get(probe, headers=bearer).status_code == 401


def _bearer_probe(app) -> str | None:
    """A bearer-protected API call, once the API exists (GET /api/v1/me)."""
    rules = {rule.rule for rule in app.url_map.iter_rules()}
    return "/api/v1/me" if "/api/v1/me" in rules else None


def test_token_creation_needs_csrf(login_as):
    assert login_as("yangfan").post("/profile/tokens", data={"name": "x"}).status_code == 400


# -- notifications ---------------------------------------------------------------------------------------------------

def test_bell_counts_and_notifications_are_marked_read(jd, login_as, case):
    client = login_as("yangfan")
    html = text(client.get("/"))
    assert re.search(r'<span class="bell-count">1</span>', html)
    page = text(client.get("/notifications"))
    assert "新待办：起草事项（购置办公设备）" in page and f'href="/tasks/{draft_of(jd, case.id).id}"' in page
    with jd.db.read() as session:
        mine = session.scalar(select(Notification.id).where(Notification.user_id == user(jd, "yangfan").id))
    # someone else's id changes nothing
    other = login_as("zhangwei")
    other.post("/notifications/read", data={"csrf_token": page_token(other), "ids": str(mine)})
    with jd.db.read() as session:
        assert session.get(Notification, mine).read_at is None
    response = client.post("/notifications/read", data={"csrf_token": page_token(client), "ids": str(mine)})
    assert response.status_code == 302
    assert 'class="bell-count"' not in text(client.get("/"))
    start(jd, "yangfan", "core_flow", data=MEMBERS, title="另一件")
    start(jd, "yangfan", "core_flow", data=MEMBERS, title="第三件")
    assert re.search(r'<span class="bell-count">2</span>', text(client.get("/")))
    assert "另一件" in text(client.get("/notifications?unread=1"))
    client.post("/notifications/read", data={"csrf_token": page_token(client), "all": "1"})
    assert 'class="bell-count"' not in text(client.get("/"))


# -- language ------------------------------------------------------------------------------------------------------

def test_language_switch_shows_english_and_sticks(login_as, case):
    client = login_as("yangfan")
    html = text(client.get("/?lang=en"))
    assert '<html lang="en">' in html
    for english in ("To do", "Done", "Started by me", "Start", "Sign out", "Task", "Case title", "Received", "Due"):
        assert english in html, english
    assert "退出" not in html
    assert "Sign out" in text(client.get("/start"))  # the choice is kept in the session
    assert "退出" in text(client.get("/?lang=zh_CN"))


def test_login_page_in_english(client):
    html = text(client.get("/login?lang=en"))
    assert "Username" in html and "Password" in html and "Sign in" in html


def test_error_pages_leak_nothing_and_speak_the_language(login_as):
    client = login_as("yangfan")
    response = client.get("/nowhere")
    assert response.status_code == 404 and "页面不存在或您无权查看" in text(response)
    response = client.get("/tasks/424242?lang=en")
    assert response.status_code == 404 and "Traceback" not in text(response)
    assert "not found" in text(response).lower()
