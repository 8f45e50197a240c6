"""supervision views (issue 6): indexes for the case list, the dashboard and the heatmap

Revision ID: 0004
Revises: 0003

Only indexes; no table changes. What each one serves is noted beside it in service/models/instances.py.
"""
from alembic import op

revision = "0004"
down_revision = "0003"
branch_labels = None
depends_on = None

INDEXES = [
    ("process_instances", "ix_instance_started", ["started_at", "id"]),
    ("process_instances", "ix_instance_unit_started", ["unit_id", "started_at"]),
    ("process_instances", "ix_instance_unit_key_started", ["unit_id", "definition_key", "started_at"]),
    ("process_instances", "ix_instance_status_ended", ["status", "ended_at"]),
    ("human_tasks", "ix_task_open_due", ["state", "due_at", "unit_id", "instance_id"]),
    ("human_tasks", "ix_task_state_element", ["state", "element_id", "unit_id", "instance_id"]),
    ("human_tasks", "ix_task_key_state_element", ["definition_key", "state", "element_id"]),
    ("human_tasks", "ix_task_state_completed", ["state", "completed_at"]),
]


def upgrade() -> None:
    for table, name, columns in INDEXES:
        op.create_index(name, table, columns, unique=False)


def downgrade() -> None:
    for table, name, _columns in reversed(INDEXES):
        op.drop_index(name, table_name=table)
