"""Small things on the pages, in a real browser: the error summary follows the person's corrections, the timeline
catches up after a completion, the members' reasons keep their line breaks on the secretary's form, per-member steps
show names, the instance page takes a comment, the header shows where one is and its menu leads to 代理设置.
Screenshots go to test-artifacts/."""
from __future__ import annotations

import re

import pytest
from playwright.sync_api import expect

from tests.browser import scenes as scene_data

pytestmark = pytest.mark.browser


def form_field(page, label: str):
    return page.locator(".fjs-form-field").filter(has=page.locator(".fjs-form-field-label", has_text=label)).first


@pytest.fixture
def scenes(jd):
    return scene_data.build(jd)


def test_the_error_summary_follows_corrections_and_the_timeline_catches_up(scenes, sign_in, artifacts):
    person = sign_in("yangfan")
    page = person.page
    page.goto(f"/tasks/{scenes.draft_task}")
    page.wait_for_selector("body[data-form-ready='1']")
    summary = page.locator("#form-errors")
    amount, text = form_field(page, "金额"), form_field(page, "事项说明")

    page.click("#submit-task")
    expect(summary).to_contain_text("表单有 2 处需要修改")
    page.screenshot(path=str(artifacts / "task-summary-two.png"))
    amount.locator("input").fill("120")
    expect(summary).to_contain_text("表单有 1 处需要修改")
    expect(summary).not_to_contain_text("金额")
    expect(summary.locator("li")).to_have_count(1)
    page.screenshot(path=str(artifacts / "task-summary-one.png"))
    text.locator("textarea").fill("短")  # still wrong, for another reason: the line says why
    expect(summary).to_contain_text("不能少于 4 个字符")
    text.locator("textarea").fill("购置会议室投影仪一台")
    expect(summary).to_be_hidden()

    # the server's field errors (422) are followed the same way
    page.evaluate("window.JDTask.send({amount: 'many', summary: '短'})")
    expect(summary).to_contain_text("表单有 2 处需要修改")
    amount.locator("input").fill("150")
    expect(summary).to_contain_text("表单有 1 处需要修改")
    text.locator("textarea").fill("购置会议室投影仪一台")
    expect(summary).to_be_hidden()

    timeline = page.locator("#task-timeline")
    expect(timeline).not_to_contain_text("杨帆 办理了“起草事项”")
    expect(page.locator("#task-actions [data-op=transfer]")).to_have_count(1)
    page.click("#submit-task")
    expect(page.locator("#task-done")).to_contain_text("办理完成")
    expect(page.locator("body")).to_have_attribute("data-timeline", "fresh")
    expect(page.locator("#task-timeline")).to_contain_text("杨帆 办理了“起草事项”")
    expect(page.locator("#task-timeline")).to_contain_text("“成员会签” 送达 张伟")
    expect(page.locator("#task-parallel")).to_contain_text("成员会签 · 王红")  # the steps now running, by name
    # a done task is not transferred or delegated; while the next step is untouched, it can be withdrawn
    expect(page.locator("#task-actions [data-op=transfer]")).to_have_count(0)
    expect(page.locator("#withdraw-task")).to_be_visible()
    page.locator("#task-timeline").screenshot(path=str(artifacts / "task-timeline-after-completion.png"),
                                              style=".topbar { position: static !important; }")
    assert not person.errors, person.errors


def test_the_members_reasons_keep_their_line_breaks(scenes, sign_in, artifacts):
    person = sign_in("lijianguo")
    page = person.page
    page.goto(f"/tasks/{scenes.secretary_task}")
    page.wait_for_selector("body[data-form-ready='1']")
    table = form_field(page, "班子成员表态")
    row = table.locator(".fjs-table-tr", has_text="张伟")
    cell = row.locator(".fjs-table-td").nth(2)
    assert cell.inner_text() == scene_data.TWO_LINES  # as rendered: the line break is on screen
    one_line = table.locator(".fjs-table-tr", has_text="王红").bounding_box()["height"]
    assert row.bounding_box()["height"] > 1.6 * one_line
    table.screenshot(path=str(artifacts / "secretary-form-members-views.png"))
    assert not person.errors, person.errors


