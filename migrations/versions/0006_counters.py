"""dashboard counters kept by triggers, and indexes for inboxes and case lists at scale (issue 8)

Revision ID: 0006
Revises: 0005

- ``case_counts`` (cases per unit, process and status; started and completed per week; cases with a task marked
  late), ``open_task_counts`` (open tasks per unit, process, step and whether the worker marked them late) and
  ``process_instances.late_tasks`` (its open tasks marked late), filled from the rows already there and kept by
  row triggers on ``process_instances`` and ``human_tasks`` in the same transaction as every write. The trigger
  bodies are written out here for each database, frozen with this revision.
- ``ix_instance_late`` / ``ix_instance_late_unit``: the cases with a task marked late (partial indexes), for the
  case list's overdue filter.
- Wider ``ix_instance_status_ended`` and ``ix_task_state_completed``, so the dashboard's samples of recent
  completions are read from the index alone.
- ``delegate_id`` and ``original_assignee_id`` indexed over the rows that have one (partial indexes): an index
  of mostly NULLs looked unselective to SQLite's planner after ANALYZE, which then read every open task for the
  delegation branch of each person's 待办.
- Partial indexes over open tasks by deadline, split by whether the worker has marked them overdue
  (``escalated_at``) or reminded the holder (``reminded_at``): the dashboard's corrections and the worker's scans
  then follow the few unmarked tasks instead of every late one. ``ix_task_state_due`` goes: ``ix_task_open_due``
  begins with the same columns.
"""
from alembic import op
import sqlalchemy as sa

revision = "0006"
down_revision = "0005"
branch_labels = None
depends_on = None


def _week_sqlite(column: str) -> str:
    return f"date({column}, '+8 hours', '-6 days', 'weekday 1')"


def _week_pg(column: str) -> str:
    return f"to_char(date_trunc('week', {column} + interval '8 hours'), 'YYYY-MM-DD')"


def _case_upsert(values: str, where: str | None = None) -> str:
    source = f"SELECT {values} WHERE {where}" if where else f"VALUES ({values})"
    return (f"INSERT INTO case_counts (kind, bucket, unit_id, definition_key, n) {source} "
            "ON CONFLICT (kind, bucket, unit_id, definition_key) DO UPDATE SET n = n + 1;")


def _case_decrement(row: str, kind: str, bucket: str, where: str = "") -> str:
    return (f"UPDATE case_counts SET n = n - 1 WHERE kind = '{kind}' AND bucket = {bucket} "
            f"AND unit_id = {row}.unit_id AND definition_key = {row}.definition_key{where};")


def _sqlite_case_contributions(row: str, sign: int, late_when: str = "") -> list[str]:
    """The counters one instance row adds to (sign 1) or takes from (sign -1): its status, the week it started,
    the week it was completed, and whether it has a task marked late."""
    if sign > 0:
        return [
            _case_upsert(f"'status', {row}.status, {row}.unit_id, {row}.definition_key, 1"),
            _case_upsert(f"'started', {_week_sqlite(row + '.started_at')}, {row}.unit_id, {row}.definition_key, 1"),
            _case_upsert(f"'completed', {_week_sqlite(row + '.ended_at')}, {row}.unit_id, {row}.definition_key, 1",
                         f"{row}.status = 'completed' AND {row}.ended_at IS NOT NULL"),
            _case_upsert(f"'late', '', {row}.unit_id, {row}.definition_key, 1", f"{row}.late_tasks > 0{late_when}"),
        ]
    return [
        _case_decrement(row, "status", f"{row}.status"),
        _case_decrement(row, "started", _week_sqlite(f"{row}.started_at")),
        _case_decrement(row, "completed", _week_sqlite(f"{row}.ended_at"), f" AND {row}.status = 'completed'"),
        _case_decrement(row, "late", "''", f" AND {row}.late_tasks > 0{late_when}"),
    ]


_TASK_KEY = "unit_id, definition_key, element_id, late"


