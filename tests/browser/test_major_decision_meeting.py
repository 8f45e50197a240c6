"""Process B's meeting in the browser: three members and the secretary give their views, and the sealed decision
record (决策纪实) appears on the case page exactly as they typed it.

The steps before the meeting (proposal, research, the two reviews, consultation, scheduling three members and the
secretary, attendance) are done through the service by the people who hold them. Then, in the browser, in Chinese:
王红 agrees; 张伟 tries to submit 不同意 without a reason, sees the error next to the reasons field, and types a
two-line reason; 刘洋 reserves his view with a reason. The secretary's opinion task (末位表态) does not exist until 刘洋
has spoken, and then arrives in 李建国's inbox; he agrees last. The result is computed, not typed in: 2 of the 4
who should attend agree, which is not more than half, and support is not smaller than opposition, so 缓议 and the
case goes back to scheduling. The case page, for the secretary and for the supervisor, shows the record sealed
in the audit chain: attendance, every view with its reasons character for character, the secretary's view, the
counts, the result, the event's hash and the chain's state; after the stored record is altered in the database
the page says the chain is broken. Screenshots go to test-artifacts/."""
from __future__ import annotations

import json
import re

import pytest
from babel.messages.extract import extract_from_file
from babel.messages.pofile import read_po
from playwright.sync_api import expect
from sqlalchemy import select, update

from service import definitions
from service.models import AuditEvent
from tests.browser.scenes import to_meeting
from tests.workflows.conftest import WORKFLOWS, by_item, tasks_of

TITLE = "区体育中心改造项目"
SECRETARY = "lijianguo"
MEMBERS = ("wanghong", "zhangwei", "liuyang")  # three of the four members; 陈静 is not on this item's schedule
NAMES = {"lijianguo": "李建国", "wanghong": "王红", "zhangwei": "张伟", "liuyang": "刘洋"}
# Typed into the browser; must come back character for character (two lines, Chinese and ASCII punctuation, "<").
OPPOSE = ("投资测算依据不足：一期预算 1.2 亿元没有第三方评估，“投资回收期 < 10 年”的结论缺少依据。\n"
          "建议压缩一期规模，补充可行性研究报告后再议。")
RESERVE = "运营模式（委托运营还是自主经营）尚需论证，对项目本身无异议。"
VIEWS = {"wanghong": ("同意", ""), "zhangwei": ("不同意", OPPOSE), "liuyang": ("保留意见", RESERVE),
         "lijianguo": ("同意", "")}


@pytest.fixture
def meeting(jd):
    """The process library deployed as `jiandu init` deploys it (tests/workflows/conftest.py), and one decision
    walked up to the meeting: scheduled for today with three members and the secretary, all four present."""
    with jd.db.write() as session:
        definitions.deploy_directory(session, None, WORKFLOWS)
    case_id = to_meeting(jd, TITLE)
    assert set(by_item(jd, case_id, "member_opinion")) == set(MEMBERS)
    assert tasks_of(jd, case_id, "secretary_opinion") == []
    return case_id


def field(page, label: str):
    """The form-js field (label, input, error list) whose label starts with `label`."""
    return page.locator(".fjs-form-field").filter(has=page.locator(".fjs-form-field-label", has_text=label)).first


def top_screenshot(page, path):
    page.wait_for_timeout(500)
    page.evaluate("window.scrollTo({top: 0, behavior: 'instant'})")
    page.wait_for_function("window.scrollY === 0")
    page.screenshot(path=str(path), full_page=True)


def open_from_inbox(page, step: str):
    """The person's 待办 lists the step of this case once; 办理 opens its form."""
    page.click("nav.mainnav >> text=待办")
    row = page.locator("table.grid tbody tr", has_text=TITLE)
    expect(row).to_have_count(1)
    expect(row).to_contain_text(step)
    row.get_by_role("link", name="办理").click()
    page.wait_for_selector("body[data-form-ready='1']")
    expect(page.locator(".page-head h1")).to_contain_text(step)


def inbox_rows(page):
    page.click("nav.mainnav >> text=待办")
    expect(page.locator("h1")).to_contain_text("我的工作台")
    return page.locator("table.grid tbody tr", has_text=TITLE)


