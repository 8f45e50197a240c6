"""Seeds a realistic large organisation of cases with SQLAlchemy core bulk inserts (no workflow runs).

Used by the query-plan test (tests/unit/test_cases_scale.py) and handy for trying the supervision pages by hand.
Rows look like what the engine writes: running cases with one open task (some overdue, some in a group queue),
finished cases with their completed tasks; cases spread over the demo units plus extra departments under the
city and each district, so one district is a realistic share of the table.
"""
from __future__ import annotations

import random
from contextlib import contextmanager
from datetime import datetime, timedelta

from sqlalchemy import func, insert, inspect, select

from service import clock
from service.context import Jiandu
from service.models import HumanTask, Membership, ProcessDefinition, ProcessInstance, TaskCandidate, Unit, User

STEPS = [("draft", "起草事项"), ("secretary_approve", "书记审批"), ("member_review", "成员会签"),
         ("discipline_check", "纪检审查"), ("archive", "归档")]
STATUSES = ["running"] * 50 + ["completed"] * 40 + ["cancelled"] * 5 + ["suspended"] * 3 + ["error"] * 2
OPEN_STATUSES = ("running", "suspended", "error")
DUE_DAYS = [3, 7, 15, 30, 60, None]
EXTRA_UNITS_PER_PARENT = 6
STAFF_PER_UNIT = 12
EXTRA_DISTRICTS = [("west", "西城区委"), ("north", "北城区委"), ("south", "南城区委")]
INSTANCE_COLUMNS = ("id", "definition_id", "definition_key", "definition_version", "unit_id", "title", "case_no",
                    "status", "initiator_id", "started_at", "ended_at", "updated_at", "state", "state_version",
                    "next_timer_at", "error", "current_steps")
TASK_COLUMNS = ("id", "instance_id", "spiff_task_id", "element_id", "name", "lane", "form_key", "definition_key",
                "unit_id", "state", "assignee_id", "original_assignee_id", "assignment", "queue_label",
                "candidates", "mi_item", "created_at", "due_at", "completed_at", "completed_by_id", "data",
                "delegate_id", "delegate_data", "escalated_at", "reminded_at")


def add_units(jd: Jiandu) -> None:
    """Three more districts beside the demo's two, departments under the city and every district (so one
    district's subtree holds about a fifth of the cases, as in a real city), and staff in every unit."""
    with jd.db.write() as session:
        city = session.scalar(select(Unit).where(Unit.code == "city"))
        for code, name in EXTRA_DISTRICTS:
            unit = Unit(code=code, name=name, parent_id=city.id)
            session.add(unit)
            session.flush()
            unit.path = f"{city.path}{unit.id}/"
        parents = session.scalars(select(Unit).where(Unit.code.in_(
            ["city", "district", "east"] + [code for code, _ in EXTRA_DISTRICTS]))).all()
        for parent in parents:
            for n in range(EXTRA_UNITS_PER_PARENT):
                unit = Unit(code=f"{parent.code}-dept{n}", name=f"{parent.name}第{n + 1}部门", parent_id=parent.id)
                session.add(unit)
                session.flush()
                unit.path = f"{parent.path}{unit.id}/"
        session.flush()
        now = clock.now()
        for unit in session.scalars(select(Unit)).all():  # staff everywhere: a person holds a few dozen tasks
            for n in range(STAFF_PER_UNIT):
                person = User(username=f"{unit.code}-s{n}", name=f"{unit.name}干部{n + 1}", created_at=now)
                session.add(person)
                session.flush()
                session.add(Membership(user_id=person.id, unit_id=unit.id, role="staff"))


