"""The `jiandu` command: exit codes scripts can trust, and output a person can read."""
from __future__ import annotations

import json

import pytest
from click.testing import CliRunner

from service import cli
from tests.support import FIXTURES


@pytest.fixture
def run(jd, monkeypatch, tmp_path):
    monkeypatch.setenv("JIANDU_DATABASE_URL", jd.settings.database_url)
    monkeypatch.setenv("JIANDU_INSTANCE_PATH", str(tmp_path / "instance"))

    def _run(*args):
        return CliRunner().invoke(cli.main, list(args), catch_exceptions=False)
    return _run


def test_help_explains_every_command(run):
    result = run("--help")
    for command in ("init", "demo", "org", "token", "deploy", "serve", "worker", "audit"):
        assert command in result.output


def test_deploy_reports_success_then_no_change(run):
    files = [str(FIXTURES / n) for n in ("core_flow.bpmn", "core_draft.form", "core_approve.form")]
    first = run("deploy", *files)
    assert first.exit_code == 0 and "core_flow v1 deployed" in first.output
    assert "unchanged" in run("deploy", *files).output


def test_deploy_of_a_broken_file_exits_1_with_the_errors_as_json(run, tmp_path):
    broken = tmp_path / "broken.bpmn"
    broken.write_text('<?xml version="1.0"?>\n<bpmn:definitions xmlns:bpmn="http://www.omg.org/spec/BPMN/20100524/MODEL">\n<oops>')
    result = run("deploy", "--json", str(broken))
    assert result.exit_code == 1
    errors = json.loads(result.output)["errors"]
    assert errors[0]["line"] == 3 and errors[0]["file"] == "broken.bpmn"


def test_token_prints_the_token_alone_on_its_last_line(run):
    result = run("token", "lijianguo")
    assert result.exit_code == 0
    assert result.output.strip().splitlines()[-1].startswith("jd_")
    assert run("token", "nobody").exit_code == 3


def test_org_import_is_idempotent_and_refuses_bad_files(run, tmp_path):
    spec = {"units": [{"code": "newdept", "name": "新部门", "parent": "district"}],
            "users": [{"username": "newbie", "name": "新人", "password": "pw-123456",
                       "memberships": [{"unit": "newdept", "role": "office"}]}],
            "groups": [{"name": "taskforce", "members": ["newbie"]}]}
    path = tmp_path / "org.json"
    path.write_text(json.dumps(spec, ensure_ascii=False))
    assert run("org", "import", str(path)).exit_code == 0
    assert run("org", "import", str(path)).exit_code == 0
    bad = tmp_path / "bad.json"
    bad.write_text('{"users": [{"username": "x", "memberships": [{"unit": "nowhere", "role": "office"}]}]}')
    assert run("org", "import", str(bad)).exit_code != 0


def test_worker_once_and_audit_verify(run):
    assert run("worker", "--once").exit_code == 0
    assert run("audit", "verify").exit_code == 0


def test_bench_seed_fills_a_database_and_appends_on_a_second_run(run, tmp_path):
    """`jiandu bench-seed` on an empty database: the demo organisation, the generated people, the cases with their
    open tasks — and the dashboard's running totals agree with a recount of the rows it loaded around them."""
    from sqlalchemy import func, select

    from service import counters
    from service.config import Settings
    from service.context import Jiandu
    from service.models import HumanTask, ProcessInstance, User

    url = f"sqlite:///{tmp_path / 'seeded.db'}"
    first = run("bench-seed", "--users", "40", "--instances", "300", "--database-url", url)
    assert first.exit_code == 0, first.output
    report = json.loads(first.output.strip().splitlines()[-1])
    assert report["users_added"] == 40
    second = run("bench-seed", "--users", "40", "--instances", "200", "--database-url", url)
    assert json.loads(second.output.strip().splitlines()[-1])["users_added"] == 0  # 40 in total, already there

    jd = Jiandu(Settings(database_url=url, instance_path=tmp_path / "instance"))
    try:
        with jd.db.read() as session:
            assert session.scalar(select(func.count()).select_from(ProcessInstance)) == 500
            assert session.scalar(select(func.count()).where(User.username.like("gen%"))) == 40
            assert session.scalar(select(func.count()).where(HumanTask.state == "open")) > 300
            assert session.scalar(select(func.count()).where(User.username == "lijianguo")) == 1
        with jd.db.engine.connect() as conn:
            assert counters.stored(conn) == counters.recount(conn)
    finally:
        jd.close()