def submit(page) -> None:
    page.click("#submit-task")
    expect(page.locator("#task-done")).to_be_visible()
    expect(page.locator("#task-done")).to_contain_text("办理完成")


@pytest.mark.browser
def test_three_members_then_the_secretary_and_the_sealed_record(jd, meeting, sign_in, artifacts):
    case_id = meeting
    people = {}

    # -- 王红: 同意 (the reasons field stays hidden for 同意) -------------------------------------------------------
    people["wanghong"] = wanghong = sign_in("wanghong")
    page = wanghong.page
    open_from_inbox(page, "班子成员逐一表态")
    expect(page.locator("#task-form")).to_contain_text(TITLE)  # the papers are on the form
    expect(field(page, "理由")).to_have_count(0)
    field(page, "表态意见").get_by_label("同意", exact=True).check()
    expect(field(page, "理由")).to_have_count(0)
    submit(page)
    assert tasks_of(jd, case_id, "secretary_opinion") == []

    # -- 张伟: 不同意 without a reason is refused in place; then the reason, typed --------------------------------
    people["zhangwei"] = zhangwei = sign_in("zhangwei")
    page = zhangwei.page
    open_from_inbox(page, "班子成员逐一表态")
    field(page, "表态意见").get_by_label("不同意", exact=True).check()
    reasons = field(page, "理由")
    expect(reasons.locator("textarea")).to_be_visible()
    page.click("#submit-task")
    expect(reasons.locator(".fjs-form-field-error")).to_contain_text("此项为必填项")
    expect(page.locator("#form-errors")).to_contain_text("理由")
    expect(page.locator("#task-done")).to_be_hidden()
    top_screenshot(page, artifacts / "major-decision-opinion-missing-reason.png")
    assert set(by_item(jd, case_id, "member_opinion")) == {"zhangwei", "liuyang"}  # nothing was recorded

    reasons.locator("textarea").fill(OPPOSE)
    expect(reasons.locator(".fjs-form-field-error")).to_have_count(0)
    submit(page)
    assert tasks_of(jd, case_id, "secretary_opinion") == []

    # -- 末位表态: before the last member has spoken, the secretary has nothing to do ----------------------------------
    people["lijianguo"] = lijianguo = sign_in(SECRETARY)
    expect(inbox_rows(lijianguo.page)).to_have_count(0)
    lijianguo.page.goto(f"/instances/{case_id}")
    open_steps = lijianguo.page.locator("#open-tasks tbody tr")
    expect(open_steps).to_have_count(1)
    expect(open_steps).to_contain_text("班子成员逐一表态")
    expect(open_steps).to_contain_text("刘洋")
    expect(lijianguo.page.locator("#open-tasks")).not_to_contain_text("书记末位表态")
    sealed_so_far = lijianguo.page.locator("#sealed-records article.sealed")  # the quorum only, no decision yet
    expect(sealed_so_far).to_have_count(1)
    expect(sealed_so_far).to_have_attribute("data-kind", "quorum")
    assert tasks_of(jd, case_id, "secretary_opinion") == []

    # -- 刘洋: 保留意见 with a reason; the secretary's step opens only now --------------------------------------------
    people["liuyang"] = liuyang = sign_in("liuyang")
    page = liuyang.page
    open_from_inbox(page, "班子成员逐一表态")
    field(page, "表态意见").get_by_label("保留意见", exact=True).check()
    field(page, "理由").locator("textarea").fill(RESERVE)
    top_screenshot(page, artifacts / "major-decision-member-opinion.png")
    submit(page)
    next_step = page.locator("#task-done .next-step")
    expect(next_step).to_contain_text("书记末位表态")
    expect(next_step).to_contain_text("李建国")
    [secretary_task] = tasks_of(jd, case_id, "secretary_opinion")
    assert secretary_task.candidates == [SECRETARY]

    # -- 李建国 speaks last: his form shows the members' views; 同意 -------------------------------------------------
    page = lijianguo.page
    expect(inbox_rows(page)).to_have_count(1)
    open_from_inbox(page, "书记末位表态")
    table = field(page, "班子成员表态")
    for username in MEMBERS:
        expect(table).to_contain_text(NAMES[username])
    expect(table).to_contain_text("运营模式（委托运营还是自主经营）尚需论证")
    expect(table).to_contain_text("投资测算依据不足")
    field(page, "书记表态").get_by_label("同意", exact=True).check()
    top_screenshot(page, artifacts / "major-decision-secretary-opinion.png")
    submit(page)
    # 缓议: the office schedules a new meeting
    expect(page.locator("#task-done .next-step")).to_contain_text("安排会议、送达材料")
    expect(page.locator("#task-done .next-step")).to_contain_text("杨帆")

    # -- the sealed record, as the chain holds it ----------------------------------------------------------------
    with jd.db.read() as session:
        sealed = {e.element_id: e for e in session.scalars(select(AuditEvent).where(
            AuditEvent.instance_id == case_id, AuditEvent.kind == "record.sealed"))}
    assert set(sealed) == {"check_quorum", "seal_record"}
    record = json.loads(sealed["seal_record"].payload)["record"]["decision_record"]
    assert [(v["username"], v["view"], v["reasons"]) for v in record["member_views"]] == [
        (u, *VIEWS[u]) for u in MEMBERS]
    assert record["secretary_view"] == {"usernames": [SECRETARY], "view": "同意", "reasons": ""}
    assert record["counts"] == {"应到": 4, "实到": 4, "同意": 2, "不同意": 1, "保留意见": 1, "缓议": 0}
    assert record["result"] == "缓议"

    # -- ... and on the case page, for the secretary -----------------------------------------------------------------
    page.goto(f"/instances/{case_id}")
    check_record(page, case_id, sealed)
    expect(page.locator(".timeline")).to_contain_text("系统 封存了第 1 次会议的决策纪实，表决结果：缓议")
    expect(page.locator(".timeline")).to_contain_text("系统 核算并封存到会人数：应到 4 人，实到 4 人，达到法定人数")
    expect(page.locator(".timeline")).not_to_contain_text("record.sealed")
    # the sticky header would cover the section's top in an element screenshot: let it scroll away for the shot
    page.locator("#sealed-records").screenshot(path=str(artifacts / "major-decision-sealed-record.png"),
                                               style=".topbar { position: static !important; }")
    top_screenshot(page, artifacts / "major-decision-instance.png")

    # -- ... and for the supervisor of the district ------------------------------------------------------------------
    people["supervisor"] = supervisor = sign_in("supervisor")
    page = supervisor.page
    page.goto(f"/instances/{case_id}")
    check_record(page, case_id, sealed)

    # In English the record's labels change, the reasons stay exactly as typed.
    page.goto(f"/instances/{case_id}?lang=en")
    decision = page.locator(f"#sealed-{sealed['seal_record'].seq}")
    expect(page.locator("#sealed-records .card-title")).to_have_text("Decision record · Meeting record")
    expect(decision.locator(".verdict-value")).to_have_text("Defer")
    expect(decision.locator("tr.view-row[data-username=zhangwei] .view-chip")).to_have_text("Disagree")
    assert decision.locator("tr.view-row[data-username=zhangwei] .view-reasons").text_content() == OPPOSE
    page.goto(f"/instances/{case_id}?lang=zh_CN")

    # -- the chain's state is checked, not asserted: alter the stored record and the page says so -------------------
    altered = sealed["seal_record"].payload.replace("投资测算依据不足", "投资测算依据充分")
    assert altered != sealed["seal_record"].payload
    with jd.db.write() as session:
        session.execute(update(AuditEvent).where(AuditEvent.id == sealed["seal_record"].id).values(payload=altered))
    page.reload()
    expect(page.locator("#chain-state")).to_have_attribute("data-ok", "0")
    expect(page.locator("#chain-state")).to_contain_text("审计链校验失败")
    expect(page.locator("#sealed-records .alert-error")).to_contain_text(f"事件 #{sealed['seal_record'].seq}")
    decision = page.locator(f"#sealed-{sealed['seal_record'].seq}")
    expect(decision.locator(".seal-mark")).to_have_attribute("data-verified", "0")
    expect(decision).to_have_class(re.compile(r"\bsealed-unverified\b"))
    expect(page.locator(f"#sealed-{sealed['check_quorum'].seq} .seal-mark")).to_have_attribute("data-verified", "1")
    decision.screenshot(path=str(artifacts / "major-decision-sealed-record-altered.png"),
                        style=".topbar { position: static !important; }")

    errors = [e for person in people.values() for e in person.errors]
    assert not errors, errors


