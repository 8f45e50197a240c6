"""Server-side form handling: form-js schema checks, field extraction, and validation of submissions that the
server never trusts (form-js 1.23 semantics, Chinese messages, hostile input never crashes or leaks keys)."""
from __future__ import annotations

import copy
import json
from pathlib import Path

import pytest

from service.forms import (Field, FormSchemaError, check_schema, form_fields, load_schema,
                           validate_submission)

ROOT = Path(__file__).resolve().parents[2]

MEMBER_OPINION = {
    "type": "default", "id": "member_opinion", "schemaVersion": 16, "components": [
        {"type": "radio", "key": "view", "label": "表态意见", "validate": {"required": True},
         "values": [{"label": "同意", "value": "同意"}, {"label": "不同意", "value": "不同意"},
                    {"label": "保留意见", "value": "保留意见"}, {"label": "缓议", "value": "缓议"}]},
        {"type": "textarea", "key": "reason", "label": "理由", "validate": {"required": True, "minLength": 5},
         "conditional": {"hide": '=view = "同意" or view = null'}},
    ]}

RECTIFICATION = {
    "type": "default", "id": "rectification", "schemaVersion": 16, "components": [
        {"type": "text", "text": "# 整改清单"},
        {"type": "dynamiclist", "path": "items", "label": "整改事项", "isRepeating": True, "allowAddRemove": True,
         "defaultRepetitions": 1, "components": [
             {"type": "textfield", "key": "problem", "label": "问题", "validate": {"required": True}},
             {"type": "textfield", "key": "measure", "label": "整改措施", "validate": {"required": True}},
             {"type": "select", "key": "owner", "label": "责任人", "valuesKey": "unit_people",
              "validate": {"required": True}},
             {"type": "datetime", "key": "deadline", "subtype": "date", "dateLabel": "完成时限",
              "validate": {"required": True}},
         ]},
    ]}
PEOPLE = {"unit_people": [{"label": "王五", "value": "wangwu"}, {"label": "赵六", "value": "zhaoliu"}]}


def form(*components, **extra):
    return {"type": "default", "id": "t", "schemaVersion": 16, "components": list(components), **extra}


def one(component, value, context=None):
    """Validate a one-field form; returns (clean value or missing marker, error or None)."""
    key = component["key"]
    clean, errors = validate_submission(form(component), {key: value}, context=context)
    return clean.get(key, "<absent>"), errors.get(key)


# ------------------------------------------------------------------ check_schema / load_schema

def test_examples_are_valid_schemas():
    assert check_schema(MEMBER_OPINION) == []
    assert check_schema(RECTIFICATION) == []
    assert load_schema(json.dumps(MEMBER_OPINION, ensure_ascii=False)) == MEMBER_OPINION
    assert load_schema(json.dumps(RECTIFICATION).encode()) == RECTIFICATION
    assert load_schema("\ufeff" + json.dumps(MEMBER_OPINION)) == MEMBER_OPINION


def _form_files() -> list[Path]:
    return sorted((ROOT / "workflows" / "forms").glob("**/*.form")) + sorted((ROOT / "tests" / "fixtures").glob("*.form"))


@pytest.mark.parametrize("path", _form_files(), ids=lambda p: str(p.relative_to(ROOT)))
def test_every_form_file_passes_check_schema(path):
    schema = json.loads(path.read_text(encoding="utf-8"))
    assert check_schema(schema) == []
    assert load_schema(path.read_bytes()) == schema
    assert form_fields(schema)


