"""Migrations run both ways on a database that already holds cases: migration 0006 (the dashboard's running
totals, kept by triggers) dropped and applied again over existing rows recounts them exactly, and the triggers
work afterwards; every revision downgrades to an empty schema and upgrades again. Runs on its own SQLite file,
not the suite's shared database. (0006's downgrade used to copy process_instances to drop a column, which the
foreign keys of existing tasks refused.)"""
from __future__ import annotations

from alembic import command
from sqlalchemy import inspect, update

from service import clock, counters, demo, org, schema
from service.config import Settings
from service.context import Jiandu
from service.models import HumanTask
from tests.support import complete, deploy, start, task_named


def test_0006_down_and_up_again_recounts_existing_cases_and_keeps_counting(tmp_path):
    jd = Jiandu(Settings(database_url=f"sqlite:///{tmp_path / 'migrations.db'}", instance_path=tmp_path / "instance"))
    try:
        schema.upgrade(jd.db)
        with jd.db.write() as session:
            org.ensure_roles(session)
            demo.load(session, tmp_path / "instance", "migration-test-pass")
        deploy(jd, "core_flow.bpmn", "core_draft.form", "core_approve.form", actor="owner")
        first = start(jd, "yangfan", "core_flow", data={"members": ["wanghong", "zhangwei"]}, title="甲")
        start(jd, "yangfan", "core_flow", data={"members": ["wanghong"]}, title="乙")
        complete(jd, "yangfan", task_named(jd, first.id, "draft").id, {"amount": 10, "summary": "小额事项"})
        with jd.db.write() as session:  # one task past its deadline and marked by the worker
            session.execute(update(HumanTask).where(HumanTask.instance_id == first.id, HumanTask.state == "open")
                            .values(due_at=clock.now(), escalated_at=clock.now()))
        with jd.db.engine.connect() as conn:
            before = counters.stored(conn)
        assert before["late_tasks"] and before["case_counts"] and before["open_task_counts"]

        config = schema.alembic_config(jd.db.url)
        with jd.db.engine.begin() as connection:
            config.attributes["connection"] = connection
            command.downgrade(config, "0005")
        assert "case_counts" not in inspect(jd.db.engine).get_table_names()

        schema.upgrade(jd.db)
        with jd.db.engine.connect() as conn:
            assert counters.stored(conn) == before == counters.recount(conn)

        second_draft = task_named(jd, first.id + 1, "draft")
        complete(jd, "yangfan", second_draft.id, {"amount": 20, "summary": "另一事项"})  # the triggers count again
        with jd.db.engine.connect() as conn:
            after = counters.stored(conn)
            assert after == counters.recount(conn) and after != before

        with jd.db.engine.begin() as connection:  # every revision's downgrade, with rows in the tables
            config.attributes["connection"] = connection
            command.downgrade(config, "base")
        assert "process_instances" not in inspect(jd.db.engine).get_table_names()
        schema.upgrade(jd.db)
        assert {"process_instances", "case_counts", "task_history"} <= set(inspect(jd.db.engine).get_table_names())
    finally:
        jd.close()
