"""Deployed process definitions: list them (anyone signed in) and deploy new versions (process owners)."""
from __future__ import annotations

from pathlib import PurePath

from flask import request
from sqlalchemy import select

from service import definitions, org
from service.errors import DeployError, Forbidden
from service.models import ProcessDefinition, User

from ..db import read_session, write
from ..principal import actor
from . import bp
from .serialize import page, reply


def definition_item(row: ProcessDefinition, deployers: dict[int, str]) -> dict:
    return {"key": row.key, "version": row.version, "name": row.name, "startable": row.startable,
            "deployed_at": row.deployed_at, "deployed_by": deployers.get(row.deployed_by_id),
            "forms": sorted(row.forms or {}), "comment": row.comment}


@bp.get("/definitions")
def list_definitions():
    session = read_session()
    rows = definitions.latest_definitions(session)
    ids = {r.deployed_by_id for r in rows if r.deployed_by_id}
    deployers = dict(session.execute(select(User.id, User.username).where(User.id.in_(ids))).all()) if ids else {}
    return reply(page([definition_item(r, deployers) for r in rows]))


def _uploaded_files() -> list[tuple[str, bytes]]:
    files = []
    for index, upload in enumerate(request.files.getlist("files")):
        name = PurePath((upload.filename or "").replace("\\", "/")).name or f"upload-{index + 1}.bpmn"
        files.append((name[:200], upload.read()))
    return files


@bp.post("/definitions")
def deploy_definitions():
    """Process owners (for the keys they own, or all keys) and admins. 201 with what was deployed."""
    user = actor()
    if not org.profile(read_session(), user).is_owner:
        raise Forbidden("只有流程负责人或管理员可以部署流程")
    files = _uploaded_files()
    try:
        with write() as session:
            deployed = definitions.deploy(session, user, files, comment=request.form.get("comment", "")[:500])
    except DeployError as err:
        return reply({"error": err.message, "details": err.errors, "errors": err.errors}, 422)
    items = [{"key": d.key, "version": d.version, "created": d.created, "warnings": d.warnings} for d in deployed]
    body = {"items": items, "total": len(items), "page": 1}
    if len(items) == 1:
        body.update(items[0])
    return reply(body, 201)
