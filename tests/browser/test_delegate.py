"""委派 in the browser: the holder delegates a task from the task page, the delegate finds it in their 待办, fills
the form and submits, and the task comes back to the holder with the delegate's input shown; the holder then
completes it and the case moves on. Also: bulk claim from the inbox. Screenshots go to test-artifacts/."""
from __future__ import annotations

import re

import pytest
from playwright.sync_api import expect

from tests.support import deploy, one_step_bpmn, start, task_named

pytestmark = pytest.mark.browser

TITLE = "购置办公设备（委派测试）"
QUEUE = one_step_bpmn("browser_queue", "浏览器队列", "成员审阅", "member")


@pytest.fixture
def core(jd):
    deploy(jd, "core_flow.bpmn", "core_draft.form", "core_approve.form", actor="owner")
    return jd


def field(page, label: str):
    return page.locator(".fjs-form-field").filter(has=page.locator(".fjs-form-field-label", has_text=label)).first


def test_delegate_a_task_and_see_it_come_back(core, sign_in, artifacts):
    case = start(core, "yangfan", "core_flow", data={"members": ["wanghong", "zhangwei"]}, title=TITLE)
    draft = task_named(core, case.id, "draft").id

    # -- the holder delegates from the task page ------------------------------------------------------------------
    yangfan = sign_in("yangfan")
    page = yangfan.page
    page.goto(f"/tasks/{draft}")
    page.wait_for_selector("#task-actions[data-ready='1']")
    page.click("details[data-op='delegate'] > summary")
    panel = page.locator("details[data-op='delegate'] form")
    expect(panel.locator("input[name=to]")).to_be_focused()
    panel.locator("input[name=to]").fill("zhoumin")
    panel.locator("input[name=note]").fill("请先拟个初稿")
    panel.locator("button[type=submit]").click()
    expect(page.locator(".flash-success")).to_contain_text("已将“起草事项”委派给 周敏")
    expect(page.locator("#delegated-note")).to_contain_text("周敏")
    expect(page.locator("#submit-task")).to_have_count(0)  # while delegated the holder cannot submit
    page.screenshot(path=str(artifacts / "delegate-holder-waiting.png"), full_page=True)

    # -- the delegate finds it in 待办 and works on it -------------------------------------------------------------
    zhoumin = sign_in("zhoumin")
    row = zhoumin.page.locator("table.grid tbody tr", has_text=TITLE)
    expect(row).to_have_count(1)
    expect(row.locator(".chip-info")).to_contain_text("委派")
    row.get_by_role("link", name="办理").click()
    zhoumin.page.wait_for_url(re.compile(rf"/tasks/{draft}$"))
    zhoumin.page.wait_for_selector("body[data-form-ready='1']")
    field(zhoumin.page, "金额").locator("input").fill("4800")
    field(zhoumin.page, "事项说明").locator("textarea").fill("初稿：购置办公设备十台")
    zhoumin.page.click("#submit-task")
    expect(zhoumin.page.locator("#task-done")).to_be_visible()
    zhoumin.page.goto("/")
    expect(zhoumin.page.locator("table.grid tbody tr", has_text=TITLE)).to_have_count(0)

    # -- back with the holder, the delegate's input shown --------------------------------------------------------
    page.goto("/")
    expect(page.locator("table.grid tbody tr", has_text=TITLE)).to_have_count(1)
    page.goto(f"/tasks/{draft}")
    page.wait_for_selector("body[data-form-ready='1']")
    delegate_input = page.locator("#delegate-input")
    expect(delegate_input).to_contain_text("初稿：购置办公设备十台")
    expect(delegate_input).to_contain_text("金额（元）")
    expect(page.locator(".timeline")).to_contain_text("杨帆 将“起草事项”委派给 周敏")
    page.screenshot(path=str(artifacts / "delegate-returned.png"), full_page=True)
    field(page, "金额").locator("input").fill("4800")
    field(page, "事项说明").locator("textarea").fill("购置办公设备十台（经周敏拟稿）")
    page.click("#submit-task")
    expect(page.locator("#task-done .next-step")).to_contain_text("书记审批")
    assert not yangfan.errors and not zhoumin.errors, yangfan.errors + zhoumin.errors


def test_bulk_claim_from_the_inbox(core, sign_in, artifacts):
    deploy(core, ("browser_queue.bpmn", QUEUE), actor="owner")
    for n in range(3):
        start(core, "yangfan", "browser_queue", data={}, title=f"批量认领{n}")
    wanghong = sign_in("wanghong")
    page = wanghong.page
    page.goto("/")
    bar = page.locator("#bulk-form")
    expect(bar).to_be_visible()
    page.locator("table.grid tbody tr", has_text="批量认领0").locator("input.bulk-pick").check()
    page.locator("table.grid tbody tr", has_text="批量认领2").locator("input.bulk-pick").check()
    expect(bar.locator(".bulk-count")).to_have_text("已选 2 项")
    bar.locator("button[type=submit]").click()
    expect(page.locator(".flash-success")).to_contain_text("批量操作完成 2 项")
    for n, claimed in ((0, True), (1, False), (2, True)):
        holder = page.locator("table.grid tbody tr", has_text=f"批量认领{n}")
        if claimed:
            expect(holder).to_contain_text("王红")
        else:
            expect(holder.locator(".chip-queue")).to_have_count(1)
    page.screenshot(path=str(artifacts / "inbox-bulk.png"), full_page=True)
    assert not wanghong.errors, wanghong.errors
