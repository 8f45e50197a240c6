"""Server-side validation of a form submission against its form-js schema.

Why: the browser runs the same checks, but anything can be posted; the server
re-decides visibility, writability, types and rules, and keeps only the values
of the fields the form declares.  Semantics follow the form-js 1.23 viewer
(`Validator`, `ConditionChecker`, each component's `sanitizeValue`); deliberate
differences are noted where they occur.  Hostile input never raises: every
problem becomes a Chinese message keyed by the field's dotted value path.
"""
from __future__ import annotations

import copy
import math
import re
from collections import ChainMap
from datetime import date
from decimal import Decimal, InvalidOperation, localcontext
from typing import Any

from . import feel
from .schema import OPTION_TYPES, Field, FormSchemaError, check_schema, form_fields, js_regex, normalize_options

__all__ = ["validate_submission", "MAX_TEXT_LENGTH", "MAX_LIST_ITEMS"]

MAX_TEXT_LENGTH = 100_000   # hard cap for one text value, whatever maxLength says
MAX_LIST_ITEMS = 500        # dynamic list items / checklist & taglist entries
REQUIRED = "此项为必填项"
NOT_AN_OPTION = "请选择列表中的选项"
# JavaScript String.prototype.trim() whitespace (differs from Python's str.strip() default set)
_JS_SPACE = "\t\n\v\f\r \u00a0\u1680\u2000\u2001\u2002\u2003\u2004\u2005\u2006\u2007\u2008\u2009\u200a" \
            "\u2028\u2029\u202f\u205f\u3000\ufeff"
_NUMBER_RE = re.compile(r"[+-]?(?:[0-9]+(?:\.[0-9]*)?|\.[0-9]+)(?:[eE][+-]?[0-9]+)?")
_DATE_RE = re.compile(r"[0-9]{4}-[0-9]{2}-[0-9]{2}")
_TIME_RE = re.compile(r"(?:[01][0-9]|2[0-3]):[0-5][0-9](?::[0-5][0-9](?:\.[0-9]{1,6})?)?"
                      r"(?:Z|[+-](?:[01][0-9]|2[0-3]):[0-5][0-9])?")
_DATETIME_MESSAGES = {"date": "日期格式不正确", "time": "时间格式不正确", "datetime": "日期时间格式不正确"}
# form-js EMAIL_PATTERN / PHONE_PATTERN, with `$` as \Z; used with search() like JavaScript's RegExp.test
EMAIL_RE = re.compile(r"^[a-zA-Z0-9.!#$%&'*+/=?^_`{|}~-]+@[a-zA-Z0-9](?:[a-zA-Z0-9-]{0,61}[a-zA-Z0-9])?"
                      r"(?:\.[a-zA-Z0-9](?:[a-zA-Z0-9-]{0,61}[a-zA-Z0-9])?)*\Z")
PHONE_RE = re.compile(
    r"(\+|00)(297|93|244|1264|358|355|376|971|54|374|1684|1268|61|43|994|257|32|229|226|880|359|973|1242|3"
    r"87|590|375|501|1441|591|55|1246|673|975|267|236|1|61|41|56|86|225|237|243|242|682|57|269|238|506|53|"
    r"5999|61|1345|357|420|49|253|1767|45|1809|1829|1849|213|593|20|291|212|34|372|251|358|679|500|33|298|"
    r"691|241|44|995|44|233|350|224|590|220|245|240|30|1473|299|502|594|1671|592|852|504|385|509|36|62|44|"
    r"91|246|353|98|964|354|972|39|1876|44|962|81|76|77|254|996|855|686|1869|82|383|965|856|961|231|218|17"
    r"58|423|94|266|370|352|371|853|590|212|377|373|261|960|52|692|389|223|356|95|382|976|1670|258|222|166"
    r"4|596|230|265|60|262|264|687|227|672|234|505|683|31|47|977|674|64|968|92|507|64|51|63|680|675|48|178"
    r"7|1939|850|351|595|970|689|974|262|40|7|250|966|249|221|65|500|4779|677|232|503|378|252|508|381|211|"
    r"239|597|421|386|46|268|1721|248|963|1649|235|228|66|992|690|993|670|676|1868|216|90|688|886|255|256|"
    r"380|598|1|998|3906698|379|1784|58|1284|1340|84|678|681|685|967|27|260|263)(9[976]\d|8[987530]\d|6[98"
    r"7]\d|5[90]\d|42\d|3[875]\d|2[98654321]\d|9[8543210]|8[6421]|6[6543210]|5[87654321]|4[987654310]|3[96"
    r"43210]|2[70]|7|1)\d{4,20}\Z")
