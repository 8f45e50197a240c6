"""A small, safe evaluator for the FEEL subset that form-js schemas use.

Why our own: the server must decide `conditional.hide`, `readonly`, FEEL-valued
validation limits and `valuesExpression` itself instead of trusting the browser,
and it must do so without `eval`.  Semantics follow @bpmn-io/feelin (what the
form-js 1.23 viewer runs): unknown names are null, `and`/`or` are three-valued,
`=` between different types is null (so `!=` is true), arithmetic on wrong types
is null, division by zero is null.  Evaluation never raises for data reasons;
only malformed, oversized or too expensive expressions raise `FeelError`.
"""
from __future__ import annotations

import math
import re
from collections import ChainMap
from collections.abc import Mapping
from functools import lru_cache
from typing import Any, Callable

MAX_LENGTH = 2000      # characters of expression text
MAX_DEPTH = 50         # syntactic nesting (parentheses, lists, calls, unary minus)
MAX_STEPS = 100_000    # evaluation budget, so list filters over big data stay bounded
MAX_STRING = 1_000_000
MAX_INT_BITS = 20_000

__all__ = ["FeelError", "parse", "evaluate", "called_functions", "FUNCTIONS", "MAX_LENGTH", "MAX_DEPTH"]


class FeelError(ValueError):
    """The expression is malformed, too long, too deep or too expensive."""


_TOKEN_RE = re.compile(r"""
    (?P<ws>\s+)
  | (?P<num>[0-9]+(?:\.[0-9]+)?|\.[0-9]+)
  | (?P<str>"(?:[^"\\]|\\.)*")
  | (?P<op>\*\*|<=|>=|!=|[-+*/=<>()\[\]{},.:])
  | (?P<name>[^\W0-9]\w*|\?)
""", re.X | re.S)
_KEYWORDS = {"and", "or", "if", "then", "else", "in", "between", "true", "false", "null"}
_UNSUPPORTED = {"for", "some", "every", "return", "satisfies", "instance", "of", "function"}
_ESCAPES = {"n": "\n", "r": "\r", "t": "\t", '"': '"', "'": "'", "\\": "\\"}
_LITERALS = {"true": True, "false": False, "null": None}
Token = tuple[str, Any, int]  # (kind, value, position)


def _tokenize(text: str) -> list[Token]:
    tokens: list[Token] = []
    pos = 0
    while pos < len(text):
        m = _TOKEN_RE.match(text, pos)
        if not m:
            raise FeelError(f"第 {pos + 1} 个字符处：无法识别的符号 {text[pos]!r}")
        kind, value, end = m.lastgroup or "", m.group(), m.end()
        if kind == "name":
            multi = _match_multiword(text, pos, value)
            if multi:
                value, end = multi
            elif value in _UNSUPPORTED:
                raise FeelError(f"不支持的 FEEL 语法：{value}")
            elif value in _KEYWORDS:
                kind = "kw"
        elif kind == "str":
            value = re.sub(r"\\(u[0-9a-fA-F]{4}|.)", _unescape, value[1:-1], flags=re.S)
        elif kind == "num":
            value = float(value) if "." in value else int(value)
        if kind != "ws":
            tokens.append((kind, value, pos))
        pos = end
    tokens.append(("eof", None, len(text)))
    return tokens


def _unescape(m: re.Match[str]) -> str:
    esc = m.group(1)
    if esc[0] == "u" and len(esc) == 5:
        return chr(int(esc[1:], 16))
    if esc in _ESCAPES:
        return _ESCAPES[esc]
    raise FeelError(f"字符串中有无效的转义 \\{esc}")


