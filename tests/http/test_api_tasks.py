"""The JSON API, part 3: the inbox views, one task, claim / unclaim from a group queue, and completing tasks
(422 field errors, 409 on a second submit, 403/404 for someone else's task), ending in a full walk."""
from __future__ import annotations

from datetime import timedelta

import pytest

from tests.http.test_api import MEMBERS, api, conforms, core, is_error, utc  # noqa: F401  (fixtures)
from tests.http.test_api_operations import operations_walk
from tests.http.test_editor_api import editor_walk
from tests.support import deploy, task_named

QUEUE_FLOW = """<?xml version="1.0" encoding="UTF-8"?>
<bpmn:definitions xmlns:bpmn="http://www.omg.org/spec/BPMN/20100524/MODEL"
                  xmlns:camunda="http://camunda.org/schema/1.0/bpmn" id="queue_defs" targetNamespace="http://t">
  <bpmn:process id="queue_flow" name="班子成员队列" isExecutable="true">
    <bpmn:startEvent id="start"/>
    <bpmn:sequenceFlow id="f1" sourceRef="start" targetRef="review"/>
    <bpmn:userTask id="review" name="成员审阅" camunda:candidateGroups="member" camunda:formRef="core_approve"/>
    <bpmn:sequenceFlow id="f2" sourceRef="review" targetRef="end"/>
    <bpmn:endEvent id="end"/>
  </bpmn:process>
</bpmn:definitions>
"""
DRAFT = {"data": {"amount": 5000, "summary": "购置办公设备"}}


@pytest.fixture
def queue(core):
    deploy(core, ("queue_flow.bpmn", QUEUE_FLOW), actor="owner")
    return core


# -- inbox views -----------------------------------------------------------------------------------------------------

def test_inbox_views_and_pagination(api, core):
    cases = [api.start(title=f"案件{i}") for i in range(3)]
    todo = api.get("/tasks?view=todo&per_page=2", "yangfan").get_json()
    conforms(todo, "InboxPage")
    assert (todo["view"], todo["total"], todo["page"], len(todo["items"])) == ("todo", 3, 1, 2)
    item = todo["items"][0]
    assert {"id", "name", "element_id", "instance_id", "instance_title", "unit", "definition", "assignee",
            "candidates", "due_at", "created_at", "state"} <= set(item)
    assert (item["element_id"], item["state"], item["unit"], item["assignee"]) == ("draft", "open", "示例区委", "杨帆")
    assert len(api.get("/tasks?view=todo&per_page=2&page=2", "yangfan").get_json()["items"]) == 1
    assert api.get("/tasks", "yangfan").get_json()["view"] == "todo"  # the default

    started = api.get("/tasks?view=started", "yangfan").get_json()
    conforms(started, "InboxPage")
    assert started["total"] == 3 and {"title", "status", "started_at"} <= set(started["items"][0])
    assert api.get("/tasks?view=done", "yangfan").get_json()["total"] == 0
    assert api.get("/tasks?view=todo", "zhangwei").get_json()["total"] == 0  # not in another's inbox

    api.post(f"/tasks/{cases[0]['tasks'][0]['id']}/complete", "yangfan", json=DRAFT)
    done = api.get("/tasks?view=done", "yangfan").get_json()
    assert done["total"] == 1 and done["items"][0]["completed_by"] == "杨帆" and utc(done["items"][0]["completed_at"])
    assert api.get("/tasks?view=todo", "yangfan").get_json()["total"] == 2
    assert [i["instance_id"] for i in api.get("/tasks", "lijianguo").get_json()["items"]] == [cases[0]["id"]]
    assert api.get("/tasks?view=cc", "yangfan").get_json()["total"] == 0
    assert "view" in is_error(api.get("/tasks?view=everything", "yangfan"), 422)["details"]


# -- one task ----------------------------------------------------------------------------------------------------------

def test_task_detail_for_its_holder_and_nothing_for_outsiders(api, core):
    case = api.start(title="机密采购", data={"members": ["wanghong", "zhangwei"], "secret_note": "内部口径"})
    draft = case["tasks"][0]["id"]
    body = api.get(f"/tasks/{draft}", "yangfan").get_json()
    conforms(body, "TaskDetail")
    assert (body["name"], body["assignee"], body["candidates"], body["state"]) == ("起草事项", "杨帆", ["yangfan"], "open")
    assert [c["key"] for c in body["form"]["components"]] == ["amount", "summary"]
    assert body["data"]["members"] == ["wanghong", "zhangwei"] and body["can_complete"] is True
    assert body["instance"]["title"] == "机密采购" and body["due_at"] is None

    for outsider in ("zhangwei", "eastsupervisor", "hezhiming"):
        response = api.get(f"/tasks/{draft}", outsider)
        is_error(response, 404)
        text = response.get_data(as_text=True)
        assert "机密采购" not in text and "内部口径" not in text and "members" not in text
    is_error(api.get("/tasks/99999", "yangfan"), 404)

    supervised = api.get(f"/tasks/{draft}", "supervisor").get_json()  # supervisors read, but may not act
    assert supervised["can_complete"] is False


