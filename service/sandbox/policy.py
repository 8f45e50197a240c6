"""The compile-time half of the sandbox: RestrictedPython's node transformer, made stricter.

``RestrictingNodeTransformer`` already refuses ``_`` names and attributes, frame/generator
attributes and ``exec``/``eval``, and routes attribute reads, item access and iteration to guard
functions. ``SandboxPolicy`` adds:

* refusals - calls to introspection/IO builtins (``open``, ``getattr``, ``type``, ``vars``...),
  ``.format``/``.format_map``, ``import``, class definitions, ``yield``, ``with``, ``try/finally``,
  bare ``except`` or ``except`` of anything but ``CATCHABLE`` (so no script code can swallow a
  refusal or a timeout), starred unpacking (``*x``/``**x`` copy in C, beyond any guard), computed or
  wider-than-``MAX_WIDTH`` f-string format specs, and (re)binding a helper's name;
* rewrites - ``+ * ** << % | & ^ -`` become calls to the guarded operators (``_add_(a, b)``...),
  every f-string value passes through ``_fmt_`` (a size check), and every ``while`` body starts with
  a name load so that even ``while True: pass`` emits trace events.
"""
from __future__ import annotations

import ast
import re

from RestrictedPython.transformer import RestrictingNodeTransformer, copy_locations

from service import timefns
from service.sandbox.safe_builtins import CATCHABLE
from service.sandbox.guards import MAX_STR, MAX_WIDTH

FORBIDDEN_CALLS = frozenset("""eval exec compile open input breakpoint help globals locals vars dir
    getattr setattr delattr hasattr type object super memoryview bytearray bytes classmethod
    staticmethod property iter next id hash exit quit format""".split())
FORBIDDEN_ATTRS = frozenset({"format", "format_map", "mro", "f_back", "f_globals", "f_locals",
                             "f_builtins", "f_code", "gi_frame", "gi_code", "cr_frame", "ag_frame",
                             "tb_frame", "tb_next"})
HELPER_NAMES = frozenset(timefns.HELPERS)
RESERVED = HELPER_NAMES | frozenset(CATCHABLE)   # names a script may not (re)bind
_BINOPS = {ast.Add: "_add_", ast.Mult: "_mul_", ast.Pow: "_pow_", ast.LShift: "_lshift_",
           ast.Mod: "_mod_", ast.Sub: "_sub_", ast.BitOr: "_or_", ast.BitAnd: "_and_",
           ast.BitXor: "_xor_"}


class SandboxPolicy(RestrictingNodeTransformer):
    """RestrictedPython's policy plus the refusals and rewrites listed in the module docstring."""

    def _call(self, name: str, args: list[ast.expr], like: ast.AST) -> ast.Call:
        new = ast.Call(func=ast.Name(name, ast.Load()), args=args, keywords=[])
        copy_locations(new, like)
        return new

    def visit_BinOp(self, node: ast.BinOp) -> ast.AST:
        node = self.node_contents_visit(node)
        name = _BINOPS.get(type(node.op))
        return node if name is None else self._call(name, [node.left, node.right], node)

    def visit_JoinedStr(self, node: ast.JoinedStr) -> ast.AST:
        fields = [v for v in node.values if isinstance(v, ast.FormattedValue)]
        for field in fields:
            if field.format_spec is not None:
                self._check_spec(field)
        node = self.node_contents_visit(node)
        budget = MAX_STR // max(len(fields), 1)
        for field in node.values:
            if isinstance(field, ast.FormattedValue):
                # !r / !a can escape every character (up to 10 characters for one)
                limit = budget // 10 if field.conversion in (ord("r"), ord("a")) else budget
                field.value = self._call("_fmt_", [field.value, ast.Constant(limit)], field.value)
        return node

    def _check_spec(self, field: ast.FormattedValue) -> None:
        parts = field.format_spec.values  # type: ignore[union-attr]
        if not all(isinstance(p, ast.Constant) for p in parts):
            self.error(field, "f-string format specs must be written out, not computed")
            return
        spec = "".join(str(p.value) for p in parts)
        if any(int(n) > MAX_WIDTH for n in re.findall(r"\d+", spec)):
            self.error(field, f"f-string width/precision above {MAX_WIDTH} is not allowed")

    def visit_Call(self, node: ast.Call) -> ast.AST:
        if isinstance(node.func, ast.Name) and node.func.id in FORBIDDEN_CALLS:
            self.error(node, f"calling {node.func.id}() is not allowed in scripts")
        if any(k.arg is None for k in node.keywords):
            self.error(node, "'**' arguments are not allowed")
        return super().visit_Call(node)

    def visit_Attribute(self, node: ast.Attribute) -> ast.AST:
        if node.attr in FORBIDDEN_ATTRS:
            self.error(node, f"the attribute '{node.attr}' is not allowed")
        return super().visit_Attribute(node)

    def visit_Name(self, node: ast.Name) -> ast.AST:
        if not isinstance(node.ctx, ast.Load) and node.id in RESERVED:
            self.error(node, f"'{node.id}' is a built-in name of the sandbox and cannot be assigned")
        return super().visit_Name(node)

    def visit_FunctionDef(self, node: ast.FunctionDef) -> ast.AST:
        if node.name in RESERVED:
            self.error(node, f"'{node.name}' is a built-in name of the sandbox and cannot be redefined")
        return super().visit_FunctionDef(node)

    def visit_Import(self, node: ast.Import) -> ast.AST:
        return self._refuse(node, "import")

    def visit_ImportFrom(self, node: ast.ImportFrom) -> ast.AST:
        return self._refuse(node, "import")

    def visit_Starred(self, node: ast.Starred) -> ast.AST:
        self.error(node, "starred expressions (*x) are not allowed")
        return node

    def visit_Dict(self, node: ast.Dict) -> ast.AST:
        if any(k is None for k in node.keys):
            self.error(node, "'**' in dict literals is not allowed")
        return super().visit_Dict(node)

    def visit_Try(self, node: ast.Try) -> ast.AST:
        if node.finalbody:
            self.error(node, "try/finally is not allowed")
        allowed = ", ".join(sorted(CATCHABLE))
        for handler in node.handlers:
            kinds = handler.type.elts if isinstance(handler.type, ast.Tuple) else [handler.type]
            if not all(isinstance(k, ast.Name) and k.id in CATCHABLE for k in kinds):
                self.error(handler, f"except must name exception types among: {allowed}")
            if handler.name in RESERVED:
                self.error(handler, f"'{handler.name}' is a built-in name of the sandbox")
        return super().visit_Try(node)

    def visit_ClassDef(self, node: ast.ClassDef) -> ast.AST:
        self.error(node, "class definitions are not allowed")
        return node

    def _refuse(self, node: ast.AST, what: str) -> ast.AST:
        self.error(node, f"{what} is not allowed")
        return node

    def visit_Yield(self, node: ast.Yield) -> ast.AST:
        return self._refuse(node, "yield (generator functions)")

    def visit_YieldFrom(self, node: ast.YieldFrom) -> ast.AST:
        return self._refuse(node, "yield from")

    def visit_With(self, node: ast.With) -> ast.AST:
        return self._refuse(node, "with")

    def visit_While(self, node: ast.While) -> ast.AST:
        """``while True: pass`` on one line compiles to a jump onto itself that emits no trace
        event at all; a name load at the top of every loop body makes each iteration visible."""
        node = self.node_contents_visit(node)
        tick = ast.Expr(ast.Name("_tick_", ast.Load()))
        copy_locations(tick, node)
        node.body.insert(0, tick)
        return node
