"""The JSON API of the approval operations (issue 7): each route's happy path, its refusals, the shapes in the
OpenAPI document, and the audit events it leaves. `operations_walk` feeds the every-route walk in
test_api_tasks."""
from __future__ import annotations

import io
from datetime import date, timedelta

from tests.http.test_api import api, conforms, core, is_error, utc  # noqa: F401  (fixtures)
from tests.support import task_named

DRAFT = {"data": {"amount": 5000, "summary": "购置办公设备"}}
YES = {"data": {"decision": "同意"}}
PDF = b"%PDF-1.4\n1 0 obj << /Type /Catalog >> endobj\ntrailer << /Root 1 0 R >>\n%%EOF\n"


class Rewinding(io.BytesIO):
    """An upload body that can be sent more than once (the route walk calls each path twice)."""

    def read(self, size=-1):
        chunk = super().read(size)
        if not chunk:
            self.seek(0)
        return chunk

    def close(self):  # the test client closes uploads after sending; this one stays readable
        self.seek(0)


def upload(name: str = "报价单.pdf", content: bytes = PDF) -> dict:
    return {"data": {"file": (Rewinding(content), name)}, "content_type": "multipart/form-data"}


def audit_kinds(api, instance_id: int) -> list[str]:
    return [e["kind"] for e in api.get(f"/instances/{instance_id}/audit", "admin").get_json()["items"]]


def at_secretary(api) -> tuple[dict, int, int]:
    """A case whose draft yangfan completed: returns (case, draft id, 书记审批 id)."""
    case = api.start()
    draft = case["tasks"][0]["id"]
    answer = api.post(f"/tasks/{draft}/complete", "yangfan", json=DRAFT).get_json()
    return case, draft, answer["next_tasks"][0]["id"]


def at_members(api) -> tuple[dict, dict]:
    case, _, approve = at_secretary(api)
    opened = api.post(f"/tasks/{approve}/complete", "lijianguo", json=YES).get_json()["next_tasks"]
    return case, {t["mi_item"] or t["element_id"]: t["id"] for t in opened}


# -- 转办 / 委派 -------------------------------------------------------------------------------------------------------

def test_transfer_over_the_api(api, core):
    case = api.start()
    draft = case["tasks"][0]["id"]
    is_error(api.post(f"/tasks/{draft}/transfer", "zhangwei", json={"to": "zhoumin"}), 404)
    is_error(api.post(f"/tasks/{draft}/transfer", "supervisor", json={"to": "zhoumin"}), 403)
    assert "to" in is_error(api.post(f"/tasks/{draft}/transfer", "yangfan", json={}), 422)["details"]
    assert "to" in is_error(api.post(f"/tasks/{draft}/transfer", "yangfan", json={"to": "nobody"}), 422)["details"]
    response = api.post(f"/tasks/{draft}/transfer", "yangfan", json={"to": "zhoumin", "reason": "出差"})
    assert response.status_code == 200, response.get_json()
    body = response.get_json()
    conforms(body, "TaskRow")
    assert (body["assignee"], body["original_assignee"]) == ("周敏", "杨帆")
    assert [t["id"] for t in api.get("/tasks", "zhoumin").get_json()["items"]] == [draft]
    is_error(api.post(f"/tasks/{draft}/transfer", "yangfan", json={"to": "xulei"}), 403)  # no longer theirs
    api.post(f"/tasks/{draft}/complete", "zhoumin", json=DRAFT)
    is_error(api.post(f"/tasks/{draft}/transfer", "zhoumin", json={"to": "xulei"}), 409)
    assert audit_kinds(api, case["id"]).count("task.transferred") == 1


def test_delegate_over_the_api_and_the_delegates_complete_returns_it(api, core):
    case = api.start()
    draft = case["tasks"][0]["id"]
    body = api.post(f"/tasks/{draft}/delegate", "yangfan", json={"to": "zhoumin", "note": "请拟初稿"}).get_json()
    conforms(body, "TaskRow")
    assert (body["assignee"], body["delegate"]) == ("杨帆", "周敏")
    assert api.get("/tasks", "zhoumin").get_json()["items"][0]["delegated"] is True
    is_error(api.post(f"/tasks/{draft}/complete", "yangfan", json=DRAFT), 403)
    is_error(api.post(f"/tasks/{draft}/delegate", "yangfan", json={"to": "xulei"}), 409)
    returned = api.post(f"/tasks/{draft}/complete", "zhoumin", json={"data": {"amount": 10, "summary": "初稿内容"}})
    assert returned.status_code == 200 and returned.get_json()["next_tasks"] == []
    ops = api.get(f"/tasks/{draft}/operations", "yangfan").get_json()
    conforms(ops, "TaskOperations")
    assert ops["delegate_data"] == {"amount": 10, "summary": "初稿内容"} and ops["delegate_name"] is None
    finished = api.post(f"/tasks/{draft}/complete", "yangfan", json=DRAFT).get_json()
    assert [t["element_id"] for t in finished["next_tasks"]] == ["secretary_approve"]
    kinds = audit_kinds(api, case["id"])
    assert kinds.index("task.delegated") < kinds.index("task.delegation_returned") < kinds.index("task.completed")


