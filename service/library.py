"""The process library as owners see it: every definition, its versions and how many cases run on each, drafts in
progress, and rolling back to an old version.

Counts come from one grouped query over the instances table (indexed by definition key), never from loading
workflows. "Running" means not yet ended (running, suspended or stopped on an error); "finished" means completed or
cancelled.
"""
from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from . import audit, clock, definitions, diff, org
from .bpmn.inspect import load_document
from .bpmn.validate import validate
from .drafts import require_owner
from .errors import DeployError, NotFound
from .models import DefinitionDraft, FormVersion, ProcessDefinition, ProcessInstance, User

OPEN_STATUSES = ("running", "suspended", "error")
ENDED_STATUSES = ("completed", "cancelled")


@dataclass
class VersionInfo:
    version: int
    name: str
    deployed_at: datetime
    deployed_by: str | None
    comment: str
    running: int = 0
    finished: int = 0
    forms: dict[str, int] = field(default_factory=dict)  # {form id: pinned form version}

    def as_dict(self) -> dict:
        return dict(self.__dict__)


@dataclass
class DraftInfo:
    updated_at: datetime
    updated_by: str | None
    base_version: int | None
    revision: int


@dataclass
class ProcessEntry:
    key: str
    name: str
    versions: list[VersionInfo]          # newest first
    draft: DraftInfo | None
    may_edit: bool

    @property
    def latest(self) -> VersionInfo | None:
        return self.versions[0] if self.versions else None

    @property
    def running(self) -> int:
        return sum(v.running for v in self.versions)


def _user_names(session: Session, ids) -> dict[int, str]:
    wanted = {i for i in ids if i}
    if not wanted:
        return {}
    return dict(session.execute(select(User.id, User.name).where(User.id.in_(wanted))).all())


def _counts(session: Session, keys: list[str] | None = None) -> dict[int, dict[str, int]]:
    query = select(ProcessInstance.definition_id, ProcessInstance.status, func.count()) \
        .group_by(ProcessInstance.definition_id, ProcessInstance.status)
    if keys is not None:
        query = query.where(ProcessInstance.definition_key.in_(keys))
    counts: dict[int, dict[str, int]] = {}
    for definition_id, status, n in session.execute(query):
        bucket = counts.setdefault(definition_id, {"running": 0, "finished": 0})
        if status in OPEN_STATUSES:
            bucket["running"] += n
        elif status in ENDED_STATUSES:
            bucket["finished"] += n
    return counts


def _form_versions(session: Session, rows: list[ProcessDefinition]) -> dict[int, int]:
    ids = {form_id for row in rows for form_id in (row.forms or {}).values()}
    if not ids:
        return {}
    return dict(session.execute(select(FormVersion.id, FormVersion.version).where(FormVersion.id.in_(ids))).all())


def _version_infos(session: Session, rows: list[ProcessDefinition], keys: list[str] | None) -> dict[str, list[VersionInfo]]:
    names = _user_names(session, (r.deployed_by_id for r in rows))
    counts = _counts(session, keys)
    form_versions = _form_versions(session, rows)
    by_key: dict[str, list[VersionInfo]] = {}
    for row in sorted(rows, key=lambda r: (r.key, -r.version)):
        count = counts.get(row.id, {})
        by_key.setdefault(row.key, []).append(VersionInfo(
            row.version, row.name, row.deployed_at, names.get(row.deployed_by_id), row.comment or "",
            count.get("running", 0), count.get("finished", 0),
            {form_id: form_versions.get(fid) for form_id, fid in sorted((row.forms or {}).items())}))
    return by_key


def overview(session: Session, actor: User) -> list[ProcessEntry]:
    """Every definition key (deployed or only drafted), newest version first. Any owner may read the library;
    `may_edit` says whether this actor may change the key."""
    profile = org.profile(session, actor)
    rows = list(session.scalars(select(ProcessDefinition)).all())
    versions = _version_infos(session, rows, None)
    drafts = {d.key: d for d in session.scalars(select(DefinitionDraft)).all()}
    draft_names = _user_names(session, (d.updated_by_id for d in drafts.values()))
    entries = []
    for key in sorted(set(versions) | set(drafts)):
        draft = drafts.get(key)
        info = DraftInfo(draft.updated_at, draft_names.get(draft.updated_by_id), draft.base_version,
                         draft.revision) if draft else None
        key_versions = versions.get(key, [])
        name = key_versions[0].name if key_versions else _draft_name(draft) or key
        entries.append(ProcessEntry(key, name, key_versions, info, profile.may_own(key)))
    return entries


