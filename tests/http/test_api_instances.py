"""The JSON API, part 2: starting cases, the case list (visibility, filters, pagination), one case, its audit
chain, and cancel / suspend / resume."""
from __future__ import annotations

import json
from datetime import timedelta

import time_machine
from sqlalchemy import select

from service import clock
from service.models import AuditEvent, InstanceCC
from tests.http.test_api import MEMBERS, api, conforms, core, is_error, utc  # noqa: F401  (fixtures)
from tests.support import task_named, user


# -- start ---------------------------------------------------------------------------------------------------------

def test_start_answers_201_with_the_first_tasks(api, core):
    response = api.post("/instances", "yangfan", json={"definition": "core_flow", "unit": "district",
                                                        "title": "采购审批", "data": MEMBERS})
    assert response.status_code == 201
    body = response.get_json()
    conforms(body, "StartResult")
    assert body["status"] == "running" and body["title"] == "采购审批" and body["version"] == 1
    assert response.headers["Location"].endswith(f"/api/v1/instances/{body['id']}")
    [draft] = body["tasks"]
    assert (draft["element_id"], draft["assignee"], draft["candidates"]) == ("draft", "杨帆", ["yangfan"])
    utc(draft["created_at"])
    detail = api.get(f"/instances/{body['id']}", "yangfan").get_json()
    assert detail["title"] == "采购审批"


def test_start_refuses_bad_bodies_with_clear_errors(api, core):
    def post(body):
        return api.post("/instances", "yangfan", json=body)

    def raw(text):
        return api.post("/instances", "yangfan", data=text, content_type="application/json")

    assert "JSON" in is_error(raw('{"definition": "core_flow",'), 400)["error"]
    is_error(raw('["core_flow", "district"]'), 400)
    is_error(raw(b"\xff\xfe{"), 400)
    assert set(is_error(post({}), 422)["details"]) == {"definition", "unit"}
    assert set(is_error(post({"definition": "core_flow"}), 422)["details"]) == {"unit"}
    assert is_error(post({"definition": "core_flow", "unit": 7}), 422)["details"] == {"unit": "必须是字符串"}
    assert set(is_error(post({"definition": "core_flow", "unit": "district", "data": "x"}), 422)["details"]) == {"data"}
    assert set(is_error(post({"definition": "core_flow", "unit": "district", "data": [1]}), 422)["details"]) == {"data"}
    assert set(is_error(post({"definition": "core_flow", "unit": "district", "title": 5}), 422)["details"]) == {"title"}
    assert "initiator" in is_error(post({"definition": "core_flow", "unit": "district",
                                         "data": {"initiator": "admin"}}), 422)["details"]
    assert "unit" in is_error(post({"definition": "core_flow", "unit": "atlantis"}), 422)["details"]
    is_error(post({"definition": "no_such_process", "unit": "district"}), 404)
    is_error(post({"definition": "core_flow", "unit": "east", "data": MEMBERS}), 403)  # yangfan has no role there
    assert api.get("/instances", "yangfan").get_json()["total"] == 0


# -- the case list -------------------------------------------------------------------------------------------------

def test_case_list_shows_only_visible_cases_paginated(api, core):
    ids = [api.start(title=f"案件{i}")["id"] for i in range(3)]
    east = api.start(as_="liangyong", unit="east", title="东城案件", data={"members": ["hanmei"]})["id"]

    first = api.get("/instances?per_page=2", "yangfan").get_json()
    conforms(first, "InstanceList")
    assert (first["total"], first["page"], first["per_page"]) == (3, 1, 2)
    assert [i["id"] for i in first["items"]] == ids[::-1][:2]  # newest first
    second = api.get("/instances?per_page=2&page=2", "yangfan").get_json()
    assert [i["id"] for i in second["items"]] == [ids[0]]
    item = first["items"][0]
    assert (item["definition"], item["unit"], item["started_by"], item["status"]) == ("core_flow", "示例区委", "杨帆", "running")

    def seen(username, query=""):
        return sorted(i["id"] for i in api.get(f"/instances?per_page=100{query}", username).get_json()["items"])

    assert seen("zhangwei") == [] and seen("lijianguo") == []
    assert seen("supervisor") == ids and seen("huangqiang") == ids  # supervise the district's subtree
    assert seen("eastsupervisor") == [east] and seen("zhengzhiyuan") == sorted(ids + [east])  # the whole city
    assert seen("admin") == sorted(ids + [east])

    # Taking part, sitting in a queue and being copied each make a case visible.
    api.post(f"/tasks/{task_named(core, ids[0], 'draft').id}/complete", "yangfan",
             json={"data": {"amount": 5000, "summary": "购置办公设备"}})
    assert seen("lijianguo") == [ids[0]]
    with core.db.write() as session:
        session.add(InstanceCC(instance_id=ids[1], user_id=user(core, "xulei").id, created_at=clock.now()))
    assert seen("xulei") == [ids[1]]


