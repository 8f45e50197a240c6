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
    return obj(["items", "total", "page"], items=arr(item), total=INT, page=INT, per_page=INT,
               total_capped={**BOOL, "description": "true when counting stopped at 10,000 rows: there are more than "
                                                    "`total` (shown as \"more than 10,000\"); false or absent: "
                                                    "`total` is exact"}, **extra)


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
        updated_at=TIME, overdue={"type": "boolean", "description": "an open task is past its deadline (lists of cases)"},
        elapsed_seconds=INT, open_tasks=arr(obj(
            ["id", "name", "element_id", "due_at", "overdue"], id=INT, name=STR, element_id=STR, mi_item=null(STR),
            assignee=null(STR), delegate=null(STR), queue=STR, candidates=arr(STR), due_at=TIME_OR_NULL,
            overdue=BOOL)),
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
                      query("step", STR, "only cases with an open task at this element id"),
                      query("assignee", STR, "only cases with an open task held by (or queued for, or delegated "
                                             "to) this username"),
                      query("q", STR, "text in the title, or the start of the case number"),
                      query("from", {"type": "string", "format": "date"}, "started on or after this day (Shanghai)"),
                      query("to", {"type": "string", "format": "date"}, "started on or before this day (Shanghai)"),
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

# -- the process editor (issue 5): versions, diffs, drafts, rollback, forms, assignment preview --------------------

_KEY = {"name": "key", "in": "path", "required": True, "schema": STR, "description": "definition key (process id)"}
_OWNERS = "process owners (of any key) and admins"
_KEY_OWNERS = "owners of this key (or of all keys) and admins"
_MULTIPART_FILES = {"required": True, "content": {"multipart/form-data": {"schema": obj(
    ["files"], files=arr({"type": "string", "format": "binary"}))}}}
