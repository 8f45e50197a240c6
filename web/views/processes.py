"""流程管理: the process library, new process, import, the editor, version diffs, rollback and discarding drafts.

| route | permission |
|---|---|
| `GET /processes`, `GET /processes/<key>/diff` | process owners (any key) and admins |
| `GET/POST /processes/new`, `POST /processes/import` | owners of the key being created or imported, admins |
| `GET /processes/<key>/edit`, `POST /processes/<key>/rollback`, `POST /processes/<key>/discard` | owners of that key, admins |

Everyone else gets 403. Posts need the CSRF token; the editor itself talks to /api/v1 with the session cookie.
"""
from __future__ import annotations

from flask import Blueprint, flash, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_login import current_user, login_required
from sqlalchemy import select

from service import drafts, library
from service.errors import Conflict, DeployError, ServiceError, ValidationFailed
from service.models import Group, Role, Unit

from ..db import read_session, write
from .common import N_, translate

bp = Blueprint("processes", __name__)

# Messages of service.drafts shown on these pages, listed for the catalogue (translated where they are shown).
_CATALOGUE = [N_("流程标识无效"), N_("以字母或下划线开头，只含字母、数字、下划线、连字符和点，最多 128 个字符"),
              N_("已存在同名流程或草稿"), N_("无法导入该文件"), N_("文件必须是 UTF-8 编码"),
              N_("勾选“替换现有草稿”后再导入，或先打开草稿"), N_("只有流程负责人或管理员可以管理流程"), N_("文件为空")]

# How the diff names element types and the fields that changed (the raw name is shown beside it).
TYPE_LABELS = {
    "userTask": N_("用户任务"), "manualTask": N_("人工任务"), "task": N_("任务"), "scriptTask": N_("脚本任务"),
    "serviceTask": N_("服务任务"), "sendTask": N_("发送任务"), "receiveTask": N_("接收任务"),
    "businessRuleTask": N_("业务规则任务"), "callActivity": N_("调用活动"), "subProcess": N_("子流程"),
    "startEvent": N_("开始事件"), "endEvent": N_("结束事件"), "intermediateCatchEvent": N_("中间捕获事件"),
    "intermediateThrowEvent": N_("中间抛出事件"), "boundaryEvent": N_("边界事件"),
    "exclusiveGateway": N_("排他网关"), "parallelGateway": N_("并行网关"), "inclusiveGateway": N_("包容网关"),
    "eventBasedGateway": N_("事件网关"), "complexGateway": N_("复杂网关"), "sequenceFlow": N_("顺序流"),
    "messageFlow": N_("消息流"), "lane": N_("泳道"), "participant": N_("池"), "process": N_("流程"),
    "collaboration": N_("协作"), "textAnnotation": N_("文本注释"), "association": N_("关联"),
    "dataObjectReference": N_("数据对象"), "dataStoreReference": N_("数据存储"), "message": N_("消息"),
    "signal": N_("信号"), "error": N_("错误"), "escalation": N_("升级"), "group": N_("分组"),
}
FIELD_LABELS = {
    "name": N_("名称"), "type": N_("类型"), "camunda:assignee": N_("办理人"),
    "camunda:candidateUsers": N_("候选用户"), "camunda:candidateGroups": N_("候选组"),
    "camunda:formRef": N_("表单"), "camunda:formKey": N_("表单键"), "camunda:dueDate": N_("期限"),
    "conditionExpression": N_("条件"), "script": N_("脚本"), "extension: assignment": N_("泳道分配表达式"),
    "flowNodeRef": N_("泳道内的元素"), "documentation": N_("说明文档"), "default": N_("默认流向"),
    "sourceRef": N_("起点"), "targetRef": N_("终点"), "calledElement": N_("被调用的流程"),
    "timerEventDefinition/timeDuration": N_("定时器时长"), "timerEventDefinition/timeDate": N_("定时器时间"),
    "timerEventDefinition/timeCycle": N_("定时器周期"), "scriptFormat": N_("脚本语言"),
    "multiInstanceLoopCharacteristics@camunda:collection": N_("多实例集合"),
    "multiInstanceLoopCharacteristics@camunda:elementVariable": N_("多实例元素变量"),
    "multiInstanceLoopCharacteristics@isSequential": N_("多实例串行"),
    "multiInstanceLoopCharacteristics/completionCondition": N_("多实例完成条件"),
    "multiInstanceLoopCharacteristics/loopCardinality": N_("多实例次数"),
    "isExecutable": N_("可执行"), "processRef": N_("流程引用"), "attachedToRef": N_("附着于"),
    "cancelActivity": N_("中断活动"), "camunda:candidateStarterGroups": N_("可发起的组"),
    "camunda:candidateStarterUsers": N_("可发起的用户"),
}


