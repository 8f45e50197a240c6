"""The dashboard's running totals (``case_counts``, ``open_task_counts``): reading, recounting, rebuilding.

Database triggers (migration 0006) keep both tables in the same transaction as every write to
``process_instances`` and ``human_tasks`` — whichever code path writes: the commands in ``service.instances``
(start → running, finish → completed / error / running again, cancel and withdraw → cancelled, suspend,
resume), ``service.task_sync`` opening and closing tasks, the worker marking a task late (``escalated_at``),
``service.problems`` re-assigning, a bulk load. A trigger cannot be forgotten by a new code path, and a
rolled-back command rolls its counts back with it.

Reading them costs the number of (unit, process, status / week / step) combinations in scope — a few hundred —
however many cases there are. One figure moves with the clock rather than with a write: a task becomes overdue
when its deadline passes. The worker marks each such task (``escalated_at``, when it sends the overdue notice), and
the counters keep marked and unmarked open tasks apart; "overdue now" is then the marked ones, plus the open
unmarked tasks already past their deadline (the worker's backlog: seconds' worth when it runs), minus the marked
ones whose deadline was moved later. Both corrections are read through partial indexes that hold only unmarked
(resp. marked) tasks, so the figure is exact and its cost follows the backlog, not the table.

On PostgreSQL concurrent commands that change the same counter row (same unit and process) queue on its row lock
until the first commits; each command is one short transaction, so the wait is that long. Two commands
cannot deadlock on them (migration 0007, tests/unit/test_counter_locks.py): the case counters' trigger is deferred
to commit, so a transaction takes its task-counter rows before its case-counter rows; and before a task row changes
its (unit, process) is taken with a transaction-level advisory lock, so the task-counter rows of one unit and
process are changed by one transaction at a time.
"""
from __future__ import annotations

from collections import defaultdict
from contextlib import contextmanager
from datetime import datetime

from sqlalchemy import func, literal_column, select, text, union_all
from sqlalchemy.orm import Session

from . import scope
from .models import CaseCount, HumanTask, OpenTaskCount, ProcessInstance

TABLE_NAMES = ("case_counts", "open_task_counts")
PG_TRIGGERS = (("process_instances", "trg_counts_instances"), ("human_tasks", "trg_counts_tasks"),
               ("human_tasks", "trg_counts_tasks_lock"))


def _week(dialect: str, column: str) -> str:
    """The Monday (Asia/Shanghai) of a UTC timestamp's week as YYYY-MM-DD — as ``service.stats.week_start``."""
    if dialect == "postgresql":
        return f"to_char(date_trunc('week', {column} + interval '8 hours'), 'YYYY-MM-DD')"
    return f"date({column}, '+8 hours', '-6 days', 'weekday 1')"


def _recount_selects(dialect: str) -> dict[str, list[str]]:
    week = lambda column: _week(dialect, column)  # noqa: E731
    return {
        "case_counts": [
            "SELECT 'status', status, unit_id, definition_key, count(*) FROM process_instances "
            "GROUP BY unit_id, definition_key, status",
            f"SELECT 'started', {week('started_at')}, unit_id, definition_key, count(*) FROM process_instances "
            f"GROUP BY unit_id, definition_key, {week('started_at')}",
            f"SELECT 'completed', {week('ended_at')}, unit_id, definition_key, count(*) FROM process_instances "
            f"WHERE status = 'completed' AND ended_at IS NOT NULL "
            f"GROUP BY unit_id, definition_key, {week('ended_at')}",
            "SELECT 'late', '', unit_id, definition_key, count(*) FROM process_instances WHERE late_tasks > 0 "
            "GROUP BY unit_id, definition_key",
        ],
        "open_task_counts": [
            "SELECT unit_id, definition_key, element_id, escalated_at IS NOT NULL, count(*) FROM human_tasks "
            "WHERE state = 'open' GROUP BY unit_id, definition_key, element_id, escalated_at IS NOT NULL",
        ],
    }


_COLUMNS = {"case_counts": "kind, bucket, unit_id, definition_key, n",
            "open_task_counts": "unit_id, definition_key, element_id, late, n"}
_MARKED = "state = 'open' AND escalated_at IS NOT NULL"
_LATE_TASKS_RECOUNT = "SELECT instance_id, count(*) FROM human_tasks WHERE " + _MARKED + " GROUP BY instance_id"


