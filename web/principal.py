"""The signed-in person as flask-login sees them, plus the lookups every request needs."""
from __future__ import annotations

from flask import g
from flask_login import AnonymousUserMixin, UserMixin, current_user
from sqlalchemy import select

from service import org
from service.models import User

from .db import read_session
from .extensions import login_manager


class WebUser(UserMixin):
    """A detached copy of the user row; `row` is what service functions take as the actor."""

    def __init__(self, row: User):
        self.row = row
        self.id = str(row.id)
        self.username = row.username
        self.name = row.name
        self.is_admin = row.is_admin

    def get_id(self) -> str:
        return self.id

    @property
    def profile(self) -> org.UserProfile:
        if "jd_profile" not in g:
            g.jd_profile = org.profile(read_session(), self.row)
        return g.jd_profile


class Anonymous(AnonymousUserMixin):
    username = ""
    name = ""
    is_admin = False
    row = None


login_manager.anonymous_user = Anonymous


@login_manager.user_loader
def load_user(user_id: str):
    if not user_id.isdigit():
        return None
    row = read_session().scalar(select(User).where(User.id == int(user_id), User.is_active.is_(True)))
    return WebUser(row) if row else None


def actor() -> User:
    """The acting user row for service calls (API token user or session user)."""
    if getattr(g, "api_user", None) is not None:
        return g.api_user
    return current_user.row