_DEPLOYED = "Deployed"
SCHEMAS.update({
    "ValidationReport": obj(["errors", "warnings"], errors=arr(ref("DeployProblem")), warnings=arr(ref("DeployProblem"))),
    "VersionInfo": obj(["version", "name", "deployed_at", "deployed_by", "running", "finished"], version=INT, name=STR,
                       deployed_at=TIME, deployed_by=null(STR), comment=STR,
                       running={"type": "integer", "description": "cases not yet ended (running, suspended, error)"},
                       finished={"type": "integer", "description": "completed or cancelled cases"},
                       forms={"type": "object", "additionalProperties": null(INT),
                              "description": "form id → pinned form version"}),
    "VersionList": page_of(ref("VersionInfo"), key=STR),
    "DiffElement": obj(["id", "type"], id=STR, type=STR, name=null(STR),
                       source=null({"type": "string", "description": "connections: name (or id) of the source"}),
                       target=null({"type": "string", "description": "connections: name (or id) of the target"})),
    "DiffChange": obj(["field", "category", "before", "after"], field=STR, before=null(STR), after=null(STR),
                      category={"type": "string", "enum": ["name", "type", "attribute", "extension", "condition",
                                                           "script", "timer", "loop", "lane", "documentation",
                                                           "other"]}),
    "Diff": obj(["key", "from", "to", "added", "removed", "changed", "moved", "summary"], key=STR,
                **{"from": {"oneOf": [INT, STR]}, "to": {"oneOf": [INT, STR]}},
                added=arr(ref("DiffElement")), removed=arr(ref("DiffElement")),
                changed=arr({"allOf": [ref("DiffElement"), obj(["changes"], changes=arr(ref("DiffChange")))]}),
                moved=arr({"type": "string", "description": "element ids whose diagram position alone changed"}),
                summary=obj(added=INT, removed=INT, changed=INT, moved=INT)),
    "RollbackRequest": obj(["version"], version=INT, comment=STR),
    "WorkingCopy": obj(
        ["key", "bpmn", "forms", "saved", "revision", "base_version", "latest_version"],
        description="The draft if one is saved, otherwise the newest deployed version (saved=false, revision 0).",
        key=STR, bpmn={"type": "string", "description": "BPMN 2.0 XML"},
        forms={"type": "object", "additionalProperties": OBJ, "description": "form id → form-js schema created or "
                                                                            "changed in the draft"},
        saved=BOOL, revision=INT, base_version=null(INT), latest_version=null(INT), updated_at=TIME_OR_NULL,
        updated_by=null(STR)),
    "DraftRequest": obj(["bpmn"], bpmn=STR, forms={"type": "object", "additionalProperties": OBJ},
                        revision={"type": "integer", "description": "the revision the client loaded (0: none); "
                                                                    "409 when another save came first"},
                        base_version=null(INT)),
    "DraftDiscarded": obj(["key", "discarded"], key=STR, discarded=BOOL),
    "DraftDeployRequest": obj(revision=INT, comment=STR,
                              force={"type": "boolean", "description": "deploy even though a newer version than "
                                                                       "the draft's base was deployed meanwhile"}),
    "FormItem": obj(["id", "version"], id=STR, version=INT, title=null(STR), deployed_at=TIME, used_by=arr(STR)),
    "FormList": page_of(ref("FormItem")),
    "Form": obj(["id", "version", "schema"], id=STR, version=INT, title=null(STR), deployed_at=TIME,
                schema={"type": "object", "additionalProperties": True, "description": "form-js schema"}),
    "PreviewRequest": obj(["expression", "unit"], expression=STR, unit={"type": "string", "description": "unit code"},
                          context={"type": "string", "enum": ["group", "user"], "default": "group",
                                   "description": "how a bare word reads: a role (group) or a username (user)"}),
    "Preview": obj(["expression", "unit", "users", "label", "problems", "notes"], expression=STR, unit=STR,
                   users=arr(obj(["username", "name"], username=STR, name=STR)), label=STR, problems=arr(STR),
                   notes=arr(STR)),
})
PATHS.update({
    "/definitions/validate": {"post": op(
        "Validate BPMN and form files without deploying", _OWNERS, (200, "ValidationReport"),
        ["BadRequest", "Forbidden"], tag="definitions", operation_id="validateDefinitions", body=_MULTIPART_FILES)},
    "/definitions/{key}/versions": {"get": op(
        "Every deployed version of a definition with its case counts", _OWNERS, (200, "VersionList"),
        ["Forbidden", "NotFound"], tag="definitions", operation_id="listDefinitionVersions", params=[_KEY])},
    "/definitions/{key}/versions/{version}/bpmn": {"get": {**op(
        "One version's BPMN XML", _OWNERS, (200, "OpenApiDocument"), ["Forbidden", "NotFound"], tag="definitions",
        operation_id="getDefinitionVersionBpmn", params=[
            _KEY, {"name": "version", "in": "path", "required": True, "schema": INT},
            query("download", BOOL, "answer as an attachment")]),
        "responses": {"200": {"description": "BPMN 2.0 XML", "content": {"application/xml": {"schema": STR}}},
                      "401": {"$ref": "#/components/responses/Unauthorized"},
                      "403": {"$ref": "#/components/responses/Forbidden"},
                      "404": {"$ref": "#/components/responses/NotFound"}}}},
    "/definitions/{key}/diff": {"get": op(
        "Elements added, removed and changed between two versions", _OWNERS + " (to=draft: " + _KEY_OWNERS + ")",
        (200, "Diff"), ["Forbidden", "NotFound", "Unprocessable"], tag="definitions",
        operation_id="diffDefinitionVersions", params=[
            _KEY, {**query("from", {"type": "string"}, "version number, or `draft`"), "required": True},
            {**query("to", {"type": "string"}, "version number, or `draft`"), "required": True}])},
    "/definitions/{key}/rollback": {"post": op(
        "Deploy an old version's content (diagram and pinned forms) as the newest version", _KEY_OWNERS,
        (201, _DEPLOYED), ["BadRequest", "Forbidden", "NotFound", "Unprocessable"], tag="definitions",
        operation_id="rollbackDefinition", params=[_KEY], body=json_request("RollbackRequest"))},
    "/definitions/{key}/draft": {
        "get": op("The working copy: the saved draft, else the newest version", _KEY_OWNERS, (200, "WorkingCopy"),
                  ["Forbidden", "NotFound"], tag="definitions", operation_id="getDraft", params=[_KEY]),
        "put": op("Save the draft (not live until deployed)", _KEY_OWNERS, (200, "WorkingCopy"),
                  ["BadRequest", "Forbidden", "Conflict", "Unprocessable"], tag="definitions",
                  operation_id="saveDraft", params=[_KEY], body=json_request("DraftRequest")),
        "delete": op("Discard the draft", _KEY_OWNERS, (200, "DraftDiscarded"), ["BadRequest", "Forbidden",
                                                                                "NotFound"],
                     tag="definitions", operation_id="discardDraft", params=[_KEY]),
    },
    "/definitions/{key}/draft/deploy": {"post": op(
        "Deploy the saved draft as a new version (only if it validates)", _KEY_OWNERS, (201, _DEPLOYED),
        ["BadRequest", "Forbidden", "NotFound", "Conflict", "Unprocessable"], tag="definitions",
        operation_id="deployDraft", params=[_KEY], body=json_request("DraftDeployRequest", False))},
    "/forms": {"get": op("Newest version of every form, with the processes using it", _OWNERS, (200, "FormList"),
                         ["Forbidden"], tag="definitions", operation_id="listForms")},
    "/forms/{form_id}": {"get": op(
        "One form's schema (newest, or ?version=n)", _OWNERS, (200, "Form"), ["Forbidden", "NotFound"],
        tag="definitions", operation_id="getForm", params=[
            {"name": "form_id", "in": "path", "required": True, "schema": STR},
            query("version", INT, "form version (default: newest)")])},
    "/assignment/preview": {"post": op(
        "Who an assignment expression reaches in a unit", _OWNERS, (200, "Preview"),
        ["BadRequest", "Forbidden", "NotFound", "Unprocessable"], tag="definitions",
        operation_id="previewAssignment", body=json_request("PreviewRequest"))},
})


