"""Camunda models write conditions as JUEL (``${approved}``, ``${amount > 1000 && urgent}``); the sandbox speaks
Python. Simple JUEL is translated before SpiffWorkflow sees the diagram, so diagrams drawn for Camunda run
unchanged. The stored XML is never rewritten: this runs on an in-memory copy each time a diagram is parsed.
"""
from __future__ import annotations

import copy
import re

from lxml import etree

from .inspect import BPMN_NS

_JUEL = re.compile(r"^\s*[#$]\{(.*)\}\s*$", re.DOTALL)
_TOKENS = re.compile(r"""("(?:\\.|[^"\\])*"|'(?:\\.|[^'\\])*')|(&&|\|\||!(?!=)|\btrue\b|\bfalse\b|\bnull\b|\beq\b|\bne\b|\blt\b|\bgt\b|\ble\b|\bge\b|\bempty\b)""")
_REPLACE = {"&&": " and ", "||": " or ", "!": " not ", "true": "True", "false": "False", "null": "None",
            "eq": "==", "ne": "!=", "lt": "<", "gt": ">", "le": "<=", "ge": ">=", "empty": "not "}
EXPRESSION_TAGS = ("conditionExpression", "completionCondition", "loopCardinality", "loopCondition")


def juel_to_python(text: str | None) -> str | None:
    if text is None:
        return None
    match = _JUEL.match(text)
    if not match:
        return text
    inner = match.group(1)
    return _TOKENS.sub(lambda m: m.group(1) or _REPLACE[m.group(2)], inner).strip()


def normalized_copy(root: etree._Element) -> etree._Element:
    """A copy of the diagram with JUEL conditions rewritten as Python expressions."""
    root = copy.deepcopy(root)
    for tag in EXPRESSION_TAGS:
        for node in root.iter(f"{{{BPMN_NS}}}{tag}"):
            if node.text:
                node.text = juel_to_python(node.text)
    return root
