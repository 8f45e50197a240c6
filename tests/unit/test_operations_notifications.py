"""Notifications: in-app ones for each operation (the bell reads them), and their optional e-mail delivery through
SMTP — tested against a local SMTP server the test starts (tests.unit.smtp_sink)."""
from __future__ import annotations

import socket

from sqlalchemy import select, update

from service import mail, notifications, urge, worker
from service.config import Settings
from service.models import Notification, User
from service.operations import cc, transfer
from tests.support import start, task_named, user
from tests.unit.ops_support import MEMBERS, act, case_at_secretary, core, notes  # noqa: F401
from tests.unit.smtp_sink import SmtpSink
from tests.unit.test_transactions import run_together


def give_email(jd, **addresses) -> None:
    with jd.db.write() as session:
        for username, address in addresses.items():
            session.execute(update(User).where(User.username == username).values(email=address))


def settings_for(sink_or_port) -> Settings:
    port = sink_or_port if isinstance(sink_or_port, int) else sink_or_port.port
    return Settings(smtp_host="127.0.0.1", smtp_port=port, mail_from="jiandu@example.org")


def pending_mail(jd) -> list[int]:
    with jd.db.read() as session:
        return list(session.scalars(select(Notification.id).where(Notification.emailed_at.is_(None))).all())


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]  # closed again: nobody listens there


def test_each_operation_notifies_the_people_concerned_in_the_app(core):
    case = case_at_secretary(core)
    approve = task_named(core, case.id, "secretary_approve").id
    act(core, urge.urge, "yangfan", approve, "请尽快审批")
    act(core, cc.copy_to, "lijianguo", approve, ["zhoumin"])
    act(core, transfer.transfer, "lijianguo", approve, "wanghong")
    with core.db.read() as session:
        bell = notifications.recent(session, user(core, "lijianguo"))
        assert notifications.unread_count(session, user(core, "lijianguo")) == 2
        assert [n["kind"] for n in notifications.recent(session, user(core, "wanghong"))] == ["task.transferred"]
    assert [(n["kind"], n["kind_label"]) for n in bell] == [("task.urged", "催办"), ("task.new", "新待办")]
    assert notes(core, "zhoumin") == ["李建国 抄送给您：采购审批（书记审批）"]


def test_notifications_are_mailed_once_through_the_smtp_server(core):
    give_email(core, lijianguo="li@example.org", yangfan="yang@example.org")
    case = start(core, "yangfan", "core_flow", data=MEMBERS, title="采购审批")
    act(core, transfer.transfer, "yangfan", task_named(core, case.id, "draft").id, "lijianguo", "请代为起草")
    with SmtpSink() as sink:
        assert mail.deliver_pending(core.db, settings_for(sink)) == 2  # yangfan's new task, li's transfer
        assert mail.deliver_pending(core.db, settings_for(sink)) == 0  # never twice
    by_recipient = {m["to"][0]: m["message"] for m in sink.messages}
    assert set(by_recipient) == {"li@example.org", "yang@example.org"}
    message = by_recipient["li@example.org"]
    assert message["Subject"] == "【监督】转办：杨帆 将“起草事项”转办给您（采购审批）：请代为起草"
    assert message["From"] == "jiandu@example.org" and "李建国" in message["To"]
    assert "杨帆 将“起草事项”转办给您（采购审批）：请代为起草" in message.get_content()
    assert all(m["from"] == "<jiandu@example.org>" for m in sink.messages)
    assert pending_mail(core) == []


def test_people_without_an_address_and_notifications_read_in_the_app_are_not_mailed(core):
    give_email(core, yangfan="yang@example.org")
    start(core, "yangfan", "core_flow", data=MEMBERS)
    start(core, "yangfan", "core_flow", data=MEMBERS)
    with core.db.write() as session:
        first = session.scalar(select(Notification.id).order_by(Notification.id))
        notifications.mark_read(session, user(core, "yangfan"), [first])
    with SmtpSink() as sink:
        assert mail.deliver_pending(core.db, settings_for(sink)) == 1
    assert len(sink.messages) == 1


def test_an_unreachable_server_is_tried_again_and_a_refused_address_is_not(core):
    give_email(core, yangfan="yang@example.org", lijianguo="gone@example.org")
    case = start(core, "yangfan", "core_flow", data=MEMBERS)
    act(core, transfer.transfer, "yangfan", task_named(core, case.id, "draft").id, "lijianguo")
    assert mail.deliver_pending(core.db, settings_for(free_port())) == 0
    assert len(pending_mail(core)) == 2  # claims given back
    with SmtpSink(refuse={"gone@example.org"}) as sink:
        assert mail.deliver_pending(core.db, settings_for(sink)) == 1
        assert mail.deliver_pending(core.db, settings_for(sink)) == 0  # the refused one is not retried
    assert [m["to"] for m in sink.messages] == [["yang@example.org"]]


def test_without_smtp_nothing_is_mailed(core):
    give_email(core, yangfan="yang@example.org")
    start(core, "yangfan", "core_flow", data=MEMBERS)
    assert mail.deliver_pending(core.db, Settings()) == 0
    assert len(pending_mail(core)) == 1


def test_the_worker_mails_and_several_workers_mail_each_notification_once(core, monkeypatch):
    give_email(core, yangfan="yang@example.org")
    for n in range(4):
        start(core, "yangfan", "core_flow", data=MEMBERS, title=f"案件{n}")
    with SmtpSink() as sink:
        monkeypatch.setenv("JIANDU_SMTP_HOST", "127.0.0.1")
        monkeypatch.setenv("JIANDU_SMTP_PORT", str(sink.port))
        reports = run_together(*[lambda: worker.run_once(core.db)] * 3)
        assert not any(isinstance(r, Exception) for r in reports), reports
        assert sum(r.emailed for r in reports) == 4
        assert worker.run_once(core.db).emailed == 0
    assert sorted(m["message"]["Subject"] for m in sink.messages) == sorted(
        f"【监督】新待办：新待办：起草事项（案件{n}）" for n in range(4))
