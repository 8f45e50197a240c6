"""Checking form-js schemas and extracting their data fields.

Why: a form is deployed once and then drives every submission; problems the
browser would silently tolerate (a hide condition that does not parse, a regex
the server cannot compile, two fields writing the same variable) are caught here,
in Chinese, before anyone fills the form in.  The rules mirror form-js 1.23
(viewer `*.config`, editor key/path validation), see docs in each helper.
"""
from __future__ import annotations

import json
import math
import re
import warnings
from dataclasses import dataclass, field as dc_field
from functools import lru_cache
from typing import Any, Iterator

from . import feel

__all__ = ["FormSchemaError", "Field", "check_schema", "load_schema", "form_fields", "normalize_options",
           "js_regex", "KEYED_TYPES", "DISPLAY_TYPES", "OPTION_TYPES"]

MAX_SCHEMA_BYTES = 512 * 1024
MAX_COMPONENTS = 2000
MAX_NESTING = 20
# keyed components bind a value (form-js `config.keyed`); "expression" is keyed but computed in the browser
KEYED_TYPES = frozenset({"textfield", "textarea", "number", "checkbox", "checklist", "radio", "select",
                         "taglist", "datetime", "expression", "filepicker"})
CONTAINER_TYPES = frozenset({"group", "dynamiclist"})
DISPLAY_TYPES = frozenset({"iframe", "text", "html", "image", "spacer", "separator", "table", "button",
                           "documentPreview"})
OPTION_TYPES = frozenset({"checklist", "radio", "select", "taglist"})
DATETIME_SUBTYPES = ("date", "time", "datetime")
# properties the server evaluates itself; unknown FEEL functions there would silently evaluate to null
EVALUATED = ("conditional.hide", "readonly", "valuesExpression", "validate.min", "validate.max",
             "validate.minLength", "validate.maxLength")
BROWSER_MISSING_FUNCTIONS = frozenset({"is defined"})  # not in feelin, which the form-js viewer runs
_PATH_RE = re.compile(r"[A-Za-z0-9_]+(?:\.[A-Za-z0-9_]+)*\Z")  # form-js editor: /^\w+(\.\w+)*$/ (ASCII \w)
_PROHIBITED = {"__proto__", "prototype", "constructor"}


class FormSchemaError(Exception):
    """A form schema is unusable; `problems` lists every reason in Chinese."""

    def __init__(self, problems: list[str]):
        super().__init__("；".join(problems))
        self.problems = problems


@dataclass
class Field:
    """One data-bearing component. `path` is the full dotted value path inside its scope (the form root, or
    one item of the enclosing dynamic list), with group `path` prefixes applied; `hide` holds the hide
    conditions of the field and of the groups around it in the same scope."""

    key: str
    type: str
    label: str
    required: bool
    options: list[dict] | None = None
    components: list[Field] | None = None
    path: str = ""
    id: str | None = None
    subtype: str | None = None
    values_key: str | None = None
    values_expression: str | None = None
    hide: tuple[str, ...] = ()
    readonly: bool | str = False
    disabled: bool = False
    validate: dict = dc_field(default_factory=dict)
    component: dict = dc_field(default_factory=dict, repr=False)

    @property
    def parts(self) -> tuple[str, ...]:
        return tuple(self.path.split("."))


def _is_feel(value: Any) -> bool:
    return isinstance(value, str) and value.startswith("=")


def _js_truthy(value: Any) -> bool:
    """form-js tests `readonly` / `disabled` with JavaScript truthiness ("yes" and [] are true, 0 is false)."""
    return not (value is None or value is False or value == "" or (_is_number(value) and value == 0))


def _is_number(value: Any) -> bool:
    """A finite JSON number (bool is not a number, NaN and infinities are refused)."""
    return isinstance(value, (int, float)) and not isinstance(value, bool) and value == value \
        and value not in (math.inf, -math.inf)