def test_recall_delegation(api, core):
    draft = api.start()["tasks"][0]["id"]
    is_error(api.post(f"/tasks/{draft}/recall-delegation", "yangfan"), 409)  # nothing delegated
    api.post(f"/tasks/{draft}/delegate", "yangfan", json={"to": "zhoumin"})
    is_error(api.post(f"/tasks/{draft}/recall-delegation", "zhoumin"), 403)
    body = api.post(f"/tasks/{draft}/recall-delegation", "yangfan").get_json()
    assert body["delegate"] is None and body["assignee"] == "杨帆"


# -- 加签 / 减签 -------------------------------------------------------------------------------------------------------

def test_add_and_remove_signers_over_the_api(api, core):
    case, tasks = at_members(api)
    mine = tasks["wanghong"]
    added = api.post(f"/tasks/{mine}/add-signer", "wanghong", json={"user": "liuyang"})
    assert added.status_code == 200, added.get_json()
    body = added.get_json()
    conforms(body, "OperationResult")
    assert [(t["mi_item"], t["assignee"]) for t in body["opened"]] == [("liuyang", "刘洋")]
    is_error(api.post(f"/tasks/{mine}/add-signer", "wanghong", json={"user": "liuyang"}), 422)
    is_error(api.post(f"/tasks/{mine}/add-signer", "zhangwei", json={"user": "chenjing"}), 403)
    is_error(api.post(f"/tasks/{tasks['discipline_check']}/add-signer", "huangqiang", json={"user": "chenjing"}), 409)

    ops = api.get(f"/tasks/{mine}/operations", "wanghong").get_json()
    assert ops["add_signer"] is True
    assert sorted(r["mi_item"] for r in ops["remove_signer"]) == ["liuyang", "zhangwei"]
    assert "task" in is_error(api.post(f"/tasks/{mine}/remove-signer", "wanghong", json={"task": "x"}), 422)["details"]
    removed = api.post(f"/tasks/{mine}/remove-signer", "wanghong", json={"task": tasks["zhangwei"]}).get_json()
    assert [t["id"] for t in removed["closed"]] == [tasks["zhangwei"]] and removed["closed"][0]["state"] == "cancelled"
    is_error(api.post(f"/tasks/{tasks['zhangwei']}/complete", "zhangwei", json=YES), 409)
    kinds = audit_kinds(api, case["id"])
    assert kinds.count("task.signer_added") == 1 and kinds.count("task.signer_removed") == 1


# -- 退回 ------------------------------------------------------------------------------------------------------------

def test_send_back_needs_a_reason_and_an_allowed_target(api, core):
    case, tasks = at_members(api)
    review = tasks["wanghong"]
    path = f"/tasks/{review}/send-back"
    assert "reason" in is_error(api.post(path, "wanghong", json={}), 422)["details"]
    assert "reason" in is_error(api.post(path, "wanghong", json={"reason": "  "}), 422)["details"]
    is_error(api.post(path, "wanghong", json={"to_element": "draft", "reason": "重新起草"}), 403)  # not allowed
    assert "to_element" in is_error(api.post(path, "wanghong", json={"to_element": "archive", "reason": "x"}),
                                    422)["details"]
    is_error(api.post(path, "zhangwei", json={"reason": "x"}), 403)
    is_error(api.post(path, "hezhiming", json={"reason": "x"}), 404)
    targets = api.get(f"/tasks/{review}/operations", "wanghong").get_json()["send_back_targets"]
    assert targets == [{"element_id": "secretary_approve", "name": "书记审批", "default": True}]

    response = api.post(path, "wanghong", json={"reason": "请书记再斟酌"})
    assert response.status_code == 200, response.get_json()
    body = response.get_json()
    conforms(body, "OperationResult")
    assert [(t["element_id"], t["assignee"]) for t in body["opened"]] == [("secretary_approve", "李建国")]
    assert sorted(t["element_id"] for t in body["closed"]) == ["discipline_check", "member_review", "member_review"]
    reopened = body["opened"][0]["id"]
    note = api.get(f"/tasks/{reopened}/operations", "lijianguo").get_json()["sent_back"]
    assert (note["by"], note["reason"], note["from_name"]) == ("王红", "请书记再斟酌", "成员会签")
    utc(note["at"])
    is_error(api.post(path, "wanghong", json={"reason": "再退"}), 409)  # that task is gone
    assert "task.sent_back" in audit_kinds(api, case["id"])


