"""The embeddable web chat widget in a real browser (Chromium via Playwright), on the demo page,
through the gateway: against the real assistant, and for the layout and the greeting also against a
scripted Rasa (tests/browser/scripted_rasa.py) whose answers never change."""

from __future__ import annotations

import re

import pytest
import yaml

from tests.browser.pages import (
    ANSWER_TIMEOUT,
    DESKTOP,
    PHONE,
    ask,
    layout,
    open_chat,
    playwright_api,
    screenshot,
    session_id,
    widget_page,
)
from tests.browser.scripted_rasa import GREET, GREETING, GREETING_BUTTONS, REPO

expect = playwright_api.expect

FAQ = "hoe wordt kinderalimentatie berekend?"
NOTICE = "Je chat anoniem. Typ geen naam, BSN of adres. Druk 2 keer op Esc of kies ‘Snel weg’ om meteen weg te gaan."
MIN_RATIO = 0.60  # the message list's least share of the panel's height
SIZES = {"desktop": DESKTOP, "phone": PHONE}


def stored_transcript(page) -> list[dict]:
    return page.evaluate("() => JSON.parse(sessionStorage.getItem('scheidingspunt.transcript') || '[]')")


def the_greeting_only(page) -> None:
    """The assistant's greeting is the only message, and nothing the parent did not type is shown."""
    expect(page.locator(".sp-msg")).to_have_count(1)
    expect(page.locator(".sp-msg--user")).to_have_count(0)
    assert GREET not in page.locator(".sp-panel").inner_text()
    assert [entry["who"] for entry in stored_transcript(page)] == ["bot"]


# --- the real assistant ----------------------------------------------------------------------------


def test_a_parent_asks_a_question_and_gets_an_answer(page):
    chat = open_chat(page)
    expect(chat.locator(".sp-notice__text")).to_have_text(NOTICE)
    expect(chat.get_by_role("button", name="Snel weg")).to_be_visible()
    answer = ask(page, FAQ)
    expect(page.locator(".sp-msg--user")).to_have_text(["Jij" + FAQ])
    assert "alimentatie" in answer.locator(".sp-msg__text").inner_text().lower()
    expect(page.locator(".sp-typing")).to_be_hidden()


def test_the_assistant_greets_first_with_the_greeting_of_the_domain(page):
    """Opening a new conversation: the real assistant's utter_greet, with its buttons, without typing.

    Needs a model trained on the current domain.yml (`make test` trains when it changed)."""
    greet = yaml.safe_load((REPO / "domain.yml").read_text(encoding="utf-8"))["responses"]["utter_greet"][0]
    open_chat(page)
    the_greeting_only(page)
    expect(page.locator(".sp-msg--bot .sp-msg__text")).to_have_text(" ".join(greet["text"].split()))
    expect(page.locator(".sp-reply")).to_have_text([button["title"] for button in greet.get("buttons", [])])


def test_a_quick_reply_sends_its_payload_and_shows_its_title(page):
    open_chat(page)
    ask(page, "wat kan ik vragen?")
    replies = page.locator(".sp-reply")
    assert replies.count() >= 2
    title = replies.first.inner_text()
    answers = page.locator(".sp-msg--bot")
    before = answers.count()
    replies.first.click()
    expect(page.locator(".sp-msg--user").last).to_have_text("Jij" + title)
    expect(answers).to_have_count(before + 1, timeout=ANSWER_TIMEOUT)
    # A payload like "/intent{...}" is never shown to the parent.
    assert "/" not in page.locator(".sp-msg--user").last.inner_text()


def test_html_typed_by_a_parent_is_shown_as_text_never_as_html(page):
    open_chat(page)
    attack = "<img src=x onerror=alert(1)>"
    ask(page, attack)
    messages = page.locator(".sp-messages")
    assert messages.locator("img").count() == 0
    playwright_api.expect(page.locator(".sp-msg--user .sp-msg__text")).to_have_text([attack])


