"""The timer worker: fires due BPMN timers and watches human-task deadlines.

Safe with several workers at once: each due instance is handled in its own locked transaction (and skipped,
not waited for, on PostgreSQL when another worker holds it); each deadline notice is claimed with a conditional
UPDATE, so it is sent exactly once.
"""
from __future__ import annotations

import logging
import threading
from dataclasses import dataclass, field
from datetime import timedelta

from sqlalchemy import select, update

from . import audit, clock, instances, mail, notify, recurring, runtime
from .assignment import InstanceScope, Resolver, parse
from .db import Database
from .locking import due_instance_ids, lock_instance
from .models import HumanTask, ProcessDefinition, ProcessInstance, TaskCandidate, Unit

log = logging.getLogger("jiandu.worker")
DUE_SOON = timedelta(hours=24)


@dataclass
class PassReport:
    timers_fired: int = 0
    overdue: int = 0
    due_soon: int = 0
    started: int = 0  # recurring instances started (service.recurring)
    emailed: int = 0  # notifications mailed (service.mail)
    errors: list[str] = field(default_factory=list)


def run_once(db: Database) -> PassReport:
    report = PassReport()
    now = clock.now()
    report.started = len(recurring.start_due(db, now))
    with db.read() as session:
        due = due_instance_ids(session, now, limit=500)
    for instance_id in due:
        try:
            with db.write() as session:
                if instances.fire_timers(session, instance_id) is not None:
                    report.timers_fired += 1
        except Exception as err:  # one broken instance must not stop the others
            log.exception("timer on instance %s failed", instance_id)
            report.errors.append(f"instance {instance_id}: {err}")
    report.overdue = _deadlines(db, now, overdue=True)
    report.due_soon = _deadlines(db, now, overdue=False)
    report.emailed = mail.deliver_pending(db)  # no-op unless JIANDU_SMTP_HOST is set
    return report


def _holders(session, task: HumanTask) -> list[int]:
    if task.assignee_id:
        return [task.assignee_id]
    return list(session.scalars(select(TaskCandidate.user_id).where(TaskCandidate.task_id == task.id)).all())


def _deadlines(db: Database, now, *, overdue: bool) -> int:
    column = HumanTask.escalated_at if overdue else HumanTask.reminded_at
    horizon = now if overdue else now + DUE_SOON
    with db.read() as session:
        due = session.execute(select(HumanTask.id, HumanTask.instance_id).where(
            HumanTask.state == "open", HumanTask.due_at <= horizon, column.is_(None)).limit(1000)).all()
    done = 0
    for task_id, instance_id in due:
        try:
            done += _deadline(db, now, task_id, instance_id, column, overdue)
        except Exception:  # one failing notice must not stop the sweep; it stays unclaimed and is retried
            log.exception("deadline notice for task %s failed", task_id)
    return done


def _deadline(db: Database, now, task_id: int, instance_id: int, column, overdue: bool) -> int:
    """One deadline notice in its own transaction; 1 when this worker sent it, 0 when another one had."""
    with db.write() as session:
        instance = lock_instance(session, instance_id)  # instance before task row: the order commands use
        claimed = session.execute(update(HumanTask).where(HumanTask.id == task_id, column.is_(None),
                                                          HumanTask.state == "open").values({column: now}))
        if claimed.rowcount != 1:
            return 0  # another worker got it
        task = session.get(HumanTask, task_id)
        holders = _holders(session, task)
        if overdue:
            _escalate(session, task, instance, holders)
        else:
            notify.notify(session, holders, "task.due_soon", f"即将到期：{task.name}（{instance.title}）",
                          instance_id=instance.id, task_id=task.id)
        return 1


def _escalate(session, task: HumanTask, instance: ProcessInstance, holders: list[int]) -> None:
    """Overdue: remind the holders; when the task names `escalateTo`, notify those people too (督办)."""
    notify.notify(session, holders, "task.overdue", f"已超期：{task.name}（{instance.title}）",
                  instance_id=instance.id, task_id=task.id)
    definition = session.get(ProcessDefinition, instance.definition_id)
    spec = runtime.human_task_spec(runtime.parsed(session, definition), task.element_id)
    target = ((getattr(spec, "extensions", None) or {}).get("properties") or {}).get("escalateTo")
    escalated_to: list[str] = []
    if target:
        unit = session.get(Unit, instance.unit_id)
        resolution = Resolver(session).resolve(parse(target, "group"),
                                               InstanceScope(unit.id, unit.path, instance.initiator_id, {}))
        notify.notify(session, resolution.user_ids, "task.escalated",
                      f"超期督办：{task.name}（{instance.title}）已超过期限，办理人未完成", instance_id=instance.id, task_id=task.id)
        escalated_to = [resolution.label]
    audit.append(session, "task.overdue", actor=None, instance_id=instance.id, task_id=task.id,
                 element_id=task.element_id,
                 payload={"name": task.name, "due_at": task.due_at.isoformat() if task.due_at else None,
                          "escalated_to": escalated_to})


def loop(db: Database, interval: float = 5.0, stop: threading.Event | None = None) -> None:
    stop = stop or threading.Event()
    while not stop.is_set():
        try:
            report = run_once(db)
            if report.timers_fired or report.overdue or report.due_soon or report.started:
                log.info("worker pass: %s", report)
        except Exception:
            log.exception("worker pass failed")
        stop.wait(interval)


def start_background(db: Database, interval: float = 5.0) -> threading.Event:
    """The in-process worker thread `jiandu serve` runs beside the web app."""
    stop = threading.Event()
    threading.Thread(target=loop, args=(db, interval, stop), name="jiandu-worker", daemon=True).start()
    return stop