# -- 撤回 ------------------------------------------------------------------------------------------------------------

def test_withdraw_a_step_over_the_api(api, core):
    case, draft, approve = at_secretary(api)
    is_error(api.post(f"/tasks/{draft}/withdraw", "lijianguo"), 403)
    is_error(api.post(f"/tasks/{draft}/withdraw", "zhangwei"), 404)
    is_error(api.post(f"/tasks/{approve}/withdraw", "lijianguo"), 409)  # not done yet
    assert api.get(f"/tasks/{draft}/operations", "yangfan").get_json()["withdraw"] is True
    body = api.post(f"/tasks/{draft}/withdraw", "yangfan").get_json()
    conforms(body, "OperationResult")
    assert [t["element_id"] for t in body["opened"]] == ["draft"] and [t["id"] for t in body["closed"]] == [approve]
    again = body["opened"][0]["id"]
    api.post(f"/tasks/{again}/complete", "yangfan", json=DRAFT)
    nxt = task_named(core, case["id"], "secretary_approve").id
    api.post(f"/tasks/{nxt}/complete", "lijianguo", json=YES)
    is_error(api.post(f"/tasks/{again}/withdraw", "yangfan"), 409)  # the secretary has acted
    assert audit_kinds(api, case["id"]).count("task.withdrawn") == 1


def test_withdraw_a_case_over_the_api(api, core):
    case, _, approve = at_secretary(api)
    is_error(api.post(f"/instances/{case['id']}/withdraw", "lijianguo"), 403)
    is_error(api.post(f"/instances/{case['id']}/withdraw", "zhangwei"), 404)
    response = api.post(f"/instances/{case['id']}/withdraw", "yangfan", json={"note": "不再申请"})
    assert response.status_code == 200, response.get_json()
    body = response.get_json()
    conforms(body, "OperationResult")
    assert body["instance_status"] == "cancelled" and [t["id"] for t in body["closed"]] == [approve]
    assert api.get(f"/instances/{case['id']}", "yangfan").get_json()["status"] == "cancelled"
    audit = api.get(f"/instances/{case['id']}/audit", "yangfan").get_json()["items"]
    assert audit[-1]["kind"] == "instance.withdrawn" and audit[-1]["payload"]["reason"] == "withdrawn"
    is_error(api.post(f"/instances/{case['id']}/withdraw", "yangfan"), 409)

    second, _, approve2 = at_secretary(api)
    api.post(f"/tasks/{approve2}/complete", "lijianguo", json=YES)
    is_error(api.post(f"/instances/{second['id']}/withdraw", "yangfan"), 409)


# -- 催办 / 抄送 -------------------------------------------------------------------------------------------------------

def test_urge_and_cc_over_the_api(api, core):
    case, _, approve = at_secretary(api)
    urged = api.post(f"/tasks/{approve}/urge", "supervisor", json={"message": "请本周办结"})
    assert urged.status_code == 201
    conforms(urged.get_json(), "UrgeResult")
    is_error(api.post(f"/tasks/{approve}/urge", "lijianguo", json={}), 409)  # one's own task
    is_error(api.post(f"/tasks/{approve}/urge", "hezhiming", json={}), 404)

    assert api.get("/tasks?view=cc", "zhoumin").get_json()["total"] == 0
    is_error(api.get(f"/instances/{case['id']}", "zhoumin"), 404)
    body = api.post(f"/tasks/{approve}/cc", "lijianguo", json={"users": ["zhoumin"], "note": "请知悉"}).get_json()
    conforms(body, "CcResult")
    assert body["added"] == ["zhoumin"]
    cc_view = api.get("/tasks?view=cc", "zhoumin").get_json()
    assert [i["id"] for i in cc_view["items"]] == [case["id"]]
    assert api.get(f"/instances/{case['id']}", "zhoumin").status_code == 200  # read access
    is_error(api.post(f"/tasks/{approve}/complete", "zhoumin", json=YES), 403)  # read only
    assert "users" in is_error(api.post(f"/tasks/{approve}/cc", "lijianguo", json={"users": "zhoumin"}),
                               422)["details"]
    is_error(api.post(f"/tasks/{approve}/cc", "zhoumin", json={"users": ["xulei"]}), 403)
    kinds = audit_kinds(api, case["id"])
    assert "task.urged" in kinds and kinds.count("instance.cc") == 1


