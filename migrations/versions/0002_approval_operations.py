"""approval operations (issue 7)

Revision ID: 0002
Revises: 0001

The operations use the tables 0001 already has (comments, attachments, urges, notifications, instance_ccs,
proxies, and the delegation columns of human_tasks). This revision adds the index the mail worker reads
(service.mail): unread, not yet mailed notifications of the last few days.
"""
from alembic import op
import sqlalchemy as sa  # noqa: F401
import service.models.base  # noqa: F401

revision = "0002"
down_revision = "0001"
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table("notifications", schema=None) as batch_op:
        batch_op.create_index("ix_notification_created_mail", ["created_at", "emailed_at"], unique=False)


def downgrade() -> None:
    with op.batch_alter_table("notifications", schema=None) as batch_op:
        batch_op.drop_index("ix_notification_created_mail")
