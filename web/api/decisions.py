"""The "三重一大" record of dissent: the opinions given on one decision, and one member's dissents over time.

The permission rules live in `service.dissent` (imported when called, so the API stands without it).
"""
from __future__ import annotations

import importlib

from service.errors import ServiceError

from ..db import read_session
from ..principal import actor
from . import bp
from .serialize import page, reply


class Unavailable(ServiceError):
    status = 501
    code = "not_implemented"


def _dissent():
    try:
        return importlib.import_module("service.dissent")
    except ModuleNotFoundError as err:
        if err.name != "service.dissent":
            raise
        raise Unavailable("本系统未启用“三重一大”意见记录") from None


@bp.get("/instances/<int:instance_id>/opinions")
def instance_opinions(instance_id: int):
    return reply(_dissent().opinions(read_session(), actor(), instance_id))


@bp.get("/users/<username>/dissents")
def user_dissents(username: str):
    return reply(page(list(_dissent().dissents(read_session(), actor(), username))))
