"""Load and save one instance's live workflow, and read what a command needs from it.

Everything that touches a BpmnWorkflow object for a command lives here; the command modules speak in rows.
"""
from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime

from SpiffWorkflow.bpmn import BpmnWorkflow
from SpiffWorkflow.bpmn.specs.event_definitions.timer import TimerEventDefinition
from SpiffWorkflow.task import Task
from SpiffWorkflow.util.task import TaskState
from sqlalchemy import insert
from sqlalchemy.orm import Session

from . import clock, definitions
from .engine.serializer import StateSerializer
from .engine import prune
from .engine.live import LIVE
from .engine.specs import SPECS, ParsedDefinition
from .models import ProcessDefinition, ProcessInstance, TaskHistory
from .sandbox import SandboxedScriptEngine

SERIALIZER = StateSerializer()
SCRIPT_ENGINE = SandboxedScriptEngine()
TIMER_TYPES = ("TimeDateEventDefinition", "DurationTimerEventDefinition", "CycleTimerEventDefinition")


def parsed(session: Session, definition: ProcessDefinition) -> ParsedDefinition:
    return SPECS.get((definition.id, definition.checksum), lambda: definitions.load_sources(session, definition))


def new_workflow(session: Session, definition: ProcessDefinition) -> BpmnWorkflow:
    spec = parsed(session, definition)
    return BpmnWorkflow(spec.spec, spec.subprocess_specs, script_engine=SCRIPT_ENGINE)


def load(session: Session, instance: ProcessInstance, definition: ProcessDefinition | None = None, *,
         for_update: bool = False) -> BpmnWorkflow:
    """The instance's live workflow. A command that will save it (`for_update`, instance row locked) may get the
    object the previous command kept in memory (service.engine.live); otherwise the state is deserialized."""
    if for_update:
        kept = LIVE.take(instance.id, instance.state_version)
        if kept is not None:
            return kept
    definition = definition or definitions.cached(session, instance.definition_id)
    spec = parsed(session, definition)
    return SERIALIZER.loads(instance.state, spec.spec, spec.subprocess_specs, SCRIPT_ENGINE)


def save(session: Session, instance: ProcessInstance, workflow: BpmnWorkflow, pruned: list | None = None) -> dict:
    """Prune finished history and serialize; returns the instance columns to write (the caller writes them with
    its other changes). The workflow stays alive for the next command once this transaction commits.
    Cut-off tasks (`pruned`, plus any cut now) go to the history table."""
    cut = list(pruned or []) + prune.prune(workflow)
    if cut:
        now = clock.now()
        session.connection().execute(insert(TaskHistory), [
            {"instance_id": instance.id, "spiff_task_id": p.spiff_task_id, "bpmn_id": p.bpmn_id,
             "spec_name": p.spec_name[:300], "state": p.state, "changed_at": p.changed_at,
             "next_elements": p.next_elements, "pruned_at": now} for p in cut])
    version = instance.state_version + 1
    LIVE.keep_after_commit(session, instance.id, version, workflow)
    return {"state": dump(workflow), "state_version": version}


def dump(workflow: BpmnWorkflow) -> str:
    return SERIALIZER.dumps(workflow)


def all_workflows(workflow: BpmnWorkflow) -> list:
    return [workflow, *workflow.subprocesses.values()]


def ready_human_tasks(workflow: BpmnWorkflow) -> list[Task]:
    """Every READY manual task, subprocesses included. Walks the task dicts, not the tree (no depth limit)."""
    return [task for wf in all_workflows(workflow) for task in wf.tasks.values()
            if task.state == TaskState.READY and task.task_spec.manual]


def find_task(workflow: BpmnWorkflow, spiff_task_id: str) -> Task | None:
    from uuid import UUID
    try:
        return workflow.get_task_from_id(UUID(spiff_task_id))
    except Exception:  # TaskNotFoundException or a malformed id
        return None


def error_tasks(workflow: BpmnWorkflow) -> list[Task]:
    return [task for wf in all_workflows(workflow) for task in wf.tasks.values() if task.state == TaskState.ERROR]


def next_timer(workflow: BpmnWorkflow) -> datetime | None:
    """The earliest deadline among waiting timer events (stored on the instance, indexed, read by the worker)."""
    soonest = None
    for event in workflow.waiting_events():
        if event.event_type not in TIMER_TYPES or event.value is None:
            continue
        try:
            if isinstance(event.value, dict):
                at = datetime.fromisoformat(event.value["next"])
            else:
                at = TimerEventDefinition.get_datetime(str(event.value))
        except (ValueError, KeyError, TypeError):
            continue
        at = clock.as_utc(at)
        soonest = at if soonest is None or at < soonest else soonest
    return soonest


@dataclass
class Outcome:
    """What the engine did in one command, for the instance row and the audit chain."""

    status: str
    error: str | None = None
    error_element: str | None = None
    pruned: list = field(default_factory=list)  # finished tasks cut off while the engine ran


def run_engine(workflow: BpmnWorkflow) -> Outcome:
    """Fire due timers and run automatic steps; a failing script leaves the instance in error, visible and retryable.

    A long automatic stretch (a loop of script tasks) is pruned as it goes, so the engine never loses sight of its
    ready tasks (service.engine.prune); what was cut off is handed back for the history table."""
    pruned: list = []

    def keep_small(task) -> None:
        if len(task.workflow.tasks) > 2 * prune.PRUNE_AT:
            pruned.extend(prune.prune(workflow))

    try:
        workflow.refresh_timers()
        workflow.do_engine_steps(did_complete_task=keep_small)
    except Exception as err:  # WorkflowTaskException, or a library error while routing
        failed = error_tasks(workflow)
        element = failed[0].task_spec.bpmn_id if failed else getattr(getattr(err, "task_spec", None), "bpmn_id", None)
        return Outcome("error", _describe(err), element, pruned)
    return Outcome("completed" if workflow.is_completed() else "running", pruned=pruned)


def _describe(err: Exception) -> str:
    text = str(err).strip() or err.__class__.__name__
    return text[:2000]


def human_task_spec(parsed_definition: ParsedDefinition, element_id: str):
    """The manual task spec drawn as `element_id` (a multi-instance task's per-item spec), in any (sub)process."""
    for spec in [parsed_definition.spec, *parsed_definition.subprocess_specs.values()]:
        for task_spec in spec.task_specs.values():
            if getattr(task_spec, "bpmn_id", None) == element_id and task_spec.manual:
                return task_spec
    return None
