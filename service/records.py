"""Sealed records: results a diagram computes (a quorum, a decision and its record) written into the audit chain.

Human input reaches the chain with each `task.completed` event, but what a script task computes from it lives only
in the workflow's data, which later steps may overwrite. A diagram marks a script task whose results must be kept
word for word with the extension property ``auditRecord`` (comma-separated variable names, set in the modeler's
properties panel). When such a task has completed, its variables are appended to the instance's chain as one
``record.sealed`` event by "system" (the record is the system's, whoever's step triggered it), exactly once per
run of the task (a task that runs again in a loop is a new run).
That is how the "三重一大" decision record (决策纪实) becomes tamper-evident, and how queries over many decisions
read their results without loading a workflow.
"""
from __future__ import annotations

from SpiffWorkflow.util.task import TaskState
from sqlalchemy.orm import Session

from . import audit, runtime
from .models import ProcessInstance

PROPERTY = "auditRecord"
EVENT = "record.sealed"
_SEALED = "jiandu_sealed"


def record_names(task_spec) -> list[str]:
    properties = (getattr(task_spec, "extensions", None) or {}).get("properties") or {}
    return [name.strip() for name in (properties.get(PROPERTY) or "").split(",") if name.strip()]


def seal_completed(session: Session, instance: ProcessInstance, workflow) -> int:
    """Append one `record.sealed` event per newly completed task that names `auditRecord`; returns how many."""
    done = []
    for wf in runtime.all_workflows(workflow):
        for task in wf.tasks.values():
            if task.state != TaskState.COMPLETED or task.internal_data.get(_SEALED):
                continue
            names = record_names(task.task_spec)
            if names:
                done.append((task.last_state_change, task, names))
    for _, task, names in sorted(done, key=lambda item: item[0]):
        task.internal_data[_SEALED] = True
        audit.append(session, EVENT, actor=None, instance_id=instance.id, element_id=task.task_spec.bpmn_id,
                     payload={"name": task.task_spec.bpmn_name or task.task_spec.bpmn_id,
                              "record": {name: task.data.get(name) for name in names}})
    return len(done)
