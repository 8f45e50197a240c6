"""The process editor's API: validate, versions, diagrams, diffs, drafts, deploy a draft, roll back, forms for the
picker, and assignment previews.

| call | permission |
|---|---|
| `POST /definitions/validate`, `GET /definitions/<key>/versions`, `…/versions/<n>/bpmn`, `…/diff`, `GET /forms`, `GET /forms/<id>`, `POST /assignment/preview` | any process owner (some key or all) and admins |
| `GET`, `PUT`, `DELETE /definitions/<key>/draft`, `POST …/draft/deploy`, `POST …/rollback` | owners of that key (or of all keys) and admins |

Everyone else gets 403. Reading is open to every owner because owners reuse each other's forms and call each
other's processes; changing a key is for its owners.
"""
from __future__ import annotations

import re

from flask import Response, request

from service import assignment_preview, drafts, library
from service.errors import DeployError, ValidationFailed

from ..db import read_session, write
from ..principal import actor
from . import bp
from .definitions import _uploaded_files
from .parse import fields, flag, json_body
from .serialize import page, reply


def _any_owner():
    session = read_session()
    drafts.require_any_owner(session, actor())
    return session


def _deploy_failure(err: DeployError):
    return reply({"error": err.message, "details": err.errors, "errors": err.errors}, 422)


@bp.post("/definitions/validate")
def validate_definitions():
    session = _any_owner()
    return reply(drafts.check(session, _uploaded_files()))


@bp.get("/definitions/<key>/versions")
def definition_versions(key: str):
    session = _any_owner()
    items = [v.as_dict() for v in library.versions(session, key)]
    return reply({"key": key, **page(items)})


@bp.get("/definitions/<key>/versions/<int:version>/bpmn")
def definition_version_bpmn(key: str, version: int):
    xml = library.version_xml(_any_owner(), key, version)
    response = Response(xml, mimetype="application/xml")
    response.headers["Content-Security-Policy"] = "default-src 'none'; sandbox"  # data, never a document
    filename = re.sub(r"[^A-Za-z0-9_.-]", "_", f"{key}-v{version}.bpmn")
    disposition = "attachment" if flag("download") else "inline"
    response.headers["Content-Disposition"] = f'{disposition}; filename="{filename}"'
    return response


def _side(name: str) -> int | str:
    raw = (request.args.get(name) or "").strip()
    if raw == "draft":
        return raw
    if not raw.isdigit():
        raise ValidationFailed("查询参数有误", {name: "必须是版本号或 draft"})
    return int(raw)


@bp.get("/definitions/<key>/diff")
def definition_diff(key: str):
    session = _any_owner()
    return reply(library.compare(session, actor(), key, _side("from"), _side("to")))


@bp.post("/definitions/<key>/rollback")
def rollback_definition(key: str):
    body = fields(json_body(), required={"version": int}, optional={"comment": str})
    try:
        with write() as session:
            done = library.rollback(session, actor(), key, body["version"], body["comment"] or "")
    except DeployError as err:
        return _deploy_failure(err)
    return reply({"key": done.key, "version": done.version, "created": done.created, "warnings": done.warnings},
                 201 if done.created else 200)


@bp.get("/definitions/<key>/draft")
def get_draft(key: str):
    return reply(drafts.working_copy(read_session(), actor(), key).as_dict())


@bp.put("/definitions/<key>/draft")
def put_draft(key: str):
    body = fields(json_body(), required={"bpmn": str}, optional={"forms": dict, "revision": int, "base_version": int})
    with write() as session:
        copy = drafts.save(session, actor(), key, body["bpmn"], body["forms"] or {}, revision=body["revision"],
                           base_version=body["base_version"])
        answer = copy.as_dict()
    return reply(answer)


@bp.delete("/definitions/<key>/draft")
def delete_draft(key: str):
    with write() as session:
        drafts.discard(session, actor(), key)
    return reply({"key": key, "discarded": True})


@bp.post("/definitions/<key>/draft/deploy")
def deploy_draft(key: str):
    body = fields(json_body(), optional={"revision": int, "force": bool, "comment": str})
    try:
        with write() as session:
            done = drafts.deploy(session, actor(), key, revision=body["revision"], force=bool(body["force"]),
                                 comment=(body["comment"] or "")[:500])
    except DeployError as err:
        return _deploy_failure(err)
    return reply({"key": done.key, "version": done.version, "created": done.created, "warnings": done.warnings},
                 201)


@bp.get("/forms")
def list_forms():
    return reply(page(library.forms_overview(_any_owner())))


@bp.get("/forms/<form_id>")
def get_form(form_id: str):
    version = request.args.get("version", type=int)
    return reply(library.form(_any_owner(), form_id, version))


@bp.post("/assignment/preview")
def preview_assignment():
    session = _any_owner()
    body = fields(json_body(), required={"expression": str, "unit": str}, optional={"context": str})
    context = body["context"] or "group"
    if context not in ("group", "user"):
        raise ValidationFailed("请求参数有误", {"context": "只能是 group 或 user"})
    return reply(assignment_preview.preview(session, body["expression"], body["unit"].strip(), context).as_dict())
