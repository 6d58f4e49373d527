"""The coordinator's figures page and CSV: counts of what the test inserted, and nothing else."""

from __future__ import annotations

import re
from datetime import date, datetime, time, timezone

import pytest

from bot.store import figures
from bot.store.db import session_scope
from bot.store.models import (
    Callback,
    Event,
    Feedback,
    HandoffRequest,
    LiveMessage,
    SchemesOutcome,
    ScreeningOutcome,
)
from tests.console.harness import PASSWORD, add_account, console_app, logged_in, serve

NOON = datetime(2030, 3, 6, 11, 0, tzinfo=timezone.utc)  # Wednesday 6 March 2030, 12:00 in Amsterdam
DAY = "van=2030-03-06&tot=2030-03-06"
SECRET_TEXT = "mijn ex heet Jan Geheim"
CONVERSATION = "gesprek-7f3a9c"


@pytest.fixture
def store(sqlite_store):
    return sqlite_store


def insert(*rows) -> None:
    with session_scope() as session:
        session.add_all(rows)


def event(kind: str, municipality: str | None, topic: str | None = None, when: datetime = NOON) -> Event:
    return Event(kind=kind, municipality=municipality, topic=topic, created_at=when)


@pytest.fixture
def data(store):
    """Twenterand: 2 conversations, 3 questions; Zwolle: 1 conversation and 7 questions about housing."""
    insert(
        event("conversation_started", "twenterand"), event("conversation_started", "twenterand"),
        event("conversation_started", "zwolle"), event("conversation_started", None),
        event("question", "twenterand", "scheiding"), event("question", "twenterand", "scheiding"),
        event("question", "twenterand", "veiligheid"),
        *[event("question", "zwolle", "wonen") for _ in range(7)],
        event("question", "twenterand", "wonen", datetime(2030, 3, 7, 11, tzinfo=timezone.utc)),  # next day
        HandoffRequest(conversation_id=CONVERSATION, municipality="twenterand", status="closed", created_at=NOON,
                       taken_by="anne", taken_at=NOON, reason=SECRET_TEXT),
        HandoffRequest(conversation_id=CONVERSATION, municipality="zwolle", status="expired", created_at=NOON),
        Callback(reference="K7Q-42", conversation_id=CONVERSATION, municipality="twenterand",
                 slot_date=date(2030, 3, 7), window_start=time(9), window_end=time(12),
                 phone_masked="06-****5678", status="no_answer", created_at=NOON),
        ScreeningOutcome(conversation_id=CONVERSATION, municipality="twenterand", level="advies",
                         domains=["geld"], created_at=NOON),
        SchemesOutcome(conversation_id=CONVERSATION, municipality="twenterand", schemes=["kwijtschelding"],
                       created_at=NOON),
        Feedback(conversation_id=CONVERSATION, municipality="twenterand", context="einde", helpful=True,
                 comment=SECRET_TEXT, created_at=NOON),
        Feedback(conversation_id=CONVERSATION, municipality="zwolle", context="einde", helpful=False, created_at=NOON),
        Feedback(conversation_id=CONVERSATION, context="einde", helpful=False, created_at=NOON),
        LiveMessage(conversation_id=CONVERSATION, author="user", text=SECRET_TEXT, created_at=NOON),
    )
    add_account("coordinator_alle", role="coordinator", municipality="*")
    add_account("coordinator_twenterand", role="coordinator", municipality="twenterand", expert_role=None)
    add_account("expert_twenterand")


def get_all(store, username: str, *paths: str) -> list[tuple[int, dict, str]]:
    """(status, headers, body) of each path, for one login (argon2 makes logins slow on purpose)."""
    app, _, _ = console_app(store)

    async def scenario(client):
        await logged_in(client, username, PASSWORD)
        found = []
        for path in paths:
            response = await client.get(path, allow_redirects=False)
            found.append((response.status, response.headers, await response.text()))
        return found

    return serve(app, scenario)


def get(store, username: str, path: str) -> tuple[int, dict, str]:
    return get_all(store, username, path)[0]


def tables(html: str) -> dict[str, dict[str, int]]:
    """{section id: {row label: count}} from the data tables of the page."""
    found = {}
    for section in re.findall(r'<section class="console-figure".*?</section>', html, re.S):
        key = re.search(r'id="fig-([a-z]+)-kop"', section).group(1)
        rows = re.findall(r'<th class="utrecht-table__cell" scope="row">(.*?)</th>\s*<td[^>]*>(\d+)</td>', section)
        found[key] = {label: int(n) for label, n in rows}
    return found


