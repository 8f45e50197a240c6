"""Engines and transactions.

One command is one transaction. On SQLite a write transaction starts with ``BEGIN IMMEDIATE`` so two writers
queue on the database lock instead of failing halfway with "database is locked" on upgrade; reads use a plain
deferred ``BEGIN`` and, with WAL, never block a writer. On PostgreSQL the instance row is locked with
``SELECT … FOR UPDATE`` inside the command (see ``service.locking``).
"""
from __future__ import annotations

from contextlib import contextmanager
from pathlib import Path
from typing import Iterator

from sqlalchemy import create_engine, event
from sqlalchemy.engine import Connection, Engine, make_url
from sqlalchemy.orm import Session, sessionmaker


def _sqlite_setup(engine: Engine) -> None:
    @event.listens_for(engine, "connect")
    def _on_connect(dbapi_conn, _record):
        dbapi_conn.isolation_level = None  # we issue BEGIN ourselves (see _on_begin)
        cursor = dbapi_conn.cursor()
        cursor.execute("PRAGMA journal_mode=WAL")
        cursor.execute("PRAGMA synchronous=NORMAL")
        cursor.execute("PRAGMA foreign_keys=ON")
        cursor.execute("PRAGMA busy_timeout=15000")
        cursor.close()

    @event.listens_for(engine, "begin")
    def _on_begin(conn):
        immediate = conn.get_execution_options().get("jiandu_write", False)
        conn.exec_driver_sql("BEGIN IMMEDIATE" if immediate else "BEGIN")


def make_engine(url: str, **kwargs) -> Engine:
    parsed = make_url(url)
    if parsed.get_backend_name() == "sqlite":
        if parsed.database and parsed.database != ":memory:":
            Path(parsed.database).parent.mkdir(parents=True, exist_ok=True)
        engine = create_engine(url, connect_args={"check_same_thread": False, "timeout": 15}, **kwargs)
        _sqlite_setup(engine)
        return engine
    kwargs.setdefault("pool_pre_ping", True)
    return create_engine(url, **kwargs)


class Database:
    """Owns the engine and hands out read and write transactions."""

    def __init__(self, url: str, **engine_kwargs):
        self.url = url
        self.engine = make_engine(url, **engine_kwargs)
        self.is_sqlite = self.engine.dialect.name == "sqlite"
        writer_bind = self.engine.execution_options(jiandu_write=True) if self.is_sqlite else self.engine
        self._reader = sessionmaker(self.engine, expire_on_commit=False, autoflush=False)
        self._writer = sessionmaker(writer_bind, expire_on_commit=False, autoflush=False)

    @contextmanager
    def write(self) -> Iterator[Session]:
        """A write transaction: commit on success, roll back everything on any exception."""
        with self._writer() as session:
            with session.begin():
                yield session

    @contextmanager
    def read(self) -> Iterator[Session]:
        with self._reader() as session:
            with session.begin():
                yield session

    @contextmanager
    def peek(self) -> Iterator[Connection]:
        """One short read outside any session: a request's credential check before the command that opens its
        own write transaction (a whole read session for one statement costs more than the statement).

        It commits rather than rolls back: psycopg forgets every statement it has prepared on the connection at a
        ROLLBACK, and PostgreSQL then plans each of the step's queries afresh (measured: 3 ms more per step)."""
        with self.engine.begin() as connection:
            yield connection

    def dispose(self) -> None:
        self.engine.dispose()
