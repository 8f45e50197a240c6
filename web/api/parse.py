"""Reading request bodies and query strings strictly: a malformed body is a 400, a wrong field a 422 naming the
field, never a 500 from deep inside a service function."""
from __future__ import annotations

import json
from typing import Any

from flask import request

from service.errors import ServiceError, ValidationFailed

TYPE_NAMES = {str: "字符串", dict: "对象", list: "数组", int: "整数", bool: "布尔值"}


class BadRequest(ServiceError):
    status = 400
    code = "bad_request"


def json_body() -> dict:
    """The request body as a JSON object; an empty body is an empty object."""
    raw = request.get_data(cache=True)
    if not raw.strip():
        return {}
    try:
        body = json.loads(raw)
    except (ValueError, UnicodeDecodeError) as err:
        raise BadRequest("请求体不是有效的 JSON", {"body": str(err)[:200]}) from None
    if not isinstance(body, dict):
        raise BadRequest("请求体必须是 JSON 对象", {"body": "必须是对象"})
    return body


def _has_type(value: Any, kind: type) -> bool:
    if kind is int:
        return isinstance(value, int) and not isinstance(value, bool)
    return isinstance(value, kind)


def fields(body: dict, required: dict[str, type] | None = None, optional: dict[str, type] | None = None) -> dict:
    """Check the named fields' presence and JSON types; unknown fields are ignored. Null counts as absent."""
    errors, values = {}, {}
    for name, kind in (required or {}).items():
        value = body.get(name)
        if value is None or (kind is str and isinstance(value, str) and not value.strip()):
            errors[name] = "必填"
        elif not _has_type(value, kind):
            errors[name] = f"必须是{TYPE_NAMES[kind]}"
        else:
            values[name] = value
    for name, kind in (optional or {}).items():
        value = body.get(name)
        if value is None:
            values[name] = None
        elif not _has_type(value, kind):
            errors[name] = f"必须是{TYPE_NAMES[kind]}"
        else:
            values[name] = value
    if errors:
        raise ValidationFailed("请求参数有误", errors)
    return values


def flag(name: str) -> bool:
    return request.args.get(name, "").strip().lower() in ("1", "true", "yes", "on")


def int_arg(name: str, default: int) -> int:
    raw = request.args.get(name)
    if raw is None or raw == "":
        return default
    try:
        return int(raw)
    except ValueError:
        raise ValidationFailed("查询参数有误", {name: "必须是整数"}) from None
