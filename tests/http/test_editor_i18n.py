"""The process library, editor and diff pages (issue 5) in English: every UI string of their templates and views
has an English translation, and the English pages come out in English (the modeler then keeps its own English)."""
from __future__ import annotations

import json
import re
from pathlib import Path

from babel.messages.extract import extract_from_file
from babel.messages.pofile import read_po

from tests.support import deploy

WEB = Path(__file__).resolve().parents[2] / "web"
PO = WEB / "translations" / "en" / "LC_MESSAGES" / "messages.po"
TEMPLATES = ["processes", "processes_new", "editor", "_editor_help", "diff"]
CJK = re.compile(r"[\u4e00-\u9fff]")


def test_every_editor_ui_string_has_an_english_translation():
    with PO.open("rb") as handle:
        catalogue = read_po(handle, locale="en")
    sources = [(WEB / "templates" / f"{name}.html", "jinja2.ext:babel_extract") for name in TEMPLATES]
    sources.append((WEB / "views" / "processes.py", "python"))
    missing = []
    for path, method in sources:
        for lineno, message, _comments, _context in extract_from_file(method, str(path)):
            message = message[0] if isinstance(message, tuple) else message
            if not (catalogue.get(message) and catalogue.get(message).string):
                missing.append(f"{path.name}:{lineno}: {message}")
    assert not missing, "untranslated:\n" + "\n".join(missing)


def test_the_editor_and_library_in_english(login_as, jd):
    deploy(jd, "editor_leave.bpmn", "editor_leave_form.form", actor="owner")
    client = login_as("owner")
    library = client.get("/processes?lang=en").get_data(as_text=True)
    assert "New process" in library and "Roll back" not in library and "Current version v1" in library
    html = client.get("/processes/editor_leave/edit").get_data(as_text=True)
    config = json.loads(re.search(r'id="jd-editor-config">(.*?)</script>', html, re.S).group(1))
    assert config["locale"] == "en" and config["messages"]["saved"] == "Draft saved"
    assert not [text for text in config["messages"].values() if CJK.search(text)]
    assert "Save draft" in html and "Deploy" in html and "Who handles a task" in html
