"""One case as its supervisor reads it, and as its full record is printed: where it stands, the path it took, who
did what with which data (every opinion word for word), its documents, its urges, and whether its audit chain is
intact.

Only a supervisor of the case's unit (or an admin) gets it; for anyone else the case does not exist (404).
"""
from __future__ import annotations

import json
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from . import audit, clock, definitions, details, diagram, scope
from .forms import form_fields
from .instances import start_form
from .models import Attachment, HumanTask, Membership, ProcessDefinition, Urge, User

LONG_TEXT = 40
DATA_EVENTS = ("instance.started", "task.completed", "task.delegation_returned")


def case_view(session: Session, user: User, instance_id: int) -> dict:
    instance = scope.supervised_instance(session, user, instance_id)
    case = details.instance_detail(session, user, instance_id, with_path=True)
    definition = session.get(ProcessDefinition, instance.definition_id)
    tasks = list(session.scalars(select(HumanTask).where(HumanTask.instance_id == instance.id)
                                 .order_by(HumanTask.created_at, HumanTask.id)).all())
    now = clock.now()
    case["has_diagram"] = diagram.drawing(definition).has_diagram
    case["elapsed_seconds"] = int(((instance.ended_at or now) - instance.started_at).total_seconds())
    case["verification"] = audit.verify_chain(session, audit.chain_for(instance.id)).as_dict()
    forms = _FormLabels(session, definition, tasks, unit_people(session, instance.unit_id))
    for event in case["timeline"]:
        event["fields"] = forms.fields_of(event) if event["kind"] in DATA_EVENTS else []
    names = _names(session, tasks)
    case["opinions"] = [{"task_id": t.id, "name": t.name, "mi_item": t.mi_item, "by": names.get(t.completed_by_id),
                         "at": t.completed_at, "fields": forms.fields_for_task(t, t.data or {})}
                        for t in tasks if t.state == "completed" and t.data]
    case["attachments"] = attachments(session, instance.id)
    case["urges"] = urges(session, instance.id)
    counts: dict[int, int] = {}
    for row in case["urges"]:
        counts[row["task_id"]] = counts.get(row["task_id"], 0) + 1
    for task in case["open_tasks"]:
        task["urges"] = counts.get(task["id"], 0)
        task["waiting_seconds"] = int((now - task["created_at"]).total_seconds())
    return case


def attachments(session: Session, instance_id: int) -> list[dict]:
    rows = session.execute(select(Attachment.id, Attachment.task_id, Attachment.filename, Attachment.content_type,
                                  Attachment.size, Attachment.sha256, Attachment.created_at, User.name)
                           .join(User, User.id == Attachment.uploader_id)
                           .where(Attachment.instance_id == instance_id)
                           .order_by(Attachment.created_at, Attachment.id)).all()
    task_names = dict(session.execute(select(HumanTask.id, HumanTask.name).where(
        HumanTask.id.in_({r.task_id for r in rows if r.task_id}))).all()) if rows else {}
    return [{"id": r.id, "filename": r.filename, "content_type": r.content_type, "size": r.size,
             "sha256": r.sha256, "created_at": r.created_at, "uploader": r.name,
             "task": task_names.get(r.task_id)} for r in rows]


def urges(session: Session, instance_id: int) -> list[dict]:
    rows = session.execute(select(Urge, User.name, HumanTask.name).join(User, User.id == Urge.by_id)
                           .join(HumanTask, HumanTask.id == Urge.task_id)
                           .where(Urge.instance_id == instance_id).order_by(Urge.created_at, Urge.id)).all()
    return [{"task_id": u.task_id, "task": task_name, "by": by, "message": u.message, "at": u.created_at}
            for u, by, task_name in rows]


def _names(session: Session, tasks: list[HumanTask]) -> dict[int, str]:
    ids = {t.completed_by_id for t in tasks if t.completed_by_id}
    return dict(session.execute(select(User.id, User.name).where(User.id.in_(ids))).all()) if ids else {}


# -- submitted data with the form's labels -------------------------------------------------------------------------

