"""Several web workers (real gunicorn processes) and several timer workers at once, on the same database.

Clients complete tasks concurrently over HTTP — different instances and the same instance from two sides — while
timer workers fire boundary timers. Afterwards every instance is consistent: each task ran once, the open task
rows match the engine, the audit chains verify, the dashboard's running totals equal a recount, and no request
failed with a server error.
"""
from __future__ import annotations

import http.client
import json
import os
import socket
import subprocess
import sys
import threading
import time
from concurrent.futures import ThreadPoolExecutor

import pytest
from sqlalchemy import func, select

from service import audit, counters, org, runtime, worker
from service.models import AuditEvent, HumanTask, ProcessInstance
from tests.support import deploy, open_tasks, user


def request(base: str, method: str, path: str, headers: dict | None = None, body: dict | None = None):
    """(status, JSON answer) over a fresh HTTP connection."""
    host, port = base.removeprefix("http://").split(":")
    conn = http.client.HTTPConnection(host, int(port), timeout=60)
    try:
        payload = json.dumps(body).encode() if body is not None else None
        conn.request(method, path, body=payload, headers={"Content-Type": "application/json", **(headers or {})})
        response = conn.getresponse()
        return response.status, json.loads(response.read() or b"{}")
    finally:
        conn.close()


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


@pytest.fixture
def gunicorn(jd, tmp_path):
    port = free_port()
    env = {**os.environ, "JIANDU_DATABASE_URL": jd.settings.database_url,
           "JIANDU_INSTANCE_PATH": str(jd.settings.instance_path), "JIANDU_SECURE_COOKIES": "0"}
    process = subprocess.Popen([sys.executable, "-m", "gunicorn", "-w", "2", "-k", "sync", "-b", f"127.0.0.1:{port}",
                                "--log-level", "warning", "web:create_app()"], env=env, cwd=os.getcwd(),
                               stderr=subprocess.PIPE)
    base = f"http://127.0.0.1:{port}"
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline:
        try:
            if request(base, "GET", "/api/v1/openapi.json")[0] == 200:
                break
        except OSError:
            time.sleep(0.2)
    else:
        process.kill()
        pytest.fail("gunicorn did not start: " + process.stderr.read().decode()[:2000])
    yield base
    process.terminate()
    process.wait(timeout=20)


def token(jd, username: str) -> dict:
    with jd.db.write() as session:
        _, value = org.create_token(session, user(jd, username), "workers-test")
    return {"Authorization": f"Bearer {value}"}


def test_two_web_workers_and_two_timer_workers_keep_every_instance_whole(jd, gunicorn):
    deploy(jd, "core_flow.bpmn", "core_draft.form", "core_approve.form", actor="owner")
    headers = {name: token(jd, name) for name in ("yangfan", "lijianguo", "wanghong", "zhangwei", "huangqiang")}
    statuses: list[int] = []
    lock = threading.Lock()

    def call(method: str, path: str, who: str, body: dict | None = None) -> dict:
        status, answer = request(gunicorn, method, path, headers[who], body)
        with lock:
            statuses.append(status)
        return answer

    created = [call("POST", "/api/v1/instances", "yangfan",
                    {"definition": "core_flow", "unit": "district", "title": f"并发案件{n}",
                     "data": {"members": ["wanghong", "zhangwei"]}})["id"] for n in range(6)]

    def walk(instance_id: int) -> None:
        """Finish the instance, each step by its holder; concurrent completions of its tasks race freely."""
        for _ in range(40):
            tasks = [t for t in open_tasks(jd, instance_id)]
            if not tasks:
                return
            def do(task):
                holder = task.candidates[0]
                data = {"draft": {"amount": 5000, "summary": "并发测试事项"}}.get(task.element_id, {})
                if task.element_id in ("secretary_approve", "member_review"):
                    data = {"decision": "同意"}
                call("POST", f"/api/v1/tasks/{task.id}/complete", holder, {"data": data})
            with ThreadPoolExecutor(max_workers=3) as pool:  # parallel branches of one case completed at once
                list(pool.map(do, tasks + tasks[:1]))          # and one of them submitted twice

    stop = threading.Event()
    timer_errors: list[str] = []

    def timers():
        while not stop.is_set():
            report = worker.run_once(jd.db)
            timer_errors.extend(report.errors)
            time.sleep(0.05)

    timer_threads = [threading.Thread(target=timers) for _ in range(2)]
    for thread in timer_threads:
        thread.start()
    try:
        with ThreadPoolExecutor(max_workers=4) as pool:
            list(pool.map(walk, created))
    finally:
        stop.set()
        for thread in timer_threads:
            thread.join(timeout=60)

    assert not timer_errors
    assert all(code < 500 for code in statuses), sorted(set(statuses))
    assert statuses.count(409) >= 1  # the double submits were refused, not run twice
    with jd.db.read() as session:
        for instance_id in created:
            case = session.get(ProcessInstance, instance_id)
            assert case.status == "completed", (instance_id, case.status, case.error)
            completions = session.execute(
                select(AuditEvent.task_id, func.count()).where(AuditEvent.instance_id == instance_id,
                                                               AuditEvent.kind == "task.completed")
                .group_by(AuditEvent.task_id)).all()
            assert completions and all(count == 1 for _, count in completions)  # no task ran twice
            rows = session.scalar(select(func.count()).select_from(HumanTask).where(
                HumanTask.instance_id == instance_id, HumanTask.state == "open"))
            assert rows == 0 and not runtime.ready_human_tasks(runtime.load(session, case))
            assert audit.verify_chain(session, f"instance:{instance_id}").ok
        conn = session.connection()  # the dashboard's running totals, kept by triggers under all this concurrency
        assert counters.stored(conn) == counters.recount(conn)