@pytest.mark.parametrize("schema, fragment", [
    (None, "JSON 对象"), ([], "JSON 对象"), ("x", "JSON 对象"), ({}, "components"),
    ({"type": "default", "components": {}}, "components"),
    (form(type="other"), "type 必须是 default"),
    (form({"type": "slider", "key": "a"}), "未知的组件类型 'slider'"),
    (form({"key": "a"}), "未知的组件类型 None"),
    (form("textfield"), "不是对象"),
    (form({"type": "textfield"}), "缺少key"),
    (form({"type": "textfield", "key": ""}), "缺少key"),
    (form({"type": "textfield", "key": "姓名"}), "只能由字母"),
    (form({"type": "textfield", "key": "a b"}), "只能由字母"),
    (form({"type": "textfield", "key": "a..b"}), "只能由字母"),
    (form({"type": "textfield", "key": "a.0"}), "纯数字"),
    (form({"type": "textfield", "key": "__proto__"}), "禁止"),
    (form({"type": "textfield", "key": "a.constructor"}), "禁止"),
    (form({"type": "textfield", "key": 5}), "缺少key"),
    (form({"type": "textfield", "key": "a"}, {"type": "number", "key": "a"}), "重复或冲突"),
    (form({"type": "textfield", "key": "a"}, {"type": "textfield", "key": "a.b"}), "重复或冲突"),
    (form({"type": "textfield", "key": "a.b"}, {"type": "group", "path": "a", "components": [
        {"type": "textfield", "key": "b"}]}), "重复或冲突"),
    (form({"type": "textfield", "key": "items"}, {"type": "dynamiclist", "path": "items", "isRepeating": True,
                                                  "components": []}), "重复或冲突"),
    (form({"type": "dynamiclist", "path": "items", "isRepeating": True, "components": [
        {"type": "textfield", "key": "a"}, {"type": "checkbox", "key": "a"}]}), "重复或冲突"),
    (form({"type": "dynamiclist", "isRepeating": True, "components": []}), "缺少path"),
    (form({"type": "group", "path": "a b", "components": []}), "只能由字母"),
    (form({"type": "textfield", "key": "a", "id": "x"}, {"type": "textfield", "key": "b", "id": "x"}), "id “x” 重复"),
    (form({"type": "textfield", "key": "a", "validate": {"pattern": "[a-"}}), "正则表达式"),
    (form({"type": "textfield", "key": "a", "validate": {"pattern": "(?i)abc"}}), "JavaScript"),
    (form({"type": "textfield", "key": "a", "validate": {"pattern": "(?P<n>a)"}}), "JavaScript"),
    (form({"type": "textfield", "key": "a", "validate": {"pattern": 5}}), "pattern 必须是字符串"),
    (form({"type": "number", "key": "a", "validate": {"min": 10, "max": 1}}), "validate.min"),
    (form({"type": "textfield", "key": "a", "validate": {"minLength": 10, "maxLength": 1}}), "minLength"),
    (form({"type": "textfield", "key": "a", "validate": {"minLength": -1}}), "负数"),
    (form({"type": "number", "key": "a", "validate": {"min": "ten"}}), "必须是数字或 FEEL"),
    (form({"type": "number", "key": "a", "validate": {"max": True}}), "必须是数字或 FEEL"),
    (form({"type": "number", "key": "a", "validate": "required"}), "validate 必须是对象"),
    (form({"type": "textfield", "key": "a", "validate": {"required": "yes"}}), "required 必须是 true"),
    (form({"type": "textfield", "key": "a", "validate": {"required": "=x > 1"}}), "required 必须是 true"),
    (form({"type": "select", "key": "a"}), "缺少选项"),
    (form({"type": "radio", "key": "a", "values": []}, ), None),  # empty static list is allowed, just useless
    (form({"type": "checklist", "key": "a", "values": "a,b"}), "values 必须是数组"),
    (form({"type": "taglist", "key": "a", "values": [{"label": "x"}]}), "无效的选项"),
    (form({"type": "select", "key": "a", "values": [{"label": "x", "value": "1"}, {"label": "y", "value": "1"}]}),
     "重复"),
    (form({"type": "select", "key": "a", "valuesKey": ""}), "缺少选项"),
    (form({"type": "select", "key": "a", "valuesKey": 3}), "valuesKey 必须是非空字符串"),
    (form({"type": "select", "key": "a", "valuesExpression": "people"}), "valuesExpression 必须是以 ="),
    (form({"type": "select", "key": "a", "valuesExpression": "=people["}), "无法解析"),
    (form({"type": "textfield", "key": "a", "conditional": {"hide": "=b = "}}), "conditional.hide 的 FEEL"),
    (form({"type": "textfield", "key": "a", "conditional": {"hide": "b = 1"}}), "以 = 开头"),
    (form({"type": "textfield", "key": "a", "conditional": {"hide": True}}), "以 = 开头"),
    (form({"type": "textfield", "key": "a", "conditional": "=x"}), "conditional 必须是对象"),
    (form({"type": "textfield", "key": "a", "conditional": {"hide": "=today() > x"}}), "today()"),
    (form({"type": "textfield", "key": "a", "readonly": "=is defined(x)"}), "is defined()"),
    (form({"type": "textfield", "key": "a", "label": "=if x then"}), "label 的 FEEL"),
    (form({"type": "textfield", "key": "a", "appearance": {"prefixAdorner": "=("}}), "appearance.prefixAdorner"),
    (form({"type": "text", "text": "=1 +"}), "text 的 FEEL"),
    (form({"type": "number", "key": "a", "validate": {"max": "=limit +"}}), "validate.max"),
    (form({"type": "datetime", "key": "a"}), "subtype"),
    (form({"type": "datetime", "key": "a", "subtype": "week"}), "subtype"),
    (form({"type": "number", "key": "a", "decimalDigits": -1}), "decimalDigits"),
    (form({"type": "number", "key": "a", "decimalDigits": 1.5}), "decimalDigits"),
    (form({"type": "number", "key": "a", "increment": "abc"}), "increment"),
    (form({"type": "number", "key": "a", "increment": -1}), "increment"),
    (form({"type": "dynamiclist", "path": "l", "isRepeating": True, "validate": {"minItems": 3, "maxItems": 1},
           "components": []}), "minItems"),
    (form({"type": "group", "components": "x"}), "components 必须是数组"),
])
def test_schema_problems(schema, fragment):
    problems = check_schema(schema)
    if fragment is None:
        assert problems == []
        return
    assert problems, schema
    assert any(fragment in p for p in problems), problems
    assert all(isinstance(p, str) and p for p in problems)


