"""The path a case took through its diagram, read from the workflow's task tree.

SpiffWorkflow keeps every task it ran, each a child of the task it came from, and prunes branches that were not
taken. So a sequence flow `source → target` was traversed when a completed task of `source` has a descendant of
`target` that was reached (ran, runs now, or waits) — stepping over the engine's internal tasks (boundary-event
splits, end joins) that have no element of their own. Comparing parent and child, not just "both elements ran",
keeps a loop's unused return flow unmarked when its target ran earlier for another reason.
"""
from __future__ import annotations

from dataclasses import dataclass, field

from SpiffWorkflow.util.task import TaskState
from sqlalchemy import select
from sqlalchemy.orm import Session

from . import diagram, runtime
from .models import HumanTask, ProcessDefinition, ProcessInstance, TaskHistory

REACHED = TaskState.COMPLETED | TaskState.READY | TaskState.WAITING | TaskState.STARTED | TaskState.ERROR
WAITING_TAGS = ("intermediateCatchEvent", "receiveTask", "callActivity", "subProcess")


@dataclass
class Trace:
    completed: set[str] = field(default_factory=set)   # elements that ran to completion (at least once)
    waiting: set[str] = field(default_factory=set)     # catch events, subprocesses and calls in progress
    flows: list[str] = field(default_factory=list)     # sequence flows the case went along
    pairs: set[tuple[str, str]] = field(default_factory=set)


def trace(session: Session, instance: ProcessInstance, definition: ProcessDefinition,
          tasks: list[HumanTask]) -> Trace:
    """What ran and which flows were taken. Falls back to the task rows alone if the workflow cannot be read."""
    drawing = diagram.drawing(definition)
    opened = {t.element_id for t in tasks}  # a human task that had a row was reached, even if later cancelled
    result = Trace()
    try:
        workflow = runtime.load(session, instance, definition)
    except Exception:  # a damaged or foreign state must not take the supervisor's view down with it
        result.completed = {t.element_id for t in tasks if t.state == "completed"}
        return result
    for wf in runtime.all_workflows(workflow):
        for task in wf.tasks.values():
            element = getattr(task.task_spec, "bpmn_id", None)
            if not element:
                continue
            if task.state == TaskState.COMPLETED:
                result.completed.add(element)
                result.pairs.update((element, nxt) for nxt in _next_reached(task, opened))
            elif task.state & (TaskState.WAITING | TaskState.STARTED) and drawing.tags.get(element) in WAITING_TAGS:
                result.waiting.add(element)
    for element, state, following in session.execute(select(TaskHistory.bpmn_id, TaskHistory.state,
                                                            TaskHistory.next_elements)
                                                     .where(TaskHistory.instance_id == instance.id)):
        if element and state == TaskState.COMPLETED:  # cut off a long-running instance (service.engine.prune)
            result.completed.add(element)
            result.pairs.update((element, nxt) for nxt in following or [])
    result.flows = [f.id for f in drawing.flows if (f.source, f.target) in result.pairs]
    return result


def marking(session: Session, instance: ProcessInstance, definition: ProcessDefinition, tasks: list[HumanTask],
            by_rows: dict) -> dict:
    """The diagram's marking with the path: every element that ran (script tasks, gateways and events too, not
    only the steps people did), what waits, and the flows taken. `by_rows` is the marking from the task rows alone
    (service.details.marking), whose overdue steps stay as they are."""
    path = trace(session, instance, definition, tasks)
    current = set(by_rows["current"]) | path.waiting
    return {"completed": sorted((set(by_rows["completed"]) | path.completed) - current), "current": sorted(current),
            "overdue": by_rows["overdue"], "path": path.flows}


def _next_reached(task, opened: set[str]) -> set[str]:
    """Elements of the nearest descendants that have one, if they were reached."""
    found, stack = set(), list(task.children)
    while stack:
        child = stack.pop()
        element = getattr(child.task_spec, "bpmn_id", None)
        if element:
            if child.state & REACHED or (child.state == TaskState.CANCELLED and element in opened):
                found.add(element)
            continue
        stack.extend(child.children)
    return found
