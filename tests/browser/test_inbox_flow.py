"""A case handed between two people in the browser, in Chinese: sign in, start a process from the start page, see
the task arrive in the right inbox (and not in another's), fill the form with a mistake, see the error next to the
field, correct it, complete it, see the confirmation naming the next step and its owner, and find that step in
the next person's inbox. Screenshots of the inbox, the task page and the instance page go to test-artifacts/."""
from __future__ import annotations

import re

import pytest
from playwright.sync_api import expect

from tests.support import deploy

pytestmark = pytest.mark.browser

TITLE = "购置办公设备（浏览器测试）"


@pytest.fixture
def core_with_start_form(jd):
    deploy(jd, "core_flow_start.bpmn", "core_start.form", "core_draft.form", "core_approve.form", actor="owner")
    return jd


def top_screenshot(page, path):
    """A full-page screenshot from the top (the header is sticky, so a scrolled page would show it mid-page)."""
    page.wait_for_timeout(800)  # let the page's own smooth scrolling finish first
    page.evaluate("window.scrollTo({top: 0, behavior: 'instant'})")
    page.wait_for_function("window.scrollY === 0")
    page.screenshot(path=str(path), full_page=True)


def field(page, label: str):
    """The form-js field (label, input, error list) whose label starts with `label`."""
    return page.locator(".fjs-form-field").filter(has=page.locator(".fjs-form-field-label", has_text=label)).first


def test_start_fill_correct_complete_and_hand_over(core_with_start_form, sign_in, artifacts):
    yangfan = sign_in("yangfan")
    page = yangfan.page

    # -- start the process from the start page, with its start form ---------------------------------------------
    page.click("nav.mainnav >> text=发起")
    page.click("a.choice:has-text('核心流程测试')")
    expect(page.locator("#start-form select[name=unit]")).to_have_value("district")
    page.fill("#start-form input[name=title]", TITLE)
    page.wait_for_selector("body[data-form-ready='1']")
    page.click("#start-submit")  # no members chosen: the start form says so in place
    expect(field(page, "参与会签的班子成员").locator(".fjs-form-field-error")).to_contain_text("此项为必填项")
    field(page, "参与会签的班子成员").get_by_label("王红").check()
    field(page, "参与会签的班子成员").get_by_label("张伟").check()
    page.click("#start-submit")
    page.wait_for_url(re.compile(r"/tasks/\d+$"))  # yangfan holds the first step: straight to it
    expect(page.locator(".flash-success")).to_contain_text(TITLE)
    task_url = page.url

    # -- the draft is in yangfan's inbox, and not in zhangwei's -------------------------------------------------
    page.click("nav.mainnav >> text=待办")
    row = page.locator("table.grid tbody tr", has_text=TITLE)
    expect(row).to_have_count(1)
    expect(row).to_contain_text("起草事项")
    expect(row).to_contain_text("核心流程测试")
    expect(row).to_contain_text("示例区委")
    expect(page.locator(".tab.active .tab-count")).to_have_text("1")
    page.screenshot(path=str(artifacts / "inbox-yangfan.png"), full_page=True)

    zhangwei = sign_in("zhangwei")
    expect(zhangwei.page.locator("h1")).to_contain_text("我的工作台")
    expect(zhangwei.page.locator("table.grid tbody tr", has_text=TITLE)).to_have_count(0)

    # -- fill the form with a mistake: 事项说明 missing ------------------------------------------------------------
    row.get_by_role("link", name="办理").click()
    page.wait_for_url(task_url)
    page.wait_for_selector("body[data-form-ready='1']")
    expect(page.locator(".page-head h1")).to_contain_text("起草事项")
    expect(page.locator(".timeline")).to_contain_text("杨帆 发起了流程")
    field(page, "金额").locator("input").fill("5000")
    page.click("#submit-task")
    summary_error = field(page, "事项说明").locator(".fjs-form-field-error")
    expect(summary_error).to_contain_text("此项为必填项")
    expect(page.locator("#form-errors")).to_contain_text("事项说明")
    top_screenshot(page, artifacts / "task-with-error.png")

    # the server's own verdict lands next to the field too (here: too short), and nothing typed is lost
    page.evaluate("window.JDTask.send({amount: 5000, summary: '短'})")
    expect(summary_error).to_contain_text("不能少于 4 个字符")
    expect(field(page, "金额").locator("input")).to_have_value("5000")

    # -- correct it and complete it -------------------------------------------------------------------------------
    field(page, "事项说明").locator("textarea").fill("购置办公设备一批，用于新办公区")
    expect(summary_error).to_have_count(0)
    page.click("#submit-task")
    done = page.locator("#task-done")
    expect(done).to_be_visible()
    expect(done).to_contain_text("办理完成")
    expect(done.locator(".next-step")).to_contain_text("书记审批")
    expect(done.locator(".next-step")).to_contain_text("李建国")
    expect(page.locator("#submit-task")).to_be_hidden()
    top_screenshot(page, artifacts / "task-completed.png")

    # -- the next step is in lijianguo's inbox ----------------------------------------------------------------
    lijianguo = sign_in("lijianguo")
    next_row = lijianguo.page.locator("table.grid tbody tr", has_text=TITLE)
    expect(next_row).to_have_count(1)
    expect(next_row).to_contain_text("书记审批")
    lijianguo.page.screenshot(path=str(artifacts / "inbox-lijianguo.png"), full_page=True)

    # -- the instance page: where the case stands, on the diagram ------------------------------------------------
    next_row.locator("a.quiet").click()
    page2 = lijianguo.page
    page2.wait_for_selector("#diagram[data-state='ready']")
    expect(page2.locator(".djs-element.jd-completed[data-element-id='draft']")).to_have_count(1)
    expect(page2.locator(".djs-element.jd-current[data-element-id='secretary_approve']")).to_have_count(1)
    expect(page2.locator("#completed-tasks")).to_contain_text("杨帆")
    expect(page2.locator("#open-tasks")).to_contain_text("李建国")
    page2.screenshot(path=str(artifacts / "instance.png"), full_page=True)

    assert not yangfan.errors and not lijianguo.errors, yangfan.errors + lijianguo.errors


def test_pages_switch_to_english(core_with_start_form, sign_in, artifacts):
    person = sign_in("yangfan")
    page = person.page
    page.click(".lang-switch a")
    expect(page.locator("nav.mainnav")).to_contain_text("To do")
    expect(page.locator(".usernav")).to_contain_text("Sign out")
    page.click("nav.mainnav >> text=Start")
    expect(page.locator("h1")).to_contain_text("Start a process")
    page.wait_for_selector("body[data-form-ready='1']")
    page.screenshot(path=str(artifacts / "start-en.png"), full_page=True)
    page.click(".lang-switch a")
    expect(page.locator("nav.mainnav")).to_contain_text("待办")
    assert not person.errors, person.errors
