"""个人设置: who I am in the organisation, and my API tokens (created — shown once —, revoked).

Permission: signed in; a person only ever sees and revokes their own tokens (someone else's token id is 404).
"""
from __future__ import annotations

from flask import Blueprint, flash, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_login import current_user, login_required
from sqlalchemy import select

from service import org
from service.models import ApiToken, Unit
from service.operations import proxies

from ..db import read_session, write
from .common import role_label

bp = Blueprint("profile", __name__)


@bp.get("/profile")
@login_required
def index():
    return _render()


@bp.post("/profile/tokens")
@login_required
def create_token():
    name = (request.form.get("name") or "").strip()[:100] or _("未命名令牌")
    with write() as session:
        row, token = org.create_token(session, current_user.row, name)
        token_id = row.id
    # Rendered, not redirected: the token is shown exactly once and never stored in the session.
    return _render(new_token=token, new_token_id=token_id, new_token_name=name)


@bp.post("/profile/tokens/<int:token_id>/revoke")
@login_required
def revoke_token(token_id: int):
    with write() as session:
        org.revoke_token(session, current_user.row, token_id)
    flash(_("令牌已吊销，使用它的程序将无法再访问"), "success")
    return redirect(url_for("profile.index"))


def _render(**extra):
    session = read_session()
    profile = current_user.profile
    memberships = [{"unit": unit.name, "unit_code": unit.code, "role": role_label(role)}
                   for unit, role in profile.memberships]
    supervised = list(session.scalars(select(Unit.name).where(Unit.path.in_(profile.supervised_paths))
                                      .order_by(Unit.path)).all()) if profile.supervised_paths else []
    tokens = session.scalars(select(ApiToken).where(ApiToken.user_id == current_user.row.id)
                             .order_by(ApiToken.revoked_at.is_not(None), ApiToken.created_at.desc())).all()
    return render_template("profile.html", profile=profile, memberships=memberships, supervised=supervised,
                           tokens=tokens, proxy=proxies.current(session, current_user.row), **extra)