def test_case_list_filters(api, core):
    with time_machine.travel(clock.now(), tick=False) as traveller:
        small = api.start(title="小额")["id"]
        large = api.start(title="大额")["id"]
        api.post(f"/tasks/{task_named(core, small, 'draft').id}/complete", "yangfan",
                 json={"data": {"amount": 10, "summary": "小额事项"}})
        traveller.shift(timedelta(hours=2))  # the discipline check (due in 1 hour) is now overdue

        def ids(query):
            return sorted(i["id"] for i in api.get("/instances?" + query, "admin").get_json()["items"])

        assert ids("status=running") == [small, large] and ids("status=completed") == []
        assert ids("definition=core_flow") == [small, large] and ids("definition=other") == []
        assert ids("unit=district") == [small, large] and ids("unit=city") == []
        assert ids("unit=city&subtree=1") == [small, large]
        assert ids("overdue=1") == [small] and ids("overdue=0") == [small, large]
        assert ids("sort=title&order=asc") == [small, large]
        listed = api.get("/instances?sort=title&order=asc", "admin").get_json()["items"]
        assert [i["title"] for i in listed] == ["大额", "小额"]
        assert "status" in is_error(api.get("/instances?status=bogus", "admin"), 422)["details"]
        assert "unit" in is_error(api.get("/instances?unit=atlantis", "admin"), 422)["details"]
        assert "page" in is_error(api.get("/instances?page=two", "admin"), 422)["details"]
        assert api.get("/instances?per_page=100000", "admin").get_json()["per_page"] == 100


# -- one case and its audit chain ----------------------------------------------------------------------------------

def test_instance_detail_for_those_who_may_see_it(api, core):
    case = api.start(title="机密案件")
    path = f"/instances/{case['id']}"
    body = api.get(path, "yangfan").get_json()
    conforms(body, "InstanceDetail")
    assert (body["status"], body["unit"], body["definition"], body["version"]) == ("running", "示例区委", "core_flow", 1)
    assert [(t["element_id"], t["assignee"]) for t in body["open_tasks"]] == [("draft", "杨帆")]
    assert body["completed_tasks"] == []

    api.post(f"/tasks/{case['tasks'][0]['id']}/complete", "yangfan", json={"data": {"amount": 10, "summary": "小额事项"}})
    body = api.get(path, "supervisor").get_json()
    [done] = body["completed_tasks"]
    assert (done["element_id"], done["completed_by"]) == ("draft", "杨帆") and utc(done["completed_at"])
    check = next(t for t in body["open_tasks"] if t["element_id"] == "discipline_check")
    assert check["assignee"] == "黄强" and utc(check["due_at"])

    for outsider in ("lijianguo", "eastsupervisor", "hezhiming"):
        response = api.get(path, outsider)
        is_error(response, 404)
        assert "机密案件" not in response.get_data(as_text=True)
    is_error(api.get("/instances/99999", "admin"), 404)


