"""Attribute access for restricted code: an allow-list per type, with size guards on growing methods.

Why an allow-list rather than RestrictedPython's ``safer_getattr`` (which only refuses ``_`` names
and ``format``): what is reachable from a value must be known, not whatever a future Python adds.
Values of the listed types (str, list, dict, tuple, set, int, float, date, datetime, time, timedelta,
exceptions) expose the listed attributes; the ``datetime``/``date``/``timedelta`` classes expose a
few constructors; everything else - functions, generators, frames, modules, tzinfo objects, classes
- exposes nothing. ``str.format``/``format_map`` are never listed (format strings can walk
attributes: ``'{0.__class__}'.format(x)``).

Methods that can grow their output (``ljust``, ``replace``, ``join``, ``split``...) are returned
wrapped, checking the result size first; methods that copy their object are charged to the run's
allocation budget (see guards.py).
"""
from __future__ import annotations

import operator
import re
from datetime import date, datetime, time, timedelta
from typing import Any, Callable

from service.sandbox.guards import MAX_FORMAT_LEN, MAX_ITEMS, SandboxError, alloc, charge, check_width


_STR_ATTRS = frozenset("""capitalize casefold center count endswith expandtabs find index isalnum
    isalpha isascii isdecimal isdigit isidentifier islower isnumeric isprintable isspace istitle isupper
    join ljust lower lstrip partition removeprefix removesuffix replace rfind rindex rjust rpartition
    rsplit rstrip split splitlines startswith strip swapcase title upper zfill""".split())
_SET_ATTRS = frozenset("""add clear copy difference difference_update discard intersection
    intersection_update isdisjoint issubset issuperset pop remove symmetric_difference
    symmetric_difference_update union update""".split())
_NUM_ATTRS = frozenset("bit_length conjugate denominator imag is_integer numerator real".split())
_DATE_ATTRS = frozenset("""year month day weekday isoweekday isoformat isocalendar replace strftime
    toordinal ctime""".split())

_ATTRS: dict[type, frozenset[str]] = {
    str: _STR_ATTRS,
    list: frozenset("append clear copy count extend index insert pop remove reverse sort".split()),
    dict: frozenset("clear copy get items keys pop popitem setdefault update values".split()),
    tuple: frozenset({"count", "index"}),
    set: _SET_ATTRS, frozenset: _SET_ATTRS - {"add", "clear", "discard", "pop", "remove", "update"},
    int: _NUM_ATTRS, float: _NUM_ATTRS,
    datetime: _DATE_ATTRS | frozenset("""hour minute second microsecond tzinfo fold date time timetz
        astimezone timestamp utcoffset tzname""".split()),
    date: _DATE_ATTRS,
    time: frozenset("hour minute second microsecond tzinfo isoformat replace strftime".split()),
    timedelta: frozenset("days seconds microseconds total_seconds".split()),
    BaseException: frozenset({"args"}),
}
# Attributes of the classes themselves. now()/today()/utcnow() are left out on purpose (naive local
# time: scripts use the now() and today() helpers); strptime compiles a regex from its argument.
_CLASS_ATTRS: dict[type, frozenset[str]] = {
    datetime: frozenset({"fromisoformat", "combine", "min", "max"}),
    date: frozenset({"fromisoformat", "min", "max"}),
    timedelta: frozenset({"min", "max", "resolution"}),
}
# Methods that copy their object: charged to the budget when looked up.
_COPYING = frozenset("""capitalize casefold lower upper swapcase title strip lstrip rstrip removeprefix
    removesuffix partition rpartition copy""".split())


def _width_method(name: str) -> Callable[[str], Callable[..., str]]:
    def make(s: str) -> Callable[..., str]:
        def call(width: int, *args: Any) -> str:
            if isinstance(width, int):
                alloc(str, width)
            return getattr(s, name)(width, *args)
        return call
    return make


def _replace(s: str) -> Callable[..., str]:
    def replace(old: str, new: str, count: int = -1) -> str:
        if isinstance(old, str) and isinstance(new, str):
            n = s.count(old) if old else len(s) + 1
            if isinstance(count, int) and count >= 0:
                n = min(n, count)
            alloc(str, len(s) + n * max(len(new) - len(old), 0))
        return s.replace(old, new, count)
    return replace


def _expandtabs(s: str) -> Callable[..., str]:
    def expandtabs(tabsize: int = 8) -> str:
        if isinstance(tabsize, int):
            alloc(str, len(s) + s.count("\t") * max(tabsize, 0))
        return s.expandtabs(tabsize)
    return expandtabs