def recount(conn) -> dict[str, dict[tuple, int]]:
    """What the counters should hold, counted from the rows themselves: {table: {key: n}} without zeros, and
    {"late_tasks": {(instance_id,): n}} for the per-case column."""
    found: dict[str, dict[tuple, int]] = {}
    for table, selects in _recount_selects(conn.dialect.name).items():
        rows: dict[tuple, int] = {}
        for sql in selects:
            for *key, n in conn.execute(text(sql)).all():
                rows[_key(table, key)] = n
        found[table] = rows
    found["late_tasks"] = {(instance_id,): n for instance_id, n in conn.execute(text(_LATE_TASKS_RECOUNT)).all()}
    return found


def stored(conn) -> dict[str, dict[tuple, int]]:
    """What the counters hold now, in the same shape as ``recount``."""
    found = {}
    for table in TABLE_NAMES:
        rows = conn.execute(text(f"SELECT {_COLUMNS[table]} FROM {table} WHERE n != 0")).all()
        found[table] = {_key(table, key): n for *key, n in rows}
    found["late_tasks"] = {(instance_id,): n for instance_id, n in conn.execute(text(
        "SELECT id, late_tasks FROM process_instances WHERE late_tasks != 0")).all()}
    return found


def _key(table: str, values) -> tuple:
    """A counter's key, with `late` as a bool whichever way the database returned it (SQLite: 0/1)."""
    if table == "open_task_counts":
        return (*values[:3], bool(values[3]))
    return tuple(values)


def rebuild(conn) -> None:
    """Recount everything the triggers keep, from scratch (after a bulk load with the triggers off, or to repair):
    each case's ``late_tasks``, then both counter tables."""
    conn.execute(text("UPDATE process_instances SET late_tasks = 0 WHERE late_tasks > 0"))
    conn.execute(text(
        "UPDATE process_instances SET late_tasks = (SELECT count(*) FROM human_tasks "
        "WHERE human_tasks.instance_id = process_instances.id AND human_tasks.state = 'open' "
        "AND human_tasks.escalated_at IS NOT NULL) WHERE id IN (SELECT instance_id FROM human_tasks WHERE "
        + _MARKED + ")"))
    for table, selects in _recount_selects(conn.dialect.name).items():
        conn.execute(text(f"DELETE FROM {table}"))
        for sql in selects:
            conn.execute(text(f"INSERT INTO {table} ({_COLUMNS[table]}) {sql}"))


@contextmanager
def triggers_suspended(conn):
    """The counter triggers off for a bulk load in this transaction (call ``rebuild`` before leaving). SQLite has
    no switch, so its triggers are dropped and created again from their stored definitions."""
    if conn.dialect.name == "postgresql":
        for table, trigger in PG_TRIGGERS:
            conn.exec_driver_sql(f"ALTER TABLE {table} DISABLE TRIGGER {trigger}")
        yield
        for table, trigger in PG_TRIGGERS:
            conn.exec_driver_sql(f"ALTER TABLE {table} ENABLE TRIGGER {trigger}")
        return
    saved = conn.exec_driver_sql("SELECT name, sql FROM sqlite_master WHERE type = 'trigger' "
                                 "AND name LIKE 'trg_counts_%'").all()
    for name, _sql in saved:
        conn.exec_driver_sql(f"DROP TRIGGER {name}")
    yield
    for _name, sql in saved:
        conn.exec_driver_sql(sql)


# -- reading ---------------------------------------------------------------------------------------------------------

def small_reads(session: Session) -> None:
    """No parallel plans and no JIT for the rest of this transaction (PostgreSQL). The corrections read ranges of
    partial indexes that hold only the worker's backlog — a handful of rows — but the planner, which keeps no
    statistics on how few rows of a partial index a deadline range holds, expects hundreds of thousands at a million
    tasks: it plans a parallel scan (starting its workers costs ~5 ms) and, past `jit_above_cost`, compiles the
    query (~15 ms), to read rows that take 0.1 ms (measured, jiandu bench-scale). Every read of these lists and
    the dashboard is index-bound by design, so nothing after it in the request loses by it."""
    if session.get_bind().dialect.name != "postgresql":
        return
    transaction = session.get_transaction()
    if session.info.get("jd_small_reads") is not transaction:
        session.execute(text("SELECT set_config('max_parallel_workers_per_gather', '0', true), "
                             "set_config('jit', 'off', true)"))
        session.info["jd_small_reads"] = transaction



