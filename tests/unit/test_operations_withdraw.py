"""撤回: a step by the person who completed it while what it opened is untouched; a case by its initiator while
nobody else has acted."""
from __future__ import annotations

import pytest

from service import details, inbox, urge
from service.errors import Conflict, Forbidden, NotFound
from service.operations import available, delegate, transfer, withdraw
from tests.support import complete, instance, open_tasks, start, task_named, user
from tests.unit.ops_support import (DRAFT, MEMBERS, act, case_at_members, case_at_secretary, chain_ok, core,  # noqa: F401
                                    done_row, kinds, last_event, notes, row)

YES = {"decision": "同意"}


def test_the_completer_takes_a_step_back_while_the_next_is_untouched(core):
    case = case_at_secretary(core)
    draft = done_row(core, case.id, "draft")
    approve = task_named(core, case.id, "secretary_approve")
    act(core, urge.urge, "supervisor", approve.id, "请抓紧")  # someone else's urge is not acting on it
    with core.db.read() as session:
        assert available.for_task(session, user(core, "yangfan"), draft.id)["withdraw"] is True
        assert available.for_task(session, user(core, "lijianguo"), draft.id)["withdraw"] is False

    result = act(core, withdraw.withdraw_task, "yangfan", draft.id)
    reopened = task_named(core, case.id, "draft")
    assert [t.id for t in result.opened] == [reopened.id] and [t.id for t in result.closed] == [approve.id]
    assert reopened.assignee_id == user(core, "yangfan").id and row(core, approve.id).state == "cancelled"
    with core.db.read() as session:
        assert details.task_detail(session, user(core, "yangfan"), reopened.id)["data"]["amount"] == 5000
        assert inbox.todo(session, user(core, "lijianguo")).total == 0
    assert notes(core, "lijianguo", "task.withdrawn") == ["杨帆 撤回了“起草事项”（采购审批），您的待办已撤销"]
    event = last_event(core, case.id, "task.withdrawn")
    assert (event["actor"], event["task_id"], event["payload"]) == ("yangfan", draft.id, {"name": "起草事项"})
    assert kinds(core, case.id)[-3:] == ["task.withdrawn", "task.cancelled", "task.created"]

    complete(core, "yangfan", reopened.id, {"amount": 300, "summary": "改为小额"})
    assert sorted(t.element_id for t in open_tasks(core, case.id))[0] == "discipline_check"
    assert chain_ok(core, case.id)


@pytest.mark.parametrize("touch", ["complete", "claim_by_transfer", "delegate", "comment_only"])
def test_a_step_cannot_be_taken_back_once_the_next_was_acted_on(core, touch):
    from service.operations import comments
    case = case_at_secretary(core)
    draft = done_row(core, case.id, "draft").id
    approve = task_named(core, case.id, "secretary_approve").id
    if touch == "complete":
        complete(core, "lijianguo", approve, YES)
    elif touch == "claim_by_transfer":
        act(core, transfer.transfer, "lijianguo", approve, "wanghong")
    elif touch == "delegate":
        act(core, delegate.delegate, "lijianguo", approve, "zhoumin")
    else:
        act(core, comments.add_to_task, "lijianguo", approve, "我看一下")
    if touch == "comment_only":  # a comment is not acting on the step
        act(core, withdraw.withdraw_task, "yangfan", draft)
        assert task_named(core, case.id, "draft")
        return
    with pytest.raises(Conflict):
        act(core, withdraw.withdraw_task, "yangfan", draft)
    assert "task.withdrawn" not in kinds(core, case.id)


def test_withdraw_refusals(core):
    case = start(core, "yangfan", "core_flow", data=MEMBERS)
    draft = task_named(core, case.id, "draft").id
    with pytest.raises(Conflict):  # not done yet
        act(core, withdraw.withdraw_task, "yangfan", draft)
    complete(core, "yangfan", draft, DRAFT)
    with pytest.raises(NotFound):
        act(core, withdraw.withdraw_task, "hezhiming", draft)
    with pytest.raises(Forbidden):  # sees the case, did not complete the step
        act(core, withdraw.withdraw_task, "lijianguo", draft)
    act(core, withdraw.withdraw_task, "yangfan", draft)
    with pytest.raises(Conflict):  # the withdrawn row itself is closed for good (a new row is open)
        act(core, withdraw.withdraw_task, "yangfan", draft)


