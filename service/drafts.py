"""Owners' working copies of a process: drafts that are not live until deployed.

There is one draft per definition key, shared by the key's owners. A draft remembers the deployed version it was
started from (`base_version`) and a `revision` bumped on every save, so two owners editing at once cannot silently
overwrite each other: a save naming an older revision, or a deploy over a version someone else deployed in the
meantime, is a Conflict the owner resolves by looking at the diff (or deploys anyway with `force`).

A draft's forms are only the forms created or changed in it ({form id: form-js schema}); every other form a task
references is the newest deployed one, exactly as `jiandu deploy` pins it.
"""
from __future__ import annotations

import json
import re
from dataclasses import dataclass
from datetime import datetime
from pathlib import PurePath
from xml.sax.saxutils import escape, quoteattr

from lxml import etree
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from . import audit, clock, definitions, org
from .bpmn.inspect import BPMN_NS, CAMUNDA_NS, load_document
from .bpmn.xmlsafe import XmlProblem, parse_xml
from .errors import Conflict, Forbidden, NotFound, ValidationFailed
from .models import DefinitionDraft, User

# A definition key is a process (or collaboration) id, so an XML NCName: a letter or underscore, then letters,
# digits, underscores, hyphens and dots (MIWG's "bpmn-miwg-test-case-c.1.0" is one). No colons, slashes or spaces.
KEY_PATTERN = re.compile(r"^[^\W\d][\w.\-]{0,127}$")
MAX_FORMS_BYTES = 2 * 1024 * 1024
# The prefixes the modeler's schemas (bpmn-moddle, camunda-bpmn-moddle) own. A file binding one of them to another
# namespace — Signavio exports bind camunda: to Activiti's — opens in bpmn-js but cannot be saved
# ("no namespace uri given for prefix <ns0>"), so the editor gets it with that prefix renamed.
MODELER_PREFIXES = {
    "bpmn": BPMN_NS, "camunda": CAMUNDA_NS, "bpmndi": "http://www.omg.org/spec/BPMN/20100524/DI",
    "dc": "http://www.omg.org/spec/DD/20100524/DC", "di": "http://www.omg.org/spec/DD/20100524/DI",
    "xsi": "http://www.w3.org/2001/XMLSchema-instance",
}


@dataclass
class WorkingCopy:
    """What the editor opens: the draft if there is one, otherwise the newest deployed version."""

    key: str
    bpmn: str
    forms: dict[str, dict]
    saved: bool                  # a draft row exists
    revision: int                # 0 when nothing is saved yet
    base_version: int | None     # the deployed version this copy started from
    latest_version: int | None   # the newest deployed version now
    updated_at: datetime | None
    updated_by: str | None

    def as_dict(self) -> dict:
        return dict(self.__dict__)


def require_owner(session: Session, actor: User, key: str) -> None:
    if not org.profile(session, actor).may_own(key):
        raise Forbidden(f"您不是流程 {key} 的负责人")


def require_any_owner(session: Session, actor: User) -> None:
    if not org.profile(session, actor).is_owner:
        raise Forbidden("只有流程负责人或管理员可以管理流程")


def draft_key(data: bytes | str) -> str | None:
    """The key a diagram is deployed (or drafted) under: its main executable process, else its first process."""
    doc = load_document(data)
    key = doc.main_key()
    if key:
        return key
    process = doc.root.find(f"{{{BPMN_NS}}}process")
    return process.get("id") if process is not None else None


def for_modeler(text: str) -> str:
    """The same document (same namespaces, elements and attributes) with clashing prefixes renamed; unchanged text
    when nothing clashes or the XML cannot be read (the editor then shows bpmn-js's own verdict)."""
    try:
        root = parse_xml(text)
    except XmlProblem:
        return text
    clashes = {prefix for node in root.iter() if isinstance(node.tag, str)
               for prefix, uri in node.nsmap.items() if MODELER_PREFIXES.get(prefix, uri) != uri}
    if not clashes:
        return text
    used = {prefix for node in root.iter() if isinstance(node.tag, str) for prefix in node.nsmap}
    nsmap = {}
    for prefix, uri in root.nsmap.items():
        if prefix in clashes:
            stem = re.sub(r"[^A-Za-z]", "", uri.split("//")[-1].split(".")[0]) or "ns"
            prefix = next(p for p in (stem, *(f"{stem}{n}" for n in range(1, 100))) if p not in used)
            used.add(prefix)
        nsmap[prefix] = uri
    renamed = etree.Element(root.tag, attrib=dict(root.attrib), nsmap=nsmap)
    renamed.text = root.text
    renamed.extend(list(root))
    return etree.tostring(renamed, xml_declaration=True, encoding="UTF-8").decode("utf-8")


def _updated_by(session: Session, row: DefinitionDraft) -> str | None:
    user = session.get(User, row.updated_by_id) if row.updated_by_id else None
    return user.name if user else None


