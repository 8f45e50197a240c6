"""`GET /openapi.json`: the OpenAPI 3 document of the API, written by hand next to the views it describes.

Tests keep it honest: the document must validate, every registered /api/v1 rule and method must appear in it, and
the HTTP tests check real responses against the schemas below.
"""
from __future__ import annotations

from functools import lru_cache

from . import bp
from .serialize import reply

# -- schema helpers ------------------------------------------------------------------------------------------------

STR = {"type": "string"}
INT = {"type": "integer"}
BOOL = {"type": "boolean"}
ANY = {}
OBJ = {"type": "object", "additionalProperties": True}


def null(schema: dict) -> dict:
    return {**schema, "nullable": True}


def ref(name: str) -> dict:
    return {"$ref": f"#/components/schemas/{name}"}


def arr(items: dict) -> dict:
    return {"type": "array", "items": items}


def obj(required: list[str] | None = None, description: str | None = None, **props) -> dict:
    schema = {"type": "object", "properties": props}
    if required:
        schema["required"] = required
    if description:
        schema["description"] = description
    return schema


def page_of(item: dict, **extra) -> dict:
    return obj(["items", "total", "page"], items=arr(item), total=INT, page=INT, per_page=INT, **extra)


TIME = {"type": "string", "format": "date-time", "description": "ISO 8601, UTC, with offset"}
TIME_OR_NULL = null(TIME)
STATUS = {"type": "string", "enum": ["running", "suspended", "completed", "cancelled", "error"]}
TASK_STATE = {"type": "string", "enum": ["open", "completed", "cancelled"]}

TASK_ROW = obj(
    ["id", "name", "element_id", "state", "assignee", "candidates", "due_at", "created_at"],
    description="A task as shown on an instance: who holds it (display names), its queue and its deadline.",
    id=INT, name=STR, element_id=STR, state=TASK_STATE, lane=null(STR), assignee=null(STR), assignee_id=null(INT),
    candidates=arr(STR), queue=STR, mi_item=null(STR), created_at=TIME, due_at=TIME_OR_NULL,
    completed_at=TIME_OR_NULL, completed_by=null(STR), delegate=null(STR), original_assignee=null(STR),
    overdue=BOOL, due_soon=BOOL,
)

INSTANCE_SUMMARY = obj(
    ["id", "title", "status", "definition", "version", "unit", "started_by", "started_at", "ended_at"],
    id=INT, title=STR, case_no=null(STR), status=STATUS, definition=STR, definition_name=STR, version=INT,
    definition_id=INT, unit=STR, unit_code=STR, started_by=null(STR), started_by_username=null(STR),
    started_at=TIME, ended_at=TIME_OR_NULL, updated_at=TIME, error=null(STR), state_version=INT,
    current_steps=null(STR),
)

