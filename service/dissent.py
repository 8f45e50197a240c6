"""Who held which view on a "三重一大" decision, and every decision a person opposed (决策反对意见的实施记录).

A member who clearly opposed or reserved an opinion on a decision later found wrong may be exempt from
accountability (问责条例 Art. 17), so these answers come from what each person submitted, word for word: the
human-task rows of the opinion steps (``HumanTask.data`` keeps each completion's form data, the same data the
`task.completed` audit event seals). The computed results come from the `record.sealed` events of the decision
record (service.records). No workflow is loaded.

Rounds: a decision deferred (缓议), failing quorum or objected to by the superior is voted on again. Each completed
attendance record opens a round; an opinion belongs to the last round opened before its task was created.
"""
from __future__ import annotations

import json
from bisect import bisect_right
from collections import defaultdict

from sqlalchemy import select
from sqlalchemy.orm import Session

from . import access, org
from .errors import Forbidden, NotFound
from .models import AuditEvent, HumanTask, ProcessInstance, Unit, User
from .records import EVENT as SEALED

DECISION_KEY = "major_decision"
PROPOSAL = "propose"
SCHEDULE = "schedule"
ATTENDANCE = "attendance"
MEMBER_OPINION = "member_opinion"
SECRETARY_OPINION = "secretary_opinion"
QUORUM_RECORD = "check_quorum"
DECISION_RECORD = "seal_record"
DISSENTING_VIEWS = ("不同意", "保留意见", "缓议")
_STEPS = (PROPOSAL, SCHEDULE, ATTENDANCE, MEMBER_OPINION, SECRETARY_OPINION)


def opinions(session: Session, actor: User, instance_id: int) -> dict:
    """Every round of one decision: who should attend, who attended, each view and its reasons in the order
    they were recorded (the secretary last), and the computed result. Visible to whoever may view the case.
    Another process has no opinions: its answer has no rounds (`decision` is false)."""
    instance = access.visible_instance(session, actor, instance_id)
    history = _History(session, [instance.id] if instance.definition_key == DECISION_KEY else [])
    rounds = history.rounds(instance.id)
    latest = rounds[-1] if rounds else None
    proposal = history.proposal(instance.id)
    unit = session.get(Unit, instance.unit_id)
    return {
        "instance_id": instance.id, "title": instance.title, "status": instance.status,
        "definition": instance.definition_key, "decision": instance.definition_key == DECISION_KEY,
        "unit": unit.name, "unit_code": unit.code,
        "category": proposal.get("category"), "item_title": proposal.get("item_title"),
        "rounds": rounds,
        "attendance": latest["attendance"] if latest else None,
        "opinions": latest["opinions"] if latest else [],
        "result": history.final_result(instance.id),
    }


def dissents(session: Session, actor: User, username: str) -> list[dict]:
    """Every recorded view of `username` that was 不同意 / 保留意见 / 缓议, oldest first, with the decision and how
    it ended. The person sees all of their own; a supervisor those in the units they supervise; an admin all."""
    person = session.scalar(select(User).where(User.username == username))
    if person is None:
        raise NotFound(f"用户 {username} 不存在")
    profile = org.profile(session, actor)
    if actor.id != person.id and not profile.is_supervisor:
        raise Forbidden("只有本人、督办人或管理员可以查看个人的表态记录")
    rows = session.execute(
        select(HumanTask, ProcessInstance, Unit)
        .join(ProcessInstance, ProcessInstance.id == HumanTask.instance_id)
        .join(Unit, Unit.id == ProcessInstance.unit_id)
        .where(HumanTask.completed_by_id == person.id, HumanTask.state == "completed",
               HumanTask.definition_key == DECISION_KEY,
               HumanTask.element_id.in_((MEMBER_OPINION, SECRETARY_OPINION)))
        .order_by(HumanTask.completed_at, HumanTask.id)).all()
    mine = [(task, instance, unit) for task, instance, unit in rows
            if _view(task)[0] in DISSENTING_VIEWS
            and (actor.id == person.id or profile.supervises_path(unit.path))]
    if not mine:
        return []
    history = _History(session, sorted({instance.id for _, instance, _ in mine}))
    out = []
    for task, instance, unit in mine:
        view, reasons = _view(task)
        number = history.round_of(instance.id, task.id)
        record = history.decisions[instance.id].get(number, {})
        schedule = history.schedule_for(instance.id, number)
        proposal = history.proposal(instance.id)
        out.append({
            "instance_id": instance.id, "title": instance.title, "item_title": proposal.get("item_title"),
            "category": proposal.get("category"), "unit": unit.name, "unit_code": unit.code,
            "date": schedule.get("meeting_date"), "recorded_at": task.completed_at,
            "role": "secretary" if task.element_id == SECRETARY_OPINION else "member",
            "view": view, "reasons": reasons, "round": number, "round_result": record.get("result"),
            "result": history.final_result(instance.id), "status": instance.status,
        })
    return out


