"""process editor drafts and lane maps (issue 5)

Revision ID: 0003
Revises: 0002

Reserved so that work on several issues at once keeps one linear history: the issue fills in upgrade() and
downgrade() (and renames this file) when it needs schema changes; an empty revision is harmless.
"""
from alembic import op  # noqa: F401
import sqlalchemy as sa  # noqa: F401
import service.models.base  # noqa: F401

revision = "0003"
down_revision = "0002"
branch_labels = None
depends_on = None


def upgrade() -> None:
    pass


def downgrade() -> None:
    pass