# -- completing ------------------------------------------------------------------------------------------------------

def test_complete_validates_conflicts_and_refuses_others(api, core):
    case = api.start()
    draft = case["tasks"][0]["id"]
    path = f"/tasks/{draft}/complete"

    bad = is_error(api.post(path, "yangfan", json={"data": {"amount": "many"}}), 422)
    assert {"amount", "summary"} <= set(bad["details"])
    assert set(is_error(api.post(path, "yangfan", json={"data": "amount=5"}), 422)["details"]) == {"data"}
    assert set(is_error(api.post(path, "yangfan", json={"data": {}, "expected_version": "1"}), 422)["details"]) \
        == {"expected_version"}
    is_error(api.post(path, "yangfan", data="{data: 1}", content_type="application/json"), 400)
    is_error(api.post(path, "yangfan", json=[DRAFT]), 400)

    for outsider in ("zhangwei", "eastsupervisor"):  # not their task and not their case: nothing about it
        response = api.post(path, outsider, json=DRAFT)
        is_error(response, 404)
        assert "起草事项" not in response.get_data(as_text=True)
    is_error(api.post(path, "supervisor", json=DRAFT), 403)  # sees the case, does not hold the task

    version = api.get(f"/tasks/{draft}", "yangfan").get_json()["state_version"]
    stale = is_error(api.post(path, "yangfan", json={**DRAFT, "expected_version": version - 1}), 409)
    assert stale["details"]["current_version"] == version
    assert task_named(core, case["id"], "draft").state == "open"  # nothing moved so far

    response = api.post(path, "yangfan", json={**DRAFT, "expected_version": version})
    assert response.status_code == 200, response.get_json()
    body = response.get_json()
    conforms(body, "CompleteResult")
    assert body["instance_status"] == "running" and body["instance_id"] == case["id"]
    assert [(t["element_id"], t["assignee"]) for t in body["next_tasks"]] == [("secretary_approve", "李建国")]

    again = is_error(api.post(path, "yangfan", json=DRAFT), 409)
    assert again["details"] == {"state": "completed"}
    submitted = api.get(f"/tasks/{draft}", "yangfan").get_json()
    assert submitted["state"] == "completed" and submitted["data"] == {"amount": 5000, "summary": "购置办公设备"}
    approve = body["next_tasks"][0]["id"]
    is_error(api.post(f"/tasks/{approve}/complete", "yangfan", json={"data": {"decision": "同意"}}), 403)


def test_walk_the_core_flow_through_the_api(api, core):
    case = api.start(data=MEMBERS)

    def finish(username, element_id, data, mi_item=None):
        task = task_named(core, case["id"], element_id, mi_item)
        response = api.post(f"/tasks/{task.id}/complete", username, json={"data": data})
        assert response.status_code == 200, response.get_json()
        return response.get_json()

    after_draft = finish("yangfan", "draft", {"amount": 10, "summary": "小额事项"})
    assert sorted((t["element_id"], t["mi_item"]) for t in after_draft["next_tasks"]) == [
        ("discipline_check", None), ("member_review", "wanghong"), ("member_review", "zhangwei")]
    check = next(t for t in after_draft["next_tasks"] if t["element_id"] == "discipline_check")
    assert utc(check["due_at"]) - utc(check["created_at"]) == timedelta(hours=1)
    finish("wanghong", "member_review", {"decision": "同意"}, "wanghong")
    finish("huangqiang", "discipline_check", {})
    last = finish("zhangwei", "member_review", {"decision": "不同意", "comment": "预算偏高"}, "zhangwei")
    assert [t["element_id"] for t in last["next_tasks"]] == ["archive"]
    assert finish("yangfan", "archive", {})["instance_status"] == "completed"
    detail = api.get(f"/instances/{case['id']}", "yangfan").get_json()
    assert detail["status"] == "completed" and detail["open_tasks"] == [] and utc(detail["ended_at"])
    assert api.get(f"/instances/{case['id']}/audit", "admin").get_json()["verification"]["ok"] is True