def seed(jd: Jiandu, count: int, *, now: datetime, definition_keys: tuple[str, ...] = ("core_flow",),
         rng_seed: int = 6) -> dict:
    """Insert `count` cases (ids after the existing ones) spread over the deployed definitions `definition_keys`,
    and their task rows; returns how many rows of each."""
    rng = random.Random(rng_seed)
    add_units(jd)
    with jd.db.read() as session:
        processes = [(d.id, d.key, d.version) for d in session.scalars(
            select(ProcessDefinition).where(ProcessDefinition.key.in_(definition_keys))).all()]
        units = list(session.scalars(select(Unit.id)).all())
        staff_of = {unit_id: [] for unit_id in units}
        for unit_id, user_id in session.execute(select(Membership.unit_id, Membership.user_id)).all():
            staff_of[unit_id].append(user_id)
        everyone = list(session.scalars(select(User.id)).all())
        first_instance = (session.scalar(select(func.max(ProcessInstance.id))) or 0) + 1
        task_id = (session.scalar(select(func.max(HumanTask.id))) or 0) + 1
    sqlite = jd.db.engine.dialect.name == "sqlite"
    base = now.replace(tzinfo=None)  # UTC, stored naive (what UTCDateTime writes)
    stamp = (lambda d: d.isoformat(" ", "microseconds")) if sqlite else (lambda d: d)
    no_candidates = "[]"  # JSON as text: SQLite stores it so, PostgreSQL's COPY parses it into jsonb
    instances, tasks, candidates = [], [], []
    for instance_id in range(first_instance, first_instance + count):
        unit_id = rng.choice(units)
        def_id, key, version = rng.choice(processes)
        staff = staff_of[unit_id] or everyone
        status = rng.choice(STATUSES)
        started = base - timedelta(days=rng.random() * 720)
        ended = None
        if status in ("completed", "cancelled"):
            ended = min(started + timedelta(days=1 + rng.random() * 59), base - timedelta(hours=1))
        step_id, step_name = rng.choice(STEPS)
        open_case = status in OPEN_STATUSES
        instances.append((instance_id, def_id, key, version, unit_id, f"案件 {instance_id} 号事项",
                          f"JD-{instance_id:06d}", status, rng.choice(staff), stamp(started),
                          stamp(ended) if ended else None, stamp(ended or started), "{}", 1, None, None,
                          step_name if open_case else ""))
        if open_case:
            created = max(started, base - timedelta(days=rng.random() * 20))  # the step it stands at now
            days = rng.choice(DUE_DAYS)
            due = stamp(created + timedelta(days=days)) if days else None
            queued = rng.random() < 0.15
            tasks.append((task_id, instance_id, f"s-{task_id}", step_id, step_name, None, None, key, unit_id,
                          "open", None if queued else rng.choice(staff), None, "", "", no_candidates, None,
                          stamp(created), due, None, None, None, None, None, None, None))
            if queued:
                candidates.extend((task_id, member) for member in rng.sample(staff, min(3, len(staff))))
            task_id += 1
        elif status == "completed":
            moment = started
            for step_id, step_name in rng.sample(STEPS, 2):
                done = min(moment + timedelta(hours=2 + rng.random() * 238), ended)
                holder = rng.choice(staff)
                tasks.append((task_id, instance_id, f"s-{task_id}", step_id, step_name, None, None, key, unit_id,
                              "completed", holder, None, "", "", no_candidates, None, stamp(moment), None,
                              stamp(done), holder, None, None, None, None, None))
                moment = done
                task_id += 1
    tables = (ProcessInstance.__table__, HumanTask.__table__, TaskCandidate.__table__)
    with jd.db.engine.begin() as conn, indexes_rebuilt_after(conn, tables):
        if not sqlite and conn.exec_driver_sql("SELECT rolsuper FROM pg_roles WHERE rolname = current_user").scalar():
            # Foreign-key triggers would check every row against its parents one by one; the seed's references
            # are valid by construction (the test checks nothing about them).
            conn.exec_driver_sql("SET LOCAL session_replication_role = replica")
        bulk_insert(conn, ProcessInstance.__table__, INSTANCE_COLUMNS, instances)
        bulk_insert(conn, HumanTask.__table__, TASK_COLUMNS, tasks)
        bulk_insert(conn, TaskCandidate.__table__, ("task_id", "user_id"), candidates)
    return {"instances": len(instances), "tasks": len(tasks), "candidates": len(candidates)}


@contextmanager
def indexes_rebuilt_after(conn, tables):
    """Drop the tables' secondary indexes, load, build them again — in the caller's transaction, so a failure
    rolls the indexes back too. Building an index once over 100k rows is far cheaper than updating it 100k times."""
    found = [(table.name, index) for table in tables for index in inspect(conn).get_indexes(table.name)]
    for _table, index in found:
        conn.exec_driver_sql(f'DROP INDEX {index["name"]}')
    yield
    if conn.dialect.name == "sqlite":  # building indexes over 100k random keys needs more than the 2 MB default
        conn.exec_driver_sql("PRAGMA cache_size = -262144")
    for table, index in found:
        unique = "UNIQUE " if index.get("unique") else ""
        columns = ", ".join(index["column_names"])
        conn.exec_driver_sql(f"CREATE {unique}INDEX {index['name']} ON {table} ({columns})")
    if conn.dialect.name == "sqlite":
        conn.exec_driver_sql("PRAGMA cache_size = -2000")


def bulk_insert(conn, table, columns: tuple[str, ...], rows: list[tuple], batch: int = 25_000) -> None:
    """An INSERT compiled once by SQLAlchemy core, sent with the driver's executemany.

    Rows arrive already in storage form (naive UTC datetimes, JSON), because SQLAlchemy's per-value type processing
    is most of the cost of ``conn.execute(insert(table), dicts)`` at this size.
    """
    if not rows:
        return
    if conn.dialect.name == "postgresql":  # COPY: PostgreSQL's bulk path, through the same connection
        cursor = conn.connection.dbapi_connection.cursor()
        with cursor.copy(f"COPY {table.name} ({', '.join(columns)}) FROM STDIN") as copy:
            for row in rows:
                copy.write_row(row)
        return
    compiled = insert(table).compile(dialect=conn.dialect, column_keys=list(columns))
    if compiled.positional:
        order = [columns.index(name) for name in compiled.positiontup]
        params = [tuple(row[i] for i in order) for row in rows]
    else:
        params = [dict(zip(columns, row)) for row in rows]
    for start in range(0, len(params), batch):
        conn.exec_driver_sql(str(compiled), params[start:start + batch])



def unseed(jd: Jiandu) -> None:
    """Empty the three big tables at once, so the next test's baseline restore does not delete 250k rows one by
    one. On SQLite a DELETE without WHERE truncates only while foreign keys are not enforced, and that pragma can
    only change outside a transaction — hence the raw connection. PostgreSQL's restore truncates anyway."""
    if jd.db.engine.dialect.name != "sqlite":
        return
    raw = jd.db.engine.raw_connection()
    try:
        raw.execute("PRAGMA foreign_keys = OFF")
        raw.execute("BEGIN IMMEDIATE")
        for table in ("task_candidates", "human_tasks", "process_instances"):
            raw.execute(f"DELETE FROM {table}")
        raw.execute("COMMIT")
    finally:
        raw.execute("PRAGMA foreign_keys = ON")
        raw.close()