def test_schema_accepts_what_form_js_accepts():
    ok = form(
        {"type": "textfield", "key": "a.b", "validate": {"pattern": r"^(?<area>\d{3})-\d+$", "minLength": 0}},
        {"type": "textfield", "key": "a.c"},  # siblings under the same prefix do not collide
        {"type": "group", "path": "a", "components": [{"type": "textfield", "key": "d"}]},
        {"type": "group", "components": [{"type": "textfield", "key": "e"}]},  # group without path
        {"type": "dynamiclist", "path": "l1", "isRepeating": True, "components": [{"type": "textfield", "key": "x"}]},
        {"type": "dynamiclist", "path": "l2", "isRepeating": True, "components": [{"type": "textfield", "key": "x"}]},
        {"type": "number", "key": "n", "validate": {"min": "=lower", "max": 5}, "decimalDigits": 2, "increment": "0.5"},
        {"type": "select", "key": "s", "valuesExpression": '=[{label: "甲", value: "a"}]'},
        {"type": "select", "key": "s2", "valuesKey": "people"},
        {"type": "checklist", "key": "c", "values": ["a", "b", 1, True]},  # primitives are options too
        {"type": "expression", "key": "total", "expression": "=n * 2", "computeOn": "change"},
        {"type": "filepicker", "key": "f", "multiple": True},
        {"type": "text", "text": "# 标题 {{a.b}}"}, {"type": "html", "content": "<b>x</b>"},
        {"type": "spacer"}, {"type": "separator"}, {"type": "image", "source": "=logo"},
        {"type": "iframe", "url": "https://example.org"}, {"type": "button", "action": "submit"},
        {"type": "table", "dataSource": "=rows"}, {"type": "documentPreview", "dataSource": "=docs"},
        {"type": "textfield", "key": "h", "conditional": {"hide": ""}, "readonly": "=n > 1", "label": "=upper case(x)",
         "description": "=now()"},  # unknown functions are fine where the server never evaluates them
    )
    assert check_schema(ok) == []


def test_limits_on_schema_size_and_shape():
    deep: dict = {"type": "group", "components": []}
    node = deep
    for _ in range(30):
        child = {"type": "group", "components": []}
        node["components"].append(child)
        node = child
    assert any("嵌套" in p for p in check_schema(form(deep)))
    many = form(*({"type": "textfield", "key": f"k{i}"} for i in range(2500)))
    assert any("2000" in p for p in check_schema(many))
    with pytest.raises(FormSchemaError) as err:
        load_schema(b" " * (512 * 1024 + 1))
    assert "512 KB" in err.value.problems[0]
    for bad in ("{", "[1,", b"\xff\xfe", "null", "[" * 100_000 + "]" * 100_000):
        with pytest.raises(FormSchemaError) as err:
            load_schema(bad)
        assert err.value.problems and all(isinstance(p, str) for p in err.value.problems)
    with pytest.raises(FormSchemaError) as err:
        load_schema(json.dumps(form({"type": "textfield"}, {"type": "x", "key": "b"})))
    assert len(err.value.problems) == 2
    assert "；" in str(err.value)


# ------------------------------------------------------------------ form_fields

def test_form_fields_flatten_groups_and_keep_dynamic_lists():
    schema = form(
        {"type": "text", "text": "说明"},
        {"type": "textfield", "key": "title", "label": "标题", "validate": {"required": True}, "id": "F1"},
        {"type": "group", "path": "meeting", "conditional": {"hide": "=skip"}, "components": [
            {"type": "datetime", "key": "day", "subtype": "date", "label": "会议日期"},
            {"type": "group", "path": "place", "components": [{"type": "textfield", "key": "room.no"}]},
            {"type": "group", "components": [{"type": "checkbox", "key": "online",
                                              "conditional": {"hide": "=remote = false"}}]},
        ]},
        {"type": "expression", "key": "computed", "expression": "=1"},
        {"type": "select", "key": "owner", "valuesKey": "people", "readonly": "=locked", "disabled": False},
        {"type": "radio", "key": "r", "values": ["是", "否"]},
        RECTIFICATION["components"][1],
    )
    fields = form_fields(schema)
    assert [f.path for f in fields] == ["title", "meeting.day", "meeting.place.room.no", "meeting.online",
                                        "owner", "r", "items"]
    title, day, room, online, owner, radio, items = fields
    assert isinstance(title, Field)
    assert (title.key, title.type, title.label, title.required, title.id) == ("title", "textfield", "标题", True, "F1")
    assert (day.key, day.subtype, day.label, day.hide) == ("day", "date", "会议日期", ("=skip",))
    assert (room.key, room.label, room.parts) == ("room.no", "room.no", ("meeting", "place", "room", "no"))
    assert online.hide == ("=skip", "=remote = false")
    assert (owner.values_key, owner.options, owner.readonly, owner.disabled) == ("people", None, "=locked", False)
    assert radio.options == [{"label": "是", "value": "是"}, {"label": "否", "value": "否"}]
    assert items.type == "dynamiclist" and items.key == "items" and items.components is not None
    assert [(c.path, c.type, c.required) for c in items.components] == [
        ("problem", "textfield", True), ("measure", "textfield", True), ("owner", "select", True),
        ("deadline", "datetime", True)]
    assert items.components[2].values_key == "unit_people"


