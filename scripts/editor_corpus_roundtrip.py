"""Round trip of a BPMN corpus through the browser editor: every file must open in the editor (or show the import
error clearly), and a diagram opened and saved by the editor must deploy exactly as before.

For each file this script
  1. deploys it into a scratch database (rolled back) and records the outcome: refused with which errors (element
     and message; lines are left out, the modeler re-indents), or deployed with its key, name, lanes, forms,
     warnings and a fingerprint of the parsed SpiffWorkflow spec (every task spec's class, name, extensions,
     conditions, scripts, timers, connections);
  2. imports it on the process library page as a person would, opens the editor, and notes what is shown: the
     diagram, bpmn-js's import error, or the import page's refusal;
  3. when the diagram opened, presses 保存草稿, takes the saved XML and deploys that the same way;
  4. compares the two outcomes.

    python scripts/editor_corpus_roundtrip.py /path/to/corpus [--json report.json] [--only SUBSTRING]

Run by hand (it reads files outside the project; the tests never do). Prints one line per file and the totals.
"""
from __future__ import annotations

import argparse
import json
import re
import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from scripts._live import scratch_service, served, signed_in_page  # noqa: E402
from service import definitions  # noqa: E402
from service.bpmn.xmlsafe import parse_xml  # noqa: E402
from service.engine.specs import parse_documents  # noqa: E402
from service.errors import DeployError  # noqa: E402
from service.models import DefinitionDraft, ProcessDefinition  # noqa: E402


class _Rollback(Exception):
    def __init__(self, outcome: dict):
        super().__init__()
        self.outcome = outcome


SKIP_ATTRIBUTES = {"_wf_spec", "wf_spec", "_parent", "parent", "position"}


def fingerprint(value, depth: int = 0):
    """A comparable picture of a parsed spec: plain data as is, task-spec references by name, objects by class and
    attributes (private ones and back references left out)."""
    from SpiffWorkflow.specs.base import TaskSpec

    if depth > 8:
        return "…"
    if value is None or isinstance(value, (str, int, float, bool)):
        return value
    if isinstance(value, TaskSpec) and depth > 1:
        return f"<spec {value.name}>"
    if isinstance(value, dict):
        return {str(k): fingerprint(v, depth + 1) for k, v in sorted(value.items(), key=lambda kv: str(kv[0]))}
    if isinstance(value, (list, tuple)):
        return [fingerprint(v, depth + 1) for v in value]
    if isinstance(value, (set, frozenset)):
        return sorted((fingerprint(v, depth + 1) for v in value), key=repr)
    if hasattr(value, "__dict__"):
        attributes = {k: v for k, v in vars(value).items() if not k.startswith("_") and k not in SKIP_ATTRIBUTES}
        return {"__class__": type(value).__name__, **fingerprint(attributes, depth + 1)}
    return repr(value)


def spec_fingerprint(parsed) -> dict:
    specs = {"main": parsed.spec, **parsed.subprocess_specs}
    return {name: {"__class__": type(spec).__name__,
                   "tasks": {task_name: fingerprint(task, 1) for task_name, task in sorted(spec.task_specs.items())}}
            for name, spec in sorted(specs.items())}


def without_lines(message: str) -> str:
    """Lines move when the modeler re-indents; object addresses in library messages change on every run."""
    return re.sub(r" at 0x[0-9a-f]+", "", re.sub(r"(line|第) ?\d+( ?行)?(, column \d+)?", "", message))


def deploy_outcome(jd, name: str, data: bytes) -> dict:
    try:
        with jd.db.write() as session:
            deployed = definitions.deploy(session, None, [(name, data)])
            done = next(d for d in deployed if d.created) if any(d.created for d in deployed) else deployed[0]
            row = session.get(ProcessDefinition, done.id)
            key, sources = definitions.load_sources(session, row)
            parsed = parse_documents([(parse_xml(text), filename) for text, filename in sources], key)
            raise _Rollback({
                "result": "deployed", "key": row.key, "name": row.name, "lanes": row.lanes,
                "forms": sorted(row.forms), "called": [c["key"] for c in row.called],
                "warnings": sorted((w["element_id"] or "", without_lines(w["message"])) for w in done.warnings),
                "spec": spec_fingerprint(parsed),
            })
    except _Rollback as done:
        return done.outcome
    except DeployError as err:
        return {"result": "refused",
                "errors": sorted((e.get("element_id") or "", without_lines(e["message"])) for e in err.errors)}


