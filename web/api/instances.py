"""Cases: start one, list the ones the caller may see, read one and its audit chain, cancel/suspend/resume.

Reading needs `access.visible_instance` (started, took part, copied, supervises the unit's subtree, admin);
managing needs initiator, supervisor of the unit or admin (checked by the service commands).
"""
from __future__ import annotations

from flask import request, url_for

from service import access, audit, cases, details, instances

from ..db import read_session, write
from ..principal import actor
from . import bp
from .parse import fields, flag, int_arg, json_body
from .serialize import reply, task_rows


@bp.post("/instances")
def start_instance():
    body = fields(json_body(), required={"definition": str, "unit": str},
                  optional={"title": str, "data": dict})
    with write() as session:
        result = instances.start(session, actor(), body["definition"].strip(), body["unit"].strip(),
                                 title=body["title"], data=body["data"])
        answer = {"id": result.instance.id, "status": result.instance.status, "title": result.instance.title,
                  "definition": result.instance.definition_key, "version": result.instance.definition_version,
                  "tasks": task_rows(session, result.opened, result.names)}
    return reply(answer, 201, {"Location": url_for("api.get_instance", instance_id=answer["id"])})


@bp.get("/instances")
def list_instances():
    filters = cases.CaseFilters(
        status=request.args.get("status", ""), unit=request.args.get("unit", ""), subtree=flag("subtree"),
        definition=request.args.get("definition", ""), overdue=flag("overdue"),
        step=request.args.get("step", ""), assignee=request.args.get("assignee", ""), q=request.args.get("q", ""),
        date_from=request.args.get("from") or None, date_to=request.args.get("to") or None,
        sort=request.args.get("sort", "started_at"), order=request.args.get("order", "desc"),
        page=int_arg("page", 1), per_page=int_arg("per_page", 20),
    )
    return reply(cases.visible_instances(read_session(), actor(), filters).as_dict())


@bp.get("/instances/<int:instance_id>")
def get_instance(instance_id: int):
    return reply(details.instance_detail(read_session(), actor(), instance_id, with_timeline=False))


@bp.get("/instances/<int:instance_id>/audit")
def instance_audit(instance_id: int):
    session = read_session()
    access.visible_instance(session, actor(), instance_id)
    events = audit.timeline(session, instance_id)
    chain = audit.chain_for(instance_id)
    return reply({"instance_id": instance_id, "chain": chain, "items": events, "total": len(events), "page": 1,
                  "verification": audit.verify_chain(session, chain).as_dict()})


def _reason() -> str:
    return fields(json_body(), optional={"reason": str})["reason"] or ""


def _summary(session, instance) -> dict:
    return details.instance_summary(session, instance)


@bp.post("/instances/<int:instance_id>/cancel")
def cancel_instance(instance_id: int):
    reason = _reason()
    with write() as session:
        result = instances.cancel(session, actor(), instance_id, reason)
        answer = _summary(session, result.instance)
    return reply(answer)


@bp.post("/instances/<int:instance_id>/suspend")
def suspend_instance(instance_id: int):
    reason = _reason()
    with write() as session:
        answer = _summary(session, instances.suspend(session, actor(), instance_id, reason))
    return reply(answer)


@bp.post("/instances/<int:instance_id>/resume")
def resume_instance(instance_id: int):
    json_body()
    with write() as session:
        answer = _summary(session, instances.resume(session, actor(), instance_id))
    return reply(answer)
