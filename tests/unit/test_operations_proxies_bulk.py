"""代理 (a deputy receives new tasks for a date range, the original owner recorded) and bulk actions."""
from __future__ import annotations

from datetime import datetime, timedelta, timezone

import pytest
import time_machine

from service import access, inbox
from service.errors import ValidationFailed
from service.models import ProcessInstance, User
from service.operations import bulk, proxies
from tests.support import complete, start, task_named, user
from tests.unit.ops_support import (DRAFT, MEMBERS, act, core, event_count, kinds, last_event, notes,  # noqa: F401
                                    queue, row)

T0 = datetime(2026, 3, 2, 1, 0, tzinfo=timezone.utc)  # Monday 09:00 in Shanghai


def test_new_tasks_go_to_the_deputy_with_the_owner_recorded(core):
    with time_machine.travel(T0, tick=False) as clock:
        proxy = act(core, proxies.set_proxy, "lijianguo", "zhangwei", "2026-03-02", "2026-03-06")
        assert proxy.starts_at == datetime(2026, 3, 1, 16, 0, tzinfo=timezone.utc)  # 00:00 Shanghai
        assert proxy.ends_at == datetime(2026, 3, 6, 16, 0, tzinfo=timezone.utc)  # end of the 6th
        case = start(core, "yangfan", "core_flow", data=MEMBERS)
        complete(core, "yangfan", task_named(core, case.id, "draft").id, DRAFT)
        approve = task_named(core, case.id, "secretary_approve")
        assert approve.assignee_id == user(core, "zhangwei").id
        assert approve.original_assignee_id == user(core, "lijianguo").id
        assert last_event(core, case.id, "task.created")["payload"]["proxy_for"] == [user(core, "lijianguo").id]
        with core.db.read() as session:
            assert inbox.todo(session, user(core, "lijianguo")).total == 0
            assert [i["id"] for i in inbox.todo(session, user(core, "zhangwei")).items] == [approve.id]
            assert access.can_view_instance(session, user(core, "lijianguo"),
                                            session.get(ProcessInstance, case.id))  # the owner keeps sight
        assert notes(core, "zhangwei", "proxy.set")
        complete(core, "zhangwei", approve.id, {"decision": "同意"})

        clock.move_to(T0 + timedelta(days=7))  # after the range: tasks go to the owner again
        later = start(core, "yangfan", "core_flow", data=MEMBERS)
        complete(core, "yangfan", task_named(core, later.id, "draft").id, DRAFT)
        assert task_named(core, later.id, "secretary_approve").assignee_id == user(core, "lijianguo").id
    assert event_count(core, "proxy.set") == 1


def test_a_revoked_proxy_and_a_deputy_who_left_route_nothing(core):
    with time_machine.travel(T0, tick=False):
        act(core, proxies.set_proxy, "lijianguo", "zhangwei", "2026-03-01", "2026-03-31")
        assert act(core, proxies.revoke, "lijianguo") == 1
        case = start(core, "yangfan", "core_flow", data=MEMBERS)
        complete(core, "yangfan", task_named(core, case.id, "draft").id, DRAFT)
        assert task_named(core, case.id, "secretary_approve").assignee_id == user(core, "lijianguo").id

        act(core, proxies.set_proxy, "lijianguo", "zhangwei", "2026-03-01", "2026-03-31")
        with core.db.write() as session:
            session.get(User, user(core, "zhangwei").id).is_active = False
        second = start(core, "yangfan", "core_flow", data=MEMBERS)
        complete(core, "yangfan", task_named(core, second.id, "draft").id, DRAFT)
        assert task_named(core, second.id, "secretary_approve").assignee_id == user(core, "lijianguo").id
        with core.db.read() as session:
            assert proxies.current(session, user(core, "lijianguo"))["deputy"] == "zhangwei"


def test_naming_a_new_deputy_replaces_the_old_one(core):
    with time_machine.travel(T0, tick=False):
        act(core, proxies.set_proxy, "lijianguo", "zhangwei", "2026-03-02", "2026-03-06")
        act(core, proxies.set_proxy, "lijianguo", "wanghong", "2026-03-02T14:00:00+08:00", "2026-03-04")
        with core.db.read() as session:
            now = proxies.current(session, user(core, "lijianguo"))
        assert now["deputy"] == "wanghong" and now["active"] is False  # starts at 14:00 Shanghai
        assert now["from"] == datetime(2026, 3, 2, 6, 0, tzinfo=timezone.utc)


