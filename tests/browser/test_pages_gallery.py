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


# -- every page, as three people, in both languages, at a desktop and a phone width -----------------------------------

VIEWPORTS = {"desktop": {"width": 1400, "height": 900}, "phone": {"width": 390, "height": 844}}
LANGUAGES = ("zh_CN", "en")


# The outermost elements that stick out of the window on the right (not clipped by a scrolling ancestor).
WIDE_ELEMENTS = """() => {
  const limit = window.innerWidth, found = [];
  const clipped = (el) => { for (let p = el.parentElement; p; p = p.parentElement) {
    const o = getComputedStyle(p).overflowX; if (o === 'auto' || o === 'scroll' || o === 'hidden') return true; }
    return false; };
  for (const el of document.body.querySelectorAll('*')) {
    const r = el.getBoundingClientRect();
    if (r.width && r.right > limit + 1 && !clipped(el) && !found.some((f) => f.contains(el))) found.push(el);
  }
  return found.slice(0, 5).map((el) => el.tagName.toLowerCase() + (el.id ? '#' + el.id : '')
    + (el.className && typeof el.className === 'string' ? '.' + el.className.trim().split(/\\s+/).join('.') : '')
    + ' ' + Math.round(el.getBoundingClientRect().right) + 'px');
}"""


def _gallery_pages(username: str, scenes) -> list[tuple[str, str]]:
    common = [("inbox", "/"), ("done", "/inbox/done"), ("start", "/start?key=major_decision"),
              ("instance", f"/instances/{scenes.meeting}"), ("profile", "/profile"), ("proxy", "/me/proxy"),
              ("notifications", "/notifications")]
    own = {
        "yangfan": [("task", f"/tasks/{scenes.draft_task}"), ("instance-draft", f"/instances/{scenes.draft}")],
        "lijianguo": [("task-secretary", f"/tasks/{scenes.secretary_task}"),
                      ("instance-secretary", f"/instances/{scenes.secretary}")],
        "supervisor": [("task-member", f"/tasks/{scenes.zhangwei_task}"), ("cases", "/cases"),
                       ("case", f"/cases/{scenes.meeting}"), ("record", f"/cases/{scenes.meeting}/record"),
                       ("dashboard", "/dashboard"), ("problems", "/problems"),
                       ("heatmap", "/processes/major_decision/heatmap")],
    }
    return common + own[username]


def _settle(page) -> None:
    """Wait until what the page draws by script (form, diagram, charts) is drawn."""
    if page.locator("#task-form, #start-form-host").count():
        page.wait_for_selector("body[data-form-ready='1']")
    if page.locator("#diagram").count():
        page.wait_for_selector("#diagram[data-state]")
    if page.locator("#chart-status").count():
        page.wait_for_selector("html[data-charts]")


@pytest.mark.parametrize("username", ["yangfan", "lijianguo", "supervisor"])
def test_gallery(jd, sign_in, artifacts, username):
    """Each page of the person's day, in Chinese and English, 1400×900 and 390×844: no script error, nothing wider
    than the window (a wide table scrolls inside its card). Screenshots: test-artifacts/gallery/."""
    from tests.browser import scenes as scene_data

    scenes = scene_data.build(jd)
    folder = artifacts / "gallery"
    folder.mkdir(exist_ok=True)
    person = sign_in(username)
    page = person.page
    too_wide = []
    for lang in LANGUAGES:
        page.goto(f"/?lang={lang}")
        for size, viewport in VIEWPORTS.items():
            page.set_viewport_size(viewport)
            for name, path in _gallery_pages(username, scenes):
                page.goto(path)
                _settle(page)
                width = page.evaluate("document.documentElement.scrollWidth")
                if width > viewport["width"]:
                    too_wide.append(f"{lang} {size} {name} ({path}): {width}px: {page.evaluate(WIDE_ELEMENTS)}")
                page.screenshot(path=str(folder / f"{username}-{lang}-{size}-{name}.png"), full_page=True)
    assert not person.errors, person.errors
    assert not too_wide, "wider than the window:\n" + "\n".join(too_wide)
