"""process editor drafts: the version a draft started from, and a revision for concurrent saves (issue 5)

Revision ID: 0003
Revises: 0002

Lane maps need no table: a lane's assignment expression lives in the diagram (the lane's `assignment` extension
property) and is copied into `process_definitions.lanes` at deploy time.
"""
from alembic import op
import sqlalchemy as sa
import service.models.base  # noqa: F401

revision = "0003"
down_revision = "0002"
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table("definition_drafts", schema=None) as batch_op:
        batch_op.add_column(sa.Column("base_version", sa.Integer(), nullable=True))
        batch_op.add_column(sa.Column("revision", sa.Integer(), nullable=False, server_default="1"))


def downgrade() -> None:
    with op.batch_alter_table("definition_drafts", schema=None) as batch_op:
        batch_op.drop_column("revision")
        batch_op.drop_column("base_version")
