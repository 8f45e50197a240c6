"""转办 and 委派: who may hand a task on, what the new holder or the delegate can do, what the chain records."""
from __future__ import annotations

import pytest

from service import details, inbox
from service.errors import Conflict, Forbidden, NotFound, ValidationFailed
from service.models import User
from service.operations import delegate, transfer
from tests.support import complete, open_tasks, start, task_named, user
from tests.unit.ops_support import (DRAFT, MEMBERS, act, chain_ok, core, kinds, last_event, notes, queue,  # noqa: F401
                                    row)


def todo_ids(jd, username):
    with jd.db.read() as session:
        return [item["id"] for item in inbox.todo(session, user(jd, username)).items]


# -- 转办 -------------------------------------------------------------------------------------------------------------

def test_transfer_makes_the_new_holder_own_the_task(core):
    case = start(core, "yangfan", "core_flow", data=MEMBERS)
    draft = task_named(core, case.id, "draft")
    act(core, transfer.transfer, "yangfan", draft.id, "zhoumin", "我出差，请代为起草")

    moved = row(core, draft.id)
    assert moved.assignee_id == user(core, "zhoumin").id
    assert moved.original_assignee_id == user(core, "yangfan").id  # whom it was first meant for
    assert draft.id in todo_ids(core, "zhoumin") and draft.id not in todo_ids(core, "yangfan")
    with pytest.raises(Forbidden):
        complete(core, "yangfan", draft.id, DRAFT)
    complete(core, "zhoumin", draft.id, DRAFT)
    assert row(core, draft.id).completed_by_id == user(core, "zhoumin").id

    event = last_event(core, case.id, "task.transferred")
    assert event["actor"] == "yangfan" and event["task_id"] == draft.id
    assert event["payload"] == {"name": "起草事项", "from": "yangfan", "to": "zhoumin", "reason": "我出差，请代为起草"}
    assert notes(core, "zhoumin", "task.transferred") == ["杨帆 将“起草事项”转办给您（测试案件）：我出差，请代为起草"]
    assert chain_ok(core, case.id)


def test_a_second_transfer_keeps_who_it_was_first_meant_for(core):
    case = start(core, "yangfan", "core_flow", data=MEMBERS)
    draft = task_named(core, case.id, "draft").id
    act(core, transfer.transfer, "yangfan", draft, "zhoumin")
    act(core, transfer.transfer, "zhoumin", draft, "xulei")
    assert row(core, draft).original_assignee_id == user(core, "yangfan").id
    assert row(core, draft).assignee_id == user(core, "xulei").id
    assert kinds(core, case.id).count("task.transferred") == 2


def test_transfer_refusals(core):
    case = start(core, "yangfan", "core_flow", data=MEMBERS)
    draft = task_named(core, case.id, "draft").id
    with pytest.raises(NotFound):  # cannot even see the case
        act(core, transfer.transfer, "hezhiming", draft, "zhoumin")
    with pytest.raises(Forbidden):  # sees the case (supervisor) but does not hold the task
        act(core, transfer.transfer, "supervisor", draft, "zhoumin")
    with pytest.raises(ValidationFailed) as unknown:
        act(core, transfer.transfer, "yangfan", draft, "nobody")
    assert "to" in unknown.value.details
    with pytest.raises(ValidationFailed):
        act(core, transfer.transfer, "yangfan", draft, "yangfan")  # already theirs
    with core.db.write() as session:
        session.get(User, user(core, "xulei").id).is_active = False
    with pytest.raises(ValidationFailed):
        act(core, transfer.transfer, "yangfan", draft, "xulei")  # left the organisation
    complete(core, "yangfan", draft, DRAFT)
    with pytest.raises(Conflict):  # already completed
        act(core, transfer.transfer, "yangfan", draft, "zhoumin")
    assert "task.transferred" not in kinds(core, case.id)


def test_an_admin_may_reassign_and_a_queue_member_may_transfer_from_the_queue(queue):
    case = start(queue, "yangfan", "ops_queue", data={})
    review = task_named(queue, case.id, "review").id
    act(queue, transfer.transfer, "wanghong", review, "xulei")  # a queue member, nobody has claimed it
    moved = row(queue, review)
    assert moved.assignee_id == user(queue, "xulei").id and moved.original_assignee_id is None
    assert review not in todo_ids(queue, "zhangwei")  # out of the queue
    act(queue, transfer.transfer, "admin", review, "zhangwei")
    assert row(queue, review).assignee_id == user(queue, "zhangwei").id
    assert last_event(queue, case.id, "task.transferred")["payload"]["from"] == "xulei"


