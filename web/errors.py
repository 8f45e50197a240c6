"""One error page for people, one JSON shape for programs; neither leaks internals."""
from __future__ import annotations

import logging

from flask import Flask, jsonify, render_template, request
from flask_wtf.csrf import CSRFError
from sqlalchemy.exc import OperationalError
from werkzeug.exceptions import HTTPException

from service.errors import ServiceError

log = logging.getLogger("jiandu.web")


def wants_json() -> bool:
    return request.path.startswith("/api/") or request.accept_mimetypes.best == "application/json"


def json_error(status: int, message: str, details=None):
    response = jsonify({"error": message, "details": details})
    response.status_code = status
    return response


def install(app: Flask) -> None:
    @app.errorhandler(ServiceError)
    def _service_error(err: ServiceError):
        if wants_json():
            return json_error(err.status, err.message, err.details)
        return render_template("error.html", status=err.status, message=err.message, details=err.details), err.status

    @app.errorhandler(CSRFError)
    def _csrf(err: CSRFError):
        message = "表单已过期或缺少安全令牌（CSRF），请刷新页面后重试"
        if wants_json():
            return json_error(400, message, "csrf")
        return render_template("error.html", status=400, message=message), 400

    @app.errorhandler(HTTPException)
    def _http(err: HTTPException):
        messages = {401: "请先登录", 403: "您无权访问此页面", 404: "页面不存在或您无权查看",
                    405: "不支持该请求方法", 413: "上传内容过大", 429: "请求过于频繁"}
        message = messages.get(err.code, err.name)
        if wants_json():
            return json_error(err.code or 500, message)
        return render_template("error.html", status=err.code, message=message), err.code

    @app.errorhandler(OperationalError)
    def _database_busy(err: OperationalError):
        """A transient database refusal (deadlock, serialization failure, lock timeout): the transaction rolled
        back whole, so the honest answer is "nothing happened, try again" — 503 with Retry-After, not a 500."""
        if not _transient(err):
            return _unexpected(err)
        log.warning("transient database error on %s %s: %s", request.method, request.path, err.orig)
        message = "系统繁忙，本次操作未生效，请稍后重试"
        if wants_json():
            response = json_error(503, message, "retry")
        else:
            response = app.make_response((render_template("error.html", status=503, message=message), 503))
        response.headers["Retry-After"] = "1"
        return response

    @app.errorhandler(Exception)
    def _unexpected(err: Exception):
        log.exception("unhandled error on %s %s", request.method, request.path)
        if wants_json():
            return json_error(500, "服务器内部错误")
        return render_template("error.html", status=500, message="服务器内部错误，请稍后重试"), 500


_TRANSIENT_SQLSTATES = {"40001", "40P01", "55P03"}  # serialization failure, deadlock, lock not available


def _transient(err: OperationalError) -> bool:
    if getattr(err.orig, "sqlstate", None) in _TRANSIENT_SQLSTATES:
        return True
    return "database is locked" in str(err.orig)
