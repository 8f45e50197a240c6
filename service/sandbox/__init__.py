"""The script sandbox: conditions, scripts, timer and multi-instance expressions from diagrams run here.

``restricted`` compiles and runs code under RestrictedPython plus Jiandu's own guards; ``engine`` plugs
that into SpiffWorkflow as its script engine.
"""
from service.sandbox.engine import SandboxedScriptEngine
from service.sandbox.restricted import (
    SandboxError,
    SandboxTimeout,
    check_expression,
    check_script,
    evaluate,
    execute,
    to_plain,
)

__all__ = ["SandboxError", "SandboxTimeout", "SandboxedScriptEngine", "check_expression", "check_script",
           "evaluate", "execute", "to_plain"]
