"""A process owner builds a new process in the browser editor and people work it from their inboxes (issue 5).

The owner creates the process, draws a start event, two user tasks in two lanes with candidate groups and an end
event, names the lanes and sees who they reach, adds a form with the form editor, validates (and sees the error a
missing form causes, highlighted on the canvas), fixes it and deploys. Then 杨帆 starts a case and does the first
step from the form, and 李建国 finds the second step in his inbox and completes it. Screenshots go to
test-artifacts/editor-*.png.
"""
from __future__ import annotations

import re

import pytest
from playwright.sync_api import expect
from sqlalchemy import select as sql_select

from service.models import FormVersion, ProcessDefinition, ProcessInstance
from tests.browser.editor_steps import (append, business, drag_by, ids_of, lane_members, open_groups, replace,
                                        select, set_property, show_pane, wait_ready)

pytestmark = pytest.mark.browser

KEY = "leave_request"
NAME = "请假审批（编辑器测试）"
TITLE = "王红请假三天"


def test_owner_builds_validates_and_deploys_a_process_that_people_then_work(jd, sign_in, artifacts):
    owner = sign_in("owner")
    page = owner.page

    # -- a new process from the library ---------------------------------------------------------------------------
    page.click("nav.mainnav >> text=流程管理")
    expect(page.locator("h1")).to_contain_text("流程管理")
    page.click("a:has-text('新建流程')")
    page.fill("input[name=name]", NAME)
    page.fill("input[name=key]", KEY)
    page.click("main form button[type=submit]")
    page.wait_for_url(f"**/processes/{KEY}/edit")
    wait_ready(page)
    expect(page.locator("#ed-name")).to_have_text(NAME)
    expect(page.locator(".djs-palette")).to_be_visible()
    expect(page.locator("#ed-status")).to_contain_text("草稿")

    # -- draw: two lanes, start → 提交申请 (upper lane) → 书记审批 (lower lane) → end -----------------------------
    pool = f"Participant_{KEY}"
    select(page, pool)
    expect(page.locator(".djs-context-pad .entry[data-action='lane-divide-two']")).to_have_attribute(
        "title", "分成两条泳道")  # the modeler speaks Chinese
    page.click(".djs-context-pad .entry[data-action='lane-divide-two']")
    first = append(page, "StartEvent_1", "append.append-task", "bpmn:Task")
    second = append(page, first, "append.append-task", "bpmn:Task")
    drag_by(page, second, 0, 130)  # into the lower lane
    end = append(page, second, "append.end-event", "bpmn:EndEvent")
    replace(page, first, "replace-with-user-task")
    replace(page, second, "replace-with-user-task")
    upper, lower = sorted(ids_of(page, "bpmn:Lane"),
                          key=lambda lane: page.evaluate("(id) => jdEditor.modeler.get('elementRegistry').get(id).y",
                                                         lane))
    members = lane_members(page)
    assert first in members[upper] and second in members[lower] and end in members[lower]

    set_property(page, first, "name", "提交申请")
    set_property(page, second, "name", "书记审批")
    set_property(page, end, "name", "结束")
    set_property(page, upper, "name", "办公室")
    set_property(page, lower, "name", "书记")
    for task, groups in ((first, "office"), (second, "secretary")):
        select(page, task)
        open_groups(page, "办理人")
        page.fill("#properties #bio-properties-panel-candidateGroups", groups)
        page.press("#properties #bio-properties-panel-candidateGroups", "Tab")
    assert business(page, first, "candidateGroups") == "office"
    assert business(page, second, "candidateGroups") == "secretary"

    # Keyboard shortcuts work on the canvas: Ctrl+Z undoes the last change, Ctrl+Y redoes it.
    page.locator("#canvas svg").first.focus()
    page.keyboard.press("Control+z")
    assert business(page, second, "candidateGroups") is None
    page.keyboard.press("Control+y")
    assert business(page, second, "candidateGroups") == "secretary"

    # -- lanes: the upper lane is written as an expression, the lower keeps its role default; preview both ------------
    show_pane(page, "lanes")
    lane_item = page.locator(f".jd-lane[data-lane-id='{upper}']")
    expect(lane_item.locator(".jd-lane-hint")).to_contain_text("默认：泳道名对应角色 office")
    lane_item.locator(".jd-lane-input").fill("office, parent.office")
    lane_item.locator(".jd-lane-input").press("Enter")
    lane_item.locator(".jd-lane-preview").click()
    expect(lane_item.locator(".jd-people")).to_contain_text("杨帆")
    expect(lane_item.locator(".jd-people")).to_contain_text("吴淑华")
    lower_item = page.locator(f".jd-lane[data-lane-id='{lower}']")
    lower_item.locator(".jd-lane-preview").click()
    expect(lower_item.locator(".jd-people")).to_have_text("李建国")
    assert page.evaluate("(id) => jdEditor.modeler.get('elementRegistry').get(id).businessObject"
                         ".extensionElements.values[0].values[0].value", upper) == "office, parent.office"
    # The selected task shows where its people come from (its candidate groups win over the lane) and who they are.
    select(page, second)
    expect(page.locator("#task-who .jd-task-source")).to_contain_text("secretary")
    page.click("#task-who-preview")
    expect(page.locator("#task-who .jd-people")).to_have_text("李建国")
    page.screenshot(path=str(artifacts / "editor-lanes.png"))

    # -- a form for 提交申请, made in the form editor --------------------------------------------------------------
    select(page, first)
    show_pane(page, "forms")
    page.click("#form-picker-new")
    page.fill("#new-form-id", "leave_request_form")
    page.fill("#new-form-name", "请假申请")
    page.click("#new-form-create")
    dialog = page.locator("#form-dialog")
    expect(dialog).to_be_visible()
    source = dialog.locator(".fjs-palette-field[data-field-type='textfield']").bounding_box()
    target = dialog.locator(".fjs-editor-form-root").bounding_box()
    page.mouse.move(source["x"] + source["width"] / 2, source["y"] + source["height"] / 2)
    page.mouse.down()
    page.mouse.move(target["x"] + 100, target["y"] + 60, steps=8)
    page.mouse.move(target["x"] + 120, target["y"] + 80, steps=4)
    page.mouse.up()
    panel = dialog.locator(".fjs-properties-panel")
    expect(panel.locator(".bio-properties-panel-header-label")).to_contain_text("Text field")
    for title in ("General", "Validation"):
        closed = panel.locator(".bio-properties-panel-group-header:not(.open)", has_text=title)
        if closed.count():
            closed.first.click()
    key_field = panel.locator("#bio-properties-panel-key")
    key_field.fill("reason")
    key_field.press("Tab")
    panel.locator("#bio-properties-panel-required").check()
    page.screenshot(path=str(artifacts / "editor-form.png"))
    page.click("#form-dialog-apply")
    expect(dialog).to_be_hidden()
    assert business(page, first, "camunda:formRef") == "leave_request_form"
    expect(page.locator(".jd-form[data-form-id='leave_request_form']")).to_contain_text("草稿中修改")
    expect(page.locator("#ed-status")).to_contain_text("草稿保存于")

    # -- a reference to a form that does not exist: validation says so and shows where -------------------------------
    select(page, second)
    open_groups(page, "表单")
    page.select_option("#properties #bio-properties-panel-formType", "formRef")
    page.fill("#properties #bio-properties-panel-formRef", "approval_form")
    page.press("#properties #bio-properties-panel-formRef", "Tab")
    page.click("#btn-validate")
    problem = page.locator(".jd-problem-error")
    expect(problem).to_have_count(1)
    expect(problem).to_contain_text("引用的表单 'approval_form' 不存在")
    expect(problem).to_contain_text("书记审批")
    expect(page.locator(f".djs-element.jd-error[data-element-id='{second}']")).to_have_count(1)
    expect(page.locator("#problem-count")).to_have_text("1")
    select(page, first)
    problem.click()  # selects the offending task on the canvas
    assert page.evaluate("() => jdEditor.modeler.get('selection').get().map(e => e.id)") == [second]
    page.screenshot(path=str(artifacts / "editor-validation-error.png"))

    # Deploying is refused while it is invalid.
    page.click("#btn-deploy")
    expect(page.locator("#ed-status")).to_contain_text("修正后才能部署")
    expect(page.locator("#deploy-dialog")).to_be_hidden()

    # -- fix it with the form picker, validate again, deploy ----------------------------------------------------------
    show_pane(page, "forms")
    page.select_option("#form-picker-select", "")
    assert business(page, second, "camunda:formRef") is None
    page.click("#btn-validate")
    expect(page.locator("#problems-summary")).to_contain_text("校验通过")
    expect(page.locator(".jd-problem-error")).to_have_count(0)
    expect(page.locator(".djs-element.jd-error")).to_have_count(0)
    page.click("#btn-deploy")
    expect(page.locator("#deploy-dialog")).to_be_visible()
    page.fill("#deploy-comment", "首次部署")
    page.click("#deploy-confirm")
    expect(page.locator("#ed-status")).to_have_text("已部署为版本 1")
    page.screenshot(path=str(artifacts / "editor-deployed.png"))

    with jd.db.read() as session:
        definition = session.scalar(sql_select(ProcessDefinition).where(ProcessDefinition.key == KEY))
        assert definition.version == 1 and definition.name == NAME and definition.comment == "首次部署"
        assert definition.lanes == {"办公室": "office, parent.office", "书记": "secretary"}
        form = session.get(FormVersion, definition.forms["leave_request_form"])
        assert [c.get("key") for c in form.schema["components"] if c.get("key")] == ["reason"]

    # The library lists it now.
    page.goto("/processes")
    expect(page.locator(f"#process-{KEY}")).to_contain_text("当前版本 v1")
    page.screenshot(path=str(artifacts / "editor-library.png"), full_page=True)

    # -- 杨帆 starts it and does the first step; 李建国 does the second from his inbox ---------------------------------
    yangfan = sign_in("yangfan")
    clerk = yangfan.page
    clerk.click("nav.mainnav >> text=发起")
    clerk.click(f"a.choice:has-text('{NAME}')")
    clerk.fill("#start-form input[name=title]", TITLE)
    clerk.click("#start-submit")
    clerk.wait_for_url(re.compile(r"/tasks/\d+$"))  # office in 示例区委 is 杨帆 alone: the task is hers directly
    clerk.wait_for_selector("body[data-form-ready='1']")
    expect(clerk.locator(".page-head h1")).to_contain_text("提交申请")
    clerk.click("#submit-task")
    expect(clerk.locator(".fjs-form-field-error")).to_contain_text("此项为必填项")
    clerk.locator(".fjs-form-field input").first.fill("家中有事，请假三天")
    clerk.click("#submit-task")
    expect(clerk.locator("#task-done .next-step")).to_contain_text("书记审批")
    expect(clerk.locator("#task-done .next-step")).to_contain_text("李建国")

    lijianguo = sign_in("lijianguo")
    boss = lijianguo.page
    row = boss.locator("table.grid tbody tr", has_text=TITLE)
    expect(row).to_contain_text("书记审批")
    row.get_by_role("link", name="办理").click()
    boss.wait_for_selector("body[data-form-ready='1']")
    boss.click("#submit-task")
    expect(boss.locator("#task-done")).to_contain_text("办理完成")
    boss.screenshot(path=str(artifacts / "editor-case-done.png"), full_page=True)

    with jd.db.read() as session:
        case = session.scalar(sql_select(ProcessInstance).where(ProcessInstance.title == TITLE))
        assert case.status == "completed" and case.definition_version == 1
    assert not owner.errors and not yangfan.errors and not lijianguo.errors, \
        owner.errors + yangfan.errors + lijianguo.errors
