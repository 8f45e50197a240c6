"""Small things on the pages that people noticed: names on per-member steps, the header's active tab and user menu,
代理设置 reachable, a comment form on the instance page, our empty-list class not colliding with the widgets', every
audit event worded (Chinese and English), and page labels that follow the page's language."""
from __future__ import annotations

import re
from pathlib import Path

import pytest
from babel.messages.pofile import read_po
from flask import Flask

from service.audit import timeline
from tests.http.conftest import csrf_token
from tests.support import complete, deploy, start, task_named

ROOT = Path(__file__).resolve().parents[2]
WEB = ROOT / "web"
CJK = re.compile(r"[\u4e00-\u9fff]")


def text(response) -> str:
    assert response.status_code == 200, response.status_code
    return response.get_data(as_text=True)


@pytest.fixture
def members(jd):
    """core_flow after its draft: one 成员会签 step per member (the step's item is the member's username)."""
    deploy(jd, "core_flow.bpmn", "core_draft.form", "core_approve.form", actor="owner")
    case = start(jd, "yangfan", "core_flow", data={"members": ["wanghong", "zhangwei"]}, title="购置办公设备")
    complete(jd, "yangfan", task_named(jd, case.id, "draft").id, {"amount": 10, "summary": "小额采购事项"})
    return case


# -- 1. per-member steps show the person's name ---------------------------------------------------------------------

def test_per_member_steps_show_names_not_usernames(jd, members, login_as):
    mine = task_named(jd, members.id, "member_review", "zhangwei")
    zhangwei = login_as("zhangwei")
    task_page = text(zhangwei.get(f"/tasks/{mine.id}"))
    assert '<span class="chip">张伟</span>' in task_page
    assert "王红" in task_page.split("同时进行的环节")[1]  # the parallel steps list names the other member too
    assert not re.search(r">\s*(· )?(zhangwei|wanghong)\s*<", task_page)

    instance_page = text(login_as("yangfan").get(f"/instances/{members.id}"))
    open_steps = instance_page.split('id="open-tasks"')[1].split("</table>")[0]
    assert '<span class="chip">王红</span>' in open_steps and '<span class="chip">张伟</span>' in open_steps
    assert "wanghong" not in open_steps and "zhangwei" not in open_steps

    inbox = text(zhangwei.get("/"))
    assert '<span class="chip">张伟</span>' in inbox and ">zhangwei<" not in inbox


def test_completing_names_the_next_per_member_steps(jd, login_as):
    deploy(jd, "core_flow.bpmn", "core_draft.form", "core_approve.form", actor="owner")
    case = start(jd, "yangfan", "core_flow", data={"members": ["wanghong", "zhangwei"]}, title="购置办公设备")
    client = login_as("yangfan")
    answer = client.post(f"/tasks/{task_named(jd, case.id, 'draft').id}/complete",
                         json={"data": {"amount": 10, "summary": "小额采购事项"}},
                         headers={"X-CSRFToken": csrf_token(client, "/")}).get_json()
    labels = {t["mi_item"]: t["mi_label"] for t in answer["next_tasks"] if t["mi_item"]}
    assert labels == {"wanghong": "王红", "zhangwei": "张伟"}


# -- 5. the header's active tab; 6. 代理设置 in the user menu and on the profile -------------------------------------------

def _active_tabs(html: str) -> list[str]:
    nav = html.split('class="mainnav"')[1].split("</nav>")[0]
    return re.findall(r'class="active"[^>]*>([^<]+)</a>', nav)


@pytest.mark.parametrize("path", ["/cases", "/dashboard", "/problems", "/processes/core_flow/heatmap"])
def test_the_supervision_tab_is_active_on_its_pages(members, login_as, path):
    assert _active_tabs(text(login_as("supervisor").get(path))) == ["督办"]


def test_the_processes_tab_is_active_on_its_pages(members, login_as):
    owner = login_as("owner")
    assert _active_tabs(text(owner.get("/processes"))) == ["流程管理"]
    assert _active_tabs(text(owner.get("/processes/core_flow/edit"))) == ["流程管理"]
    assert _active_tabs(text(owner.get("/"))) == ["待办"]


def test_proxy_settings_are_linked_from_the_user_menu_and_the_profile(jd, login_as):
    client = login_as("yangfan")
    inbox = text(client.get("/"))
    menu = inbox.split('class="usermenu"')[1].split("</details>")[0]
    assert 'href="/profile"' in menu and 'href="/me/proxy"' in menu and "代理设置" in menu and "退出" in menu
    profile = text(client.get("/profile"))
    section = profile.split('id="proxy"')[1].split("</section>")[0]
    assert 'href="/me/proxy"' in section and "未设置代理" in section

    client.post("/me/proxy", data={"deputy": "wanghong", "from": "2030-01-01", "to": "2030-01-10",
                                   "csrf_token": csrf_token(client, "/me/proxy")})
    section = text(client.get("/profile")).split('id="proxy"')[1].split("</section>")[0]
    assert "王红" in section and "尚未开始" in section
    english = text(client.get("/profile?lang=en"))
    assert "Proxy while away" in english.split('class="usermenu"')[1].split("</details>")[0]


# -- 7. a comment on the instance page --------------------------------------------------------------------------------

