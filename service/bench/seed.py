"""Bulk rows for benchmarks and query-plan tests (`jiandu bench-seed --users N --instances M`).

Rows look like what the engine writes, without running it: the demo organisation plus generated districts and
departments, N generated people with a membership each, and M cases of the shipped processes — most of them running
with one open task (some with two parallel ones) held by one person or queued to 2–5 candidates, a share of them
past their deadline, and finished cases with their completed steps. Instances carry a placeholder workflow state
("{}"): lists, counts and dashboards never load a workflow, so these rows serve them; opening one case's form would
not. No audit events are written.

Everything is appended after the rows already there, so a database can be grown in stages (10k, 100k, 1M open
tasks) and keeps its earlier rows. Speed comes from SQLAlchemy Core inserts sent with the driver's executemany in
chunks (SQLite) or COPY (PostgreSQL), with the big tables' secondary indexes and counter triggers dropped during
the load and rebuilt once at the end, and the dashboard counters recounted in the same transaction.
"""
from __future__ import annotations

import random
from contextlib import contextmanager
from dataclasses import dataclass, field
from datetime import datetime, timedelta, timezone
from operator import itemgetter
from typing import Iterator

from sqlalchemy import func, insert, inspect, select

from .. import clock, counters, definitions, demo, diagram, org
from ..config import PROJECT_ROOT
from ..context import Jiandu
from ..models import (HumanTask, Membership, ProcessDefinition, ProcessInstance, TaskCandidate, Unit, User)

EXTRA_DISTRICTS = [("west", "西城区委"), ("north", "北城区委"), ("south", "南城区委")]
DEPARTMENT_PARENTS = ("city", "district", "east") + tuple(code for code, _ in EXTRA_DISTRICTS)
DEPARTMENTS_PER_PARENT = 6
USER_PREFIX = "gen"
# Case statuses, as a share of the cases: most are running, a fifth are finished.
STATUSES = ["running"] * 70 + ["completed"] * 20 + ["cancelled"] * 5 + ["suspended"] * 3 + ["error"] * 2
OPEN_STATUSES = ("running", "suspended", "error")
DUE_DAYS = [5, 10, 15, 30, 60, None]   # with current steps mostly a few days old: ~15 % of open tasks are late
QUEUED_SHARE = 0.3                     # open tasks waiting in a group queue rather than held by one person
PARALLEL_SHARE = 0.1                   # open cases standing at two steps at once
CHUNK = 20_000                         # cases generated and written per batch (bounded memory)
SURNAMES = "王李张刘陈杨黄赵吴周徐孙马朱胡郭何高林罗郑梁谢宋唐许韩冯邓曹彭曾肖田董袁潘于蒋蔡余杜叶程苏魏吕丁任沈姚卢"
GIVEN = "伟芳娜秀英敏静丽强磊军洋勇艳杰娟涛明超兰霞平刚桂英华玉萍红娥玲芬燕彬鹏辉"

INSTANCE_COLUMNS = ("id", "definition_id", "definition_key", "definition_version", "unit_id", "title", "case_no",
                    "status", "initiator_id", "started_at", "ended_at", "updated_at", "state", "state_version",
                    "next_timer_at", "error", "current_steps", "late_tasks")
TASK_COLUMNS = ("id", "instance_id", "spiff_task_id", "element_id", "name", "lane", "form_key", "definition_key",
                "unit_id", "state", "assignee_id", "original_assignee_id", "assignment", "queue_label",
                "candidates", "mi_item", "created_at", "due_at", "completed_at", "completed_by_id", "data",
                "delegate_id", "delegate_data", "escalated_at", "reminded_at")
USER_COLUMNS = ("id", "username", "name", "email", "password_hash", "is_admin", "is_active", "created_at")
MEMBERSHIP_COLUMNS = ("id", "user_id", "unit_id", "role", "title")
BIG_TABLES = (ProcessInstance.__table__, HumanTask.__table__, TaskCandidate.__table__)


# -- the organisation ------------------------------------------------------------------------------------------------

