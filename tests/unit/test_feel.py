"""The FEEL subset used by form conditions: operators, precedence, null semantics (as feelin, which the form-js
viewer runs), built-in functions, and the bounds that keep hostile expressions and data harmless."""
from __future__ import annotations

import time

import pytest

from service.forms.feel import FUNCTIONS, MAX_DEPTH, MAX_LENGTH, FeelError, called_functions, evaluate, parse

CTX = {
    "x": 3,
    "view": "不同意",
    "name": "张三",
    "a": {"b": {"c": 9}},
    "l": [1, 2, 3],
    "people": [{"name": "甲", "age": 30}, {"name": "乙", "age": 50}],
    "nothing": None,
    "flag": True,
}


@pytest.mark.parametrize("expression, expected", [
    # literals
    ("1", 1), ("1.5", 1.5), (".5", 0.5), ('"文本"', "文本"), ("true", True), ("false", False), ("null", None),
    ('"a\\"b"', 'a"b'), ('"\\u4e2d\\n"', "中\n"),
    # arithmetic and precedence
    ("1 + 2 * 3", 7), ("(1 + 2) * 3", 9), ("10 - 4 - 3", 3), ("2 ** 10", 1024), ("7 / 2", 3.5),
    ("-x + 1", -2), ("- -x", 3), ("2 * -x", -6), ('"a" + "b"', "ab"), ("1 + 2 * 3 = 7", True),
    # comparison
    ("x = 3", True), ("x != 3", False), ("x < 4", True), ("x <= 3", True), ("x > 3", False), ("x >= 3", True),
    ('view = "不同意"', True), ('"a" < "b"', True), ("x = 3.0", True),
    # boolean logic: and binds tighter than or
    ("true or false and false", True), ("(true or false) and false", False),
    ("x > 1 and x < 5", True), ("x > 1 and x > 5 or flag", True), ("not(x = 3)", False), ("not(false)", True),
    # names and paths
    ("a.b.c", 9), ("a.b", {"c": 9}), ("name", "张三"), ("people.name", ["甲", "乙"]),
    # if
    ('if x > 1 then "多" else "少"', "多"), ('if nothing then "是" else "否"', "否"),
    ('if x > 5 then "a" else if x > 2 then "b" else "c"', "b"),
    # lists, filters, contexts
    ("[1, 2, x]", [1, 2, 3]), ("[]", []), ("l[1]", 1), ("l[-1]", 3), ("l[4]", None), ("l[x]", 3),
    ("l[item > 1]", [2, 3]), ("people[age > 40].name", ["乙"]), ('{a: 1, "b c": 2}', {"a": 1, "b c": 2}),
    ("{a: {b: 5}}.a.b", 5),
    # in / between / ranges
    ("x in [1, 2, 3]", True), ("x in [4, 5]", False), ("x in (1, 3)", True), ("x in (3)", True), ("x in l", True),
    ("x in 3", True), ("x in (l, 9)", True), ("x + 1 in [4]", True), ("x in [1] or x in [3]", True),
    ('view in ["同意", "不同意"]', True), ("[1] in [[1], [2]]", True), ("x between 1 and 3", True), ("x between 4 and 9", False),
    ("nothing in [1, 2]", False), ("nothing in [null]", True),
    # built-in functions
    ('string length("三重一大")', 4), ('string length(name)', 2), ('contains("三重一大", "重")', True),
    ('starts with("abc", "ab")', True), ('ends with("abc", "bc")', True), ('upper case("ab")', "AB"),
    ('lower case("AB")', "ab"),
    ("count(l)", 3), ("count([])", 0), ("sum(l)", 6), ("sum(1, 2)", 3), ("min(l)", 1), ("max([4, 9, 2])", 9),
    ("list contains(l, 2)", True), ("append(l, 4)", [1, 2, 3, 4]), ("all([true, true])", True),
    ("any([false, true])", True), ("string(12)", "12"), ("string(true)", "true"), ('number("12")', 12),
    ("abs(-2)", 2), ("floor(2.7)", 2), ("ceiling(2.1)", 3),
    ("is defined(a.b)", True), ("is defined(nothing)", True), ("is defined(missing)", False),
    ("is defined(a.zz)", False),
    # a leading "=" (form-js expression marker) is stripped, whitespace is free
    ("=x + 1", 4), ("  = x\n +\t1 ", 4), ("string  length( name )", 2),
])
def test_evaluates(expression, expected):
    assert evaluate(expression, CTX) == expected
    assert type(evaluate(expression, CTX)) is type(expected)


@pytest.mark.parametrize("expression, expected", [
    # null semantics: unknown names are null, comparisons with null are null or false, never an error
    ("missing", None), ("missing.deeper.still", None), ("missing = null", True), ("missing = 1", False),
    ("1 = missing", False), ("missing < 3", None), ("missing > 3", None), ("nothing = null", True),
    ("missing != null", False), ("missing != 1", True),
    # different types: `=` is null, `!=` is true (feelin negates in JavaScript)
    ('1 = "1"', None), ('1 != "1"', True), ('1 < "2"', None), ("true = 1", None),
    # three-valued logic
    ("missing and true", None), ("missing and false", False), ("missing or true", True),
    ("missing or false", None), ("1 and true", None), ("not(1)", None), ("not(missing)", None),
    # arithmetic on wrong types and division by zero are null
    ('1 + "a"', None), ("missing + 1", None), ("7 / 0", None), ("true + 1", None), ('- "a"', None),
    ("l + 1", None),
    # functions with wrong arguments or unknown functions give null
    ("string length(12)", None), ("count(5)", None), ('contains(1, "a")', None), ("sum([1, \"a\"])", None),
    ("now()", None), ("nosuchfunction(1)", None), ("today()", None), ("min([])", None), ("l[item.name = 1]", []),
    ("x[1]", None), ("a.b.c.d", None), ("floor(missing)", None),
])
def test_null_semantics(expression, expected):
    assert evaluate(expression, CTX) == expected


