"""Schema of the approval operations (issue 7, migration 0002).

The operations live on tables that already exist; what they add is the index the mail worker scans
(`service.mail`: recent notifications not yet mailed), declared here beside the migration that creates it.
"""
from __future__ import annotations

from sqlalchemy import Index

from .activity import Notification

NOTIFICATION_MAIL_INDEX = Index("ix_notification_created_mail", Notification.__table__.c.created_at,
                                Notification.__table__.c.emailed_at)
