"""Deploying process definitions and forms: validate everything first, then store new immutable versions.

A deploy takes BPMN files and form-js files together. Forms become new form versions when their content changed;
each BPMN file becomes a new version of its definition key unless the same content (diagram, pinned forms and
called processes) is already the newest version, in which case nothing happens.
"""
from __future__ import annotations

import hashlib
import json
from dataclasses import dataclass
from pathlib import Path

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from . import audit, clock, org
from .bpmn.inspect import load_document
from .bpmn.validate import Environment, validate
from .bpmn.xmlsafe import XmlProblem
from .errors import DeployError, Forbidden, NotFound
from .forms import check_schema
from .models import FormVersion, ProcessDefinition, User

MAX_FILES = 50


@dataclass
class DeployedDefinition:
    key: str
    version: int
    id: int
    created: bool
    warnings: list[dict]


def sha256(data: bytes | str) -> str:
    return hashlib.sha256(data.encode("utf-8") if isinstance(data, str) else data).hexdigest()


def latest(session: Session, key: str) -> ProcessDefinition | None:
    return session.scalar(select(ProcessDefinition).where(ProcessDefinition.key == key)
                          .order_by(ProcessDefinition.version.desc()).limit(1))


def get_version(session: Session, key: str, version: int) -> ProcessDefinition:
    row = session.scalar(select(ProcessDefinition).where(ProcessDefinition.key == key,
                                                         ProcessDefinition.version == version))
    if row is None:
        raise NotFound(f"流程 {key} 没有版本 {version}")
    return row


def latest_forms(session: Session) -> dict[str, FormVersion]:
    newest = select(FormVersion.form_key, func.max(FormVersion.version).label("v")).group_by(FormVersion.form_key).subquery()
    rows = session.scalars(select(FormVersion).join(
        newest, (FormVersion.form_key == newest.c.form_key) & (FormVersion.version == newest.c.v))).all()
    return {row.form_key: row for row in rows}


def latest_definitions(session: Session) -> list[ProcessDefinition]:
    newest = select(ProcessDefinition.key, func.max(ProcessDefinition.version).label("v")) \
        .group_by(ProcessDefinition.key).subquery()
    return list(session.scalars(select(ProcessDefinition).join(
        newest, (ProcessDefinition.key == newest.c.key) & (ProcessDefinition.version == newest.c.v))
        .order_by(ProcessDefinition.key)).all())


def _parse_forms(files: list[tuple[str, bytes]]) -> tuple[dict[str, dict], list[dict]]:
    forms, errors = {}, []
    for name, data in files:
        try:
            schema = json.loads(data.decode("utf-8-sig") if isinstance(data, bytes) else data)
        except (UnicodeDecodeError, json.JSONDecodeError) as err:
            errors.append({"element_id": None, "line": getattr(err, "lineno", None), "message": f"表单不是有效的 JSON: {err}", "file": name})
            continue
        problems = check_schema(schema)
        if problems:
            errors.extend({"element_id": None, "line": None, "message": f"表单错误: {p}", "file": name} for p in problems)
            continue
        form_key = str(schema.get("id") or Path(name).stem)
        forms[form_key] = schema
    return forms, errors


def environment(session: Session, extra_forms: set[str] = frozenset()) -> Environment:
    return Environment(
        forms=set(latest_forms(session)) | set(extra_forms),
        processes={d.key: d.bpmn_xml for d in latest_definitions(session)},
        roles=org.role_keys(session),
        role_names=set(org.role_aliases(session)),
    )


def validate_files(session: Session, files: list[tuple[str, bytes]]):
    """Validate without storing anything. Returns (results per BPMN file, form schemas, form errors)."""
    forms, form_errors = _parse_forms([(n, d) for n, d in files if n.endswith(".form")])
    env = environment(session, set(forms))
    bpmn_files = [(name, data) for name, data in files if not name.endswith(".form")]
    for name, data in bpmn_files:  # files deployed together may call each other
        try:
            key = load_document(data, name).main_key()
        except XmlProblem:
            continue
        if key:
            env.processes[key] = data.decode("utf-8", "replace") if isinstance(data, bytes) else data
    results = [(name, validate(data, name, env)) for name, data in bpmn_files]
    return results, forms, form_errors


def deploy(session: Session, actor: User | None, files: list[tuple[str, bytes]], *, comment: str = "") -> list[DeployedDefinition]:
    """Validate all files, then store forms and definitions. Raises DeployError (nothing stored) on any error."""
    if not files:
        raise DeployError([{"element_id": None, "line": None, "message": "没有上传文件"}])
    if len(files) > MAX_FILES:
        raise DeployError([{"element_id": None, "line": None, "message": f"一次最多部署 {MAX_FILES} 个文件"}])
    results, forms, errors = validate_files(session, files)
    for name, result in results:
        errors.extend(result.errors)
    keys = [r.key for _, r in results if r.key]
    if len(keys) != len(set(keys)):
        errors.append({"element_id": None, "line": None, "message": "同一次部署中有两个文件的流程标识相同"})
    profile = org.profile(session, actor) if actor is not None else None
    for key in keys:
        if profile is not None and not profile.may_own(key):
            raise Forbidden(f"您不是流程 {key} 的负责人，不能部署")
    if errors:
        raise DeployError(errors)
    for key, schema in forms.items():
        _store_form(session, actor, key, schema)
    all_forms = latest_forms(session)
    deployed, pending = [], list(results)
    while pending:  # callees first, so each caller can pin the version it calls
        batch_keys = {r.key for _, r in pending}
        ready = [(n, r) for n, r in pending if not (r.document.called_elements() & batch_keys) - {r.key}] or pending[:1]
        for name, result in ready:
            data = next(d for n, d in files if n == name)
            deployed.append(_store_definition(session, actor, result, data, all_forms, comment))
            pending.remove((name, result))
    return deployed


