"""Foreign diagrams in the editor (issue 5): a file imported, opened and saved deploys exactly as before, and a
file bpmn-js cannot draw shows bpmn-js's own import error. The fixtures reproduce what the external corpus taught
(scripts/editor_corpus_roundtrip.py): SpiffWorkflow's loop data references and a correlation messagePath, which
bpmn-moddle would otherwise drop or rename, and a diagram with no diagram interchange at all."""
from __future__ import annotations

import pytest
from playwright.sync_api import expect

from service.bpmn.xmlsafe import parse_xml
from service.models import DefinitionDraft
from tests.browser.editor_steps import wait_ready
from tests.support import FIXTURES, deploy, open_tasks, start, user

pytestmark = pytest.mark.browser


def test_an_imported_diagram_saved_by_the_editor_keeps_what_spiffworkflow_reads(jd, sign_in, artifacts):
    owner = sign_in("owner")
    page = owner.page
    page.goto("/processes")
    page.set_input_files(".lib-import input[type=file]", str(FIXTURES / "editor_roundtrip.bpmn"))
    page.click(".lib-import button[type=submit]")
    page.wait_for_url("**/processes/editor_roundtrip/edit")
    wait_ready(page)
    expect(page.locator("#ed-import-warnings")).to_be_hidden()  # nothing bpmn-js could not keep
    page.click("#btn-save")
    expect(page.locator("#ed-status")).to_contain_text("草稿保存于")
    with jd.db.read() as session:
        saved = session.get(DefinitionDraft, "editor_roundtrip").bpmn_xml
    assert saved != (FIXTURES / "editor_roundtrip.bpmn").read_text(encoding="utf-8")  # written by bpmn-js
    assert "<bpmn:loopDataInputRef>reviewers</bpmn:loopDataInputRef>" in saved
    assert "<bpmn:loopDataOutputRef>opinions</bpmn:loopDataOutputRef>" in saved
    assert "<bpmn:messagePath>case_no</bpmn:messagePath>" in saved and "formalExpression" not in saved

    # Deployed from the editor, it runs: one signing task per reviewer in the list.
    page.click("#btn-deploy")
    page.click("#deploy-confirm")
    expect(page.locator("#ed-status")).to_have_text("已部署为版本 1")
    case = start(jd, "yangfan", "editor_roundtrip", data={"reviewers": ["wanghong", "zhangwei"]})
    assert sorted(t.assignee_id for t in open_tasks(jd, case.id)) == sorted(
        user(jd, name).id for name in ("wanghong", "zhangwei"))
    assert not owner.errors, owner.errors


def test_a_signavio_style_file_keeps_its_namespaces_and_line_breaks(jd, sign_in):
    owner = sign_in("owner")
    page = owner.page
    page.goto("/processes")
    page.set_input_files(".lib-import input[type=file]", str(FIXTURES / "editor_roundtrip_signavio.bpmn"))
    page.click(".lib-import button[type=submit]")
    page.wait_for_url("**/processes/editor_signavio/edit")
    wait_ready(page)
    page.click("#btn-save")
    expect(page.locator("#ed-status")).to_contain_text("草稿保存于")
    with jd.db.read() as session:
        saved = parse_xml(session.get(DefinitionDraft, "editor_signavio").bpmn_xml)
    task = next(saved.iter("{http://www.omg.org/spec/BPMN/20100524/MODEL}userTask"))
    assert task.get("name") == "提交\r\n申请"
    assert task.get("{http://activiti.org/bpmn}candidateGroups") == "accounting"
    assert not owner.errors, owner.errors


def test_a_diagram_without_a_drawing_shows_bpmn_js_s_import_error(jd, sign_in, artifacts):
    deploy(jd, "core_flow.bpmn", "core_draft.form", "core_approve.form", actor="owner")
    owner = sign_in("owner")
    page = owner.page
    page.goto("/processes/core_flow/edit")
    page.wait_for_selector("#editor[data-state='import-error']")
    error = page.locator("#ed-import-error")
    expect(error).to_be_visible()
    expect(error).to_contain_text("无法打开此流程图")
    expect(error.locator(".ed-import-message")).to_contain_text("没有图形信息")
    expect(page.locator("#btn-save")).to_be_disabled()
    expect(page.locator("#btn-deploy")).to_be_disabled()
    page.click("#btn-validate")  # the server still checks what it would deploy
    expect(page.locator("#problems-summary")).to_contain_text("校验通过")
    page.screenshot(path=str(artifacts / "editor-import-error.png"))
    assert not owner.errors, owner.errors