# -- comments and attachments ----------------------------------------------------------------------------------------

def test_comments_over_the_api(api, core):
    case, _, approve = at_secretary(api)
    posted = api.post(f"/tasks/{approve}/comments", "lijianguo", json={"text": "请附报价单"})
    assert posted.status_code == 201
    conforms(posted.get_json(), "Comment")
    assert api.post(f"/instances/{case['id']}/comments", "supervisor", json={"text": "督办"}).status_code == 201
    is_error(api.post(f"/tasks/{approve}/comments", "lijianguo", json={"text": ""}), 422)
    is_error(api.post(f"/instances/{case['id']}/comments", "hezhiming", json={"text": "x"}), 404)
    listed = api.get(f"/instances/{case['id']}/comments", "yangfan").get_json()
    conforms(listed, "CommentList")
    assert [(c["author"], c["text"], c["task_name"]) for c in listed["items"]] == [
        ("李建国", "请附报价单", "书记审批"), ("督查专员蒋涛", "督办", None)]
    is_error(api.get(f"/instances/{case['id']}/comments", "hezhiming"), 404)
    timeline = api.get(f"/instances/{case['id']}/audit", "yangfan").get_json()["items"]
    assert [e["payload"]["text"] for e in timeline if e["kind"] == "comment.added"] == ["请附报价单", "督办"]


def test_attachments_over_the_api(api, core):
    case, _, approve = at_secretary(api)
    response = api.post(f"/tasks/{approve}/attachments", "lijianguo", **upload("../../报价单.PDF"))
    assert response.status_code == 201, response.get_json()
    body = response.get_json()
    conforms(body, "Attachment")
    assert (body["filename"], body["content_type"], body["size"]) == ("报价单.pdf", "application/pdf", len(PDF))

    download = api.get(body["url"][len("/api/v1"):], "yangfan")
    assert download.status_code == 200 and download.data == PDF
    assert download.headers["Content-Type"] == "application/pdf"
    assert download.headers["X-Content-Type-Options"] == "nosniff"
    disposition = download.headers["Content-Disposition"]
    assert disposition.startswith("attachment;") and "filename*=UTF-8''%E6%8A%A5%E4%BB%B7%E5%8D%95.pdf" in disposition
    is_error(api.get(body["url"][len("/api/v1"):], "hezhiming"), 404)
    is_error(api.get("/attachments/999999", "yangfan"), 404)

    listed = api.get(f"/instances/{case['id']}/attachments", "supervisor").get_json()
    conforms(listed, "AttachmentList")
    assert [a["filename"] for a in listed["items"]] == ["报价单.pdf"]

    html = api.post(f"/tasks/{approve}/attachments", "lijianguo",
                    **upload("page.pdf", b"<html><script>alert(1)</script>"))
    assert "file" in is_error(html, 422)["details"]
    assert "file" in is_error(api.post(f"/tasks/{approve}/attachments", "lijianguo", data={},
                                       content_type="multipart/form-data"), 422)["details"]
    is_error(api.post(f"/tasks/{approve}/attachments", "supervisor", **upload()), 403)
    is_error(api.post(f"/tasks/{approve}/attachments", "hezhiming", **upload()), 404)
    api.post(f"/tasks/{approve}/complete", "lijianguo", json=YES)
    is_error(api.post(f"/tasks/{approve}/attachments", "lijianguo", **upload()), 409)
    assert audit_kinds(api, case["id"]).count("attachment.added") == 1


def test_an_attachment_over_the_size_limit_is_refused(api, core, app):
    _, _, approve = at_secretary(api)
    limit = app.extensions["jiandu"].settings.attachment_max_bytes
    big = PDF + b"0" * (limit - len(PDF) + 1)
    is_error(api.post(f"/tasks/{approve}/attachments", "lijianguo", **upload("big.pdf", big)), 422)


# -- notifications, proxy, bulk --------------------------------------------------------------------------------------