def test_form_fields_tolerates_junk():
    assert form_fields({}) == []
    assert form_fields({"components": "x"}) == []
    assert form_fields(None) == []  # type: ignore[arg-type]
    junk = form(1, None, {"type": "textfield"}, {"type": "textfield", "key": "ok"}, {"type": "??", "key": "z"})
    assert [f.key for f in form_fields(junk)] == ["ok"]


def test_dynamic_list_with_key_instead_of_path_and_non_repeating_list():
    schema = form({"type": "dynamiclist", "key": "rows", "isRepeating": True,
                   "components": [{"type": "textfield", "key": "a"}]},
                  {"type": "dynamiclist", "path": "single", "components": [{"type": "textfield", "key": "b"}]})
    assert check_schema(schema) == []
    assert [(f.path, f.type) for f in form_fields(schema)] == [("rows", "dynamiclist"), ("single.b", "textfield")]


# ------------------------------------------------------------------ the domain examples

@pytest.mark.parametrize("data, clean, errors", [
    ({}, {}, {"view": "此项为必填项"}),
    ({"view": None}, {}, {"view": "此项为必填项"}),
    ({"view": ""}, {}, {"view": "此项为必填项"}),
    ({"view": "同意"}, {"view": "同意"}, {}),
    ({"view": "同意", "reason": "无需理由也会被丢弃"}, {"view": "同意"}, {}),
    ({"view": "不同意"}, {"view": "不同意"}, {"reason": "此项为必填项"}),
    ({"view": "不同意", "reason": ""}, {"view": "不同意"}, {"reason": "此项为必填项"}),
    ({"view": "不同意", "reason": "     "}, {"view": "不同意"}, {"reason": "此项为必填项"}),
    ({"view": "保留意见", "reason": "太短了"}, {"view": "保留意见"}, {"reason": "不能少于 5 个字符"}),
    ({"view": "缓议", "reason": "  四个字吧  "}, {"view": "缓议"}, {"reason": "不能少于 5 个字符"}),
    ({"view": "缓议", "reason": "需要进一步调研论证"}, {"view": "缓议", "reason": "需要进一步调研论证"}, {}),
    # an invalid option counts as null for the condition (form-js sanitizeValue), so reason stays hidden
    ({"view": "弃权", "reason": "需要进一步调研论证"}, {}, {"view": "请选择列表中的选项"}),
    ({"view": ["不同意"], "reason": "x"}, {}, {"view": "请选择列表中的选项"}),
    ({"view": {"label": "同意"}}, {}, {"view": "请选择列表中的选项"}),
    ({"view": "不同意", "reason": ["需要进一步调研论证"]}, {"view": "不同意"}, {"reason": "必须是文本"}),
])
def test_member_opinion(data, clean, errors):
    assert validate_submission(MEMBER_OPINION, data) == (clean, errors)


def test_member_opinion_condition_uses_context_when_view_not_submitted():
    # the process already holds view = 同意 (e.g. a resumed task): reason stays hidden, view itself is required
    clean, errors = validate_submission(MEMBER_OPINION, {}, context={"view": "同意"})
    assert errors == {"view": "此项为必填项"}
    clean, errors = validate_submission(MEMBER_OPINION, {"view": "不同意"}, context={"view": "同意"})
    assert errors == {"reason": "此项为必填项"}  # the submitted value wins over the context


def test_rectification_list():
    good = {"items": [
        {"problem": "台账不全", "measure": "补齐台账", "owner": "wangwu", "deadline": "2025-05-01"},
        {"problem": "制度未公开", "measure": "上墙公示", "owner": "zhaoliu", "deadline": "2025-06-30", "x": 1},
    ], "other": "dropped"}
    clean, errors = validate_submission(RECTIFICATION, good, context=PEOPLE)
    assert errors == {}
    assert clean == {"items": [
        {"problem": "台账不全", "measure": "补齐台账", "owner": "wangwu", "deadline": "2025-05-01"},
        {"problem": "制度未公开", "measure": "上墙公示", "owner": "zhaoliu", "deadline": "2025-06-30"},
    ]}
    bad = {"items": [
        {"problem": "台账不全", "measure": "补齐台账", "owner": "wangwu", "deadline": "2025-05-01"},
        {"problem": "", "measure": "上墙公示", "owner": "lisi", "deadline": "2025-02-30"},
        "not an item",
        {"problem": "p", "measure": ["m"], "owner": None, "deadline": "2025/06/30"},
    ]}
    clean, errors = validate_submission(RECTIFICATION, bad, context=PEOPLE)
    assert errors == {
        "items[1].problem": "此项为必填项", "items[1].owner": "请选择列表中的选项",
        "items[1].deadline": "日期格式不正确", "items[2]": "格式不正确",
        "items[3].measure": "必须是文本", "items[3].owner": "此项为必填项", "items[3].deadline": "日期格式不正确"}


