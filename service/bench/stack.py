"""What the stack itself costs, measured in the same run as the step it sits under.

- The HTTP floor: the two requests of a step (inbox page, completion) against a Flask app that does no work
  (`web/stack_floor.py`), served by the same gunicorn as the real app. No Flask service's step can cost less.
- One SQL statement through SQLAlchemy Core, against the same statement straight on the database driver, and an
  empty session transaction (begin and commit): the price of the data layer per statement and per transaction,
  which a step pays about fifteen times over.

These explain the ratio of the HTTP step to the engine floor (docs/performance.md); nothing here is asserted.
"""
from __future__ import annotations

import statistics
import time
from pathlib import Path

from sqlalchemy import bindparam, select

from ..context import Jiandu
from ..models import User


def _per_call_us(fn, runs: int) -> float:
    for _ in range(min(200, runs)):
        fn()
    started = time.perf_counter()
    for _ in range(runs):
        fn()
    return round((time.perf_counter() - started) / runs * 1e6, 1)


def http_floor(jd: Jiandu, workdir: Path, pairs: int) -> float:
    """Median seconds for GET inbox + POST complete against the do-nothing app."""
    from .http import HttpDriver
    driver = HttpDriver(jd, workdir, app="web.stack_floor:app")
    try:
        driver.token("yangfan")
        timings = []
        for index in range(pairs):
            started = time.perf_counter()
            driver.call("GET", "/api/v1/tasks?view=todo&per_page=20", "yangfan")
            driver.call("POST", f"/api/v1/tasks/{index + 1}/complete", "yangfan", {"data": {"opinion": "同意"}})
            timings.append(time.perf_counter() - started)
        return statistics.median(timings[len(timings) // 10:])
    finally:
        driver.close()


def statement_costs(jd: Jiandu, runs: int) -> dict:
    """Microseconds for one indexed single-row SELECT via SQLAlchemy Core and via the driver, and for an empty
    read session (begin + commit), on the benchmark's own database."""
    statement = select(User.id, User.username).where(User.id == bindparam("id"))
    with jd.db.read() as session:
        connection = session.connection()
        user_id = connection.execute(select(User.id).limit(1)).scalar_one()
        compiled = statement.compile(dialect=connection.dialect)
        values = {"id": user_id}
        params = tuple(values[name] for name in compiled.positiontup) if compiled.positional else values
        cursor = connection.connection.driver_connection.cursor()
        sql = str(compiled)

        def via_driver():
            cursor.execute(sql, params)
            cursor.fetchone()

        costs = {
            "sqlalchemy_statement_us": _per_call_us(lambda: connection.execute(statement, values).first(), runs),
            "driver_statement_us": _per_call_us(via_driver, runs),
        }
        cursor.close()

    def empty_session():
        with jd.db.read() as other:
            other.connection()

    costs["session_us"] = _per_call_us(empty_session, runs)
    return costs
