"""Every in-process cache in one place, so the one event that invalidates them all can clear them all.

The caches hold things that never change for a given database (parsed specs of deployed versions, definition
and form versions, workflows kept alive between commands). A process serves one database; only the tests, which
rewrite the database under the same process between cases, need `clear_all()`.
"""
from __future__ import annotations


def clear_all() -> None:
    from . import assignment, definitions
    from .engine.live import LIVE
    from .engine.specs import SPECS
    SPECS.clear()
    LIVE.clear()
    definitions._FORMS.clear()
    definitions._DEFINITIONS.clear()
    assignment._role_names_cache = (0.0, {})