# -- 委派 -------------------------------------------------------------------------------------------------------------

def test_delegation_goes_to_the_delegate_and_comes_back_to_the_holder(core):
    case = start(core, "yangfan", "core_flow", data=MEMBERS)
    draft = task_named(core, case.id, "draft").id
    act(core, delegate.delegate, "yangfan", draft, "zhoumin", "请先拟个初稿")
    assert draft in todo_ids(core, "zhoumin") and draft not in todo_ids(core, "yangfan")
    assert notes(core, "zhoumin", "task.delegated") == ["杨帆 委派您办理“起草事项”（测试案件）：请先拟个初稿"]
    with pytest.raises(Forbidden):  # while delegated only the delegate works on it
        complete(core, "yangfan", draft, DRAFT)
    with pytest.raises(Forbidden):  # the delegate works on it but does not decide where it goes
        act(core, transfer.transfer, "zhoumin", draft, "xulei")

    complete(core, "zhoumin", draft, {"amount": 4800, "summary": "初稿：购置办公设备"})
    back = row(core, draft)
    assert back.state == "open" and back.delegate_id is None and back.assignee_id == user(core, "yangfan").id
    assert back.delegate_data == {"amount": 4800, "summary": "初稿：购置办公设备"}
    assert draft in todo_ids(core, "yangfan") and draft not in todo_ids(core, "zhoumin")
    assert notes(core, "yangfan", "task.returned")
    with core.db.read() as session:  # the holder sees what the delegate wrote
        assert details.task_detail(session, user(core, "yangfan"), draft)["delegate_data"]["amount"] == 4800

    complete(core, "yangfan", draft, DRAFT)
    assert task_named(core, case.id, "secretary_approve")
    order = [k for k in kinds(core, case.id) if k in ("task.delegated", "task.delegation_returned", "task.completed")]
    assert order == ["task.delegated", "task.delegation_returned", "task.completed"]
    assert last_event(core, case.id, "task.delegated")["payload"] == {"name": "起草事项", "to": "zhoumin",
                                                                      "note": "请先拟个初稿"}
    assert chain_ok(core, case.id)


def test_delegation_refusals(core, queue):
    case = start(core, "yangfan", "core_flow", data=MEMBERS)
    draft = task_named(core, case.id, "draft").id
    with pytest.raises(NotFound):
        act(core, delegate.delegate, "hezhiming", draft, "zhoumin")
    with pytest.raises(Forbidden):
        act(core, delegate.delegate, "supervisor", draft, "zhoumin")
    with pytest.raises(ValidationFailed):
        act(core, delegate.delegate, "yangfan", draft, "yangfan")
    act(core, delegate.delegate, "yangfan", draft, "zhoumin")
    with pytest.raises(Conflict):  # one delegate at a time
        act(core, delegate.delegate, "yangfan", draft, "xulei")
    with pytest.raises(Conflict):  # nor transferred while delegated
        act(core, transfer.transfer, "yangfan", draft, "xulei")
    queued = task_named(core, start(core, "yangfan", "ops_queue", data={}).id, "review").id
    with pytest.raises(Conflict):  # a queue task is claimed before it is delegated
        act(core, delegate.delegate, "wanghong", queued, "xulei")
    complete(core, "zhoumin", draft, DRAFT)
    complete(core, "yangfan", draft, DRAFT)
    with pytest.raises(Conflict):
        act(core, delegate.delegate, "yangfan", draft, "xulei")
    assert kinds(core, case.id).count("task.delegated") == 1


def test_the_holder_may_recall_an_unanswered_delegation(core):
    case = start(core, "yangfan", "core_flow", data=MEMBERS)
    draft = task_named(core, case.id, "draft").id
    act(core, delegate.delegate, "yangfan", draft, "zhoumin")
    with pytest.raises(Forbidden):
        act(core, delegate.recall, "zhoumin", draft)
    act(core, delegate.recall, "yangfan", draft)
    assert row(core, draft).delegate_id is None and draft not in todo_ids(core, "zhoumin")
    assert notes(core, "zhoumin", "task.delegated")[-1].startswith("杨帆 已收回委派")
    with pytest.raises(NotFound):  # never took part: the case is out of sight again
        complete(core, "zhoumin", draft, DRAFT)
    complete(core, "yangfan", draft, DRAFT)
    assert "task.delegation_recalled" in kinds(core, case.id)
    assert [t.element_id for t in open_tasks(core, case.id)] == ["secretary_approve"]