_EMPTY: dict[str, Any] = {"textfield": "", "textarea": "", "checkbox": False, "checklist": [], "taglist": []}


class _Invalid(Exception):
    """One field's value is rejected; the message is shown under the field."""


def validate_submission(schema: dict, data: Any, *, context: dict | None = None) -> tuple[dict, dict[str, str]]:
    """Return (clean_data, errors). clean_data has only declared, visible, writable fields (nested by value
    path; dynamic lists as lists of dicts) converted to Python types; visible fields that were not submitted
    get form-js's empty value ("" / None / False / []), as the viewer would submit them. errors maps dotted
    paths ("reason", "items[2].owner"; "" for the whole submission) to Chinese messages. Write clean_data
    only when errors is empty. Raises FormSchemaError only when the schema itself is broken."""
    problems = check_schema(schema)
    if problems:
        raise FormSchemaError(problems)
    if not isinstance(data, dict):
        return {}, {"": "提交的数据格式不正确"}
    fields = form_fields(schema)
    ctx = context if isinstance(context, dict) else {}
    run = _Run(ctx)
    run.root = run.overlay(fields, data, ctx)
    clean: dict = {}
    run.scope(fields, data, run.root, None, [], clean, "")
    return clean, run.errors


def _get(raw: Any, parts: tuple[str, ...]) -> tuple[bool, Any]:
    for part in parts:
        if not isinstance(raw, dict) or part not in raw:
            return False, None
        raw = raw[part]
    return True, raw


def _set(target: dict, parts: tuple[str, ...], value: Any) -> None:
    """Set a nested value, copying intermediate dicts so a caller's context is never mutated."""
    for part in parts[:-1]:
        child = target.get(part)
        target[part] = child = dict(child) if isinstance(child, dict) else {}
        target = child
    target[parts[-1]] = value


def _same(a: Any, b: Any, depth: int = 0) -> bool:
    """lodash isEqual for JSON values, as form-js compares option values: 1 == 1.0, but True != 1."""
    if isinstance(a, bool) or isinstance(b, bool) or a is None or b is None:
        return a is b
    if isinstance(a, (int, float)) and isinstance(b, (int, float)):
        return a == b
    if type(a) is not type(b) or depth > 20:
        return False
    if isinstance(a, dict):
        return a.keys() == b.keys() and all(_same(a[k], b[k], depth + 1) for k in a)
    if isinstance(a, list):
        return len(a) == len(b) and all(_same(x, y, depth + 1) for x, y in zip(a, b))
    return bool(a == b)


_NO_MATCH = object()


class _Options:
    """Normalized options with a hash index, so 500 submitted values against 1,000 options stay cheap."""

    def __init__(self, raw: Any) -> None:
        self.values = [o["value"] for o in normalize_options(raw)]
        self.index: dict[tuple, Any] = {}
        for value in reversed(self.values):
            key = _hash_key(value)
            if key is not None:
                self.index[key] = value

    def find(self, value: Any) -> Any:
        """The matching option value (lodash isEqual semantics), or _NO_MATCH."""
        key = _hash_key(value)
        if key is not None:
            return self.index.get(key, _NO_MATCH)
        return next((v for v in self.values if _same(v, value)), _NO_MATCH)


def _hash_key(value: Any) -> tuple | None:
    """A dict key that matches exactly when _same() does (1 and 1.0 share one; True does not)."""
    if isinstance(value, bool):
        return ("b", value)
    if isinstance(value, (int, float)):
        return ("n", value) if value == value else None
    return ("s", value) if isinstance(value, str) else None


