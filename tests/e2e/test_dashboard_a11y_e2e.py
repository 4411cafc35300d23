"""Every page of the dashboard through axe-core's WCAG 2.x A/AA rules, on a desktop and a 360 px phone."""

from __future__ import annotations

from pathlib import Path

import pytest
from playwright.sync_api import expect

AXE = Path(__file__).resolve().parents[2] / "web" / "node_modules" / "axe-core" / "axe.min.js"  # from make web
WCAG = ["wcag2a", "wcag2aa", "wcag21a", "wcag21aa", "wcag22aa"]
PAGES = [
    ("overview", "#trend canvas[data-state=drawn], .alerts li"),
    ("transactions", "table.transactions tbody tr"),
    ("budgets", ".budgets li"),
    ("admin", ".facts"),
]


def violations(page) -> list[str]:
    """axe-core's violations on the page as it is now, one line each."""
    page.add_script_tag(path=str(AXE))
    found = page.evaluate("tags => axe.run(document, {runOnly: {type: 'tag', values: tags}})", WCAG)["violations"]
    return [f"{v['id']} ({v['impact']}): {[n['target'] for n in v['nodes']][:5]}" for v in found]


@pytest.mark.parametrize("width", [1280, 360])
def test_every_page_passes_axe(watch, base_url, seeded, width):
    # The page's own CSP would refuse the injected axe-core script: only this test's context bypasses it.
    w = watch(width=width, bypass_csp=True)
    w.page.goto(base_url + "/")
    w.page.get_by_label("User").wait_for()
    found = {"sign-in": violations(w.page)}
    w.sign_in(seeded, admin=True)
    for route, ready in PAGES:
        w.page.goto(f"{base_url}/#/{route}")
        for selector in ready.split(", "):  # the seeded 80% alert too: the stack raises it
            w.page.locator(selector).first.wait_for()
        expect(w.page.get_by_text("Loading…")).to_have_count(0)
        found[route] = violations(w.page)
    assert not any(found.values()), found
    w.assert_clean()