@pytest.mark.parametrize("deputy, starts, ends, field", [
    ("lijianguo", "2026-03-02", "2026-03-06", "deputy"),       # oneself
    ("nobody", "2026-03-02", "2026-03-06", "deputy"),
    ("zhangwei", "2026-03-06", "2026-03-02", "to"),            # backwards
    ("zhangwei", "2026-02-01", "2026-02-10", "to"),            # already over
    ("zhangwei", "2026-03-02", "2027-06-01", "to"),            # too long
    ("zhangwei", "next week", "2026-03-06", "from"),
    ("zhangwei", "", "2026-03-06", "from"),
])
def test_proxy_refusals(core, deputy, starts, ends, field):
    with time_machine.travel(T0, tick=False):
        with pytest.raises(ValidationFailed) as refused:
            act(core, proxies.set_proxy, "lijianguo", deputy, starts, ends)
    assert field in refused.value.details


def test_two_people_cannot_deputise_for_each_other(core):
    with time_machine.travel(T0, tick=False):
        act(core, proxies.set_proxy, "zhangwei", "lijianguo", "2026-03-02", "2026-03-06")
        with pytest.raises(ValidationFailed) as refused:
            act(core, proxies.set_proxy, "lijianguo", "zhangwei", "2026-03-05", "2026-03-09")
        assert "deputy" in refused.value.details
        act(core, proxies.set_proxy, "lijianguo", "zhangwei", "2026-03-07", "2026-03-09")  # no overlap: fine


# -- bulk -----------------------------------------------------------------------------------------------------------

def queue_cases(jd, n):
    return [task_named(jd, start(jd, "yangfan", "ops_queue", data={}, title=f"队列{i}").id, "review").id
            for i in range(n)]


def test_bulk_claim_reports_each_task(queue):
    tasks = queue_cases(queue, 3)
    from service import instances
    act(queue, instances.claim, "zhangwei", tasks[1])  # someone was quicker
    results = bulk.run(queue.db, user(queue, "wanghong"), "claim", tasks + [999999])
    assert [(r["task"], r["ok"], r["status"]) for r in results] == [
        (tasks[0], True, 200), (tasks[1], False, 409), (tasks[2], True, 200), (999999, False, 404)]
    assert row(queue, tasks[0]).assignee_id == row(queue, tasks[2]).assignee_id == user(queue, "wanghong").id
    assert row(queue, tasks[1]).assignee_id == user(queue, "zhangwei").id


def test_bulk_transfer_and_urge(queue):
    tasks = queue_cases(queue, 2)
    mine = bulk.run(queue.db, user(queue, "wanghong"), "claim", tasks)
    assert all(r["ok"] for r in mine)
    moved = bulk.run(queue.db, user(queue, "wanghong"), "transfer", tasks, to="xulei", message="请代办")
    assert all(r["ok"] for r in moved) and all(row(queue, t).assignee_id == user(queue, "xulei").id for t in tasks)
    urged = bulk.run(queue.db, user(queue, "yangfan"), "urge", tasks, message="月底前办结")
    assert all(r["ok"] for r in urged) and len(notes(queue, "xulei", "task.urged")) == 2
    refused = bulk.run(queue.db, user(queue, "hezhiming"), "urge", tasks)
    assert [r["status"] for r in refused] == [404, 404]
    case_of = row(queue, tasks[0]).instance_id
    assert kinds(queue, case_of).count("task.transferred") == 1 and "task.urged" in kinds(queue, case_of)


@pytest.mark.parametrize("action, tasks, to, field", [
    ("approve", [1], None, "action"),
    ("claim", [], None, "tasks"),
    ("claim", ["1"], None, "tasks"),
    ("claim", list(range(1, 102)), None, "tasks"),
    ("transfer", [1], None, "to"),
    ("transfer", [1], "nobody", "to"),
])
def test_bulk_refuses_a_malformed_request_as_a_whole(queue, action, tasks, to, field):
    with pytest.raises(ValidationFailed) as refused:
        bulk.run(queue.db, user(queue, "wanghong"), action, tasks, to=to)
    assert field in refused.value.details
