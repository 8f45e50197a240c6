"""Deploying version 2 of a process while a case of version 1 runs (issue 5).

The owner opens the deployed process in the editor, renames a step, adds a legal review after it and deploys.
The case started on version 1 finishes on version 1 (its step keeps the old name, no legal review); a case started
afterwards runs version 2. The diff page shows what changed, in the list and coloured on both diagrams.
Screenshots: test-artifacts/editor-v2-*.png.
"""
from __future__ import annotations

import pytest
from playwright.sync_api import expect

from tests.browser.editor_steps import (append, business, context_action, drag_by, ids_of, open_groups, replace,
                                        select, set_property, wait_ready)
from tests.support import complete, deploy, instance, open_tasks, start, task_named

pytestmark = pytest.mark.browser


def element_center(page, element_id):
    box = page.locator(f"#canvas .djs-element.djs-shape[data-element-id='{element_id}'] .djs-visual").bounding_box()
    return box["x"] + box["width"] / 2, box["y"] + box["height"] / 2


def test_a_running_case_keeps_version_1_while_new_cases_use_version_2(jd, sign_in, artifacts):
    deploy(jd, "editor_leave.bpmn", "editor_leave_form.form", actor="owner")
    old_case = start(jd, "yangfan", "editor_leave", title="旧版本的请假")
    complete(jd, "yangfan", task_named(jd, old_case.id, "submit").id, {"reason": "探亲", "days": 3})
    assert task_named(jd, old_case.id, "approve").name == "书记审批"

    # -- the owner changes the process in the editor and deploys version 2 ---------------------------------------------
    owner = sign_in("owner")
    page = owner.page
    page.goto("/processes")
    card = page.locator("#process-editor_leave")
    expect(card).to_contain_text("1 件进行中")
    card.get_by_role("link", name="编辑").click()
    wait_ready(page)
    expect(page.locator("#ed-status")).to_have_text("与已部署的版本 1 相同")

    set_property(page, "approve", "name", "书记审定")
    select(page, "f_approve")
    page.keyboard.press("Delete")  # the canvas has the keyboard: Delete removes the selected flow
    assert "f_approve" not in ids_of(page, "bpmn:SequenceFlow")
    drag_by(page, "end", 160, 0)  # make room for the new step
    legal = append(page, "approve", "append.append-task", "bpmn:Task")
    replace(page, legal, "replace-with-user-task")
    set_property(page, legal, "name", "法制审核")
    open_groups(page, "办理人")
    page.fill("#properties #bio-properties-panel-candidateGroups", "legal")
    page.press("#properties #bio-properties-panel-candidateGroups", "Tab")
    context_action(page, legal, "connect")
    page.mouse.click(*element_center(page, "end"))
    flows = page.evaluate("() => jdEditor.modeler.get('elementRegistry').filter(e => e.type === 'bpmn:SequenceFlow')"
                          ".map(f => [f.businessObject.sourceRef.id, f.businessObject.targetRef.id])")
    assert ["approve", legal] in flows and [legal, "end"] in flows
    assert business(page, legal, "candidateGroups") == "legal"

    page.click("#btn-deploy")
    expect(page.locator("#deploy-dialog")).to_be_visible()
    expect(page.locator("#problems-summary")).to_contain_text("校验通过")
    page.fill("#deploy-comment", "增加法制审核")
    page.click("#deploy-confirm")
    expect(page.locator("#ed-status")).to_have_text("已部署为版本 2")

    # -- the old case finishes on version 1; a new case runs version 2 ---------------------------------------------------
    boss = sign_in("lijianguo").page
    row = boss.locator("table.grid tbody tr", has_text="旧版本的请假")
    expect(row).to_contain_text("书记审批")  # the old step name: version 1
    row.get_by_role("link", name="办理").click()
    boss.wait_for_selector("body[data-form-ready='1']")
    boss.click("#submit-task")
    expect(boss.locator("#task-done")).to_contain_text("办理完成")
    finished = instance(jd, old_case.id)
    assert (finished.status, finished.definition_version) == ("completed", 1)

    new_case = start(jd, "yangfan", "editor_leave", title="新版本的请假")
    assert new_case.definition_version == 2
    complete(jd, "yangfan", task_named(jd, new_case.id, "submit").id, {"reason": "看病", "days": 1})
    assert task_named(jd, new_case.id, "approve").name == "书记审定"
    complete(jd, "lijianguo", task_named(jd, new_case.id, "approve").id, {})
    [review] = open_tasks(jd, new_case.id)
    assert review.name == "法制审核" and review.element_id == legal
    legal_page = sign_in("xulei").page
    expect(legal_page.locator("table.grid tbody tr", has_text="新版本的请假")).to_contain_text("法制审核")

    # -- the library and the diff page show the change ------------------------------------------------------------
    page.goto("/processes")
    card = page.locator("#process-editor_leave")
    expect(card.locator("tr[data-version='2']")).to_contain_text("增加法制审核")
    expect(card.locator("tr[data-version='1'] td.num").first).to_have_text("0")   # running on v1: none now
    expect(card.locator("tr[data-version='1'] td.num").nth(1)).to_have_text("1")  # finished on v1
    expect(card.locator("tr[data-version='2'] td.num").first).to_have_text("1")
    card.get_by_role("link", name="版本对比").click()
    page.wait_for_selector("#diff-old[data-state='ready']")
    page.wait_for_selector("#diff-new[data-state='ready']")
    expect(page.locator("#diff-summary")).to_contain_text("新增 3")    # the task and its two flows
    expect(page.locator("#diff-summary")).to_contain_text("删除 1")    # the old flow to the end
    changed = page.locator(".diff-item[data-element-id='approve']")
    expect(changed).to_contain_text("书记审批")
    expect(changed).to_contain_text("书记审定")
    expect(page.locator(f".diff-item[data-kind='added'][data-element-id='{legal}']")).to_contain_text("法制审核")
    expect(page.locator(".diff-item[data-kind='removed'][data-element-id='f_approve']")).to_have_count(1)
    expect(page.locator(f"#diff-new .djs-element.jd-added[data-element-id='{legal}']")).to_have_count(1)
    expect(page.locator("#diff-new .djs-element.jd-changed[data-element-id='approve']")).to_have_count(1)
    expect(page.locator("#diff-old .djs-element.jd-removed[data-element-id='f_approve']")).to_have_count(1)
    page.screenshot(path=str(artifacts / "editor-v2-diff.png"), full_page=True)
    assert not owner.errors, owner.errors