# -- the approval operations (issue 7): transfer, delegate, signers, send back, withdraw, urge, cc, comments,
# -- attachments, notifications, proxy, bulk ------------------------------------------------------------------------

_AID = {"name": "attachment_id", "in": "path", "required": True, "schema": INT}
_TASK_OPS = ["BadRequest", "Forbidden", "NotFound", "Conflict", "Unprocessable"]
_USERNAME = {"type": "string", "description": "username of an active user"}
SCHEMAS.update({
    "TransferRequest": obj(["to"], to=_USERNAME, reason=STR),
    "DelegateRequest": obj(["to"], to=_USERNAME, note=STR),
    "AddSignerRequest": obj(["user"], user=_USERNAME),
    "RemoveSignerRequest": obj(["task"], task={"type": "integer", "description": "id of the countersign instance "
                                                                                "(a task of the same element) to cancel"}),
    "SendBackRequest": obj(["reason"], reason={"type": "string", "description": "required"},
                           to_element={"type": "string", "description": "element id of an earlier completed step; "
                                                                        "default: the previous step"}),
    "NoteRequest": obj(note=STR),
    "UrgeRequest": obj(message=STR),
    "CcRequest": obj(["users"], users=arr(_USERNAME), note=STR),
    "CommentRequest": obj(["text"], text={"type": "string", "maxLength": 2000}),
    "ProxyRequest": obj(["deputy", "from", "to"], deputy=_USERNAME,
                        **{"from": {"type": "string", "description": "YYYY-MM-DD (start of that day, Beijing time) "
                                                                     "or an ISO 8601 date-time"},
                           "to": {"type": "string", "description": "YYYY-MM-DD (end of that day, Beijing time) or "
                                                                   "an ISO 8601 date-time"}}),
    "BulkRequest": obj(["action", "tasks"], action={"type": "string", "enum": ["claim", "transfer", "urge"]},
                       tasks=arr(INT), to={"type": "string", "description": "username (transfer)"},
                       message={"type": "string", "description": "reason (transfer) or message (urge)"}),
    "ReadRequest": obj(ids=arr(INT), all=BOOL),
    "OperationResult": obj(["instance_id", "instance_status", "opened", "closed"], instance_id=INT,
                           instance_status=STATUS, state_version=INT, opened=arr(ref("TaskRow")),
                           closed=arr(ref("TaskRow"))),
    "UrgeResult": obj(["id", "task_id", "message", "created_at"], id=INT, task_id=INT, instance_id=INT, message=STR,
                      created_at=TIME),
    "CcResult": obj(["task_id", "added"], task_id=INT,
                    added=arr({"type": "string", "description": "usernames newly copied (others already were)"})),
    "Comment": obj(["id", "instance_id", "author", "text", "created_at"], id=INT, instance_id=INT,
                   task_id=null(INT), task_name=null(STR), author=STR, author_username=STR, text=STR,
                   created_at=TIME),
    "CommentList": page_of(ref("Comment")),
    "Attachment": obj(["id", "filename", "content_type", "size", "sha256", "url"], id=INT, instance_id=INT,
                      task_id=null(INT), task_name=null(STR), filename=STR, content_type=STR, size=INT, sha256=STR,
                      created_at=TIME, uploader=STR, url={"type": "string", "description": "download path"}),
    "AttachmentList": page_of(ref("Attachment")),
    "TaskOperations": obj(
        ["task_id", "transfer", "delegate", "send_back", "withdraw", "urge", "cc", "comment", "attach"],
        description="What the caller may do on the task now, and what the task page shows around it",
        task_id=INT, instance_id=INT, transfer=BOOL, delegate=BOOL, recall_delegation=BOOL, send_back=BOOL,
        send_back_targets=arr(obj(["element_id", "name", "default"], element_id=STR, name=STR, default=BOOL)),
        add_signer=BOOL, remove_signer=arr(obj(["task_id"], task_id=INT, mi_item=null(STR), assignee=null(STR))),
        withdraw=BOOL, withdraw_instance=BOOL, urge=BOOL, cc=BOOL, comment=BOOL, attach=BOOL,
        delegate_name=null(STR), delegate_data=null(OBJ), original_assignee=null(STR),
        sent_back=null(obj(by=STR, reason=STR, at=TIME, from_name=null(STR))),
        comments=arr(ref("Comment")),
        attachments=arr(obj(["id", "filename"], id=INT, instance_id=INT, task_id=null(INT), filename=STR,
                            content_type=STR, size=INT, sha256=STR, created_at=TIME, uploader=STR,
                            task_name=null(STR)))),
    "Notification": obj(["id", "kind", "message", "created_at", "unread"], id=INT, kind=STR, kind_label=STR,
                        message=STR, instance_id=null(INT), task_id=null(INT), created_at=TIME,
                        read_at=TIME_OR_NULL, unread=BOOL),
    "NotificationList": page_of(ref("Notification"), unread={"type": "integer", "description": "unread in all"}),
    "ReadResult": obj(["changed", "unread"], changed=INT, unread=INT),
    "Proxy": obj(["deputy", "from", "to", "active"], id=INT, deputy=STR, deputy_name=STR,
                 **{"from": TIME, "to": TIME}, active=BOOL, created_at=TIME),
    "CurrentProxy": obj(["proxy"], proxy=null(ref("Proxy"))),
    "ProxyRevoked": obj(["revoked"], revoked=INT),
    "BulkResult": obj(["action", "results", "succeeded", "failed"], action=STR, succeeded=INT, failed=INT,
                      at=TIME, results=arr(obj(["task", "ok", "status"], task=INT, ok=BOOL, status=INT,
                                               error=null(STR), details=null(ANY)))),
})


