"""One command, one transaction: races end cleanly, a crash leaves nothing behind, a task never runs twice."""
from __future__ import annotations

import threading

import pytest
from sqlalchemy import func, select

from service import runtime
from service.errors import Conflict
from service.models import AuditEvent, Base, HumanTask
from tests.support import complete, deploy, instance, open_tasks, start, task_named


@pytest.fixture
def at_reviews(jd):
    """An instance whose two member reviews and discipline check are open at once."""
    deploy(jd, "core_flow.bpmn", "core_draft.form", "core_approve.form", actor="owner")
    case = start(jd, "yangfan", "core_flow", data={"members": ["wanghong", "zhangwei"]})
    complete(jd, "yangfan", task_named(jd, case.id, "draft").id, {"amount": 10, "summary": "小额事项"})
    return case


def run_together(*calls):
    """Start all calls at the same instant; collect each one's result or exception."""
    barrier = threading.Barrier(len(calls))
    results: list = [None] * len(calls)

    def worker(index, call):
        barrier.wait()
        try:
            results[index] = call()
        except Exception as err:  # the outcome under test
            results[index] = err

    threads = [threading.Thread(target=worker, args=(i, c)) for i, c in enumerate(calls)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=60)
    return results


def test_two_people_completing_tasks_of_one_instance_at_once_both_land(jd, at_reviews):
    case = at_reviews
    mine = {t.mi_item: t.id for t in open_tasks(jd, case.id) if t.element_id == "member_review"}
    results = run_together(
        lambda: complete(jd, "wanghong", mine["wanghong"], {"decision": "同意"}),
        lambda: complete(jd, "zhangwei", mine["zhangwei"], {"decision": "同意"}),
    )
    for result, who in zip(results, ("wanghong", "zhangwei")):
        if isinstance(result, Conflict):  # a lost race is allowed, but must be clean: retrying then lands
            complete(jd, who, mine[who], {"decision": "同意"})
        else:
            assert not isinstance(result, Exception), result
    with jd.db.read() as session:
        states = dict(session.execute(select(HumanTask.id, HumanTask.state)
                                      .where(HumanTask.id.in_(mine.values()))).all())
        assert set(states.values()) == {"completed"}
        workflow = runtime.load(session, instance(jd, case.id))
        remaining = {t.task_spec.bpmn_id for t in runtime.ready_human_tasks(workflow)}
    assert remaining == {t.element_id for t in open_tasks(jd, case.id)} == {"discipline_check"}


def test_a_double_submit_at_the_same_instant_runs_the_task_once(jd, at_reviews):
    case = at_reviews
    task_id = task_named(jd, case.id, "member_review", mi_item="wanghong").id
    results = run_together(*[lambda: complete(jd, "wanghong", task_id, {"decision": "同意"})] * 3)
    assert sum(not isinstance(r, Exception) for r in results) == 1
    assert all(isinstance(r, Conflict) for r in results if isinstance(r, Exception))
    with jd.db.read() as session:
        completions = session.scalar(select(func.count()).select_from(AuditEvent).where(
            AuditEvent.instance_id == case.id, AuditEvent.kind == "task.completed", AuditEvent.task_id == task_id))
    assert completions == 1


def snapshot(jd) -> dict:
    with jd.db.engine.connect() as conn:
        return {t.name: sorted(map(repr, conn.execute(select(t)).all())) for t in Base.metadata.sorted_tables}


def test_a_crash_after_the_engine_ran_leaves_the_database_exactly_as_before(jd, at_reviews, monkeypatch):
    case = at_reviews
    task_id = task_named(jd, case.id, "member_review", mi_item="wanghong").id
    before = snapshot(jd)

    def crash(workflow):
        raise RuntimeError("disk full while saving")

    monkeypatch.setattr(runtime, "dump", crash)  # the engine has already run when the state is serialised
    with pytest.raises(RuntimeError):
        complete(jd, "wanghong", task_id, {"decision": "同意"})
    monkeypatch.undo()
    assert snapshot(jd) == before
    complete(jd, "wanghong", task_id, {"decision": "同意"})  # and the task can still be done afterwards
    assert task_named(jd, case.id, "member_review", mi_item="zhangwei").state == "open"


def test_a_stale_version_is_a_conflict(jd, at_reviews):
    from service import instances
    from tests.support import user
    case = at_reviews
    task_id = task_named(jd, case.id, "member_review", mi_item="wanghong").id
    version = instance(jd, case.id).state_version
    complete(jd, "zhangwei", task_named(jd, case.id, "member_review", mi_item="zhangwei").id, {"decision": "同意"})
    with pytest.raises(Conflict) as err, jd.db.write() as session:
        instances.complete(session, user(jd, "wanghong"), task_id, {"decision": "同意"}, expected_version=version)
    assert err.value.details["current_version"] == version + 1


def test_a_multi_instance_step_finishes_in_a_process_that_did_not_start_it(jd, at_reviews):
    """A restart (or another web worker) parses the spec afresh and loads the case from the database; the last
    signature must still complete the countersign."""
    from service import caches
    case = at_reviews
    complete(jd, "wanghong", task_named(jd, case.id, "member_review", mi_item="wanghong").id, {"decision": "同意"})
    caches.clear_all()  # as a new process: no parsed spec, no workflow kept in memory
    complete(jd, "huangqiang", task_named(jd, case.id, "discipline_check").id, {})
    caches.clear_all()
    complete(jd, "zhangwei", task_named(jd, case.id, "member_review", mi_item="zhangwei").id, {"decision": "同意"})
    assert [t.element_id for t in open_tasks(jd, case.id)] == ["archive"]