def test_notifications_over_the_api(api, core):
    _, _, approve = at_secretary(api)
    api.post(f"/tasks/{approve}/urge", "yangfan", json={"message": "请尽快"})
    body = api.get("/notifications", "lijianguo").get_json()
    conforms(body, "NotificationList")
    assert [n["kind"] for n in body["items"]] == ["task.urged", "task.new"] and body["unread"] == 2
    assert api.get("/notifications?unread=1&limit=1", "lijianguo").get_json()["total"] == 1
    is_error(api.get("/notifications?limit=0", "lijianguo"), 422)
    first = body["items"][0]["id"]
    assert api.get("/notifications", "yangfan").get_json()["items"][0]["id"] != first  # own only
    assert api.post("/notifications/read", "yangfan", json={"ids": [first]}).get_json()["changed"] == 0
    read = api.post("/notifications/read", "lijianguo", json={"ids": [first]}).get_json()
    conforms(read, "ReadResult")
    assert read == {"changed": 1, "unread": 1}
    assert api.post("/notifications/read", "lijianguo", json={"all": True}).get_json() == {"changed": 1, "unread": 0}
    is_error(api.post("/notifications/read", "lijianguo", json={}), 422)


def test_proxy_over_the_api(api, core):
    client, headers = api.client, api.headers("lijianguo")
    assert api.get("/me/proxy", "lijianguo").get_json() == {"proxy": None}
    response = client.put("/api/v1/me/proxy", headers=headers,
                          json={"deputy": "zhangwei", "from": "2020-01-01", "to": "2099-12-31"})
    assert response.status_code == 422  # longer than a year
    today = date.today()
    response = client.put("/api/v1/me/proxy", headers=headers, json={
        "deputy": "zhangwei", "from": (today - timedelta(days=1)).isoformat(),
        "to": f"{(today + timedelta(days=30)).isoformat()}T18:00:00+08:00"})
    assert response.status_code == 200, response.get_json()
    body = response.get_json()
    conforms(body, "Proxy")
    assert body["deputy"] == "zhangwei" and body["deputy_name"] == "张伟"
    current = api.get("/me/proxy", "lijianguo").get_json()
    conforms(current, "CurrentProxy")
    assert current["proxy"]["deputy"] == "zhangwei"
    assert api.get("/me/proxy", "zhangwei").get_json() == {"proxy": None}  # someone else's is not shown
    bad = client.put("/api/v1/me/proxy", headers=headers, json={"deputy": "lijianguo", "from": "2026-01-01",
                                                                "to": "2026-01-02"})
    assert "deputy" in is_error(bad, 422)["details"]
    assert set(is_error(client.put("/api/v1/me/proxy", headers=headers, json={}), 422)["details"]) == \
        {"deputy", "from", "to"}
    assert client.delete("/api/v1/me/proxy", headers=headers).get_json() == {"revoked": 1}
    assert api.get("/me/proxy", "lijianguo").get_json() == {"proxy": None}


def test_bulk_over_the_api(api, core):
    drafts = [api.start(title=f"案件{i}")["tasks"][0]["id"] for i in range(3)]
    response = api.post("/tasks/bulk", "yangfan", json={"action": "transfer", "tasks": drafts + [999999],
                                                        "to": "zhoumin", "message": "请代办"})
    assert response.status_code == 200
    body = response.get_json()
    conforms(body, "BulkResult")
    assert (body["succeeded"], body["failed"]) == (3, 1)
    assert [(r["task"], r["status"]) for r in body["results"]][-1] == (999999, 404)
    urged = api.post("/tasks/bulk", "yangfan", json={"action": "urge", "tasks": drafts}).get_json()
    assert urged["succeeded"] == 3
    assert "action" in is_error(api.post("/tasks/bulk", "yangfan", json={"action": "approve", "tasks": drafts}),
                                422)["details"]
    assert "tasks" in is_error(api.post("/tasks/bulk", "yangfan", json={"action": "claim", "tasks": []}),
                               422)["details"]


# -- for the every-route walk in test_api_tasks ------------------------------------------------------------------------

