"""Dissent queries (service.dissent): who held which view on a decision, and every decision a person opposed,
reserved an opinion on or asked to defer — read from what each person submitted, with who may ask."""
from __future__ import annotations

import pytest

from service import dissent
from service.errors import Forbidden, NotFound
from tests.support import start, user
from tests.workflows.conftest import events
from tests.workflows.test_major_decision import AGREE, TEAM, Decision, clock  # noqa: F401 (fixture)


def as_user(jd, username, fn, *args):
    with jd.db.read() as session:
        return fn(session, user(jd, username), *args)


@pytest.fixture
def decided(clock, library):
    """Round 1 deferred (a split), round 2 passed; zhangwei opposed twice, liuyang reserved, the secretary deferred."""
    jd = library
    d = Decision(jd)
    d.prepare()
    d.schedule()
    d.attend(present=["lijianguo", "wanghong", "zhangwei", "liuyang"], notes="陈静请假，书面意见：同意")
    d.vote({"wanghong": AGREE, "zhangwei": ("不同意", "论证不充分"), "liuyang": ("保留意见", "资金来源待明确"),
            "lijianguo": ("缓议", "补充论证后再议")})
    d.schedule(meeting="2026-03-17", sent="2026-03-09")
    d.attend()
    d.vote({"wanghong": AGREE, "zhangwei": ("不同意", "仍认为论证不充分"), "liuyang": AGREE, "chenjing": AGREE,
            "lijianguo": AGREE})
    d.minutes()
    return d


def test_opinions_of_a_decision_round_by_round_in_the_order_recorded(decided):
    jd, d = decided.jd, decided
    record = as_user(jd, "supervisor", dissent.opinions, d.case.id)
    assert record["instance_id"] == d.case.id and record["unit_code"] == "district" and record["status"] == "running"
    assert record["category"] == "重大项目安排" and record["item_title"] == "区体育中心改造项目"
    first, second = record["rounds"]
    assert first["attendance"]["should_attend"] == TEAM
    assert first["attendance"]["present"] == ["lijianguo", "wanghong", "zhangwei", "liuyang"]
    assert first["attendance"]["absent_notes"] == "陈静请假，书面意见：同意" and first["attendance"]["quorum_met"]
    assert [(o["username"], o["role"], o["view"], o["reasons"]) for o in first["opinions"]] == [
        ("wanghong", "member", "同意", ""), ("zhangwei", "member", "不同意", "论证不充分"),
        ("liuyang", "member", "保留意见", "资金来源待明确"), ("lijianguo", "secretary", "缓议", "补充论证后再议")]
    assert first["result"] == "缓议" and first["counts"]["同意"] == 1
    assert second["attendance"]["meeting_date"] == "2026-03-17" and second["result"] == "通过"
    assert [o["username"] for o in second["opinions"]][-1] == "lijianguo"  # the secretary last
    assert record["opinions"] == second["opinions"] and record["result"] == "通过"

    # Word for word what the audit chain sealed for each completion.
    sealed = {e["task_id"]: e["payload"]["data"] for e in events(jd, d.case.id, "task.completed")}
    for opinion in first["opinions"] + second["opinions"]:
        data = sealed[opinion["task_id"]]
        assert data.get("view", data.get("secretary_view")) == opinion["view"]
        assert data.get("reasons", data.get("secretary_reasons", "")) == opinion["reasons"]


def test_who_may_read_a_decisions_opinions(decided):
    jd, d = decided.jd, decided
    for username in ("zhangwei", "yangfan", "huangqiang", "admin", "wanghong"):  # took part, supervise, admin
        assert as_user(jd, username, dissent.opinions, d.case.id)["rounds"]
    for username in ("hezhiming", "eastsupervisor"):
        with pytest.raises(NotFound):
            as_user(jd, username, dissent.opinions, d.case.id)


def test_a_persons_dissents_with_the_decisions_outcome(decided):
    jd, d = decided.jd, decided
    mine = as_user(jd, "zhangwei", dissent.dissents, "zhangwei")
    assert [(e["round"], e["view"], e["reasons"], e["round_result"]) for e in mine] == [
        (1, "不同意", "论证不充分", "缓议"), (2, "不同意", "仍认为论证不充分", "通过")]
    entry = mine[0]
    assert entry["instance_id"] == d.case.id and entry["title"] == "区体育中心改造项目"
    assert entry["unit"] == "示例区委" and entry["date"] == "2026-03-10" and entry["role"] == "member"
    assert entry["result"] == "通过" and entry["status"] == "running"

    assert [(e["view"], e["round"]) for e in as_user(jd, "liuyang", dissent.dissents, "liuyang")] == [("保留意见", 1)]
    secretary = as_user(jd, "supervisor", dissent.dissents, "lijianguo")
    assert [(e["role"], e["view"]) for e in secretary] == [("secretary", "缓议")]
    assert as_user(jd, "wanghong", dissent.dissents, "wanghong") == []  # always agreed


def test_who_may_ask_for_a_persons_dissents(decided):
    jd = decided.jd
    for supervisor in ("supervisor", "huangqiang", "zhengzhiyuan", "admin"):  # supervise the district, or admin
        assert len(as_user(jd, supervisor, dissent.dissents, "zhangwei")) == 2
    assert as_user(jd, "eastsupervisor", dissent.dissents, "zhangwei") == []  # supervises another unit only
    for colleague in ("wanghong", "lijianguo", "yangfan"):
        with pytest.raises(Forbidden):
            as_user(jd, colleague, dissent.dissents, "zhangwei")
    with pytest.raises(NotFound):
        as_user(jd, "admin", dissent.dissents, "nobody")


def test_only_decisions_have_opinions(clock, library):
    jd = library
    case = start(jd, "zhengzhiyuan", "dual_duty_hearing", "district")
    record = as_user(jd, "zhengzhiyuan", dissent.opinions, case.id)
    assert record["decision"] is False and record["rounds"] == [] and record["result"] is None
    with pytest.raises(NotFound):
        as_user(jd, "hezhiming", dissent.opinions, case.id)


def test_a_decision_before_its_meeting_has_no_rounds_yet(clock, library):
    d = Decision(library)
    record = as_user(library, "wanghong", dissent.opinions, d.case.id)
    assert record["rounds"] == [] and record["opinions"] == [] and record["result"] is None
