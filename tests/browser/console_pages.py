"""What the console's browser tests share: an assistant whose Twenterand team is always open for chat,
browser contexts that fail on dialogs, and helpers that act as an expert (or a parent) does.

Console pages are found by roles, labels and visible Dutch texts only: their CSS classes may change.
"""

from __future__ import annotations

import re
import shutil
from dataclasses import dataclass, field
from datetime import datetime
from pathlib import Path
from zoneinfo import ZoneInfo

import yaml

from bot.console import accounts
from bot.domain import municipalities
from bot.domain.opening_hours import is_holiday
from bot.domain.timewindows import WEEKDAYS
from bot.launcher import RasaProcesses
from bot.store.db import session_scope
from tests.browser.pages import ANSWER_TIMEOUT, Gateway, playwright_api
from tests.browser.test_accessibility import axe_violations, describe

expect = playwright_api.expect

REPO = Path(__file__).resolve().parents[2]
SCREENSHOTS = REPO / "docs" / "screenshots"
PASSWORD = "een-lang-test-wachtwoord"
ALWAYS_OPEN = ["00:00-23:59"]  # the format allows no 24:00; the last minute of a day stays closed
EXPERT, COORDINATOR, COORDINATOR_ALL = "expert-twenterand", "coordinator-twenterand", "coordinator-alle"
# Things a parent types (or a log could hold) that must not end up in any log of the assistant.
PERSONAL = ("12345678", "1234 5678", "0612345678")


# --- the assistant and the store -------------------------------------------------------------------


def always_open_copy(target: Path) -> Path:
    """A copy of data/municipalities in which Twenterand's live chat is open every day, all day.

    Only the chat hours change (callback hours stay), and the copy passes the same validation as the
    real files, so the action server starts on it.
    """
    shutil.copytree(REPO / "data" / "municipalities", target)
    path = target / "twenterand.yml"
    data = yaml.safe_load(path.read_text(encoding="utf-8"))
    data["team"]["live_chat_hours"] = {day: list(ALWAYS_OPEN) for day in WEEKDAYS}
    path.write_text(yaml.safe_dump(data, allow_unicode=True, sort_keys=False), encoding="utf-8")
    team = municipalities.load_all(target)["twenterand"].team
    assert sorted(team.live_chat_hours) == list(range(7)), "the copy does not open the chat every day"
    return target


def live_chat_possible_today() -> bool:
    """action_handoff keeps the chat closed on Dutch public holidays, whatever the hours say."""
    return not is_holiday(datetime.now(ZoneInfo("Europe/Amsterdam")).date())


def add_accounts() -> None:
    """An expert and a coordinator of Twenterand, and a coordinator of all municipalities."""
    with session_scope() as session:
        accounts.create_account(session, EXPERT, PASSWORD, role="expert", municipality="twenterand",
                                expert_role="scheidingsdeskundige")
        accounts.create_account(session, COORDINATOR, PASSWORD, role="coordinator", municipality="twenterand")
        accounts.create_account(session, COORDINATOR_ALL, PASSWORD, role="coordinator",
                                municipality=accounts.ALL_MUNICIPALITIES)


def team_available() -> bool:
    """What action_handoff reads: is any Twenterand scheidingsdeskundige available?"""
    with session_scope() as session:
        return accounts.team_available(session, "twenterand", "scheidingsdeskundige")


def logs_without_personal_data(processes: RasaProcesses) -> None:
    actions_log = processes.log("actions").read_text()
    assert "Traceback" not in actions_log, actions_log[-3000:]
    for name in ("actions", "rasa", "startup"):
        log = processes.log(name).read_text()
        for personal in PERSONAL:
            assert personal not in log, f"{personal!r} in the {name} log"


@dataclass
class Console:
    """The running assistant and gateway of the console tests."""

    gateway: Gateway
    processes: RasaProcesses

    @property
    def url(self) -> str:
        return self.gateway.url


