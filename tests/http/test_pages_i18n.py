"""Chinese first, English second: every UI string of the pages has an English translation in the catalogue.

The strings are extracted the way `pybabel extract` would (Jinja templates and the page modules), so a string
added without a translation fails here instead of showing up in Chinese on the English pages.
"""
from __future__ import annotations

import re
from pathlib import Path

from babel.messages.extract import extract_from_file
from babel.messages.pofile import read_po

WEB = Path(__file__).resolve().parents[2] / "web"
PO = WEB / "translations" / "en" / "LC_MESSAGES" / "messages.po"
# The pages of issue #3 (other page families keep their own strings and their own check).
TEMPLATES = ["base", "login", "error", "_macros", "_timeline", "inbox", "task", "start", "instance", "profile",
             "notifications"]
VIEWS = ["common", "inbox", "tasks", "start", "instances", "profile", "notifications"]
PLACEHOLDER = re.compile(r"%\((\w+)\)[sd]")
CJK = re.compile(r"[\u4e00-\u9fff]")


def _ui_strings() -> dict[str, str]:
    found: dict[str, str] = {}
    sources = [(WEB / "templates" / f"{name}.html", "jinja2.ext:babel_extract") for name in TEMPLATES]
    sources += [(WEB / "views" / f"{name}.py", "python") for name in VIEWS] + [(WEB / "auth.py", "python")]
    for path, method in sources:
        for lineno, message, _comments, _context in extract_from_file(method, str(path)):
            message = message[0] if isinstance(message, tuple) else message
            found.setdefault(message, f"{path.name}:{lineno}")
    return found


def _catalogue():
    with PO.open("rb") as handle:
        return read_po(handle, locale="en")


def test_every_ui_string_has_an_english_translation():
    catalogue = _catalogue()
    strings = _ui_strings()
    assert len(strings) > 200
    missing = [f"{where}: {msgid}" for msgid, where in strings.items()
               if not (catalogue.get(msgid) and catalogue.get(msgid).string)]
    assert not missing, "untranslated:\n" + "\n".join(missing)


def test_translations_keep_their_placeholders_and_are_english():
    for message in _catalogue():
        if not message.id or not message.string:
            continue
        assert sorted(PLACEHOLDER.findall(message.id)) == sorted(PLACEHOLDER.findall(message.string)), message.id
        assert not CJK.search(message.string), message.id