def working_copy(session: Session, actor: User, key: str) -> WorkingCopy:
    require_owner(session, actor, key)
    latest = definitions.latest(session, key)
    row = session.get(DefinitionDraft, key)
    if row is not None:
        return WorkingCopy(key, row.bpmn_xml, dict(row.forms or {}), True, row.revision, row.base_version,
                           latest.version if latest else None, row.updated_at, _updated_by(session, row))
    if latest is None:
        raise NotFound(f"流程 {key} 不存在")
    return WorkingCopy(key, for_modeler(latest.bpmn_xml), {}, False, 0, latest.version, latest.version, None, None)


def _checked_bpmn(key: str, bpmn: str) -> None:
    """The draft must be XML and, when it declares a process, be stored under that process's key. A file with no
    process at all is kept under the key it was opened as, so the editor can show bpmn-js's own verdict on it."""
    try:
        found = draft_key(bpmn)
    except XmlProblem as err:
        raise ValidationFailed("流程图不是有效的 XML", {"bpmn": str(err)}) from None
    if found is not None and found != key:
        raise ValidationFailed("流程标识与草稿不一致",
                               {"bpmn": f"图中的流程标识是 {found or '（无）'}，不是 {key}；请按新标识另存草稿"})


def _checked_forms(forms: dict) -> dict[str, dict]:
    if len(json.dumps(forms, ensure_ascii=False).encode("utf-8")) > MAX_FORMS_BYTES:
        raise ValidationFailed("表单过大", {"forms": f"草稿中的表单合计不能超过 {MAX_FORMS_BYTES // 1024} KB"})
    clean = {}
    for form_id, schema in forms.items():
        if not isinstance(form_id, str) or not KEY_PATTERN.match(form_id):
            raise ValidationFailed("表单标识无效", {"forms": f"表单标识只能由字母、数字、下划线和连字符组成: {form_id!r}"})
        if not isinstance(schema, dict):
            raise ValidationFailed("表单格式错误", {"forms": f"表单 {form_id} 必须是 form-js 的 JSON 对象"})
        clean[form_id] = {**schema, "id": form_id}
    return clean


def save(session: Session, actor: User, key: str, bpmn: str, forms: dict | None = None, *,
         revision: int | None = None, base_version: int | None = None) -> WorkingCopy:
    """Store the working copy as the key's draft. `revision` is what the client last loaded (0: no draft yet);
    None skips the check (scripts that overwrite on purpose)."""
    require_owner(session, actor, key)
    _checked_bpmn(key, bpmn)
    clean_forms = _checked_forms(forms or {})
    row = session.get(DefinitionDraft, key, with_for_update=True)
    if row is None:
        if revision:
            raise Conflict("草稿已被部署或放弃，请重新打开流程后再保存", {"revision": 0})
        latest = definitions.latest(session, key)
        row = DefinitionDraft(key=key, bpmn_xml=bpmn, forms=clean_forms, updated_by_id=actor.id,
                              updated_at=clock.now(), revision=0,
                              base_version=base_version if base_version is not None else
                              (latest.version if latest else None))
        try:
            with session.begin_nested():  # two first saves at once: the second is a conflict, not a 500
                session.add(row)
                session.flush()
        except IntegrityError:
            raise Conflict("另一位负责人刚刚创建了此草稿，请重新打开后再保存", {"revision": 0}) from None
    elif revision is not None and revision != row.revision:
        raise Conflict(f"草稿已被{_updated_by(session, row) or '他人'}修改，请重新打开后再保存",
                       {"revision": row.revision})
    row.bpmn_xml, row.forms = bpmn, clean_forms
    row.revision = (row.revision or 0) + 1
    row.updated_by_id, row.updated_at = actor.id, clock.now()
    session.flush()
    return working_copy(session, actor, key)


def discard(session: Session, actor: User, key: str) -> None:
    require_owner(session, actor, key)
    row = session.get(DefinitionDraft, key, with_for_update=True)
    if row is None:
        raise NotFound(f"流程 {key} 没有草稿")
    session.delete(row)


def deploy(session: Session, actor: User, key: str, *, revision: int | None = None, force: bool = False,
           comment: str = "") -> definitions.DeployedDefinition:
    """Deploy the saved draft as the newest version (only if it validates), then drop the draft."""
    require_owner(session, actor, key)
    row = session.get(DefinitionDraft, key, with_for_update=True)
    if row is None:
        raise NotFound(f"流程 {key} 没有草稿可部署，请先保存")
    if revision is not None and revision != row.revision:
        raise Conflict("草稿在您保存之后又被修改过，请重新打开后再部署", {"revision": row.revision})
    latest = definitions.latest(session, key)
    latest_version = latest.version if latest else None
    if not force and latest_version != row.base_version:
        raise Conflict(f"本草稿基于版本 {row.base_version or '（无）'}，但其间已部署了版本 {latest_version}；"
                       f"请先查看差异，确认后再部署",
                       {"base_version": row.base_version, "latest_version": latest_version})
    files = [(f"{key}.bpmn", row.bpmn_xml.encode("utf-8"))]
    files += [(f"{form_id}.form", json.dumps(schema, ensure_ascii=False).encode("utf-8"))
              for form_id, schema in sorted((row.forms or {}).items())]
    deployed = definitions.deploy(session, actor, files, comment=comment or "编辑器部署")
    session.delete(row)
    return next(d for d in deployed if d.key == key)


