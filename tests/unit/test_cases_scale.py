"""The case list at 100,000 cases: every filter of a supervisor's list, and the admin's, is answered through
indexes — no full scan of the case, task or queue tables — on SQLite (EXPLAIN QUERY PLAN) and on PostgreSQL
(EXPLAIN, when JIANDU_TEST_DATABASE_URL points to one). Timings are printed (pytest -s), not asserted.

On PostgreSQL the plans are taken with ``random_page_cost = 1.1``, the usual setting for a server on SSDs (the
stock 4.0 models spinning disks). At 4.0 and this table size the planner prefers one sequential pass over a few
thousand random reads for a handful of admin-wide filters (holder, overdue and running) and for a supervisor's
API listing of everything they may read; the supervisor's case list uses its indexes at either setting.

The text filter is left out on purpose: a substring of a title cannot use a B-tree, so it narrows the rows the
other conditions selected (documented in service/cases.py). Sorts other than the default sort the selected rows;
they are explained within a supervisor's units (an admin's unfiltered list sorted by title must read every title).
"""
from __future__ import annotations

import re
import time

import pytest
from sqlalchemy import event, select, text

from service import cases, clock, dashboard, inbox
from service.cases import CaseFilters
from service.bench.seed import seed, unseed
from service.models import TaskCandidate, User
from tests.support import FIXTURES, deploy, user

CASES = 100_000
USERS = 540  # about a hundred open tasks each, queues included
BIG_TABLES = ("process_instances", "human_tasks", "task_candidates")
PG_RANDOM_PAGE_COST = 1.1
FILTERS = {
    "default order": {},
    "status": {"status": "running"},
    "process": {"definition": "flow_b"},
    "overdue": {"overdue": True},
    "current step": {"step": "archive"},
    "holder": {"assignee": "wanghong"},
    "date range": {"date_from": "2025-06-01", "date_to": "2025-06-30"},
    "one unit": {"unit": "district-edu"},
    "unit and subtree": {"unit": "district", "subtree": True},
    "overdue and running": {"overdue": True, "status": "running"},
    "process and step": {"definition": "core_flow", "step": "draft"},
    "a later page": {"page": 40},
}


def _copy_of_core_flow(key: str) -> tuple[str, str]:
    xml = (FIXTURES / "core_flow.bpmn").read_text(encoding="utf-8")
    return f"{key}.bpmn", xml.replace('id="core_flow"', f'id="{key}"').replace('processRef="core_flow"',
                                                                                f'processRef="{key}"')


@pytest.fixture
def many(jd):
    deploy(jd, "core_flow.bpmn", "core_draft.form", "core_approve.form", _copy_of_core_flow("flow_b"),
           _copy_of_core_flow("flow_c"), actor="owner")
    started = time.perf_counter()
    counts = seed(jd, users=USERS, instances=CASES, now=clock.now(), definition_keys=("core_flow", "flow_b", "flow_c"))
    if jd.db.engine.dialect.name == "postgresql":  # what autovacuum would have done after a bulk load
        with jd.db.engine.connect().execution_options(isolation_level="AUTOCOMMIT") as conn:
            for table in BIG_TABLES:
                conn.execute(text(f"VACUUM ANALYZE {table}"))
    print(f"\nseeded {counts} in {time.perf_counter() - started:.1f} s")
    yield jd
    unseed(jd)  # so the next test's baseline restore does not delete 250,000 rows one by one


def plan(session, statement) -> list[str]:
    dialect = session.get_bind().dialect
    sql = str(statement.compile(dialect=dialect, compile_kwargs={"literal_binds": True}))
    if dialect.name == "sqlite":
        return [row[-1] for row in session.execute(text("EXPLAIN QUERY PLAN " + sql)).all()]
    session.execute(text(f"SET LOCAL random_page_cost = {PG_RANDOM_PAGE_COST}"))
    return [row[0] for row in session.execute(text("EXPLAIN " + sql)).all()]


def full_scans(lines: list[str]) -> list[str]:
    """Plan lines that read a whole big table: SQLite `SCAN t` without an index, PostgreSQL `Seq Scan on t`."""
    tables = "|".join(BIG_TABLES)
    sqlite_scan = re.compile(rf"^SCAN ({tables})\b(?!.*USING (COVERING )?INDEX)")
    pg_scan = re.compile(rf"Seq Scan on ({tables})\b")
    return [line for line in lines if sqlite_scan.search(line.strip()) or pg_scan.search(line)]