class _Parser:
    """Recursive descent. Precedence, loosest first: if, or, and, comparison/between/in, + -, * /, **,
    unary minus, postfix (`.name`, `[filter]`). Same-level chains are flat tuples so long sums stay shallow."""

    def __init__(self, text: str) -> None:
        self.tokens = _tokenize(text)
        self.i = 0
        self.depth = 0

    def peek(self, kind: str, value: Any = None) -> bool:
        k, v, _ = self.tokens[self.i]
        return k == kind and (value is None or v == value)

    def take(self, kind: str, value: Any = None) -> Any:
        k, v, pos = self.tokens[self.i]
        if k != kind or (value is not None and v != value):
            shown = "表达式结尾" if k == "eof" else repr(v)
            raise FeelError(f"第 {pos + 1} 个字符处：意外的 {shown}，应为 {value or kind}")
        self.i += 1
        return v

    def accept(self, kind: str, value: Any = None) -> bool:
        if self.peek(kind, value):
            self.i += 1
            return True
        return False

    def deeper(self) -> None:
        self.depth += 1
        if self.depth > MAX_DEPTH:
            raise FeelError(f"表达式嵌套超过 {MAX_DEPTH} 层")

    def nested(self, parse: Callable[[], tuple]) -> tuple:
        self.deeper()
        node = parse()
        self.depth -= 1
        return node

    def seq(self, close: str, item: Callable[[], tuple]) -> tuple:
        """Comma separated items up to `close` (already past the opener)."""
        items: list[tuple] = []
        while not self.accept("op", close):
            if items:
                self.take("op", ",")
            items.append(item())
        return tuple(items)

    def expression(self) -> tuple:
        return self.nested(self._expression)

    def _expression(self) -> tuple:
        if self.accept("kw", "if"):
            cond = self.expression()
            self.take("kw", "then")
            then = self.expression()
            self.take("kw", "else")
            return ("if", cond, then, self.expression())
        return self.logical("or", lambda: self.logical("and", self.comparison))

    def logical(self, word: str, operand: Callable[[], tuple]) -> tuple:
        items = [operand()]
        while self.accept("kw", word):
            items.append(operand())
        return items[0] if len(items) == 1 else (word, tuple(items))

    def comparison(self) -> tuple:
        left = self.additive()
        for op in ("=", "!=", "<", "<=", ">", ">="):
            if self.accept("op", op):
                return ("cmp", op, left, self.additive())
        if self.accept("kw", "between"):
            low = self.additive()
            self.take("kw", "and")
            return ("between", left, low, self.additive())
        if self.accept("kw", "in"):  # `x in [1, 2]`, `x in ("a", "b")`, `x in y` (ranges are not supported)
            if self.accept("op", "("):
                return ("in", left, self.seq(")", self.additive))
            return ("in", left, (self.additive(),))
        return left

    def chain(self, ops: tuple[str, ...], operand: Callable[[], tuple]) -> tuple:
        first, rest = operand(), []
        while self.tokens[self.i][0] == "op" and self.tokens[self.i][1] in ops:
            rest.append((self.take("op"), operand()))
        return first if not rest else ("arith", first, tuple(rest))

    def additive(self) -> tuple:
        return self.chain(("+", "-"), lambda: self.chain(("*", "/"), lambda: self.chain(("**",), self.unary)))

    def unary(self) -> tuple:
        if self.accept("op", "-"):
            return self.nested(lambda: ("neg", self.unary()))
        node, extra = self.primary(), 0
        while self.peek("op", ".") or self.peek("op", "["):
            extra += 1  # postfix chains nest in the AST, so they count towards the depth limit
            self.deeper()
            if self.accept("op", "."):
                node = ("path", node, self.take("name"))
            else:
                self.take("op", "[")
                node = ("filter", node, self.expression())
                self.take("op", "]")
        self.depth -= extra
        return node

    def primary(self) -> tuple:
        kind, value, pos = self.tokens[self.i]
        self.i += 1
        if kind in ("num", "str"):
            return ("lit", value)
        if kind == "kw" and value in _LITERALS:
            return ("lit", _LITERALS[value])
        if kind == "name":
            if self.accept("op", "("):
                return ("call", value, self.seq(")", self.expression))
            return ("name", value)
        if (kind, value) == ("op", "("):
            node = self.expression()
            self.take("op", ")")
            return node
        if (kind, value) == ("op", "["):
            return ("list", self.seq("]", self.expression))
        if (kind, value) == ("op", "{"):
            return ("ctx", self.seq("}", self.entry))
        shown = "表达式结尾" if kind == "eof" else repr(value)
        raise FeelError(f"第 {pos + 1} 个字符处：意外的 {shown}")

    def entry(self) -> tuple:
        key = self.take("str") if self.peek("str") else self.take("name")
        self.take("op", ":")
        return (key, self.expression())


