"""The JSON API under /api/v1 (DESIGN.md section 11).

Programs authenticate with `Authorization: Bearer <token>`; the app's own pages may call the same endpoints with
their session cookie, in which case unsafe methods need the CSRF token in the `X-CSRFToken` header. No or a bad
token gives 401 and a JSON error.
"""
from __future__ import annotations

from flask import Blueprint, g, request
from flask_login import current_user

from service import org

from ..db import read_session, service
from ..errors import json_error
from ..extensions import csrf

bp = Blueprint("api", __name__, url_prefix="/api/v1")
csrf.exempt(bp)

PUBLIC = {"api.openapi"}


@bp.before_request
def authenticate():
    g.api_user = None
    header = request.headers.get("Authorization", "")
    if header:
        scheme, _, token = header.partition(" ")
        user = _token_owner(token.strip()) if scheme.lower() == "bearer" and token.strip() else None
        if user is None:
            return json_error(401, "无效的访问令牌", "invalid_token")
        g.api_user = user
        return None
    if current_user.is_authenticated:
        g.api_user = current_user.row
        if request.method not in ("GET", "HEAD", "OPTIONS"):
            csrf.protect()
        return None
    if request.endpoint in PUBLIC:
        return None
    return json_error(401, "需要访问令牌（Authorization: Bearer <token>）", "unauthenticated")


def _token_owner(token: str):
    if request.method in ("GET", "HEAD", "OPTIONS"):  # the view reads in the same transaction
        return org.user_for_token(read_session().connection(), token)
    with service().db.peek() as connection:  # a command opens its own write transaction
        return org.user_for_token(connection, token)


def page_args() -> dict:
    """Common list parameters, clamped by the service."""
    return {
        "page": request.args.get("page", 1, type=int) or 1,
        "per_page": request.args.get("per_page", 20, type=int) or 20,
        "sort": request.args.get("sort", ""),
        "order": request.args.get("order", "desc"),
        "q": request.args.get("q", ""),
        "definition": request.args.get("definition", ""),
        "overdue": request.args.get("overdue", "").lower() in ("1", "true", "yes"),
    }