def check(session: Session, files: list[tuple[str, bytes]]) -> dict:
    """Full validation without storing anything: {errors, warnings}, each {element_id, line, message, file}."""
    if not files:
        return {"errors": [{"element_id": None, "line": None, "message": "没有上传文件"}], "warnings": []}
    results, _forms, errors = definitions.validate_files(session, files)
    warnings: list[dict] = []
    for _name, result in results:
        errors.extend(result.errors)
        warnings.extend(result.warnings)
    return {"errors": errors, "warnings": warnings}


def create(session: Session, actor: User, key: str, name: str) -> WorkingCopy:
    """A new process: a pool with a start event, saved as a draft under `key`."""
    key, name = key.strip(), name.strip() or key.strip()
    if not KEY_PATTERN.match(key):
        raise ValidationFailed("流程标识无效", {"key": "以字母或下划线开头，只含字母、数字、下划线、连字符和点，最多 128 个字符"})
    require_owner(session, actor, key)
    if definitions.latest(session, key) is not None or session.get(DefinitionDraft, key) is not None:
        raise Conflict(f"流程标识 {key} 已被使用", {"key": "已存在同名流程或草稿"})
    return save(session, actor, key, new_process_xml(key, name[:200]), {}, revision=0)


def import_file(session: Session, actor: User, filename: str, data: bytes, *, replace: bool = False) -> str:
    """Open a .bpmn file as the draft of the key it declares. Returns the key."""
    try:
        key = draft_key(data)
    except XmlProblem as err:
        raise ValidationFailed("无法导入该文件", {"file": str(err)}) from None
    key = key or PurePath(filename).stem
    if not KEY_PATTERN.match(key or ""):
        raise ValidationFailed("无法导入该文件", {"file": f"{key!r} 不能用作流程标识（以字母或下划线开头，只含字母、数字、下划线、连字符和点）"})
    require_owner(session, actor, key)
    existing = session.get(DefinitionDraft, key)
    if existing is not None and not replace:
        raise Conflict(f"流程 {key} 已有未部署的草稿", {"file": "勾选“替换现有草稿”后再导入，或先打开草稿"})
    try:
        text = data.decode("utf-8-sig")
    except UnicodeDecodeError:
        raise ValidationFailed("无法导入该文件", {"file": "文件必须是 UTF-8 编码"}) from None
    save(session, actor, key, for_modeler(text), existing.forms if existing else {},
         revision=existing.revision if existing else 0)
    audit.append(session, "definition.imported", actor=actor, payload={"key": key, "file": filename[:200]})
    return key


def new_process_xml(key: str, name: str) -> str:
    return f"""<?xml version="1.0" encoding="UTF-8"?>
<bpmn:definitions xmlns:bpmn="http://www.omg.org/spec/BPMN/20100524/MODEL" xmlns:bpmndi="http://www.omg.org/spec/BPMN/20100524/DI" xmlns:dc="http://www.omg.org/spec/DD/20100524/DC" xmlns:di="http://www.omg.org/spec/DD/20100524/DI" xmlns:camunda="http://camunda.org/schema/1.0/bpmn" id="Definitions_{key}" targetNamespace="http://jiandu.local/bpmn" exporter="Jiandu" exporterVersion="1">
  <bpmn:collaboration id="Collaboration_{key}">
    <bpmn:participant id="Participant_{key}" name={quoteattr(name)} processRef="{key}" />
  </bpmn:collaboration>
  <bpmn:process id="{key}" name={quoteattr(name)} isExecutable="true">
    <bpmn:startEvent id="StartEvent_1" name="{escape('开始')}" />
  </bpmn:process>
  <bpmndi:BPMNDiagram id="BPMNDiagram_1">
    <bpmndi:BPMNPlane id="BPMNPlane_1" bpmnElement="Collaboration_{key}">
      <bpmndi:BPMNShape id="Participant_{key}_di" bpmnElement="Participant_{key}" isHorizontal="true">
        <dc:Bounds x="160" y="80" width="960" height="260" />
      </bpmndi:BPMNShape>
      <bpmndi:BPMNShape id="StartEvent_1_di" bpmnElement="StartEvent_1">
        <dc:Bounds x="232" y="127" width="36" height="36" />
        <bpmndi:BPMNLabel><dc:Bounds x="239" y="170" width="22" height="14" /></bpmndi:BPMNLabel>
      </bpmndi:BPMNShape>
    </bpmndi:BPMNPlane>
  </bpmndi:BPMNDiagram>
</bpmn:definitions>
"""