def check_record(page, instance_id: int, sealed: dict) -> None:
    """The 决策纪实 section shows the sealed record: attendance, each view and reason exactly, the secretary last,
    the counts, the computed result, the event's hash, a verified chain."""
    section = page.locator("#sealed-records")
    expect(section.locator(".card-title")).to_have_text("决策纪实 · 会议记录")
    expect(section.locator("#chain-state")).to_have_attribute("data-ok", "1")
    expect(section.locator("#chain-state")).to_contain_text("审计链完整")

    quorum = section.locator(f"#sealed-{sealed['check_quorum'].seq}")
    expect(quorum).to_have_attribute("data-kind", "quorum")
    expect(quorum).to_contain_text("应到 4 人，实到 4 人")
    expect(quorum.locator("[data-met]")).to_have_text("达到法定人数")

    decision = section.locator(f"#sealed-{sealed['seal_record'].seq}")
    expect(decision).to_have_attribute("data-kind", "decision")
    expect(decision.locator("h3")).to_have_text(TITLE)
    expect(decision).to_contain_text("重大项目安排")
    expect(decision.locator("[data-part=should_attend]")).to_have_text("李建国、王红、张伟、刘洋")
    expect(decision.locator("[data-part=present]")).to_have_text("李建国、王红、张伟、刘洋")
    expect(decision.locator("[data-part=absent]")).to_have_text("无")

    rows = decision.locator("tr.view-row")
    expect(rows).to_have_count(4)
    for index, username in enumerate([*MEMBERS, SECRETARY]):  # in the order spoken, the secretary last
        view, reasons = VIEWS[username]
        row = rows.nth(index)
        expect(row).to_have_attribute("data-username", username)
        expect(row).to_have_attribute("data-role", "secretary" if username == SECRETARY else "member")
        expect(row.locator(".view-who strong")).to_have_text(NAMES[username])
        expect(row.locator(".view-chip")).to_have_text(view)
        if reasons:
            shown = row.locator(".view-reasons")
            assert shown.text_content() == reasons  # character for character, in the page's text
            assert shown.inner_text() == reasons  # and as rendered: the line break is kept on screen
        else:
            expect(row.locator(".view-reasons")).to_have_count(0)
            expect(row).to_contain_text("未说明理由")
    expect(rows.nth(3).locator(".view-role")).to_have_text("书记（末位表态）")

    counts = {"应到": "4", "实到": "4", "同意": "2", "不同意": "1", "保留意见": "1", "缓议": "0"}
    for key, value in counts.items():
        expect(decision.locator(f".tally li[data-count='{key}'] .tally-n")).to_have_text(value)
    result = decision.locator(".verdict")
    expect(result).to_have_attribute("data-result", "缓议")
    expect(result.locator(".verdict-value")).to_have_text("缓议")
    expect(decision.locator(".verdict-why")).to_contain_text("同意 2 人，未超过应到会成员 4 人的半数")

    expect(decision.locator(".sealed-foot .hash")).to_have_text(sealed["seal_record"].hash)
    expect(decision.locator(".sealed-foot")).to_contain_text(f"审计事件 #{sealed['seal_record'].seq}")
    expect(decision.locator(".seal-mark")).to_have_attribute("data-verified", "1")
    expect(decision.locator(".seal-mark")).to_contain_text("已校验")


def test_the_sealed_record_has_english_for_every_string():
    """_sealed_records.html is a partial of instance.html: its strings are in the catalogue, like the page's."""
    partial = WORKFLOWS.parent / "web" / "templates" / "_sealed_records.html"
    with (WORKFLOWS.parent / "web" / "translations" / "en" / "LC_MESSAGES" / "messages.po").open("rb") as handle:
        catalogue = read_po(handle, locale="en")
    strings = [message[0] if isinstance(message, tuple) else message
               for _line, message, _comments, _context in extract_from_file("jinja2.ext:babel_extract", str(partial))]
    assert len(strings) > 30
    missing = [s for s in strings if not (catalogue.get(s) and catalogue.get(s).string)]
    assert not missing, missing

