"""SpiffWorkflow script engine that runs every diagram expression and script in the sandbox.

SpiffWorkflow's ``PythonScriptEngine`` delegates to an *environment* (``TaskDataEnvironment`` by
default, which calls bare ``eval``/``exec``). ``SandboxEnvironment`` replaces it: task data are the
variables, script results are written back into ``task.data`` (helpers never are), and everything
goes through ``service.sandbox.restricted``. The engine turns ``SandboxError`` into SpiffWorkflow's
``WorkflowTaskException`` whose message names the problem and whose ``line_number``/``error_line``
point into the script.

Usage: ``BpmnWorkflow(spec, subprocess_specs, script_engine=SandboxedScriptEngine())``. One engine
can be shared by all workflows and threads: it keeps no per-run state.
"""
from __future__ import annotations

from typing import Any

from SpiffWorkflow.bpmn.exceptions import WorkflowTaskException
from SpiffWorkflow.bpmn.script_engine import PythonScriptEngine
from SpiffWorkflow.bpmn.script_engine.python_environment import BasePythonScriptEngineEnvironment

from service.sandbox import restricted
from service.sandbox.restricted import SandboxError, check_expression


class SandboxEnvironment(BasePythonScriptEngineEnvironment):
    """Evaluates and executes with ``task.data`` (the ``context``) as the variables."""

    def __init__(self, time_limit: float = 0.5) -> None:
        super().__init__({})
        self.time_limit = time_limit

    @staticmethod
    def _extra(context: dict, external_context: dict | None) -> dict | None:
        """SpiffWorkflow passes data objects as external context. As in its own environment, task
        data win over them; names the sandbox reserves are left out rather than failing the step."""
        if not external_context:
            return None
        extra = {k: v for k, v in external_context.items()
                 if k not in context and not k.startswith("_") and k not in restricted.RESERVED}
        return extra or None

    def evaluate(self, expression: str, context: dict, external_context: dict | None = None) -> Any:
        return restricted.evaluate(expression, context, time_limit=self.time_limit,
                                   extra=self._extra(context, external_context))

    def execute(self, script: str, context: dict, external_context: dict | None = None) -> bool:
        restricted.execute(script, context, time_limit=self.time_limit,
                           extra=self._extra(context, external_context))
        return True

    def call_service(self, context: dict, **kwargs: Any) -> Any:
        raise SandboxError("service tasks are not supported by this engine")


class SandboxedScriptEngine(PythonScriptEngine):
    """``PythonScriptEngine`` with the sandbox as its environment and readable errors."""

    def __init__(self, time_limit: float = 0.5) -> None:
        super().__init__(environment=SandboxEnvironment(time_limit))
        self.time_limit = time_limit

    def validate(self, expression: str) -> None:
        check_expression(expression)

    def evaluate(self, task: Any, expression: str, external_context: dict | None = None) -> Any:
        try:
            return self.environment.evaluate(expression, task.data, external_context)
        except SandboxError as exc:
            raise _task_error(task, expression, exc, "expression") from None

    def execute(self, task: Any, script: str, external_context: dict | None = None) -> bool:
        try:
            return self.environment.execute(script, task.data, external_context)
        except SandboxError as exc:
            raise _task_error(task, script, exc, "script") from None

    def call_service(self, task: Any, **kwargs: Any) -> Any:
        try:
            return self.environment.call_service(task.data, **kwargs)
        except SandboxError as exc:
            raise _task_error(task, "", exc, "service call") from None


def _task_error(task: Any, source: str, exc: SandboxError, kind: str) -> WorkflowTaskException:
    lines = source.splitlines()
    line = exc.line if exc.line and exc.line <= len(lines) else None
    error_line = lines[line - 1] if line else ""
    short = source if len(source) <= 80 else source[:77] + "..."
    where = f"{kind} '{short}'" if kind == "expression" else kind
    # A NameError is passed through so SpiffWorkflow adds its "did you mean ..." note.
    cause = exc.original if isinstance(exc.original, NameError) else exc
    error = WorkflowTaskException(f"{where} failed: {exc}", task=task, exception=cause,
                                  line_number=line, error_line=error_line)
    error.error_type = exc.error_type
    return error