def test_booleans_are_not_numbers():
    assert evaluate("flag = 1", CTX) is None
    assert evaluate("flag + 1", CTX) is None
    assert evaluate("x in [true]", {"x": 1}) is False


def test_unknown_names_do_not_reach_python_objects():
    for expression in ("__class__", "x.__class__", "a.keys", "name.upper", "__builtins__", "x.real", "a.__dict__"):
        assert evaluate(expression, CTX) is None
    assert evaluate("l.__len__", CTX) == [None, None, None]  # a path over a list projects; still no attributes


def test_context_is_not_modified_and_may_be_missing():
    ctx = {"l": [1, 2], "a": {"b": 1}}
    evaluate("append(l, 3)", ctx)
    evaluate("l[item > 1]", ctx)
    assert ctx == {"l": [1, 2], "a": {"b": 1}}
    assert evaluate("x = null", None) is True
    assert evaluate("x = null", "not a mapping") is True  # type: ignore[arg-type]


@pytest.mark.parametrize("expression", [
    "", "=", "   ", "1 +", "(1", "1)", "[1, 2", "a b", "x = = 1", "if x then 1", "if x 1 else 2",
    '"unterminated', "x in", "1 2", "a..b", "@", "x ! y", "{a 1}", "for x in l return x",
    "some x in l satisfies x > 1", "function(a) a", "x instance of number", '"bad \\q escape"', "a.", ".",
    "f(,)", "x in [1..3]", "x in > 2", "x in (1..3)", "x in ]1..3[", "a.1",
])
def test_parse_errors(expression):
    with pytest.raises(FeelError):
        parse(expression)
    with pytest.raises(FeelError):
        evaluate(expression, CTX)


def test_parse_returns_immutable_tree_and_rejects_non_strings():
    tree = parse("=a.b + 1")
    assert isinstance(tree, tuple)
    assert hash(tree)
    for bad in (None, 1, ["x"], {"x": 1}):
        with pytest.raises(FeelError):
            parse(bad)  # type: ignore[arg-type]


def test_length_limit():
    ok = "1" + " + 1" * ((MAX_LENGTH - 1) // 4)
    assert len(ok) <= MAX_LENGTH
    assert evaluate(ok, {}) == 1 + (MAX_LENGTH - 1) // 4
    with pytest.raises(FeelError, match="2000"):
        parse("1" * (MAX_LENGTH + 1))


def test_long_flat_chains_are_fine_but_deep_nesting_is_refused():
    many = " or ".join(f'view = "{i}"' for i in range(120))
    assert len(many) < MAX_LENGTH
    assert evaluate(many, {"view": "119"}) is True
    assert evaluate(" + ".join(["1"] * 500), {}) == 500
    assert evaluate("(" * (MAX_DEPTH - 1) + "1" + ")" * (MAX_DEPTH - 1), {}) == 1
    for deep in ("(" * MAX_DEPTH + "1" + ")" * MAX_DEPTH, "[" * 60 + "]" * 60, "-" * 60 + "1",
                 "a" + ".b" * 60, "l" + "[1]" * 60, "not(" * 60 + "true" + ")" * 60,
                 "if true then " * 60 + "1" + " else 2" * 60):
        with pytest.raises(FeelError, match="嵌套"):
            parse(deep)


def test_hostile_data_is_bounded():
    big = list(range(200_000))
    start = time.monotonic()
    with pytest.raises(FeelError, match="计算量"):
        evaluate("big[item > 1][item > 2]", {"big": big})
    assert evaluate("count(big)", {"big": big}) == 200_000
    assert evaluate("2 ** 100000", {}) is None
    assert evaluate("n * n * n * n * n * n * n * n", {"n": 10 ** 4000}) is None
    assert evaluate("10.0 ** 400", {}) is None  # overflow to infinity becomes null
    assert evaluate("(-8) ** 0.5", {}) is None
    assert evaluate("s + s + s", {"s": "x" * 600_000}) is None
    assert evaluate("string length(s)", {"s": "字" * 1_000_000}) == 1_000_000
    deep: list = []
    for _ in range(5000):
        deep = [deep]
    assert evaluate("d = d", {"d": deep}) is not True  # equality gives up past the depth limit, no RecursionError
    assert evaluate("d = 1", {"d": deep}) is None
    assert evaluate("count(d)", {"d": deep}) == 1
    assert time.monotonic() - start < 10


def test_odd_context_values_and_keys():
    ctx = {1: "number key", "x": object(), "f": float("nan"), "g": float("inf"), "t": (1, 2)}
    assert evaluate("x = 1", ctx) is None
    assert evaluate("x != 1", ctx) is True
    assert evaluate("f < 1", ctx) is None
    assert evaluate("f = f", ctx) is False
    assert evaluate("g > 1", ctx) is True
    assert evaluate("t = t", ctx) is None
    assert evaluate("string(x)", ctx) is None


def test_called_functions_and_function_table():
    assert called_functions('=string length(a) > 1 and contains(b, "x") or now() = 1') == {
        "string length", "contains", "now"}
    assert called_functions("=a + 1") == set()
    assert {"not", "string length", "contains", "count", "is defined"} <= set(FUNCTIONS)
    # a multi-word name is only joined when it is a known function followed by "("
    with pytest.raises(FeelError):
        parse("string length")  # names with spaces are not part of the subset
    assert evaluate("string", {"string": 5}) == 5
