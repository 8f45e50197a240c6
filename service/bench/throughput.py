"""Completions per second with several clients against gunicorn with 1 and 2 workers (`jiandu bench --throughput`).

Each client thread walks its own instances of the linear process over HTTP (inbox read + complete per step) for a
fixed time; the figure is completed steps per second across all clients.
"""
from __future__ import annotations

import threading
import time
from pathlib import Path

from .http import HttpDriver
from .scenarios import LINEAR_SCENARIO


def measure(bench, workdir: Path, workers: int, clients: int = 4, seconds: float = 15.0, out=print) -> float:
    server = HttpDriver(bench.jd, workdir, out, workers=workers)
    done = [0] * clients
    stop = time.monotonic() + seconds
    errors: list[str] = []

    def client(index: int) -> None:
        driver = HttpDriver.__new__(HttpDriver)  # share the server and tokens, own connection
        driver.__dict__.update(server.__dict__)
        driver._connection = server.connect()
        try:
            while time.monotonic() < stop:
                status, created = driver.call("POST", "/api/v1/instances", LINEAR_SCENARIO.starter,
                                              {"definition": LINEAR_SCENARIO.key, "unit": "district",
                                               "title": f"吞吐量测试{index}"})
                if status != 201:
                    errors.append(f"start {status}")
                    return
                for _ in range(4):
                    task = bench.next_task(created["id"])
                    if task is None or time.monotonic() >= stop:
                        break
                    driver.call("GET", "/api/v1/tasks?view=todo&per_page=20", bench.holder(task))
                    status, answer = driver.call("POST", f"/api/v1/tasks/{task.id}/complete", bench.holder(task),
                                                 {"data": {}})
                    if status == 200:
                        done[index] += 1
                    elif status != 409:
                        errors.append(f"complete {status} {answer}")
        except Exception as err:  # reported, not raised: the figure says how far it got
            errors.append(repr(err))

    server.token(LINEAR_SCENARIO.starter)
    threads = [threading.Thread(target=client, args=(i,)) for i in range(clients)]
    started = time.monotonic()
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    elapsed = time.monotonic() - started
    server.close()
    rate = sum(done) / elapsed
    out(f"  gunicorn -w {workers}: {sum(done)} completions in {elapsed:.1f} s = {rate:.1f}/s"
        + (f" ({len(errors)} errors: {errors[:3]})" if errors else ""))
    return round(rate, 1)
