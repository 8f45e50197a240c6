"""Keep a long-running instance's live state small by cutting off finished history.

SpiffWorkflow keeps every task it ever ran, each the child of the one before, so a case that loops (a plan sent
back again and again, a yearly review) grows a deeper tree on every round: saving costs more each time, and the
library's task iterator stops at depth 1000, after which the engine no longer sees the ready tasks — the loop
stalls around round 250-500 and `is_completed()` answers True for a case that is not done.

After a command (and while the engine runs a long automatic stretch) the tree is re-rooted just above what can
still matter:

- every task that is not finished (ready, waiting, started, predicted) and the common ancestor of them all;
- above that, back to the last completed user step, so that "send back to the previous step" (退回) still works;
- nothing while a parallel or inclusive join is part-way (its finished arrivals on other branches are still
  counted when it fires).

What is cut off is returned to the caller, which records it in the history table (service.models.TaskHistory),
so the timeline, the audit chain and the diagram's path marking still show it. A send-back to a step that was
cut off is refused with a clear reason (service.operations.send_back).
"""
from __future__ import annotations

from dataclasses import dataclass

from SpiffWorkflow.specs.Join import Join
from SpiffWorkflow.util.task import TaskState

FINISHED = TaskState.COMPLETED | TaskState.CANCELLED
REACHED = TaskState.COMPLETED | TaskState.READY | TaskState.WAITING | TaskState.STARTED | TaskState.ERROR
PRUNE_AT = 120  # tasks in one (sub)workflow before it is worth re-rooting; tests set 0 to prune at every chance


@dataclass
class Pruned:
    spiff_task_id: str
    bpmn_id: str | None
    spec_name: str
    state: int
    changed_at: float
    next_elements: list[str]


def _depth_path(task) -> list:
    path = []
    while task is not None:
        path.append(task)
        task = task.parent
    path.reverse()
    return path


def new_root(wf):
    """The task to re-root this (sub)workflow at, or None when nothing may be cut."""
    live = [t for t in wf.tasks.values() if not t.state & FINISHED]
    if not live:
        return None
    if any(isinstance(t.task_spec, Join) and t.state == TaskState.WAITING for t in live):
        return None
    common = _depth_path(live[0])
    for task in live[1:]:
        on_path = {id(t) for t in _depth_path(task)}
        while common and id(common[-1]) not in on_path:
            common.pop()
    if not common:
        return None
    anchor = common[-1]
    node = anchor if anchor.state & FINISHED else anchor.parent
    # Keep the last completed user step and its parent: the previous step can always be sent back to.
    probe = node
    while probe is not None and not (probe.task_spec.manual and probe.state == TaskState.COMPLETED):
        probe = probe.parent
    if probe is not None:
        node = probe.parent
    if node is None or node is wf.task_tree:
        return None
    return node


def _next_reached(task) -> list[str]:
    found, stack = set(), list(task.children)
    while stack:
        child = stack.pop()
        element = getattr(child.task_spec, "bpmn_id", None)
        if element:
            if child.state & REACHED:
                found.add(element)
            continue
        stack.extend(child.children)
    return sorted(found)


def prune_workflow(wf, threshold: int | None = None) -> list[Pruned]:
    """Re-root one (sub)workflow if it has grown past the threshold; returns what was cut off."""
    limit = PRUNE_AT if threshold is None else threshold
    if len(wf.tasks) <= limit:
        return []
    root = new_root(wf)
    if root is None:
        return []
    keep, stack = set(), [root]
    while stack:
        task = stack.pop()
        keep.add(task.id)
        stack.extend(task.children)
    cut = [t for t in wf.tasks.values() if t.id not in keep]
    records = [Pruned(str(t.id), getattr(t.task_spec, "bpmn_id", None), t.task_spec.name, int(t.state),
                      float(t.last_state_change or 0), _next_reached(t) if t.state == TaskState.COMPLETED else [])
               for t in cut]
    for task in cut:
        del wf.tasks[task.id]
    root._parent = None
    wf.task_tree = root
    if wf.last_task is not None and wf.last_task.id not in keep:
        wf.last_task = root
    return records


def prune(workflow, threshold: int | None = None) -> list[Pruned]:
    """Prune the top workflow and each subprocess; drop subprocesses whose calling task was cut off."""
    cut = prune_workflow(workflow, threshold)
    for sub_id, sub in list(workflow.subprocesses.items()):
        if not _has_task(workflow, sub_id):
            cut.extend(Pruned(str(t.id), getattr(t.task_spec, "bpmn_id", None), t.task_spec.name, int(t.state),
                              float(t.last_state_change or 0), []) for t in sub.tasks.values())
            del workflow.subprocesses[sub_id]
            continue
        cut.extend(prune_workflow(sub, threshold))
    return cut


def _has_task(workflow, task_id) -> bool:
    if task_id in workflow.tasks:
        return True
    return any(task_id in sub.tasks for sub in workflow.subprocesses.values())
