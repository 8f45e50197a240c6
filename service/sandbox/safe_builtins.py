"""The builtins a script sees: a short explicit list of pure functions, several of them guarded.

Why wrappers: ``list('a' * 10**7)`` or ``set(big)`` copy in C where no operator guard sees them,
``sum(lists, [])`` is quadratic, ``round(5, -10**9)`` computes ``10**10**9``, ``int()`` of long text
is quadratic in 3.11, ``str()`` of a container can be enormous, and ``isinstance`` must not accept
arbitrary classes. Everything not listed here (``open``, ``getattr``, ``type``, ``vars``,
``__import__``...) simply does not exist inside the sandbox.

``CATCHABLE`` are the only exception classes a script may name in ``except``.
"""
from __future__ import annotations

import operator
from datetime import date, datetime, timedelta
from typing import Any, Callable

from service.sandbox.guards import MAX_ITEMS, SandboxError, alloc, text_size

def _copying(fn: Callable[..., Any]) -> Callable[..., Any]:
    """A builtin that copies its first argument: refuse/charge by its (hinted) length."""
    def wrapper(*args: Any, **kwargs: Any) -> Any:
        if args:
            alloc(list, operator.length_hint(args[0]))
        return fn(*args, **kwargs)
    wrapper.__name__ = wrapper.__qualname__ = fn.__name__
    return wrapper


def _lazy(fn: Callable[..., Any]) -> Callable[..., Any]:
    """zip/map/enumerate/...: charged up front for what ``list()`` of them would hold, since they
    are usually consumed by C code that no guard sees (a long string counts one item per character)."""
    def wrapper(*args: Any, **kwargs: Any) -> Any:
        alloc(list, sum(operator.length_hint(arg) for arg in args))
        return fn(*args, **kwargs)
    wrapper.__name__ = wrapper.__qualname__ = fn.__name__
    return wrapper


def safe_range(*args: int) -> range:
    r = range(*args)
    try:
        n = len(r)
    except OverflowError:
        n = MAX_ITEMS + 1
    if n > MAX_ITEMS:
        raise SandboxError(f"range() is limited to {MAX_ITEMS:,} items")
    return r


_SCALARS = (int, float, bool, str, type(None), date, datetime, timedelta)


def safe_str(*args: Any, **kwargs: Any) -> str:
    if len(args) == 1 and not kwargs and not isinstance(args[0], _SCALARS):
        alloc(str, text_size(args[0]))
    return str(*args, **kwargs)


def safe_int(*args: Any, **kwargs: Any) -> int:
    """int(): text longer than CPython's own 4,300-digit limit is refused before it is parsed (that
    limit can be switched off process-wide, and 3.11 parses long text in quadratic time)."""
    if args and isinstance(args[0], str) and len(args[0]) > 5_000:
        raise SandboxError("int() accepts at most 5,000 characters of text")
    return int(*args, **kwargs)


def safe_sum(iterable: Any, start: Any = 0) -> Any:
    if not isinstance(start, (int, float, timedelta)):
        raise SandboxError("sum() adds numbers or timedeltas only; use ''.join(...) for text")
    return sum(iterable, start)


def safe_round(number: Any, ndigits: int | None = None) -> Any:
    if ndigits is None:
        return round(number)
    if isinstance(ndigits, int) and abs(ndigits) > 100:
        raise SandboxError("round() accepts at most 100 digits")
    return round(number, ndigits)


safe_list, safe_tuple, safe_set, safe_sorted, safe_dict = (
    _copying(list), _copying(tuple), _copying(set), _copying(sorted), _copying(dict))

_SAFE_TYPES: dict[Any, type] = {
    safe_str: str, safe_int: int, float: float, bool: bool, safe_list: list, safe_dict: dict,
    safe_tuple: tuple, safe_set: set, date: date, datetime: datetime, timedelta: timedelta,
}


def safe_isinstance(obj: Any, classinfo: Any) -> bool:
    kinds = classinfo if isinstance(classinfo, tuple) else (classinfo,)
    try:
        real = tuple(_SAFE_TYPES[k] for k in kinds)
    except (KeyError, TypeError):
        raise SandboxError("isinstance() accepts only str, int, float, bool, list, dict, tuple, set, "
                           "date, datetime, timedelta") from None
    return isinstance(obj, real)


SAFE_BUILTINS: dict[str, Any] = {
    "None": None, "True": True, "False": False,
    "len": len, "min": min, "max": max, "abs": abs, "any": any, "all": all, "divmod": divmod,
    "bool": bool, "int": safe_int, "float": float, "chr": chr, "ord": ord,
    "str": safe_str, "list": safe_list, "tuple": safe_tuple, "set": safe_set, "dict": safe_dict,
    "sorted": safe_sorted, "range": safe_range, "sum": safe_sum, "round": safe_round,
    "isinstance": safe_isinstance, "enumerate": _lazy(enumerate), "zip": _lazy(zip),
    "reversed": _lazy(reversed), "map": _lazy(map), "filter": _lazy(filter),
}

# The only exception classes a script can name in ``except``: SandboxError derives from none of them.
CATCHABLE: dict[str, type[BaseException]] = {
    cls.__name__: cls for cls in (ArithmeticError, IndexError, KeyError, LookupError, NameError,
                                  TypeError, ValueError, ZeroDivisionError)
}
