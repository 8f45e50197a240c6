"""Helpers the tests share: acting as a user through the service, deploying fixtures, reading rows."""
from __future__ import annotations

from pathlib import Path

from sqlalchemy import select

from service import definitions, instances
from service.context import Jiandu
from service.models import HumanTask, ProcessInstance, User

FIXTURES = Path(__file__).parent / "fixtures"


def user(jd: Jiandu, username: str) -> User:
    with jd.db.read() as session:
        found = session.scalar(select(User).where(User.username == username))
        assert found is not None, username
        return found


def deploy(jd: Jiandu, *names_or_pairs, actor: str | None = None):
    """Deploy fixture files by name (tests/fixtures/NAME) or (filename, content) pairs."""
    files = []
    for item in names_or_pairs:
        if isinstance(item, tuple):
            name, content = item
            files.append((name, content.encode("utf-8") if isinstance(content, str) else content))
        else:
            files.append((Path(item).name, (FIXTURES / item).read_bytes()))
    with jd.db.write() as session:
        return definitions.deploy(session, user(jd, actor) if actor else None, files)


def start(jd: Jiandu, username: str, key: str, unit: str = "district", title: str = "测试案件", data: dict | None = None):
    with jd.db.write() as session:
        return instances.start(session, user(jd, username), key, unit, title=title, data=data).instance


def open_tasks(jd: Jiandu, instance_id: int) -> list[HumanTask]:
    with jd.db.read() as session:
        return list(session.scalars(select(HumanTask).where(
            HumanTask.instance_id == instance_id, HumanTask.state == "open").order_by(HumanTask.id)).all())


def task_named(jd: Jiandu, instance_id: int, element_id: str, mi_item: str | None = None) -> HumanTask:
    matches = [t for t in open_tasks(jd, instance_id) if t.element_id == element_id
               and (mi_item is None or t.mi_item == mi_item)]
    assert len(matches) == 1, f"{element_id}: {[(t.element_id, t.mi_item) for t in open_tasks(jd, instance_id)]}"
    return matches[0]


def complete(jd: Jiandu, username: str, task_id: int, data: dict | None = None):
    with jd.db.write() as session:
        return instances.complete(session, user(jd, username), task_id, data or {})


def instance(jd: Jiandu, instance_id: int) -> ProcessInstance:
    with jd.db.read() as session:
        return session.get(ProcessInstance, instance_id)


def holders(task: HumanTask) -> list[str]:
    return list(task.candidates)


def one_step_bpmn(key: str, name: str, step_name: str, candidate_groups: str) -> str:
    """A process of one user task, `review`, offered to the candidate groups (a role key, a group, ...)."""
    return f"""<?xml version="1.0" encoding="UTF-8"?>
<bpmn:definitions xmlns:bpmn="http://www.omg.org/spec/BPMN/20100524/MODEL"
                  xmlns:camunda="http://camunda.org/schema/1.0/bpmn" id="{key}_defs" targetNamespace="http://t">
  <bpmn:process id="{key}" name="{name}" isExecutable="true">
    <bpmn:startEvent id="start"/>
    <bpmn:sequenceFlow id="f1" sourceRef="start" targetRef="review"/>
    <bpmn:userTask id="review" name="{step_name}" camunda:candidateGroups="{candidate_groups}"/>
    <bpmn:sequenceFlow id="f2" sourceRef="review" targetRef="end"/>
    <bpmn:endEvent id="end"/>
  </bpmn:process>
</bpmn:definitions>"""