def _strip(expression: Any) -> str:
    if not isinstance(expression, str):
        raise FeelError("表达式必须是字符串")
    if len(expression) > MAX_LENGTH:
        raise FeelError(f"表达式超过 {MAX_LENGTH} 个字符")
    text = expression.strip()
    return text[1:] if text.startswith("=") else text


@lru_cache(maxsize=1024)
def _parse_cached(text: str) -> tuple:
    if not text.strip():
        raise FeelError("表达式为空")
    parser = _Parser(text)
    node = parser.expression()
    parser.take("eof")
    return node


def parse(expression: str) -> tuple:
    """Parse into an immutable AST of nested tuples; raises FeelError. A leading "=" is stripped."""
    return _parse_cached(_strip(expression))


def called_functions(expression: str) -> set[str]:
    """Names of the functions an expression calls, so schema checks can refuse ones we cannot evaluate."""
    found: set[str] = set()
    stack: list[Any] = [parse(expression)]
    while stack:
        item = stack.pop()
        if isinstance(item, tuple):
            if len(item) == 3 and item[0] == "call" and isinstance(item[1], str):
                found.add(item[1])
            stack.extend(item)
    return found


# ---------------------------------------------------------------- values and built-in functions

def _kind(v: Any) -> str:
    if v is None:
        return "nil"
    for kind, types in (("boolean", bool), ("number", (int, float)), ("string", str), ("list", list)):
        if isinstance(v, types):
            return kind
    return "context" if isinstance(v, Mapping) else "other"


def _equals(a: Any, b: Any, depth: int = 0) -> bool | None:
    """feelin's equality: null only equals null, different types give null, lists/contexts compare deeply."""
    ka, kb = _kind(a), _kind(b)
    if ka == "nil" or kb == "nil":
        return ka == kb
    if ka != kb or ka == "other" or depth > MAX_DEPTH:
        return None
    if ka == "list":
        return len(a) == len(b) and all(_equals(x, y, depth + 1) is True for x, y in zip(a, b))
    if ka == "context":
        return a.keys() == b.keys() and all(_equals(a[k], b[k], depth + 1) is True for k in a)
    return bool(a == b)


def _compare(op: str, a: Any, b: Any) -> bool | None:
    if op == "=":
        return _equals(a, b)
    if op == "!=":
        return _equals(a, b) is not True  # feelin negates in JS, so a null comparison becomes true
    if _kind(a) != _kind(b) or _kind(a) not in ("number", "string") or a != a or b != b:
        return None
    return {"<": a < b, "<=": a <= b, ">": a > b, ">=": a >= b}[op]


def _number(v: Any) -> bool:
    return _kind(v) == "number"


def _fit(v: Any) -> Any:
    """Keep results bounded: huge integers, infinities and giant strings become null."""
    if isinstance(v, int) and not isinstance(v, bool) and v.bit_length() > MAX_INT_BITS:
        return None
    if isinstance(v, float) and not math.isfinite(v) or isinstance(v, str) and len(v) > MAX_STRING:
        return None
    return v