def test_an_expert_message_shows_medewerker_and_only_safe_links(page, gateway):
    open_chat(page)
    ask(page, "hallo")
    sid = session_id(page)
    webchat = gateway.app["webchat"]
    gateway.call(webchat.typing(sid))
    playwright_api.expect(page.locator(".sp-typing")).to_be_visible()
    text = "Kijk op https://www.example.nl/info. Niet op javascript:alert(1) <b>vet</b>"
    gateway.call(webchat.deliver(sid, [{"text": text, "from": "expert"}]))
    expert = page.locator(".sp-msg--expert")
    playwright_api.expect(expert).to_have_count(1)
    playwright_api.expect(page.locator(".sp-typing")).to_be_hidden()
    playwright_api.expect(expert.locator(".sp-msg__sender")).to_have_text("Medewerker")
    playwright_api.expect(expert.locator(".sp-msg__text")).to_have_text(text)
    links = expert.locator("a")
    playwright_api.expect(links).to_have_count(1)  # the javascript: text is not a link
    assert links.get_attribute("href") == "https://www.example.nl/info"
    assert links.get_attribute("target") == "_blank"
    assert links.get_attribute("rel") == "noopener noreferrer"
    assert expert.locator("b").count() == 0


def test_a_reload_keeps_the_session_and_the_transcript(page):
    open_chat(page)
    ask(page, FAQ)
    before = page.locator(".sp-msg").all_inner_texts()
    sid = session_id(page)
    assert sid and re.fullmatch(r"[A-Za-z0-9_-]{8,64}", sid)
    page.reload()
    expect(page.get_by_role("dialog")).to_be_visible()  # it was open, so it opens again
    expect(page.locator(".sp-msg")).to_have_count(len(before))
    assert page.locator(".sp-msg").all_inner_texts() == before
    assert session_id(page) == sid


def test_a_reload_right_after_the_greeting_does_not_greet_again(page):
    open_chat(page)
    greeting = page.locator(".sp-msg--bot .sp-msg__text").first.inner_text()
    page.reload()
    expect(page.get_by_role("dialog")).to_be_visible()
    the_greeting_only(page)
    # The answer to a question comes after anything sent before it: a second greeting would be here now.
    ask(page, FAQ)
    expect(page.locator(".sp-msg--bot").filter(has_text=greeting)).to_have_count(1)
    assert page.locator(".sp-msg--bot .sp-msg__text").first.inner_text() == greeting


def test_new_conversation_clears_the_transcript(page):
    open_chat(page)
    ask(page, "hallo")
    page.get_by_role("button", name="Nieuw gesprek").click()
    # The server confirms the erase with a fresh message; the old ones are gone at once.
    expect(page.locator(".sp-msg--user")).to_have_count(0)
    assert [entry for entry in stored_transcript(page) if entry["who"] == "user"] == []
    # The fresh conversation starts like the first one: the confirmation, then the greeting.
    expect(page.locator(".sp-msg--bot")).to_have_count(2, timeout=ANSWER_TIMEOUT)
    expect(page.locator(".sp-msg--bot").first).to_contain_text(re.compile("verwijderd|gewist"))
    expect(page.locator(".sp-msg--user")).to_have_count(0)


def test_snel_weg_leaves_for_the_neutral_page_and_forgets_the_chat(page, gateway):
    open_chat(page)
    ask(page, "hallo")
    assert page.evaluate("() => sessionStorage.length") > 0
    history = page.evaluate("() => history.length")
    page.get_by_role("button", name="Snel weg").click()
    page.wait_for_url(gateway.url + "/widget/neutral.html")
    assert page.evaluate("() => sessionStorage.length") == 0
    assert page.evaluate("() => localStorage.length") == 0
    assert "chat" not in page.content().lower()
    # location.replace: the chat page is not in the history, so "back" cannot return to it.
    assert page.evaluate("() => history.length") == history
    page.go_back()
    assert page.url != gateway.url + "/"


def test_escape_twice_is_the_quick_exit_too(page, gateway):
    open_chat(page)
    page.keyboard.press("Escape")
    page.keyboard.press("Escape")
    page.wait_for_url(gateway.url + "/widget/neutral.html")


def test_the_counter_follows_the_input_up_to_1000(page):
    open_chat(page)
    counter = page.locator(".sp-counter")
    playwright_api.expect(counter).to_have_text("0/1000")
    box = page.get_by_label("Je bericht")
    box.fill("hallo")
    playwright_api.expect(counter).to_have_text("5/1000")
    box.fill("a" * 1000)
    playwright_api.expect(counter).to_have_text("1000/1000")
    box.press("End")
    box.press("b")  # one more than allowed is refused
    playwright_api.expect(counter).to_have_text("1000/1000")
    assert len(box.input_value()) == 1000


