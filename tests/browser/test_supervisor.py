"""A district supervisor in the browser: filters the case list to overdue cases (a sibling district's late case
stays out), opens one, sees the diagram with the late step, the finished steps and the path taken, reads the
timeline, urges the holder; the holder finds the urge in the inbox's bell and the notifications. The dashboard and
the heatmap render their charts and overlays. Screenshots go to test-artifacts/supervisor-*.png."""
from __future__ import annotations

import re
from datetime import timedelta

import pytest
import time_machine
from playwright.sync_api import expect

from service import clock, instances
from tests.support import complete, deploy, task_named, user

pytestmark = pytest.mark.browser

LATE_TITLE = "区委信息化项目立项（超期）"


def _start(jd, username, unit, title, members):
    with jd.db.write() as session:
        return instances.start(session, user(jd, username), "core_flow", unit, title=title,
                               data={"members": members}).instance


@pytest.fixture
def late_cases(jd):
    """Three hours ago: a district case reached the discipline check (due in an hour), a sibling district's case
    did too, and another district case is still at its first step."""
    deploy(jd, "core_flow_start.bpmn", "core_start.form", "core_draft.form", "core_approve.form", actor="owner")
    with time_machine.travel(clock.now() - timedelta(hours=3), tick=False):
        late = _start(jd, "yangfan", "district", LATE_TITLE, ["wanghong", "zhangwei"])
        complete(jd, "yangfan", task_named(jd, late.id, "draft").id,
                 {"amount": 80000, "summary": "建设全区党员教育信息平台。\n预算八万元，已列入年度计划。"})
        complete(jd, "lijianguo", task_named(jd, late.id, "secretary_approve").id,
                 {"decision": "同意", "comment": "同意立项。请纪检组同步审查资金使用安排。"})
        east = _start(jd, "duxiao", "east", "东城区委经费审批（超期）", ["hanmei"])
        complete(jd, "duxiao", task_named(jd, east.id, "draft").id, {"amount": 10, "summary": "东城小额事项"})
    on_time = _start(jd, "yangfan", "district", "区委年度预算调整", ["wanghong"])
    return {"late": late, "east": east, "on_time": on_time}


def shot(page, artifacts, name: str) -> None:
    page.evaluate("window.scrollTo({top: 0, behavior: 'instant'})")
    page.screenshot(path=str(artifacts / f"supervisor-{name}.png"), full_page=True)


def test_supervisor_filters_overdue_opens_the_case_sees_the_marked_diagram_and_urges_the_holder(
        sign_in, artifacts, late_cases):
    supervisor = sign_in("supervisor")
    page = supervisor.page
    page.get_by_role("link", name="督办").click()
    expect(page.locator("h1")).to_contain_text("案件督办")
    rows = page.locator("#cases-table tbody tr")
    expect(rows).to_have_count(2)  # the district's two cases; the sibling district's never
    expect(page.locator("#cases-table")).not_to_contain_text("东城")

    page.locator("label.sup-overdue input").check()
    page.get_by_role("button", name="筛选").click()
    expect(page).to_have_url(re.compile(r"overdue=1"))
    expect(rows).to_have_count(1)
    expect(rows.first).to_contain_text(LATE_TITLE)
    expect(rows.first).to_contain_text("纪检审查")
    expect(rows.first.locator(".badge-error")).to_have_text("超期")
    shot(page, artifacts, "1-overdue-list")

    rows.first.get_by_role("link", name=LATE_TITLE).click()
    expect(page.locator("h1")).to_contain_text(LATE_TITLE)
    diagram = page.locator("#diagram")
    expect(diagram).to_have_attribute("data-state", "ready")
    def element(element_id):
        return diagram.locator(f'g.djs-element[data-element-id="{element_id}"]')
    expect(element("discipline_check")).to_have_class(re.compile(r"jd-overdue"))
    expect(element("member_review")).to_have_class(re.compile(r"jd-current"))
    expect(element("secretary_approve")).to_have_class(re.compile(r"jd-completed"))
    expect(element("f_large")).to_have_class(re.compile(r"jd-path"))  # the branch taken, not the other one
    expect(element("f_small")).not_to_have_class(re.compile(r"jd-path"))
    timeline = page.locator("#timeline")
    expect(timeline).to_contain_text("办理了“书记审批”")
    expect(timeline).to_contain_text("同意立项。请纪检组同步审查资金使用安排。")
    expect(page.locator("#chain-state")).to_have_attribute("data-ok", "1")
    shot(page, artifacts, "2-case")

    row = page.locator("#open-tasks tr", has_text="纪检审查")
    row.locator("summary", has_text="催办").click()
    row.locator("textarea[name=message]").fill("已超期，请今天内完成审查")
    row.get_by_role("button", name="发送催办").click()
    expect(page.locator(".flash-success")).to_contain_text("已催办“纪检审查”")
    expect(page.locator("#open-tasks tr", has_text="纪检审查")).to_contain_text("已催办 1 次")
    expect(page.locator("#urges")).to_contain_text("已超期，请今天内完成审查")
    expect(page.locator("#timeline")).to_contain_text("催办“纪检审查”：已超期，请今天内完成审查")
    shot(page, artifacts, "3-urged")

    holder = sign_in("huangqiang")  # the district's discipline lead holds the check
    expect(holder.page.locator(".bell-count")).to_be_visible()
    holder.page.locator("a.bell").click()
    note = holder.page.locator(".note", has_text="已超期，请今天内完成审查")
    expect(note).to_be_visible()
    expect(note.locator(".note-kind")).to_have_text("催办")
    shot(holder.page, artifacts, "4-holder-notifications")

    page.get_by_role("link", name="统计分析").click()
    expect(page.locator("html")).to_have_attribute("data-charts", re.compile(r"\d+"))
    expect(page.locator('[data-kpi="overdue_tasks"] .kpi-value')).to_have_text("1")
    expect(page.locator("#chart-overdue-steps")).to_have_attribute("data-state", "ready")
    shot(page, artifacts, "5-dashboard")

    page.goto("/processes/core_flow/heatmap")
    expect(page.locator("#diagram")).to_have_attribute("data-heat", "ready")
    expect(page.locator(".heat-badge.has-late")).to_have_count(1)
    shot(page, artifacts, "6-heatmap")
    assert supervisor.errors == [] and holder.errors == []
