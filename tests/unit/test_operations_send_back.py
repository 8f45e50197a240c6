"""退回: back to the previous step by default, elsewhere only where the process owner allows it (`sendBackTo`),
with the engine reset (`reset_from_task_id`), later tasks cancelled and the step reopened for who did it."""
from __future__ import annotations

import pytest

from service import details
from service.errors import Conflict, Forbidden, NotFound, ValidationFailed
from service.operations import available, delegate, send_back
from tests.support import complete, deploy, open_tasks, start, task_named, user
from tests.unit.ops_support import (CORE_FILES, DRAFT, MEMBERS, act, case_at_members, case_at_secretary,  # noqa: F401
                                    chain_ok, core, core_flow_allowing_send_back, kinds, last_event, notes, row)

YES = {"decision": "同意"}


@pytest.fixture
def owner_allows(jd):
    deploy(jd, ("core_flow.bpmn", core_flow_allowing_send_back()), *CORE_FILES[1:], actor="owner")
    return jd


def test_send_back_to_the_previous_step_reopens_it_for_who_did_it(core):
    case = case_at_secretary(core)
    approve = task_named(core, case.id, "secretary_approve")
    result = act(core, send_back.send_back, "lijianguo", approve.id, None, "金额依据不足，请补充报价单")

    draft = task_named(core, case.id, "draft")
    assert [t.id for t in result.opened] == [draft.id] and [t.id for t in result.closed] == [approve.id]
    assert row(core, approve.id).state == "cancelled"
    assert draft.assignee_id == user(core, "yangfan").id and draft.candidates == ["yangfan"]
    with core.db.read() as session:  # the form shows what was entered before
        detail = details.task_detail(session, user(core, "yangfan"), draft.id)
        note = available.sent_back_note(session, draft)
    assert detail["data"]["amount"] == 5000 and detail["data"]["summary"] == "购置办公设备"
    assert note["by"] == "李建国" and note["reason"] == "金额依据不足，请补充报价单"
    assert notes(core, "yangfan", "task.sent_back") == [
        "李建国 将“起草事项”退回给您（采购审批），原因：金额依据不足，请补充报价单"]
    assert len(notes(core, "yangfan", "task.new")) == 1  # only the first time, not again for the send-back

    event = last_event(core, case.id, "task.sent_back")
    assert (event["actor"], event["task_id"]) == ("lijianguo", approve.id)
    assert event["payload"] == {"name": "书记审批", "to_element": "draft", "to_name": "起草事项", "to_user": "yangfan",
                                "reason": "金额依据不足，请补充报价单"}
    tail = kinds(core, case.id)[-3:]
    assert tail == ["task.sent_back", "task.cancelled", "task.created"]

    complete(core, "yangfan", draft.id, {"amount": 800, "summary": "改为小额采购"})  # the engine runs on from here
    assert sorted(t.element_id for t in open_tasks(core, case.id)) == ["discipline_check", "member_review",
                                                                        "member_review"]
    assert chain_ok(core, case.id)


def test_a_reason_is_required(core):
    case = case_at_secretary(core)
    approve = task_named(core, case.id, "secretary_approve").id
    for blank in ("", "   ", None):
        with pytest.raises(ValidationFailed) as refused:
            act(core, send_back.send_back, "lijianguo", approve, None, blank)
        assert "reason" in refused.value.details
    assert row(core, approve).state == "open"


def test_send_back_refusals(core):
    case = start(core, "yangfan", "core_flow", data=MEMBERS)
    draft = task_named(core, case.id, "draft").id
    with pytest.raises(Conflict):  # the first step: nothing earlier
        act(core, send_back.send_back, "yangfan", draft, None, "无")
    complete(core, "yangfan", draft, DRAFT)
    approve = task_named(core, case.id, "secretary_approve").id
    with pytest.raises(NotFound):
        act(core, send_back.send_back, "hezhiming", approve, None, "理由")
    with pytest.raises(Forbidden):  # the initiator sees the case but does not hold this step
        act(core, send_back.send_back, "yangfan", approve, None, "理由")
    with pytest.raises(ValidationFailed) as unknown:  # not an earlier step of this case
        act(core, send_back.send_back, "lijianguo", approve, "archive", "理由")
    assert "to_element" in unknown.value.details
    act(core, delegate.delegate, "lijianguo", approve, "zhoumin")
    with pytest.raises(Forbidden):  # the delegate answers the holder, does not route the case
        act(core, send_back.send_back, "zhoumin", approve, None, "理由")
    with pytest.raises(Conflict):  # nor the holder while it is delegated
        act(core, send_back.send_back, "lijianguo", approve, None, "理由")
    complete(core, "zhoumin", approve, YES)
    complete(core, "lijianguo", approve, YES)
    with pytest.raises(Conflict):  # completed
        act(core, send_back.send_back, "lijianguo", approve, None, "理由")
    assert "task.sent_back" not in kinds(core, case.id)


def test_an_earlier_step_that_is_not_the_previous_one_needs_the_owners_permission(core):
    case = case_at_members(core)
    review = task_named(core, case.id, "member_review", "wanghong").id
    with pytest.raises(Forbidden):  # previous is 书记审批; 起草事项 is further back and not allowed here
        act(core, send_back.send_back, "wanghong", review, "draft", "请重新起草")
    act(core, send_back.send_back, "wanghong", review, "secretary_approve", "请书记再斟酌")  # the previous: fine
    assert [t.element_id for t in open_tasks(core, case.id)] == ["secretary_approve"]
    assert task_named(core, case.id, "secretary_approve").assignee_id == user(core, "lijianguo").id


def test_the_owner_may_allow_going_further_back(owner_allows):
    jd = owner_allows
    case = case_at_members(jd)
    review = task_named(jd, case.id, "member_review", "zhangwei").id
    with jd.db.read() as session:
        targets = available.for_task(session, user(jd, "zhangwei"), review)["send_back_targets"]
    assert [(t["element_id"], t["default"]) for t in targets] == [("secretary_approve", True), ("draft", False)]
    act(jd, send_back.send_back, "zhangwei", review, "draft", "事项说明不清")
    # Everything after 起草事项 is cancelled: both signers, the parallel discipline check.
    assert [t.element_id for t in open_tasks(jd, case.id)] == ["draft"]
    assert kinds(jd, case.id).count("task.cancelled") == 3
    assert notes(jd, "yangfan", "task.sent_back")[-1].endswith("原因：事项说明不清")


def test_sending_back_to_a_countersign_reopens_it_for_every_signer(owner_allows):
    jd = owner_allows
    case = case_at_members(jd)
    for member in ("wanghong", "zhangwei"):
        complete(jd, member, task_named(jd, case.id, "member_review", member).id, YES)
    complete(jd, "huangqiang", task_named(jd, case.id, "discipline_check").id, {})
    archive = task_named(jd, case.id, "archive").id
    act(jd, send_back.send_back, "yangfan", archive, "member_review", "请成员重新审议")
    reopened = sorted(t.mi_item for t in open_tasks(jd, case.id) if t.element_id == "member_review")
    assert reopened == ["wanghong", "zhangwei"]
    assert row(jd, archive).state == "cancelled"
    for member in ("wanghong", "zhangwei"):
        assert notes(jd, member, "task.sent_back")
        complete(jd, member, task_named(jd, case.id, "member_review", member).id, YES)
    assert task_named(jd, case.id, "archive")  # the join counts the discipline branch done before
    assert chain_ok(jd, case.id)