def test_audit_chain_with_hashes_and_verification(api, core):
    case = api.start()
    api.post(f"/tasks/{case['tasks'][0]['id']}/complete", "yangfan", json={"data": {"amount": 10, "summary": "小额事项"}})
    body = api.get(f"/instances/{case['id']}/audit", "yangfan").get_json()
    conforms(body, "AuditChain")
    events = body["items"]
    assert body["total"] == len(events) and events[0]["kind"] == "instance.started"
    assert "task.completed" in [e["kind"] for e in events]
    assert all(later["prev_hash"] == earlier["hash"] for earlier, later in zip(events, events[1:]))
    assert body["verification"]["ok"] is True and body["verification"]["events"] == len(events)
    utc(events[0]["at"])

    is_error(api.get(f"/instances/{case['id']}/audit", "lijianguo"), 404)  # small amount: not his case

    with core.db.write() as session:  # someone edits the record behind the service's back
        event = session.scalar(select(AuditEvent).where(AuditEvent.instance_id == case["id"],
                                                        AuditEvent.kind == "task.completed"))
        payload = json.loads(event.payload)
        payload["data"]["amount"] = 1
        event.payload = json.dumps(payload, sort_keys=True, ensure_ascii=False, separators=(",", ":"))
        tampered_seq = event.seq
    verification = api.get(f"/instances/{case['id']}/audit", "supervisor").get_json()["verification"]
    assert verification["ok"] is False and verification["broken_seq"] == tampered_seq


# -- cancel / suspend / resume ---------------------------------------------------------------------------------------

def test_suspend_resume_and_cancel(api, core):
    case = api.start(data=MEMBERS)
    path, draft = f"/instances/{case['id']}", case["tasks"][0]["id"]
    work = {"data": {"amount": 5000, "summary": "购置办公设备"}}

    response = api.post(path + "/suspend", "yangfan", json={"reason": "等待材料"})
    assert response.status_code == 200 and response.get_json()["status"] == "suspended"
    conforms(response.get_json(), "InstanceSummary")
    is_error(api.post(f"/tasks/{draft}/complete", "yangfan", json=work), 409)
    is_error(api.post(path + "/suspend", "yangfan"), 409)
    assert api.post(path + "/resume", "yangfan").get_json()["status"] == "running"
    is_error(api.post(path + "/resume", "yangfan"), 409)

    assert api.post(f"/tasks/{draft}/complete", "yangfan", json=work).status_code == 200
    is_error(api.post(path + "/cancel", "zhangwei", json={"reason": "x"}), 404)   # cannot see it
    is_error(api.post(path + "/cancel", "lijianguo", json={"reason": "x"}), 403)  # sees it, may not manage it
    is_error(api.post(path + "/cancel", "yangfan", json={"reason": 5}), 422)
    is_error(api.post(path + "/cancel", "yangfan", data="reason", content_type="application/json"), 400)

    response = api.post(path + "/cancel", "supervisor", json={"reason": "重复立案"})
    assert response.status_code == 200 and response.get_json()["status"] == "cancelled"
    assert response.get_json()["ended_at"]
    is_error(api.post(path + "/cancel", "yangfan", json={}), 409)
    audit = api.get(path + "/audit", "yangfan").get_json()["items"]
    assert audit[-1]["kind"] == "instance.cancelled" and audit[-1]["payload"]["reason"] == "重复立案"
    assert [e["kind"] for e in audit].count("instance.suspended") == 1
    assert api.get("/tasks", "lijianguo").get_json()["total"] == 0  # the open step left the inbox


def test_dissent_calls(api, core):
    """三重一大 opinions and dissents: answered by service.dissent when installed, a JSON 501 otherwise."""
    import importlib.util
    case = api.start()
    if importlib.util.find_spec("service.dissent") is None:
        is_error(api.get(f"/instances/{case['id']}/opinions", "yangfan"), 501)
        is_error(api.get("/users/zhangwei/dissents", "supervisor"), 501)
        return
    response = api.get(f"/instances/{case['id']}/opinions", "zhangwei")
    assert response.status_code in (403, 404) and "采购审批" not in response.get_data(as_text=True)
    response = api.get(f"/instances/{case['id']}/opinions", "yangfan")
    assert response.status_code == 200 and isinstance(response.get_json(), dict)
    response = api.get("/users/zhangwei/dissents", "admin")
    assert response.status_code == 200
    conforms(response.get_json(), "DissentList")
