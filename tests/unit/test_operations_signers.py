"""加签 / 减签 on the core flow's 成员会签 (a parallel multi-instance task over `members`)."""
from __future__ import annotations

import pytest

from service import runtime
from service.errors import Conflict, Forbidden, NotFound, ValidationFailed
from service.models import ProcessInstance
from service.operations import signers
from tests.support import complete, open_tasks, task_named, user
from tests.unit.ops_support import (act, case_at_members, chain_ok, core, kinds, last_event,  # noqa: F401
                                    notes, row)

YES = {"decision": "同意"}


def members_of(jd, case_id) -> list[str]:
    return sorted(t.mi_item for t in open_tasks(jd, case_id) if t.element_id == "member_review")


def process_data(jd, case_id) -> dict:
    with jd.db.read() as session:
        workflow = runtime.load(session, session.get(ProcessInstance, case_id))
        return workflow.last_task.data if workflow.last_task else {}


def test_an_added_signer_is_waited_for_like_the_others(core):
    case = case_at_members(core)
    mine = task_named(core, case.id, "member_review", "wanghong")
    result = act(core, signers.add_signer, "wanghong", mine.id, "liuyang")
    added = task_named(core, case.id, "member_review", "liuyang")
    assert [t.id for t in result.opened] == [added.id]
    assert added.assignee_id == user(core, "liuyang").id and added.candidates == ["liuyang"]
    assert notes(core, "liuyang", "task.new") == ["王红 加签，请您办理“成员会签”（采购审批）"]

    complete(core, "wanghong", mine.id, YES)
    complete(core, "zhangwei", task_named(core, case.id, "member_review", "zhangwei").id, YES)
    complete(core, "huangqiang", task_named(core, case.id, "discipline_check").id, {})
    assert not [t for t in open_tasks(core, case.id) if t.element_id == "archive"]  # still waits for liuyang
    complete(core, "liuyang", added.id, {"decision": "不同意", "comment": "再议"})
    assert task_named(core, case.id, "archive")
    assert process_data(core, case.id)["members"] == ["wanghong", "zhangwei", "liuyang"]

    event = last_event(core, case.id, "task.signer_added")
    assert (event["actor"], event["task_id"], event["payload"]) == \
        ("wanghong", mine.id, {"name": "成员会签", "user": "liuyang"})
    assert chain_ok(core, case.id)


def test_the_initiator_may_add_a_signer_too(core):
    case = case_at_members(core)
    act(core, signers.add_signer, "yangfan", task_named(core, case.id, "member_review", "wanghong").id, "chenjing")
    assert members_of(core, case.id) == ["chenjing", "wanghong", "zhangwei"]


def test_add_signer_refusals(core):
    case = case_at_members(core)
    mine = task_named(core, case.id, "member_review", "wanghong").id
    with pytest.raises(NotFound):
        act(core, signers.add_signer, "hezhiming", mine, "liuyang")
    with pytest.raises(Forbidden):  # another signer's instance
        act(core, signers.add_signer, "zhangwei", mine, "liuyang")
    with pytest.raises(ValidationFailed):  # already a signer
        act(core, signers.add_signer, "wanghong", mine, "zhangwei")
    with pytest.raises(ValidationFailed):
        act(core, signers.add_signer, "wanghong", mine, "nobody")
    with pytest.raises(Conflict):  # not a multi-instance task
        act(core, signers.add_signer, "huangqiang", task_named(core, case.id, "discipline_check").id, "liuyang")
    complete(core, "wanghong", mine, YES)
    with pytest.raises(Conflict):  # already completed
        act(core, signers.add_signer, "wanghong", mine, "liuyang")
    complete(core, "zhangwei", task_named(core, case.id, "member_review", "zhangwei").id, YES)
    assert members_of(core, case.id) == []
    assert "task.signer_added" not in kinds(core, case.id)