SCHEMAS = {
    "Error": obj(["error", "details"], error=STR, details=null({"description": "field → message, a list, or null"})),
    "DeployProblem": obj(["element_id", "line", "message"], element_id=null(STR), line=null(INT), message=STR,
                         file=STR),
    "DeployFailure": obj(["error", "details", "errors"], error=STR, details=arr(ref("DeployProblem")),
                         errors=arr(ref("DeployProblem"))),
    "Me": obj(
        ["id", "username", "name", "roles", "memberships", "supervises", "owns"],
        id=INT, username=STR, name=STR, email=null(STR),
        roles=obj(["admin", "owner", "supervisor"], admin=BOOL, owner=BOOL, supervisor=BOOL),
        memberships=arr(obj(["unit", "role"], unit=STR, unit_name=STR, role=STR, role_name=STR)),
        supervises=arr(obj(["unit"], unit=STR, unit_name=STR)),
        owns=arr({"type": "string", "description": "definition keys the user may deploy; \"*\" for all"}),
    ),
    "Definition": obj(["key", "version", "name"], key=STR, version=INT, name=STR, startable=BOOL,
                      deployed_at=TIME, deployed_by=null(STR), forms=arr(STR), comment=STR),
    "DefinitionList": page_of(ref("Definition")),
    "Deployed": obj(["key", "version", "created"], key=STR, version=INT,
                    created={"type": "boolean", "description": "false when the same content was already the newest version"},
                    warnings=arr(ref("DeployProblem"))),
    "DeployResult": {
        **page_of(ref("Deployed"), key=STR, version=INT, created=BOOL, warnings=arr(ref("DeployProblem"))),
        "description": "`items` lists every deployed definition; when exactly one BPMN file was deployed its "
                       "`key`, `version`, `created` and `warnings` are also given at the top level.",
    },
    "StartRequest": obj(["definition", "unit"], definition={"type": "string", "description": "definition key"},
                        unit={"type": "string", "description": "unit code"}, title=STR,
                        data={"type": "object", "additionalProperties": True,
                              "description": "process variables (identifier keys)"}),
    "TaskRow": TASK_ROW,
    "StartResult": obj(["id", "status", "tasks"], id=INT, status=STATUS, title=STR, definition=STR, version=INT,
                       tasks=arr(ref("TaskRow"))),
    "InstanceItem": obj(
        ["id", "definition", "version", "unit", "title", "status", "started_by", "started_at", "ended_at"],
        id=INT, definition=STR, definition_name=STR, version=INT, unit=STR, title=STR, case_no=null(STR),
        status=STATUS, started_by=null(STR), started_at=TIME, ended_at=TIME_OR_NULL, current_steps=null(STR),
        updated_at=TIME,
    ),
    "InstanceList": page_of(ref("InstanceItem")),
    "InstanceSummary": INSTANCE_SUMMARY,
    "InstanceDetail": {"allOf": [ref("InstanceSummary"), obj(
        ["open_tasks", "completed_tasks"],
        open_tasks=arr(ref("TaskRow")), completed_tasks=arr(ref("TaskRow")), cancelled_tasks=arr(ref("TaskRow")),
        marking=obj(completed=arr(STR), current=arr(STR), overdue=arr(STR)),
        problems=arr(obj(kind=STR, element_id=null(STR), message=STR, created_at=TIME)),
        can_manage=BOOL,
    )]},
    "AuditEvent": obj(["seq", "kind", "actor", "at", "payload", "hash", "prev_hash"], seq=INT, kind=STR, actor=STR,
                      at=TIME, task_id=null(INT), element_id=null(STR), payload=OBJ,
                      hash={"type": "string", "description": "sha256(prev_hash + canonical JSON of the event)"},
                      prev_hash=STR),
    "ChainReport": obj(["chain", "events", "ok"], chain=STR, events=INT, ok=BOOL, broken_seq=null(INT),
                       broken_event_id=null(INT), reason=STR),
    "AuditChain": page_of(ref("AuditEvent"), instance_id=INT, chain=STR, verification=ref("ChainReport")),
    "TaskItem": obj(
        ["id", "name", "element_id", "instance_id", "instance_title", "unit", "definition", "assignee",
         "candidates", "due_at", "created_at", "state"],
        id=INT, name=STR, element_id=STR, instance_id=INT, instance_title=STR, instance_status=STATUS, unit=STR,
        definition=STR, definition_name=STR, assignee=null(STR), candidates=arr(STR), queue=STR, mi_item=null(STR),
        due_at=TIME_OR_NULL, created_at=TIME, completed_at=TIME_OR_NULL, completed_by=null(STR), state=TASK_STATE,
        delegated=BOOL, overdue=BOOL, due_soon=BOOL,
    ),
    "InboxPage": {
        **page_of({"oneOf": [ref("TaskItem"), ref("InstanceItem")]},
                  view={"type": "string", "enum": ["todo", "done", "started", "cc"]}),
        "description": "`todo` and `done` list tasks (TaskItem); `started` and `cc` list cases (InstanceItem).",
    },
    "TaskDetail": {"allOf": [ref("TaskRow"), obj(
        ["instance", "form", "data", "can_complete"],
        instance=ref("InstanceSummary"),
        form=null({"type": "object", "additionalProperties": True, "description": "form-js schema"}),
        data={"type": "object", "additionalProperties": True,
              "description": "current task data (open) or what was submitted (closed)"},
        submitted=null(OBJ), delegate_data=null(OBJ), documentation=null(STR),
        can_complete=BOOL, can_claim=BOOL, can_unclaim=BOOL, state_version=INT,
    )]},
    "CompleteRequest": obj(data={"type": "object", "additionalProperties": True,
                                 "description": "form values; only keys the form declares are kept"},
                           expected_version={"type": "integer",
                                             "description": "the instance's state_version the client read; 409 if it moved"}),
    "CompleteResult": obj(["instance_status", "next_tasks"], task_id=INT, instance_id=INT, instance_status=STATUS,
                          state_version=INT, next_tasks=arr(ref("TaskRow"))),
    "ReasonRequest": obj(reason=STR),
    "Opinions": {"type": "object", "additionalProperties": True,
                 "description": "each participant's recorded opinion on the decision, word for word"},
    "DissentList": page_of(OBJ),
}

