"""The approval operations on the pages (issue 7): the task page's partial, the inbox's bulk bar, the proxy page.
Form posts carry the CSRF token as the pages do; refusals come back to the page with the service's message."""
from __future__ import annotations

import io
import re

import pytest
from babel.messages.extract import extract_from_file

from service.models import HumanTask, ProcessInstance
from tests.http.conftest import csrf_token
from tests.http.test_pages_i18n import PLACEHOLDER, WEB, _catalogue
from tests.support import complete, deploy, one_step_bpmn, open_tasks, start, task_named, user

MEMBERS = {"members": ["wanghong", "zhangwei"]}
DRAFT = {"amount": 5000, "summary": "购置办公设备"}
PDF = b"%PDF-1.4\n1 0 obj << /Type /Catalog >> endobj\ntrailer << /Root 1 0 R >>\n%%EOF\n"
QUEUE = one_step_bpmn("page_queue", "页面队列", "成员审阅", "member")


@pytest.fixture
def core(jd):
    deploy(jd, "core_flow.bpmn", "core_draft.form", "core_approve.form", actor="owner")
    return jd


@pytest.fixture
def case(core):
    return start(core, "yangfan", "core_flow", data=MEMBERS, title="购置办公设备")


def text(response) -> str:
    return response.get_data(as_text=True)


def post(client, path, data=None, **kwargs):
    return client.post(path, data={"csrf_token": csrf_token(client, "/"), **(data or {})}, **kwargs)


def flashes(client) -> str:
    return " ".join(re.findall(r'class="flash flash-\w+"[^>]*>([^<]*)<', text(client.get("/"))))


def row(jd, task_id) -> HumanTask:
    with jd.db.read() as session:
        return session.get(HumanTask, task_id)


@pytest.mark.parametrize("path", ["/tasks/1/transfer", "/tasks/1/delegate", "/tasks/1/recall-delegation",
                                  "/tasks/1/add-signer", "/tasks/1/remove-signer", "/tasks/1/send-back",
                                  "/tasks/1/withdraw", "/tasks/1/urge", "/tasks/1/cc", "/tasks/1/comments",
                                  "/tasks/1/attachments", "/instances/1/withdraw", "/instances/1/comments",
                                  "/inbox/bulk", "/me/proxy", "/me/proxy/revoke"])
def test_operations_refuse_anonymous_people(client, path):
    response = client.post(path, data={"csrf_token": csrf_token(client, "/login")})
    assert response.status_code == 302 and response.headers["Location"].startswith("/login")


@pytest.mark.parametrize("path", ["/attachments/1", "/me/proxy"])
def test_pages_send_anonymous_people_to_sign_in(client, path):
    response = client.get(path)
    assert response.status_code == 302 and response.headers["Location"].startswith("/login")


def test_the_task_page_offers_what_the_holder_may_do(jd, login_as, case):
    draft = task_named(jd, case.id, "draft").id
    html = text(login_as("yangfan").get(f"/tasks/{draft}"))
    for needle in ('id="task-actions"', "/static/js/task_actions.js", f'action="/tasks/{draft}/transfer"',
                   f'action="/tasks/{draft}/delegate"', f'action="/tasks/{draft}/cc"',
                   f'action="/tasks/{draft}/comments"', f'action="/tasks/{draft}/attachments"',
                   f'action="/instances/{case.id}/withdraw"', '<datalist id="jd-people">', "留言与附件"):
        assert needle in html, needle
    assert f'action="/tasks/{draft}/send-back"' not in html  # the first step: nothing to send back to
    assert f'action="/tasks/{draft}/urge"' not in html  # one's own task
    forms = re.findall(r"<form[^>]*method=\"post\"[^>]*>(.*?)</form>", html, re.S)
    assert forms and all('name="csrf_token"' in f for f in forms)
    assert not re.search(r"\son[a-z]+=", html)  # no inline handlers (CSP)

    supervisor = text(login_as("supervisor").get(f"/tasks/{draft}"))
    assert f'action="/tasks/{draft}/urge"' in supervisor and f'action="/tasks/{draft}/transfer"' not in supervisor


