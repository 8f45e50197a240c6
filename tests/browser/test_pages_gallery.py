"""The other pages in a real browser: they render without script errors, and their screenshots go to
test-artifacts/ (sign-in, start with its form and an error in place, profile with a new token, notifications,
an instance without diagram layout, a page that does not exist)."""
from __future__ import annotations

import re

import pytest
from playwright.sync_api import expect

from tests.support import deploy, start

pytestmark = pytest.mark.browser


def test_login_page(browser, live_server, artifacts):
    context = browser.new_context(base_url=live_server, locale="zh-CN", viewport={"width": 1400, "height": 900})
    page = context.new_page()
    page.goto("/tasks/1")
    page.wait_for_url(re.compile(r"/login\?next="))
    expect(page.locator("input[name=username]")).to_be_focused()
    page.fill("input[name=username]", "yangfan")
    page.fill("input[name=password]", "wrong")
    page.click("button[type=submit]")
    expect(page.locator(".alert-error")).to_contain_text("用户名或密码错误")
    page.screenshot(path=str(artifacts / "login.png"))
    context.close()


def test_start_profile_notifications_and_missing_pages(jd, sign_in, artifacts):
    deploy(jd, "core_flow_start.bpmn", "core_start.form", "core_draft.form", "core_approve.form", actor="owner")
    person = sign_in("yangfan")
    page = person.page

    page.goto("/start?key=core_flow")
    page.wait_for_selector("body[data-form-ready='1']")
    page.fill("#start-form input[name=title]", "专项检查")
    page.click("#start-submit")
    expect(page.locator("#start-errors")).to_be_visible()
    page.screenshot(path=str(artifacts / "start.png"), full_page=True)

    deploy(jd, "core_flow.bpmn", "core_draft.form", "core_approve.form", actor="owner")  # version 2: no layout
    case = start(jd, "yangfan", "core_flow", data={"members": ["wanghong"]}, title="无图流程")
    page.goto(f"/instances/{case.id}")
    expect(page.locator("#diagram")).to_contain_text("没有图形信息")

    page.goto("/profile")
    page.fill("input[name=name]", "数据同步")
    page.click("text=创建令牌")
    expect(page.locator("#new-token")).to_be_visible()
    page.screenshot(path=str(artifacts / "profile.png"), full_page=True)

    page.goto("/notifications")
    expect(page.locator(".note.unread")).to_have_count(1)
    page.screenshot(path=str(artifacts / "notifications.png"), full_page=True)
    page.click("text=全部标为已读")
    expect(page.locator(".note.unread")).to_have_count(0)
    expect(page.locator(".bell-count")).to_have_count(0)

    page.goto("/nowhere")
    expect(page.locator(".error-status")).to_have_text("404")
    page.screenshot(path=str(artifacts / "not-found.png"))
    assert not person.errors, person.errors


def test_deadlines_in_the_inbox(jd, sign_in, artifacts):
    """Overdue rows are red, rows due within two days amber; a queue task offers 认领."""
    from datetime import timedelta

    from sqlalchemy import update

    from service import clock
    from service.models import HumanTask
    from tests.http.test_pages import QUEUE_BPMN
    from tests.support import task_named

    deploy(jd, "core_flow.bpmn", "core_draft.form", "core_approve.form", actor="owner")
    deploy(jd, ("queue_flow.bpmn", QUEUE_BPMN), actor="owner")
    due = {"已超期的案件": timedelta(days=-3), "即将到期的案件": timedelta(hours=30), "期限充裕的案件": timedelta(days=9)}
    for title, delta in due.items():
        case = start(jd, "lijianguo", "core_flow", data={"members": ["wanghong"]}, title=title)
        with jd.db.write() as session:
            session.execute(update(HumanTask).where(HumanTask.id == task_named(jd, case.id, "draft").id)
                            .values(due_at=clock.now() + delta))
    start(jd, "lijianguo", "queue_flow", title="队列中的审阅")
    person = sign_in("wanghong")
    page = person.page
    expect(page.locator("tr", has_text="队列中的审阅").get_by_role("button", name="认领")).to_be_visible()
    # yangfan (office) holds the drafts
    person = sign_in("yangfan")
    page = person.page
    expect(page.locator("tr.due-overdue", has_text="已超期的案件")).to_contain_text("已超期 3 天")
    expect(page.locator("tr.due-soon", has_text="即将到期的案件")).to_contain_text("剩余 1 天")
    expect(page.locator("tr", has_text="期限充裕的案件")).not_to_have_class("due-overdue")
    page.click("th.sortable >> text=期限")  # first click: the most urgent first
    expect(page.locator("table.grid tbody tr").first).to_contain_text("已超期的案件")
    page.screenshot(path=str(artifacts / "inbox-deadlines.png"), full_page=True)
    assert not person.errors, person.errors
