"""Per-request access to the service: one read session per request, write transactions per command."""
from __future__ import annotations

from contextlib import contextmanager

from flask import current_app, g

from service.context import Jiandu


def service() -> Jiandu:
    return current_app.extensions["jiandu"]


def read_session():
    """A read-only session shared by the request (closed at teardown)."""
    if "jd_read" not in g:
        cm = service().db.read()
        g.jd_read_cm = cm
        g.jd_read = cm.__enter__()
    return g.jd_read


@contextmanager
def write():
    """One command = one transaction; the request's read session is closed first so SQLite never sees a reader
    holding a snapshot across our own write."""
    close_read()
    with service().db.write() as session:
        yield session


def close_read(exc=None) -> None:
    cm = g.pop("jd_read_cm", None)
    g.pop("jd_read", None)
    if cm is not None:
        cm.__exit__(None, None, None)
