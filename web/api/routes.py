"""Registers every API view on the blueprint (imported by the app factory)."""
from __future__ import annotations

from . import decisions, definitions, instances, me, openapi, tasks  # noqa: F401
