"""A list past the counting cap (issue 8) says so honestly: the service's page (`total_capped`), the API's JSON,
the case list and the inbox ("more than N", a next page but no last one). The cap is lowered for the test; the
real one (10,000) is exercised by `jiandu bench-scale`."""
from __future__ import annotations

from datetime import datetime, timedelta, timezone

import pytest
import time_machine

from service import cases, inbox, instances
from service.cases import CaseFilters
from tests.support import deploy, user

T0 = datetime(2026, 3, 2, 1, 0, tzinfo=timezone.utc)


@pytest.fixture
def capped(jd, monkeypatch):
    deploy(jd, "core_flow_start.bpmn", "core_start.form", "core_draft.form", "core_approve.form", actor="owner")
    monkeypatch.setattr(inbox, "COUNT_CAP", 3)
    inbox._task_statements.cache_clear()  # built once per shape, with the cap in them
    with time_machine.travel(T0, tick=False):
        for n in range(5):
            with jd.db.write() as session:
                instances.start(session, user(jd, "yangfan"), "core_flow", "district", title=f"案件 {n}",
                                data={"members": ["wanghong"]})
    yield jd
    inbox._task_statements.cache_clear()


def test_the_service_says_when_it_stopped_counting(capped):
    with capped.db.read() as session:
        supervisor, clerk = user(capped, "supervisor"), user(capped, "yangfan")
        listed = cases.visible_instances(session, supervisor, CaseFilters(scope="supervised", per_page=2))
        assert (listed.total, listed.total_capped, len(listed.items)) == (3, True, 2)
        assert listed.as_dict()["total_capped"] is True
        few = cases.visible_instances(session, supervisor, CaseFilters(scope="supervised", unit="east"))
        assert (few.total, few.total_capped) == (0, False) and few.as_dict()["total_capped"] is False
        todo = inbox.todo(session, clerk, inbox.Query(per_page=2))
        assert (todo.total, todo.total_capped, len(todo.items)) == (3, True, 2)
        assert inbox.todo(session, user(capped, "wanghong")).total_capped is False


def test_the_api_and_the_pages_say_more_than(capped, client, login_as, token_for):
    body = client.get("/api/v1/instances?per_page=2", headers=token_for("supervisor")).get_json()
    assert body["total_capped"] is True and body["total"] == 3 and len(body["items"]) == 2
    body = client.get("/api/v1/tasks?per_page=2", headers=token_for("yangfan")).get_json()
    assert body["total_capped"] is True and body["total"] == 3
    page = login_as("supervisor").get("/cases?per_page=2").get_data(as_text=True)
    assert 'data-capped="1"' in page and "超过 3 件" in page and 'rel="next"' in page
    english = login_as("supervisor").get("/cases?per_page=2&lang=en").get_data(as_text=True)
    assert "More than 3 cases" in english
    assert "超过 3 条" in login_as("yangfan").get("/?per_page=2").get_data(as_text=True)
