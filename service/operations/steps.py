"""Earlier steps of a running task, read from the workflow's task tree (the send-back targets).

A step is an earlier *completed* user task that led to the current task: walking up the task tree from the
current task through gateways and events to the start — and, at a join on that path (a parallel or inclusive
gateway), up the other branches that came together there too, down to where they split. A multi-instance user
task counts as one step (its multi-instance task in the tree). Steps are ordered most recently completed first;
an element completed several times (a loop) counts once, with its latest run. The walk stays inside the current
task's (sub)process.

A step found on another branch of a join carries that join (`rejoin`): sending the case back there must also
make the join wait again, which cancels everything after it on the way to the current task.
"""
from __future__ import annotations

from dataclasses import dataclass

from SpiffWorkflow.bpmn.specs.mixins.multiinstance_task import MultiInstanceTask
from SpiffWorkflow.bpmn.specs.mixins.unstructured_join import UnstructuredJoin
from SpiffWorkflow.util.task import TaskState


@dataclass(eq=False)
class Step:
    element_id: str
    name: str
    spiff_task: object        # the task to reset: the user task, or the multi-instance task around its instances
    multi_instance: bool
    rejoin: object = None     # the join on the current task's path that this step reached by another branch


def _is_instance_of_multi(task) -> bool:
    return task.parent is not None and isinstance(task.parent.task_spec, MultiInstanceTask)


def _as_step(task, rejoin) -> Step | None:
    if task.state != TaskState.COMPLETED or task.parent is None:
        return None  # the root of a pruned tree cannot be reset (service.engine.prune keeps its child instead)
    spec = task.task_spec
    if isinstance(spec, MultiInstanceTask):
        child_spec = task.workflow.spec.task_specs.get(spec.task_spec)
        if child_spec is not None and child_spec.manual:
            return Step(spec.bpmn_id, spec.bpmn_name or spec.bpmn_id, task, True, rejoin)
    elif spec.manual and not _is_instance_of_multi(task):
        return Step(spec.bpmn_id, spec.bpmn_name or spec.bpmn_id, task, False, rejoin)
    return None


def _ancestors(task) -> set:
    ids, node = set(), task
    while node is not None:
        ids.add(node.id)
        node = node.parent
    return ids


def _walk(task, rejoin, found: list[Step], stop: set) -> None:
    while task is not None and task.id not in stop:
        step = _as_step(task, rejoin)
        if step is not None:
            found.append(step)
        if isinstance(task.task_spec, UnstructuredJoin) and task.state == TaskState.COMPLETED:
            on_path = _ancestors(task)
            for other in task.workflow.tasks.values():
                if other.task_spec is not task.task_spec or other is task or other.parent is None \
                        or other.parent.state != TaskState.COMPLETED or other.id in on_path \
                        or other.is_descendant_of(task):
                    continue
                _walk(other.parent, rejoin or task, found, on_path)
        task = task.parent


def earlier_steps(current) -> list[Step]:
    """Completed user steps that led to `current`, most recently completed first, one per element."""
    found: list[Step] = []
    _walk(current.parent, None, found, set())
    ordered = sorted(enumerate(found), key=lambda item: (-item[1].spiff_task.last_state_change, item[0]))
    steps, seen = [], set()
    for _, step in ordered:
        if step.element_id not in seen:
            seen.add(step.element_id)
            steps.append(step)
    return steps


def allowed_send_back(current, steps: list[Step]) -> list[Step]:
    """The previous step always; others only where the process owner allows it on the current task with the
    extension property `sendBackTo` (comma-separated element ids, or `*` for any earlier step)."""
    if not steps:
        return []
    properties = (getattr(current.task_spec, "extensions", None) or {}).get("properties") or {}
    wanted = {part.strip() for part in (properties.get("sendBackTo") or "").split(",") if part.strip()}
    return [s for i, s in enumerate(steps) if i == 0 or "*" in wanted or s.element_id in wanted]
