"""`jiandu bench`: the engine floor, Jiandu's step in-process and over HTTP, their ratio, and how cost grows.

Prints a table per scenario and ends with one JSON line (engine_floor_ms, http_step_ms, ratio, loop_500_over_1,
inbox_1m_over_10k, …). Never a test: timings are reported, not asserted.
"""
from __future__ import annotations

import json
import statistics
import tempfile
import time
from dataclasses import dataclass, field
from pathlib import Path

from sqlalchemy import event, select

from .. import definitions, demo, inbox, instances, org, runtime, schema
from ..config import PROJECT_ROOT, Settings
from ..context import Jiandu
from ..models import HumanTask, ProcessInstance, User
from .floor import walk_floor
from .scenarios import LINEAR_SCENARIO, LOOP_SCENARIO, MAJOR_DECISION, Scenario


def pct(values: list[float], q: float) -> float:
    if not values:
        return float("nan")
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(round(q * (len(ordered) - 1))))]


def ms(seconds: float) -> float:
    return round(seconds * 1000, 3)


@dataclass
class Counter:
    statements: int = 0
    commits: int = 0

    def install(self, engine) -> None:
        event.listen(engine, "before_cursor_execute", self._statement)
        event.listen(engine, "commit", self._commit)

    def _statement(self, *args) -> None:
        self.statements += 1

    def _commit(self, *args) -> None:
        self.commits += 1

    def reset(self) -> None:
        self.statements = self.commits = 0


@dataclass
class Measured:
    floor: list[float] = field(default_factory=list)
    step: list[float] = field(default_factory=list)
    http: list[float] = field(default_factory=list)
    start: list[float] = field(default_factory=list)
    statements: list[int] = field(default_factory=list)
    commits: list[int] = field(default_factory=list)


class Bench:
    def __init__(self, jd: Jiandu, out=print):
        self.jd, self.out = jd, out
        self.counter = Counter()
        self.counter.install(jd.db.engine)
        self._users: dict[str, User] = {}

    def user(self, username: str) -> User:
        if username not in self._users:
            with self.jd.db.read() as session:
                self._users[username] = session.scalar(select(User).where(User.username == username))
        return self._users[username]

    # -- in-process ------------------------------------------------------------------------------------------
    def start(self, scenario: Scenario, data: dict | None = None) -> tuple[int, float]:
        started = time.perf_counter()
        with self.jd.db.write() as session:
            case = instances.start(session, self.user(scenario.starter), scenario.key, "district",
                                   title="基准案件", data={**scenario.start_data, **(data or {})}).instance
        return case.id, time.perf_counter() - started

    def next_task(self, instance_id: int) -> HumanTask | None:
        with self.jd.db.read() as session:
            return session.scalar(select(HumanTask).where(HumanTask.instance_id == instance_id, HumanTask.state == "open")
                                  .order_by(HumanTask.element_id, HumanTask.id).limit(1))

    def holder(self, task: HumanTask) -> str:
        return task.candidates[0]

    def step(self, scenario: Scenario, task: HumanTask) -> tuple[float, int, int]:
        """One person's step as the app does it: read the inbox, then complete the task."""
        actor = self.user(self.holder(task))
        self.counter.reset()
        started = time.perf_counter()
        with self.jd.db.read() as session:
            inbox.todo(session, actor, inbox.Query(per_page=20))
        before = (self.counter.statements, self.counter.commits)
        with self.jd.db.write() as session:
            instances.complete(session, actor, task.id, scenario.data_for(task.element_id))
        elapsed = time.perf_counter() - started
        return elapsed, self.counter.statements - before[0], self.counter.commits - before[1]

    def walk(self, scenario: Scenario, measured: Measured, max_steps: int = 60) -> int:
        instance_id, start_time = self.start(scenario)
        measured.start.append(start_time)
        for _ in range(max_steps):
            task = self.next_task(instance_id)
            if task is None:
                break
            elapsed, statements, commits = self.step(scenario, task)
            measured.step.append(elapsed)
            measured.statements.append(statements)
            measured.commits.append(commits)
        return instance_id

    def variables(self, scenario: Scenario) -> dict:
        with self.jd.db.read() as session:
            unit = org.unit_by_code(session, "district")
            context = org.unit_context(session, unit)
        return {**scenario.start_data, **context, "initiator": scenario.starter, "unit_code": "district"}

    def floor(self, scenario: Scenario, runs: int) -> list[float]:
        with self.jd.db.read() as session:
            definition = definitions.latest(session, scenario.key)
            parsed = runtime.parsed(session, definition)
        variables = self.variables(scenario)
        timings = []
        for _ in range(runs):
            timings.extend(walk_floor(parsed, scenario, variables))
        return timings