def _in_scope(table, units: list[int] | None, definition: str, walk: bool = False) -> list:
    """Unit and process conditions; `walk`: the unit is checked per row, not looked up (``scope.unit_filter``)."""
    unit = (scope.unit_filter if walk else scope.unit_condition)(table.unit_id, units)
    where = [] if unit is None else [unit]
    if definition:
        where.append(table.definition_key == definition)
    return where


def case_rows(session: Session, units: list[int] | None, definition: str, since_week: str
              ) -> list[tuple[int, str, str, str, int]]:
    """(unit_id, definition_key, kind, bucket, n): the status and late counts, and the weekly counts from `since_week` on
    (two seeks of the primary key, which begins with kind and bucket)."""
    columns = (CaseCount.unit_id, CaseCount.definition_key, CaseCount.kind, CaseCount.bucket, CaseCount.n)
    in_scope = [*_in_scope(CaseCount, units, definition), CaseCount.n != 0]
    statuses = select(*columns).where(CaseCount.kind.in_(("status", "late")), *in_scope)
    weekly = select(*columns).where(CaseCount.kind.in_(("started", "completed")), CaseCount.bucket >= since_week,
                                    *in_scope)
    return [tuple(row) for stmt in (statuses, weekly) for row in session.execute(stmt).all()]


def open_tasks(session: Session, units: list[int] | None, definition: str, now: datetime) -> dict:
    """Open and overdue tasks in scope: {"open": n, "overdue": n, "open_by_step": {(key, element): n},
    "overdue_by_unit": {unit_id: n}, "overdue_by_step": {(key, element): n}} — exact at `now` (see module doc)."""
    open_by_step: dict[tuple, int] = defaultdict(int)
    late_by_unit: dict[int, int] = defaultdict(int)
    late_by_step: dict[tuple, int] = defaultdict(int)
    for unit_id, key, element, late, n in session.execute(
            select(OpenTaskCount.unit_id, OpenTaskCount.definition_key, OpenTaskCount.element_id,
                   OpenTaskCount.late, OpenTaskCount.n)
            .where(*_in_scope(OpenTaskCount, units, definition), OpenTaskCount.n != 0)).all():
        open_by_step[(key, element)] += n
        if late:
            late_by_unit[unit_id] += n
            late_by_step[(key, element)] += n
    for unit_id, key, element, delta in overdue_corrections(session, units, definition, now):
        late_by_unit[unit_id] += delta
        late_by_step[(key, element)] += delta
    return {"open": sum(open_by_step.values()), "overdue": sum(late_by_unit.values()),
            "open_by_step": {k: v for k, v in open_by_step.items() if v},
            "overdue_by_unit": {k: v for k, v in late_by_unit.items() if v},
            "overdue_by_step": {k: v for k, v in late_by_step.items() if v}}


def overdue_correction_statement(units: list[int] | None, definition: str, now: datetime):
    """(unit_id, definition_key, element_id, delta) rows: +1 for each open task past its deadline that the worker
    has not marked yet, -1 for each marked one whose deadline is now later (or gone). Partial indexes
    ``ix_task_unmarked_due`` / ``ix_task_marked_due`` hold only these tasks' kind."""
    where = _in_scope(HumanTask, units, definition, walk=True)  # through the partial indexes, not the unit's
    columns = (HumanTask.unit_id, HumanTask.definition_key, HumanTask.element_id)
    unmarked = select(*columns, literal_column("1").label("delta")).where(
        HumanTask.state == "open", HumanTask.escalated_at.is_(None), HumanTask.due_at < now, *where)
    moved = select(*columns, literal_column("-1").label("delta")).where(
        HumanTask.state == "open", HumanTask.escalated_at.is_not(None), HumanTask.due_at >= now, *where)
    cleared = select(*columns, literal_column("-1").label("delta")).where(
        HumanTask.state == "open", HumanTask.escalated_at.is_not(None), HumanTask.due_at.is_(None), *where)
    either = union_all(unmarked, moved, cleared).subquery()
    return select(either.c.unit_id, either.c.definition_key, either.c.element_id, func.sum(either.c.delta)) \
        .group_by(either.c.unit_id, either.c.definition_key, either.c.element_id)


def overdue_corrections(session: Session, units: list[int] | None, definition: str, now: datetime) -> list[tuple]:
    small_reads(session)
    return [tuple(row) for row in session.execute(overdue_correction_statement(units, definition, now)).all()]


