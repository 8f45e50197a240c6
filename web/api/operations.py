"""The approval operations on tasks and cases (issue 7): 转办, 委派, 加签/减签, 退回, 撤回, 催办, 抄送, bulk actions,
and what the caller may do on a task.

Permissions are checked by the service commands (`service.operations.*`, `service.urge`): a task or case the
caller may not see is 404 with no data; one they see but may not act on is 403; a task no longer open, a
delegated task, a moved case is 409; a missing or wrong field is 422 naming it.

| route | permission |
|---|---|
| `POST /tasks/{id}/transfer` | the holder (assignee, or queue member of an unclaimed task), admins |
| `POST /tasks/{id}/delegate`, `/recall-delegation` | the assignee |
| `POST /tasks/{id}/add-signer`, `/remove-signer` | a holder of one of the countersign's open instances, the initiator, admins |
| `POST /tasks/{id}/send-back` | the holder (not a delegate) |
| `POST /tasks/{id}/withdraw` | the person who completed the task |
| `POST /tasks/{id}/urge` | anyone who sees the case and does not hold the task |
| `POST /tasks/{id}/cc` | the holder or delegate, the initiator, supervisors of the unit, admins |
| `GET /tasks/{id}/operations` | anyone who sees the case |
| `POST /instances/{id}/withdraw` | the initiator, while nobody else has acted |
| `POST /tasks/bulk` | per task, as the single operation |
"""
from __future__ import annotations

from service import clock, urge
from service.operations import available, bulk, cc, delegate, send_back, signers, transfer, withdraw

from ..db import close_read, read_session, service, write
from ..principal import actor
from . import bp
from .parse import fields, json_body
from .serialize import reply, task_rows


def _task(session, task) -> dict:
    return task_rows(session, [task])[0]


def _result(session, result) -> dict:
    instance = result.instance
    return {"instance_id": instance.id, "instance_status": instance.status, "state_version": instance.state_version,
            "opened": task_rows(session, result.opened, result.names), "closed": task_rows(session, result.closed)}


@bp.post("/tasks/<int:task_id>/transfer")
def transfer_task(task_id: int):
    body = fields(json_body(), required={"to": str}, optional={"reason": str})
    with write() as session:
        answer = _task(session, transfer.transfer(session, actor(), task_id, body["to"], body["reason"] or ""))
    return reply(answer)


@bp.post("/tasks/<int:task_id>/delegate")
def delegate_task(task_id: int):
    body = fields(json_body(), required={"to": str}, optional={"note": str})
    with write() as session:
        answer = _task(session, delegate.delegate(session, actor(), task_id, body["to"], body["note"] or ""))
    return reply(answer)


@bp.post("/tasks/<int:task_id>/recall-delegation")
def recall_delegation(task_id: int):
    json_body()
    with write() as session:
        answer = _task(session, delegate.recall(session, actor(), task_id))
    return reply(answer)


@bp.post("/tasks/<int:task_id>/add-signer")
def add_signer(task_id: int):
    body = fields(json_body(), required={"user": str})
    with write() as session:
        answer = _result(session, signers.add_signer(session, actor(), task_id, body["user"]))
    return reply(answer)


@bp.post("/tasks/<int:task_id>/remove-signer")
def remove_signer(task_id: int):
    body = fields(json_body(), required={"task": int})
    with write() as session:
        answer = _result(session, signers.remove_signer(session, actor(), task_id, body["task"]))
    return reply(answer)


@bp.post("/tasks/<int:task_id>/send-back")
def send_back_task(task_id: int):
    body = fields(json_body(), required={"reason": str}, optional={"to_element": str})
    with write() as session:
        answer = _result(session, send_back.send_back(session, actor(), task_id, body["to_element"], body["reason"]))
    return reply(answer)


@bp.post("/tasks/<int:task_id>/withdraw")
def withdraw_task(task_id: int):
    json_body()
    with write() as session:
        answer = _result(session, withdraw.withdraw_task(session, actor(), task_id))
    return reply(answer)


@bp.post("/tasks/<int:task_id>/urge")
def urge_task(task_id: int):
    body = fields(json_body(), optional={"message": str})
    with write() as session:
        row = urge.urge(session, actor(), task_id, body["message"] or "")
        session.flush()  # the new row's id
        answer = {"id": row.id, "task_id": row.task_id, "instance_id": row.instance_id, "message": row.message,
                  "created_at": row.created_at}
    return reply(answer, 201)


@bp.post("/tasks/<int:task_id>/cc")
def copy_task(task_id: int):
    body = fields(json_body(), required={"users": list}, optional={"note": str})
    with write() as session:
        added = cc.copy_to(session, actor(), task_id, body["users"], body["note"] or "")
        answer = {"task_id": task_id, "added": [u.username for u in added]}
    return reply(answer)


@bp.get("/tasks/<int:task_id>/operations")
def task_operations(task_id: int):
    return reply(available.for_task(read_session(), actor(), task_id))


@bp.post("/instances/<int:instance_id>/withdraw")
def withdraw_instance(instance_id: int):
    body = fields(json_body(), optional={"note": str})
    with write() as session:
        result = withdraw.withdraw_instance(session, actor(), instance_id, body["note"] or "")
        answer = _result(session, result)
    return reply(answer)


@bp.post("/tasks/bulk")
def bulk_tasks():
    body = fields(json_body(), required={"action": str, "tasks": list}, optional={"to": str, "message": str})
    close_read()  # each task is its own write transaction; no read snapshot may stay open across them
    results = bulk.run(service().db, actor(), body["action"], body["tasks"], to=body["to"],
                       message=body["message"] or "")
    ok = sum(1 for r in results if r["ok"])
    return reply({"action": body["action"], "results": results, "succeeded": ok, "failed": len(results) - ok,
                  "at": clock.now()})