def test_keyboard_only_opens_the_chat_and_sends(page):
    launcher = page.get_by_role("button", name="Chat met ons")
    for _ in range(20):  # tab through the page until the launcher has focus
        page.keyboard.press("Tab")
        if launcher.evaluate("element => element === document.activeElement"):
            break
    else:
        pytest.fail("the launcher cannot be reached with Tab")
    page.keyboard.press("Enter")
    box = page.get_by_label("Je bericht")
    expect(box).to_be_focused()
    expect(page.locator(".sp-msg--bot")).to_have_count(1, timeout=ANSWER_TIMEOUT)  # the greeting
    page.keyboard.type("hallo")
    page.keyboard.press("Enter")
    expect(page.locator(".sp-msg--user .sp-msg__text")).to_have_text(["hallo"])
    expect(page.locator(".sp-msg--bot")).to_have_count(2, timeout=ANSWER_TIMEOUT)


def test_a_message_typed_without_connection_is_sent_when_it_comes_back(page):
    # No connection to the gateway at first: socket.io keeps retrying by itself.
    page.route("**/socket.io/**", lambda route: route.abort())
    open_chat(page, greeting=False)
    expect(page.locator(".sp-status")).to_contain_text("Verbinding maken")
    page.get_by_label("Je bericht").fill(FAQ)
    page.get_by_role("button", name="Verstuur").click()
    expect(page.locator(".sp-msg--user")).to_have_count(1)
    expect(page.locator(".sp-typing")).to_be_visible()
    assert page.locator(".sp-msg--bot").count() == 0
    page.unroute("**/socket.io/**")
    # Both wait until the connection is back: first the greeting, then the answer.
    expect(page.locator(".sp-msg--bot")).to_have_count(2, timeout=ANSWER_TIMEOUT)
    expect(page.locator(".sp-status")).to_be_hidden()
    assert "alimentatie" in page.locator(".sp-msg--bot").last.inner_text().lower()
    expect(page.locator(".sp-msg--user")).to_have_count(1)  # the hidden greeting made no bubble


# --- NL Design System look and the municipality's theme ---------------------------------------------------

SEND_BUTTON_STYLE = """button => {
    const style = getComputedStyle(button);
    return {background: style.backgroundColor, color: style.color, font: style.fontFamily,
            userSelect: style.userSelect};
}"""


def widget_look(page) -> dict:
    """What the parent sees of the theme: the send button's colours and font, and the logo text."""
    open_chat(page)
    look = page.get_by_role("button", name="Verstuur").evaluate(SEND_BUTTON_STYLE)
    look["logo"] = page.evaluate("() => getComputedStyle(document.querySelector('.sp-logo'), '::before').content")
    return look


def test_the_widget_uses_the_nl_design_system_css_and_the_municipality_theme(page):
    look = widget_look(page)
    # Twenterand's primary colour #1d5d3b with white text, painted by the utrecht-button component
    # (user-select: none comes from the Utrecht CSS only, not from widget.css).
    assert look == {"background": "rgb(29, 93, 59)", "color": "rgb(255, 255, 255)",
                    "font": 'system-ui, -apple-system, "Segoe UI", Roboto, Arial, sans-serif',
                    "userSelect": "none", "logo": '"Gemeente Twenterand"'}
    sheets = page.evaluate("() => [...document.styleSheets].map((sheet) => sheet.href || '')")
    assert [href.split("/widget/", 1)[-1] for href in sheets if "/widget/" in href] == [
        "vendor/nlds/utrecht-tokens.css", "vendor/nlds/utrecht-components.css", "widget.css",
        "theme/twenterand.css"]
    assert "utrecht-textarea" in page.get_by_label("Je bericht").get_attribute("class")
    # The tokens stay on the widget: the host page's own elements do not get them.
    assert page.evaluate(
        "() => getComputedStyle(document.body).getPropertyValue('--utrecht-button-primary-action-background-color')"
    ) == ""