# -- the overdue cases -------------------------------------------------------------------------------------------------
# A case is overdue when one of its open tasks is past its deadline. The cases with a task the worker has marked
# late (``late_tasks > 0``, a partial index in start order) are the candidates; each is confirmed with one lookup
# of its open tasks. Besides them: the cases whose late task the worker has not marked yet (its backlog, through
# ``ix_task_unmarked_due``), and — to subtract when counting without confirming each — the marked cases none of
# whose tasks is late any more (a deadline moved later: ``ix_task_marked_due``). Both small sets are read first,
# as lists of ids: a planner cannot know how few rows those ranges hold (PostgreSQL guesses thousands), and would
# otherwise pick plans that read every case to meet them.

MARKED = ProcessInstance.late_tasks > literal_column("0")     # literal, so the partial indexes apply
UNMARKED = ProcessInstance.late_tasks == literal_column("0")


def has_overdue_task(now: datetime):
    """The case has an open task past its deadline: a correlated lookup of its open tasks, written as a scalar
    subquery so that PostgreSQL evaluates it row by row along an index in the list's order (it would turn an
    EXISTS into a join over every late task) and stops with the page."""
    return select(literal_column("1")).where(HumanTask.instance_id == ProcessInstance.id, HumanTask.state == "open",
                                             HumanTask.due_at < now).limit(1).scalar_subquery().is_not(None)


def backlog_case_ids(session: Session, now: datetime, task_where: list) -> list[int]:
    """Cases with an open task past its deadline that the worker has not marked yet."""
    small_reads(session)
    return sorted(set(session.scalars(select(HumanTask.instance_id).where(
        HumanTask.state == "open", HumanTask.escalated_at.is_(None), HumanTask.due_at < now, *task_where)).all()))


def moved_case_ids(session: Session, now: datetime, task_where: list) -> list[int]:
    """Cases with an open task marked late whose deadline is now later or gone (two seeks of
    ``ix_task_marked_due``; an OR would have SQLite read every marked task)."""
    marked = (HumanTask.state == "open", HumanTask.escalated_at.is_not(None), *task_where)
    small_reads(session)
    found = session.scalars(union_all(select(HumanTask.instance_id).where(*marked, HumanTask.due_at >= now),
                                      select(HumanTask.instance_id).where(*marked, HumanTask.due_at.is_(None)))).all()
    return sorted(set(found))


def overdue_filter(session: Session, now: datetime, task_where: list) -> tuple[list[list], tuple[list, list, list]]:
    """The overdue filter of a case list: (arms, count parts).

    Arms: two disjoint sets of conditions on process_instances whose union is exactly the overdue cases — marked
    and confirmed; not marked but in the worker's backlog. Count parts: conditions for counting them without
    confirming each, count(marked) - count(marked but no late task left) + count(backlog). The backlog is read once
    for both."""
    backlog = [UNMARKED, ProcessInstance.id.in_(backlog_case_ids(session, now, task_where))]
    return [[MARKED, has_overdue_task(now)], backlog], overdue_count_parts(session, now, task_where, backlog)


def overdue_count_parts(session: Session, now: datetime, task_where: list,
                        backlog: list | None = None) -> tuple[list, list, list]:
    """Conditions for counting overdue cases without confirming each: count(marked) - count(marked but no late task
    left) + count(backlog)."""
    if backlog is None:
        backlog = [UNMARKED, ProcessInstance.id.in_(backlog_case_ids(session, now, task_where))]
    return ([MARKED],
            [MARKED, ProcessInstance.id.in_(moved_case_ids(session, now, task_where)), ~has_overdue_task(now)],
            backlog)


def overdue_case_corrections(session: Session, units: list[int] | None, definition: str, now: datetime) -> int:
    """What to add to the counted cases with a marked task (``case_counts`` kind "late") to get the overdue
    cases in scope now."""
    instance_where = _in_scope(ProcessInstance, units, definition)
    task_where = _in_scope(HumanTask, units, definition, walk=True)
    _marked, excluded, backlog = overdue_count_parts(session, now, task_where)
    minus = select(func.count()).select_from(ProcessInstance).where(*instance_where, *excluded).scalar_subquery()
    plus = select(func.count()).select_from(ProcessInstance).where(*instance_where, *backlog).scalar_subquery()
    return session.execute(select(plus - minus)).scalar() or 0
