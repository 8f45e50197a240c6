"""The audit chain (决策全程纪实, DESIGN.md section 9).

Every state change appends an event to its chain ("instance:<id>" per case, "system" for deployments and
organisation changes). Each event stores ``hash = sha256(prev_hash + canonical JSON)`` where the canonical JSON
covers the chain, sequence number, kind, actor, time, task, element and payload. ``audit_heads`` remembers the
newest hash of every chain so that deleting the last event is caught like any other deletion.
"""
from __future__ import annotations

import hashlib
import json
from dataclasses import dataclass
from datetime import datetime
from typing import Any, Iterator

from sqlalchemy import bindparam, event, insert, select, update
from sqlalchemy.orm import Session

from . import clock
from .models import AuditEvent, AuditHead, User

GENESIS = "0" * 64
SECRET_KEYS = {"password", "password_hash", "token", "token_hash", "secret", "csrf_token"}


def canonical(value: Any) -> str:
    return json.dumps(value, sort_keys=True, ensure_ascii=False, separators=(",", ":"), default=str)


def scrub(value: Any) -> Any:
    """Passwords and tokens never reach an audit payload, however deeply they are nested."""
    if isinstance(value, dict):
        return {k: ("***" if str(k).lower() in SECRET_KEYS else scrub(v)) for k, v in value.items()}
    if isinstance(value, list):
        return [scrub(v) for v in value]
    return value


_HEADS = "jiandu_audit_heads"
_PENDING = "jiandu_audit_pending"
_HEAD = select(AuditHead.seq, AuditHead.hash).where(AuditHead.chain == bindparam("chain")).with_for_update()
_INSERT_HEAD = insert(AuditHead)
_INSERT_EVENTS = insert(AuditEvent)
_UPDATE_HEAD = update(AuditHead).where(AuditHead.chain == bindparam("c")).values(seq=bindparam("s"), hash=bindparam("h"))
_COLUMNS = ("chain", "seq", "instance_id", "kind", "actor_id", "actor", "at", "task_id", "element_id", "payload",
            "prev_hash", "hash")


@dataclass
class _Head:
    seq: int
    hash: str
    stored: bool          # a row exists in audit_heads
    dirty: bool = False


@event.listens_for(Session, "before_commit")
def _write_pending(session: Session) -> None:
    write_pending(session)


@event.listens_for(Session, "after_transaction_end")
def _forget(session: Session, transaction) -> None:
    if transaction.parent is None:
        session.info.pop(_HEADS, None)
        session.info.pop(_PENDING, None)


def write_pending(session: Session) -> None:
    """Write the events appended in this transaction (one multi-row insert) and move each chain's head.

    Runs by itself just before commit; call it first if the same transaction reads the chain back."""
    events = session.info.pop(_PENDING, None)
    if not events:
        return
    session.flush()  # rows the events refer to (a new instance) go first
    conn = session.connection()
    conn.execute(_INSERT_EVENTS, [{name: getattr(e, name) for name in _COLUMNS} for e in events])
    for chain, head in session.info.get(_HEADS, {}).items():
        if not head.dirty:
            continue
        if head.stored:
            conn.execute(_UPDATE_HEAD, {"c": chain, "s": head.seq, "h": head.hash})
        else:
            conn.execute(_INSERT_HEAD, {"chain": chain, "seq": head.seq, "hash": head.hash})
            head.stored = True
        head.dirty = False


def _digest(prev_hash: str, event: AuditEvent) -> str:
    body = canonical({
        "chain": event.chain, "seq": event.seq, "kind": event.kind, "actor": event.actor,
        "at": clock.as_utc(event.at).isoformat(timespec="microseconds"),
        "task_id": event.task_id, "element_id": event.element_id, "payload": event.payload,
    })
    return hashlib.sha256((prev_hash + body).encode("utf-8")).hexdigest()


