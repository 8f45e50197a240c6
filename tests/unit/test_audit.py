"""The audit chain catches an edited payload, a deleted event (middle or newest), and `jiandu audit verify` says so."""
from __future__ import annotations

import json

import pytest
from click.testing import CliRunner
from sqlalchemy import delete, select, update

from service import audit, cli
from service.models import AuditEvent
from tests.support import complete, deploy, start, task_named


@pytest.fixture
def case(jd):
    deploy(jd, "core_flow.bpmn", "core_draft.form", "core_approve.form", actor="owner")
    case = start(jd, "yangfan", "core_flow", data={"members": ["wanghong"]})
    complete(jd, "yangfan", task_named(jd, case.id, "draft").id, {"amount": 7000, "summary": "原始说明"})
    return case


def verify(jd, chain):
    with jd.db.read() as session:
        return audit.verify_chain(session, chain)


def events(jd, chain):
    with jd.db.read() as session:
        return session.scalars(select(AuditEvent).where(AuditEvent.chain == chain).order_by(AuditEvent.seq)).all()


def run_verify(jd, monkeypatch):
    monkeypatch.setenv("JIANDU_DATABASE_URL", jd.settings.database_url)
    return CliRunner().invoke(cli.main, ["audit", "verify"])


def test_an_untouched_chain_verifies(jd, case, monkeypatch):
    assert verify(jd, f"instance:{case.id}").ok
    result = run_verify(jd, monkeypatch)
    assert result.exit_code == 0 and "0 broken" in result.output


def test_an_edited_payload_is_found_and_named(jd, case, monkeypatch):
    chain = f"instance:{case.id}"
    completed = next(e for e in events(jd, chain) if e.kind == "task.completed")
    forged = json.loads(completed.payload)
    forged["data"]["amount"] = 70  # someone "corrects" the record afterwards
    with jd.db.write() as session:
        session.execute(update(AuditEvent).where(AuditEvent.id == completed.id)
                        .values(payload=audit.canonical(forged)))
    report = verify(jd, chain)
    assert not report.ok and report.broken_seq == completed.seq and report.broken_event_id == completed.id
    result = run_verify(jd, monkeypatch)
    assert result.exit_code == 1 and f"BROKEN {chain} at event #{completed.seq}" in result.output


@pytest.mark.parametrize("which", ["middle", "newest"])
def test_a_deleted_event_is_found(jd, case, monkeypatch, which):
    chain = f"instance:{case.id}"
    rows = events(jd, chain)
    victim = rows[len(rows) // 2] if which == "middle" else rows[-1]
    with jd.db.write() as session:
        session.execute(delete(AuditEvent).where(AuditEvent.id == victim.id))
    report = verify(jd, chain)
    assert not report.ok and report.broken_seq == victim.seq
    assert run_verify(jd, monkeypatch).exit_code == 1


def test_secrets_never_reach_a_payload(jd):
    with jd.db.write() as session:
        event = audit.append(session, "test", payload={"user": {"password": "hunter2", "name": "x"}, "token": "t"})
    assert "hunter2" not in event.payload and '"token":"***"' in event.payload
