"""`jiandu bench-scale` (and `jiandu bench --scale`): the read side at 10k, 100k and 1M open tasks.

One database grows in stages (``service.bench.seed``: people grow with the cases, about 30 open tasks per person
before queues, so a person's inbox holds a few dozen items at every size). At each stage, after the statistics
are refreshed as autovacuum would, each query below runs `runs` times, every call in its own read transaction as a
web request would, after a warm-up:

- ``todo``: a person's 待办, first page and count (`inbox.todo`), for a different generated person each call;
- ``queue``: a candidate's unclaimed group queue, first page and count (`inbox.queue`);
- ``cases``: the supervisor's case list with the default filters, first page and count (`cases.visible_instances`,
  scope "supervised": the district's subtree, about a fifth of all cases);
- ``cases_overdue``: the same with the overdue filter;
- ``dashboard``: every figure of the supervisor's dashboard (`dashboard.figures`).

Prints a table (p50 / p95 in ms per query and size; each from the least disturbed of five rounds, see
``Stage.measure``) and the ratio p95 at the largest size over p95 at the smallest, and returns the summary the last
JSON line carries (``inbox_1m_over_10k`` and its siblings). Timings are reported, never asserted.
"""
from __future__ import annotations

import json
import math
import platform
import random
import subprocess
import tempfile
import time
from pathlib import Path

from sqlalchemy import func, select, text

from .. import cases, dashboard, inbox, schema
from ..config import Settings
from ..context import Jiandu
from ..models import HumanTask, TaskCandidate, User
from . import seed as seeding

QUERIES = ("todo", "queue", "cases", "cases_overdue", "dashboard")
LABELS = {"todo": "todo inbox", "queue": "group queue", "cases": "case list", "cases_overdue": "case list, overdue",
          "dashboard": "dashboard"}
SUMMARY_KEYS = {"todo": "inbox", "queue": "queue", "cases": "cases", "cases_overdue": "cases_overdue",
                "dashboard": "dashboard"}
OPEN_TASKS_PER_INSTANCE = 0.82   # what the seeder's mix of statuses and parallel steps yields
OPEN_TASKS_PER_PERSON = 30
SUPERVISOR = "supervisor"
WARMUP = 30
ROUNDS = 5


def pct(values: list[float], q: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(round(q * (len(ordered) - 1))))]


def _ms(seconds: float) -> float:
    return round(seconds * 1000, 2)


def size_label(size: int) -> str:
    if size >= 1_000_000 and size % 1_000_000 == 0:
        return f"{size // 1_000_000}m"
    if size >= 1000 and size % 1000 == 0:
        return f"{size // 1000}k"
    return str(size)


def machine(jd: Jiandu) -> dict:
    """Where the figures came from."""
    info = {"cpus": _run(["nproc"]), "python": platform.python_version()}
    try:
        with open("/proc/meminfo", encoding="ascii") as handle:
            kb = int(handle.readline().split()[1])
        info["memory_gb"] = round(kb / 1024 / 1024, 1)
    except (OSError, ValueError, IndexError):
        pass
    with jd.db.engine.connect() as conn:
        if jd.db.is_sqlite:
            info["database"] = "SQLite " + conn.exec_driver_sql("SELECT sqlite_version()").scalar()
        else:
            info["database"] = conn.exec_driver_sql("SHOW server_version").scalar().split()[0]
            info["database"] = "PostgreSQL " + info["database"]
    return info


def _run(argv: list[str]) -> str | None:
    try:
        return subprocess.run(argv, capture_output=True, text=True, check=True).stdout.strip()
    except (OSError, subprocess.CalledProcessError):
        return None


