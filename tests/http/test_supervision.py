"""The supervision pages and their API over HTTP (issue 6): who may open them, the scope a district's supervisor
sees (list, case view, dashboard, exports, API — never a sibling district), overdue with a moving clock, 催办 and
where the holder finds it, the record as a page and a Word document, the exports' safety, problems and retry, the
heatmap."""
from __future__ import annotations

import csv
import io
import json
import re
from datetime import datetime, timedelta, timezone

import pytest
import time_machine
from docx import Document
from openpyxl import load_workbook
from sqlalchemy import select

from service import instances
from service.models import AuditEvent, Membership, Notification, Unit
from tests.http.conftest import csrf_token
from tests.http.test_api import Api, conforms, is_error
from tests.support import complete, deploy, one_step_bpmn, task_named, user

T0 = datetime(2026, 3, 2, 1, 0, tzinfo=timezone.utc)  # Monday 09:00 in Shanghai
DANGEROUS = "=HYPERLINK(\"http://x\",\"点我\")"
OPINION = "同意。\n请严格按照采购程序执行，做好比价记录，资金使用情况报纪检监察组备案。"


@pytest.fixture
def api(client, token_for) -> Api:
    return Api(client, token_for)


def _start(jd, username: str, unit: str, title: str, members: list[str], case_no: str | None = None):
    with jd.db.write() as session:
        return instances.start(session, user(jd, username), "core_flow", unit, title=title, case_no=case_no,
                               data={"members": members}).instance


@pytest.fixture
def three(jd):
    """A district case at the secretary's step, a department case at its first step, a sibling district's case."""
    deploy(jd, "core_flow_start.bpmn", "core_start.form", "core_draft.form", "core_approve.form", actor="owner")
    with time_machine.travel(T0, tick=False):
        district = _start(jd, "yangfan", "district", "区委采购审批", ["wanghong", "zhangwei"], "QW-001")
        complete(jd, "yangfan", task_named(jd, district.id, "draft").id, {"amount": 5000, "summary": "购置办公设备"})
        edu = _start(jd, "guoli", "district-edu", DANGEROUS, ["luoxiaoli"])
        east = _start(jd, "duxiao", "east", "东城区委经费审批", ["hanmei"], "DC-001")
    return {"district": district, "edu": edu, "east": east}


def ids_on_page(html: str) -> set[int]:
    return {int(i) for i in re.findall(r'data-instance-id="(\d+)"', html)}


def embedded_json(html: str, element_id: str):
    match = re.search(rf'<script type="application/json" id="{element_id}"[^>]*>(.*?)</script>', html, re.S)
    assert match, element_id
    return json.loads(match.group(1))


# -- permissions ---------------------------------------------------------------------------------------------------

def test_every_supervision_route_refuses_anonymous_users_and_non_supervisors(app, client, login_as, three):
    district = three["district"]
    task = task_named(app.extensions["jiandu"], district.id, "secretary_approve")
    params = {"instance_id": district.id, "task_id": task.id, "problem_id": 999999, "key": "core_flow"}
    rules = [r for r in app.url_map.iter_rules() if r.endpoint.startswith("supervision.")]
    assert {r.endpoint for r in rules} == {
        "supervision.cases", "supervision.case", "supervision.urge", "supervision.export_csv",
        "supervision.export_xlsx", "supervision.record", "supervision.record_docx", "supervision.dashboard",
        "supervision.heatmap", "supervision.heatmap_diagram", "supervision.problems", "supervision.retry_problem"}
    initiator = login_as("yangfan")  # started the district case, supervises nothing
    token = csrf_token(initiator, "/")
    for rule in rules:
        path = rule.build(params)[1]
        post = "POST" in rule.methods
        anonymous = client.post(path) if post else client.get(path)
        assert anonymous.status_code in ((400, 302) if post else (302,)), (path, anonymous.status_code)
        if anonymous.status_code == 302:
            assert "/login" in anonymous.headers["Location"]
        refused = initiator.post(path, data={"csrf_token": token}) if post else initiator.get(path)
        assert refused.status_code == 403, (path, refused.status_code)
    assert client.get("/cases/999999").status_code == 302
    assert initiator.get("/api/v1/dashboard").status_code == 403


