"""E-mail delivery of in-app notifications, when an SMTP server is configured (optional).

Every notification is written to the database first (`service.notify`); the worker (`service.worker.run_once`)
then mails the unread ones of people who have an e-mail address, through `JIANDU_SMTP_HOST`/`JIANDU_SMTP_PORT`
from `JIANDU_MAIL_FROM`. Each notification is claimed with a conditional UPDATE of `emailed_at` before it is
sent, so several workers never mail it twice; when the server cannot be reached the claim is given back and the
next pass tries again. Only notifications of the last `LOOKBACK` are mailed: switching mail on must not flood
people with last year's reminders, and one read in the app meanwhile needs no mail.
"""
from __future__ import annotations

import logging
import smtplib
from datetime import timedelta
from email.message import EmailMessage
from email.utils import formataddr, make_msgid

from sqlalchemy import select, update

from . import clock
from .config import Settings
from .db import Database
from .models import Notification, User
from .notify import KINDS

log = logging.getLogger("jiandu.mail")
LOOKBACK = timedelta(days=3)
BATCH = 200
TIMEOUT = 10


def deliver_pending(db: Database, settings: Settings | None = None) -> int:
    """Mail what is pending; returns how many messages the server accepted."""
    settings = settings or Settings.from_env()
    if not settings.smtp_host:
        return 0
    now = clock.now()
    with db.read() as session:
        pending = session.execute(
            select(Notification.id, Notification.kind, Notification.message, User.email, User.name)
            .join(User, User.id == Notification.user_id)
            .where(Notification.created_at >= now - LOOKBACK, Notification.emailed_at.is_(None),
                   Notification.read_at.is_(None), User.is_active.is_(True), User.email.like("%@%"))
            .order_by(Notification.id).limit(BATCH)).all()
    claimed = _claim(db, [row.id for row in pending], now)
    mine = [row for row in pending if row.id in claimed]
    if not mine:
        return 0
    sent, retry = _send(settings, mine)
    if retry:
        with db.write() as session:
            session.execute(update(Notification).where(Notification.id.in_(retry)).values(emailed_at=None)
                            .execution_options(synchronize_session=False))
    return len(sent)


def _claim(db: Database, ids: list[int], now) -> set[int]:
    claimed = set()
    if not ids:
        return claimed
    with db.write() as session:
        for notification_id in ids:
            result = session.execute(update(Notification).where(
                Notification.id == notification_id, Notification.emailed_at.is_(None)).values(emailed_at=now)
                .execution_options(synchronize_session=False))
            if result.rowcount == 1:
                claimed.add(notification_id)
    return claimed


def _send(settings: Settings, rows) -> tuple[list[int], list[int]]:
    """Returns (sent, to retry). A refused address is not retried; an unreachable server is."""
    sent: list[int] = []
    try:
        with smtplib.SMTP(settings.smtp_host, settings.smtp_port, timeout=TIMEOUT) as smtp:
            for row in rows:
                try:
                    smtp.send_message(message(settings, row.email, row.name, row.kind, row.message))
                    sent.append(row.id)
                except (smtplib.SMTPRecipientsRefused, smtplib.SMTPSenderRefused, smtplib.SMTPDataError) as err:
                    log.warning("mail for notification %s refused: %s", row.id, err)
    except (OSError, smtplib.SMTPException) as err:
        log.warning("SMTP server %s:%s unavailable: %s", settings.smtp_host, settings.smtp_port, err)
        done = set(sent)
        return sent, [row.id for row in rows if row.id not in done]
    return sent, []


def message(settings: Settings, email: str, name: str, kind: str, text: str) -> EmailMessage:
    label = KINDS.get(kind, "通知")
    mail = EmailMessage()
    mail["Subject"] = f"【监督】{label}：{text[:60]}"
    mail["From"] = settings.mail_from
    mail["To"] = formataddr((name, email))
    mail["Message-ID"] = make_msgid(domain=settings.mail_from.rpartition("@")[2] or "localhost")
    mail.set_content(f"{name}，您好：\n\n{text}\n\n请登录监督平台查看和办理。\n（此邮件由系统自动发送，请勿回复。）\n")
    return mail