class Stage:
    """The people and calls one size is measured with."""

    def __init__(self, jd: Jiandu, rng: random.Random):
        self.jd = jd
        with jd.db.read() as session:
            generated = User.username.startswith(seeding.USER_PREFIX, autoescape=True)
            holders = list(session.scalars(select(User).where(generated)).all())
            in_queues = set(session.scalars(select(TaskCandidate.user_id).distinct()).all())
            self.supervisor = session.scalar(select(User).where(User.username == SUPERVISOR))
        self.people = holders
        self.candidates = [u for u in holders if u.id in in_queues] or holders
        self.rng = rng

    def call(self, name: str) -> None:
        with self.jd.db.read() as session:
            if name == "todo":
                page = inbox.todo(session, self.rng.choice(self.people), inbox.Query())
            elif name == "queue":
                page = inbox.queue(session, self.rng.choice(self.candidates), inbox.Query())
            elif name == "cases":
                page = cases.visible_instances(session, self.supervisor, cases.CaseFilters(scope="supervised"))
            elif name == "cases_overdue":
                page = cases.visible_instances(session, self.supervisor,
                                               cases.CaseFilters(scope="supervised", overdue=True))
            else:
                dashboard.figures(session, self.supervisor)
                return
            assert page.items is not None

    def measure(self, names: tuple[str, ...], runs: int) -> dict:
        """p50/p95 of each query over `runs` calls, taken in ROUNDS rounds after a warm-up. Each pass calls every
        query once, so a passing disturbance falls on all of them alike; each query reports the round with the
        lowest p95 (its least disturbed one: on a shared machine other work comes and goes) and, beside it, the
        p50/p95 over all its calls."""
        per_round = max(1, runs // ROUNDS)
        timings: dict[str, list[list[float]]] = {name: [[] for _ in range(ROUNDS)] for name in names}
        for _ in range(WARMUP):
            for name in names:
                self.call(name)
        for round_ in range(ROUNDS):
            for _ in range(per_round):
                for name in names:
                    started = time.perf_counter()
                    self.call(name)
                    timings[name][round_].append(time.perf_counter() - started)
        result = {}
        for name, rounds in timings.items():
            best = min(rounds, key=lambda t: pct(t, 0.95))
            every = [value for t in rounds for value in t]
            result[name] = {"p50_ms": _ms(pct(best, 0.5)), "p95_ms": _ms(pct(best, 0.95)),
                            "all_p50_ms": _ms(pct(every, 0.5)), "all_p95_ms": _ms(pct(every, 0.95))}
        return result


def open_task_count(jd: Jiandu) -> int:
    with jd.db.read() as session:
        return session.scalar(select(func.count()).select_from(HumanTask).where(HumanTask.state == "open")) or 0


def grow_to(jd: Jiandu, size: int, out) -> dict:
    """Add cases (and people) until about `size` tasks are open."""
    have = open_task_count(jd)
    started = time.perf_counter()
    people = max(200, size // OPEN_TASKS_PER_PERSON)
    seeding.add_units(jd)
    added_people = seeding.add_users(jd, people)
    counts = {"instances": 0}
    if size > have:
        counts = seeding.add_instances(jd, math.ceil((size - have) / OPEN_TASKS_PER_INSTANCE))
    if not jd.db.is_sqlite:  # what autovacuum would do after a bulk load: statistics and the visibility map
        with jd.db.engine.connect().execution_options(isolation_level="AUTOCOMMIT") as conn:
            for table in ("process_instances", "human_tasks", "task_candidates", "users", "memberships",
                          "case_counts", "open_task_counts"):
                conn.execute(text(f"VACUUM ANALYZE {table}"))
    seconds = time.perf_counter() - started
    now_open = open_task_count(jd)
    out(f"  seeded {counts['instances']:,} cases and {added_people:,} people in {seconds:.0f} s: "
        f"{now_open:,} open tasks, {people:,} generated people")
    return {"open_tasks": now_open, "people": people, "seed_seconds": round(seconds, 1),
            "instances_added": counts["instances"]}


def measure_sizes(jd: Jiandu, sizes: tuple[int, ...], runs: int, out) -> dict:
    seeding.prepare(jd)
    first = open_task_count(jd)
    if first > sizes[0]:
        raise SystemExit(f"the database already holds {first:,} open tasks, more than the first size {sizes[0]:,}: "
                         "give the scale benchmark an empty database")
    info = machine(jd)
    out(f"\n== scale: {info['database']}, {info.get('cpus')} CPUs, {info.get('memory_gb')} GB")
    results = {}
    for size in sizes:
        out(f"-- {size:,} open tasks")
        grown = grow_to(jd, size, out)
        stage = Stage(jd, random.Random(size))
        figures = stage.measure(QUERIES, runs)
        results[size] = {**grown, "queries": figures}
        out("  " + "  ".join(f"{name} {f['p50_ms']}/{f['p95_ms']}" for name, f in figures.items()))
    return {"machine": info, "results": results}


def table(measured: dict, out) -> dict:
    """The table, and the ratios p95(largest) / p95(smallest)."""
    results = measured["results"]
    sizes = sorted(results)
    out(f"\n== p50 / p95 in ms ({measured['machine']['database']})")
    header = f"  {'query':<20}" + "".join(f"{size_label(s) + ' open tasks':>22}" for s in sizes) \
        + (f"{'p95 ratio':>12}" if len(sizes) > 1 else "")
    out(header)
    ratios = {}
    for name in QUERIES:
        cells = "".join(f"{results[s]['queries'][name]['p50_ms']:>11.2f} /{results[s]['queries'][name]['p95_ms']:>8.2f}"
                        for s in sizes)
        ratio = None
        if len(sizes) > 1:
            ratio = round(results[sizes[-1]]["queries"][name]["p95_ms"] / results[sizes[0]]["queries"][name]["p95_ms"],
                          2)
            cells += f"{ratio:>12.2f}"
        ratios[name] = ratio
        out(f"  {LABELS[name]:<20}{cells}")
    return ratios


def summary_keys(measured: dict, ratios: dict) -> dict:
    """``inbox_1m_over_10k`` and its siblings: p95 at 1M over p95 at 10k, None unless both sizes ran."""
    results = measured["results"]
    keys = {}
    for name, prefix in SUMMARY_KEYS.items():
        value = None
        if 1_000_000 in results and 10_000 in results:
            value = round(results[1_000_000]["queries"][name]["p95_ms"] / results[10_000]["queries"][name]["p95_ms"], 2)
        keys[f"{prefix}_1m_over_10k"] = value
    sizes = sorted(results)
    if len(sizes) > 1:
        keys["scale_sizes"] = sizes
        keys["scale_largest_over_smallest"] = ratios
    keys["scale_p95_ms"] = {size_label(s): {name: results[s]["queries"][name]["p95_ms"] for name in QUERIES}
                            for s in sizes}
    return keys


def run_scale(database_url: str | None = None, sizes: tuple[int, ...] = (10_000, 100_000, 1_000_000),
              runs: int = 200, out=print, emit_json: bool = True) -> dict:
    with tempfile.TemporaryDirectory(prefix="jiandu-scale-") as tmp:
        url = database_url or f"sqlite:///{Path(tmp) / 'scale.db'}"
        jd = Jiandu(Settings(database_url=url, instance_path=Path(tmp) / "instance"))
        try:
            schema.upgrade(jd.db)
            measured = measure_sizes(jd, sizes, runs, out)
        finally:
            jd.close()
    ratios = table(measured, out)
    summary = {**summary_keys(measured, ratios), "database": measured["machine"]["database"],
               "machine": measured["machine"],
               "scale_details": {size_label(s): {k: v for k, v in r.items() if k != "queries"}
                                 for s, r in measured["results"].items()}}
    if emit_json:
        out(json.dumps(summary, ensure_ascii=False))
    return summary
