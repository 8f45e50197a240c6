"""approval operations (issue 7)

Revision ID: 0002
Revises: 0001

Reserved so that work on several issues at once keeps one linear history: the issue fills in upgrade() and
downgrade() (and renames this file) when it needs schema changes; an empty revision is harmless.
"""
from alembic import op  # noqa: F401
import sqlalchemy as sa  # noqa: F401
import service.models.base  # noqa: F401

revision = "0002"
down_revision = "0001"
branch_labels = None
depends_on = None


def upgrade() -> None:
    pass


def downgrade() -> None:
    pass
