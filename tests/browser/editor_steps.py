"""What a process owner does in the editor, as small steps the editor browser tests share.

The diagram is edited the way a person does it — context pad, replace menu, dragging a shape, typing into the
properties panel — and read back through the page's `window.jdEditor` (the modeler), which is what the person sees.
Selecting an element goes through the modeler's selection service rather than a click on its pixels, which would
depend on layout details that are not under test.
"""
from __future__ import annotations

from playwright.sync_api import Page, expect


def wait_ready(page: Page) -> None:
    page.wait_for_function("() => { const e = document.getElementById('editor');"
                           " return e && e.dataset.state !== 'loading'; }")
    expect(page.locator("#editor")).to_have_attribute("data-state", "ready")


def select(page: Page, element_id: str) -> None:
    """Select as a click would: the element becomes the selection and the canvas takes the keyboard."""
    page.evaluate("(id) => { const m = jdEditor.modeler;"
                  " m.get('selection').select(m.get('elementRegistry').get(id)); m.get('canvas').focus(); }",
                  element_id)


def ids_of(page: Page, bpmn_type: str) -> list[str]:
    return page.evaluate("(t) => jdEditor.modeler.get('elementRegistry').filter(e => e.type === t).map(e => e.id)",
                         bpmn_type)


def context_action(page: Page, element_id: str, action: str) -> None:
    select(page, element_id)
    page.click(f".djs-context-pad .entry[data-action='{action}']")


def append(page: Page, element_id: str, action: str, bpmn_type: str) -> str:
    """Append from the context pad (which starts editing the new label: Escape leaves it) and return the new id."""
    before = set(ids_of(page, bpmn_type))
    context_action(page, element_id, action)
    page.keyboard.press("Escape")
    [new] = set(ids_of(page, bpmn_type)) - before
    return new


def replace(page: Page, element_id: str, entry: str) -> None:
    context_action(page, element_id, "replace")
    page.click(f".djs-popup .entry[data-id='{entry}']")


def drag_by(page: Page, element_id: str, dx: int, dy: int) -> None:
    box = page.locator(f".djs-element.djs-shape[data-element-id='{element_id}']").bounding_box()
    x, y = box["x"] + box["width"] / 2, box["y"] + box["height"] / 2
    page.mouse.move(x, y)
    page.mouse.down()
    page.mouse.move(x + dx / 2, y + dy / 2, steps=6)
    page.mouse.move(x + dx, y + dy, steps=6)
    page.mouse.up()


def open_groups(page: Page, *titles: str) -> None:
    """Expand properties-panel groups (by their Chinese titles) that are still closed."""
    if not page.locator("#pane-properties").is_visible():
        show_pane(page, "properties")
    for title in titles:
        closed = page.locator("#properties .bio-properties-panel-group-header:not(.open)",
                              has=page.locator(".bio-properties-panel-group-header-title", has_text=title))
        if closed.count():
            closed.first.click()


def set_property(page: Page, element_id: str, field: str, value: str, group: str = "常规") -> None:
    """Type into a properties-panel field of the element and leave it (the panel writes on change)."""
    select(page, element_id)
    open_groups(page, group)
    locator = page.locator(f"#properties #bio-properties-panel-{field}")
    locator.fill(value)
    locator.press("Tab")


def business(page: Page, element_id: str, attribute: str):
    return page.evaluate("([id, a]) => jdEditor.modeler.get('elementRegistry').get(id).businessObject.get(a)",
                         [element_id, attribute])


def lane_members(page: Page) -> dict[str, list[str]]:
    return page.evaluate("() => Object.fromEntries(jdEditor.modeler.get('elementRegistry')"
                         ".filter(e => e.type === 'bpmn:Lane')"
                         ".map(l => [l.id, (l.businessObject.flowNodeRef || []).map(f => f.id)]))")


def show_pane(page: Page, name: str) -> None:
    page.click(f".ed-tab[data-pane='{name}']")
    expect(page.locator(f"#pane-{name}")).to_be_visible()