ERRORS = {
    "BadRequest": "malformed JSON body, a body that is not an object, or a missing CSRF header on a session call",
    "Unauthorized": "no or bad bearer token",
    "Forbidden": "the caller may see the object but not do this",
    "NotFound": "no such object, or the caller may not see it (no data is returned)",
    "Conflict": "the object changed: task not open, already completed, claimed by another, instance ended or moved",
    "Unprocessable": "field errors: `details` maps each field to its message",
    "NotImplemented": "the optional module behind this call is not installed",
}


def error_response(description: str, schema: str = "Error") -> dict:
    return {"description": description, "content": {"application/json": {"schema": ref(schema)}}}


def ok(schema: str, description: str = "OK") -> dict:
    return {"description": description, "content": {"application/json": {"schema": ref(schema)}}}


def json_request(schema: str, required: bool = True) -> dict:
    return {"required": required, "content": {"application/json": {"schema": ref(schema)}}}


ID = {
    "instance_id": {"name": "instance_id", "in": "path", "required": True, "schema": INT},
    "task_id": {"name": "task_id", "in": "path", "required": True, "schema": INT},
    "username": {"name": "username", "in": "path", "required": True, "schema": STR},
}


def query(name: str, schema: dict, description: str) -> dict:
    return {"name": name, "in": "query", "required": False, "schema": schema, "description": description}


PAGING = [query("page", {"type": "integer", "minimum": 1, "default": 1}, "page number, from 1"),
          query("per_page", {"type": "integer", "minimum": 1, "maximum": 100, "default": 20}, "items per page")]


def op(summary: str, permission: str, success: tuple[int, str], errors: list[str], *, tag: str,
       params: list | None = None, body: dict | None = None, public: bool = False, operation_id: str) -> dict:
    code, schema = success
    responses = {str(code): ok(schema)}
    statuses = {"BadRequest": "400", "Unauthorized": "401", "Forbidden": "403", "NotFound": "404",
                "Conflict": "409", "Unprocessable": "422", "NotImplemented": "501"}
    for name in ([] if public else ["Unauthorized"]) + errors:
        responses[statuses[name]] = {"$ref": f"#/components/responses/{name}"}
    operation = {"operationId": operation_id, "summary": summary, "tags": [tag],
                 "description": f"Permission: {permission}", "responses": responses}
    if params:
        operation["parameters"] = params
    if body:
        operation["requestBody"] = body
    if public:
        operation["security"] = []
    return operation


