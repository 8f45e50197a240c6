"""The `jiandu` command (DESIGN.md section 11).

Exit codes scripts can trust: 0 success; 1 the operation was refused (invalid definition, tampered audit chain,
bad organisation file); 2 usage error; 3 a named object does not exist.
"""
from __future__ import annotations

import json
import logging
import sys
from pathlib import Path

import click

from . import audit, definitions, org, schema, worker
from . import demo as demo_module
from .context import Jiandu
from .errors import DeployError, NotFound, ServiceError

EXIT_REFUSED, EXIT_NOT_FOUND = 1, 3


def _service() -> Jiandu:
    return Jiandu()


def _fail(message: str, code: int = EXIT_REFUSED) -> None:
    click.echo(message, err=True)
    sys.exit(code)


@click.group(help="Jiandu (监督): BPMN workflow service. All commands read JIANDU_DATABASE_URL "
                  "(default sqlite:///instance/jiandu.db).")
def main() -> None:
    logging.basicConfig(level=logging.INFO, format="%(asctime)s %(levelname)s %(name)s: %(message)s")
    # SpiffWorkflow logs every task state change at INFO: a dozen lines per step, and formatting them costs more
    # than the step itself. Its warnings and errors still show.
    logging.getLogger("spiff").setLevel(logging.WARNING)


@main.command(help="Create or upgrade the schema and deploy the shipped workflows/ (a new version only where content changed).")
@click.option("--workflows", type=click.Path(file_okay=False, path_type=Path), default=None,
              help="Folder of *.bpmn and forms/*.form to deploy (default: the project's workflows/).")
def init(workflows: Path | None) -> None:
    jd = _service()
    schema.upgrade(jd.db)
    with jd.db.write() as session:
        org.ensure_roles(session)
        try:
            deployed = definitions.deploy_directory(session, None, workflows or jd.settings.workflows_path)
        except DeployError as err:
            _print_errors(err.errors)
            sys.exit(EXIT_REFUSED)
    click.echo(f"schema up to date at {jd.settings.database_url}")
    for item in deployed:
        click.echo(f"  {item.key} v{item.version} {'deployed' if item.created else 'unchanged'}")


@main.command(help="Load the demo organisation and users (idempotent) and print how to sign in.")
@click.option("--password", default=None, help="Use this password for every demo user (default: generated once).")
def demo(password: str | None) -> None:
    jd = _service()
    with jd.db.write() as session:
        created, shown = demo_module.load(session, jd.settings.instance_path, password)
    click.echo("演示组织已" + ("创建" if created else "存在") + "。登录 http://127.0.0.1:5000 ，演示账号（密码相同）：")
    for username, name, role in demo_module.ACCOUNTS:
        click.echo(f"  {username:<14} {name:<6} {role}")
    click.echo(f"演示密码 / demo password: {shown}" + ("" if created else "  (saved in instance/demo-passwords.txt)"))


@main.group(name="org", help="Organisation: units, users, memberships, groups.")
def org_group() -> None:
    pass


@org_group.command(name="import", help="Load units, users and memberships from a JSON file (idempotent).")
@click.argument("file", type=click.File("rb"))
def org_import(file) -> None:
    try:
        spec = json.loads(file.read().decode("utf-8-sig"))
    except (UnicodeDecodeError, json.JSONDecodeError) as err:
        _fail(f"not a JSON organisation file: {err}")
    jd = _service()
    try:
        with jd.db.write() as session:
            counts = org.import_org(session, spec)
    except (ServiceError, KeyError, TypeError) as err:
        _fail(f"organisation file refused: {getattr(err, 'message', err)!s} {getattr(err, 'details', '') or ''}")
    click.echo(json.dumps(counts, ensure_ascii=False))


