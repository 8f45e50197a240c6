"""Shared fixtures: a real database (SQLite by default, PostgreSQL when JIANDU_TEST_DATABASE_URL is set) brought
to a known baseline — schema by Alembic, the standard roles and the demo organisation — before every test.

The baseline is built once per session and restored per test by rewriting every table from a snapshot, which is
the same on both databases and much faster than migrating and hashing demo passwords again.
"""
from __future__ import annotations

import os
from pathlib import Path

import pytest
from sqlalchemy import delete, insert, select, text

from service import caches, demo, org, schema
from service.config import Settings
from service.context import Jiandu
from service.models import Base

DEMO_PASSWORD = "demo-pass-2026"


def _database_url(tmp_root: Path) -> str:
    return os.environ.get("JIANDU_TEST_DATABASE_URL") or f"sqlite:///{tmp_root / 'test.db'}"


def _reset_postgres(jd: Jiandu) -> None:
    with jd.db.engine.begin() as conn:
        conn.execute(text("DROP SCHEMA public CASCADE"))
        conn.execute(text("CREATE SCHEMA public"))


@pytest.fixture(scope="session")
def baseline(tmp_path_factory):
    root = tmp_path_factory.mktemp("jiandu")
    settings = Settings(database_url=_database_url(root), instance_path=root / "instance")
    jd = Jiandu(settings)
    if jd.db.engine.dialect.name == "postgresql":
        _reset_postgres(jd)
    schema.upgrade(jd.db)
    with jd.db.write() as session:
        org.ensure_roles(session)
        demo.load(session, settings.instance_path, DEMO_PASSWORD)
    snapshot = {}
    with jd.db.engine.connect() as conn:
        for table in Base.metadata.sorted_tables:
            snapshot[table.name] = [dict(row) for row in conn.execute(select(table)).mappings()]
    yield jd, snapshot
    jd.close()


def restore(jd: Jiandu, snapshot: dict) -> None:
    caches.clear_all()  # ids repeat once the tables are rewritten
    tables = Base.metadata.sorted_tables
    with jd.db.engine.begin() as conn:
        if conn.dialect.name == "postgresql":
            names = ", ".join(t.name for t in tables)
            conn.execute(text(f"TRUNCATE {names} RESTART IDENTITY CASCADE"))
        else:
            for table in reversed(tables):
                conn.execute(delete(table))
        for table in tables:
            rows = snapshot[table.name]
            if rows:
                conn.execute(insert(table), rows)
            if conn.dialect.name == "postgresql" and "id" in table.c and rows:
                conn.execute(text(f"SELECT setval(pg_get_serial_sequence('{table.name}', 'id'), "
                                  f"(SELECT max(id) FROM {table.name}))"))


@pytest.fixture
def jd(baseline) -> Jiandu:
    service, snapshot = baseline
    restore(service, snapshot)
    return service


@pytest.fixture
def is_postgres(jd) -> bool:
    return jd.db.engine.dialect.name == "postgresql"