def prepare(jd: Jiandu, password: str = "bench-password") -> tuple[str, ...]:
    """Schema, roles, the demo organisation and the shipped processes, each only when missing. Returns the keys of
    the shipped processes."""
    from .. import schema
    schema.upgrade(jd.db)
    with jd.db.write() as session:
        org.ensure_roles(session)
        if session.scalar(select(User.id).where(User.username == "admin")) is None:
            demo.load(session, jd.settings.instance_path, password)
    with jd.db.write() as session:
        deployed = definitions.deploy_directory(session, None, PROJECT_ROOT / "workflows")
    return tuple(item.key for item in deployed)


def add_units(jd: Jiandu) -> int:
    """Three more districts beside the demo's two and departments under the city and every district, so one
    district's subtree holds about a fifth of the cases, as in a real city. Idempotent; returns how many were added."""
    added = 0
    with jd.db.write() as session:
        known = {u.code: u for u in session.scalars(select(Unit)).all()}
        city = known["city"]

        def add(code: str, name: str, parent: Unit) -> None:
            nonlocal added
            if code in known:
                return
            unit = Unit(code=code, name=name, parent_id=parent.id)
            session.add(unit)
            session.flush()
            unit.path = f"{parent.path}{unit.id}/"
            known[code] = unit
            added += 1

        for code, name in EXTRA_DISTRICTS:
            add(code, name, city)
        for parent_code in DEPARTMENT_PARENTS:
            parent = known[parent_code]
            for n in range(DEPARTMENTS_PER_PARENT):
                add(f"{parent_code}-dept{n}", f"{parent.name}第{n + 1}部门", parent)
    return added


