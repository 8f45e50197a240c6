"""case counters updated at commit (PostgreSQL): the trigger on process_instances becomes a deferred constraint
trigger, so every transaction takes its case-counter row locks after all of its task-counter row locks and two
commands on cases of the same process and unit cannot deadlock on them (tests/unit/test_counter_locks.py).
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

_EVENTS = ("AFTER INSERT OR DELETE OR UPDATE OF unit_id, definition_key, status, started_at, ended_at, late_tasks "
           "ON process_instances")


def upgrade() -> None:
    if op.get_bind().dialect.name != "postgresql":
        return
    op.execute("DROP TRIGGER trg_counts_instances ON process_instances")
    op.execute(f"CREATE CONSTRAINT TRIGGER trg_counts_instances {_EVENTS} DEFERRABLE INITIALLY DEFERRED "
               "FOR EACH ROW EXECUTE FUNCTION jiandu_case_counts()")


def downgrade() -> None:
    if op.get_bind().dialect.name != "postgresql":
        return
    op.execute("DROP TRIGGER trg_counts_instances ON process_instances")
    op.execute(f"CREATE TRIGGER trg_counts_instances {_EVENTS} FOR EACH ROW EXECUTE FUNCTION jiandu_case_counts()")
