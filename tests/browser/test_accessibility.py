"""Accessibility of the web chat widget and its pages: axe-core, run in Chromium, finds no WCAG 2.1 A/AA
or best-practice violations in any state a parent sees (closed, open, answered, after "Snel weg")."""

from __future__ import annotations

from pathlib import Path

import pytest

from tests.browser.pages import ANSWER_TIMEOUT, PHONE, ask, open_chat, playwright_api, widget_page

AXE = Path(__file__).resolve().parents[2] / "node_modules" / "axe-core" / "axe.min.js"
if not AXE.exists():
    # No skipping: make test installs it with `npm ci`.
    raise RuntimeError("axe-core is missing: run `npm ci` (make test does)")

# WCAG 2.0 and 2.1, levels A and AA, plus axe's best practices (landmarks, heading order, ...).
RULE_TAGS = ["wcag2a", "wcag2aa", "wcag21a", "wcag21aa", "best-practice"]


def axe_violations(page) -> list[dict]:
    """Run axe-core on the whole document and return its violations (id, impact, help, nodes)."""
    if not page.evaluate("() => typeof window.axe === 'object'"):
        page.add_script_tag(path=str(AXE))
    return page.evaluate(
        """async (tags) => {
            // Check what a parent sees once the panel's fade-in is over, not a half-transparent frame.
            await Promise.all(document.getAnimations().map((animation) => animation.finished));
            const result = await axe.run(document, {runOnly: {type: 'tag', values: tags}});
            return result.violations.map((v) => ({
                id: v.id, impact: v.impact, help: v.help,
                nodes: v.nodes.map((n) => ({target: n.target.join(' '), summary: n.failureSummary})),
            }));
        }""",
        RULE_TAGS,
    )


def describe(violations: list[dict]) -> str:
    lines = []
    for violation in violations:
        lines.append(f"{violation['id']} ({violation['impact']}): {violation['help']}")
        lines.extend(f"    {node['target']}: {node['summary']}" for node in violation["nodes"])
    return "\n".join(lines)


def assert_accessible(page) -> None:
    violations = axe_violations(page)
    assert violations == [], "axe-core found violations:\n" + describe(violations)


def test_axe_reports_a_real_violation(page):
    """The check itself works: an image without alt text on the page is reported."""
    page.evaluate("""() => {
        const img = document.createElement('img');
        img.src = 'data:image/gif;base64,R0lGODlhAQABAAAAACw=';
        document.querySelector('main').appendChild(img);
    }""")
    assert "image-alt" in [violation["id"] for violation in axe_violations(page)]


def test_the_demo_page_with_the_chat_closed(page):
    launcher = page.get_by_role("button", name="Chat met ons")
    playwright_api.expect(launcher).to_be_visible()
    assert launcher.get_attribute("aria-expanded") == "false"
    assert_accessible(page)


def test_the_open_chat_with_the_privacy_notice(page):
    chat = open_chat(page)
    playwright_api.expect(chat).to_contain_text("Je chat anoniem.")
    assert_accessible(page)


def test_the_chat_after_an_answer_with_quick_replies(page):
    open_chat(page)
    ask(page, "wat kan ik vragen?")
    replies = page.locator(".sp-reply")
    playwright_api.expect(replies.first).to_be_visible(timeout=ANSWER_TIMEOUT)
    assert replies.count() >= 2
    # New messages are announced to screen reader users without moving their focus.
    assert page.locator(".sp-messages").get_attribute("aria-live") == "polite"
    assert_accessible(page)


def test_the_chat_on_a_phone_with_the_privacy_notice_folded_and_opened(browser, gateway):
    with widget_page(browser, gateway.url + "/", PHONE) as page:
        open_chat(page)
        assert_accessible(page)  # full screen, the greeting and the whole privacy notice
        ask(page, "hoe wordt kinderalimentatie berekend?")
        toggle = page.locator(".sp-notice__toggle")
        playwright_api.expect(toggle).to_have_text("Lees meer")
        playwright_api.expect(toggle).to_have_attribute("aria-expanded", "false")
        assert_accessible(page)  # the notice folded to one line
        toggle.click()
        playwright_api.expect(toggle).to_have_attribute("aria-expanded", "true")
        assert_accessible(page)


def test_the_neutral_page(page, gateway):
    page.goto(gateway.url + "/widget/neutral.html")
    playwright_api.expect(page.get_by_role("heading", level=1)).to_be_visible()
    assert_accessible(page)


@pytest.mark.parametrize("gemeente", ["zwolle", "dordrecht"])
def test_each_municipality_theme_is_accessible_with_an_answer(page, gateway, gemeente):
    page.goto(f"{gateway.url}/?gemeente={gemeente}")
    open_chat(page)
    playwright_api.expect(page.locator(".sp-widget")).to_have_attribute("data-gemeente", gemeente)
    assert_accessible(page)
    ask(page, "wat kan ik vragen?")
    playwright_api.expect(page.locator(".sp-reply").first).to_be_visible(timeout=ANSWER_TIMEOUT)
    page.locator(".sp-reply").first.focus()  # the focus ring on a themed button is checked too
    assert_accessible(page)