def _sqlite_triggers() -> list[str]:
    task_upsert = ("INSERT INTO open_task_counts (unit_id, definition_key, element_id, late, n) "
                   "SELECT NEW.unit_id, NEW.definition_key, NEW.element_id, NEW.escalated_at IS NOT NULL, 1 "
                   f"WHERE NEW.state = 'open' ON CONFLICT ({_TASK_KEY}) DO UPDATE SET n = n + 1;")
    task_decrement = ("UPDATE open_task_counts SET n = n - 1 WHERE OLD.state = 'open' AND unit_id = OLD.unit_id "
                      "AND definition_key = OLD.definition_key AND element_id = OLD.element_id "
                      "AND late = (OLD.escalated_at IS NOT NULL);")
    late_up = ("UPDATE process_instances SET late_tasks = late_tasks + 1 WHERE id = NEW.instance_id "
               "AND NEW.state = 'open' AND NEW.escalated_at IS NOT NULL;")
    late_down = ("UPDATE process_instances SET late_tasks = late_tasks - 1 WHERE id = OLD.instance_id "
                 "AND OLD.state = 'open' AND OLD.escalated_at IS NOT NULL;")
    changed = " OR ".join(f"OLD.{c} IS NOT NEW.{c}" for c in ("unit_id", "definition_key", "status", "started_at",
                                                               "ended_at"))
    moved = "(OLD.unit_id IS NOT NEW.unit_id OR OLD.definition_key IS NOT NEW.definition_key)"
    task_changed = " OR ".join(f"OLD.{c} IS NOT NEW.{c}" for c in ("state", "unit_id", "definition_key", "element_id",
                                                                    "instance_id"))
    return [
        "CREATE TRIGGER trg_counts_instances_insert AFTER INSERT ON process_instances BEGIN "
        + " ".join(_sqlite_case_contributions("NEW", 1)) + " END",
        # the late counter moves here only with the case (unit, process); a change of late_tasks alone is below
        "CREATE TRIGGER trg_counts_instances_update AFTER UPDATE OF unit_id, definition_key, status, started_at, "
        f"ended_at ON process_instances WHEN {changed} BEGIN "
        + " ".join(_sqlite_case_contributions("OLD", -1, f" AND {moved}")
                   + _sqlite_case_contributions("NEW", 1, f" AND {moved}")) + " END",
        "CREATE TRIGGER trg_counts_instances_late AFTER UPDATE OF late_tasks ON process_instances "
        f"WHEN (OLD.late_tasks > 0) <> (NEW.late_tasks > 0) AND NOT {moved} BEGIN "
        + _case_decrement("OLD", "late", "''", " AND OLD.late_tasks > 0") + " "
        + _case_upsert("'late', '', NEW.unit_id, NEW.definition_key, 1", "NEW.late_tasks > 0") + " END",
        "CREATE TRIGGER trg_counts_instances_delete AFTER DELETE ON process_instances BEGIN "
        + " ".join(_sqlite_case_contributions("OLD", -1)) + " END",
        f"CREATE TRIGGER trg_counts_tasks_insert AFTER INSERT ON human_tasks WHEN NEW.state = 'open' BEGIN "
        f"{task_upsert} {late_up} END",
        "CREATE TRIGGER trg_counts_tasks_update AFTER UPDATE OF state, unit_id, definition_key, element_id, "
        "escalated_at, instance_id ON human_tasks WHEN (OLD.state = 'open' OR NEW.state = 'open') AND "
        f"({task_changed} OR (OLD.escalated_at IS NULL) <> (NEW.escalated_at IS NULL)) BEGIN "
        f"{task_decrement} {late_down} {task_upsert} {late_up} END",
        f"CREATE TRIGGER trg_counts_tasks_delete AFTER DELETE ON human_tasks WHEN OLD.state = 'open' BEGIN "
        f"{task_decrement} {late_down} END",
    ]


