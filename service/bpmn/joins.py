"""Parallel joins that wait for this run's branches and keep what every branch did.

Two faults of SpiffWorkflow's parallel join show as soon as a parallel block sits in a loop (a failed legality
review sends a "三重一大" item back to research, and both reviews run again):

* Waiting: an arrival left over from the previous run counts as a branch of this one. When the branches finish in
  a different order than last time, the join fires as soon as the first branch of the new run arrives, and the
  rest of the process runs twice.
* Data: branches are merged by copying each branch's whole data over the join's, the last arrival on top. Every
  branch carries a copy of the variables that existed at the split, so a branch that never touched a variable
  brings back its old value and undoes what another branch just wrote (round two's fresh `legal_result = "通过"`
  is replaced by round one's "不通过" carried along by the integrity branch). This also happens without a loop
  when a variable set before the split is changed inside one branch.

Here an arrival belongs to this run when no earlier completion of the same join lies between this branch and the
task where the two branches part; and the join starts from the data at that split, applying, in the order the
branches arrived, only the variables each branch changed.
"""
from __future__ import annotations

from SpiffWorkflow.bpmn.specs.defaults import ParallelGateway
from SpiffWorkflow.util.task import TaskState


class JParallelGateway(ParallelGateway):

    def _check_threshold_unstructured(self, my_task):
        waiting = set(self.inputs)

        def remove_ancestor(task):
            while task is not None:
                if task.task_spec in waiting:
                    waiting.remove(task.task_spec)
                    return
                task = task.parent

        lineage = _lineage(my_task.parent)
        for task in my_task.workflow.get_tasks(spec_name=self.name):
            if task.is_descendant_of(my_task):
                remove_ancestor(task)  # as SpiffWorkflow: a later iteration predicted below this one
            elif my_task.is_descendant_of(task):
                continue  # an earlier run that this task follows
            elif task.parent.state == TaskState.COMPLETED and task.parent.task_spec in waiting \
                    and self._fork(task, lineage) is not None:
                waiting.remove(task.parent.task_spec)
        return not waiting

    def _run_hook(self, my_task):
        others = [t for t in my_task.workflow.tasks.values()
                  if t.task_spec == self and t is not my_task and t.has_state(TaskState.FINISHED_MASK)
                  and not my_task.is_descendant_of(t)]
        for task in others:
            if task.has_state(TaskState.COMPLETED):  # as SpiffWorkflow: a branch reset after it had joined
                task._drop_children(force=True)
        lineage = _lineage(my_task.parent)
        forks = [(task, self._fork(task, lineage)) for task in others]
        forks = [(task, fork) for task, fork in forks if fork is not None]
        if not forks:
            my_task._inherit_data()
            return True
        fork = forks[0][1]
        branches = sorted((task for task, f in forks if f is fork), key=lambda t: t.last_state_change)
        data = dict(fork.data)
        for tail in [task.parent for task in branches] + [my_task.parent]:
            for key, value in tail.data.items():
                if key not in fork.data or fork.data[key] != value:
                    data[key] = value
        my_task.data = data
        return True

    def _fork(self, arrival, lineage: list):
        """Where `arrival`'s branch parted from this one, or None when it arrived in an earlier run of the join."""
        index = {id(task): n for n, task in enumerate(lineage)}
        task = arrival.parent
        while task is not None and id(task) not in index:
            task = task.parent
        if task is None:
            return None
        between = lineage[:index[id(task)]]
        return None if any(t.task_spec == self for t in between) else task


def _lineage(task) -> list:
    """The task and its ancestors, nearest first."""
    chain = []
    while task is not None:
        chain.append(task)
        task = task.parent
    return chain