def chain_for(instance_id: int | None) -> str:
    return f"instance:{instance_id}" if instance_id is not None else "system"


def append(session: Session, kind: str, *, actor: User | None = None, instance_id: int | None = None,
           task_id: int | None = None, element_id: str | None = None, payload: dict | None = None,
           at: datetime | None = None) -> AuditEvent:
    """Append one event in the caller's transaction (the caller holds the instance lock for instance chains)."""
    chain = chain_for(instance_id)
    heads = session.info.setdefault(_HEADS, {})
    head = heads.get(chain)
    if head is None:
        row = session.connection().execute(_HEAD, {"chain": chain}).first()
        head = heads[chain] = _Head(row.seq, row.hash, True) if row else _Head(0, GENESIS, False)
    when = clock.as_utc(at or clock.now())
    event = AuditEvent(
        chain=chain, seq=head.seq + 1, instance_id=instance_id, kind=kind,
        actor_id=actor.id if actor else None, actor=actor.username if actor else "system",
        at=when, task_id=task_id, element_id=element_id,
        payload=canonical(scrub(payload or {})), prev_hash=head.hash,
    )
    event.hash = _digest(head.hash, event)
    head.seq, head.hash, head.dirty = event.seq, event.hash, True
    # Written with the others just before commit (write_pending): one statement instead of an ORM flush each.
    session.info.setdefault(_PENDING, []).append(event)
    return event


@dataclass
class ChainReport:
    chain: str
    events: int
    ok: bool
    broken_seq: int | None = None
    broken_event_id: int | None = None
    reason: str = ""

    def as_dict(self) -> dict:
        return self.__dict__.copy()


def verify_chain(session: Session, chain: str) -> ChainReport:
    """Recompute one chain; name the first event that does not hash, is missing, or breaks the link."""
    events = session.scalars(select(AuditEvent).where(AuditEvent.chain == chain).order_by(AuditEvent.seq)).all()
    head = session.get(AuditHead, chain)
    prev, expected_seq = GENESIS, 1
    for event in events:
        if event.seq != expected_seq:
            return ChainReport(chain, len(events), False, expected_seq, None,
                               f"事件 #{expected_seq} 缺失（已被删除）")
        if event.prev_hash != prev:
            return ChainReport(chain, len(events), False, event.seq, event.id, f"事件 #{event.seq} 与前一事件的链接断开")
        if _digest(prev, event) != event.hash:
            return ChainReport(chain, len(events), False, event.seq, event.id, f"事件 #{event.seq} 的内容已被篡改")
        prev, expected_seq = event.hash, expected_seq + 1
    if head is not None and (head.seq != expected_seq - 1 or head.hash != prev):
        return ChainReport(chain, len(events), False, expected_seq, None,
                           f"链尾应为事件 #{head.seq}，实际只到 #{expected_seq - 1}（末尾事件被删除或篡改）")
    if head is None and events:
        return ChainReport(chain, len(events), False, None, None, "链头记录缺失")
    return ChainReport(chain, len(events), True)


def all_chains(session: Session) -> Iterator[str]:
    seen = set(session.scalars(select(AuditHead.chain)).all())
    seen.update(session.scalars(select(AuditEvent.chain).distinct()).all())
    yield from sorted(seen)


def verify_all(session: Session) -> list[ChainReport]:
    return [verify_chain(session, chain) for chain in all_chains(session)]


def timeline(session: Session, instance_id: int) -> list[dict]:
    """The instance's events, oldest first, with their payloads decoded."""
    rows = session.scalars(
        select(AuditEvent).where(AuditEvent.chain == chain_for(instance_id)).order_by(AuditEvent.seq)
    ).all()
    return [
        {"seq": e.seq, "kind": e.kind, "actor": e.actor, "at": e.at, "task_id": e.task_id,
         "element_id": e.element_id, "payload": json.loads(e.payload), "hash": e.hash, "prev_hash": e.prev_hash}
        for e in rows
    ]