def normalize_options(raw: Any) -> list[dict]:
    """form-js `normalizeOptionsData`: primitives become {label, value}; entries without a usable value are dropped."""
    def allowed_primitive(v: Any) -> bool:
        return isinstance(v, (str, int, float, bool)) and (bool(v) or v == 0 or v is False) and v == v

    out: list[dict] = []
    for option in raw if isinstance(raw, list) else []:
        if allowed_primitive(option):
            out.append({"label": str(option), "value": option})
        elif isinstance(option, dict):
            label, value = option.get("label"), option.get("value")
            if not (isinstance(label, str) and label) and allowed_primitive(value):
                out.append({"label": str(value), "value": value})
            elif isinstance(label, str) and label and (allowed_primitive(value) or isinstance(value, dict) and value):
                out.append({"label": label, "value": value})
    return out


@lru_cache(maxsize=256)
def js_regex(pattern: str) -> re.Pattern[str]:
    """Compile a JavaScript regex (as form-js `new RegExp(pattern)` sees it) into Python `re`.

    Differences bridged: JS `\\d`/`\\w` are ASCII, `$` is end-of-input (Python's `$` also matches before a
    final newline), named groups are `(?<n>…)` / `\\k<n>`, `[^]` is any char and `[]` never matches."""
    out: list[str] = []
    i, in_class = 0, False
    while i < len(pattern):
        c, nxt = pattern[i], pattern[i + 1:i + 2]
        if c == "\\" and nxt:
            ascii_sets = {"d": "0-9", "w": "A-Za-z0-9_"}
            if nxt in ascii_sets:
                out.append(ascii_sets[nxt] if in_class else f"[{ascii_sets[nxt]}]")
            elif nxt in "DW" and not in_class:
                out.append(f"[^{ascii_sets[nxt.lower()]}]")
            elif nxt == "k" and pattern[i + 2:i + 3] == "<" and ">" in pattern[i + 3:]:
                end = pattern.index(">", i + 3)
                out.append(f"(?P={pattern[i + 3:end]})")
                i = end + 1
                continue
            else:
                out.append(c + nxt)
            i += 2
            continue
        if in_class:
            in_class = c != "]"
            out.append("\\[" if c == "[" else c)
        elif c == "[":
            if pattern.startswith("[^]", i) or pattern.startswith("[]", i):
                out.append("[\\s\\S]" if nxt == "^" else "(?!)")
                i += 3 if nxt == "^" else 2
                continue
            in_class = True
            out.append(c)
            if pattern.startswith("[^", i):
                out.append("^")
                i += 1
        elif c == "$":
            out.append(r"\Z")
        elif c == "(" and nxt == "?" and pattern[i + 2:i + 3] not in (":", "=", "!", "<"):
            raise re.error("JavaScript 正则不支持 (?" + pattern[i + 2:i + 3] + " 写法")
        elif pattern.startswith("(?<", i) and pattern[i + 3:i + 4] not in ("=", "!"):
            out.append("(?P<")
            i += 3
            continue
        else:
            out.append(c)
        i += 1
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        return re.compile("".join(out))


def _path_problem(value: Any, what: str) -> str | None:
    """form-js editor rules for `key` and `path`: dotted ASCII words, no numeric or prototype segments."""
    if not isinstance(value, str) or not value:
        return f"缺少{what}"
    if not _PATH_RE.match(value):
        return f"{what} “{value[:50]}” 只能由字母、数字、下划线和点组成"
    segments = value.split(".")
    if any(s.isdigit() for s in segments):
        return f"{what} “{value}” 不能含有纯数字的段"
    if any(s in _PROHIBITED for s in segments):
        return f"{what} “{value}” 使用了禁止的名称"
    return None


def _walk_strings(obj: dict, prefix: str = "", depth: int = 0) -> Iterator[tuple[str, str]]:
    """All string properties of a component (nested dicts too, not lists, not child components)."""
    for name, value in obj.items():
        if isinstance(value, str) and isinstance(name, str):
            yield prefix + name, value
        elif isinstance(value, dict) and isinstance(name, str) and name != "components" and depth < MAX_NESTING:
            yield from _walk_strings(value, f"{prefix}{name}.", depth + 1)