def _arith(op: str, a: Any, b: Any) -> Any:
    if op == "+" and isinstance(a, str) and isinstance(b, str):
        return a + b if len(a) + len(b) <= MAX_STRING else None
    if not (_number(a) and _number(b)):
        return None
    ints = isinstance(a, int) and isinstance(b, int)
    try:
        if op == "**":
            if ints and b >= 0:
                return None if abs(a) > 1 and a.bit_length() * b > MAX_INT_BITS else a ** b
            return _fit(math.pow(a, b))
        if op == "*" and ints and a.bit_length() + b.bit_length() > MAX_INT_BITS:
            return None
        if op == "/":
            return None if b == 0 else _fit(a / b)
        return _fit(a + b if op == "+" else a - b if op == "-" else a * b)
    except (OverflowError, ValueError, ZeroDivisionError):
        return None


def _to_string(v: Any) -> str | None:
    if isinstance(v, bool):
        return "true" if v else "false"
    if isinstance(v, float) and v.is_integer() and abs(v) < 2 ** 53:
        return str(int(v))
    return str(v) if isinstance(v, (int, float, str)) else None


def _to_number(v: Any) -> Any:
    if _number(v):
        return v
    if isinstance(v, str) and len(v) < 400 and re.fullmatch(r"\s*-?(?:[0-9]+(?:\.[0-9]*)?|\.[0-9]+)\s*", v):
        return float(v) if "." in v else int(v)
    return None


def _over(kind: str, fn: Callable[[list], Any]) -> Callable[..., Any]:
    """min/max/sum/all/any take either one list or several values, all of one kind."""
    def wrapped(*args: Any) -> Any:
        items = args[0] if len(args) == 1 and isinstance(args[0], list) else list(args)
        return fn(items) if items and all(_kind(x) == kind for x in items) else None
    return wrapped


def _strings(fn: Callable[..., Any]) -> Callable[..., Any]:
    return lambda *a: fn(*a) if a and all(isinstance(x, str) for x in a) else None


FUNCTIONS: dict[str, Callable[..., Any] | None] = {
    "not": lambda x: (not x) if isinstance(x, bool) else None,
    "string length": _strings(len),
    "upper case": _strings(str.upper),
    "lower case": _strings(str.lower),
    "contains": _strings(lambda s, t: t in s),
    "starts with": _strings(str.startswith),
    "ends with": _strings(str.endswith),
    "count": lambda xs: len(xs) if isinstance(xs, list) else None,
    "sum": _over("number", sum),
    "min": _over("number", min),
    "max": _over("number", max),
    "all": _over("boolean", all),
    "any": _over("boolean", any),
    "list contains": lambda xs, v: any(_equals(x, v) is True for x in xs) if isinstance(xs, list) else None,
    "append": lambda xs, *vs: xs + list(vs) if isinstance(xs, list) else None,
    "string": _to_string,
    "number": _to_number,
    "abs": lambda x: abs(x) if _number(x) else None,
    "floor": lambda x: math.floor(x) if _number(x) else None,
    "ceiling": lambda x: math.ceil(x) if _number(x) else None,
    "is defined": None,  # a special form (it looks at the name, not the value), see _Evaluator.call
}
_MULTIWORD: dict[str, list[tuple[re.Pattern[str], str]]] = {}
for _name in sorted((n for n in FUNCTIONS if " " in n), key=len, reverse=True):
    _MULTIWORD.setdefault(_name.split(" ")[0], []).append(
        (re.compile(r"\s+".join(map(re.escape, _name.split(" "))) + r"\b(?=\s*\()"), _name))


def _match_multiword(text: str, pos: int, word: str) -> tuple[str, int] | None:
    """FEEL function names may contain spaces ("string length"); only known names followed by "(" are joined."""
    for pattern, name in _MULTIWORD.get(word, ()):
        m = pattern.match(text, pos)
        if m:
            return name, m.end()
    return None


# ---------------------------------------------------------------- evaluator

_MISSING = object()


