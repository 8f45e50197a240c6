"""Which files may be attached, recognised by their first bytes and not only by their names.

The allowlist is what case work needs: documents (pdf, doc, docx, xls, xlsx, txt), scans and photos (png, jpg)
and bundles (zip). A file whose content does not match its extension is refused, so an HTML page renamed to
`.pdf` never gets in; every download is served as an attachment with `nosniff` besides.
"""
from __future__ import annotations

import io
import re
import unicodedata
import zipfile

from ..errors import ValidationFailed

CONTENT_TYPES = {
    "pdf": "application/pdf",
    "doc": "application/msword",
    "docx": "application/vnd.openxmlformats-officedocument.wordprocessingml.document",
    "xls": "application/vnd.ms-excel",
    "xlsx": "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
    "png": "image/png",
    "jpg": "image/jpeg",
    "jpeg": "image/jpeg",
    "txt": "text/plain",
    "zip": "application/zip",
}
ALLOWED = "pdf、doc、docx、xls、xlsx、png、jpg、txt、zip"
OLE2 = b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1"
MAX_NAME = 120


def safe_filename(raw: str | None) -> str:
    """The name without any directory part, control or direction characters, or characters Windows refuses."""
    name = (raw or "").replace("\\", "/").rsplit("/", 1)[-1]
    name = unicodedata.normalize("NFC", name)
    name = "".join(ch for ch in name if unicodedata.category(ch)[0] not in ("C", "Z") or ch == " ")
    name = re.sub(r'[<>:"|?*]', "_", name).strip()
    stem, dot, ext = name.rpartition(".")
    if not dot:
        stem, ext = name, ""
    stem, ext = stem.strip().strip(".").strip() or "附件", ext.strip()
    if len(stem) > MAX_NAME:
        stem = stem[:MAX_NAME]
    return f"{stem}.{ext.lower()}" if ext else stem


def content_type(filename: str, content: bytes) -> str:
    """The type to store and serve; 422 when the extension is not allowed or the bytes are something else."""
    ext = filename.rpartition(".")[2].lower() if "." in filename else ""
    if ext not in CONTENT_TYPES:
        raise ValidationFailed("不支持的文件类型", {"file": f"只能上传 {ALLOWED} 文件"})
    if not _matches(ext, content):
        raise ValidationFailed("文件内容与扩展名不符", {"file": f"文件内容不是有效的 {ext} 文件"})
    return CONTENT_TYPES[ext]


def _matches(ext: str, content: bytes) -> bool:
    if ext == "pdf":
        return content.startswith(b"%PDF-")
    if ext == "png":
        return content.startswith(b"\x89PNG\r\n\x1a\n")
    if ext in ("jpg", "jpeg"):
        return content.startswith(b"\xff\xd8\xff")
    if ext in ("doc", "xls"):
        return content.startswith(OLE2)
    if ext in ("zip", "docx", "xlsx"):
        return _zip_with(content, {"docx": "word/document.xml", "xlsx": "xl/workbook.xml"}.get(ext))
    if ext == "txt":
        return _plain_text(content)
    return False


def _zip_with(content: bytes, member: str | None) -> bool:
    """A readable zip archive (only its directory is read); an Office file must contain its main part."""
    if not content.startswith((b"PK\x03\x04", b"PK\x05\x06")):
        return False
    try:
        with zipfile.ZipFile(io.BytesIO(content)) as archive:
            names = set(archive.namelist())
    except (zipfile.BadZipFile, ValueError, OSError):
        return False
    return member is None or (member in names and "[Content_Types].xml" in names)


def _plain_text(content: bytes) -> bool:
    if b"\x00" in content:
        return False
    for encoding in ("utf-8", "gb18030"):
        try:
            text = content.decode(encoding)
        except UnicodeDecodeError:
            continue
        return not any(unicodedata.category(ch) == "Cc" and ch not in "\t\n\r\f" for ch in text)
    return False