class _FormLabels:
    """Turns submitted data into (label, text) pairs using the form the person filled in."""

    def __init__(self, session: Session, definition: ProcessDefinition, tasks: list[HumanTask],
                 people: dict[str, str] | None = None):
        self.session, self.definition = session, definition
        self.tasks = {t.id: t for t in tasks}
        self.people = people or {}
        self._schemas: dict[str | None, dict | None] = {}

    def schema(self, form_key: str | None) -> dict | None:
        if form_key not in self._schemas:
            try:
                self._schemas[form_key] = (definitions.form_schema(self.session, self.definition, form_key)
                                           if form_key else start_form(self.session, self.definition))
            except Exception:  # a form that cannot be read still leaves the raw data readable
                self._schemas[form_key] = None
        return self._schemas[form_key]

    def fields_of(self, event: dict) -> list[dict]:
        data = (event.get("payload") or {}).get("data")
        if not isinstance(data, dict) or not data:
            return []
        if event["kind"] == "instance.started":
            return labelled(self.schema(None), data, self.people)
        task = self.tasks.get(event.get("task_id"))
        return labelled(self.schema(task.form_key) if task and task.form_key else None, data, self.people)

    def fields_for_task(self, task: HumanTask, data: dict) -> list[dict]:
        return labelled(self.schema(task.form_key) if task.form_key else None, data, self.people)


def unit_people(session: Session, unit_id: int) -> dict[str, str]:
    """Username → how to show that person in the record: the name, or "name（username）" where two people of the
    unit share a name (the record decides who is held accountable; it must not be ambiguous)."""
    rows = session.execute(select(User.username, User.name).join(Membership, Membership.user_id == User.id)
                           .where(Membership.unit_id == unit_id).distinct()).all()
    counts: dict[str, int] = {}
    for _username, name in rows:
        counts[name] = counts.get(name, 0) + 1
    return {username: name if counts[name] == 1 else f"{name}（{username}）" for username, name in rows}


_MISSING = object()


def labelled(schema: dict | None, data: dict, people: dict[str, str] | None = None) -> list[dict]:
    """[{key, label, text, long}] in form order; keys the form does not declare follow under their own name.
    `people`: how to show the usernames a people picker (options from a process variable, e.g. `unit_people`)
    submitted — by name, as the form showed them."""
    out, used = [], set()
    for field in (form_fields(schema) if schema else []):
        value = _lookup(data, field.parts)
        if value is _MISSING:
            continue
        used.add(field.parts[0])
        out.append(_entry(field.path, field.label, _text(field, value, people)))
    for key, value in data.items():
        if key not in used:
            out.append(_entry(key, key, _text(None, value)))
    return out


def _entry(key: str, label: str, text: str) -> dict:
    return {"key": key, "label": label, "text": text, "long": len(text) > LONG_TEXT or "\n" in text}


def _lookup(data: Any, parts: tuple[str, ...]):
    for part in parts:
        if not isinstance(data, dict) or part not in data:
            return _MISSING
        data = data[part]
    return data


def _item_value(item: Any, parts: tuple[str, ...]):
    value = _lookup(item, parts)
    return None if value is _MISSING else value


def _text(field, value: Any, people: dict[str, str] | None = None) -> str:
    if value is None or value == "":
        return "—"
    if field is not None and field.components and isinstance(value, list):
        lines = []
        for n, item in enumerate(value, 1):
            parts = [f"{c.label}：{_text(c, _item_value(item, c.parts), people)}" for c in field.components]
            lines.append(f"{n}. " + "；".join(parts))
        return "\n".join(lines) or "—"
    if field is not None and field.options:
        labels = {str(o.get("value")): str(o.get("label")) for o in field.options if isinstance(o, dict)}
        if isinstance(value, list):
            return "、".join(labels.get(str(v), str(v)) for v in value)
        return labels.get(str(value), str(value))
    if field is not None and field.values_key and people:
        if isinstance(value, list):
            return "、".join(people.get(str(v), str(v)) for v in value)
        return people.get(str(value), str(value))
    if isinstance(value, bool):
        return "是" if value else "否"
    if isinstance(value, list):
        return "、".join(_text(None, v) for v in value)
    if isinstance(value, dict):
        return json.dumps(value, ensure_ascii=False)
    return str(value)