def test_rectification_options_come_only_from_the_process_context():
    item = {"problem": "p", "measure": "m", "owner": "hacker", "deadline": "2025-05-01"}
    data = {"items": [item], "unit_people": [{"label": "黑客", "value": "hacker"}]}
    assert validate_submission(RECTIFICATION, data, context=PEOPLE)[1] == {"items[0].owner": "请选择列表中的选项"}
    assert validate_submission(RECTIFICATION, data)[1] == {"items[0].owner": "请选择列表中的选项"}
    # options given as plain strings in the context work too (form-js normalizes primitives)
    clean, errors = validate_submission(RECTIFICATION, data, context={"unit_people": ["hacker", "wangwu"]})
    assert errors == {} and clean["items"][0]["owner"] == "hacker"


def test_dynamic_list_shapes_and_counts():
    assert validate_submission(RECTIFICATION, {}, context=PEOPLE) == ({"items": []}, {})
    assert validate_submission(RECTIFICATION, {"items": None}, context=PEOPLE) == ({"items": []}, {})
    assert validate_submission(RECTIFICATION, {"items": "x"}, context=PEOPLE) == ({}, {"items": "必须是列表"})
    assert validate_submission(RECTIFICATION, {"items": {"0": {}}})[1] == {"items": "必须是列表"}
    assert validate_submission(RECTIFICATION, {"items": [{}] * 501})[1] == {"items": "不能超过 500 项"}
    counted = copy.deepcopy(RECTIFICATION)
    counted["components"][1]["validate"] = {"minItems": 1, "maxItems": 2}
    row = {"problem": "p", "measure": "m", "owner": "wangwu", "deadline": "2025-05-01"}
    assert validate_submission(counted, {"items": []}, context=PEOPLE)[1] == {"items": "至少需要 1 项"}
    assert validate_submission(counted, {"items": [row] * 3}, context=PEOPLE)[1] == {"items": "不能超过 2 项"}
    assert validate_submission(counted, {"items": [row] * 2}, context=PEOPLE)[1] == {}


def test_dynamic_list_item_conditions_see_this_parent_and_root():
    schema = form(
        {"type": "checkbox", "key": "detailed"},
        {"type": "dynamiclist", "path": "rows", "isRepeating": True, "components": [
            {"type": "select", "key": "kind", "values": ["资金", "人事"]},
            {"type": "number", "key": "amount", "validate": {"required": True},
             "conditional": {"hide": '=this.kind != "资金"'}},
            {"type": "textarea", "key": "note", "validate": {"required": True}, "conditional": {"hide": "=not(detailed)"}},
        ]})
    assert check_schema(schema) == []
    data = {"detailed": False, "rows": [{"kind": "资金"}, {"kind": "人事", "amount": 5}, {"kind": "资金", "amount": "12.5"}]}
    clean, errors = validate_submission(schema, data)
    assert errors == {"rows[0].amount": "此项为必填项"}
    assert clean["rows"][1] == {"kind": "人事"}
    assert clean["rows"][2] == {"kind": "资金", "amount": 12.5}
    clean, errors = validate_submission(schema, dict(data, detailed=True))
    assert set(errors) == {"rows[0].amount", "rows[0].note", "rows[1].note", "rows[2].note"}


# ------------------------------------------------------------------ per type rules

TEXT = {"type": "textfield", "key": "t"}


@pytest.mark.parametrize("validate, value, clean, error", [
    ({}, "abc", "abc", None),
    ({}, None, "", None),
    ({}, "", "", None),
    ({}, 12, "12", None),
    ({}, 1.5, "1.5", None),
    ({}, "a\nb\tc", "a b c", None),  # textfield.sanitizeValue turns line breaks into spaces
    ({}, True, "<absent>", "必须是文本"),
    ({}, ["a"], "<absent>", "必须是文本"),
    ({}, {"a": 1}, "<absent>", "必须是文本"),
    ({"required": True}, "", "<absent>", "此项为必填项"),
    ({"required": True}, None, "<absent>", "此项为必填项"),
    ({"required": True}, " \u3000\t", "<absent>", "此项为必填项"),
    ({"required": True}, "x", "x", None),
    ({"minLength": 3}, "ab", "<absent>", "不能少于 3 个字符"),
    ({"minLength": 3}, "  ab  ", "<absent>", "不能少于 3 个字符"),  # form-js measures value.trim()
    ({"minLength": 3}, "", "", None),  # empty and not required: no length rule, as in form-js
    ({"minLength": 3}, "abc", "abc", None),
    ({"maxLength": 3}, "abcd", "<absent>", "不能多于 3 个字符"),
    ({"maxLength": 3}, "三个字", "三个字", None),
    ({"maxLength": 3}, "😀😀", "<absent>", "不能多于 3 个字符"),  # JavaScript counts UTF-16 units
    ({"maxLength": 3}, "a" * 1_000_000, "<absent>", "内容过长（不能超过 100000 个字符）"),
    ({"pattern": "^[0-9]{6}$"}, "100000", "100000", None),
    ({"pattern": "^[0-9]{6}$"}, "10000a", "<absent>", "格式不正确"),
    ({"pattern": "^[0-9]{6}$"}, "100000\n", "<absent>", "格式不正确"),  # JS `$` does not match before \n
    ({"pattern": r"\d{3}"}, "abc123def", "abc123def", None),  # RegExp.test searches, like form-js
    ({"pattern": r"^\d+$"}, "１２３", "<absent>", "格式不正确"),  # JS \d is ASCII only
    ({"pattern": r"^[\u4e00-\u9fa5]+$"}, "中文", "中文", None),
    ({"pattern": r"^(?<y>\d{4})-\k<y>$"}, "2025-2025", "2025-2025", None),
    ({"pattern": "^a", "patternErrorMessage": "须以 a 开头"}, "b", "<absent>", "须以 a 开头"),
    ({"pattern": "^a"}, "", "", None),
    ({"validationType": "email"}, "zhang.san@example.cn", "zhang.san@example.cn", None),
    ({"validationType": "email"}, "zhang san@example", "<absent>", "电子邮箱格式不正确"),
    ({"validationType": "email"}, "a@b.c\n", "<absent>", "电子邮箱格式不正确"),
    ({"validationType": "phone"}, "+8613800138000", "+8613800138000", None),
    ({"validationType": "phone"}, "13800138000", "<absent>", "电话号码格式不正确（须为国际格式，如 +8613800000000）"),
    ({"minLength": "=min_len"}, "abcd", "<absent>", "不能少于 5 个字符"),
    ({"maxLength": "=missing"}, "abcd", "abcd", None),  # a FEEL limit that is null is no limit
    ({}, "a\x00b", "<absent>", "包含不允许的字符"),
    ({}, "a\ud800b", "<absent>", "包含不允许的字符"),
])
def test_text_rules(validate, value, clean, error):
    assert one(dict(TEXT, validate=validate), value, context={"min_len": 5}) == (clean, error)