def _check_component(comp: dict, where: str, problems: list[str]) -> None:
    """Checks that concern one component alone (not its children, not key collisions)."""
    ctype = comp.get("type")
    say = lambda text: problems.append(f"{where}：{text}")  # noqa: E731
    for name in ("validate", "conditional"):
        if name in comp and not isinstance(comp[name], dict):
            say(f"{name} 必须是对象")
    validate = comp.get("validate") if isinstance(comp.get("validate"), dict) else {}
    conditional = comp.get("conditional") if isinstance(comp.get("conditional"), dict) else {}
    hide = conditional.get("hide")
    if hide is not None and hide != "" and not _is_feel(hide):
        say("conditional.hide 必须是以 = 开头的 FEEL 表达式")
    for prop, text in _walk_strings(comp):
        if not text.startswith("="):
            continue
        try:
            functions = feel.called_functions(text)
        except feel.FeelError as exc:
            say(f"{prop} 的 FEEL 表达式无法解析（{exc}）")
            continue
        unknown = functions - set(feel.FUNCTIONS) if prop in EVALUATED else set()
        for name in sorted(unknown | (functions & BROWSER_MISSING_FUNCTIONS)):
            say(f"{prop} 使用了服务器或浏览器不支持的函数 {name}()")
    if "required" in validate and not isinstance(validate["required"], bool):
        say("validate.required 必须是 true 或 false")
    for low, high, label in (("min", "max", "最小值"), ("minLength", "maxLength", "最小长度")):
        for name in (low, high):
            value = validate.get(name)
            if value is not None and not _is_feel(value) and not _is_number(value):
                say(f"validate.{name} 必须是数字或 FEEL 表达式")
            elif name in ("minLength", "maxLength") and _is_number(value) and value < 0:
                say(f"validate.{name} 不能为负数")
        if _is_number(validate.get(low)) and _is_number(validate.get(high)) and validate[low] > validate[high]:
            say(f"{label}（validate.{low}）大于 validate.{high}")
    pattern = validate.get("pattern")
    if pattern is not None and pattern != "":
        if not isinstance(pattern, str):
            say("validate.pattern 必须是字符串")
        else:
            try:
                js_regex(pattern)
            except (re.error, RecursionError, OverflowError) as exc:
                say(f"正则表达式 {pattern!r} 无效（{exc}）")
    if ctype in OPTION_TYPES:
        _check_options(comp, say)
    if ctype == "datetime" and comp.get("subtype") not in DATETIME_SUBTYPES:
        say("datetime 组件的 subtype 必须是 date、time 或 datetime")
    if ctype == "number":
        digits, increment = comp.get("decimalDigits"), comp.get("increment")
        if digits is not None and not (isinstance(digits, int) and not isinstance(digits, bool) and digits >= 0):
            say("decimalDigits 必须是非负整数")
        step = _as_number(increment)
        if increment not in (None, "") and not (_is_number(step) and step > 0):
            say("increment 必须是正数")
    if ctype == "dynamiclist":
        items = [validate.get(n) for n in ("minItems", "maxItems")]
        if any(v is not None and not (isinstance(v, int) and not isinstance(v, bool) and v >= 0) for v in items):
            say("validate.minItems / maxItems 必须是非负整数")
        elif None not in items and items[0] > items[1]:
            say("validate.minItems 大于 validate.maxItems")


def _as_number(value: Any) -> Any:
    if isinstance(value, str):
        try:
            return float(value)
        except ValueError:
            return None
    return value


def _check_options(comp: dict, say: Any) -> None:
    values, key, expr = comp.get("values"), comp.get("valuesKey"), comp.get("valuesExpression")
    if values is None and not key and not expr:
        say("缺少选项（values、valuesKey 或 valuesExpression）")
        return
    if key is not None and (not isinstance(key, str) or not key):
        say("valuesKey 必须是非空字符串")
    if expr is not None and not _is_feel(expr):
        say("valuesExpression 必须是以 = 开头的 FEEL 表达式")
    if values is not None:
        if not isinstance(values, list):
            say("values 必须是数组")
            return
        normalized = normalize_options(values)
        if len(normalized) != len(values):
            say("values 中有无效的选项（每项需要 label 和 value）")
        seen: set[str] = set()
        for option in normalized:
            try:
                marker = json.dumps(option["value"], sort_keys=True, ensure_ascii=False)
            except (ValueError, TypeError, RecursionError):
                marker = repr(option["value"])[:200]
            if marker in seen:
                say(f"选项值 {marker[:50]} 重复")
            seen.add(marker)


