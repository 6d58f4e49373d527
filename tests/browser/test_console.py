"""The expert console in Chromium, end to end with the real assistant: a parent in the widget, an expert
(and a coordinator) in the console, each in their own browser context.

The module starts its own assistant on a copy of the municipality data in which Twenterand's live chat
is always open, and its own gateway on that assistant's fresh store: the session-wide assistant keeps
the real hours, and the figures can be compared with exact numbers. The tests run in file order; the
figures test counts what the tests before it did.
"""

from __future__ import annotations

import re
from collections.abc import Iterator

import pytest
from cryptography.fernet import Fernet

from bot.gateway.app import Settings
from bot.launcher import RasaProcesses, free_port
from tests.browser.console_pages import (
    COORDINATOR,
    COORDINATOR_ALL,
    EXPERT,
    Axe,
    Console,
    Story,
    add_accounts,
    always_open_copy,
    ask_for_a_person,
    expect,
    figure_tables,
    go_to,
    live_chat_possible_today,
    log_in,
    logs_without_personal_data,
    say,
    screenshot,
    set_available,
    team_available,
)
from tests.browser.pages import ANSWER_TIMEOUT, Gateway, ask, browser_page, open_chat
from tests.support.assistant import TOKEN

FAQ = "hoe wordt kinderalimentatie berekend?"
FAQ_TOPIC = "Kinderalimentatie"
XSS = "<img src=x onerror=alert(1)>"
HANDED_BACK = "De medewerker heeft het gesprek teruggegeven"
PHONE, PHONE_MASKED, PHONE_SHOWN = "06 12345678", "06-****5678", "06 12345678"


@pytest.fixture(scope="module")
def console(trained_model, tmp_path_factory) -> Iterator[Console]:
    if not live_chat_possible_today():
        pytest.skip("a Dutch public holiday: action_handoff keeps the live chat closed today")
    workdir = tmp_path_factory.mktemp("console-assistant")
    data = always_open_copy(tmp_path_factory.mktemp("console-data") / "municipalities")
    key = Fernet.generate_key().decode()  # the gateway decrypts what the action server encrypted
    processes = RasaProcesses(trained_model, workdir, api_token=TOKEN,
                              extra_env={"SCHEIDINGSPUNT_MUNICIPALITIES_DIR": str(data),
                                         "SCHEIDINGSPUNT_FERNET_KEY": key})
    with pytest.MonkeyPatch.context() as patch, processes:
        patch.setenv("DATABASE_URL", processes.database_url)  # migrated by the action server's start-up
        patch.setenv("SCHEIDINGSPUNT_FERNET_KEY", key)
        add_accounts()
        gateway = Gateway(Settings(port=free_port(), rasa_url=processes.url, rasa_token=TOKEN, secret="t",
                                   handoff_timeout=600))
        gateway.start()
        try:
            yield Console(gateway, processes)
        finally:
            gateway.stop()
    logs_without_personal_data(processes)


@pytest.fixture(scope="module")
def story() -> Story:
    return Story()


def test_login_wrong_role_and_logout(browser, console):
    axe = Axe()
    with browser_page(browser, console.url + "/console/wachtrij", bypass_csp=True) as page:
        # Not logged in: the queue sends you to the login page.
        expect(page.get_by_role("heading", level=1)).to_have_text("Inloggen voor medewerkers")
        assert page.url == console.url + "/console/login"
        axe.check(page, "login")

        page.get_by_label("Gebruikersnaam").fill(EXPERT)
        page.get_by_label("Wachtwoord").fill("niet-het-goede-wachtwoord")
        page.get_by_role("button", name="Inloggen").click()
        expect(page.get_by_role("alert")).to_have_text("Gebruikersnaam of wachtwoord klopt niet.")
        expect(page.get_by_label("Wachtwoord")).to_have_attribute("aria-invalid", "true")
        axe.check(page, "login error")

        log_in(page, console.url, EXPERT)
        expect(page.get_by_role("heading", level=1)).to_have_text("Wachtrij")
        expect(page.get_by_text("Er wacht nu niemand.")).to_be_visible()
        menu = page.get_by_role("navigation", name="Hoofdmenu")
        expect(menu.get_by_role("link")).to_have_text(["Wachtrij", "Terugbelverzoeken"])  # no Cijfers
        axe.check(page, "queue (empty)")

        # The figures are for coordinators only.
        page.goto(console.url + "/console/cijfers")
        expect(page.get_by_role("heading", level=1)).to_have_text("Geen toegang")
        axe.check(page, "403")

        page.goto(console.url + "/console/wachtrij")
        set_available(page)
        assert team_available()
        page.get_by_role("button", name="Uitloggen").click()
        expect(page.get_by_role("status")).to_have_text("Je bent uitgelogd.")
        # Nobody waits for an expert who logged out.
        assert not team_available()
        page.go_back()  # to the queue page the expert just left: it is not shown from a cache
        expect(page.get_by_role("heading", level=1)).to_have_text("Inloggen voor medewerkers")
        page.goto(console.url + "/console/wachtrij")
        expect(page.get_by_role("heading", level=1)).to_have_text("Inloggen voor medewerkers")
        page.goto(console.url + "/console/api/wachtrij")
        expect(page.get_by_role("heading", level=1)).to_have_text("Inloggen voor medewerkers")
    axe.assert_clean()


