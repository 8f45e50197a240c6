"""Multi-instance task specs with Camunda's variable scoping.

In Camunda 7 the element variable of a multi-instance body is local to each instance; other variables a
completed instance sets flow to the process. SpiffWorkflow's Camunda flavour instead writes each instance's
element variable back into the input collection and mutates the shared task spec at run time (unsafe once
specs are cached and shared between instances). These classes fix the inputs at parse time, keep the element
variable local, and, when the task declares ``outputCollection``/``outputElement`` extension properties,
append each instance's result to that collection (that is how all members' opinions reach a later script).
"""
from __future__ import annotations

from SpiffWorkflow.bpmn.specs.defaults import ParallelMultiInstanceTask, SequentialMultiInstanceTask
from SpiffWorkflow.util.task import TaskState


class _LocalElementVariable:
    def merge_child(self, workflow, child):
        super().merge_child(workflow, child)
        if self.data_output is None and self.input_item is not None:
            child.parent.data.pop(self.input_item.bpmn_id, None)


class JParallelMultiInstanceTask(_LocalElementVariable, ParallelMultiInstanceTask):
    def children_complete(self, my_task):
        """An instance cancelled by 减签 (service.operations.signers) no longer holds the task up."""
        return all(c.state in (TaskState.COMPLETED, TaskState.CANCELLED) for c in self._instances(my_task))


class JSequentialMultiInstanceTask(_LocalElementVariable, SequentialMultiInstanceTask):
    pass