def _owner_session():
    session = read_session()
    drafts.require_any_owner(session, current_user.row)
    return session


@bp.get("/processes")
@login_required
def index():
    session = _owner_session()
    return render_template("processes.html", entries=library.overview(session, current_user.row))


@bp.get("/processes/new")
@login_required
def new():
    _owner_session()
    return render_template("processes_new.html", errors={}, key="", name="")


@bp.post("/processes/new")
@login_required
def create():
    _owner_session()
    key, name = (request.form.get("key") or "").strip(), (request.form.get("name") or "").strip()
    try:
        with write() as session:
            drafts.create(session, current_user.row, key, name)
    except (ValidationFailed, Conflict) as err:
        errors = {k: translate(v) for k, v in (err.details or {}).items()} if isinstance(err.details, dict) else {}
        errors.setdefault("", translate(err.message))
        return render_template("processes_new.html", errors=errors, key=key, name=name), err.status
    return redirect(url_for("processes.edit", key=key))


@bp.post("/processes/import")
@login_required
def import_file():
    _owner_session()
    upload = request.files.get("file")
    if upload is None or not upload.filename:
        flash(_("请选择要导入的 .bpmn 文件"), "error")
        return redirect(url_for("processes.index"))
    try:
        with write() as session:
            key = drafts.import_file(session, current_user.row, upload.filename, upload.read(),
                                     replace=request.form.get("replace") == "1")
    except (ValidationFailed, Conflict) as err:
        detail = "；".join(str(v) for v in (err.details or {}).values()) if isinstance(err.details, dict) else ""
        flash(_("导入失败：%(message)s", message=translate(err.message)) + (f"（{detail}）" if detail else ""), "error")
        return redirect(url_for("processes.index"))
    flash(_("已导入为流程 %(key)s 的草稿，保存或部署前不会生效", key=key), "success")
    return redirect(url_for("processes.edit", key=key))


@bp.get("/processes/<key>/edit")
@login_required
def edit(key: str):
    session = read_session()
    copy = drafts.working_copy(session, current_user.row, key)  # 403 for non-owners, 404 for unknown keys
    roles = session.execute(select(Role.key, Role.name).order_by(Role.key)).all()
    units = session.execute(select(Unit.code, Unit.name).order_by(Unit.path)).all()
    groups = session.execute(select(Group.name, Group.label).order_by(Group.name)).all()
    return render_template("editor.html", key=key, copy=copy, roles=roles, units=units, groups=groups)


@bp.get("/processes/<key>/diff")
@login_required
def diff(key: str):
    session = _owner_session()
    versions = library.versions(session, key)
    numbers = [v.version for v in versions]
    newest = numbers[0]
    to = request.args.get("to", type=int) or newest
    old = request.args.get("from", type=int) or (to - 1 if to - 1 in numbers else to)
    result = library.compare(session, current_user.row, key, old, to)
    return render_template("diff.html", key=key, versions=versions, old=old, new=to, diff=result,
                           name=versions[0].name, type_label=lambda t: translate(TYPE_LABELS.get(t, t)),
                           field_label=lambda f: translate(FIELD_LABELS[f]) if f in FIELD_LABELS else f)


@bp.post("/processes/<key>/rollback")
@login_required
def rollback(key: str):
    version = request.form.get("version", type=int)
    if not version:
        flash(_("请选择要回滚到的版本"), "error")
        return redirect(url_for("processes.index"))
    try:
        with write() as session:
            done = library.rollback(session, current_user.row, key, version)
    except DeployError as err:
        messages = "；".join(translate(e["message"]) for e in err.errors[:5])
        flash(_("回滚失败：%(message)s", message=translate(err.message)) + f"（{messages}）", "error")
        return redirect(url_for("processes.index"))
    if done.created:
        flash(_("已将版本 %(old)d 的内容部署为版本 %(new)d；进行中的案件仍按原版本办理", old=version, new=done.version),
              "success")
    else:
        flash(_("版本 %(old)d 与当前最新版本内容相同，无需回滚", old=version), "info")
    return redirect(url_for("processes.index") + f"#process-{key}")


@bp.post("/processes/<key>/discard")
@login_required
def discard(key: str):
    try:
        with write() as session:
            drafts.discard(session, current_user.row, key)
    except ServiceError as err:
        if err.status == 403:
            raise
        flash(translate(err.message), "error")
    else:
        flash(_("已放弃流程 %(key)s 的草稿", key=key), "success")
    return redirect(url_for("processes.index"))