def prepare(database_url: str | None, workdir: Path) -> Jiandu:
    url = database_url or f"sqlite:///{workdir / 'bench.db'}"
    jd = Jiandu(Settings(database_url=url, instance_path=workdir / "instance"))
    schema.upgrade(jd.db)
    with jd.db.read() as session:
        if session.scalar(select(ProcessInstance.id).limit(1)) is not None:
            raise SystemExit(f"{url} already holds instances: give the benchmark an empty database")
    with jd.db.write() as session:
        org.ensure_roles(session)
        demo.load(session, workdir / "instance", "bench-password")
    with jd.db.write() as session:
        definitions.deploy_directory(session, None, PROJECT_ROOT / "workflows")
        files = [(name, text.encode()) for s in (LINEAR_SCENARIO, LOOP_SCENARIO) for name, text in s.files]
        definitions.deploy(session, None, files)
    return jd


def report(out, title: str, m: Measured, floor_p50: float) -> dict:
    p50 = pct(m.step, 0.5)
    row = {
        "floor_p50_ms": ms(floor_p50), "step_p50_ms": ms(p50), "step_p90_ms": ms(pct(m.step, 0.9)),
        "step_over_floor": round(p50 / floor_p50, 2), "start_p50_ms": ms(pct(m.start, 0.5)),
        "statements_per_step": statistics.median(m.statements) if m.statements else None,
        "commits_per_step": statistics.median(m.commits) if m.commits else None,
        "steps": len(m.step),
    }
    if m.http:
        row.update(http_p50_ms=ms(pct(m.http, 0.5)), http_p90_ms=ms(pct(m.http, 0.9)),
                   http_over_floor=round(pct(m.http, 0.5) / floor_p50, 2))
    out(f"\n== {title}")
    for key, value in row.items():
        out(f"  {key:<22} {value}")
    return row


