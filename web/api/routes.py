"""Registers every API view on the blueprint (imported by the app factory)."""
from __future__ import annotations

from . import decisions, definitions, editor, instances, me, openapi, tasks  # noqa: F401
from . import discussion, operations, personal  # noqa: F401  (issue 7: the approval operations)
from . import supervision  # noqa: F401  (issue 6: the dashboard)