def test_comment_from_the_instance_page(jd, members, login_as):
    client = login_as("wanghong")  # a member with a step open: sees the case
    page = text(client.get(f"/instances/{members.id}"))
    form = page.split('id="instance-comment"')[0].rsplit("<form", 1)[1] + page.split('id="instance-comment"')[1]
    form = form.split("</form>")[0]
    assert f'action="/instances/{members.id}/comments"' in form and 'name="csrf_token"' in form
    assert 'name="text"' in form

    refused = client.post(f"/instances/{members.id}/comments", data={"text": "没有令牌"})
    assert refused.status_code == 400

    token = re.search(r'name="csrf_token" value="([^"]+)"', form).group(1)
    answer = client.post(f"/instances/{members.id}/comments",
                         data={"text": "请两位成员本周内完成会签。\n谢谢。", "csrf_token": token,
                               "next": f"/instances/{members.id}#timeline"})
    assert answer.status_code == 302 and answer.headers["Location"].endswith(f"/instances/{members.id}#timeline")
    page = text(client.get(f"/instances/{members.id}"))
    assert "留言已发布" in page
    timeline_part = page.split('id="timeline"')[1]
    assert "王红 留言：请两位成员本周内完成会签。\n谢谢。" in timeline_part


# -- 8. our empty-list class is ours -----------------------------------------------------------------------------------

def test_the_empty_list_class_does_not_collide_with_the_widgets():
    for template in (WEB / "templates").glob("*.html"):
        classes = re.findall(r'class="([^"]*)"', template.read_text(encoding="utf-8"))
        assert not [c for c in classes if "empty" in c.split()], template.name
    app_css = (WEB / "static" / "css" / "app.css").read_text(encoding="utf-8")
    assert not re.search(r"(^|[\s,}])\.empty\b", app_css)
    assert ".jd-empty" in app_css
    assert ".empty" not in (WEB / "static" / "css" / "editor.css").read_text(encoding="utf-8")


def test_empty_lists_use_the_renamed_class(jd, login_as):
    assert 'class="jd-empty"' in text(login_as("yangfan").get("/"))  # nothing to do yet


# -- 9. every audit event in the timeline, in both languages -------------------------------------------------------------

def _audit_kinds() -> set[str]:
    """Every event kind appended to the audit chain anywhere in service/ (and the sign-in in web/auth.py)."""
    kinds = set()
    sources = list((ROOT / "service").rglob("*.py")) + [WEB / "auth.py"]
    for path in sources:
        source = path.read_text(encoding="utf-8")
        kinds.update(re.findall(r'audit\.append\(\s*[\w.]+,\s*"([a-z_]+\.[a-z_]+)"', source))
        kinds.update(re.findall(r'end_cancelled\([^)]*?"([a-z_]+\.[a-z_]+)"', source))
    from service import records
    kinds.add(records.EVENT)
    return kinds


PAYLOAD = {"name": "Approve", "message": "Soon please", "reason": "Wrong unit", "text": "Noted", "filename": "a.pdf",
           "to": "wanghong", "from": "2030-01-01T00:00:00+00:00", "user": "zhangwei", "users": ["wanghong"],
           "deputy": "wanghong", "to_name": "Draft", "key": "core_flow", "version": 2, "form": "core_draft",
           "file": "core.bpmn", "problems": [], "candidates": ["wanghong"], "assignee": "wanghong",
           "record": {"quorum": {"should_attend": ["wanghong"], "present": ["wanghong"], "met": True}}}


def test_every_audit_event_kind_reads_as_a_sentence_in_both_languages(jd, app: Flask):
    kinds = _audit_kinds()
    assert {"task.urged", "task.assignment_retried", "comment.added", "proxy.set", "instance.withdrawn",
            "record.sealed", "token.created"} <= kinds and len(kinds) >= 35
    from web.views.common import timeline_entries
    events = [{"at": None, "kind": kind, "actor": "zhangwei", "payload": dict(PAYLOAD)} for kind in sorted(kinds)]
    for lang in ("zh_CN", "en"):
        with app.test_request_context(f"/?lang={lang}"):
            entries = {e["kind"]: e["text"] for e in timeline_entries(events)}
        for kind, sentence in entries.items():
            assert kind not in sentence, f"{lang}: {kind} is not worded: {sentence}"
            if lang == "en":
                assert not CJK.search(sentence.replace("张伟", "").replace("王红", "")), f"{kind}: {sentence}"
            else:
                assert "张伟" in sentence or kind in ("task.created", "task.cancelled", "task.overdue",
                                                      "instance.completed", "instance.error", "timer.fired"), kind


def test_an_urge_reads_as_who_urged_which_step(jd, members, login_as):
    mine = task_named(jd, members.id, "member_review", "zhangwei")
    supervisor = login_as("supervisor")
    supervisor.post(f"/tasks/{mine.id}/urge", data={"message": "", "csrf_token": csrf_token(supervisor, "/")})
    with jd.db.read() as session:
        assert [e["kind"] for e in timeline(session, members.id)][-1] == "task.urged"
    page = text(login_as("yangfan").get(f"/instances/{members.id}"))
    assert "督查专员蒋涛 催办“成员会签”：请尽快办理" in page
    english = text(login_as("yangfan").get(f"/instances/{members.id}?lang=en"))
    assert "urged “成员会签”: Please handle this soon" in english


def test_the_catalogue_has_no_untranslated_entries():
    with (WEB / "translations" / "en" / "LC_MESSAGES" / "messages.po").open("rb") as handle:
        catalogue = read_po(handle, locale="en")
    assert not [m.id for m in catalogue if m.id and not m.string]


# -- labels follow the page's language whichever language rendered the page first -------------------------------------

def test_dashboard_labels_follow_the_language_of_each_request(jd, members, login_as):
    supervisor = login_as("supervisor")
    chinese = text(supervisor.get("/dashboard?lang=zh_CN"))
    assert '"running": "进行中"' in chinese
    english = text(supervisor.get("/dashboard?lang=en"))
    assert '"running": "Running"' in english