_PG_FUNCTIONS = f"""
CREATE FUNCTION jiandu_case_bump(kd varchar, b varchar, u integer, k varchar, d integer) RETURNS void
LANGUAGE plpgsql AS $$
BEGIN
  IF b IS NULL THEN
    RETURN;
  ELSIF d < 0 THEN
    UPDATE case_counts SET n = n + d WHERE kind = kd AND bucket = b AND unit_id = u AND definition_key = k;
  ELSE
    INSERT INTO case_counts (kind, bucket, unit_id, definition_key, n) VALUES (kd, b, u, k, d)
    ON CONFLICT (kind, bucket, unit_id, definition_key) DO UPDATE SET n = case_counts.n + EXCLUDED.n;
  END IF;
END $$;

CREATE FUNCTION jiandu_case_counts() RETURNS trigger LANGUAGE plpgsql AS $$
DECLARE
  old_unit integer; old_key varchar; old_status varchar; old_started varchar; old_done varchar; old_late varchar;
  new_unit integer; new_key varchar; new_status varchar; new_started varchar; new_done varchar; new_late varchar;
BEGIN
  IF TG_OP IN ('UPDATE', 'DELETE') THEN
    old_unit := OLD.unit_id; old_key := OLD.definition_key; old_status := OLD.status;
    old_started := {_week_pg('OLD.started_at')};
    IF OLD.status = 'completed' THEN old_done := {_week_pg('OLD.ended_at')}; END IF;
    IF OLD.late_tasks > 0 THEN old_late := ''; END IF;
  END IF;
  IF TG_OP IN ('INSERT', 'UPDATE') THEN
    new_unit := NEW.unit_id; new_key := NEW.definition_key; new_status := NEW.status;
    new_started := {_week_pg('NEW.started_at')};
    IF NEW.status = 'completed' THEN new_done := {_week_pg('NEW.ended_at')}; END IF;
    IF NEW.late_tasks > 0 THEN new_late := ''; END IF;
  END IF;
  IF old_unit IS NOT DISTINCT FROM new_unit AND old_key IS NOT DISTINCT FROM new_key THEN
    -- the same case in the same place: touch only the counters that changed (fewer row locks)
    IF old_status IS DISTINCT FROM new_status THEN
      PERFORM jiandu_case_bump('status', old_status, old_unit, old_key, -1);
      PERFORM jiandu_case_bump('status', new_status, new_unit, new_key, 1);
    END IF;
    IF old_started IS DISTINCT FROM new_started THEN
      PERFORM jiandu_case_bump('started', old_started, old_unit, old_key, -1);
      PERFORM jiandu_case_bump('started', new_started, new_unit, new_key, 1);
    END IF;
    IF old_done IS DISTINCT FROM new_done THEN
      PERFORM jiandu_case_bump('completed', old_done, old_unit, old_key, -1);
      PERFORM jiandu_case_bump('completed', new_done, new_unit, new_key, 1);
    END IF;
    IF old_late IS DISTINCT FROM new_late THEN
      PERFORM jiandu_case_bump('late', old_late, old_unit, old_key, -1);
      PERFORM jiandu_case_bump('late', new_late, new_unit, new_key, 1);
    END IF;
  ELSE
    IF old_unit IS NOT NULL THEN
      PERFORM jiandu_case_bump('status', old_status, old_unit, old_key, -1);
      PERFORM jiandu_case_bump('started', old_started, old_unit, old_key, -1);
      PERFORM jiandu_case_bump('completed', old_done, old_unit, old_key, -1);
      PERFORM jiandu_case_bump('late', old_late, old_unit, old_key, -1);
    END IF;
    IF new_unit IS NOT NULL THEN
      PERFORM jiandu_case_bump('status', new_status, new_unit, new_key, 1);
      PERFORM jiandu_case_bump('started', new_started, new_unit, new_key, 1);
      PERFORM jiandu_case_bump('completed', new_done, new_unit, new_key, 1);
      PERFORM jiandu_case_bump('late', new_late, new_unit, new_key, 1);
    END IF;
  END IF;
  RETURN NULL;
END $$;

CREATE FUNCTION jiandu_open_task_counts() RETURNS trigger LANGUAGE plpgsql AS $$
DECLARE
  was_open boolean := false;
  is_open boolean := false;
BEGIN
  IF TG_OP IN ('UPDATE', 'DELETE') THEN was_open := OLD.state = 'open'; END IF;
  IF TG_OP IN ('INSERT', 'UPDATE') THEN is_open := NEW.state = 'open'; END IF;
  IF TG_OP = 'UPDATE' AND was_open AND is_open THEN
    IF OLD.unit_id = NEW.unit_id AND OLD.definition_key = NEW.definition_key AND OLD.element_id = NEW.element_id
       AND OLD.instance_id = NEW.instance_id AND (OLD.escalated_at IS NULL) = (NEW.escalated_at IS NULL) THEN
      RETURN NULL;
    END IF;
  END IF;
  IF was_open THEN
    UPDATE open_task_counts SET n = n - 1 WHERE unit_id = OLD.unit_id AND definition_key = OLD.definition_key
      AND element_id = OLD.element_id AND late = (OLD.escalated_at IS NOT NULL);
    IF OLD.escalated_at IS NOT NULL THEN
      UPDATE process_instances SET late_tasks = late_tasks - 1 WHERE id = OLD.instance_id;
    END IF;
  END IF;
  IF is_open THEN
    INSERT INTO open_task_counts ({_TASK_KEY}, n)
    VALUES (NEW.unit_id, NEW.definition_key, NEW.element_id, NEW.escalated_at IS NOT NULL, 1)
    ON CONFLICT ({_TASK_KEY}) DO UPDATE SET n = open_task_counts.n + 1;
    IF NEW.escalated_at IS NOT NULL THEN
      UPDATE process_instances SET late_tasks = late_tasks + 1 WHERE id = NEW.instance_id;
    END IF;
  END IF;
  RETURN NULL;
END $$;

CREATE TRIGGER trg_counts_instances AFTER INSERT OR DELETE OR UPDATE OF unit_id, definition_key, status, started_at,
  ended_at, late_tasks ON process_instances FOR EACH ROW EXECUTE FUNCTION jiandu_case_counts();

CREATE TRIGGER trg_counts_tasks AFTER INSERT OR DELETE OR UPDATE OF state, unit_id, definition_key, element_id,
  escalated_at, instance_id ON human_tasks FOR EACH ROW EXECUTE FUNCTION jiandu_open_task_counts();
"""


