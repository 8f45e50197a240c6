"""`GET /me`: who the caller is, where they hold roles, what they supervise and own. Any authenticated caller."""
from __future__ import annotations

from sqlalchemy import select

from service import org
from service.models import Role, Unit

from ..db import read_session
from ..principal import actor
from . import bp
from .serialize import reply


@bp.get("/me")
def me():
    session = read_session()
    user = actor()
    profile = org.profile(session, user)
    role_names = dict(session.execute(select(Role.key, Role.name)).all())
    supervised = session.scalars(select(Unit).where(Unit.path.in_(profile.supervised_paths))
                                 .order_by(Unit.path)).all() if profile.supervised_paths else []
    return reply({
        "id": user.id, "username": user.username, "name": user.name, "email": user.email,
        "roles": {"admin": profile.is_admin, "owner": profile.is_owner, "supervisor": profile.is_supervisor},
        "memberships": [{"unit": unit.code, "unit_name": unit.name, "role": role, "role_name": role_names.get(role, role)}
                        for unit, role in profile.memberships],
        "supervises": [{"unit": unit.code, "unit_name": unit.name} for unit in supervised],
        "owns": sorted(profile.owned_keys),
    })
