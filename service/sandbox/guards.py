"""Run-time guards the restricted code calls: operators, item access, formatting, the copy budget.

Why guarded helper functions rather than a bigger AST transformer: restricted.py only *routes* the
risky operations (``a * b``, ``a ** b``, ``a << b``, ``a + b``, ``a % b``, set/dict operators,
subscripts, f-string values) to the functions below; the decisions need run-time
types (``'x' * n`` is 10 GB of text, ``3 * n`` is a number), so they are made here.

Rules that hold for everything in this module:

* Refusals raise ``SandboxError``. Scripts can only name a few exception classes in ``except``
  (ValueError, KeyError, ...) and SandboxError derives from none of them: a refusal cannot be
  swallowed.
* Attribute access has its own module, attrs.py (an allow-list per type); the builtins scripts see
  are in safe_builtins.py.
* Sizes: one operation may not make a string over ``MAX_STR`` characters, a list/tuple over
  ``MAX_ITEMS`` items or an int over ``MAX_INT_BITS`` bits. On top of that each run has an
  allocation budget (``MAX_RUN_ALLOC``, thread-local, charged by every guarded operation that copies
  data) so a loop of individually-allowed 10 MB copies cannot fill the memory within the time limit.
* The tracer in restricted.py raises only in frames compiled from script source, never in these
  functions, so none of them needs to be interruptible: each is bounded by the limits instead.
  ``charge()`` also checks the deadline, so a loop of heavy (but allowed) copies stops on time even
  between two clock checks of the tracer.
"""
from __future__ import annotations

import math
import operator
import re
import threading
from itertools import islice
from time import perf_counter
from typing import Any, Callable, Iterator

MAX_STR = 10_000_000        # characters in one string made by one operation (~10 MB of ASCII)
MAX_ITEMS = 1_000_000       # items in one list/tuple made by one operation; also range()
MAX_INT_BITS = 14_000       # ~4,200 decimal digits: below CPython's 4,300-digit int/str limit
MAX_REPR = 100_000          # characters when a container is turned into text (str(), f-string, %)
MAX_WIDTH = 1_000           # widths/precisions in format specs, % formats and strftime
MAX_FORMAT_LEN = 10_000     # length of a %-format or strftime format
MAX_RUN_ALLOC = 100_000_000  # bytes (roughly: 1 per character, 8 per item) copied by one run


class SandboxError(Exception):
    """A script or expression was refused (at compile or run time) or failed.

    ``str()`` is a one-line message, prefixed with the 1-based line when known. ``error_type`` names
    the failure ('Refused', 'Timeout', 'SyntaxError', 'ZeroDivisionError', ...); ``original`` keeps
    the script's own exception, when there was one.
    """

    def __init__(self, message: str, line: int | None = None, error_type: str = "Refused",
                 original: BaseException | None = None) -> None:
        super().__init__(message)
        self.message = message
        self.line = line
        self.error_type = error_type
        self.original = original

    def __str__(self) -> str:
        return f"line {self.line}: {self.message}" if self.line else self.message


class SandboxTimeout(SandboxError):
    """The script ran past its time limit and was stopped."""


# --- sizes and the per-run allocation budget -----------------------------------------------------

_budget = threading.local()


def start_budget(deadline: float = math.inf, limit: float = 0.0) -> None:
    """Open the budget of one run on this thread; ``deadline`` is a ``perf_counter()`` value."""
    _budget.left = MAX_RUN_ALLOC
    _budget.deadline = deadline
    _budget.limit = limit


def stop_budget() -> None:
    _budget.left = None


def charge(nbytes: int) -> None:
    left = getattr(_budget, "left", None)
    if left is None:  # called outside a sandbox run (tests, the service itself)
        return
    left -= max(nbytes, 0)   # 'x' * -10**9 must not refill the budget
    if left < 0:
        _budget.left = None
        raise SandboxError(f"the script copied too much data (over {MAX_RUN_ALLOC // 1_000_000} MB)")
    _budget.left = left
    if perf_counter() > _budget.deadline:   # heavy copies between two clock checks of the tracer
        _budget.left = None
        raise timeout(_budget.limit)


def timeout(limit: float) -> SandboxTimeout:
    return SandboxTimeout(f"stopped: the time limit of {limit:g} s was exceeded", error_type="Timeout")


def alloc(kind: type, n: int) -> None:
    """Refuse one result of ``n`` characters (str) or items (other sequences); charge the budget."""
    if issubclass(kind, (str, bytes)):
        if n > MAX_STR:
            raise SandboxError(f"result too large: {n:,} characters (limit {MAX_STR:,})")
        charge(n)
    else:
        if n > MAX_ITEMS:
            raise SandboxError(f"result too large: {n:,} items (limit {MAX_ITEMS:,})")
        charge(8 * n)