def test_textarea_keeps_line_breaks_and_missing_fields_get_empty_values():
    schema = form({"type": "textarea", "key": "a"}, {"type": "number", "key": "n"}, {"type": "checkbox", "key": "c"},
                  {"type": "checklist", "key": "l", "values": ["x"]}, {"type": "select", "key": "s", "values": ["x"]},
                  {"type": "datetime", "key": "d", "subtype": "date"}, {"type": "filepicker", "key": "f"},
                  {"type": "taglist", "key": "g", "values": ["x"]})
    assert validate_submission(schema, {"a": "一\n二"}) == (
        {"a": "一\n二", "n": None, "c": False, "l": [], "s": None, "d": None, "f": None, "g": []}, {})


NUMBER = {"type": "number", "key": "n"}


@pytest.mark.parametrize("extra, value, clean, error", [
    ({}, 5, 5, None), ({}, 2.5, 2.5, None), ({}, "42", 42, None), ({}, " -1.50 ", -1.5, None), ({}, "1e3", 1000, None),
    ({}, "2.0", 2, None), ({}, None, None, None), ({}, "", None, None),
    ({}, "abc", "<absent>", "必须是数字"), ({}, "0x10", "<absent>", "必须是数字"), ({}, "Infinity", "<absent>", "必须是数字"),
    ({}, "NaN", "<absent>", "必须是数字"), ({}, float("nan"), "<absent>", "必须是数字"), ({}, True, "<absent>", "必须是数字"),
    ({}, [1], "<absent>", "必须是数字"), ({}, {"v": 1}, "<absent>", "必须是数字"), ({}, "1" * 100, "<absent>", "必须是数字"),
    ({}, "1e999", "<absent>", "数值超出范围"), ({}, 10 ** 400, "<absent>", "数值超出范围"),
    ({"validate": {"required": True}}, None, "<absent>", "此项为必填项"),
    ({"validate": {"required": True}}, 0, 0, None),
    ({"validate": {"min": 0, "max": 100}}, 101, "<absent>", "不能大于 100"),
    ({"validate": {"min": 0, "max": 100}}, -0.5, "<absent>", "不能小于 0"),
    ({"validate": {"min": 0, "max": 100}}, 100, 100, None),
    ({"validate": {"min": 1.5}}, 1, "<absent>", "不能小于 1.5"),
    ({"validate": {"max": "=budget"}}, 1200, "<absent>", "不能大于 1000"),
    ({"validate": {"max": "=budget"}}, 999, 999, None),
    ({"decimalDigits": 0}, 1.5, "<absent>", "必须是整数"),
    ({"decimalDigits": 0}, "3.00", 3, None),
    ({"decimalDigits": 2}, "1.234", "<absent>", "最多 2 位小数"),
    ({"decimalDigits": 2}, 0.1, 0.1, None),
    ({"increment": "0.5"}, 1.5, 1.5, None),
    ({"increment": "0.5"}, 1.2, "<absent>", "必须是 0.5 的整数倍"),
    ({"increment": 10}, -20, -20, None),
    ({"serializeToString": True}, 12.50, "12.5", None),
    ({"serializeToString": True}, "1e2", "100", None),
])
def test_number_rules(extra, value, clean, error):
    assert one(dict(NUMBER, **extra), value, context={"budget": 1000}) == (clean, error)


@pytest.mark.parametrize("required, value, clean, error", [
    (False, True, True, None), (False, False, False, None), (False, None, False, None),
    (True, True, True, None), (True, False, "<absent>", "此项为必填项"), (True, None, "<absent>", "此项为必填项"),
    (False, "true", "<absent>", "必须是布尔值（true 或 false）"), (False, 1, "<absent>", "必须是布尔值（true 或 false）"),
])
def test_checkbox(required, value, clean, error):
    assert one({"type": "checkbox", "key": "c", "validate": {"required": required}}, value) == (clean, error)