def _check_chars(text: str) -> str:
    """NUL and lone surrogates cannot be stored (PostgreSQL text/jsonb, UTF-8), so refuse them here."""
    if "\x00" in text:
        raise _Invalid("包含不允许的字符")
    try:
        text.encode("utf-8")
    except UnicodeEncodeError:
        raise _Invalid("包含不允许的字符") from None
    return text


def _valid_date(text: str) -> bool:
    try:
        return bool(_DATE_RE.fullmatch(text)) and bool(date.fromisoformat(text))
    except ValueError:
        return False


def _decimal(value: Any) -> Decimal:
    if isinstance(value, bool) or not isinstance(value, (int, float, str)):
        raise _Invalid("必须是数字")
    if isinstance(value, str):
        value = value.strip()
        if len(value) > 64 or not _NUMBER_RE.fullmatch(value):
            raise _Invalid("必须是数字")
    elif isinstance(value, float):
        if not math.isfinite(value):
            raise _Invalid("必须是数字")
        value = repr(value)  # Decimal(0.1) would carry the binary expansion into decimalDigits
    number = Decimal(value)
    if number and abs(number.adjusted()) > 300:
        raise _Invalid("数值超出范围")
    return number


def _convert(f: Field, value: Any) -> Any:
    """Type conversion only (no rules): the shape form-js would hold for this field."""
    if value is None or (value == "" and f.type not in ("textfield", "textarea")):
        return _EMPTY.get(f.type)
    if f.type in ("textfield", "textarea"):
        if isinstance(value, bool) or not isinstance(value, (str, int, float)):
            raise _Invalid("必须是文本")
        text = value if isinstance(value, str) else _shown(value)  # form-js: String(value)
        if len(text) > MAX_TEXT_LENGTH:
            raise _Invalid(f"内容过长（不能超过 {MAX_TEXT_LENGTH} 个字符）")
        _check_chars(text)
        return re.sub(r"[\r\n\t]", " ", text) if f.type == "textfield" else text  # as textfield.sanitizeValue
    if f.type == "number":
        with localcontext() as ctx:
            ctx.prec = 700
            number = _decimal(value)
            if f.component.get("serializeToString"):
                return format(number, "f")
            return int(number) if number == number.to_integral_value() else float(number)
    if f.type == "checkbox":
        if not isinstance(value, bool):
            raise _Invalid("必须是布尔值（true 或 false）")
        return value
    if f.type in ("checklist", "taglist"):
        if not isinstance(value, list):
            raise _Invalid("必须是列表")
        if len(value) > MAX_LIST_ITEMS:
            raise _Invalid(f"选项不能超过 {MAX_LIST_ITEMS} 个")
        return value
    if f.type == "datetime":
        message = _DATETIME_MESSAGES.get(f.subtype or "", "日期格式不正确")
        if not isinstance(value, str) or len(value) > 40:
            raise _Invalid(message)
        if f.subtype == "date":
            ok = _valid_date(value)
        elif f.subtype == "time":
            ok = bool(_TIME_RE.fullmatch(value))
        else:
            day, sep, clock = value.partition("T")
            ok = bool(sep) and _valid_date(day) and bool(_TIME_RE.fullmatch(clock))
        if not ok:
            raise _Invalid(message)
        return value
    if f.type == "filepicker":
        ids = value if isinstance(value, list) else [value]
        if not ids or len(ids) > 100 or not all(isinstance(x, str) and 0 < len(x) <= 1000 for x in ids):
            raise _Invalid("文件格式不正确")
        for x in ids:
            _check_chars(x)
        return list(ids) if isinstance(value, list) else value
    if isinstance(value, (str, int, float, bool, dict)):  # radio / select: checked against options later
        return value
    raise _Invalid(NOT_AN_OPTION)


def _js_length(text: str) -> int:
    """String length as JavaScript counts it (UTF-16 code units) after trim(), like form-js minLength."""
    return len(text.strip(_JS_SPACE).encode("utf-16-le")) // 2


def _shown(limit: Any) -> str:
    return str(int(limit)) if isinstance(limit, float) and limit.is_integer() else str(limit)