def test_a_parent_talks_with_an_expert_and_goes_back_to_the_bot(browser, console, story):
    axe = Axe()
    with browser_page(browser, console.url + "/console/login", bypass_csp=True) as expert, \
            browser_page(browser, console.url + "/") as parent:
        log_in(expert, console.url, EXPERT)
        set_available(expert)
        expect(expert.get_by_text("Er wacht nu niemand.")).to_be_visible()
        expert.evaluate("() => { window.sameQueuePage = true; }")  # gone if the page reloads

        open_chat(parent)
        ask(parent, FAQ)
        story.parents += 1
        answer = parent.locator(".sp-msg--bot .sp-msg__text").last.inner_text()
        assert "alimentatie" in answer.lower()
        story.asked(FAQ_TOPIC)
        screenshot(parent, "widget-answer")

        ask_for_a_person(parent, "Twenterand")
        expect(parent.locator(".sp-msg--bot").last).to_contain_text("Je staat in de wachtrij: je bent nummer 1.")

        # The request shows up in the open queue page by itself.
        take = expert.get_by_role("button", name="Gesprek overnemen")
        expect(take).to_have_count(1, timeout=ANSWER_TIMEOUT)
        assert expert.evaluate("() => window.sameQueuePage === true"), "the queue page was reloaded"
        expect(expert.get_by_text("1 ouder wacht op een medewerker.")).to_be_visible()
        card = expert.get_by_role("listitem").filter(has=take)
        expect(card).to_contain_text("Twenterand")
        expect(card).to_contain_text("Webchat")
        axe.check(expert, "queue with a waiting parent")
        screenshot(expert, "console-queue")

        take.click()
        expect(expert).to_have_url(re.compile(r"/console/gesprek/[^/]+$"))
        messages = expert.get_by_role("log", name="Berichten in dit gesprek")
        expect(messages).to_contain_text(FAQ)  # the transcript so far
        joined = parent.locator(".sp-msg--expert")
        expect(joined).to_have_count(1)
        expect(joined).to_contain_text("Er is nu een medewerker bij je in de chat.")

        hello = "Hallo, ik ben Sanne van het Scheidingspunt. Waar kan ik je mee helpen?"
        expert.get_by_label("Je bericht aan de ouder").fill(hello)
        expert.get_by_role("button", name="Versturen").click()
        expect(messages).to_contain_text(hello)  # back through the live stream: it is connected
        expect(expert.get_by_label("Je bericht aan de ouder")).to_have_value("")
        from_person = parent.locator(".sp-msg--expert").last
        expect(from_person.locator(".sp-msg__text")).to_have_text(hello)
        expect(from_person.locator(".sp-msg__sender")).to_have_text("Medewerker")

        question = "Mag mijn ex de kinderen zomaar meenemen naar het buitenland?"
        say(parent, question)
        expect(messages.get_by_text(question, exact=True)).to_be_visible()
        axe.check(expert, "chat")
        screenshot(expert, "console-chat")

        # Whatever the parent types is text in the console, never HTML.
        say(parent, XSS)
        expect(messages.get_by_text(XSS, exact=True)).to_be_visible()
        assert messages.locator("img").count() == 0
        assert expert.evaluate("() => document.querySelectorAll('img[src=\"x\"]').length") == 0

        expert.get_by_role("button", name="Teruggeven aan de bot").click()
        expect(expert).to_have_url(re.compile(r"/console/wachtrij\?klaar=teruggegeven$"))
        expect(expert.get_by_role("status").filter(has_text="teruggegeven")).to_have_text(
            "Je hebt het gesprek teruggegeven aan de digitale assistent.")
        expect(expert.get_by_text("Je hebt nu geen gesprek open.")).to_be_visible()
        story.handoffs_taken += 1

        expect(parent.locator(".sp-msg--bot").filter(has_text=HANDED_BACK)).to_have_count(
            1, timeout=ANSWER_TIMEOUT)
        # The bot takes over again: one answer to the next question.
        answers = parent.locator(".sp-msg--bot .sp-msg__text")
        before = answers.count()
        say(parent, FAQ)
        expect(answers).not_to_have_count(before, timeout=ANSWER_TIMEOUT)
        expect(answers.last).to_contain_text("alimentatie")
        expect(answers).to_have_count(before + 1)
        story.asked(FAQ_TOPIC)
        # The bot answered, not the expert: nothing new reached the console.
        assert parent.locator(".sp-msg--expert").count() == 2
    axe.assert_clean()