def _int_bits(bits: float) -> None:
    if bits > MAX_INT_BITS:
        raise SandboxError(f"number too large: about {int(bits * 0.30103):,} digits "
                           f"(limit {int(MAX_INT_BITS * 0.30103):,})")
    charge(int(bits) // 8)


_SEQ = (str, bytes, list, tuple)
_COLL = (set, frozenset, dict, type({}.keys()), type({}.items()))


def _check_mul(a: Any, b: Any) -> None:
    if isinstance(a, int) and isinstance(b, int):
        _int_bits(a.bit_length() + b.bit_length())
    elif isinstance(a, _SEQ) and isinstance(b, int):
        alloc(type(a), len(a) * b)
    elif isinstance(b, _SEQ) and isinstance(a, int):
        alloc(type(b), len(b) * a)


def _check_pow(a: Any, b: Any) -> None:
    if isinstance(a, int) and isinstance(b, int) and b > 0 and abs(a) > 1:
        _int_bits(b * math.log2(abs(a)))


def _check_lshift(a: Any, b: Any) -> None:
    if isinstance(a, int) and isinstance(b, int) and a and b > 0:
        _int_bits(a.bit_length() + b)


def _check_add(a: Any, b: Any) -> None:
    if isinstance(a, _SEQ) and hasattr(b, "__len__"):
        alloc(type(a), len(a) + len(b))


def _check_mod(a: Any, b: Any) -> None:
    if isinstance(a, str):
        _check_percent_format(a, b)


def _check_coll(a: Any, b: Any) -> None:
    """``|``, ``&``, ``^``, ``-`` copy sets and dicts: charge them; numbers pass untouched."""
    if isinstance(a, _COLL) and hasattr(b, "__len__"):
        alloc(set, len(a) + len(b))


# The guarded operators (restricted.py rewrites ``a * b`` to ``_mul_(a, b)``). Each is one plain
# function with an inline fast path: under sys.settrace every extra Python call costs a trace event.

def guarded_add(a: Any, b: Any) -> Any:
    if isinstance(a, _SEQ):
        _check_add(a, b)
    return a + b


def guarded_mul(a: Any, b: Any) -> Any:
    ta, tb = type(a), type(b)
    if not (ta is float or tb is float or (ta is int and tb is int and a.bit_length() + b.bit_length() < 64)):
        _check_mul(a, b)
    return a * b


def guarded_pow(a: Any, b: Any) -> Any:
    if isinstance(b, int) and b > 1 and isinstance(a, int):
        _check_pow(a, b)
    return a ** b


def guarded_lshift(a: Any, b: Any) -> Any:
    if isinstance(b, int) and b > 0:
        _check_lshift(a, b)
    return a << b


def guarded_mod(a: Any, b: Any) -> Any:
    if isinstance(a, str):
        _check_percent_format(a, b)
    return a % b


def guarded_sub(a: Any, b: Any) -> Any:
    if isinstance(a, _COLL):
        _check_coll(a, b)
    return a - b


def guarded_or(a: Any, b: Any) -> Any:
    if isinstance(a, _COLL):
        _check_coll(a, b)
    return a | b


def guarded_and(a: Any, b: Any) -> Any:
    if isinstance(a, _COLL):
        _check_coll(a, b)
    return a & b


def guarded_xor(a: Any, b: Any) -> Any:
    if isinstance(a, _COLL):
        _check_coll(a, b)
    return a ^ b


BINOPS: dict[str, Callable[[Any, Any], Any]] = {
    "_add_": guarded_add, "_mul_": guarded_mul, "_pow_": guarded_pow, "_lshift_": guarded_lshift,
    "_mod_": guarded_mod, "_sub_": guarded_sub, "_or_": guarded_or, "_and_": guarded_and,
    "_xor_": guarded_xor,
}
_INPLACE: dict[str, tuple[Callable[[Any, Any], None] | None, Callable[[Any, Any], Any]]] = {
    "+=": (_check_add, operator.iadd), "-=": (_check_coll, operator.isub),
    "*=": (_check_mul, operator.imul), "/=": (None, operator.itruediv),
    "//=": (None, operator.ifloordiv), "%=": (_check_mod, operator.imod),
    "**=": (_check_pow, operator.ipow), "<<=": (_check_lshift, operator.ilshift),
    ">>=": (None, operator.irshift), "|=": (_check_coll, operator.ior),
    "&=": (_check_coll, operator.iand), "^=": (_check_coll, operator.ixor),
}


def guarded_inplace(op: str, x: Any, y: Any) -> Any:
    """``x op= y``: the same checks as the binary operator, then Python's in-place operator."""
    check, fn = _INPLACE[op]
    if check is not None:
        check(x, y)
    return fn(x, y)


def guarded_getitem(obj: Any, key: Any) -> Any:
    """``obj[key]``; a slice copies, so it is charged to the budget."""
    if type(key) is slice and isinstance(obj, _SEQ):
        alloc(type(obj), len(range(*key.indices(len(obj)))))
    return obj[key]


_PERCENT = re.compile(r"%(?:\(([^)]*)\))?[-#0 +]*(\*|\d+)?(?:\.(\*|\d+))?[hlL]?(.)", re.S)


def check_width(text: str | None, what: str) -> int:
    if text is None:
        return 0
    if text == "*":
        raise SandboxError(f"'*' {what} in a % format is not allowed")
    if int(text) > MAX_WIDTH:
        raise SandboxError(f"{what} {text} in a format is too large (limit {MAX_WIDTH})")
    return int(text)


def _check_percent_format(fmt: str, args: Any) -> None:
    if len(fmt) > MAX_FORMAT_LEN:
        raise SandboxError(f"% format strings are limited to {MAX_FORMAT_LEN:,} characters")
    total, names = len(fmt), []
    for m in _PERCENT.finditer(fmt):
        total += check_width(m.group(2), "width") + check_width(m.group(3), "precision")
        if m.group(1) is not None:
            names.append(m.group(1))
    if isinstance(args, dict):
        values = [args.get(name) for name in names]
    else:
        values = list(args) if isinstance(args, tuple) else [args]
    for value in values:
        total += text_size(value)
        if total > MAX_STR:
            break
    alloc(str, total)


_CONTAINERS = (list, tuple, set, frozenset, dict)


def text_size(value: Any, budget: int = MAX_REPR) -> int:
    """Roughly how many characters ``str(value)`` makes; refuses containers over ``budget``.

    Computes sizes without building text. A container referenced many times counts each time it
    would be printed (what makes ``str([s] * 1000)`` dangerous) but is measured once; a cycle
    counts as the ``[...]`` that repr prints.
    """
    if isinstance(value, str):
        return len(value)
    if isinstance(value, int):
        return value.bit_length() // 3 + 2
    if not isinstance(value, _CONTAINERS):
        return 40
    return _container_size(value, {}, budget, 0)


def _container_size(value: Any, memo: dict[int, int], budget: int, depth: int) -> int:
    known = memo.get(id(value))
    if known is not None:
        return known
    if depth > 200:
        raise SandboxError("value nested too deeply to turn into text")
    if 2 * len(value) > budget:               # every item prints as at least 2 characters
        raise SandboxError(f"value too large to turn into text (over {budget:,} characters)")
    memo[id(value)] = 5                       # while being measured: a cycle prints as [...]
    size = 2
    for item in (list(value.items()) if isinstance(value, dict) else value):
        if isinstance(item, str):
            size += len(item) + 4
        elif isinstance(item, int):
            size += item.bit_length() // 3 + 4
        elif isinstance(item, _CONTAINERS):
            size += _container_size(item, memo, budget, depth + 1) + 2
        else:
            size += 40
        if size > budget:
            raise SandboxError(f"value too large to turn into text (over {budget:,} characters)")
    memo[id(value)] = size
    return size


def guarded_format_value(value: Any, budget: int) -> Any:
    """Called on every f-string value: refuses values whose text would exceed ``budget``."""
    size = text_size(value, min(budget, MAX_REPR))
    if size > budget:
        raise SandboxError(f"value too large for an f-string (over {budget:,} characters)")
    charge(size)
    return value


def guarded_write(obj: Any) -> Any:
    """Target of ``obj[k] = v`` / ``del obj[k]`` / ``obj.a = v``: only lists and dicts, by item."""
    if isinstance(obj, (list, dict)):
        return obj
    raise SandboxError(f"cannot modify a {type(obj).__name__} in place")


def guarded_unpack_sequence(it: Any, spec: dict[str, Any], getiter: Callable[[Any], Iterator[Any]]) -> list[Any]:
    """``a, (b, c) = value``: takes at most one item more than needed (RestrictedPython's own version
    copies the whole iterable first, which for a 10 MB string is a 10-million-item list)."""
    n = spec["min_len"]
    items = list(islice(getiter(it), n + 1))
    if len(items) != n:
        got = "more" if len(items) > n else str(len(items))
        raise ValueError(f"expected {n} values to unpack, got {got}")
    for idx, child in spec["childs"]:
        items[idx] = guarded_unpack_sequence(items[idx], child, getiter)
    return items


def guarded_iter_unpack_sequence(it: Any, spec: dict[str, Any],
                                 getiter: Callable[[Any], Iterator[Any]]) -> Iterator[list[Any]]:
    for ob in getiter(it):
        yield guarded_unpack_sequence(ob, spec, getiter)


def guarded_apply(fn: Callable[..., Any], *args: Any, **kwargs: Any) -> Any:
    """``f(*a, **k)``: never generated while the policy refuses starred arguments; kept for safety."""
    return fn(*args, **kwargs)


class DiscardPrint:
    """``print()`` in a script: accepted and thrown away (logs are not a way out of the sandbox)."""

    def __init__(self, _getattr_: Any = None) -> None:
        pass

    def _call_print(self, *args: Any, **kwargs: Any) -> None:
        return None

    def __call__(self) -> str:
        return ""