def test_zwolle_has_its_own_look(page, gateway):
    page.goto(gateway.url + "/?gemeente=zwolle")
    look = widget_look(page)
    assert look == {"background": "rgb(11, 83, 148)", "color": "rgb(255, 255, 255)",
                    "font": "Verdana, Geneva, sans-serif", "userSelect": "none", "logo": '"Gemeente Zwolle"'}
    assert page.locator(".sp-widget").get_attribute("data-gemeente") == "zwolle"
    # The chat itself works the same.
    ask(page, "hallo")
    playwright_api.expect(page.locator(".sp-msg--user .sp-msg__text")).to_have_text(["hallo"])


# --- the greeting, the layout and the privacy notice, against the scripted Rasa -----------------------


def replies_of(page) -> list[str]:
    return [text.strip() for text in page.locator(".sp-reply").all_inner_texts()]


def test_the_greeting_and_its_four_buttons_come_without_typing(browser, scripted):
    greets = len(scripted.rasa.messages(GREET))
    with widget_page(browser, scripted.url + "/", DESKTOP) as page:
        open_chat(page)
        the_greeting_only(page)
        expect(page.locator(".sp-msg--bot .sp-msg__text")).to_have_text(GREETING["text"])
        assert replies_of(page) == list(GREETING_BUTTONS)
        # The widget sent the hidden payload once, as a message of its own (socket.io's user_uttered).
        assert len(scripted.rasa.messages(GREET)) == greets + 1
        # A button of the greeting sends its payload and shows its title, like any quick reply.
        page.get_by_role("button", name="Doe de check").click()
        expect(page.locator(".sp-msg--user .sp-msg__text")).to_have_text(["Doe de check"])
        expect(page.locator(".sp-msg--bot")).to_have_count(2, timeout=ANSWER_TIMEOUT)
        assert scripted.rasa.messages()[-1].message == GREETING_BUTTONS["Doe de check"]


def test_no_second_greeting_after_a_reload_or_when_the_panel_opens_again(browser, scripted):
    greets = len(scripted.rasa.messages(GREET))
    with widget_page(browser, scripted.url + "/", DESKTOP) as page:
        open_chat(page)
        page.reload()
        expect(page.get_by_role("dialog")).to_be_visible()
        the_greeting_only(page)
        ask(page, FAQ)  # answered after anything the page sent before it
        page.get_by_role("button", name="Chat sluiten").click()
        open_chat(page)
        ask(page, FAQ)
        assert len(scripted.rasa.messages(GREET)) == greets + 1
        expect(page.locator(".sp-msg--bot")).to_have_count(3)
        expect(page.locator(".sp-msg--bot").filter(has_text=GREETING["text"])).to_have_count(1)


@pytest.mark.parametrize("size", SIZES)
def test_the_messages_keep_most_of_the_panel(browser, scripted, size):
    """The message list gets >= 60 % of the panel's height: with the greeting's buttons and the full
    privacy notice, and after an 80-word answer with four quick replies."""
    with widget_page(browser, scripted.url + "/", SIZES[size]) as page:
        open_chat(page)
        expect(page.locator(".sp-reply")).to_have_count(len(GREETING_BUTTONS))
        greeting = layout(page)
        assert greeting["ratio"] >= MIN_RATIO, greeting

        ask(page, FAQ)
        expect(page.locator(".sp-reply")).to_have_count(4)
        answered = layout(page)
        print(f"\n{size}: message list / panel = {greeting['ratio']:.3f} with the greeting, "
              f"{answered['ratio']:.3f} after the answer ({answered['panel']['height']:.0f} px panel)")
        assert answered["ratio"] >= MIN_RATIO, answered
        # The quick replies are one row that scrolls sideways, not a block of rows.
        tops = {round(box["y"]) for box in (reply.bounding_box() for reply in page.locator(".sp-reply").all())}
        assert len(tops) == 1, tops
        assert answered["replies"]["height"] < 2 * page.locator(".sp-reply").first.bounding_box()["height"]
        # The row shows there is more (its edge fades), and Tab brings the last choice fully into view.
        row = page.locator(".sp-replies")
        expect(row).to_have_class(re.compile(r"\bsp-replies--more-after\b"))
        last = page.locator(".sp-reply").last
        last.focus()
        expect(row).not_to_have_class(re.compile(r"\bsp-replies--more-after\b"))
        box, row_box = last.bounding_box(), row.bounding_box()
        assert row_box["x"] <= box["x"] and box["x"] + box["width"] <= row_box["x"] + row_box["width"]
        # The long answer is shown from its start: the question above it is in view, not scrolled away.
        question = page.locator(".sp-msg--user").last.bounding_box()
        assert question["y"] >= answered["messages"]["top"] - 1