def add_users(jd: Jiandu, total: int) -> int:
    """Generated people (`gen0000001`, …) up to `total` of them, each a staff member of one unit (spread evenly
    over the units). Existing ones are kept; returns how many were added."""
    with jd.db.read() as session:
        have = session.scalar(select(func.count()).select_from(User)
                              .where(User.username.startswith(USER_PREFIX, autoescape=True))) or 0
        units = list(session.scalars(select(Unit.id).order_by(Unit.id)).all())
        next_user = (session.scalar(select(func.max(User.id))) or 0) + 1
        next_membership = (session.scalar(select(func.max(Membership.id))) or 0) + 1
    if total <= have:
        return 0
    sqlite = jd.db.is_sqlite
    created = _stamp(clock.now(), sqlite)
    users, memberships = [], []
    for n in range(have, total):
        user_id = next_user + n - have
        name = SURNAMES[n % len(SURNAMES)] + GIVEN[(n // len(SURNAMES)) % len(GIVEN)]
        users.append((user_id, f"{USER_PREFIX}{n + 1:07d}", f"{name}{n + 1}", None, None, False, True, created))
        memberships.append((next_membership + n - have, user_id, units[n % len(units)], "staff", None))
    with jd.db.engine.begin() as conn:
        bulk_insert(conn, User.__table__, USER_COLUMNS, users)
        bulk_insert(conn, Membership.__table__, MEMBERSHIP_COLUMNS, memberships)
        _advance_sequences(conn, (User.__table__, Membership.__table__))
    return len(users)


# -- the cases -------------------------------------------------------------------------------------------------------

@dataclass
class _World:
    """What the generator draws from: processes with their steps, units with their staff."""
    processes: list[tuple[int, str, int, list[tuple[str, str]]]]
    units: list[tuple[int, str]]
    staff_of: dict[int, list[int]]
    usernames: dict[int, str]
    first_instance: int
    first_task: int
    counts: dict[str, int] = field(default_factory=lambda: {"instances": 0, "tasks": 0, "open_tasks": 0,
                                                            "candidates": 0})


def _world(jd: Jiandu, definition_keys: tuple[str, ...]) -> _World:
    with jd.db.read() as session:
        newest = {}
        for definition in session.scalars(select(ProcessDefinition).where(ProcessDefinition.key.in_(definition_keys))
                                          .order_by(ProcessDefinition.version)).all():
            newest[definition.key] = definition
        processes = [(d.id, d.key, d.version, list(diagram.drawing(d).steps)) for d in newest.values()]
        processes = [p for p in processes if p[3]]
        if not processes:
            raise SystemExit(f"no deployed process with human steps among {', '.join(definition_keys)}")
        units = [(u.id, u.name) for u in session.scalars(select(Unit).order_by(Unit.id)).all()]
        staff_of: dict[int, list[int]] = {unit_id: [] for unit_id, _ in units}
        for unit_id, user_id in session.execute(select(Membership.unit_id, Membership.user_id)
                                                .order_by(Membership.id)).all():
            staff_of[unit_id].append(user_id)
        usernames = dict(session.execute(select(User.id, User.username)).all())
        everyone = sorted(usernames)
        for unit_id in staff_of:
            staff_of[unit_id] = staff_of[unit_id] or everyone
        first_instance = (session.scalar(select(func.max(ProcessInstance.id))) or 0) + 1
        first_task = (session.scalar(select(func.max(HumanTask.id))) or 0) + 1
    return _World(processes, units, staff_of, usernames, first_instance, first_task)


def _stamp(moment: datetime, sqlite: bool):
    """A datetime as the UTCDateTime column stores it: naive UTC (text on SQLite)."""
    naive = moment.astimezone(timezone.utc).replace(tzinfo=None) if moment.tzinfo else moment
    return naive.isoformat(" ", "microseconds") if sqlite else naive


def _json_list(names: list[str]) -> str:
    """JSON of a list of usernames (letters and digits: nothing to escape), without json.dumps' cost per row."""
    return '["' + '", "'.join(names) + '"]'


def _batches(world: _World, count: int, now: datetime, rng: random.Random, sqlite: bool
             ) -> Iterator[tuple[list, list, list]]:
    """(instances, tasks, candidates) rows, CHUNK cases at a time."""
    base = now.astimezone(timezone.utc).replace(tzinfo=None)
    stamp = (lambda d: d.isoformat(" ", "microseconds")) if sqlite else (lambda d: d)
    day, hour = timedelta(days=1), timedelta(hours=1)
    draw = rng.random

    def pick(seq):
        return seq[int(draw() * len(seq))]

    instance_id, task_id = world.first_instance, world.first_task
    last = world.first_instance + count
    while instance_id < last:
        instances, tasks, candidates = [], [], []
        for instance_id in range(instance_id, min(last, instance_id + CHUNK)):
            unit_id, unit_name = pick(world.units)
            def_id, key, version, steps = pick(world.processes)
            staff = world.staff_of[unit_id]
            status = pick(STATUSES)
            open_case = status in OPEN_STATUSES
            ended = None
            if open_case:  # running cases are younger than finished ones
                started = base - day * (draw() * 180)
                open_since = max(started, base - day * (20 * draw() ** 2))  # when it reached its current step
            else:
                started = base - day * (30 + draw() * 700)
                ended = open_since = min(started + day * (1 + draw() * 59), base - hour)
            initiator = pick(staff)
            # finished steps first (history), then the step(s) it stands at now
            history = int(draw() * 3) if open_case else 2 + int(draw() * 3)
            moment = started
            span = (open_since - started) / (history + 1)
            for _ in range(history):
                step_id, step_name = pick(steps)
                done = moment + span * (0.3 + 0.7 * draw())
                holder = pick(staff)
                days = pick(DUE_DAYS)
                tasks.append((task_id, instance_id, f"s-{task_id}", step_id, step_name, None, None, key, unit_id,
                              "completed", holder, None, "", "", "[]", None, stamp(moment),
                              stamp(moment + day * days) if days else None, stamp(done), holder, None, None, None,
                              None, None))
                moment, task_id = done, task_id + 1
            current, late_tasks = [], 0
            if open_case:
                count_open = 2 if draw() < PARALLEL_SHARE and len(steps) > 1 else 1
                for step_id, step_name in (rng.sample(steps, 2) if count_open == 2 else (pick(steps),)):
                    current.append(step_name)
                    days = pick(DUE_DAYS)
                    due = open_since + day * days if days else None
                    late = due is not None and due < base
                    late_tasks += late
                    if draw() < QUEUED_SHARE and len(staff) > 1:
                        chosen = rng.sample(staff, min(len(staff), 2 + int(draw() * 4)))
                        assignee, names = None, [world.usernames[u] for u in chosen]
                        candidates.extend((task_id, member) for member in chosen)
                        label = f"工作人员 · {unit_name}"
                    else:
                        assignee = pick(staff)
                        names, label = [world.usernames[assignee]], ""
                    # what the worker would have stamped by now: the due-soon reminder and the overdue notice
                    reminded = stamp(max(open_since, due - day)) if due is not None and due - day < base else None
                    tasks.append((task_id, instance_id, f"s-{task_id}", step_id, step_name, None, None, key,
                                  unit_id, "open", assignee, None, "", label, _json_list(names), None,
                                  stamp(open_since), stamp(due) if due else None, None, None, None, None, None,
                                  stamp(due) if late else None, reminded))
                    task_id += 1
                world.counts["open_tasks"] += count_open
            elif status == "cancelled":
                step_id, step_name = pick(steps)
                tasks.append((task_id, instance_id, f"s-{task_id}", step_id, step_name, None, None, key, unit_id,
                              "cancelled", pick(staff), None, "", "", "[]", None, stamp(moment), None,
                              stamp(ended), None, None, None, None, None, None))
                task_id += 1
            instances.append((instance_id, def_id, key, version, unit_id, f"{unit_name} {key} 第 {instance_id} 号事项",
                              f"JD-{instance_id:08d}", status, initiator, stamp(started),
                              stamp(ended) if ended else None, stamp(ended or open_since), "{}", 1, None,
                              "脚本执行失败（生成数据）" if status == "error" else None, "、".join(current),
                              late_tasks))
        instance_id += 1
        world.counts["instances"] += len(instances)
        world.counts["tasks"] += len(tasks)
        world.counts["candidates"] += len(candidates)
        yield instances, tasks, candidates


def add_instances(jd: Jiandu, count: int, *, now: datetime | None = None,
                  definition_keys: tuple[str, ...] | None = None, rng_seed: int = 6) -> dict:
    """Append `count` cases of `definition_keys` (default: the shipped processes) and their task rows; returns how
    many rows of each were written."""
    now = now or clock.now()
    keys = definition_keys or _shipped_keys(jd)
    world = _world(jd, keys)
    rng = random.Random(rng_seed + world.first_instance)  # a later stage draws other numbers than the first
    sqlite = jd.db.is_sqlite
    with jd.db.engine.begin() as conn, loading(conn):
        for instances, tasks, candidates in _batches(world, count, now, rng, sqlite):
            bulk_insert(conn, ProcessInstance.__table__, INSTANCE_COLUMNS, instances)
            bulk_insert(conn, HumanTask.__table__, TASK_COLUMNS, tasks)
            bulk_insert(conn, TaskCandidate.__table__, ("task_id", "user_id"), candidates)
    return dict(world.counts)


def _shipped_keys(jd: Jiandu) -> tuple[str, ...]:
    from ..bpmn.inspect import load_document  # the process ids of the files in workflows/
    keys = []
    for path in sorted((PROJECT_ROOT / "workflows").glob("*.bpmn")):
        doc = load_document(path.read_text(encoding="utf-8"))
        keys.extend(e.id for e in doc.of_tag("process") if e.node.get("isExecutable") != "false")
    return tuple(keys)


def seed(jd: Jiandu, *, users: int, instances: int, now: datetime | None = None,
         definition_keys: tuple[str, ...] | None = None, rng_seed: int = 6) -> dict:
    """The whole of `jiandu bench-seed`: the organisation (idempotent), people up to `users` generated ones, and
    `instances` more cases. Expects the schema, the demo organisation and the processes (see `prepare`)."""
    add_units(jd)
    added_users = add_users(jd, users)
    counts = add_instances(jd, instances, now=now, definition_keys=definition_keys, rng_seed=rng_seed)
    return {"users_added": added_users, **counts}


# -- loading ---------------------------------------------------------------------------------------------------------

@contextmanager
def loading(conn):
    """Around a bulk load of the big tables, in the caller's transaction (a failure rolls everything back):
    drop their secondary indexes and the counter triggers, load, build the indexes once (far cheaper than updating
    them row by row), recreate the triggers and recount the counters, then refresh the planner's statistics."""
    postgres = conn.dialect.name == "postgresql"
    if postgres and conn.exec_driver_sql("SELECT rolsuper FROM pg_roles WHERE rolname = current_user").scalar():
        # Foreign-key triggers would check every row against its parents one by one; the references are valid by
        # construction.
        conn.exec_driver_sql("SET LOCAL session_replication_role = replica")
    found = [(table.name, index) for table in BIG_TABLES for index in inspect(conn).get_indexes(table.name)]
    definitions_sql = _index_definitions(conn, found)
    for _table, index in found:
        conn.exec_driver_sql(f'DROP INDEX {index["name"]}')
    with counters.triggers_suspended(conn):
        yield
        if conn.dialect.name == "sqlite":  # building indexes over millions of keys needs more than the 2 MB default
            conn.exec_driver_sql("PRAGMA cache_size = -1048576")
        else:
            conn.exec_driver_sql("SET LOCAL maintenance_work_mem = '512MB'")
        for sql in definitions_sql:
            conn.exec_driver_sql(sql)
        if conn.dialect.name == "sqlite":
            conn.exec_driver_sql("PRAGMA cache_size = -2000")
        counters.rebuild(conn)
    _advance_sequences(conn, BIG_TABLES)
    conn.exec_driver_sql("ANALYZE")


def _index_definitions(conn, found) -> list[str]:
    """The CREATE INDEX statements of these indexes as the database holds them (partial indexes included)."""
    names = [index["name"] for _table, index in found]
    if not names:
        return []
    if conn.dialect.name == "sqlite":
        rows = dict(conn.exec_driver_sql(
            f"SELECT name, sql FROM sqlite_master WHERE type = 'index' AND name IN ({', '.join('?' * len(names))})",
            tuple(names)).all())
    else:
        rows = dict(conn.exec_driver_sql(
            "SELECT indexname, indexdef FROM pg_indexes WHERE schemaname = current_schema() "
            "AND indexname = ANY(%(names)s)", {"names": names}).all())
    return [rows[name] for name in names]


def _advance_sequences(conn, tables) -> None:
    """PostgreSQL: rows were written with explicit ids, so move each id sequence past them."""
    if conn.dialect.name != "postgresql":
        return
    for table in tables:
        if "id" in table.c and table.c.id.primary_key:
            conn.exec_driver_sql(f"SELECT setval(pg_get_serial_sequence('{table.name}', 'id'), "
                                 f"GREATEST((SELECT max(id) FROM {table.name}), 1))")


def bulk_insert(conn, table, columns: tuple[str, ...], rows: list[tuple], batch: int = 20_000) -> None:
    """An INSERT compiled once by SQLAlchemy Core, sent with the driver's executemany in chunks (SQLite), or COPY
    (PostgreSQL). Rows arrive already in storage form (naive UTC datetimes, JSON as text), because SQLAlchemy's
    per-value type processing is most of the cost of ``conn.execute(insert(table), dicts)`` at this size."""
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
        pick = itemgetter(*[columns.index(name) for name in compiled.positiontup])
        params = list(map(pick, rows))
    else:
        params = [dict(zip(columns, row)) for row in rows]
    for start in range(0, len(params), batch):
        conn.exec_driver_sql(str(compiled), params[start:start + batch])


def unseed(jd: Jiandu) -> None:
    """Empty the big tables at once (and the counters with them), so a test's baseline restore does not delete
    hundreds of thousands of rows one by one. On SQLite a DELETE without WHERE truncates only while foreign keys are
    not enforced and no trigger watches the table — hence the raw connection (that pragma can only change outside a
    transaction) and the triggers dropped meanwhile. PostgreSQL's restore truncates anyway."""
    if not jd.db.is_sqlite:
        return
    raw = jd.db.engine.raw_connection()
    try:
        raw.execute("PRAGMA foreign_keys = OFF")
        raw.execute("BEGIN IMMEDIATE")
        saved = raw.execute("SELECT name, sql FROM sqlite_master WHERE type = 'trigger'").fetchall()
        for name, _sql in saved:
            raw.execute(f"DROP TRIGGER {name}")
        for table in ("task_candidates", "human_tasks", "process_instances") + counters.TABLE_NAMES:
            raw.execute(f"DELETE FROM {table}")
        for _name, sql in saved:
            raw.execute(sql)
        raw.execute("COMMIT")
    finally:
        raw.execute("PRAGMA foreign_keys = ON")
        raw.close()