def _store_form(session: Session, actor: User | None, key: str, schema: dict) -> int:
    checksum = sha256(json.dumps(schema, sort_keys=True, ensure_ascii=False))
    newest = session.scalar(select(FormVersion).where(FormVersion.form_key == key)
                            .order_by(FormVersion.version.desc()).limit(1))
    if newest is not None and newest.checksum == checksum:
        return newest.id
    row = FormVersion(form_key=key, version=(newest.version + 1) if newest else 1, schema=schema,
                      checksum=checksum, deployed_by_id=actor.id if actor else None, deployed_at=clock.now())
    session.add(row)
    session.flush()
    audit.append(session, "form.deployed", actor=actor, payload={"form": key, "version": row.version})
    return row.id


def _store_definition(session, actor, result, data: bytes, all_forms: dict, comment: str) -> DeployedDefinition:
    doc, key = result.document, result.key
    text = data.decode("utf-8") if isinstance(data, bytes) else data
    pinned_forms = {form_id: all_forms[form_id].id for form_id in sorted(set(doc.form_refs().values()))}
    local_processes = {p.get("id") for p in doc.processes()}
    called = []
    for called_key in sorted(doc.called_elements() - local_processes):
        target = latest(session, called_key)
        called.append({"key": called_key, "version": target.version, "id": target.id})
    lanes = default_lane_map(doc.lanes(), org.role_aliases(session))
    checksum = sha256(json.dumps({"bpmn": sha256(text), "forms": {k: all_forms[k].checksum for k in pinned_forms},
                                  "called": called, "lanes": lanes}, sort_keys=True))
    newest = latest(session, key)
    if newest is not None and newest.checksum == checksum:
        return DeployedDefinition(key, newest.version, newest.id, False, result.warnings)
    row = ProcessDefinition(
        key=key, version=(newest.version + 1) if newest else 1, name=doc.process_name(key), bpmn_xml=text,
        checksum=checksum, forms=pinned_forms, called=called, lanes=lanes, deployed_at=clock.now(),
        deployed_by_id=actor.id if actor else None, comment=comment[:500],
    )
    session.add(row)
    session.flush()
    audit.append(session, "definition.deployed", actor=actor,
                 payload={"key": key, "version": row.version, "checksum": checksum, "comment": row.comment})
    return DeployedDefinition(key, row.version, row.id, True, result.warnings)


def default_lane_map(lanes: dict[str, str | None], aliases: dict[str, str]) -> dict[str, str]:
    """A lane's own `assignment` property wins; otherwise a lane named after a role (key or 中文名) maps to it."""
    mapped = {}
    for name, expression in lanes.items():
        if expression:
            mapped[name] = expression
        elif name in aliases:
            mapped[name] = aliases[name]
    return mapped


def load_sources(session: Session, definition: ProcessDefinition) -> tuple[str, list[tuple[str, str]]]:
    """(key, [(xml, filename)]) for the spec cache: the diagram and the pinned versions of what it calls."""
    sources = [(definition.bpmn_xml, f"{definition.key}.bpmn")]
    pending, seen = list(definition.called), {definition.key}
    while pending:
        item = pending.pop()
        if item["key"] in seen:
            continue
        seen.add(item["key"])
        called = session.get(ProcessDefinition, item["id"])
        sources.append((called.bpmn_xml, f"{called.key}.bpmn"))
        pending.extend(called.called)
    return definition.key, sources


def form_schema(session: Session, definition: ProcessDefinition, form_id: str | None) -> dict | None:
    """The form a version pinned under `form_id`. Form versions never change, so schemas are cached by id."""
    if not form_id or form_id not in definition.forms:
        return None
    version_id = definition.forms[form_id]
    schema = _FORMS.get(version_id)
    if schema is None:
        row = session.get(FormVersion, version_id)
        if row is None:
            return None
        schema = _FORMS.put(version_id, row.schema)
    return schema


class _Immutable:
    """A small thread-safe LRU for rows that never change once written (definition versions, form versions)."""

    def __init__(self, size: int = 512):
        from collections import OrderedDict
        from threading import Lock
        self._items, self._lock, self._size = OrderedDict(), Lock(), size

    def get(self, key):
        with self._lock:
            value = self._items.get(key)
            if value is not None:
                self._items.move_to_end(key)
            return value

    def clear(self) -> None:
        with self._lock:
            self._items.clear()

    def put(self, key, value):
        with self._lock:
            self._items[key] = value
            while len(self._items) > self._size:
                self._items.popitem(last=False)
        return value


_FORMS = _Immutable()
_DEFINITIONS = _Immutable()


def cached(session: Session, definition_id: int) -> ProcessDefinition:
    """A deployed version, detached and shared: versions are immutable, and the diagram text is large to reload."""
    row = _DEFINITIONS.get(definition_id)
    if row is None:
        row = session.get(ProcessDefinition, definition_id)
        if row is None:
            raise NotFound("流程定义不存在")
        session.expunge(row)
        row = _DEFINITIONS.put(definition_id, row)
    return row


def deploy_directory(session: Session, actor: User | None, path: Path) -> list[DeployedDefinition]:
    """`jiandu init`: the shipped library (workflows/*.bpmn + workflows/forms/*.form) in one deploy."""
    files = [(p.name, p.read_bytes()) for p in sorted(path.glob("forms/*.form"))]
    files += [(p.name, p.read_bytes()) for p in sorted(path.glob("*.bpmn"))]
    if not any(name.endswith(".bpmn") for name, _ in files):
        return []
    return deploy(session, actor, files, comment="jiandu init")