@pytest.mark.parametrize("ctype", ["checklist", "taglist"])
@pytest.mark.parametrize("value, clean, error", [
    (["a"], ["a"], None), (["b", "a", "b"], ["b", "a"], None), ([], "<absent>", "此项为必填项"),
    (None, "<absent>", "此项为必填项"), ("a", "<absent>", "必须是列表"), (["a", "z"], "<absent>", "请选择列表中的选项"),
    ([1], [1], None), (["1"], "<absent>", "请选择列表中的选项"), ([True], "<absent>", "请选择列表中的选项"),
    ([1.0], [1], None), ([["a"]], "<absent>", "请选择列表中的选项"), (["a"] * 501, "<absent>", "选项不能超过 500 个"),
])
def test_multi_select(ctype, value, clean, error):
    component = {"type": ctype, "key": "m", "validate": {"required": True},
                 "values": [{"label": "甲", "value": "a"}, {"label": "乙", "value": "b"}, {"label": "一", "value": 1}]}
    assert one(component, value) == (clean, error)


def test_single_select_sources_and_value_types():
    static = {"type": "select", "key": "s", "values": [{"label": "是", "value": True}, {"label": "一", "value": 1},
                                                        {"label": "对象", "value": {"id": 7}}]}
    assert one(static, True) == (True, None)
    assert one(static, 1) == (1, None)
    assert one(static, 1.0) == (1, None)
    assert one(static, "1") == ("<absent>", "请选择列表中的选项")
    assert one(static, False) == ("<absent>", "请选择列表中的选项")
    assert one(static, {"id": 7}) == ({"id": 7}, None)
    assert one(static, {"id": 7, "x": 1}) == ("<absent>", "请选择列表中的选项")
    expr = {"type": "radio", "key": "r", "valuesExpression": '=if vip then ["高", "低"] else ["低"]'}
    assert one(expr, "高", context={"vip": True}) == ("高", None)
    assert one(expr, "高", context={"vip": False}) == ("<absent>", "请选择列表中的选项")
    keyed = {"type": "select", "key": "k", "valuesKey": "opts"}
    assert one(keyed, "x", context={"opts": "not a list"}) == ("<absent>", "请选择列表中的选项")
    assert one(keyed, "x", context={"opts": [{"value": "x"}]}) == ("x", None)
    assert one(keyed, None) == (None, None)


@pytest.mark.parametrize("subtype, value, error", [
    ("date", "2025-05-01", None), ("date", "2024-02-29", None), ("date", "2025-02-29", "日期格式不正确"),
    ("date", "2025-5-1", "日期格式不正确"), ("date", "20250501", "日期格式不正确"), ("date", "2025-05-01T10:00", "日期格式不正确"),
    ("date", 20250501, "日期格式不正确"), ("date", ["2025-05-01"], "日期格式不正确"),
    ("time", "14:30", None), ("time", "14:30+08:00", None), ("time", "06:30Z", None), ("time", "14:30:15", None),
    ("time", "24:00", "时间格式不正确"), ("time", "14:60", "时间格式不正确"), ("time", "2pm", "时间格式不正确"),
    ("datetime", "2025-05-01T14:30", None), ("datetime", "2025-05-01T14:30+08:00", None),
    ("datetime", "2025-05-01", "日期时间格式不正确"), ("datetime", "2025-13-01T14:30", "日期时间格式不正确"),
    ("datetime", "2025-05-01 14:30", "日期时间格式不正确"), ("datetime", "x" * 10_000, "日期时间格式不正确"),
])
def test_datetime(subtype, value, error):
    clean, err = one({"type": "datetime", "key": "d", "subtype": subtype}, value)
    assert err == error
    assert clean == (value if error is None else "<absent>")


def test_filepicker():
    picker = {"type": "filepicker", "key": "f", "validate": {"required": True}}
    assert one(picker, "files::abc") == ("files::abc", None)
    assert one(picker, ["att-1", "att-2"]) == (["att-1", "att-2"], None)
    assert one(picker, None) == ("<absent>", "此项为必填项")
    for bad in (5, [5], {"id": 1}, ["x" * 2000], ["a"] * 101):
        assert one(picker, bad) == ("<absent>", "文件格式不正确")


# ------------------------------------------------------------------ visibility and writability

def test_hidden_readonly_and_disabled_fields_are_neither_validated_nor_written():
    schema = form(
        {"type": "textfield", "key": "ro", "readonly": True, "validate": {"required": True}},
        {"type": "textfield", "key": "ro_feel", "readonly": "=locked", "validate": {"required": True}},
        {"type": "textfield", "key": "dis", "disabled": True, "validate": {"required": True}},
        {"type": "textfield", "key": "shown", "conditional": {"hide": "=locked = false"}},
        {"type": "group", "path": "g", "conditional": {"hide": "=locked"}, "components": [
            {"type": "textfield", "key": "inner", "validate": {"required": True}}]},
    )
    data = {"ro": "changed", "ro_feel": "changed", "dis": "changed", "shown": "v", "g": {"inner": ""}}
    context = {"locked": True, "ro": "original"}
    assert validate_submission(schema, data, context=context) == ({"shown": "v"}, {})
    assert context == {"locked": True, "ro": "original"}
    clean, errors = validate_submission(schema, data, context={"locked": False})
    assert clean == {"ro_feel": "changed"}
    assert errors == {"g.inner": "此项为必填项"}