def _join(s: str) -> Callable[[Any], str]:
    def join(iterable: Any) -> str:
        items = iterable if isinstance(iterable, (list, tuple)) else list(iterable)
        alloc(str, sum(len(x) for x in items if isinstance(x, str)) + len(s) * max(len(items) - 1, 0))
        return s.join(items)
    return join


def _split(name: str) -> Callable[[str], Callable[..., list[str]]]:
    def make(s: str) -> Callable[..., list[str]]:
        def split(sep: str | None = None, maxsplit: int = -1) -> list[str]:
            n = s.count(sep) + 1 if isinstance(sep, str) and sep else len(s) // 2 + 1
            if isinstance(maxsplit, int) and maxsplit >= 0:
                n = min(n, maxsplit + 1)
            alloc(list, n)
            charge(len(s))
            return getattr(s, name)(sep, maxsplit)
        return split
    return make


def _splitlines(s: str) -> Callable[..., list[str]]:
    def splitlines(keepends: bool = False) -> list[str]:
        alloc(list, s.count("\n") + s.count("\r") + 1 if len(s) > MAX_ITEMS else len(s))
        charge(len(s))
        return s.splitlines(keepends)
    return splitlines


def _extend(lst: list) -> Callable[[Any], None]:
    def extend(iterable: Any) -> None:
        alloc(list, len(lst) + operator.length_hint(iterable))
        lst.extend(iterable)
    return extend


def _growing(name: str) -> Callable[[Any], Callable[..., Any]]:
    """set/dict methods that copy or grow by their arguments: charged by the arguments' lengths."""
    in_place = name == "update" or name.endswith("_update")

    def make(obj: Any) -> Callable[..., Any]:
        def call(*args: Any, **kwargs: Any) -> Any:
            grows = sum(operator.length_hint(arg) for arg in args) + len(kwargs)
            alloc(list, grows if in_place else len(obj) + grows)
            return getattr(obj, name)(*args, **kwargs)
        return call
    return make


_STRFTIME_WIDTH = re.compile(r"%[-_0^#]*(\d+)")


def _strftime(value: date | time) -> Callable[[str], str]:
    def strftime(fmt: str) -> str:
        if isinstance(fmt, str):
            if len(fmt) > MAX_FORMAT_LEN:
                raise SandboxError(f"strftime formats are limited to {MAX_FORMAT_LEN:,} characters")
            for width in _STRFTIME_WIDTH.findall(fmt):
                check_width(width, "width")
        return value.strftime(fmt)
    return strftime


_WRAPPED: dict[tuple[type, str], Callable[[Any], Any]] = {
    **{(str, name): _width_method(name) for name in ("center", "ljust", "rjust", "zfill")},
    (str, "replace"): _replace, (str, "expandtabs"): _expandtabs, (str, "join"): _join,
    (str, "split"): _split("split"), (str, "rsplit"): _split("rsplit"),
    (str, "splitlines"): _splitlines, (list, "extend"): _extend, (dict, "update"): _growing("update"),
    **{(kind, name): _growing(name) for kind in (set, frozenset) for name in (
        "union", "intersection", "difference", "symmetric_difference", "update", "intersection_update",
        "difference_update", "symmetric_difference_update") if name in _ATTRS[kind]},
    (date, "strftime"): _strftime, (datetime, "strftime"): _strftime, (time, "strftime"): _strftime,
}
_KIND_CACHE: dict[type, Any] = {}
_UNKNOWN = object()


def _kind(t: type) -> type | None:
    """The allow-listed type ``t`` is or derives from (a dict subclass reads like a dict), or None."""
    try:
        return _KIND_CACHE[t]
    except KeyError:
        kind = _KIND_CACHE[t] = next((k for k in t.__mro__ if k in _ATTRS), None)
        return kind


def guarded_getattr(obj: Any, name: str) -> Any:
    """``obj.name`` for restricted code: only the allow-listed attributes of known types."""
    if type(name) is not str or name.startswith("_"):
        raise SandboxError(f"attribute {name!r} is not allowed")
    if isinstance(obj, type):
        if name not in _CLASS_ATTRS.get(obj, ()):
            raise SandboxError(f"'{obj.__name__}.{name}' is not available in scripts")
        return getattr(obj, name)
    kind = _KIND_CACHE.get(type(obj), _UNKNOWN)
    if kind is _UNKNOWN:
        kind = _kind(type(obj))
    if kind is None or name not in _ATTRS[kind]:
        raise SandboxError(f"attribute '{name}' of {type(obj).__name__} is not available in scripts")
    wrap = _WRAPPED.get((kind, name))
    if wrap is not None:
        return wrap(obj)
    if name in _COPYING:
        alloc(str if kind is str else list, len(obj))
    return getattr(obj, name)