class _Evaluator:
    def __init__(self) -> None:
        self.steps = 0

    def tick(self, n: int = 1) -> None:
        self.steps += n
        if self.steps > MAX_STEPS:
            raise FeelError("表达式计算量过大")

    def lookup(self, node: tuple, ctx: Mapping) -> Any:
        """Resolve a name or path; _MISSING when absent (for `is defined`). Only mapping lookups, never getattr."""
        if node[0] == "name":
            return ctx.get(node[1], _MISSING)
        base = self.lookup(node[1], ctx) if node[1][0] in ("name", "path") else self.eval(node[1], ctx)
        if isinstance(base, Mapping):
            return base.get(node[2], _MISSING)
        if isinstance(base, list):  # FEEL projects a path over a list of contexts
            self.tick(len(base))
            return [x.get(node[2]) if isinstance(x, Mapping) else None for x in base]
        return _MISSING

    def eval(self, node: tuple, ctx: Mapping) -> Any:
        self.tick()
        tag = node[0]
        if tag == "lit":
            return node[1]
        if tag in ("name", "path"):
            value = self.lookup(node, ctx)
            return None if value is _MISSING else value
        if tag in ("and", "or"):
            results = [self.eval(n, ctx) for n in node[1]]
            decisive = tag == "or"  # True decides `or`, False decides `and`
            if any(r is decisive for r in results):
                return decisive
            return (not decisive) if all(r is (not decisive) for r in results) else None
        if tag == "cmp":
            return _compare(node[1], self.eval(node[2], ctx), self.eval(node[3], ctx))
        if tag == "between":
            x = self.eval(node[1], ctx)
            low, high = _compare(">=", x, self.eval(node[2], ctx)), _compare("<=", x, self.eval(node[3], ctx))
            return False if False in (low, high) else (None if None in (low, high) else True)
        if tag == "in":
            x = self.eval(node[1], ctx)
            return any(self.member(x, self.eval(n, ctx)) for n in node[2])
        if tag == "arith":
            value = self.eval(node[1], ctx)
            for op, operand in node[2]:
                value = _arith(op, value, self.eval(operand, ctx))
            return value
        if tag == "neg":
            value = self.eval(node[1], ctx)
            return -value if _number(value) else None
        if tag == "if":
            return self.eval(node[2] if self.eval(node[1], ctx) is True else node[3], ctx)
        if tag == "list":
            return [self.eval(n, ctx) for n in node[1]]
        if tag == "ctx":
            return {key: self.eval(n, ctx) for key, n in node[1]}
        if tag == "filter":
            return self.filter(node, ctx)
        return self.call(node[1], node[2], ctx)

    def member(self, x: Any, value: Any) -> bool:
        if isinstance(value, list):
            self.tick(len(value))
            return any(_equals(x, v) is True for v in value)
        return _equals(x, value) is True

    def filter(self, node: tuple, ctx: Mapping) -> Any:
        """`list[2]` indexes (1-based, negative from the end); `list[item > 3]` filters."""
        target = self.eval(node[1], ctx)
        if not isinstance(target, list):
            return None
        index = self.eval(node[2], ctx)
        if _number(index):
            i = int(index)
            return target[i - 1] if 0 < i <= len(target) else target[i] if 0 < -i <= len(target) else None
        out = []
        for item in target:
            scope = ChainMap({"item": item}, item if isinstance(item, Mapping) else {}, ctx)
            if self.eval(node[2], scope) is True:
                out.append(item)
        return out

    def call(self, name: str, args: tuple, ctx: Mapping) -> Any:
        if name == "is defined":
            return len(args) == 1 and args[0][0] in ("name", "path") and self.lookup(args[0], ctx) is not _MISSING
        fn = FUNCTIONS.get(name)
        if fn is None:
            return None  # unknown function: null, as feelin does after a warning
        values = [self.eval(a, ctx) for a in args]
        try:
            return _fit(fn(*values))
        except (TypeError, ValueError, OverflowError, RecursionError):
            return None


def evaluate(expression: str, context: Mapping | None = None) -> Any:
    """Evaluate `expression` (leading "=" optional) against `context`; unknown names are null."""
    node = parse(expression)
    return _Evaluator().eval(node, context if isinstance(context, Mapping) else {})
