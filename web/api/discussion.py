"""Comments on tasks and cases, and attachments on tasks (issue 7).

Reading and commenting need sight of the case (404 otherwise). Uploading needs the task open (409) and the
caller to work on it or to have started the case (403). A download is served as an attachment, never inline,
with `nosniff`, to whoever may see the case — anyone else gets 404 whether or not the file exists.

| route | permission |
|---|---|
| `POST /tasks/{id}/comments`, `POST /instances/{id}/comments`, `GET /instances/{id}/comments` | sees the case |
| `POST /tasks/{id}/attachments` (multipart `file`) | holder, delegate or queue member of the open task; the initiator |
| `GET /instances/{id}/attachments`, `GET /attachments/{id}` | sees the case |
"""
from __future__ import annotations

from io import BytesIO

from flask import request, send_file, url_for

from service.errors import ValidationFailed
from service.operations import attachments, comments

from ..db import read_session, service, write
from ..principal import actor
from . import bp
from .parse import fields, json_body
from .serialize import page, reply


def _comment(comment) -> dict:
    author = actor()
    return comments.as_dict(comment, author.username, author.name, None)


@bp.post("/tasks/<int:task_id>/comments")
def comment_on_task(task_id: int):
    body = fields(json_body(), required={"text": str})
    with write() as session:
        row = comments.add_to_task(session, actor(), task_id, body["text"])
        answer = _comment(row)
    return reply(answer, 201)


@bp.post("/instances/<int:instance_id>/comments")
def comment_on_instance(instance_id: int):
    body = fields(json_body(), required={"text": str})
    with write() as session:
        answer = _comment(comments.add_to_instance(session, actor(), instance_id, body["text"]))
    return reply(answer, 201)


@bp.get("/instances/<int:instance_id>/comments")
def instance_comments(instance_id: int):
    return reply(page(comments.for_instance(read_session(), actor(), instance_id)))


def _with_url(item: dict) -> dict:
    return {**item, "url": url_for("api.download_attachment", attachment_id=item["id"])}


@bp.post("/tasks/<int:task_id>/attachments")
def upload_attachment(task_id: int):
    upload = request.files.get("file")
    if upload is None:
        raise ValidationFailed("请选择文件", {"file": "必填（multipart 字段 file）"})
    limit = service().settings.attachment_max_bytes
    content = upload.read(limit + 1)
    with write() as session:
        row = attachments.add(session, actor(), task_id, upload.filename, content, max_bytes=limit)
        answer = _with_url(attachments.as_dict(row, actor().name))
    return reply(answer, 201)


@bp.get("/instances/<int:instance_id>/attachments")
def instance_attachments(instance_id: int):
    return reply(page([_with_url(a) for a in attachments.for_instance(read_session(), actor(), instance_id)]))


@bp.get("/attachments/<int:attachment_id>")
def download_attachment(attachment_id: int):
    return attachment_response(attachments.get(read_session(), actor(), attachment_id))


def attachment_response(row):
    """The file as a download: never rendered by the browser, whatever it contains."""
    response = send_file(BytesIO(row.content), mimetype=row.content_type, as_attachment=True,
                         download_name=row.filename, max_age=0, etag=False)
    response.headers["Content-Type"] = row.content_type
    response.headers["X-Content-Type-Options"] = "nosniff"
    response.headers["Content-Security-Policy"] = "default-src 'none'; sandbox"
    response.headers["Cache-Control"] = "private, no-store"
    return response
