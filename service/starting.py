"""Who may start which process for which unit.

A process may say who starts it with Camunda's `camunda:candidateStarterGroups` / `candidateStarterUsers`,
read as assignment expressions relative to the unit the case is about (Process A is started by
`parent.discipline`: the superior discipline lead starts it for the unit concerned). Without them, anyone who
holds a role in the unit, supervises it, or is an admin may start it there.
"""
from __future__ import annotations

from dataclasses import dataclass
from functools import lru_cache

from sqlalchemy.orm import Session

from . import definitions, org
from .assignment import InstanceScope, Resolver, parse
from .bpmn.inspect import BPMN_NS, CAMUNDA_NS
from .bpmn.xmlsafe import parse_xml
from .errors import Forbidden
from .models import ProcessDefinition, Unit, User


@lru_cache(maxsize=512)
def starter_attributes(checksum: str, bpmn_xml: str, key: str) -> tuple[str | None, str | None]:
    """(candidateStarterUsers, candidateStarterGroups) of the process deployed as `key`."""
    root = parse_xml(bpmn_xml)
    processes = list(root.iter(f"{{{BPMN_NS}}}process"))
    chosen = next((p for p in processes if p.get("id") == key), processes[0] if processes else None)
    if chosen is None:
        return None, None
    users = (chosen.get(f"{{{CAMUNDA_NS}}}candidateStarterUsers") or "").strip() or None
    groups = (chosen.get(f"{{{CAMUNDA_NS}}}candidateStarterGroups") or "").strip() or None
    return users, groups


def _starter_terms(definition: ProcessDefinition):
    users, groups = starter_attributes(definition.checksum, definition.bpmn_xml, definition.key)
    if not users and not groups:
        return None
    return parse(users, "user") + parse(groups, "group")


@dataclass
class Startable:
    definition: ProcessDefinition
    units: list[Unit]


def may_start(session: Session, user: User, definition: ProcessDefinition, unit: Unit,
              resolver: Resolver | None = None) -> bool:
    if user.is_admin:
        return True
    terms = _starter_terms(definition)
    if terms is None:
        return unit.id in {u.id for u in org.units_user_may_act_for(session, user)}
    resolver = resolver or Resolver(session)
    return user.id in resolver.resolve(terms, InstanceScope(unit.id, unit.path, None, {})).user_ids


def require_may_start(session: Session, user: User, definition: ProcessDefinition, unit: Unit) -> None:
    if not may_start(session, user, definition, unit):
        raise Forbidden("您不能为该单位发起此流程")


def startable(session: Session, user: User) -> list[Startable]:
    """Every process the user may start, with the units they may start it for."""
    from sqlalchemy import select
    all_units = list(session.scalars(select(Unit).order_by(Unit.path)).all())
    own_units = org.units_user_may_act_for(session, user)
    resolver = Resolver(session)
    result = []
    for definition in definitions.latest_definitions(session):
        if not definition.startable:
            continue
        terms = _starter_terms(definition)
        if user.is_admin:
            units = all_units
        elif terms is None:
            units = own_units
        else:
            units = [u for u in all_units
                     if user.id in resolver.resolve(terms, InstanceScope(u.id, u.path, None, {})).user_ids]
        if units:
            result.append(Startable(definition, units))
    return result
