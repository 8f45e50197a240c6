"""The benchmark's HTTP leg: the real app under gunicorn (one worker, as documented for production), driven over
keep-alive HTTP with bearer tokens — what a person's browser or a client program pays for one step."""
from __future__ import annotations

import http.client
import json
import os
import socket
import subprocess
import sys
import time
from pathlib import Path

from .. import org
from ..context import Jiandu
from .scenarios import Scenario


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


class HttpDriver:
    def __init__(self, jd: Jiandu, workdir: Path, out=print, workers: int = 1, worker_class: str = "sync",
                 app: str = "web:create_app()"):
        self.jd, self.out = jd, out
        self.port = _free_port()
        env = {**os.environ, "JIANDU_DATABASE_URL": jd.settings.database_url,
               "JIANDU_INSTANCE_PATH": str(jd.settings.instance_path), "JIANDU_SECURE_COOKIES": "0"}
        self.process = subprocess.Popen(
            [sys.executable, "-m", "gunicorn", "-w", str(workers), "-k", worker_class, "-b", f"127.0.0.1:{self.port}",
             "--log-level", "warning", app],
            env=env, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
        self._tokens: dict[str, str] = {}
        self._token_lock = __import__("threading").Lock()
        self._connection = self._wait_ready()

    def connect(self) -> http.client.HTTPConnection:
        return http.client.HTTPConnection("127.0.0.1", self.port, timeout=60)

    def _wait_ready(self) -> http.client.HTTPConnection:
        deadline = time.monotonic() + 60
        while time.monotonic() < deadline:
            try:
                conn = http.client.HTTPConnection("127.0.0.1", self.port, timeout=30)
                conn.request("GET", "/api/v1/openapi.json")
                if conn.getresponse().read() and True:
                    return conn
            except OSError:
                time.sleep(0.2)
        raise RuntimeError("gunicorn did not start: " + (self.process.stderr.read(2000).decode() if self.process.stderr else ""))

    def token(self, username: str) -> str:
        with self._token_lock:
            if username not in self._tokens:
                with self.jd.db.write() as session:
                    _, self._tokens[username] = org.create_token(session, org.user_by_name(session, username), "bench")
            return self._tokens[username]

    def call(self, method: str, path: str, username: str, body: dict | None = None) -> tuple[int, dict]:
        headers = {"Authorization": f"Bearer {self.token(username)}", "Content-Type": "application/json"}
        payload = json.dumps(body).encode() if body is not None else None
        try:
            self._connection.request(method, path, body=payload, headers=headers)
            response = self._connection.getresponse()
        except (http.client.HTTPException, OSError):  # the server closed the keep-alive connection: reconnect
            self._connection = self.connect()
            self._connection.request(method, path, body=payload, headers=headers)
            response = self._connection.getresponse()
        return response.status, json.loads(response.read() or b"{}")

    def walk(self, bench, scenario: Scenario, max_steps: int = 60) -> list[float]:
        """Start over HTTP, then each step: the holder reads their inbox and completes the task (timed)."""
        status, created = self.call("POST", "/api/v1/instances", scenario.starter,
                                    {"definition": scenario.key, "unit": "district", "title": "基准案件（HTTP）",
                                     "data": scenario.start_data})
        if status != 201:
            raise RuntimeError(f"start over HTTP failed: {status} {created}")
        timings = []
        for _ in range(max_steps):
            task = bench.next_task(created["id"])
            if task is None:
                break
            holder = bench.holder(task)
            self.token(holder)  # created outside the timing
            started = time.perf_counter()
            status, _ = self.call("GET", "/api/v1/tasks?view=todo&per_page=20", holder)
            status2, answer = self.call("POST", f"/api/v1/tasks/{task.id}/complete", holder,
                                        {"data": scenario.data_for(task.element_id)})
            timings.append(time.perf_counter() - started)
            if status != 200 or status2 != 200:
                raise RuntimeError(f"HTTP step failed: {status} / {status2} {answer}")
        return timings

    def close(self) -> None:
        self._connection.close()
        self.process.terminate()
        try:
            self.process.wait(timeout=10)
        except subprocess.TimeoutExpired:
            self.process.kill()