# -- group queues ------------------------------------------------------------------------------------------------------

def test_claim_and_unclaim_a_queue_task(api, queue):
    case = api.start(key="queue_flow", data={}, title="队列事项")
    [task] = case["tasks"]
    assert task["assignee"] is None and set(task["candidates"]) == {"wanghong", "zhangwei", "liuyang", "chenjing"}
    path = f"/tasks/{task['id']}"
    assert api.get("/tasks", "liuyang").get_json()["total"] == 1 and api.get("/tasks", "wanghong").get_json()["total"] == 1

    is_error(api.post(path + "/claim", "yangfan"), 403)       # sees the case (started it), not a candidate
    is_error(api.post(path + "/claim", "eastsupervisor"), 404)
    is_error(api.post(path + "/unclaim", "liuyang"), 403)      # nothing to give back yet
    claimed = api.post(path + "/claim", "liuyang")
    assert claimed.status_code == 200
    conforms(claimed.get_json(), "TaskRow")
    assert claimed.get_json()["assignee"] == "刘洋"
    assert api.post(path + "/claim", "liuyang").status_code == 200  # claiming again changes nothing
    assert api.get("/tasks", "wanghong").get_json()["total"] == 0  # gone from the others' queue view
    is_error(api.post(path + "/claim", "wanghong"), 409)
    is_error(api.post(path + "/unclaim", "wanghong"), 403)
    is_error(api.post(path + "/complete", "wanghong", json={"data": {"decision": "同意"}}), 403)

    given_back = api.post(path + "/unclaim", "liuyang").get_json()
    assert given_back["assignee"] is None and api.get("/tasks", "wanghong").get_json()["total"] == 1
    is_error(api.post(path + "/claim", "liuyang", data="{", content_type="application/json"), 400)

    done = api.post(path + "/complete", "chenjing", json={"data": {"decision": "同意"}})  # a queue member, unclaimed
    assert done.status_code == 200 and done.get_json()["instance_status"] == "completed"
    is_error(api.post(path + "/claim", "yangfan"), 409)  # the initiator still sees it: no longer open
    is_error(api.post(path + "/claim", "wanghong"), 404)  # a queue member who never took it: no longer his case
    assert api.get(path, "chenjing").get_json()["completed_by"] == "陈静"


def test_a_directly_assigned_task_cannot_be_given_back(api, core):
    draft = api.start()["tasks"][0]["id"]
    assert api.post(f"/tasks/{draft}/claim", "yangfan").get_json()["assignee"] == "杨帆"
    is_error(api.post(f"/tasks/{draft}/unclaim", "yangfan"), 409)


# -- every API route: refused for an unrelated user, allowed for the right one --------------------------------------