_LATE_TASKS = ("UPDATE process_instances SET late_tasks = (SELECT count(*) FROM human_tasks "
               "WHERE human_tasks.instance_id = process_instances.id AND human_tasks.state = 'open' "
               "AND human_tasks.escalated_at IS NOT NULL) WHERE id IN (SELECT instance_id FROM human_tasks "
               "WHERE state = 'open' AND escalated_at IS NOT NULL)")


def _recount(week) -> list[str]:
    into = "INSERT INTO case_counts (kind, bucket, unit_id, definition_key, n) "
    return [
        _LATE_TASKS,
        into + "SELECT 'status', status, unit_id, definition_key, count(*) FROM process_instances "
        "GROUP BY unit_id, definition_key, status",
        into + f"SELECT 'started', {week('started_at')}, unit_id, definition_key, count(*) FROM process_instances "
        f"GROUP BY unit_id, definition_key, {week('started_at')}",
        into + f"SELECT 'completed', {week('ended_at')}, unit_id, definition_key, count(*) FROM process_instances "
        f"WHERE status = 'completed' AND ended_at IS NOT NULL GROUP BY unit_id, definition_key, {week('ended_at')}",
        into + "SELECT 'late', '', unit_id, definition_key, count(*) FROM process_instances WHERE late_tasks > 0 "
        "GROUP BY unit_id, definition_key",
        f"INSERT INTO open_task_counts ({_TASK_KEY}, n) "
        "SELECT unit_id, definition_key, element_id, escalated_at IS NOT NULL, count(*) FROM human_tasks "
        "WHERE state = 'open' GROUP BY unit_id, definition_key, element_id, escalated_at IS NOT NULL",
    ]