@main.command(help="Print a new API token for USERNAME (the token alone on the last line).")
@click.argument("username")
@click.option("--name", default="cli", help="A label to recognise the token by.")
def token(username: str, name: str) -> None:
    jd = _service()
    try:
        with jd.db.write() as session:
            user = org.user_by_name(session, username)
            _, value = org.create_token(session, user, name)
    except NotFound as err:
        _fail(err.message, EXIT_NOT_FOUND)
    click.echo(f"API token for {username} (shown once; send as 'Authorization: Bearer <token>'):")
    click.echo(value)


@main.command(help="Deploy BPMN (+ .form) files; exits 1 with the error list when anything is invalid.")
@click.argument("files", nargs=-1, required=True, type=click.Path(exists=True, dir_okay=False, path_type=Path))
@click.option("--json", "as_json", is_flag=True, help="Print the result or the errors as JSON.")
def deploy(files: tuple[Path, ...], as_json: bool) -> None:
    jd = _service()
    try:
        with jd.db.write() as session:
            deployed = definitions.deploy(session, None, [(p.name, p.read_bytes()) for p in files])
    except DeployError as err:
        if as_json:
            click.echo(json.dumps({"errors": err.errors}, ensure_ascii=False, indent=1))
        else:
            _print_errors(err.errors)
        sys.exit(EXIT_REFUSED)
    result = [{"key": d.key, "version": d.version, "created": d.created, "warnings": d.warnings} for d in deployed]
    if as_json:
        click.echo(json.dumps(result, ensure_ascii=False, indent=1))
        return
    for item in deployed:
        click.echo(f"{item.key} v{item.version} {'deployed' if item.created else 'unchanged (identical content)'}")
        for warning in item.warnings:
            click.echo(f"  warning: {_format(warning)}")


def _format(entry: dict) -> str:
    where = ":".join(str(x) for x in (entry.get("file"), entry.get("line")) if x)
    element = f" [{entry['element_id']}]" if entry.get("element_id") else ""
    return f"{where}{element} {entry['message']}".strip()


def _print_errors(errors: list[dict]) -> None:
    click.echo(f"{len(errors)} error(s):", err=True)
    for entry in errors:
        click.echo(f"  {_format(entry)}", err=True)


@main.command(help="Run the web app (with the in-process timer worker).")
@click.option("--host", default="127.0.0.1", show_default=True)
@click.option("--port", default=5000, show_default=True, type=int)
@click.option("--no-worker", is_flag=True, help="Do not start the in-process timer worker.")
def serve(host: str, port: int, no_worker: bool) -> None:
    from web import create_app

    app = create_app()
    if not no_worker:
        worker.start_background(app.extensions["jiandu"].db)
    app.run(host=host, port=port, threaded=True, use_reloader=False)


@main.command(name="worker", help="Fire due timers and deadline reminders in a loop (--once for one pass).")
@click.option("--once", is_flag=True, help="One pass, then exit.")
@click.option("--interval", default=5.0, show_default=True, help="Seconds between passes.")
def worker_command(once: bool, interval: float) -> None:
    jd = _service()
    if once:
        report = worker.run_once(jd.db)
        click.echo(json.dumps(report.__dict__, ensure_ascii=False))
        sys.exit(EXIT_REFUSED if report.errors else 0)
    worker.loop(jd.db, interval)


@main.group(name="audit", help="The tamper-evident audit chains.")
def audit_group() -> None:
    pass


@audit_group.command(name="verify", help="Recompute every chain; exit 1 naming the first broken event of each bad chain.")
@click.option("--json", "as_json", is_flag=True)
def audit_verify(as_json: bool) -> None:
    jd = _service()
    with jd.db.read() as session:
        reports = audit.verify_all(session)
    bad = [r for r in reports if not r.ok]
    if as_json:
        click.echo(json.dumps([r.as_dict() for r in reports], ensure_ascii=False, indent=1))
    else:
        click.echo(f"{len(reports)} chain(s), {sum(r.events for r in reports)} event(s), {len(bad)} broken")
        for report in bad:
            click.echo(f"BROKEN {report.chain} at event #{report.broken_seq}"
                       f"{f' (id {report.broken_event_id})' if report.broken_event_id else ''}: {report.reason}")
    sys.exit(EXIT_REFUSED if bad else 0)


