"""The hot path stays lean (issue 8): completing a task is one transaction with one commit and a handful of SQL
statements — a fixed few, plus the lookups of the tasks it opens, shared by all of them (a multi-instance step
opening one task per member costs what opening one costs) — and reading an inbox is two statements (page and
count) that never read a workflow. Counted with the engine's own events: a bound on work done, not a timing."""
from __future__ import annotations

from contextlib import contextmanager

from sqlalchemy import event

from service import inbox
from tests.support import deploy, start, task_named, user

MEMBERS = {"members": ["wanghong", "zhangwei"]}
FIXED = 10    # read task and instance, write back, audit head and events, instance, open-task rows
LOCKING = {"sqlite": 0, "postgresql": 1}  # PostgreSQL: the instance's row lock, then the task
OPENING = 6   # for all the tasks it opens together: their people, the unit's roles, proxies, insert, notices


@contextmanager
def counted(engine):
    seen = {"statements": [], "commits": 0}

    def on_execute(conn, cursor, statement, parameters, context, executemany):
        if not statement.lstrip().upper().startswith(("BEGIN", "PRAGMA", "SET", "SELECT SET_CONFIG")):
            seen["statements"].append(statement)

    def on_commit(conn):
        seen["commits"] += 1

    event.listen(engine, "before_cursor_execute", on_execute)
    event.listen(engine, "commit", on_commit)
    try:
        yield seen
    finally:
        event.remove(engine, "before_cursor_execute", on_execute)
        event.remove(engine, "commit", on_commit)


def test_a_completion_is_one_commit_and_a_handful_of_statements(jd):
    from service import instances
    deploy(jd, "core_flow.bpmn", "core_draft.form", "core_approve.form", actor="owner")
    warm = start(jd, "yangfan", "core_flow", data=MEMBERS, title="预热")
    case = start(jd, "yangfan", "core_flow", data=MEMBERS, title="计数")
    yangfan, wanghong = user(jd, "yangfan"), user(jd, "wanghong")
    for instance_id in (warm.id, case.id):  # the first completion loads the definition into the caches
        task = task_named(jd, instance_id, "draft")
        with counted(jd.db.engine) as drafted:  # opens three: the secretary's approval, two members' reviews
            with jd.db.write() as session:
                opened = instances.complete(session, yangfan, task.id, {"amount": 10, "summary": "小额事项"}).opened
    review = task_named(jd, case.id, "member_review", "wanghong")
    with counted(jd.db.engine) as reviewed:  # opens nothing: the join waits for the other branches
        with jd.db.write() as session:
            assert not instances.complete(session, wanghong, review.id, {"decision": "同意"}).opened
    assert len(opened) == 3
    for seen, opens in ((drafted, True), (reviewed, False)):
        assert seen["commits"] == 1
        bound = FIXED + LOCKING[jd.db.engine.dialect.name] + OPENING * opens
        assert len(seen["statements"]) <= bound, "\n".join(seen["statements"])
        assert not any("bpmn_xml" in statement for statement in seen["statements"])  # the parsed spec is cached


def test_opening_one_task_per_member_costs_the_same_for_two_members_as_for_four(jd):
    from service import instances
    deploy(jd, "core_flow.bpmn", "core_draft.form", "core_approve.form", actor="owner")
    yangfan = user(jd, "yangfan")
    counts = {}
    # The first completion fills the caches (parsed spec, forms); it is counted over by the second.
    for members in (["wanghong", "zhangwei"],) * 2 + (["wanghong", "zhangwei", "liuyang", "chenjing"],):
        case = start(jd, "yangfan", "core_flow", data={"members": members}, title="计数")
        task = task_named(jd, case.id, "draft")
        with counted(jd.db.engine) as seen:
            with jd.db.write() as session:
                opened = instances.complete(session, yangfan, task.id, {"amount": 10, "summary": "小额事项"}).opened
        assert sorted(t.candidates[0] for t in opened if t.element_id == "member_review") == sorted(members)
        counts[len(members)] = len(seen["statements"])
    assert counts[2] == counts[4], counts


def test_an_inbox_page_is_its_page_and_its_count_and_never_reads_a_workflow(jd):
    deploy(jd, "core_flow.bpmn", "core_draft.form", "core_approve.form", actor="owner")
    for n in range(3):
        start(jd, "yangfan", "core_flow", data=MEMBERS, title=f"案件{n}")
    yangfan = user(jd, "yangfan")
    with counted(jd.db.engine) as seen:
        with jd.db.read() as session:
            page = inbox.todo(session, yangfan, inbox.Query(per_page=20))
    assert page.total == 3 and len(page.items) == 3
    assert len(seen["statements"]) == 2 and seen["commits"] <= 1
    assert not any("process_instances.state" in s for s in seen["statements"])  # the serialized workflow column