def test_a_removed_signer_is_no_longer_waited_for(core):
    case = case_at_members(core)
    mine = task_named(core, case.id, "member_review", "wanghong")
    other = task_named(core, case.id, "member_review", "zhangwei")
    act(core, signers.add_signer, "wanghong", mine.id, "liuyang")
    third = task_named(core, case.id, "member_review", "liuyang")

    act(core, signers.remove_signer, "wanghong", mine.id, other.id)
    assert row(core, other.id).state == "cancelled"
    assert notes(core, "zhangwei", "task.signer_removed") == [
        "王红 已将您从“成员会签”会签中减去（采购审批），您无需再办理"]
    with pytest.raises(Conflict):
        complete(core, "zhangwei", other.id, YES)

    complete(core, "huangqiang", task_named(core, case.id, "discipline_check").id, {})
    complete(core, "wanghong", mine.id, YES)
    assert members_of(core, case.id) == ["liuyang"]
    assert not [t for t in open_tasks(core, case.id) if t.element_id == "archive"]  # liuyang still counts
    with pytest.raises(Conflict):  # wanghong's own instance is done: acting needs an open one
        act(core, signers.remove_signer, "wanghong", mine.id, third.id)
    complete(core, "liuyang", third.id, YES)
    assert task_named(core, case.id, "archive")
    assert process_data(core, case.id)["members"] == ["wanghong", "liuyang"]


def test_removing_the_last_outstanding_signer_completes_the_countersign(core):
    case = case_at_members(core)
    mine = task_named(core, case.id, "member_review", "wanghong")
    other = task_named(core, case.id, "member_review", "zhangwei")
    complete(core, "huangqiang", task_named(core, case.id, "discipline_check").id, {})
    result = act(core, signers.remove_signer, "zhangwei", other.id, mine.id)
    assert [t.element_id for t in result.opened] == []  # wanghong out, zhangwei still to sign
    complete(core, "zhangwei", other.id, YES)
    archive = task_named(core, case.id, "archive")
    assert archive and process_data(core, case.id)["members"] == ["zhangwei"]
    removed = last_event(core, case.id, "task.signer_removed")
    assert (removed["actor"], removed["task_id"], removed["payload"]["user"]) == ("zhangwei", mine.id, "wanghong")
    assert "task.cancelled" in kinds(core, case.id) and chain_ok(core, case.id)


def test_the_initiator_removes_the_only_missing_signer_and_the_case_moves_on(core):
    case = case_at_members(core)
    complete(core, "wanghong", task_named(core, case.id, "member_review", "wanghong").id, YES)
    complete(core, "huangqiang", task_named(core, case.id, "discipline_check").id, {})
    pending = task_named(core, case.id, "member_review", "zhangwei")
    result = act(core, signers.remove_signer, "yangfan", pending.id, pending.id)
    assert [t.element_id for t in result.opened] == ["archive"]
    assert [t.id for t in result.closed] == [pending.id]


def test_remove_signer_refusals(core):
    case = case_at_members(core)
    mine = task_named(core, case.id, "member_review", "wanghong").id
    other = task_named(core, case.id, "member_review", "zhangwei").id
    check = task_named(core, case.id, "discipline_check").id
    with pytest.raises(NotFound):
        act(core, signers.remove_signer, "hezhiming", mine, other)
    with pytest.raises(Forbidden):  # sees the case, holds no instance
        act(core, signers.remove_signer, "supervisor", mine, other)
    with pytest.raises(Conflict):
        act(core, signers.remove_signer, "wanghong", mine, mine)  # oneself
    with pytest.raises(ValidationFailed):  # not an instance of the same countersign
        act(core, signers.remove_signer, "wanghong", mine, check)
    complete(core, "zhangwei", other, YES)
    with pytest.raises(Conflict):  # already signed
        act(core, signers.remove_signer, "wanghong", mine, other)
    assert "task.signer_removed" not in kinds(core, case.id)

    second = case_at_members(core, "第二件")
    first_signer = task_named(core, second.id, "member_review", "wanghong").id
    act(core, signers.remove_signer, "yangfan", first_signer, task_named(core, second.id, "member_review",
                                                                         "zhangwei").id)
    with pytest.raises(Conflict):  # the last one standing stays
        act(core, signers.remove_signer, "yangfan", first_signer, first_signer)


def test_sequential_countersigns_are_refused(core):
    from tests.support import FIXTURES, deploy
    text = (FIXTURES / "core_flow.bpmn").read_text(encoding="utf-8").replace(
        'camunda:collection="members"', 'isSequential="true" camunda:collection="members"')
    deploy(core, ("core_flow.bpmn", text), actor="owner")
    case = case_at_members(core)
    first = task_named(core, case.id, "member_review")
    with pytest.raises(Conflict):
        act(core, signers.add_signer, first.mi_item, first.id, "liuyang")
    with pytest.raises(Conflict):
        act(core, signers.remove_signer, "yangfan", first.id, first.id)