def test_every_api_route_as_an_unrelated_and_as_the_right_user(app, api, queue):
    """Walks the registered API endpoints (a new endpoint must be added here). Anonymous callers are covered by
    test_api.test_every_api_route_refuses_missing_and_bad_tokens."""
    from tests.http.test_api import CORE_FILES, _upload

    def case():
        return api.start()

    def queue_task():
        return api.start(key="queue_flow", data={})["tasks"][0]["id"]

    def suspended():
        instance = case()["id"]
        assert api.post(f"/instances/{instance}/suspend", "yangfan").status_code == 200
        return instance

    def claimed():
        task = queue_task()
        assert api.post(f"/tasks/{task}/claim", "liuyang").status_code == 200
        return task

    ok_for_all = {200}
    # endpoint: (method, make path, unrelated user, refused statuses, right user, allowed status, request kwargs)
    walk = {
        "api.me": ("GET", lambda: "/me", "hezhiming", ok_for_all, "yangfan", 200, {}),
        "api.list_definitions": ("GET", lambda: "/definitions", "hezhiming", ok_for_all, "yangfan", 200, {}),
        "api.deploy_definitions": ("POST", lambda: "/definitions", "yangfan", {403}, "owner", 201,
                                   {"files": True}),
        "api.start_instance": ("POST", lambda: "/instances", "hezhiming", {403}, "yangfan", 201,
                               {"json": {"definition": "core_flow", "unit": "district", "data": MEMBERS}}),
        "api.list_instances": ("GET", lambda: "/instances", "hezhiming", ok_for_all, "yangfan", 200, {}),
        "api.get_instance": ("GET", lambda: f"/instances/{case()['id']}", "zhangwei", {404}, "yangfan", 200, {}),
        "api.instance_audit": ("GET", lambda: f"/instances/{case()['id']}/audit", "zhangwei", {404}, "supervisor",
                               200, {}),
        "api.cancel_instance": ("POST", lambda: f"/instances/{case()['id']}/cancel", "zhangwei", {404}, "yangfan",
                                200, {"json": {"reason": "测试"}}),
        "api.suspend_instance": ("POST", lambda: f"/instances/{case()['id']}/suspend", "eastsupervisor", {404},
                                 "supervisor", 200, {}),
        "api.resume_instance": ("POST", lambda: f"/instances/{suspended()}/resume", "zhangwei", {404}, "yangfan",
                                200, {}),
        "api.instance_opinions": ("GET", lambda: f"/instances/{case()['id']}/opinions", "zhangwei",
                                  {403, 404, 501}, None, None, {}),
        "api.user_dissents": ("GET", lambda: "/users/zhangwei/dissents", "hezhiming", {403, 404, 501}, None, None,
                              {}),
        "api.list_tasks": ("GET", lambda: "/tasks", "hezhiming", ok_for_all, "yangfan", 200, {}),
        "api.get_task": ("GET", lambda: f"/tasks/{case()['tasks'][0]['id']}", "zhangwei", {404}, "yangfan", 200,
                         {}),
        "api.claim_task": ("POST", lambda: f"/tasks/{queue_task()}/claim", "eastsupervisor", {404}, "liuyang", 200,
                           {}),
        "api.unclaim_task": ("POST", lambda: f"/tasks/{claimed()}/unclaim", "eastsupervisor", {404}, "liuyang",
                             200, {}),
        "api.complete_task": ("POST", lambda: f"/tasks/{case()['tasks'][0]['id']}/complete", "zhangwei", {404},
                              "yangfan", 200, {"json": DRAFT}),
        "api.dashboard_figures": ("GET", lambda: "/dashboard", "yangfan", {403}, "supervisor", 200, {}),  # issue 6
        "api.openapi": ("GET", lambda: "/openapi.json", None, ok_for_all, None, 200, {}),
    }
    walk.update(operations_walk(api, case))  # issue 7's routes (tests/http/test_api_operations.py)
    walk.update(editor_walk(api))  # issue 5's routes (tests/http/test_editor_api.py)
    registered = {rule.endpoint for rule in app.url_map.iter_rules() if rule.rule.startswith("/api/v1/")}
    assert registered == set(walk), registered ^ set(walk)

    for endpoint, (method, make_path, outsider, refused, insider, allowed, kwargs) in walk.items():
        def call(username, path, method=method, kwargs=kwargs):
            extra = dict(kwargs)
            if extra.pop("files", False):
                extra.update(data=_upload(*CORE_FILES), content_type="multipart/form-data")
            return api.client.open("/api/v1" + path, method=method, headers=api.headers(username), **extra)

        path = make_path()
        outsider_answer = call(outsider, path)
        assert outsider_answer.status_code in refused, (endpoint, outsider, outsider_answer.status_code)
        if refused != ok_for_all:
            assert outsider_answer.get_json()["error"]
        if insider is not None:
            assert call(insider, path).status_code == allowed, (endpoint, insider)

    # What the unrelated user could list shows nothing of the district's cases.
    assert api.get("/instances", "hezhiming").get_json()["total"] == 0
    assert api.get("/tasks", "hezhiming").get_json()["total"] == 0


def test_a_step_over_the_api_commits_and_never_rolls_back(api, core):
    """On PostgreSQL a ROLLBACK makes the driver forget every statement it prepared on the connection, and the
    database then plans each of the next step's queries afresh: a successful step must not roll anything back."""
    from sqlalchemy import event
    case = api.start(title="不回滚")
    draft = api.get("/tasks?view=todo", "yangfan").get_json()["items"]
    task_id = next(t["id"] for t in draft if t["instance_id"] == case["id"])
    seen = {"rollback": 0, "commit": 0}

    def on(kind):
        return lambda *args: seen.__setitem__(kind, seen[kind] + 1)

    listeners = [(kind, on(kind)) for kind in seen]
    for kind, listener in listeners:
        event.listen(core.db.engine, kind, listener)
    try:
        assert api.get("/tasks?view=todo&per_page=20", "yangfan").status_code == 200
        answer = api.post(f"/tasks/{task_id}/complete", "yangfan", json=DRAFT)
    finally:
        for kind, listener in listeners:
            event.remove(core.db.engine, kind, listener)
    assert answer.status_code == 200, answer.get_json()
    assert seen == {"rollback": 0, "commit": 3}, seen  # the inbox read, the token check, the command