def test_the_case_list_uses_indexes_at_100000_cases(many):
    jd = many
    report = []
    for username, scope_name in (("supervisor", "supervised"), ("eastsupervisor", "supervised"),
                                 ("admin", "supervised"), ("supervisor", "visible"), ("yangfan", "visible")):
        actor = user(jd, username)
        for name, values in FILTERS.items():
            with jd.db.read() as session:
                page_ids, count = cases.list_statements(session, actor, CaseFilters(scope=scope_name, **values))
                lines = plan(session, page_ids) + plan(session, count)
                assert not full_scans(lines), (username, scope_name, name, "\n".join(lines))
                started = time.perf_counter()
                page = cases.visible_instances(session, actor, CaseFilters(scope=scope_name, **values))
                report.append(f"{username:15} {scope_name:10} {name:20} {page.total:6} cases "
                              f"{(time.perf_counter() - started) * 1000:7.1f} ms")
    with jd.db.read() as session:  # the other sorts run (sorting the selected rows), and agree on the total
        actor = user(jd, "supervisor")
        totals = {sort: cases.visible_instances(session, actor, CaseFilters(scope="supervised", sort=sort,
                                                                            order="asc")).total
                  for sort in ("title", "status", "definition", "unit", "updated_at")}
        for sort in ("title", "status", "definition", "unit"):  # within a supervisor's units: still no full scan
            page_ids, count = cases.list_statements(session, actor, CaseFilters(scope="supervised", sort=sort))
            assert not full_scans(plan(session, page_ids) + plan(session, count)), sort
        assert len(set(totals.values())) == 1
        started = time.perf_counter()
        figures = dashboard.figures(session, actor)
        report.append(f"dashboard for supervisor: {figures['totals']} {(time.perf_counter() - started) * 1000:.0f} ms")
    print("\n" + "\n".join(report))

    # The scope holds at this size: a supervisor's list has only their subtree's cases; asking for a sibling's
    # unit finds nothing.
    with jd.db.read() as session:
        mine = cases.visible_instances(session, user(jd, "supervisor"), CaseFilters(scope="supervised",
                                                                                     per_page=100))
        sibling = cases.visible_instances(session, user(jd, "supervisor"), CaseFilters(scope="supervised",
                                                                                        unit="east"))
    assert 0 < mine.total < CASES and sibling.total == 0
    assert all(item["unit"].startswith("示例区") for item in mine.items), {item["unit"] for item in mine.items}

    check_inboxes_and_dashboard(jd)


def captured_plans(jd, call) -> list[tuple[str, list[str]]]:
    """Every statement `call(session)` runs, with its plan (same parameters)."""
    statements = []

    def grab(_conn, _cursor, statement, parameters, _context, _many):
        if statement.lstrip().upper().startswith("SELECT"):
            statements.append((statement, parameters))
    event.listen(jd.db.engine, "before_cursor_execute", grab)
    try:
        with jd.db.read() as session:
            call(session)
    finally:
        event.remove(jd.db.engine, "before_cursor_execute", grab)
    found = []
    with jd.db.read() as session:
        conn = session.connection()
        sqlite = conn.dialect.name == "sqlite"
        if not sqlite:
            conn.exec_driver_sql(f"SET LOCAL random_page_cost = {PG_RANDOM_PAGE_COST}")
        for statement, parameters in statements:
            rows = conn.exec_driver_sql(("EXPLAIN QUERY PLAN " if sqlite else "EXPLAIN ") + statement,
                                        parameters).all()
            found.append((statement, [row[-1] if sqlite else row[0] for row in rows]))
    return found


def check_inboxes_and_dashboard(jd):
    """Issue 8's queries at this size: a person's 待办 and group queue, page and (capped) count, and every statement
    of the dashboard, for a supervisor and for an admin — no full scan; the dashboard's samples walk their covering
    indexes, its overdue corrections and the overdue list's arms read the partial indexes."""
    with jd.db.read() as session:
        person = session.scalar(select(User).where(User.id == select(TaskCandidate.user_id).join(
            User, User.id == TaskCandidate.user_id).where(User.username.startswith("gen")).limit(1)
            .scalar_subquery()))
        supervisor, admin = user(jd, "supervisor"), user(jd, "admin")
    calls = {
        "todo": lambda session: inbox.todo(session, person),
        "queue": lambda session: inbox.queue(session, person),
        "overdue list": lambda session: cases.visible_instances(session, supervisor,
                                                                CaseFilters(scope="supervised", overdue=True)),
        "dashboard": lambda session: dashboard.figures(session, supervisor),
        "dashboard for an admin": lambda session: dashboard.figures(session, admin),
    }
    used: dict[str, str] = {}
    for name, call in calls.items():
        plans = captured_plans(jd, call)
        assert plans, name
        for statement, lines in plans:
            assert not full_scans(lines), (name, statement, "\n".join(lines))
        used[name] = "\n".join(line for _statement, lines in plans for line in lines)
    with jd.db.read() as session:
        assert inbox.queue(session, person).total > 0
    for index in ("ix_task_state_completed", "ix_instance_status_ended", "ix_task_unmarked_due", "ix_task_marked_due"):
        assert index in used["dashboard"] and index in used["dashboard for an admin"], index
    assert "ix_instance_late" in used["overdue list"]