def test_on_a_phone_the_panel_fills_the_screen_and_the_launcher_steps_aside(browser, scripted):
    with widget_page(browser, scripted.url + "/", PHONE) as page:
        launcher = page.get_by_role("button", name="Chat met ons")
        open_chat(page)
        boxes = layout(page)
        assert boxes["viewport"] == {"width": 390, "height": 844}
        panel = boxes["panel"]
        assert (panel["left"], panel["top"], panel["width"], panel["height"]) == (0, 0, 390, 844), panel
        expect(launcher).to_be_hidden()
        page.get_by_role("button", name="Chat sluiten").click()
        expect(page.get_by_role("dialog")).to_be_hidden()
        expect(launcher).to_be_visible()
        expect(launcher).to_be_focused()


def test_on_a_desktop_the_panel_stays_beside_the_page(browser, scripted):
    with widget_page(browser, scripted.url + "/", DESKTOP) as page:
        open_chat(page)
        panel = layout(page)["panel"]
        assert panel["width"] <= 27 * 16 and panel["left"] > 1280 / 2, panel
        assert panel["height"] <= 800 - 2 * 16, panel


NOTICE_STATE = """element => {
    const text = element.querySelector('.sp-notice__text');
    const style = getComputedStyle(text);
    return {lines: Math.round(text.getBoundingClientRect().height / parseFloat(style.lineHeight)),
            cut: text.scrollWidth > text.clientWidth};
}"""


def test_the_privacy_notice_folds_to_one_line_after_the_first_message(browser, scripted):
    with widget_page(browser, scripted.url + "/", PHONE) as page:
        open_chat(page)
        notice = page.locator(".sp-notice")
        toggle = notice.get_by_role("button")
        # Before the parent's first message: all of it, and nothing to unfold.
        expect(notice.locator(".sp-notice__text")).to_have_text(NOTICE)
        state = notice.evaluate(NOTICE_STATE)
        assert state["lines"] > 1 and not state["cut"], state
        expect(toggle).to_be_hidden()

        ask(page, FAQ)
        assert notice.evaluate(NOTICE_STATE) == {"lines": 1, "cut": True}
        expect(toggle).to_have_text("Lees meer")
        expect(toggle).to_have_attribute("aria-expanded", "false")

        toggle.click()  # one tap away
        expect(toggle).to_have_attribute("aria-expanded", "true")
        state = notice.evaluate(NOTICE_STATE)
        assert state["lines"] > 1 and not state["cut"], state
        toggle.press("Enter")  # and back, with the keyboard
        expect(toggle).to_have_attribute("aria-expanded", "false")
        assert notice.evaluate(NOTICE_STATE) == {"lines": 1, "cut": True}

        page.reload()  # folded it stays
        expect(page.get_by_role("dialog")).to_be_visible()
        assert page.locator(".sp-notice").evaluate(NOTICE_STATE) == {"lines": 1, "cut": True}


# --- screenshots for the README, with the real assistant ------------------------------------------------


@pytest.mark.parametrize("size", SIZES)
def test_screenshot_of_the_widget_with_an_answer(browser, gateway, size):
    """docs/screenshots/widget-desktop.png and widget-phone.png; the layout holds with real answers too."""
    with widget_page(browser, gateway.url + "/", SIZES[size]) as page:
        open_chat(page)
        ask(page, "wat kan ik vragen?")  # the topics, as quick replies
        expect(page.locator(".sp-typing")).to_be_hidden(timeout=ANSWER_TIMEOUT)
        expect(page.locator(".sp-reply").first).to_be_visible()
        boxes = layout(page)
        assert boxes["ratio"] >= MIN_RATIO, boxes
        page.mouse.move(0, 0)  # no hover colour left on the button under the last click
        screenshot(page, f"widget-{size}")