PATHS = {
    "/me": {"get": op("The caller: user, memberships, roles", "any authenticated caller", (200, "Me"), [],
                      tag="me", operation_id="getMe")},
    "/definitions": {
        "get": op("Newest version of every deployed definition", "any authenticated caller",
                  (200, "DefinitionList"), [], tag="definitions", operation_id="listDefinitions"),
        "post": {**op("Deploy BPMN and form files", "process owners for the keys they own (or all keys), admins",
                      (201, "DeployResult"), ["BadRequest", "Forbidden", "Unprocessable"], tag="definitions",
                      operation_id="deployDefinitions",
                      body={"required": True, "content": {"multipart/form-data": {"schema": obj(
                          ["files"], files=arr({"type": "string", "format": "binary"}),
                          comment={"type": "string", "description": "deploy comment"})}}})},
    },
    "/instances": {
        "post": op("Start a case", "users who may start the definition for the unit (role in the unit, "
                   "supervisor of it, the definition's candidate starters, admins)", (201, "StartResult"),
                   ["BadRequest", "Forbidden", "NotFound", "Unprocessable"], tag="instances",
                   operation_id="startInstance", body=json_request("StartRequest")),
        "get": op("Cases the caller may see", "any authenticated caller; lists the cases they started, took part "
                  "in, were copied on or supervise (admins: all)", (200, "InstanceList"), ["Unprocessable"],
                  tag="instances", operation_id="listInstances", params=[
                      query("status", STATUS, "only cases in this status"),
                      query("unit", STR, "unit code"),
                      query("subtree", BOOL, "with `unit`: include the units below it"),
                      query("definition", STR, "definition key"),
                      query("overdue", BOOL, "only cases with an open task past its deadline"),
                      query("sort", {"type": "string", "enum": ["started_at", "title", "status", "definition",
                                                                "unit", "updated_at"]}, "sort column"),
                      query("order", {"type": "string", "enum": ["asc", "desc"]}, "sort order"),
                      *PAGING]),
    },
    "/instances/{instance_id}": {"get": op(
        "One case: status, unit, definition and version, open and completed tasks",
        "those who may see the case (initiator, participants, copied, supervisors of its unit, admins)",
        (200, "InstanceDetail"), ["NotFound"], tag="instances", operation_id="getInstance", params=[ID["instance_id"]])},
    "/instances/{instance_id}/audit": {"get": op(
        "The case's audit chain with hashes and its verification", "those who may see the case",
        (200, "AuditChain"), ["NotFound"], tag="instances", operation_id="getInstanceAudit",
        params=[ID["instance_id"]])},
    "/instances/{instance_id}/cancel": {"post": op(
        "Cancel a case", "initiator, supervisors of its unit, admins", (200, "InstanceSummary"),
        ["BadRequest", "Forbidden", "NotFound", "Conflict", "Unprocessable"], tag="instances",
        operation_id="cancelInstance", params=[ID["instance_id"]], body=json_request("ReasonRequest", False))},
    "/instances/{instance_id}/suspend": {"post": op(
        "Suspend a running case", "initiator, supervisors of its unit, admins", (200, "InstanceSummary"),
        ["BadRequest", "Forbidden", "NotFound", "Conflict", "Unprocessable"], tag="instances",
        operation_id="suspendInstance", params=[ID["instance_id"]], body=json_request("ReasonRequest", False))},
    "/instances/{instance_id}/resume": {"post": op(
        "Resume a suspended case", "initiator, supervisors of its unit, admins", (200, "InstanceSummary"),
        ["BadRequest", "Forbidden", "NotFound", "Conflict"], tag="instances", operation_id="resumeInstance",
        params=[ID["instance_id"]])},
    "/instances/{instance_id}/opinions": {"get": op(
        "Opinions recorded on a \"三重一大\" decision", "decided by service.dissent (those who may see the case)",
        (200, "Opinions"), ["Forbidden", "NotFound", "NotImplemented"], tag="decisions",
        operation_id="getInstanceOpinions", params=[ID["instance_id"]])},
    "/users/{username}/dissents": {"get": op(
        "One member's recorded dissents across decisions", "decided by service.dissent (the member, supervisors, "
        "admins)", (200, "DissentList"), ["Forbidden", "NotFound", "NotImplemented"], tag="decisions",
        operation_id="listUserDissents", params=[ID["username"]])},
    "/tasks": {"get": op(
        "The caller's inbox views", "any authenticated caller (their own inbox only)", (200, "InboxPage"),
        ["Unprocessable"], tag="tasks", operation_id="listTasks", params=[
            query("view", {"type": "string", "enum": ["todo", "done", "started", "cc"], "default": "todo"},
                  "待办 / 已办 / 我发起的 / 抄送我的"),
            query("definition", STR, "definition key"),
            query("overdue", BOOL, "only overdue tasks (todo/done)"),
            query("q", STR, "text in the case title, case number or task name"),
            query("sort", STR, "created_at, due_at, name, title, definition, unit, completed_at (tasks); "
                               "started_at, title, status, definition, unit, updated_at (cases)"),
            query("order", {"type": "string", "enum": ["asc", "desc"]}, "sort order"),
            *PAGING])},
    "/tasks/{task_id}": {"get": op(
        "One task: form schema, current data, assignee/candidates, due", "those who may see the task's case "
        "(otherwise 404 and no data)", (200, "TaskDetail"), ["NotFound"], tag="tasks", operation_id="getTask",
        params=[ID["task_id"]])},
    "/tasks/{task_id}/claim": {"post": op(
        "Claim a task from a group queue", "candidates of the unclaimed task", (200, "TaskRow"),
        ["BadRequest", "Forbidden", "NotFound", "Conflict"], tag="tasks", operation_id="claimTask",
        params=[ID["task_id"]])},
    "/tasks/{task_id}/unclaim": {"post": op(
        "Give a claimed task back to its queue", "the candidate who claimed it", (200, "TaskRow"),
        ["BadRequest", "Forbidden", "NotFound", "Conflict"], tag="tasks", operation_id="unclaimTask",
        params=[ID["task_id"]])},
    "/tasks/{task_id}/complete": {"post": op(
        "Complete a task with its form data", "the holder, the delegate while delegated, or a queue member of an "
        "unclaimed task", (200, "CompleteResult"), ["BadRequest", "Forbidden", "NotFound", "Conflict",
                                                    "Unprocessable"],
        tag="tasks", operation_id="completeTask", params=[ID["task_id"]], body=json_request("CompleteRequest"))},
    "/openapi.json": {"get": op("This document", "public", (200, "OpenApiDocument"), [], tag="meta",
                                operation_id="getOpenApi", public=True)},
}