def test_a_signer_takes_back_a_signature_while_others_have_not_signed(core):
    case = case_at_members(core)
    mine = task_named(core, case.id, "member_review", "wanghong").id
    complete(core, "wanghong", mine, {"decision": "不同意"})
    act(core, withdraw.withdraw_task, "wanghong", mine)
    again = task_named(core, case.id, "member_review", "wanghong")
    assert again.id != mine and again.assignee_id == user(core, "wanghong").id
    complete(core, "wanghong", again.id, YES)
    complete(core, "zhangwei", task_named(core, case.id, "member_review", "zhangwei").id, YES)
    complete(core, "huangqiang", task_named(core, case.id, "discipline_check").id, {})
    assert [t.element_id for t in open_tasks(core, case.id)] == ["archive"]


def test_the_last_signer_may_take_back_while_the_join_still_waits(core):
    case = case_at_members(core)
    complete(core, "wanghong", task_named(core, case.id, "member_review", "wanghong").id, YES)
    last = task_named(core, case.id, "member_review", "zhangwei").id
    complete(core, "zhangwei", last, YES)  # the countersign is complete; the join waits for the discipline check
    act(core, withdraw.withdraw_task, "zhangwei", last)
    reopened = task_named(core, case.id, "member_review", "zhangwei")
    complete(core, "zhangwei", reopened.id, {"decision": "不同意"})
    complete(core, "huangqiang", task_named(core, case.id, "discipline_check").id, {})
    assert [t.element_id for t in open_tasks(core, case.id)] == ["archive"]
    assert chain_ok(core, case.id)


def test_a_branch_that_another_branch_already_joined_cannot_be_taken_back(core):
    case = case_at_members(core)
    check = task_named(core, case.id, "discipline_check").id
    complete(core, "huangqiang", check, {})
    for member in ("wanghong", "zhangwei"):
        complete(core, member, task_named(core, case.id, "member_review", member).id, YES)
    with pytest.raises(Conflict):  # others acted since: the signers' completions opened 归档
        act(core, withdraw.withdraw_task, "huangqiang", check)
    assert task_named(core, case.id, "archive")


# -- the whole case ----------------------------------------------------------------------------------------------

def test_the_initiator_withdraws_a_case_nobody_else_has_acted_on(core):
    case = case_at_secretary(core)
    approve = task_named(core, case.id, "secretary_approve").id
    act(core, urge.urge, "supervisor", approve, "")  # someone else's urge does not count
    with core.db.read() as session:
        assert available.for_task(session, user(core, "yangfan"), approve)["withdraw_instance"] is True
    act(core, withdraw.withdraw_instance, "yangfan", case.id, "情况有变，不再申请")
    ended = instance(core, case.id)
    assert ended.status == "cancelled" and ended.ended_at is not None and open_tasks(core, case.id) == []
    assert row(core, approve).state == "cancelled"
    event = last_event(core, case.id, "instance.withdrawn")
    assert event["actor"] == "yangfan" and event["payload"] == {"reason": "withdrawn", "note": "情况有变，不再申请"}
    assert notes(core, "lijianguo", "instance.withdrawn") == ["杨帆 撤回了流程“采购审批”，相关待办已撤销"]
    with pytest.raises(Conflict):
        act(core, withdraw.withdraw_instance, "yangfan", case.id)
    assert chain_ok(core, case.id)


def test_a_case_cannot_be_withdrawn_by_others_or_after_others_acted(core):
    case = case_at_secretary(core)
    with pytest.raises(NotFound):
        act(core, withdraw.withdraw_instance, "hezhiming", case.id)
    with pytest.raises(Forbidden):  # sees it, did not start it
        act(core, withdraw.withdraw_instance, "lijianguo", case.id)
    complete(core, "lijianguo", task_named(core, case.id, "secretary_approve").id, YES)
    with pytest.raises(Conflict):
        act(core, withdraw.withdraw_instance, "yangfan", case.id)
    assert instance(core, case.id).status == "running" and "instance.withdrawn" not in kinds(core, case.id)