def test_a_supervisor_of_one_district_never_sees_a_sibling_district(three, login_as, api):
    district, edu, east = three["district"], three["edu"], three["east"]
    supervisor = login_as("supervisor")
    listed = ids_on_page(supervisor.get("/cases").get_data(as_text=True))
    assert listed == {district.id, edu.id}
    assert ids_on_page(supervisor.get("/cases?unit=east").get_data(as_text=True)) == set()
    assert ids_on_page(supervisor.get("/cases?q=东城").get_data(as_text=True)) == set()
    assert supervisor.get(f"/cases/{district.id}").status_code == 200
    for path in (f"/cases/{east.id}", f"/cases/{east.id}/record", f"/cases/{east.id}/record.docx"):
        assert supervisor.get(path).status_code == 404, path

    figures = embedded_json(supervisor.get("/dashboard").get_data(as_text=True), "jd-dashboard")
    assert {u["unit"] for u in figures["by_unit"]} == {"district", "district-edu"}
    assert figures["totals"]["cases"] == 2
    body = api.get("/dashboard", "supervisor").get_json()
    assert {u["unit"] for u in body["by_unit"]} == {"district", "district-edu"} and body["totals"]["cases"] == 2
    east_body = api.get("/dashboard", "eastsupervisor").get_json()
    assert {u["unit"] for u in east_body["by_unit"]} == {"east"} and east_body["totals"]["cases"] == 1

    exported = supervisor.get("/cases/export.csv").get_data().decode("utf-8-sig")
    assert "区委采购审批" in exported and "东城" not in exported
    sheet = load_workbook(io.BytesIO(supervisor.get("/cases/export.xlsx").get_data())).active
    titles = {row[1] for row in sheet.iter_rows(min_row=2, values_only=True)}
    assert titles == {"区委采购审批", DANGEROUS}

    assert {i["id"] for i in api.get("/instances", "supervisor").get_json()["items"]} == {district.id, edu.id}
    assert api.get("/instances?unit=east", "supervisor").get_json()["total"] == 0
    is_error(api.get(f"/instances/{east.id}", "supervisor"), 404)
    assert {i["id"] for i in api.get("/instances", "eastsupervisor").get_json()["items"]} == {east.id}
    everything = ids_on_page(login_as("zhengzhiyuan").get("/cases").get_data(as_text=True))
    assert everything == {district.id, edu.id, east.id}


# -- overdue with a moving clock -----------------------------------------------------------------------------------

def test_an_overdue_task_shows_in_the_list_the_dashboard_the_diagram_and_the_api(jd, three, login_as, api):
    district = three["district"]
    with time_machine.travel(T0 + timedelta(minutes=5), tick=False) as clock:
        complete(jd, "lijianguo", task_named(jd, district.id, "secretary_approve").id, {"decision": "同意"})
        supervisor = login_as("supervisor")
        assert ids_on_page(supervisor.get("/cases?overdue=1").get_data(as_text=True)) == set()
        clock.move_to(T0 + timedelta(hours=3))  # discipline_check was due an hour after it opened
        page = supervisor.get("/cases?overdue=1").get_data(as_text=True)
        assert ids_on_page(page) == {district.id} and "已超期" in page
        figures = api.get("/dashboard", "supervisor").get_json()
        assert figures["totals"]["overdue_tasks"] == 1
        [step] = figures["overdue_by_step"]
        assert step["element_id"] == "discipline_check"
        assert step["link"] == "/cases?definition=core_flow&step=discipline_check&overdue=1"
        assert ids_on_page(supervisor.get(step["link"]).get_data(as_text=True)) == {district.id}
        marking = embedded_json(supervisor.get(f"/cases/{district.id}").get_data(as_text=True), "jd-marking")
        assert marking["overdue"] == ["discipline_check"]
        assert {"f_large", "f_approved", "f_to_discipline"} <= set(marking["path"])
        assert "secretary_approve" in marking["completed"]
        listed = api.get("/instances?overdue=true", "supervisor").get_json()
        assert [i["id"] for i in listed["items"]] == [district.id] and listed["items"][0]["overdue"] is True
        conforms(listed, "InstanceList")
        assert api.get("/instances?overdue=true", "eastsupervisor").get_json()["total"] == 0


def test_the_api_list_takes_step_holder_text_and_dates(three, api):
    district, edu = three["district"], three["edu"]
    assert [i["id"] for i in api.get("/instances?step=secretary_approve", "supervisor").get_json()["items"]] == [
        district.id]
    assert [i["id"] for i in api.get("/instances?assignee=guoli", "supervisor").get_json()["items"]] == [edu.id]
    assert [i["id"] for i in api.get("/instances?q=qw-0", "supervisor").get_json()["items"]] == [district.id]
    assert api.get("/instances?from=2026-03-02&to=2026-03-02", "supervisor").get_json()["total"] == 2
    assert api.get("/instances?from=2026-03-03", "supervisor").get_json()["total"] == 0
    is_error(api.get("/instances?from=yesterday", "supervisor"), 422)
    is_error(api.get("/instances?assignee=nobody", "supervisor"), 422)


