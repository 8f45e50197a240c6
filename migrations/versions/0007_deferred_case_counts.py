"""counter locks in one order (PostgreSQL), so two commands cannot deadlock on the running totals
(tests/unit/test_counter_locks.py):

- the trigger on process_instances becomes a deferred constraint trigger: a transaction takes its case-counter
  rows at commit, after all of its task-counter rows;
- before a task row changes, its (unit, process) is locked with a transaction-level advisory lock: the task-counter
  rows of one unit and process are then changed by one transaction at a time, in whatever order each needs them.
  Every command writes one case, so it needs one such lock (two only when a case moves to another unit).

SQLite runs one writer at a time and keeps its triggers.

Revision ID: 0007
Revises: 0006
"""
from __future__ import annotations

from alembic import op

revision = "0007"
down_revision = "0006"
branch_labels = None
depends_on = None

_TASK_EVENTS = ("INSERT OR DELETE OR UPDATE OF state, unit_id, definition_key, element_id, escalated_at, instance_id "
                "ON human_tasks")
_LOCK_FUNCTION = """
CREATE FUNCTION jiandu_counts_lock() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
  IF TG_OP IN ('UPDATE', 'DELETE') THEN
    PERFORM pg_advisory_xact_lock(8061907, hashtext(OLD.unit_id::text || ':' || OLD.definition_key));
  END IF;
  IF TG_OP IN ('INSERT', 'UPDATE') THEN
    PERFORM pg_advisory_xact_lock(8061907, hashtext(NEW.unit_id::text || ':' || NEW.definition_key));
    RETURN NEW;
  END IF;
  RETURN OLD;
END $$;
"""
_EVENTS = ("AFTER INSERT OR DELETE OR UPDATE OF unit_id, definition_key, status, started_at, ended_at, late_tasks "
           "ON process_instances")


def upgrade() -> None:
    if op.get_bind().dialect.name != "postgresql":
        return
    op.execute("DROP TRIGGER trg_counts_instances ON process_instances")
    op.execute(f"CREATE CONSTRAINT TRIGGER trg_counts_instances {_EVENTS} DEFERRABLE INITIALLY DEFERRED "
               "FOR EACH ROW EXECUTE FUNCTION jiandu_case_counts()")
    op.execute(_LOCK_FUNCTION)
    op.execute(f"CREATE TRIGGER trg_counts_tasks_lock BEFORE {_TASK_EVENTS} FOR EACH ROW "
               "EXECUTE FUNCTION jiandu_counts_lock()")


def downgrade() -> None:
    if op.get_bind().dialect.name != "postgresql":
        return
    op.execute("DROP TRIGGER trg_counts_tasks_lock ON human_tasks")
    op.execute("DROP FUNCTION jiandu_counts_lock()")
    op.execute("DROP TRIGGER trg_counts_instances ON process_instances")
    op.execute(f"CREATE TRIGGER trg_counts_instances {_EVENTS} FOR EACH ROW EXECUTE FUNCTION jiandu_case_counts()")
