"""A Flask app that does no work, for `jiandu bench`: what the framework and the transport alone cost for a step.

The benchmark serves it with the same gunicorn settings as the real app and sends it the same two requests a
person's step makes (the inbox page, then the completion with its JSON body); it answers JSON of the same shape
from constants. No database, no engine, no authentication: whatever this costs sits under any Flask service's
step, and the benchmark prints it beside the engine floor so the ratio can be read for what it is.
"""
from __future__ import annotations

from flask import Flask, jsonify, request

app = Flask(__name__)
app.json.ensure_ascii = False

_ROW = {"id": 1, "name": "第一步", "element_id": "t1", "instance_id": 1, "instance_title": "基准案件",
        "definition_key": "bench_linear", "assignee": "yangfan", "assignee_name": "杨帆", "candidates": ["yangfan"],
        "created_at": "2026-11-27T08:00:00+08:00", "due_at": None, "overdue": False, "state": "open"}


@app.get("/api/v1/openapi.json")
def ready():
    return jsonify({"openapi": "3.0.3"})


@app.get("/api/v1/tasks")
def tasks():
    return jsonify({"items": [_ROW], "total": 1, "page": 1, "per_page": request.args.get("per_page", 20, type=int)})


@app.post("/api/v1/tasks/<int:task_id>/complete")
def complete(task_id: int):
    body = request.get_json(silent=True) or {}
    return jsonify({"task_id": task_id, "instance_id": 1, "instance_status": "running", "state_version": 2,
                    "next_tasks": [dict(_ROW, data=body.get("data"))]})