# -- 催办 --------------------------------------------------------------------------------------------------------------

def test_a_supervisor_urges_the_holder_who_sees_it_and_the_chain_records_it(jd, three, login_as, api):
    district = three["district"]
    task = task_named(jd, district.id, "secretary_approve")
    supervisor = login_as("supervisor")
    page = supervisor.get(f"/cases/{district.id}").get_data(as_text=True)
    assert f'/cases/{district.id}/tasks/{task.id}/urge' in page
    answer = supervisor.post(f"/cases/{district.id}/tasks/{task.id}/urge",
                             data={"csrf_token": csrf_token(supervisor, "/cases"), "message": "请本周内审批"})
    assert answer.status_code == 302 and answer.headers["Location"].endswith(f"/cases/{district.id}#open-tasks")
    page = supervisor.get(f"/cases/{district.id}").get_data(as_text=True)
    assert "已催办 1 次" in page and "请本周内审批" in page

    holder = login_as("lijianguo")
    notes = holder.get("/notifications").get_data(as_text=True)
    assert "催办" in notes and "请本周内审批" in notes
    with jd.db.read() as session:
        urged = session.scalars(select(AuditEvent).where(AuditEvent.instance_id == district.id,
                                                         AuditEvent.kind == "task.urged")).all()
        kinds = session.scalars(select(Notification.kind).where(
            Notification.user_id == user(jd, "lijianguo").id)).all()
    assert len(urged) == 1 and json.loads(urged[0].payload)["message"] == "请本周内审批" and urged[0].actor == "supervisor"
    assert "task.urged" in kinds

    east_task = task_named(jd, three["east"].id, "draft")
    assert supervisor.post(f"/cases/{three['east'].id}/tasks/{east_task.id}/urge",
                           data={"csrf_token": csrf_token(supervisor, "/cases")}).status_code == 404
    assert supervisor.post(f"/cases/{district.id}/tasks/{east_task.id}/urge",  # a task of another case
                           data={"csrf_token": csrf_token(supervisor, "/cases")}).status_code == 404
    assert api.post(f"/tasks/{task.id}/urge", "supervisor", json={"message": "再次催办"}).status_code == 201
    is_error(api.post(f"/tasks/{east_task.id}/urge", "supervisor", json={}), 404)

    complete(jd, "lijianguo", task.id, {"decision": "同意"})  # closed: urging it now is refused, with a message
    answer = supervisor.post(f"/cases/{district.id}/tasks/{task.id}/urge",
                             data={"csrf_token": csrf_token(supervisor, "/cases")}, follow_redirects=True)
    assert "无需催办" in answer.get_data(as_text=True)


# -- the record --------------------------------------------------------------------------------------------------------

def test_the_full_record_as_a_page_and_as_a_word_document(jd, three, login_as):
    district = three["district"]
    complete(jd, "lijianguo", task_named(jd, district.id, "secretary_approve").id,
             {"decision": "同意", "comment": OPINION})
    supervisor = login_as("supervisor")
    page = supervisor.get(f"/cases/{district.id}/record").get_data(as_text=True)
    with jd.db.read() as session:
        hashes = session.scalars(select(AuditEvent.hash).where(AuditEvent.instance_id == district.id)
                                 .order_by(AuditEvent.seq)).all()
    assert "请严格按照采购程序执行" in page and "校验通过" in page and all(h in page for h in hashes)
    answer = supervisor.get(f"/cases/{district.id}/record.docx")
    assert answer.status_code == 200 and answer.mimetype.endswith("wordprocessingml.document")
    doc = Document(io.BytesIO(answer.get_data()))
    text = "\n".join(p.text for p in doc.paragraphs) + "\n".join(
        cell.text for table in doc.tables for row in table.rows for cell in row.cells)
    assert "案件全程纪实" in text and "资金使用情况报纪检监察组备案" in text and "购置办公设备" in text
    assert hashes[-1] in text and "校验通过" in text


# -- exports ---------------------------------------------------------------------------------------------------------

