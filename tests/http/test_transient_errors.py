"""A transaction the database refused for a transient reason (deadlock, serialization failure, lock timeout,
SQLite's "database is locked") rolled back whole: the answer is 503 with Retry-After and a message that says
nothing happened — not a 500 — for programs and for people alike. Other database errors stay 500.

The refusals are the drivers' own exception classes, raised from a route registered for this test only: a real
deadlock through the app is what tests/unit/test_counter_locks.py and tests/system/test_many_workers.py provoke."""
from __future__ import annotations

import sqlite3

import psycopg
import pytest
from sqlalchemy.exc import OperationalError

REFUSALS = {
    "deadlock": psycopg.errors.DeadlockDetected("deadlock detected"),
    "serialization": psycopg.errors.SerializationFailure("could not serialize access"),
    "lock timeout": psycopg.errors.LockNotAvailable("canceling statement due to lock timeout"),
    "sqlite busy": sqlite3.OperationalError("database is locked"),
}


@pytest.fixture
def failing(app):
    raised = {}

    @app.get("/test-only/refused")
    def refused():
        raise OperationalError("UPDATE process_instances SET …", {}, raised["error"])
    return raised


@pytest.mark.parametrize("name", REFUSALS)
def test_a_transient_refusal_answers_503_retry_after(client, failing, name):
    failing["error"] = REFUSALS[name]
    answer = client.get("/test-only/refused", headers={"Accept": "application/json"})
    assert answer.status_code == 503 and answer.headers["Retry-After"] == "1"
    assert answer.get_json() == {"error": "系统繁忙，本次操作未生效，请稍后重试", "details": "retry"}
    page = client.get("/test-only/refused", headers={"Accept": "text/html"})
    assert page.status_code == 503 and "本次操作未生效" in page.get_data(as_text=True)


def test_other_database_errors_stay_500_and_say_nothing_of_the_sql(client, failing):
    failing["error"] = psycopg.errors.UndefinedTable('relation "nope" does not exist')
    answer = client.get("/test-only/refused", headers={"Accept": "application/json"})
    assert answer.status_code == 500 and "Retry-After" not in answer.headers
    assert "nope" not in answer.get_data(as_text=True) and "UPDATE" not in answer.get_data(as_text=True)