def _sizes(value: str) -> tuple[int, ...]:
    try:
        sizes = tuple(sorted({int(part.replace("_", "")) for part in value.split(",") if part.strip()}))
    except ValueError:
        raise click.BadParameter("a comma-separated list of open-task counts, e.g. 10000,100000,1000000") from None
    if not sizes or sizes[0] <= 0:
        raise click.BadParameter("at least one positive size")
    return sizes


SIZES_HELP = "Open-task counts to measure at, comma-separated (default 10000,100000,1000000)."


@main.command(help="Benchmark: engine floor vs. Jiandu's step in-process and over HTTP; ends with one JSON line. "
                   "With --scale, also the inboxes, case list and dashboard at 10k, 100k and 1M open tasks.")
@click.option("--quick", is_flag=True, help="About a minute: fewer runs, a 100-iteration loop.")
@click.option("--database-url", default=None, help="An empty database to run against (default: a temporary SQLite file).")
@click.option("--no-http", is_flag=True, help="Skip the HTTP leg (no gunicorn).")
@click.option("--throughput", is_flag=True,
              help="Also measure completions per second with 1 and 2 gunicorn workers (4 concurrent clients).")
@click.option("--scale", is_flag=True, help="Also run the scale benchmark (seeds up to a million open tasks: minutes).")
@click.option("--sizes", default="10000,100000,1000000", show_default=False, help=SIZES_HELP)
def bench(quick: bool, database_url: str | None, no_http: bool, throughput: bool, scale: bool, sizes: str) -> None:
    from .bench.run import run
    run(database_url=database_url, quick=quick, http=not no_http, throughput=throughput and not no_http,
        out=click.echo, scale_sizes=_sizes(sizes) if scale else None)


@main.command(name="bench-scale", help="The scale benchmark alone: seeds a database in stages (10k, 100k, 1M open "
                                       "tasks), measures p50/p95 of the todo inbox, the group queue, the case list "
                                       "and the dashboard at each, prints a table and ends with one JSON line.")
@click.option("--database-url", default=None,
              help="An empty database to grow (default: a temporary SQLite file, removed afterwards).")
@click.option("--sizes", default="10000,100000,1000000", help=SIZES_HELP)
@click.option("--runs", default=200, show_default=True, type=int, help="Timed calls per query and size.")
def bench_scale(database_url: str | None, sizes: str, runs: int) -> None:
    from .bench.scale import run_scale
    run_scale(database_url=database_url, sizes=_sizes(sizes), runs=runs, out=click.echo)


@main.command(name="bench-seed", help="Fill a database quickly with realistic rows: the demo organisation plus "
                                      "generated districts and departments, USERS generated people, INSTANCES more "
                                      "cases of the shipped processes with their task rows. Appends; repeatable.")
@click.option("--users", type=int, required=True, help="Generated people in total (existing ones count).")
@click.option("--instances", type=int, required=True, help="Cases to add.")
@click.option("--database-url", default=None, help="Default: JIANDU_DATABASE_URL.")
@click.option("--seed", "rng_seed", type=int, default=6, show_default=True, help="Random seed.")
def bench_seed(users: int, instances: int, database_url: str | None, rng_seed: int) -> None:
    import time
    from .bench import seed as seeding
    from .config import Settings
    jd = Jiandu(Settings.from_env(database_url=database_url)) if database_url else _service()
    started = time.perf_counter()
    try:
        seeding.prepare(jd)
        counts = seeding.seed(jd, users=users, instances=instances, rng_seed=rng_seed)
    finally:
        jd.close()
    counts["seconds"] = round(time.perf_counter() - started, 1)
    click.echo(json.dumps(counts, ensure_ascii=False))


if __name__ == "__main__":
    main()