def _task_op(summary: str, permission: str, result: str, operation_id: str, body: str | None,
             errors: list[str] | None = None, code: int = 200) -> dict:
    return {"post": op(summary, permission, (code, result), errors or _TASK_OPS, tag="tasks",
                       operation_id=operation_id, params=[ID["task_id"]],
                       body=json_request(body) if body else None)}


PATHS.update({
    "/tasks/{task_id}/transfer": _task_op(
        "转办: hand the task to another person, who then owns it", "the holder (assignee, or a queue member of an "
        "unclaimed task) or an admin; not while delegated (409)", "TaskRow", "transferTask", "TransferRequest"),
    "/tasks/{task_id}/delegate": _task_op(
        "委派: ask another person to work on the task; their /complete hands it back with their input kept",
        "the assignee; one delegate at a time (409)", "TaskRow", "delegateTask", "DelegateRequest"),
    "/tasks/{task_id}/recall-delegation": _task_op(
        "Take back a delegation the delegate has not answered", "the assignee", "TaskRow", "recallDelegation",
        None, ["BadRequest", "Forbidden", "NotFound", "Conflict"]),
    "/tasks/{task_id}/add-signer": _task_op(
        "加签: add an instance for a named person to a running parallel countersign (multi-instance task)",
        "a holder of one of its open instances, the case's initiator, admins", "OperationResult", "addSigner",
        "AddSignerRequest"),
    "/tasks/{task_id}/remove-signer": _task_op(
        "减签: cancel an instance of the countersign nobody has completed (the join no longer waits for it)",
        "a holder of one of its open instances, the case's initiator, admins", "OperationResult", "removeSigner",
        "RemoveSignerRequest"),
    "/tasks/{task_id}/send-back": _task_op(
        "退回: return the case to an earlier completed step (default the previous one; others where the diagram's "
        "`sendBackTo` allows), reason required", "the holder, not a delegate; a target the process owner does not "
        "allow is 403, one that is not an earlier step 422", "OperationResult", "sendBackTask", "SendBackRequest"),
    "/tasks/{task_id}/withdraw": _task_op(
        "撤回: take back a completed step while the steps it opened are untouched", "the person who completed it; "
        "409 once anyone acted since", "OperationResult", "withdrawTask", None,
        ["BadRequest", "Forbidden", "NotFound", "Conflict"]),
    "/tasks/{task_id}/urge": _task_op(
        "催办: press the holder of an open task", "anyone who sees the case and does not hold the task (initiator, "
        "participants, supervisors)", "UrgeResult", "urgeTask", "UrgeRequest", code=201),
    "/tasks/{task_id}/cc": _task_op(
        "抄送: give people read access to the case and list it under 抄送我的", "the holder or delegate, the "
        "initiator, supervisors of the unit, admins", "CcResult", "copyTask", "CcRequest"),
    "/tasks/{task_id}/operations": {"get": op(
        "What the caller may do on the task now (and its comments, attachments, delegate's input, send-back "
        "reason)", "those who may see the task's case", (200, "TaskOperations"), ["NotFound"], tag="tasks",
        operation_id="getTaskOperations", params=[ID["task_id"]])},
    "/tasks/{task_id}/comments": _task_op(
        "留言 on a task (appears in the case's timeline)", "those who may see the case", "Comment",
        "commentOnTask", "CommentRequest", ["BadRequest", "NotFound", "Unprocessable"], code=201),
    "/tasks/{task_id}/attachments": {"post": op(
        "Attach a file to an open task (pdf, doc, docx, xls, xlsx, png, jpg, txt, zip; checked by content; size "
        "limited)", "the holder, delegate or a queue member of the task, or the case's initiator",
        (201, "Attachment"), ["BadRequest", "Forbidden", "NotFound", "Conflict", "Unprocessable"], tag="tasks",
        operation_id="uploadAttachment", params=[ID["task_id"]],
        body={"required": True, "content": {"multipart/form-data": {"schema": obj(
            ["file"], file={"type": "string", "format": "binary"})}}})},
    "/tasks/bulk": {"post": op(
        "Claim, transfer or urge several tasks; each in its own transaction, each reported", "per task, as the "
        "single operation (a refused task is reported, not fatal)", (200, "BulkResult"),
        ["BadRequest", "Unprocessable"], tag="tasks", operation_id="bulkTasks", body=json_request("BulkRequest"))},
    "/instances/{instance_id}/withdraw": {"post": op(
        "撤回: the initiator takes the whole case back while nobody else has acted (it ends cancelled, reason "
        "\"withdrawn\")", "the initiator", (200, "OperationResult"),
        ["BadRequest", "Forbidden", "NotFound", "Conflict", "Unprocessable"], tag="instances",
        operation_id="withdrawInstance", params=[ID["instance_id"]], body=json_request("NoteRequest", False))},
    "/instances/{instance_id}/comments": {
        "post": op("留言 on a case", "those who may see the case", (201, "Comment"),
                   ["BadRequest", "NotFound", "Unprocessable"], tag="instances", operation_id="commentOnInstance",
                   params=[ID["instance_id"]], body=json_request("CommentRequest")),
        "get": op("The case's comments, oldest first", "those who may see the case", (200, "CommentList"),
                  ["NotFound"], tag="instances", operation_id="listInstanceComments", params=[ID["instance_id"]]),
    },
    "/instances/{instance_id}/attachments": {"get": op(
        "The case's attachments (without content)", "those who may see the case", (200, "AttachmentList"),
        ["NotFound"], tag="instances", operation_id="listInstanceAttachments", params=[ID["instance_id"]])},
    "/attachments/{attachment_id}": {"get": {**op(
        "Download an attachment (always as a download, never rendered)", "those who may see its case (anyone "
        "else: 404)", (200, "OpenApiDocument"), ["NotFound"], tag="tasks", operation_id="downloadAttachment",
        params=[_AID]),
        "responses": {"200": {"description": "the file, `Content-Disposition: attachment`, "
                                             "`X-Content-Type-Options: nosniff`",
                              "content": {"application/octet-stream": {"schema": {"type": "string",
                                                                                  "format": "binary"}}}},
                      "401": {"$ref": "#/components/responses/Unauthorized"},
                      "404": {"$ref": "#/components/responses/NotFound"}}}},
    "/notifications": {"get": op(
        "The caller's newest notifications (the bell) and the unread count", "any authenticated caller (own only)",
        (200, "NotificationList"), ["Unprocessable"], tag="me", operation_id="listNotifications", params=[
            query("unread", BOOL, "only unread ones"),
            query("limit", {"type": "integer", "minimum": 1, "maximum": 200, "default": 50}, "how many")])},
    "/notifications/read": {"post": op(
        "Mark notifications read (given ids, or all)", "any authenticated caller (own only; others' ids are "
        "ignored)", (200, "ReadResult"), ["BadRequest", "Unprocessable"], tag="me",
        operation_id="readNotifications", body=json_request("ReadRequest"))},
    "/me/proxy": {
        "get": op("The caller's proxy (代理) in force or to come", "any authenticated caller (own only)",
                  (200, "CurrentProxy"), [], tag="me", operation_id="getProxy"),
        "put": op("Name a deputy for a date range: new tasks for the caller go to the deputy (replaces any "
                  "earlier one)", "any authenticated caller (own only)", (200, "Proxy"),
                  ["BadRequest", "Unprocessable"], tag="me", operation_id="setProxy",
                  body=json_request("ProxyRequest")),
        "delete": op("End the caller's proxy", "any authenticated caller (own only)", (200, "ProxyRevoked"),
                     ["BadRequest"], tag="me", operation_id="revokeProxy"),
    },
})


