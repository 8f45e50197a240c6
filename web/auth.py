"""Sign-in and sign-out (username + password, argon2), with failed attempts throttled."""
from __future__ import annotations

from urllib.parse import urlsplit

from flask import Blueprint, current_app, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_login import current_user, login_required, login_user, logout_user
from sqlalchemy import select

from service import audit
from service.models import User
from service.passwords import verify_password

from .db import read_session, write
from .principal import WebUser

bp = Blueprint("auth", __name__)


def _safe_next(target: str | None) -> str:
    if target and target.startswith("/") and not target.startswith("//") and not urlsplit(target).netloc:
        return target
    return url_for("inbox.index")


@bp.route("/login", methods=["GET", "POST"])
def login():
    if current_user.is_authenticated:
        return redirect(_safe_next(request.args.get("next")))
    error, username = None, ""
    status = 200
    if request.method == "POST":
        username = (request.form.get("username") or "").strip()[:64]
        password = request.form.get("password") or ""
        limiter = current_app.extensions["login_limiter"]
        address = request.remote_addr or "?"
        wait = limiter.blocked(address, username)
        if wait:
            error, status = _("登录失败次数过多，请 %(n)d 秒后再试", n=int(wait)), 429
        else:
            row = read_session().scalar(select(User).where(User.username == username))
            if row is not None and row.is_active and verify_password(row.password_hash, password):
                limiter.succeeded(address, username)
                login_user(WebUser(row))
                with write() as session:
                    audit.append(session, "user.login", actor=row, payload={"address": address})
                return redirect(_safe_next(request.form.get("next") or request.args.get("next")))
            verify_password(None, password) if row is None else None
            limiter.failed(address, username)
            error, status = _("用户名或密码错误"), 401
    return render_template("login.html", error=error, username=username,
                           next=request.args.get("next", "")), status


@bp.post("/logout")
@login_required
def logout():
    logout_user()
    return redirect(url_for("auth.login"))