def upgrade() -> None:
    postgres = op.get_bind().dialect.name == "postgresql"
    op.create_table(
        "case_counts",
        sa.Column("kind", sa.String(length=16), nullable=False),
        sa.Column("bucket", sa.String(length=32), nullable=False),
        sa.Column("unit_id", sa.Integer(), nullable=False),
        sa.Column("definition_key", sa.String(length=128), nullable=False),
        sa.Column("n", sa.Integer(), nullable=False),
        sa.PrimaryKeyConstraint("kind", "bucket", "unit_id", "definition_key", name=op.f("pk_case_counts")),
    )
    op.create_table(
        "open_task_counts",
        sa.Column("unit_id", sa.Integer(), nullable=False),
        sa.Column("definition_key", sa.String(length=128), nullable=False),
        sa.Column("element_id", sa.String(length=128), nullable=False),
        sa.Column("late", sa.Boolean(), nullable=False),
        sa.Column("n", sa.Integer(), nullable=False),
        sa.PrimaryKeyConstraint("unit_id", "definition_key", "element_id", "late", name=op.f("pk_open_task_counts")),
    )
    op.drop_index("ix_task_state_due", table_name="human_tasks")
    op.drop_index("ix_task_state_completed", table_name="human_tasks")
    op.create_index("ix_task_state_completed", "human_tasks",
                    ["state", "completed_at", "unit_id", "definition_key", "element_id", "created_at"])
    for name, predicate in (("ix_task_unmarked_due", "escalated_at IS NULL"),
                            ("ix_task_marked_due", "escalated_at IS NOT NULL"),
                            ("ix_task_unreminded_due", "reminded_at IS NULL")):
        op.create_index(name, "human_tasks", ["state", "due_at"], sqlite_where=sa.text(predicate),
                        postgresql_where=sa.text(predicate))
    op.drop_index("ix_human_tasks_delegate_id", table_name="human_tasks")
    op.drop_index("ix_human_tasks_original_assignee_id", table_name="human_tasks")
    op.create_index("ix_task_delegate", "human_tasks", ["delegate_id", "state"],
                    sqlite_where=sa.text("delegate_id IS NOT NULL"), postgresql_where=sa.text("delegate_id IS NOT NULL"))
    op.create_index("ix_task_original_assignee", "human_tasks", ["original_assignee_id"],
                    sqlite_where=sa.text("original_assignee_id IS NOT NULL"),
                    postgresql_where=sa.text("original_assignee_id IS NOT NULL"))
    op.drop_index("ix_instance_status_ended", table_name="process_instances")
    op.create_index("ix_instance_status_ended", "process_instances",
                    ["status", "ended_at", "unit_id", "definition_key", "started_at"])
    op.add_column("process_instances", sa.Column("late_tasks", sa.Integer(), server_default=sa.text("0"),
                                                 nullable=False))
    op.create_index("ix_instance_late", "process_instances", ["started_at", "id", "unit_id"],
                    sqlite_where=sa.text("late_tasks > 0"), postgresql_where=sa.text("late_tasks > 0"))
    op.create_index("ix_instance_late_unit", "process_instances", ["unit_id", "started_at", "late_tasks"],
                    sqlite_where=sa.text("late_tasks > 0"), postgresql_where=sa.text("late_tasks > 0"))
    for statement in _recount(_week_pg if postgres else _week_sqlite):
        op.execute(statement)
    if postgres:
        op.execute(_PG_FUNCTIONS)
    else:
        for statement in _sqlite_triggers():
            op.execute(statement)


def downgrade() -> None:
    if op.get_bind().dialect.name == "postgresql":
        op.execute("DROP TRIGGER trg_counts_tasks ON human_tasks")
        op.execute("DROP TRIGGER trg_counts_instances ON process_instances")
        op.execute("DROP FUNCTION jiandu_open_task_counts()")
        op.execute("DROP FUNCTION jiandu_case_counts()")
        op.execute("DROP FUNCTION jiandu_case_bump(varchar, varchar, integer, varchar, integer)")
    else:
        for name in ("instances_insert", "instances_update", "instances_late", "instances_delete", "tasks_insert",
                     "tasks_update", "tasks_delete"):
            op.execute(f"DROP TRIGGER trg_counts_{name}")
    op.drop_index("ix_instance_late_unit", table_name="process_instances")
    op.drop_index("ix_instance_late", table_name="process_instances")
    # SQLite (>= 3.35) drops a column in place; Alembic's batch mode would copy the table and DROP the original,
    # which foreign keys from the task and audit tables refuse once there are cases.
    op.execute("ALTER TABLE process_instances DROP COLUMN late_tasks")
    op.drop_index("ix_instance_status_ended", table_name="process_instances")
    op.create_index("ix_instance_status_ended", "process_instances", ["status", "ended_at"])
    for name in ("ix_task_original_assignee", "ix_task_delegate", "ix_task_unreminded_due", "ix_task_marked_due",
                 "ix_task_unmarked_due", "ix_task_state_completed"):
        op.drop_index(name, table_name="human_tasks")
    op.create_index("ix_human_tasks_original_assignee_id", "human_tasks", ["original_assignee_id"])
    op.create_index("ix_human_tasks_delegate_id", "human_tasks", ["delegate_id"])
    op.create_index("ix_task_state_completed", "human_tasks", ["state", "completed_at"])
    op.create_index("ix_task_state_due", "human_tasks", ["state", "due_at"])
    op.drop_table("open_task_counts")
    op.drop_table("case_counts")