def test_a_coordinator_of_all_sees_every_count(data, store):
    status, _, html = get(store, "coordinator_alle", f"/console/cijfers?{DAY}")
    assert status == 200
    shown = tables(html)
    assert shown["dag"] == {"6 mrt": 4}
    assert shown["gemeente"] == {"Gemeente onbekend": 1, "Twenterand": 2, "Zwolle": 1}
    assert shown["onderwerp"]["Hoe werkt scheiden?"] == 2 and shown["onderwerp"]["Wonen"] == 7
    assert shown["onderwerp"]["Veiligheid: geweld of zelfdoding"] == 1
    assert shown["overdracht"]["Vroeg om een medewerker"] == 2
    assert shown["overdracht"]["Niemand nam het op tijd over"] == 1
    assert shown["terugbellen"] == {"Afspraak gemaakt": 1, "Gebeld": 0, "Geen gehoor": 1, "Geannuleerd": 0,
                                    "Nog niet gebeld": 0}
    assert shown["niveau"]["Advies"] == 1 and shown["domein"] == {"Geld": 1}
    assert list(shown["regeling"].values()) == [1]
    assert shown["tevredenheid"] == {"Had er iets aan (duim omhoog)": 1, "Had er niets aan (duim omlaag)": 2}
    assert "33% had iets aan het gesprek (1 van de 3)." in html
    # Each chart is an SVG image with a name and a description, and no script library is loaded.
    assert html.count('role="img"') == len(shown)
    assert '<title id="fig-onderwerp-titel">Vragen per onderwerp</title>' in html
    assert '<desc id="fig-onderwerp-uitleg">Totaal: 10. Meeste: Wonen (7).</desc>' in html
    assert re.findall(r"<script[^>]*>", html) == ['<script src="/console-static/console.js">']


def test_a_coordinator_of_one_municipality_sees_only_its_numbers(data, store):
    status, _, html = get(store, "coordinator_twenterand", f"/console/cijfers?{DAY}")
    assert status == 200
    shown = tables(html)
    assert shown["dag"] == {"6 mrt": 2}
    assert shown["onderwerp"]["Wonen"] == 0 and shown["onderwerp"]["Hoe werkt scheiden?"] == 2
    assert shown["overdracht"]["Vroeg om een medewerker"] == 1
    assert shown["overdracht"]["Niemand nam het op tijd over"] == 0
    assert shown["regeling"] == {"Kwijtschelding gemeentelijke belastingen": 1}  # the name in twenterand.yml
    assert "gemeente" not in shown
    # Only Twenterand's thumbs: not Zwolle's, not those without a municipality.
    assert shown["tevredenheid"] == {"Had er iets aan (duim omhoog)": 1, "Had er niets aan (duim omlaag)": 0}
    assert "100% had iets aan het gesprek (1 van de 1)." in html
    assert "Zwolle" not in html and "Gemeente onbekend" not in html and "Alle gemeenten" not in html
    zwolle, unknown, zwolle_csv, (_, _, own) = get_all(
        store, "coordinator_twenterand", f"/console/cijfers?gemeente=zwolle&{DAY}",
        f"/console/cijfers?gemeente=onbekend&{DAY}", f"/console/cijfers.csv?gemeente=zwolle&{DAY}",
        f"/console/cijfers?gemeente=alle&{DAY}")
    assert (zwolle[0], unknown[0], zwolle_csv[0]) == (403, 403, 403)
    assert "Wonen" not in zwolle[2] and "aantal" not in zwolle_csv[2]
    # "alle" for a one-municipality account is its own municipality.
    assert tables(own)["dag"] == {"6 mrt": 2}


def test_the_municipality_filter_of_a_coordinator_of_all(data, store):
    unknown, zwolle, atlantis = get_all(store, "coordinator_alle", f"/console/cijfers?gemeente=onbekend&{DAY}",
                                        f"/console/cijfers?gemeente=zwolle&{DAY}",
                                        f"/console/cijfers?gemeente=atlantis&{DAY}")
    shown = tables(unknown[2])
    assert shown["dag"] == {"6 mrt": 1}
    assert shown["tevredenheid"] == {"Had er iets aan (duim omhoog)": 0, "Had er niets aan (duim omlaag)": 1}
    shown = tables(zwolle[2])
    assert shown["dag"] == {"6 mrt": 1} and shown["onderwerp"]["Wonen"] == 7
    assert "gemeente" not in shown
    assert shown["tevredenheid"] == {"Had er iets aan (duim omhoog)": 0, "Had er niets aan (duim omlaag)": 1}
    assert atlantis[0] == 400 and "Deze gemeente ken ik niet." in atlantis[2]


def test_an_expert_may_not_see_the_figures(data, store):
    for status, headers, html in get_all(store, "expert_twenterand", f"/console/cijfers?{DAY}",
                                         f"/console/cijfers.csv?{DAY}"):
        assert status == 403 and "Geen toegang" in html and "text/html" in headers["Content-Type"]