def test_exports_open_in_excel_and_never_carry_a_formula(three, login_as):
    supervisor = login_as("supervisor")
    answer = supervisor.get("/cases/export.csv")
    raw = answer.get_data()
    assert answer.headers["Content-Type"] == "text/csv; charset=utf-8" and raw.startswith(b"\xef\xbb\xbf")
    assert "attachment" in answer.headers["Content-Disposition"]
    rows = list(csv.reader(io.StringIO(raw.decode("utf-8-sig"))))
    assert rows[0][:3] == ["案号", "案件标题", "流程"] and len(rows) == 3
    assert "'" + DANGEROUS in {row[1] for row in rows}
    assert all(not cell.startswith(("=", "+", "-", "@")) for row in rows for cell in row)

    sheet = load_workbook(io.BytesIO(supervisor.get("/cases/export.xlsx").get_data())).active
    cells = [cell for row in sheet.iter_rows(min_row=2) for cell in row if cell.value == DANGEROUS]
    assert cells and all(cell.data_type == "s" for cell in cells)

    filtered = supervisor.get("/cases/export.csv?step=secretary_approve").get_data().decode("utf-8-sig")
    assert len(list(csv.reader(io.StringIO(filtered)))) == 2 and "区委采购审批" in filtered
    assert supervisor.get("/cases/export.csv?from=not-a-date").status_code == 422


# -- problems ----------------------------------------------------------------------------------------------------------

NOBODY = one_step_bpmn("legal_review", "法制审核", "合法性审查", "legal")


def test_problems_are_listed_for_their_supervisor_and_retried_once_fixed(jd, login_as):
    deploy(jd, ("legal_review.bpmn", NOBODY), actor="owner")
    with jd.db.write() as session:
        case = instances.start(session, user(jd, "duxiao"), "legal_review", "east", title="东城合法性审查").instance
    east = login_as("eastsupervisor")
    page = east.get("/problems").get_data(as_text=True)
    problem_id = int(re.search(r'data-problem-id="(\d+)"', page).group(1))
    assert "没有找到办理人" in page and "东城合法性审查" in page
    assert "data-problem-id" not in login_as("supervisor").get("/problems").get_data(as_text=True)
    supervisor = login_as("supervisor")
    assert supervisor.post(f"/problems/{problem_id}/retry",
                           data={"csrf_token": csrf_token(supervisor, "/cases")}).status_code == 404

    token = csrf_token(east, "/problems")
    still = east.post(f"/problems/{problem_id}/retry", data={"csrf_token": token}, follow_redirects=True)
    assert "仍然没有找到办理人" in still.get_data(as_text=True)
    with jd.db.write() as session:
        unit = session.scalar(select(Unit).where(Unit.code == "east"))
        session.add(Membership(user_id=user(jd, "yuqing").id, unit_id=unit.id, role="legal"))
    fixed = east.post(f"/problems/{problem_id}/retry", data={"csrf_token": token}, follow_redirects=True)
    assert "已重新分配" in fixed.get_data(as_text=True)
    assert "data-problem-id" not in east.get("/problems").get_data(as_text=True)
    assert task_named(jd, case.id, "review").assignee_id == user(jd, "yuqing").id


# -- heatmap and the dashboard's contract --------------------------------------------------------------------------

def test_the_heatmap_counts_open_tasks_in_the_supervisors_units(three, login_as):
    supervisor = login_as("supervisor")
    page = supervisor.get("/processes/core_flow/heatmap").get_data(as_text=True)
    heat = {e["element_id"]: e for e in embedded_json(page, "jd-heat")["elements"]}
    assert heat["draft"]["open"] == 1 and heat["secretary_approve"]["open"] == 1   # the department's, the district's
    assert heat["draft"]["link"] == "/cases?definition=core_flow&step=draft"
    east = {e["element_id"]: e for e in embedded_json(
        login_as("eastsupervisor").get("/processes/core_flow/heatmap").get_data(as_text=True), "jd-heat")["elements"]}
    assert east["draft"]["open"] == 1 and east["secretary_approve"]["open"] == 0
    diagram = supervisor.get("/processes/core_flow/heatmap.bpmn")
    assert diagram.status_code == 200 and b"BPMNDiagram" in diagram.get_data()
    assert "sandbox" in diagram.headers["Content-Security-Policy"]
    assert supervisor.get("/processes/no_such_process/heatmap").status_code == 404


def test_the_dashboard_api_matches_its_openapi_schema_and_links_every_figure(three, api):
    body = api.get("/dashboard?weeks=4", "supervisor").get_json()
    conforms(body, "Dashboard")
    assert len(body["trend"]) == 4
    for key in ("by_status", "by_unit", "step_durations", "process_durations", "trend"):
        for item in body[key]:
            assert item["link"].startswith("/cases"), (key, item)
    is_error(api.get("/dashboard", "yangfan"), 403)
    is_error(api.get("/dashboard?unit=nowhere", "supervisor"), 422)