SCHEMAS["OpenApiDocument"] = {"type": "object", "additionalProperties": True}


@lru_cache(maxsize=1)
def document() -> dict:
    responses = {name: error_response(text) for name, text in ERRORS.items()}
    responses["Unprocessable"] = {"description": ERRORS["Unprocessable"] + "; a failed deploy answers DeployFailure",
                                  "content": {"application/json": {"schema": {
                                      "oneOf": [ref("Error"), ref("DeployFailure")]}}}}
    return {
        "openapi": "3.0.3",
        "info": {
            "title": "Jiandu (监督) API", "version": "1",
            "description": "Workflow cases, tasks and definitions. Authenticate with `Authorization: Bearer <token>` "
                           "(create a token on the profile page or with `jiandu token USERNAME`). Errors are "
                           "`{\"error\": message, \"details\": ...}`; lists are `{\"items\", \"total\", \"page\"}`; "
                           "times are ISO 8601 in UTC.",
        },
        "servers": [{"url": "/api/v1"}],
        "security": [{"bearerAuth": []}, {"sessionCookie": []}],
        "tags": [{"name": t} for t in ("me", "definitions", "instances", "tasks", "decisions", "meta")],
        "paths": PATHS,
        "components": {
            "securitySchemes": {
                "bearerAuth": {"type": "http", "scheme": "bearer"},
                "sessionCookie": {"type": "apiKey", "in": "cookie", "name": "jiandu_session",
                                  "description": "the web app's own pages; unsafe methods need an X-CSRFToken header"},
            },
            "schemas": SCHEMAS,
            "responses": responses,
        },
    }


@bp.get("/openapi.json")
def openapi():
    return reply(document())