def _draft_name(draft: DefinitionDraft | None) -> str | None:
    if draft is None:
        return None
    try:
        doc = load_document(draft.bpmn_xml)
        return doc.process_name(draft.key)
    except Exception:  # a draft may be anything an owner saved; the library must still list it
        return None


def versions(session: Session, key: str) -> list[VersionInfo]:
    rows = list(session.scalars(select(ProcessDefinition).where(ProcessDefinition.key == key)).all())
    if not rows:
        raise NotFound(f"流程 {key} 不存在")
    return _version_infos(session, rows, [key])[key]


def rollback(session: Session, actor: User, key: str, version: int, comment: str = "") -> definitions.DeployedDefinition:
    """Deploy an old version's content — its diagram and the form and called-process versions it pinned — as the
    newest version. Running instances keep their versions; new ones start on the rolled-back content.

    The old diagram is validated again against today's organisation (a role may have been removed since), so a
    rollback never deploys something that would fail where a fresh deploy would be refused."""
    require_owner(session, actor, key)
    old = definitions.get_version(session, key, version)
    newest = definitions.latest(session, key)
    if newest.checksum == old.checksum:
        return definitions.DeployedDefinition(key, newest.version, newest.id, False, [])
    env = definitions.environment(session, set(old.forms or {}))
    result = validate(old.bpmn_xml, f"{key}.bpmn", env)
    if result.errors:
        raise DeployError(result.errors, f"版本 {version} 在当前组织下已不能通过校验，不能回滚")
    row = ProcessDefinition(
        key=key, version=newest.version + 1, name=old.name, bpmn_xml=old.bpmn_xml, checksum=old.checksum,
        forms=dict(old.forms or {}), called=list(old.called or []), lanes=dict(old.lanes or {}),
        startable=old.startable, deployed_at=clock.now(), deployed_by_id=actor.id,
        comment=(comment or f"回滚到版本 {version}")[:500],
    )
    session.add(row)
    session.flush()
    audit.append(session, "definition.deployed", actor=actor,
                 payload={"key": key, "version": row.version, "checksum": row.checksum, "comment": row.comment,
                          "rollback_of": version})
    return definitions.DeployedDefinition(key, row.version, row.id, True, result.warnings)


def version_xml(session: Session, key: str, version: int) -> str:
    return definitions.get_version(session, key, version).bpmn_xml


def compare(session: Session, actor: User, key: str, old: int | str, new: int | str) -> dict:
    """The diff between two versions of `key`; either side may be "draft" (the key's owners only)."""
    def source(which: int | str) -> str:
        if which == "draft":
            require_owner(session, actor, key)
            row = session.get(DefinitionDraft, key)
            if row is None:
                raise NotFound(f"流程 {key} 没有草稿")
            return row.bpmn_xml
        return version_xml(session, key, int(which))

    result = diff.diff(source(old), source(new)).as_dict()
    return {"key": key, "from": old, "to": new, **result}


# -- forms -----------------------------------------------------------------------------------------------------------

def form_title(schema: dict) -> str | None:
    """The heading a person sees first: the first text component's first line, without Markdown marks."""
    for component in schema.get("components") or []:
        if isinstance(component, dict) and component.get("type") == "text" and component.get("text"):
            line = str(component["text"]).strip().splitlines()[0]
            return line.lstrip("#* ").strip() or None
    return None


def forms_overview(session: Session) -> list[dict]:
    """The newest version of every form and the processes whose newest version pins it."""
    used_by: dict[str, list[str]] = {}
    for definition in definitions.latest_definitions(session):
        for form_id in definition.forms or {}:
            used_by.setdefault(form_id, []).append(definition.key)
    return [{"id": key, "version": row.version, "title": form_title(row.schema), "deployed_at": row.deployed_at,
             "used_by": sorted(used_by.get(key, []))}
            for key, row in sorted(definitions.latest_forms(session).items())]


def form(session: Session, form_id: str, version: int | None = None) -> dict:
    query = select(FormVersion).where(FormVersion.form_key == form_id)
    query = query.where(FormVersion.version == version) if version else query.order_by(FormVersion.version.desc())
    row = session.scalar(query.limit(1))
    if row is None:
        raise NotFound(f"表单 {form_id} 不存在" + (f"（版本 {version}）" if version else ""))
    return {"id": row.form_key, "version": row.version, "title": form_title(row.schema), "schema": row.schema,
            "deployed_at": row.deployed_at}