def test_anonymous_visitors_go_to_the_login_page(data, store):
    app, _, _ = console_app(store)

    async def scenario(client):
        response = await client.get("/console/cijfers.csv", allow_redirects=False)
        return response.status, response.headers.get("Location")

    assert serve(app, scenario) == (303, "/console/login")


def test_csv_is_exact(data, store):
    status, headers, body = get(store, "coordinator_twenterand", f"/console/cijfers.csv?{DAY}")
    assert status == 200
    assert headers["Content-Type"] == "text/csv; charset=utf-8"
    assert headers["Content-Disposition"] == 'attachment; filename="cijfers-twenterand-2030-03-06-2030-03-06.csv"'
    whole = "2030-03-06/2030-03-06"
    topics = {topic: 0 for topic in figures.known_topics()} | {"scheiding": 2, "veiligheid": 1}
    expected = [
        "indicator;sleutel;periode;aantal",
        "gesprekken_per_dag;gesprekken;2030-03-06;2",
        "gesprekken_per_week;gesprekken;2030-W10;2",
        f"gesprekken_per_gemeente;twenterand;{whole};2",
        *[f"vragen_per_onderwerp;{topic};{whole};{n}" for topic, n in topics.items()],
        f"overdrachten;aangevraagd;{whole};1", f"overdrachten;overgenomen;{whole};1",
        f"overdrachten;afgesloten;{whole};1", f"overdrachten;verlopen;{whole};0",
        f"overdrachten;geannuleerd;{whole};0", f"overdrachten;wacht_nog;{whole};0",
        f"overdrachten;niemand_vrij;{whole};0",
        f"terugbelverzoeken;geboekt;{whole};1", f"terugbelverzoeken;gebeld;{whole};0",
        f"terugbelverzoeken;geen_gehoor;{whole};1", f"terugbelverzoeken;geannuleerd;{whole};0",
        f"terugbelverzoeken;open;{whole};0",
        f"screening_niveau;informatie;{whole};0", f"screening_niveau;advies;{whole};1",
        f"screening_niveau;deskundige;{whole};0", f"screening_niveau;urgent;{whole};0",
        f"screening_domein;geld;{whole};1",
        f"regelingencheck;gedaan;{whole};1", f"regelingencheck;geen_regeling;{whole};0",
        f"regelingen;kwijtschelding;{whole};1",
        f"feedback;duim_omhoog;{whole};1", f"feedback;duim_omlaag;{whole};0",
    ]
    assert body == "\r\n".join(expected) + "\r\n"


def test_no_text_and_no_conversation_id_anywhere(data, store):
    paths = (f"/console/cijfers?{DAY}", f"/console/cijfers.csv?{DAY}", "/console/cijfers")
    for username in ("coordinator_alle", "coordinator_twenterand"):
        for path, (status, _, body) in zip(paths, get_all(store, username, *paths), strict=True):
            assert status == 200
            for secret in (SECRET_TEXT, "Geheim", CONVERSATION, "K7Q-42", "5678", "anne"):
                assert secret not in body, (username, path, secret)


@pytest.mark.parametrize("query, message", [
    ("van=2030-03-07&tot=2030-03-06", "De begindatum ligt na de einddatum."),
    ("van=6-3-2030&tot=2030-03-06", "Vul een datum in zoals 2030-03-04."),
    ("van=2029-01-01&tot=2030-03-06", "Kies een periode van hoogstens 366 dagen."),
])
def test_a_wrong_period_is_explained(data, store, query, message):
    (status, _, html), (csv_status, _, csv_html) = get_all(
        store, "coordinator_alle", f"/console/cijfers?{query}", f"/console/cijfers.csv?{query}")
    assert status == 400 and message in html and 'aria-invalid="true"' in html
    assert 'role="img"' not in html
    assert csv_status == 400 and message in csv_html


def test_the_period_boundaries_are_local_days(store):
    # 23:00 UTC on 5 March is midnight in Amsterdam: the 6th. 22:59:59 UTC is still the 5th.
    insert(event("conversation_started", "twenterand", when=datetime(2030, 3, 5, 23, 0, tzinfo=timezone.utc)),
           event("conversation_started", "twenterand", when=datetime(2030, 3, 5, 22, 59, 59, tzinfo=timezone.utc)),
           event("conversation_started", "twenterand", when=datetime(2030, 3, 6, 22, 59, 59, tzinfo=timezone.utc)),
           event("conversation_started", "twenterand", when=datetime(2030, 3, 6, 23, 0, tzinfo=timezone.utc)))
    add_account("coordinator_twenterand", role="coordinator", municipality="twenterand", expert_role=None)
    _, _, body = get(store, "coordinator_twenterand", f"/console/cijfers.csv?{DAY}")
    assert body.splitlines()[1] == "gesprekken_per_dag;gesprekken;2030-03-06;2"