# -- supervision (issue 6): the dashboard's figures --------------------------------------------------------------------

_FIGURE_LINK = {"filter": {"type": "object", "additionalProperties": True,
                           "description": "the case-list filter (GET /instances parameters) behind this figure"},
                "link": {"type": "string", "description": "the /cases page listing those cases"}}
_DURATION = {"count": INT, "avg_seconds": null({"type": "number"}), "p90_seconds": null({"type": "number"})}
SCHEMAS.update({
    "Dashboard": obj(
        ["totals", "by_status", "by_unit", "overdue_by_unit", "overdue_by_step", "step_durations",
         "process_durations", "trend"],
        description="Figures over the caller's supervised units. Counts (totals, by status, unit and step, the "
                    "weekly trend) are exact. Durations (average, 90th percentile, `count`) describe a sample: the "
                    "newest completions within the window (`days`), at most `durations_sample.max` of them.",
        generated_at=TIME, filters=OBJ,
        totals=obj(["cases", "running", "open_tasks", "overdue_tasks", "overdue_cases"], cases=INT, running=INT,
                   open_tasks=INT, overdue_tasks=INT, overdue_cases=INT),
        by_status=arr(obj(["status", "count"], status=STATUS, count=INT, **_FIGURE_LINK)),
        by_unit=arr(obj(["unit", "name", "count"], unit=STR, name=STR, count=INT, by_status=OBJ, **_FIGURE_LINK)),
        overdue_by_unit=arr(obj(["unit", "name", "count"], unit=STR, name=STR, count=INT, **_FIGURE_LINK)),
        overdue_by_step=arr(obj(["definition", "element_id", "count"], definition=STR, definition_name=STR,
                                element_id=STR, name=STR, count=INT, **_FIGURE_LINK)),
        step_durations=arr(obj(["definition", "element_id", "count"], definition=STR, definition_name=STR,
                               element_id=STR, name=STR, **_DURATION, **_FIGURE_LINK)),
        process_durations=arr(obj(["definition", "count"], definition=STR, name=STR, **_DURATION, **_FIGURE_LINK)),
        durations_sample=obj(["max", "days", "steps", "processes"], max=INT, days=INT, steps=INT, processes=INT,
                             capped=BOOL, description="how many completions the durations were computed from"),
        trend=arr(obj(["week", "started", "completed"], week={"type": "string", "format": "date",
                                                                "description": "Monday (Asia/Shanghai)"},
                      started=INT, completed=INT, **_FIGURE_LINK)),
    ),
})
PATHS.update({
    "/dashboard": {"get": op(
        "The supervision dashboard's figures: cases by status and unit, overdue tasks by unit and step, time per "
        "step and per process (average, 90th percentile), cases started and completed per week",
        "supervisors and admins (others 403); only the caller's supervised units", (200, "Dashboard"),
        ["Forbidden", "Unprocessable"], tag="instances", operation_id="getDashboard", params=[
            query("unit", STR, "unit code: that unit and its subtree"),
            query("definition", STR, "definition key"),
            query("weeks", {"type": "integer", "minimum": 1, "maximum": 104, "default": 12}, "trend length"),
            query("days", {"type": "integer", "minimum": 1, "maximum": 1095, "default": 180},
                  "window for the durations")])},
})

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
