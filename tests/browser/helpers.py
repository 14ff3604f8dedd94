"""Helpers for driving the article page like a reader."""
from __future__ import annotations

from playwright.sync_api import TimeoutError as PlaywrightTimeoutError

# Finds `phrase` in the article's canonical text (text nodes outside data-nc elements), selects it and
# returns the viewport rectangles of its first and last characters.
_SELECT_JS = """
(phrase) => {
  const body = document.getElementById('article-body');
  const walker = document.createTreeWalker(body, NodeFilter.SHOW_TEXT);
  const nodes = []; let text = '';
  for (let n = walker.nextNode(); n; n = walker.nextNode()) {
    let skip = false;
    for (let e = n.parentNode; e && e !== body; e = e.parentNode) {
      if (e.hasAttribute && e.hasAttribute('data-nc')) { skip = true; }
    }
    if (skip) continue;
    nodes.push([n, text.length]); text += n.data;
  }
  const at = text.indexOf(phrase);
  if (at < 0) return null;
  const locate = (pos) => {
    for (let i = nodes.length - 1; i >= 0; i--) { if (nodes[i][1] <= pos) return [nodes[i][0], pos - nodes[i][1]]; }
  };
  const [sn, so] = locate(at); const [en, eo] = locate(at + phrase.length - 1);
  const range = document.createRange(); range.setStart(sn, so); range.setEnd(en, eo + 1);
  const sel = window.getSelection(); sel.removeAllRanges(); sel.addRange(range);
  const r1 = document.createRange(); r1.setStart(sn, so); r1.setEnd(sn, so + 1);
  const r2 = document.createRange(); r2.setStart(en, eo); r2.setEnd(en, eo + 1);
  const a = r1.getBoundingClientRect(), b = r2.getBoundingClientRect();
  return {start: {x: a.left + 1, y: a.top + a.height / 2}, end: {x: b.right - 1, y: b.top + b.height / 2}};
}
"""


def select_with_mouse(page, phrase: str) -> None:
    """Select `phrase` in the article by dragging the mouse over it."""
    page.locator(f"#article-body :text('{phrase[:20]}')").first.scroll_into_view_if_needed()
    rects = page.evaluate(_SELECT_JS, phrase)
    assert rects, f"phrase not in article: {phrase!r}"
    page.evaluate("() => window.getSelection().removeAllRanges()")
    page.mouse.move(rects["start"]["x"], rects["start"]["y"])
    page.mouse.down()
    page.mouse.move(rects["end"]["x"], rects["end"]["y"], steps=8)
    page.mouse.up()


def select_programmatically(page, phrase: str) -> None:
    """Select `phrase` (which may cross inline markup) and tell the page, as a mouse-up would."""
    assert page.evaluate(_SELECT_JS, phrase), f"phrase not in article: {phrase!r}"
    page.evaluate("() => document.dispatchEvent(new MouseEvent('mouseup', {bubbles: true}))")


_HIGHLIGHTED_JS = """(id) => Array.from(document.querySelectorAll('#article-body mark.hl'))
    .filter(m => m.dataset.ids.split(' ').includes(String(id)))
    .map(m => m.textContent).join('')"""


def highlighted_text(page, annotation_id: int | str) -> str:
    """Return the article text covered by the marks of one annotation."""
    return page.evaluate(_HIGHLIGHTED_JS, str(annotation_id))


def expect_highlighted(page, annotation_id: int | str, text: str) -> None:
    """Wait until the marks of one annotation cover exactly `text` (the page draws them after saving)."""
    try:
        page.wait_for_function(f"([id, text]) => ({_HIGHLIGHTED_JS})(id) === text", arg=[str(annotation_id), text])
    except PlaywrightTimeoutError:
        pass  # the assertion below says what the page shows instead
    assert highlighted_text(page, annotation_id) == text