class _Run:
    """One validation pass: shared process data, the FEEL root data and the error map."""

    def __init__(self, context: dict) -> None:
        self.context, self.root = context, context
        self.errors: dict[str, str] = {}
        self.cached: dict[Any, _Options] = {}

    def eval(self, expression: Any, scope: Any, on_error: Any = None) -> Any:
        try:
            return feel.evaluate(expression, scope)
        except feel.FeelError:  # only the evaluation budget can fail here: check_schema parsed everything
            return on_error

    def overlay(self, fields: list[Field], raw: dict, base: dict) -> dict:
        """The data FEEL conditions see: `base` (process data) with submitted values of writable fields set on
        top, converted leniently (form-js evaluates hide conditions on its whole state, hidden fields included;
        like its sanitizeValue, values not among static / valuesKey options become null or are dropped).
        Readonly and disabled fields keep the process value, so a client cannot steer conditions through them."""
        result = dict(base)
        for f in fields:
            present, value = _get(raw, f.parts)
            if not present or f.disabled or f.readonly is not False:
                continue
            if f.type == "dynamiclist":
                items = value[:MAX_LIST_ITEMS] if isinstance(value, list) else []
                value = [self.overlay(f.components or [], item, {}) if isinstance(item, dict) else {} for item in items]
            else:
                try:
                    value = _convert(f, value)
                except _Invalid:
                    value = None
                if f.type in OPTION_TYPES and not f.values_expression and value is not None:
                    options = self.options(f, {})
                    if isinstance(value, list):
                        value = [v for v in value if options.find(v) is not _NO_MATCH]
                    elif options.find(value) is _NO_MATCH:
                        value = None
            _set(result, f.parts, value)
        return result

    def prop(self, f: Field, name: str, scope: Any) -> Any:
        """A validate.* property, evaluated when it is FEEL (form-js evaluates min/max/minLength/maxLength)."""
        value = f.validate.get(name)
        if isinstance(value, str) and value.startswith("="):
            value = self.eval(value, scope)
        return value if isinstance(value, (int, float)) and not isinstance(value, bool) else None

    def scope(self, fields: list[Field], raw: dict, this: dict, parent: Any, indexes: list[int],
              out: dict, prefix: str) -> None:
        """Validate the fields of one scope: the form root, or one dynamic list item (then `this` is it)."""
        # form-js buildExpressionContext: {this, parent, i, ...data, _this_, _parent_, _i_}
        env = ChainMap({"_this_": this, "_parent_": parent, "_i_": indexes}, self.root,
                       {"this": this, "parent": parent, "i": indexes})
        for f in fields:
            if f.disabled or any(self.eval(h, env) is True for h in f.hide):
                continue
            if f.readonly is True or (isinstance(f.readonly, str) and self.eval(f.readonly, env, True) is True):
                continue  # form-js submits readonly values, but the user cannot change them: never written
            key = prefix + f.path
            value = _get(raw, f.parts)[1]
            if f.type == "dynamiclist":
                self.dynamic_list(f, value, this, indexes, out, key)
                continue
            try:
                _set(out, f.parts, self.field(f, value, env))
            except _Invalid as exc:
                self.errors[key] = str(exc)

    def dynamic_list(self, f: Field, value: Any, parent: dict, indexes: list[int], out: dict, key: str) -> None:
        if value is None:
            value = []
        if not isinstance(value, list) or len(value) > MAX_LIST_ITEMS:
            self.errors[key] = "必须是列表" if not isinstance(value, list) else f"不能超过 {MAX_LIST_ITEMS} 项"
            return
        low, high = f.validate.get("minItems"), f.validate.get("maxItems")
        if f.required and not value:
            self.errors[key] = REQUIRED
        elif isinstance(low, int) and len(value) < low:
            self.errors[key] = f"至少需要 {low} 项"
        elif isinstance(high, int) and len(value) > high:
            self.errors[key] = f"不能超过 {high} 项"
        items: list[dict] = []
        for n, item in enumerate(value):
            if not isinstance(item, dict):
                self.errors[f"{key}[{n}]"] = "格式不正确"
                continue
            item_out: dict = {}
            this = self.overlay(f.components or [], item, {})
            self.scope(f.components or [], item, this, parent, indexes + [n + 1], item_out, f"{key}[{n}].")
            items.append(item_out)
        _set(out, f.parts, items)

    def options(self, f: Field, scope: Any) -> _Options:
        """form-js useOptionsAsync order: valuesKey (from the process data, never from the submission),
        then static values, then valuesExpression. The first two are fixed for the run and cached."""
        if f.values_key is None and f.options is None:
            return _Options(self.eval(f.values_expression, scope) if f.values_expression else [])
        key = ("key", f.values_key) if f.values_key is not None else ("static", id(f))
        if key not in self.cached:
            self.cached[key] = _Options(self.context.get(f.values_key) if f.values_key is not None else f.options)
        return self.cached[key]

    def field(self, f: Field, value: Any, scope: Any) -> Any:
        converted = _convert(f, value)
        if converted is None or (converted is False and f.type == "checkbox") or converted in ("", []):
            if f.required:
                raise _Invalid(REQUIRED)  # form-js: null, "", [] and an unchecked checkbox are missing
            return converted
        if f.type in ("textfield", "textarea"):
            return self.text(f, converted, scope)
        if f.type == "number":
            return self.number(f, converted, scope)
        if f.type in ("radio", "select"):
            match = self.options(f, scope).find(converted)
            if match is _NO_MATCH:
                raise _Invalid(NOT_AN_OPTION)
            return copy.deepcopy(match)  # the option's own value, never the submitted object
        if f.type in ("checklist", "taglist"):
            options, chosen = self.options(f, scope), []
            for item in converted:
                match = options.find(item)
                if match is _NO_MATCH:
                    raise _Invalid(NOT_AN_OPTION)
                if not any(_same(match, c) for c in chosen):
                    chosen.append(match)
            return copy.deepcopy(chosen)
        return converted

    def text(self, f: Field, text: str, scope: Any) -> str:
        length = _js_length(text)
        if f.required and length == 0:
            raise _Invalid(REQUIRED)  # stricter than form-js, which accepts "   " for a required field
        low, high = self.prop(f, "minLength", scope), self.prop(f, "maxLength", scope)
        if low is not None and length < low:
            raise _Invalid(f"不能少于 {_shown(low)} 个字符")
        if high is not None and length > high:
            raise _Invalid(f"不能多于 {_shown(high)} 个字符")
        pattern = f.validate.get("pattern")
        if isinstance(pattern, str) and pattern and not js_regex(pattern).search(text):
            message = f.validate.get("patternErrorMessage")
            raise _Invalid(message if isinstance(message, str) and message else "格式不正确")
        kind = f.validate.get("validationType")
        if kind == "email" and not EMAIL_RE.search(text):
            raise _Invalid("电子邮箱格式不正确")
        if kind == "phone" and not PHONE_RE.search(text):
            raise _Invalid("电话号码格式不正确（须为国际格式，如 +8613800000000）")
        return text

    def number(self, f: Field, value: Any, scope: Any) -> Any:
        with localcontext() as ctx:
            ctx.prec = 700
            number = _decimal(value)
            digits, increment = f.component.get("decimalDigits"), f.component.get("increment")
            if isinstance(digits, int) and not isinstance(digits, bool) and digits >= 0:
                exponent = number.normalize().as_tuple().exponent
                if isinstance(exponent, int) and -exponent > digits:
                    raise _Invalid("必须是整数" if digits == 0 else f"最多 {digits} 位小数")
            if increment not in (None, "", 0):
                try:
                    step = _decimal(increment)
                    off = step > 0 and number % step != 0
                except (_Invalid, InvalidOperation):
                    off = True
                if off:
                    raise _Invalid(f"必须是 {increment} 的整数倍")
            low, high = self.prop(f, "min", scope), self.prop(f, "max", scope)
            if low is not None and number < _decimal(low):
                raise _Invalid(f"不能小于 {_shown(low)}")
            if high is not None and number > _decimal(high):
                raise _Invalid(f"不能大于 {_shown(high)}")
        return value
