"""List the modeler strings still shown in English: opens the editor, walks every element of the given diagrams
(palette, context pad, replace and append menus, every properties-panel group expanded) and prints each template
the `translate` service was asked for and found neither in bpmn-js-i18n's zn.js nor in
web/static/js/editor/zh.js.

    python scripts/editor_i18n_scan.py some.bpmn other.bpmn   # diagrams rich in element types
    python scripts/editor_i18n_scan.py --json missing.json ...

Run by hand after upgrading camunda-bpmn-js, then add the printed strings to zh.js.
"""
from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from scripts._live import scratch_service, served, signed_in_page  # noqa: E402
from service import drafts  # noqa: E402
from service.org import user_by_name  # noqa: E402

EXERCISE = """async (xml) => {
  const { modeler } = window.jdEditor;
  await modeler.importXML(xml);
  const registry = modeler.get('elementRegistry');
  const selection = modeler.get('selection');
  const contextPad = modeler.get('contextPad');
  const popupMenu = modeler.get('popupMenu');
  const pause = (ms) => new Promise((r) => setTimeout(r, ms));
  const elements = registry.filter((e) => !e.labelTarget && e.type !== 'label');
  for (const element of elements) {
    selection.select(element);
    await pause(30);
    for (let round = 0; round < 3; round++) {
      document.querySelectorAll('.bio-properties-panel-group-header:not(.open)').forEach((h) => h.click());
      document.querySelectorAll('.bio-properties-panel-collapsible-entry-header').forEach((h) => h.click());
      await pause(30);
    }
    try {
      contextPad.open(element, true);
      for (const menu of ['bpmn-replace', 'bpmn-append', 'bpmn-create']) {
        try { popupMenu.open(element, menu, { x: 200, y: 200 }); await pause(20); popupMenu.close(); } catch (e) {}
      }
    } catch (e) {}
  }
  document.querySelectorAll('.djs-palette .entry').forEach((e) => e.dispatchEvent(new MouseEvent('mouseover')));
  return [...window.jdUntranslated];
}"""


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("files", nargs="+", type=Path)
    parser.add_argument("--json", type=Path, help="also write the list to this file")
    args = parser.parse_args()
    with scratch_service() as jd:
        with jd.db.write() as session:
            drafts.create(session, user_by_name(session, "admin"), "i18n_scan", "扫描")
        with served(jd) as base, signed_in_page(base) as page:
            page.goto("/processes/i18n_scan/edit")
            page.wait_for_function("() => document.getElementById('editor').dataset.state === 'ready'")
            missing: set[str] = set()
            for path in args.files:
                try:
                    missing.update(page.evaluate(EXERCISE, path.read_text(encoding="utf-8")))
                except Exception as err:  # a diagram bpmn-js cannot import teaches nothing here
                    print(f"# skipped {path}: {str(err).splitlines()[0]}", file=sys.stderr)
    for text in sorted(missing):
        print(json.dumps(text, ensure_ascii=False))
    print(f"# {len(missing)} untranslated", file=sys.stderr)
    if args.json:
        args.json.write_text(json.dumps(sorted(missing), ensure_ascii=False, indent=1), encoding="utf-8")


if __name__ == "__main__":
    main()