def differences(before: dict, after: dict) -> list[str]:
    found = []
    for key in sorted(set(before) | set(after)):
        if before.get(key) != after.get(key):
            if key == "spec":
                b, a = before.get(key) or {}, after.get(key) or {}
                for process in sorted(set(b) | set(a)):
                    bt, at = (b.get(process) or {}).get("tasks", {}), (a.get(process) or {}).get("tasks", {})
                    for task in sorted(set(bt) | set(at)):
                        if bt.get(task) != at.get(task):
                            found.append(f"spec {process}/{task}: {json.dumps(bt.get(task), ensure_ascii=False)[:300]}"
                                         f" → {json.dumps(at.get(task), ensure_ascii=False)[:300]}")
            else:
                found.append(f"{key}: {json.dumps(before.get(key), ensure_ascii=False)[:400]} → "
                             f"{json.dumps(after.get(key), ensure_ascii=False)[:400]}")
    return found


def open_in_editor(page, path: Path) -> dict:
    """Import on the library page, open the editor, save. Returns what the person saw and the saved key."""
    page.goto("/processes")
    page.set_input_files(".lib-import input[type=file]", str(path))
    page.check(".lib-import input[name=replace]")
    page.click(".lib-import button[type=submit]")
    page.wait_for_load_state()
    if "/edit" not in page.url:
        flash = page.locator(".flash-error")
        return {"shown": "refused-by-import", "message": flash.inner_text() if flash.count() else page.url}
    page.wait_for_function("() => { const e = document.getElementById('editor');"
                           " return e && e.dataset.state !== 'loading'; }", timeout=60_000)
    state = page.get_attribute("#editor", "data-state")
    key = page.url.rstrip("/").split("/")[-2]
    if state == "import-error":
        return {"shown": "import-error", "key": key, "message": page.inner_text("#ed-import-error .ed-import-message")}
    if state != "ready":
        return {"shown": state, "key": key, "message": page.inner_text("#ed-status")}
    warnings = page.locator("#ed-import-warnings")
    note = warnings.inner_text() if warnings.is_visible() else ""
    page.click("#btn-save")
    page.wait_for_function("() => !jdEditor.state.busy && !jdEditor.state.dirty && jdEditor.state.saved"
                           " || document.getElementById('ed-status').classList.contains('ed-status-bad')",
                           timeout=30_000)
    if "ed-status-bad" in (page.get_attribute("#ed-status", "class") or ""):
        return {"shown": "save-failed", "key": key, "message": page.inner_text("#ed-status")}
    return {"shown": "opened", "key": page.evaluate("() => jdEditor.state.key"), "warnings": note}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("corpus", type=Path)
    parser.add_argument("--json", type=Path)
    parser.add_argument("--only", default="")
    args = parser.parse_args()
    files = sorted(p for p in args.corpus.rglob("*.bpmn") if args.only in str(p))
    report, totals = [], {"files": len(files), "opened": 0, "import-error": 0, "refused-by-import": 0,
                          "identical": 0, "different": 0, "other": 0}
    with scratch_service() as jd, served(jd) as base, signed_in_page(base, "admin") as page:
        page.on("dialog", lambda dialog: dialog.accept())  # "bpmn-js dropped content it could not read: save?"
        for path in files:
            name = path.relative_to(args.corpus)
            data = path.read_bytes()
            before = deploy_outcome(jd, path.name, data)
            seen = open_in_editor(page, path)
            entry = {"file": str(name), "before": before["result"], **seen}
            if seen["shown"] == "opened":
                totals["opened"] += 1
                with jd.db.read() as session:
                    draft = session.get(DefinitionDraft, seen["key"])
                    saved_xml = draft.bpmn_xml.encode("utf-8")
                after = deploy_outcome(jd, path.name, saved_xml)
                diff = differences(before, after)
                entry["roundtrip"] = "identical" if not diff else "different"
                entry["differences"] = diff
                totals["identical" if not diff else "different"] += 1
            elif seen["shown"] in totals:
                totals[seen["shown"]] += 1
            else:
                totals["other"] += 1
            with jd.db.write() as session:
                for draft in session.query(DefinitionDraft).all():
                    session.delete(draft)
            report.append(entry)
            detail = entry.get("roundtrip") or entry.get("message", "")
            print(f"{entry['shown']:18} {entry['before']:9} {str(detail)[:90]:90} {name}", flush=True)
            for line in entry.get("differences", [])[:6]:
                print(f"    {line}", flush=True)
    print(json.dumps(totals, ensure_ascii=False))
    if args.json:
        args.json.write_text(json.dumps({"totals": totals, "files": report}, ensure_ascii=False, indent=1),
                             encoding="utf-8")


if __name__ == "__main__":
    main()
