"""The supervision pages speak English too: every string of their templates and views has a translation, and an
English page shows no Chinese of its own (case titles and names are data and stay as they are)."""
from __future__ import annotations

import re
from pathlib import Path

from babel.messages.extract import extract_from_file
from babel.messages.pofile import read_po

from tests.support import deploy

WEB = Path(__file__).resolve().parents[2] / "web"
PO = WEB / "translations" / "en" / "LC_MESSAGES" / "messages.po"
TEMPLATES = ["cases", "cases_nav", "cases_show", "cases_timeline", "dashboard", "heatmap", "problems", "record"]
VIEWS = ["supervision", "supervision_common", "supervision_reports", "supervision_exports"]
# Data on the pages (names of people, units, the process and its steps) and the language switch's own name.
DATA = {"中文", "督查专员蒋涛", "督", "监", "核心流程测试", "起草事项", "书记审批", "成员会签", "纪检审查", "上级纪委督办审查",
        "归档"}


def test_every_supervision_string_has_an_english_translation():
    with PO.open("rb") as handle:
        catalogue = read_po(handle, locale="en")
    sources = [(WEB / "templates" / f"{name}.html", "jinja2.ext:babel_extract") for name in TEMPLATES]
    sources += [(WEB / "views" / f"{name}.py", "python") for name in VIEWS]
    missing = []
    for path, method in sources:
        for lineno, message, _comments, _context in extract_from_file(method, str(path)):
            message = message[0] if isinstance(message, tuple) else message
            if not (catalogue.get(message) and catalogue.get(message).string):
                missing.append(f"{path.name}:{lineno}: {message}")
    assert not missing, "untranslated:\n" + "\n".join(missing)


def test_the_dashboard_and_case_list_in_english(jd, login_as):
    deploy(jd, "core_flow_start.bpmn", "core_start.form", "core_draft.form", "core_approve.form", actor="owner")
    supervisor = login_as("supervisor")
    for path in ("/cases?lang=en", "/dashboard?lang=en", "/problems?lang=en", "/processes/core_flow/heatmap?lang=en"):
        html = supervisor.get(path).get_data(as_text=True)
        visible = re.sub(r"<script.*?</script>|<datalist.*?</datalist>|<[^>]+>", " ", html, flags=re.S)
        own = {chunk for chunk in re.findall(r"[\u4e00-\u9fff]+", visible)
               if chunk not in DATA and not chunk.startswith(("示例", "东城"))}
        assert not own, (path, own)