def test_per_member_steps_show_names_and_the_instance_page_takes_a_comment(scenes, sign_in, artifacts):
    person = sign_in("lijianguo")
    page = person.page
    page.goto(f"/instances/{scenes.meeting}")
    steps = page.locator("#open-tasks tbody tr")
    expect(steps).to_have_count(2)
    expect(steps.locator(".chip")).to_have_text(["张伟", "刘洋"])
    expect(page.locator("#completed-tasks .chip")).to_have_text(["王红"])
    expect(page.locator("#timeline")).to_contain_text("督查专员蒋涛 催办“班子成员逐一表态”：" + scene_data.URGE)

    page.fill("#instance-comment textarea[name=text]", "材料已收到。\n将按时参会。")
    page.click("#instance-comment button[type=submit]")
    page.wait_for_url(re.compile(rf"/instances/{scenes.meeting}#timeline$"))
    expect(page.locator(".flash-success")).to_contain_text("留言已发布")
    last = page.locator("#timeline .tl-item").last
    expect(last).to_have_attribute("data-kind", "comment.added")
    assert last.locator(".tl-text").inner_text() == "李建国 留言：材料已收到。\n将按时参会。"
    page.locator("#timeline").screenshot(path=str(artifacts / "instance-comment.png"),
                                         style=".topbar { position: static !important; }")
    page.evaluate("window.scrollTo({top: 0, behavior: 'instant'})")
    page.screenshot(path=str(artifacts / "instance-member-names.png"))
    assert not person.errors, person.errors


def test_the_header_shows_where_one_is_and_leads_to_proxy_settings(scenes, sign_in, artifacts):
    person = sign_in("supervisor")
    page = person.page
    for path in ("/cases", "/dashboard", "/problems", f"/cases/{scenes.meeting}"):
        page.goto(path)
        expect(page.locator("nav.mainnav a.active")).to_have_text("督办")
        expect(page.locator("nav.mainnav a[aria-current=page]")).to_have_count(1)
    page.goto("/cases")
    page.click("details.usermenu > summary")
    menu = page.locator(".usermenu-list")
    expect(menu).to_be_visible()
    page.screenshot(path=str(artifacts / "header-user-menu.png"), clip={"x": 0, "y": 0, "width": 1400, "height": 260})
    page.keyboard.press("Escape")
    expect(menu).to_be_hidden()
    page.click("details.usermenu > summary")
    menu.get_by_role("link", name="代理设置").click()
    page.wait_for_url("**/me/proxy")
    expect(page.locator("h1")).to_have_text("代理设置")

    page.goto("/profile")
    page.locator("#proxy").get_by_role("link", name="设置代理").click()
    page.wait_for_url("**/me/proxy")

    owner = sign_in("owner").page
    owner.goto("/processes")
    expect(owner.locator("nav.mainnav a.active")).to_have_text("流程管理")
    assert not person.errors, person.errors


def test_the_properties_panels_empty_groups_keep_their_own_look(jd, sign_in, artifacts):
    """Our empty-list class is .jd-empty: the properties panel's own `.empty` group headers are not centred or padded."""
    from service import definitions
    from tests.browser.editor_steps import select
    from tests.workflows.conftest import WORKFLOWS

    with jd.db.write() as session:
        definitions.deploy_directory(session, None, WORKFLOWS)
    person = sign_in("owner")
    page = person.page
    page.goto("/processes/major_decision/edit")
    expect(page.locator("nav.mainnav a.active")).to_have_text("流程管理")
    page.wait_for_selector("#editor[data-state=ready]")
    select(page, "propose")
    headers = page.locator(".bio-properties-panel-group-header.empty")
    expect(headers.first).to_be_visible()
    looks = headers.evaluate_all("(all) => all.map(e => [getComputedStyle(e).paddingTop, getComputedStyle(e).textAlign])")
    assert looks and all(pad == "0px" and align in ("start", "left") for pad, align in looks), looks
    page.screenshot(path=str(artifacts / "editor-properties-empty-groups.png"))
    assert not person.errors, person.errors