def test_client_cannot_steer_conditions_through_readonly_or_undeclared_keys():
    schema = form({"type": "checkbox", "key": "exempt", "readonly": True},
                  {"type": "textarea", "key": "reason", "validate": {"required": True}, "conditional": {"hide": "=exempt"}},
                  {"type": "textarea", "key": "why", "validate": {"required": True}, "conditional": {"hide": "=secret"}})
    clean, errors = validate_submission(schema, {"exempt": True, "secret": True}, context={"exempt": False})
    assert errors == {"reason": "此项为必填项", "why": "此项为必填项"}
    assert clean == {}


def test_groups_with_paths_and_dotted_keys_nest_clean_data():
    schema = form({"type": "group", "path": "meeting", "components": [
        {"type": "textfield", "key": "title", "validate": {"required": True}},
        {"type": "group", "path": "venue", "components": [{"type": "textfield", "key": "room.no"}]}]},
        {"type": "number", "key": "stats.count"})
    data = {"meeting": {"title": "党委会", "venue": {"room": {"no": "301", "evil": 1}}, "x": 1}, "stats": {"count": "3"}}
    assert validate_submission(schema, data) == (
        {"meeting": {"title": "党委会", "venue": {"room": {"no": "301"}}}, "stats": {"count": 3}}, {})
    assert validate_submission(schema, {"meeting": "党委会"})[1] == {"meeting.title": "此项为必填项"}


# ------------------------------------------------------------------ hostile input

def _keys(obj, prefix=""):
    if isinstance(obj, dict):
        for k, v in obj.items():
            yield f"{prefix}{k}"
            yield from _keys(v, f"{prefix}{k}.")
    elif isinstance(obj, list):
        for item in obj:
            yield from _keys(item, prefix)


def _nested(depth):
    junk: object = "x"
    for i in range(depth):
        junk = {"a": [junk], i: None}
    return junk


HOSTILE = [
    None, [], "string", 42, {"view": _nested(500)}, {"items": [_nested(500)] * 3},
    {"view": "不同意", "reason": "理" * 1_000_000}, {"__proto__": {"admin": True}, "constructor": 1, 5: "x", None: 1},
    {"view": "不同意", "reason": 123456}, {"view": True, "reason": None}, {"view": 1e308, "reason": float("inf")},
    {"items": [{"problem": ["a"], "measure": {"$ne": 1}, "owner": ["wangwu"], "deadline": 20250501}] * 50},
    {"items": [{"problem": "p" * 200_000, "measure": "\x00", "owner": "wangwu", "deadline": "9999-99-99"}]},
    {"items": [{"__proto__": {"x": 1}, "owner": {"__proto__": "wangwu"}}]}, {"items": [[], None, 5, "x"]},
    {"view": "同意", "reason": "x", "extra": {"deep": _nested(100)}, "items": "no"},
    {(1, 2): "tuple key", "view": "\ud83d"},
]


@pytest.mark.parametrize("schema", [MEMBER_OPINION, RECTIFICATION], ids=["opinion", "rectification"])
@pytest.mark.parametrize("data", HOSTILE, ids=range(len(HOSTILE)))
def test_hostile_input_never_crashes_or_leaks(schema, data):
    for context in (None, PEOPLE, {"view": _nested(50), "unit_people": "junk"}, "not a dict"):
        clean, errors = validate_submission(schema, data, context=context)  # type: ignore[arg-type]
        assert isinstance(clean, dict) and isinstance(errors, dict)
        assert all(isinstance(k, str) and isinstance(v, str) and v for k, v in errors.items())
        allowed = {"view", "reason", "items", "items.problem", "items.measure", "items.owner", "items.deadline"}
        assert set(_keys(clean)) <= allowed
        if not isinstance(data, dict):
            assert (clean, errors) == ({}, {"": "提交的数据格式不正确"})


def test_clean_data_values_are_plain_json():
    data = {"items": [{"problem": "p", "measure": "m", "owner": "wangwu", "deadline": "2025-05-01"}]}
    clean, errors = validate_submission(RECTIFICATION, data, context=PEOPLE)
    assert errors == {}
    assert json.loads(json.dumps(clean)) == clean
    data["items"][0]["problem"] = "changed"  # clean data does not alias the submission's containers
    assert clean["items"][0]["problem"] == "p"


def test_broken_schema_is_refused_rather_than_half_validated():
    with pytest.raises(FormSchemaError) as err:
        validate_submission(form({"type": "textfield", "key": "a", "validate": {"pattern": "("}}), {"a": "x"})
    assert "正则表达式" in err.value.problems[0]
    with pytest.raises(FormSchemaError):
        validate_submission("not a schema", {})  # type: ignore[arg-type]
