"""XML loading that cannot be turned against the server.

A diagram comes from a browser or a file a person picked. lxml would otherwise expand entities (billion laughs,
local file disclosure through external entities) and could fetch DTDs over the network. We refuse any DOCTYPE
outright (BPMN never needs one), never resolve entities, never touch the network, and cap the size.
"""
from __future__ import annotations

from dataclasses import dataclass

from lxml import etree

MAX_BYTES = 2 * 1024 * 1024


@dataclass
class XmlProblem(Exception):
    message: str
    line: int | None = None

    def __str__(self) -> str:
        return self.message if self.line is None else f"第 {self.line} 行: {self.message}"


def _parser() -> etree.XMLParser:
    return etree.XMLParser(
        resolve_entities=False,
        no_network=True,
        load_dtd=False,
        dtd_validation=False,
        huge_tree=False,
        remove_blank_text=False,
    )


def parse_xml(data: bytes | str, *, max_bytes: int = MAX_BYTES) -> etree._Element:
    """Parse untrusted XML into an element tree root, or raise XmlProblem with the line of the fault."""
    if isinstance(data, str):
        data = data.encode("utf-8")
    if len(data) > max_bytes:
        raise XmlProblem(f"文件过大（{len(data)} 字节，上限 {max_bytes} 字节）")
    if not data.strip():
        raise XmlProblem("文件为空")
    head = data[:4096].lower()
    # Cheap refusal before parsing (also catches UTF-8 payloads); the docinfo check below catches other encodings.
    if b"<!doctype" in head or b"<!entity" in data.lower():
        raise XmlProblem("不允许 DOCTYPE 或实体声明（XML entities are refused）", _line_of(data, b"<!"))
    try:
        root = etree.fromstring(data, _parser())
    except etree.XMLSyntaxError as err:
        line = err.lineno if err.lineno else None
        raise XmlProblem(f"XML 格式错误: {err.msg}", line) from None
    doctype = root.getroottree().docinfo.doctype
    if doctype or root.getroottree().docinfo.internalDTD is not None:
        raise XmlProblem("不允许 DOCTYPE 或实体声明（XML entities are refused）", 1)
    for node in root.iter():
        if isinstance(node, etree._Entity):
            raise XmlProblem("不允许实体引用", node.sourceline)
    return root


def _line_of(data: bytes, needle: bytes) -> int | None:
    index = data.lower().find(needle.lower())
    return None if index < 0 else data.count(b"\n", 0, index) + 1
