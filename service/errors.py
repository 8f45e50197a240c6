"""Domain errors. Each maps to one HTTP status in the web layer and one exit code in the CLI."""
from __future__ import annotations

from typing import Any


class ServiceError(Exception):
    status = 400
    code = "bad_request"

    def __init__(self, message: str, details: Any = None):
        super().__init__(message)
        self.message = message
        self.details = details


class NotFound(ServiceError):
    status = 404
    code = "not_found"


class Forbidden(ServiceError):
    status = 403
    code = "forbidden"


class Conflict(ServiceError):
    """The object changed under the caller: a task already completed, a lost race, a second click."""

    status = 409
    code = "conflict"


class ValidationFailed(ServiceError):
    """Submitted data broke the rules; `details` maps field keys to messages."""

    status = 422
    code = "validation_failed"


class DeployError(ServiceError):
    """A definition did not pass validation; `details` is a list of {element_id, line, message}."""

    status = 422
    code = "invalid_definition"

    def __init__(self, errors: list[dict], message: str = "流程定义未通过校验"):
        super().__init__(message, errors)
        self.errors = errors


class ScriptError(ServiceError):
    """A condition or script in a diagram failed or was refused by the sandbox."""

    status = 422
    code = "script_error"