# -- reading the record ----------------------------------------------------------------------------------------------

def _view(task: HumanTask) -> tuple[str | None, str]:
    data = task.data or {}
    if task.element_id == SECRETARY_OPINION:
        return data.get("secretary_view"), data.get("secretary_reasons") or ""
    return data.get("view"), data.get("reasons") or ""


class _History:
    """The completed decision steps and sealed records of some decisions, loaded in two queries."""

    def __init__(self, session: Session, instance_ids: list[int]):
        self.tasks: dict[int, dict[str, list[HumanTask]]] = defaultdict(lambda: defaultdict(list))
        for task in session.scalars(select(HumanTask).where(
                HumanTask.instance_id.in_(instance_ids), HumanTask.state == "completed",
                HumanTask.element_id.in_(_STEPS)).order_by(HumanTask.id)):
            self.tasks[task.instance_id][task.element_id].append(task)
        self.quorums: dict[int, dict[int, dict]] = defaultdict(dict)
        self.decisions: dict[int, dict[int, dict]] = defaultdict(dict)
        self.last_decision: dict[int, dict] = {}
        for event in session.scalars(select(AuditEvent).where(
                AuditEvent.instance_id.in_(instance_ids), AuditEvent.kind == SEALED,
                AuditEvent.element_id.in_((QUORUM_RECORD, DECISION_RECORD))).order_by(AuditEvent.seq)):
            record = json.loads(event.payload).get("record") or {}
            if event.element_id == QUORUM_RECORD and isinstance(record.get("quorum"), dict):
                self.quorums[event.instance_id][record["quorum"].get("round")] = record["quorum"]
            elif event.element_id == DECISION_RECORD and isinstance(record.get("decision_record"), dict):
                decision = record["decision_record"]
                self.decisions[event.instance_id][decision.get("round")] = decision
                self.last_decision[event.instance_id] = decision
        ids = {t.completed_by_id for tasks in self.tasks.values() for rows in tasks.values() for t in rows}
        self.users = {uid: (username, name) for uid, username, name in session.execute(
            select(User.id, User.username, User.name).where(User.id.in_(ids - {None})))}

    def proposal(self, instance_id: int) -> dict:
        rows = self.tasks[instance_id][PROPOSAL]
        return dict(rows[-1].data or {}) if rows else {}

    def _openings(self, instance_id: int) -> list[int]:
        return [t.id for t in self.tasks[instance_id][ATTENDANCE]]

    def round_of(self, instance_id: int, task_id: int) -> int:
        return bisect_right(self._openings(instance_id), task_id)

    def schedule_for(self, instance_id: int, number: int) -> dict:
        attendance = self.tasks[instance_id][ATTENDANCE]
        if not 1 <= number <= len(attendance):
            return {}
        before = [t for t in self.tasks[instance_id][SCHEDULE] if t.id < attendance[number - 1].id]
        return dict(before[-1].data or {}) if before else {}

    def final_result(self, instance_id: int) -> str | None:
        return (self.last_decision.get(instance_id) or {}).get("result")

    def rounds(self, instance_id: int) -> list[dict]:
        out = []
        opinions_by_round: dict[int, list[HumanTask]] = defaultdict(list)
        for element in (MEMBER_OPINION, SECRETARY_OPINION):
            for task in self.tasks[instance_id][element]:
                opinions_by_round[self.round_of(instance_id, task.id)].append(task)
        for number, attendance in enumerate(self.tasks[instance_id][ATTENDANCE], start=1):
            schedule = self.schedule_for(instance_id, number)
            quorum = self.quorums[instance_id].get(number, {})
            decision = self.decisions[instance_id].get(number, {})
            present = (attendance.data or {}).get("present") or []
            recorded = sorted(opinions_by_round[number],
                              key=lambda t: (t.element_id == SECRETARY_OPINION, t.completed_at, t.id))
            out.append({
                "round": number,
                "attendance": {
                    "meeting_date": schedule.get("meeting_date"),
                    "should_attend": quorum.get("should_attend"),
                    "recusals": schedule.get("recusals") or [],
                    "present": quorum.get("present", present),
                    "absent_notes": (attendance.data or {}).get("absent_notes") or "",
                    "quorum_rule": quorum.get("rule"), "quorum_met": quorum.get("met"),
                },
                "opinions": [self._opinion(task) for task in recorded],
                "counts": decision.get("counts"),
                "result": decision.get("result"),
            })
        return out

    def _opinion(self, task: HumanTask) -> dict:
        view, reasons = _view(task)
        username, name = self.users.get(task.completed_by_id, (None, None))
        return {"username": username, "name": name,
                "role": "secretary" if task.element_id == SECRETARY_OPINION else "member",
                "view": view, "reasons": reasons, "recorded_at": task.completed_at, "task_id": task.id}
