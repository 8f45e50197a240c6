"""One error page for people, one JSON shape for programs; neither leaks internals."""
from __future__ import annotations

import logging

from flask import Flask, jsonify, render_template, request
from flask_wtf.csrf import CSRFError
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

    @app.errorhandler(Exception)
    def _unexpected(err: Exception):
        log.exception("unhandled error on %s %s", request.method, request.path)
        if wants_json():
            return json_error(500, "服务器内部错误")
        return render_template("error.html", status=500, message="服务器内部错误，请稍后重试"), 500
