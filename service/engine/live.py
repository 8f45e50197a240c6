"""Workflows kept alive in memory between commands, so a step need not deserialize what the last step saved.

Keyed by instance id and the state version the workflow was saved as. A command *takes* the workflow (nobody else
can then touch the same object); after its transaction commits, the workflow is *kept* under the new version. A
rollback keeps nothing, and a version that moved on in another process (another web worker, the timer worker) is
simply a miss: the state is then deserialized from the row as always. Reads never use this cache.
"""
from __future__ import annotations

import threading
from collections import OrderedDict

from sqlalchemy import event
from sqlalchemy.orm import Session

_PENDING = "jiandu_live_pending"


class LiveWorkflows:
    def __init__(self, size: int = 1000):
        self._size = size
        self._items: OrderedDict[int, tuple[int, object]] = OrderedDict()
        self._lock = threading.Lock()

    def take(self, instance_id: int, version: int):
        with self._lock:
            entry = self._items.pop(instance_id, None)
        if entry is not None and entry[0] == version:
            return entry[1]
        return None

    def keep_after_commit(self, session: Session, instance_id: int, version: int, workflow) -> None:
        session.info.setdefault(_PENDING, {})[instance_id] = (version, workflow)

    def forget(self, instance_id: int) -> None:
        with self._lock:
            self._items.pop(instance_id, None)

    def _commit(self, pending: dict) -> None:
        with self._lock:
            for instance_id, entry in pending.items():
                self._items[instance_id] = entry
                self._items.move_to_end(instance_id)
            while len(self._items) > self._size:
                self._items.popitem(last=False)

    def clear(self) -> None:
        with self._lock:
            self._items.clear()


LIVE = LiveWorkflows()


@event.listens_for(Session, "after_commit")
def _after_commit(session: Session) -> None:
    pending = session.info.pop(_PENDING, None)
    if pending:
        LIVE._commit(pending)


@event.listens_for(Session, "after_rollback")
def _after_rollback(session: Session) -> None:
    session.info.pop(_PENDING, None)
