"""axe-core in the browser tests: loaded from the tests' node_modules (never from another host) into a page.

`make test` installs axe-core with `npm ci` (package.json at the top of the tree). The page's strict
CSP does not apply: the source is evaluated through the DevTools protocol, as Playwright's own
scripts are, not added as a <script> element.
"""
from __future__ import annotations

from pathlib import Path

AXE_JS = Path(__file__).resolve().parents[2] / "node_modules" / "axe-core" / "axe.min.js"
# WCAG 2.1 A and AA and axe's best practices: every rule those tags select, at every impact level.
TAGS = ["wcag2a", "wcag2aa", "wcag21a", "wcag21aa", "best-practice"]


def axe_source() -> str:
    """Return axe-core's source; fail with what to run when it is not installed."""
    if not AXE_JS.exists():
        raise AssertionError(f"{AXE_JS} is missing: run `make node` (npm ci), which `make test` does.")
    return AXE_JS.read_text("utf-8")


def violations(page) -> list[str]:
    """Run axe-core on the page as it is now; return one line per violating element."""
    if not page.evaluate("() => typeof window.axe !== 'undefined'"):
        page.evaluate(axe_source())
    result = page.evaluate("""(tags) => axe.run(document, {
        runOnly: {type: 'tag', values: tags}, resultTypes: ['violations']
    }).then(r => r.violations.map(v => v.nodes.map(n =>
        `${v.id} (${v.impact}): ${n.target.join(' ')}: ${n.failureSummary.replace(/\\s+/g, ' ')}`)).flat())""",
                           TAGS)
    return result