def _scan(components: Any, where: str, depth: int, state: dict, problems: list[str],
          prefix: tuple[str, ...], claims: list[tuple[tuple[str, ...], str]]) -> None:
    """Walk one level; `claims` collects (value path, label) of closed paths in the current data scope."""
    if not isinstance(components, list):
        problems.append(f"{where}：components 必须是数组")
        return
    if depth > MAX_NESTING:
        problems.append(f"{where}：组件嵌套超过 {MAX_NESTING} 层")
        return
    for index, comp in enumerate(components, 1):
        state["count"] += 1
        if state["count"] > MAX_COMPONENTS:
            if state["count"] == MAX_COMPONENTS + 1:
                problems.append(f"组件超过 {MAX_COMPONENTS} 个")
            return
        if not isinstance(comp, dict):
            problems.append(f"{where}第 {index} 个组件不是对象")
            continue
        ctype, name = comp.get("type"), comp.get("key") or comp.get("path") or comp.get("id")
        label = f"组件 “{name[:50]}”" if isinstance(name, str) and name else f"{where}第 {index} 个组件"
        cid = comp.get("id")
        if cid is not None:
            if not isinstance(cid, str) or not cid:
                problems.append(f"{label}：id 必须是非空字符串")
            elif cid in state["ids"]:
                problems.append(f"{label}：组件 id “{cid}” 重复")
            else:
                state["ids"].add(cid)
        if not isinstance(ctype, str) or ctype not in KEYED_TYPES | CONTAINER_TYPES | DISPLAY_TYPES:
            problems.append(f"{label}：未知的组件类型 {ctype!r}")
            continue
        _check_component(comp, label, problems)
        if ctype in KEYED_TYPES:
            problem = _path_problem(comp.get("key"), "key")
            if problem:
                problems.append(f"{label}：{problem}")
            else:
                claims.append((prefix + tuple(comp["key"].split(".")), label))
        elif ctype in CONTAINER_TYPES:
            repeating = ctype == "dynamiclist" and comp.get("isRepeating") is True
            path = comp.get("path") if comp.get("path") not in (None, "") else comp.get("key")
            if path in (None, "") and not repeating:
                _scan(comp.get("components", []), label, depth + 1, state, problems, prefix, claims)
                continue
            problem = _path_problem(path, "path")
            if problem:
                problems.append(f"{label}：{problem}")
                continue
            full = prefix + tuple(path.split("."))
            if repeating:
                claims.append((full, label))
                inner: list[tuple[tuple[str, ...], str]] = []
                _scan(comp.get("components", []), label, depth + 1, state, problems, (), inner)
                _report_collisions(inner, problems)
            else:
                _scan(comp.get("components", []), label, depth + 1, state, problems, full, claims)


def _report_collisions(claims: list[tuple[tuple[str, ...], str]], problems: list[str]) -> None:
    """Two closed paths collide when equal or one is a prefix of the other (form-js pathRegistry).
    After sorting, a prefix sorts directly before the paths it prefixes, so neighbours suffice."""
    ordered = sorted(claims)
    for (a, label_a), (b, label_b) in zip(ordered, ordered[1:]):
        if b[:len(a)] == a:
            problems.append(f"{label_b}：数据路径 “{'.'.join(b)}” 与{label_a}重复或冲突")


def check_schema(schema: Any) -> list[str]:
    """Every problem of a form-js schema, in Chinese; [] when the schema is usable."""
    if not isinstance(schema, dict):
        return ["表单定义必须是 JSON 对象"]
    problems: list[str] = []
    if schema.get("type", "default") != "default":
        problems.append("表单的 type 必须是 default")
    if not isinstance(schema.get("components"), list):
        return problems + ["表单缺少 components 数组"]
    claims: list[tuple[tuple[str, ...], str]] = []
    _scan(schema["components"], "表单", 1, {"count": 0, "ids": set()}, problems, (), claims)
    _report_collisions(claims, problems)
    return problems