def test_a_callback_booked_in_the_widget_is_called_back(browser, console, story):
    axe = Axe()
    with browser_page(browser, console.url + "/") as parent:
        open_chat(parent)
        say(parent, "bel me terug", then="telefoonnummer")
        story.parents += 1
        # On Twenterand's site the municipality is taken, not asked: the moment comes next.
        assert parent.locator(".sp-msg--bot").filter(has_text="Je zit op de website van Twenterand").count() == 1
        say(parent, PHONE, then="Wanneer")
        say(parent, "zo snel mogelijk", then="referentie is")
        confirmation = parent.locator(".sp-msg--bot").filter(has_text="referentie is").inner_text()
        reference = re.search(r"referentie is ([A-Z0-9]{3}-\d{2})", confirmation).group(1)
        assert PHONE_MASKED in confirmation

    with browser_page(browser, console.url + "/console/login", bypass_csp=True) as expert:
        log_in(expert, console.url, EXPERT)
        go_to(expert, "Terugbelverzoeken")
        row = expert.get_by_role("row").filter(has_text=reference)
        expect(row).to_have_count(1)
        expect(row).to_contain_text(PHONE_MASKED)
        expect(row).to_contain_text("Twenterand")
        expect(row).to_contain_text("Nog bellen")
        assert "12345678" not in expert.content()  # only "Toon nummer" sends the whole number

        row.get_by_role("button", name=f"Toon nummer van {reference}").click()
        number = row.get_by_role("link", name=PHONE_SHOWN)
        expect(number).to_have_attribute("href", "tel:+31612345678")
        expect(row).to_contain_text("Dit bekijken wordt vastgelegd.")
        axe.check(expert, "callbacks with a revealed number")
        screenshot(expert, "console-callbacks")

        row.get_by_role("button", name=f"Gedaan: {reference}").click()
        row = expert.get_by_role("row").filter(has_text=reference)
        expect(row.get_by_role("cell", name="Gedaan", exact=True)).to_be_visible()
        expect(row.get_by_role("button", name=f"Gedaan: {reference}")).to_have_count(0)
        expect(row).to_contain_text(PHONE_MASKED)  # after the reload the number is masked again
        story.callbacks_done += 1
    axe.assert_clean()


def figures_of(browser, console: Console, username: str, axe: Axe | None = None,
               screenshot_name: str | None = None) -> dict[str, dict[str, int]]:
    """The tables of the Cijfers page as `username` sees it (the default period: the last 4 weeks)."""
    with browser_page(browser, console.url + "/console/login", bypass_csp=True) as coordinator:
        log_in(coordinator, console.url, username)
        go_to(coordinator, "Cijfers")
        tables = figure_tables(coordinator)
        if axe is not None:
            axe.check(coordinator, f"figures of {username}")
        if screenshot_name:
            screenshot(coordinator, screenshot_name)
        return tables


def test_the_figures_count_what_the_parents_did(browser, console, story):
    axe = Axe()
    assert story.parents == 2 and story.handoffs_taken == 1 and story.callbacks_done == 1, (
        "this test counts what the tests before it did: run the whole module")
    twenterand = figures_of(browser, console, COORDINATOR, axe)
    assert twenterand["Doorverwijzing naar een medewerker in de chat"] == {
        "Vroeg om een medewerker": 1, "Overgenomen door een medewerker": 1, "Gesprek afgesloten": 1,
        "Niemand nam het op tijd over": 0, "Ouder stopte met wachten": 0, "Wacht nog": 0,
        "Niemand vrij, terugbellen aangeboden": 0}
    assert twenterand["Terugbelverzoeken"] == {"Afspraak gemaakt": 1, "Gebeld": 1, "Geen gehoor": 0,
                                               "Geannuleerd": 0, "Nog niet gebeld": 0}
    # The question asked on Twenterand's site.
    assert twenterand["Vragen per onderwerp"][FAQ_TOPIC] >= 1
    assert "Gesprekken per gemeente" not in twenterand  # one municipality: no such chart

    everywhere = figures_of(browser, console, COORDINATOR_ALL, axe, "console-figures")
    assert sum(everywhere["Gesprekken per dag"].values()) == story.parents
    assert sum(everywhere["Gesprekken per gemeente"].values()) == story.parents
    assert {label: n for label, n in everywhere["Vragen per onderwerp"].items() if n} == story.questions
    assert everywhere["Doorverwijzing naar een medewerker in de chat"]["Overgenomen door een medewerker"] == 1
    assert everywhere["Terugbelverzoeken"]["Gebeld"] == story.callbacks_done
    axe.assert_clean()


def test_a_coordinator_of_twenterand_sees_the_conversations_of_twenterand(browser, console, story):
    assert story.parents == 2, "this test counts what the tests before it did: run the whole module"
    twenterand = figures_of(browser, console, COORDINATOR)
    # The widget on Twenterand's site passes its municipality, so both conversations count there.
    assert sum(twenterand["Gesprekken per dag"].values()) == story.parents