@dataclass
class Story:
    """What the tests of the module did, for the figures test to find on the Cijfers page."""

    parents: int = 0
    handoffs_taken: int = 0
    callbacks_done: int = 0
    questions: dict[str, int] = field(default_factory=dict)  # topic label -> questions answered

    def asked(self, topic_label: str) -> None:
        self.questions[topic_label] = self.questions.get(topic_label, 0) + 1


class Axe:
    """axe-core's findings on each page a test visits, asserted at the end of the test.

    The flow goes on after a page with violations, so one run shows every page's problems (and whether
    the flow itself works) instead of stopping at the first page.
    """

    def __init__(self) -> None:
        self.pages: dict[str, str] = {}

    def check(self, page, name: str) -> None:
        violations = axe_violations(page)
        if violations:
            self.pages[name] = describe(violations)

    def assert_clean(self) -> None:
        report = "\n".join(f"--- {name}:\n{found}" for name, found in self.pages.items())
        assert not self.pages, "axe-core found violations on console pages:\n" + report


# --- browser contexts ------------------------------------------------------------------------------


def screenshot(page, name: str) -> Path:
    SCREENSHOTS.mkdir(parents=True, exist_ok=True)
    path = SCREENSHOTS / f"{name}.png"
    page.screenshot(path=str(path), full_page=True)
    return path


# --- as an expert ----------------------------------------------------------------------------------


def log_in(page, base_url: str, username: str, password: str = PASSWORD) -> None:
    page.goto(base_url + "/console/login")
    page.get_by_label("Gebruikersnaam").fill(username)
    page.get_by_label("Wachtwoord").fill(password)
    page.get_by_role("button", name="Inloggen").click()
    expect(page.get_by_role("button", name="Uitloggen")).to_be_visible()


def go_to(page, link: str) -> None:
    """Follow a link of the console's main menu."""
    page.get_by_role("navigation", name="Hoofdmenu").get_by_role("link", name=link, exact=True).click()
    expect(page.get_by_role("heading", level=1)).to_have_text(link)


def set_available(page) -> None:
    page.get_by_role("button", name="Zet mij op beschikbaar").click()
    expect(page.get_by_role("button", name="Zet mij op afwezig")).to_be_visible()


def figure_tables(page) -> dict[str, dict[str, int]]:
    """Every table of the figures page: caption (the chart's title) -> {row label: count}."""
    return page.evaluate("""() => Object.fromEntries([...document.querySelectorAll('table')].map((table) => [
        table.caption.textContent.trim(),
        Object.fromEntries([...table.tBodies[0].rows].map((row) => [
            row.cells[0].textContent.trim(), Number(row.cells[1].textContent.trim())])),
    ]))""")


# --- as a parent (the widget) ----------------------------------------------------------------------


def bot_messages(page, containing: str | re.Pattern):
    return page.locator(".sp-msg--bot").filter(has_text=containing)


def say(page, text: str, *, then: str | re.Pattern | None = None) -> None:
    """Send a message; with `then`, wait for one more assistant message that contains it."""
    waiting_for = bot_messages(page, then) if then is not None else None
    before = waiting_for.count() if waiting_for is not None else 0
    page.get_by_label("Je bericht").fill(text)
    page.get_by_role("button", name="Verstuur").click()
    expect(page.locator(".sp-msg--user .sp-msg__text").last).to_have_text(text)
    if waiting_for is not None:
        expect(waiting_for).to_have_count(before + 1, timeout=ANSWER_TIMEOUT)


def ask_for_a_person(page, municipality: str) -> None:
    """The widget's "Praat met een mens" button. On a municipality's site the bot takes that
    municipality and queues at once; where it asks, answer the question."""
    queued, question = bot_messages(page, "wachtrij"), bot_messages(page, "In welke gemeente woon je?")
    before = queued.count() + question.count()
    page.locator(".sp-actions").get_by_role("button", name="Praat met een mens").click()
    expect(bot_messages(page, re.compile("wachtrij|In welke gemeente woon je?"))).to_have_count(
        before + 1, timeout=ANSWER_TIMEOUT)
    if "wachtrij" not in bot_messages(page, re.compile("wachtrij|In welke gemeente woon je?")).last.inner_text():
        say(page, municipality, then="wachtrij")