def operations_walk(api, case) -> dict:
    """endpoint: (method, make path, unrelated user, refused statuses, right user, allowed status, request kwargs)"""
    def draft():
        return case()["tasks"][0]["id"]

    def secretary():
        return at_secretary(api)[2]

    def done_draft():
        return at_secretary(api)[1]

    def member():
        return at_members(api)[1]["wanghong"]

    def delegated():
        task = draft()
        api.post(f"/tasks/{task}/delegate", "yangfan", json={"to": "zhoumin"})
        return task

    def attachment():
        task = draft()
        return api.post(f"/tasks/{task}/attachments", "yangfan", **upload()).get_json()["id"]

    remove_body = {"task": 0}

    def remove_signer_path():  # the body names the other signer's task, known only once the case exists
        tasks = at_members(api)[1]
        remove_body["task"] = tasks["zhangwei"]
        return f"/tasks/{tasks['wanghong']}/remove-signer"

    today = date.today()
    proxy = {"deputy": "zhoumin", "from": today.isoformat(), "to": (today + timedelta(days=7)).isoformat()}
    mine = {200}
    return {
        "api.transfer_task": ("POST", lambda: f"/tasks/{draft()}/transfer", "zhangwei", {404}, "yangfan", 200,
                              {"json": {"to": "zhoumin"}}),
        "api.delegate_task": ("POST", lambda: f"/tasks/{draft()}/delegate", "zhangwei", {404}, "yangfan", 200,
                              {"json": {"to": "zhoumin"}}),
        "api.recall_delegation": ("POST", lambda: f"/tasks/{delegated()}/recall-delegation", "xulei", {404},
                                  "yangfan", 200, {}),
        "api.add_signer": ("POST", lambda: f"/tasks/{member()}/add-signer", "hezhiming", {404}, "wanghong", 200,
                           {"json": {"user": "liuyang"}}),
        "api.remove_signer": ("POST", remove_signer_path, "hezhiming", {404}, "yangfan", 200,
                              {"json": remove_body}),
        "api.send_back_task": ("POST", lambda: f"/tasks/{secretary()}/send-back", "zhangwei", {404}, "lijianguo",
                               200, {"json": {"reason": "请补充"}}),
        "api.withdraw_task": ("POST", lambda: f"/tasks/{done_draft()}/withdraw", "zhangwei", {404}, "yangfan", 200,
                              {}),
        "api.urge_task": ("POST", lambda: f"/tasks/{secretary()}/urge", "zhangwei", {404}, "yangfan", 201, {}),
        "api.copy_task": ("POST", lambda: f"/tasks/{draft()}/cc", "zhangwei", {404}, "yangfan", 200,
                          {"json": {"users": ["zhoumin"]}}),
        "api.task_operations": ("GET", lambda: f"/tasks/{draft()}/operations", "zhangwei", {404}, "yangfan", 200,
                                {}),
        "api.withdraw_instance": ("POST", lambda: f"/instances/{case()['id']}/withdraw", "zhangwei", {404},
                                  "yangfan", 200, {}),
        "api.bulk_tasks": ("POST", lambda: "/tasks/bulk", "hezhiming", mine, "yangfan", 200,
                           {"json": {"action": "urge", "tasks": [1]}}),
        "api.comment_on_task": ("POST", lambda: f"/tasks/{draft()}/comments", "zhangwei", {404}, "yangfan", 201,
                                {"json": {"text": "留言"}}),
        "api.comment_on_instance": ("POST", lambda: f"/instances/{case()['id']}/comments", "zhangwei", {404},
                                    "supervisor", 201, {"json": {"text": "督办"}}),
        "api.instance_comments": ("GET", lambda: f"/instances/{case()['id']}/comments", "zhangwei", {404},
                                  "yangfan", 200, {}),
        "api.upload_attachment": ("POST", lambda: f"/tasks/{draft()}/attachments", "zhangwei", {404}, "yangfan",
                                  201, upload()),
        "api.instance_attachments": ("GET", lambda: f"/instances/{case()['id']}/attachments", "zhangwei", {404},
                                     "supervisor", 200, {}),
        "api.download_attachment": ("GET", lambda: f"/attachments/{attachment()}", "zhangwei", {404}, "yangfan",
                                    200, {}),
        "api.list_notifications": ("GET", lambda: "/notifications", "hezhiming", mine, "yangfan", 200, {}),
        "api.read_notifications": ("POST", lambda: "/notifications/read", "hezhiming", mine, "yangfan", 200,
                                   {"json": {"all": True}}),
        "api.get_proxy": ("GET", lambda: "/me/proxy", "hezhiming", mine, "yangfan", 200, {}),
        "api.put_proxy": ("PUT", lambda: "/me/proxy", "zhoumin", {422}, "yangfan", 200, {"json": proxy}),
        "api.delete_proxy": ("DELETE", lambda: "/me/proxy", "hezhiming", mine, "yangfan", 200, {}),
    }