def test_transfer_from_the_page(jd, login_as, case):
    draft = task_named(jd, case.id, "draft").id
    client = login_as("yangfan")
    assert client.post(f"/tasks/{draft}/transfer", data={"to": "zhoumin"}).status_code == 400  # no CSRF token
    response = post(client, f"/tasks/{draft}/transfer", {"to": "nobody"})
    assert response.status_code == 302 and response.headers["Location"] == f"/tasks/{draft}"
    assert "人员不存在或已停用" in flashes(client)
    response = post(client, f"/tasks/{draft}/transfer", {"to": "zhoumin", "reason": "出差"})
    assert response.status_code == 302 and response.headers["Location"] == "/"
    assert "已将“起草事项”转办给 周敏" in flashes(client)
    assert row(jd, draft).assignee_id == user(jd, "zhoumin").id
    timeline = text(login_as("zhoumin").get(f"/tasks/{draft}"))
    assert "杨帆 将“起草事项”转办给 周敏" in timeline
    assert post(login_as("hezhiming"), f"/tasks/{draft}/transfer", {"to": "xulei"}).status_code == 404


def test_delegation_round_trip_on_the_pages(jd, login_as, case):
    draft = task_named(jd, case.id, "draft").id
    holder = login_as("yangfan")
    post(holder, f"/tasks/{draft}/delegate", {"to": "zhoumin", "note": "请拟初稿"})
    assert "已将“起草事项”委派给 周敏" in flashes(holder)
    page = text(holder.get(f"/tasks/{draft}"))
    assert 'id="delegated-note"' in page and f'action="/tasks/{draft}/recall-delegation"' in page
    delegate = login_as("zhoumin")
    assert f'href="/tasks/{draft}"' in text(delegate.get("/"))  # in the delegate's 待办
    complete(jd, "zhoumin", draft, {"amount": 4200, "summary": "受托拟稿"})
    page = text(holder.get(f"/tasks/{draft}"))
    assert 'id="delegate-input"' in page and "受托拟稿" in page and "金额（元）" in page


def test_send_back_from_the_page_needs_a_reason(jd, login_as, case):
    complete(jd, "yangfan", task_named(jd, case.id, "draft").id, DRAFT)
    approve = task_named(jd, case.id, "secretary_approve").id
    client = login_as("lijianguo")
    page = text(client.get(f"/tasks/{approve}"))
    assert f'action="/tasks/{approve}/send-back"' in page and "起草事项（上一环节）" in page
    post(client, f"/tasks/{approve}/send-back", {"to_element": "draft", "reason": ""})
    assert "请填写原因" in flashes(client) and row(jd, approve).state == "open"
    response = post(client, f"/tasks/{approve}/send-back", {"to_element": "draft", "reason": "请补充报价"})
    assert response.headers["Location"] == "/" and row(jd, approve).state == "cancelled"
    reopened = task_named(jd, case.id, "draft").id
    page = text(login_as("yangfan").get(f"/tasks/{reopened}"))
    assert 'id="sent-back-note"' in page and "请补充报价" in page
    assert "李建国 将“书记审批”退回到“起草事项”，原因：请补充报价" in page


def test_withdraw_a_step_and_a_case_from_the_pages(jd, login_as, case):
    draft = task_named(jd, case.id, "draft").id
    complete(jd, "yangfan", draft, DRAFT)
    client = login_as("yangfan")
    assert f'action="/tasks/{draft}/withdraw"' in text(client.get(f"/tasks/{draft}"))
    response = post(client, f"/tasks/{draft}/withdraw")
    reopened = task_named(jd, case.id, "draft").id
    assert response.headers["Location"] == f"/tasks/{reopened}"
    response = post(client, f"/instances/{case.id}/withdraw", {"next": f"/tasks/{reopened}"})
    assert response.headers["Location"] == f"/instances/{case.id}"
    with jd.db.read() as session:
        assert session.get(ProcessInstance, case.id).status == "cancelled"
    post(client, f"/instances/{case.id}/withdraw", {"next": f"/tasks/{reopened}"})
    assert "流程已结束" in flashes(client)


def test_urge_cc_and_comment_from_the_pages(jd, login_as, case):
    draft = task_named(jd, case.id, "draft").id
    post(login_as("supervisor"), f"/tasks/{draft}/urge", {"message": "请尽快"})
    client = login_as("yangfan")
    post(client, f"/tasks/{draft}/cc", {"users": "zhoumin，xulei"})
    assert "已抄送：周敏、徐磊" in flashes(client)
    assert f'href="/instances/{case.id}"' in text(login_as("zhoumin").get("/inbox/cc"))
    response = post(client, f"/tasks/{draft}/comments", {"text": "已联系供应商"})
    assert response.headers["Location"].endswith("#task-discussion")
    page = text(client.get(f"/tasks/{draft}"))
    assert "已联系供应商" in page and "杨帆 抄送给 周敏、徐磊" in page and "督查专员蒋涛 催办“起草事项”：请尽快" in page
    post(client, f"/tasks/{draft}/comments", {"text": " "})
    assert "请填写留言内容" in flashes(client)