def load_schema(text: str | bytes) -> dict:
    """Parse and check a form file; raises FormSchemaError with every problem."""
    if isinstance(text, str):
        text = text.encode("utf-8", "surrogatepass")
    if not isinstance(text, bytes):
        raise FormSchemaError(["表单定义必须是文本"])
    if len(text) > MAX_SCHEMA_BYTES:
        raise FormSchemaError([f"表单定义过大（超过 {MAX_SCHEMA_BYTES // 1024} KB）"])
    try:
        schema = json.loads(text.decode("utf-8-sig"))  # tolerate a BOM from Windows editors
    except (ValueError, RecursionError) as exc:
        raise FormSchemaError([f"表单定义不是合法的 JSON（{exc}）"]) from None
    problems = check_schema(schema)
    if problems:
        raise FormSchemaError(problems)
    return schema


def form_fields(schema: dict) -> list[Field]:
    """Data fields in form order: groups are flattened (their `path` prefixes the keys), repeating dynamic
    lists become one Field with `components`. Display-only components and `expression` fields (computed
    in the browser, never trusted) are left out. Malformed components are skipped; use check_schema first."""
    comps = schema.get("components") if isinstance(schema, dict) else None
    return _fields(comps, (), (), 0)


def _fields(components: Any, prefix: tuple[str, ...], hide: tuple[str, ...], depth: int) -> list[Field]:
    out: list[Field] = []
    if not isinstance(components, list) or depth > MAX_NESTING:
        return out
    for comp in components:
        if not isinstance(comp, dict):
            continue
        ctype = comp.get("type")
        conditional = comp.get("conditional") if isinstance(comp.get("conditional"), dict) else {}
        own_hide = hide + ((conditional["hide"],) if _is_feel(conditional.get("hide")) else ())
        if ctype in CONTAINER_TYPES:
            path = comp.get("path") if comp.get("path") not in (None, "") else comp.get("key")
            repeating = ctype == "dynamiclist" and comp.get("isRepeating") is True
            if path in (None, "") and not repeating:
                out.extend(_fields(comp.get("components"), prefix, own_hide, depth + 1))
            elif _path_problem(path, "path") is None and not repeating:
                out.extend(_fields(comp.get("components"), prefix + tuple(path.split(".")), own_hide, depth + 1))
            elif _path_problem(path, "path") is None:
                out.append(_make_field(comp, path, prefix, own_hide,
                                       _fields(comp.get("components"), (), (), depth + 1)))
        elif ctype in KEYED_TYPES and ctype != "expression" and _path_problem(comp.get("key"), "key") is None:
            out.append(_make_field(comp, comp["key"], prefix, own_hide, None))
    return out


def _make_field(comp: dict, key: str, prefix: tuple[str, ...], hide: tuple[str, ...],
                children: list[Field] | None) -> Field:
    validate = comp.get("validate") if isinstance(comp.get("validate"), dict) else {}
    label = comp.get("label")
    values = comp.get("values")
    return Field(
        key=key, type=comp["type"], label=label if isinstance(label, str) and label else key,
        required=validate.get("required") is True,
        options=normalize_options(values) if comp["type"] in OPTION_TYPES and values is not None else None,
        components=children, path=".".join(prefix + tuple(key.split("."))),
        id=comp.get("id") if isinstance(comp.get("id"), str) else None,
        subtype=comp.get("subtype") if isinstance(comp.get("subtype"), str) else None,
        values_key=comp.get("valuesKey") if isinstance(comp.get("valuesKey"), str) and comp["valuesKey"] else None,
        values_expression=comp.get("valuesExpression") if _is_feel(comp.get("valuesExpression")) else None,
        hide=hide, readonly=comp["readonly"] if _is_feel(comp.get("readonly")) else _js_truthy(comp.get("readonly")),
        disabled=_js_truthy(comp.get("disabled")), validate=validate, component=comp,
    )