def loop_growth(bench: Bench, iterations: int, out, samples: int = 15) -> float:
    """Cost of a loop step at iteration `iterations` over iteration 1: the median of the first steps of a few fresh
    instances against the median of as many steps from `iterations` on. Enough samples on both sides that one
    slow commit (PostgreSQL waits for the disk) does not decide the ratio."""
    fresh = max(1, samples // 5)
    early, late = [], []
    for _ in range(fresh):
        instance_id, _ = bench.start(LOOP_SCENARIO)
        for _ in range(samples // fresh):
            early.append(bench.step(LOOP_SCENARIO, bench.next_task(instance_id))[0])
    for index in range(samples // fresh + 1, iterations + samples):  # the last instance goes on
        elapsed, _, _ = bench.step(LOOP_SCENARIO, bench.next_task(instance_id))
        if index >= iterations:
            late.append(elapsed)
    ratio = statistics.median(late) / statistics.median(early)
    out(f"\n== loop: step at iteration {iterations}: {ms(statistics.median(late))} ms, "
        f"iterations 1–{samples // fresh} of {fresh} fresh cases: {ms(statistics.median(early))} ms, "
        f"ratio {ratio:.2f}")
    return round(ratio, 2)


def measure_stack(jd: Jiandu, workdir: Path, floor_ms: float, quick: bool, http: bool, out) -> dict:
    """The stack's own floor beside the engine's: see service.bench.stack."""
    from .stack import http_floor, statement_costs
    found = statement_costs(jd, runs=2000 if quick else 10000)
    if http:
        found["http_stack_floor_ms"] = ms(http_floor(jd, workdir, pairs=300 if quick else 1500))
        found["http_stack_over_floor"] = round(found["http_stack_floor_ms"] / floor_ms, 2)
    out("\n== the stack alone")
    if http:
        out(f"  Flask + gunicorn, the step's two requests, no work: {found['http_stack_floor_ms']} ms "
            f"({found['http_stack_over_floor']}× the engine floor)")
    out(f"  one SELECT: {found['sqlalchemy_statement_us']} µs via SQLAlchemy Core, "
        f"{found['driver_statement_us']} µs on the driver; an empty session transaction: {found['session_us']} µs")
    return found


def run(database_url: str | None = None, quick: bool = False, http: bool = True, throughput: bool = False,
        out=print, scale_sizes: tuple[int, ...] | None = None) -> dict:
    with tempfile.TemporaryDirectory(prefix="jiandu-bench-") as tmp:
        workdir = Path(tmp)
        jd = prepare(database_url, workdir)
        bench = Bench(jd, out)
        runs = 15 if quick else 60
        results = {}
        server = None
        if http:
            from .http import HttpDriver
            server = HttpDriver(jd, workdir, out)
        try:
            for scenario, title, count in ((LINEAR_SCENARIO, "linear process, four user tasks", runs),
                                           (MAJOR_DECISION, "major_decision (三重一大)", max(3, runs // 6))):
                m = Measured(floor=bench.floor(scenario, count))
                for _ in range(count):
                    bench.walk(scenario, m)
                if server is not None:
                    for _ in range(max(2, count // 2)):
                        m.http.extend(server.walk(bench, scenario))
                results[scenario.key] = report(out, title, m, pct(m.floor, 0.5))
            loop_ratio = loop_growth(bench, 100 if quick else 500, out)
            stack = measure_stack(jd, workdir, results["bench_linear"]["floor_p50_ms"], quick, http, out)
            rates = {}
            if throughput:
                from .throughput import measure
                out("\n== throughput (4 clients, linear process over HTTP)")
                for workers in (1, 2):
                    rates[workers] = measure(bench, workdir, workers, seconds=8 if quick else 20, out=out)
        finally:
            if server is not None:
                server.close()
            jd.close()
    linear = results["bench_linear"]
    summary = {
        "engine_floor_ms": linear["floor_p50_ms"],
        "service_step_ms": linear["step_p50_ms"],
        "http_step_ms": linear.get("http_p50_ms"),
        "ratio": linear.get("http_over_floor"),
        "in_process_ratio": linear["step_over_floor"],
        "statements_per_complete": linear["statements_per_step"],
        "commits_per_complete": linear["commits_per_step"],
        "major_decision_ratio": results["major_decision"].get("http_over_floor"),
        **stack,
        "loop_iterations": 100 if quick else 500,
        "loop_500_over_1": loop_ratio if not quick else None,
        "loop_100_over_1": loop_ratio if quick else None,
        "inbox_1m_over_10k": None,
        "completions_per_s_1_worker": rates.get(1),
        "completions_per_s_2_workers": rates.get(2),
        "database": "postgresql" if database_url and database_url.startswith("postgresql") else "sqlite",
    }
    if scale_sizes:  # inboxes, case list and dashboard at 10k / 100k / 1M open tasks (service.bench.scale)
        from .scale import run_scale
        scaled = run_scale(database_url=database_url, sizes=scale_sizes, out=out, emit_json=False)
        summary.update({key: value for key, value in scaled.items() if key.endswith("_1m_over_10k")},
                       scale_p95_ms=scaled["scale_p95_ms"])
    out(json.dumps(summary, ensure_ascii=False))
    return summary