def test_attachments_on_the_page(jd, login_as, case):
    draft = task_named(jd, case.id, "draft").id
    client = login_as("yangfan")
    post(client, f"/tasks/{draft}/attachments", {"file": (io.BytesIO(PDF), "报价单.pdf")},
         content_type="multipart/form-data")
    page = text(client.get(f"/tasks/{draft}"))
    link = re.search(r'href="(/attachments/\d+)">报价单.pdf</a>', page).group(1)
    download = client.get(link)
    assert download.status_code == 200 and download.data == PDF
    assert download.headers["Content-Disposition"].startswith("attachment;")
    assert download.headers["X-Content-Type-Options"] == "nosniff"
    assert login_as("zhangwei").get(link).status_code == 404
    post(client, f"/tasks/{draft}/attachments", {"file": (io.BytesIO(b"<script>"), "x.pdf")},
         content_type="multipart/form-data")
    assert "文件内容与扩展名不符" in flashes(client)


def test_bulk_claim_from_the_inbox(jd, login_as, core):
    deploy(jd, ("page_queue.bpmn", QUEUE), actor="owner")
    tasks = [task_named(jd, start(jd, "yangfan", "page_queue", data={}, title=f"队列{i}").id, "review").id
             for i in range(3)]
    client = login_as("wanghong")
    inbox = text(client.get("/"))
    assert 'id="bulk-form"' in inbox and "/static/js/inbox_bulk.js" in inbox
    response = post(client, "/inbox/bulk", {"action": "claim", "tasks": [str(t) for t in tasks[:2]] + ["999999"],
                                            "next": "/?page=1"})
    assert response.headers["Location"] == "/?page=1"
    messages = flashes(client)
    assert "批量操作完成 2 项" in messages and "任务 999999 未能办理" in messages
    assert [row(jd, t).assignee_id for t in tasks] == [user(jd, "wanghong").id] * 2 + [None]
    post(client, "/inbox/bulk", {"action": "transfer", "tasks": [str(tasks[0])]})
    assert "请选择人员" in flashes(client)
    assert not open_tasks(jd, 999999)


def test_proxy_page(jd, login_as):
    client = login_as("lijianguo")
    assert "未设置代理" in text(client.get("/me/proxy"))
    post(client, "/me/proxy", {"deputy": "zhangwei", "from": "2020-01-01", "to": "2020-01-05"})
    assert "代理期限已过" in flashes(client)
    from datetime import date, timedelta
    today = date.today()
    post(client, "/me/proxy", {"deputy": "zhangwei", "from": today.isoformat(),
                               "to": (today + timedelta(days=3)).isoformat()})
    page = text(client.get("/me/proxy"))
    assert "代理人：张伟" in page
    post(client, "/me/proxy/revoke")
    assert "未设置代理" in text(client.get("/me/proxy"))


def test_the_operations_speak_english(jd, login_as, case):
    client = login_as("yangfan")
    html = text(client.get(f"/tasks/{task_named(jd, case.id, 'draft').id}?lang=en"))
    for english in ("More actions", "Transfer", "Delegate", "Copy to", "Withdraw case", "Comments and attachments"):
        assert english in html, english


def test_every_string_of_the_operations_pages_has_an_english_translation():
    catalogue = _catalogue()
    sources = [(WEB / "templates" / f"{name}.html", "jinja2.ext:babel_extract")
               for name in ("_task_actions", "_inbox_bulk", "proxy")]
    sources.append((WEB / "views" / "task_actions.py", "python"))
    missing = []
    for path, method in sources:
        for lineno, message, _comments, context in extract_from_file(method, str(path)):
            message = message[1] if isinstance(message, tuple) and context else message
            message = message[0] if isinstance(message, tuple) else message
            entry = catalogue.get(message, context=context)
            if not (entry and entry.string):
                missing.append(f"{path.name}:{lineno}: {message}")
            elif sorted(PLACEHOLDER.findall(message)) != sorted(PLACEHOLDER.findall(entry.string)):
                missing.append(f"{path.name}:{lineno}: placeholders differ: {message}")
    assert not missing, "\n".join(missing)
