"""The monitoring figures' queries, on SQLite and on a real PostgreSQL, with rows inserted here."""

from __future__ import annotations

from datetime import date, datetime, time, timedelta, timezone

import pytest

from bot.domain.names import UNKNOWN_MUNICIPALITY as UNKNOWN
from bot.store import figures, records
from bot.store.db import session_scope
from bot.store.figures import Period, Row
from bot.store.models import (
    Callback,
    Event,
    Feedback,
    HandoffRequest,
    SchemesOutcome,
    ScreeningOutcome,
)
from tests.support.store import DATABASES, database_for

# Monday 4 to Sunday 10 March 2030 (ISO week 10); Amsterdam is UTC+1 then, so local midnight of
# the 4th is 23:00 UTC on the 3rd, and the period ends at 23:00 UTC on the 10th.
WEEK = Period(date(2030, 3, 4), date(2030, 3, 10))
FIRST_INSIDE = datetime(2030, 3, 3, 23, 0, tzinfo=timezone.utc)
LAST_INSIDE = datetime(2030, 3, 10, 22, 59, 59, tzinfo=timezone.utc)
JUST_BEFORE = FIRST_INSIDE - timedelta(seconds=1)
JUST_AFTER = LAST_INSIDE + timedelta(seconds=1)
NOON = datetime(2030, 3, 6, 11, 0, tzinfo=timezone.utc)  # Wednesday 6 March, 12:00 local


@pytest.fixture(params=DATABASES)
def url(request, tmp_path):
    yield from database_for(request, tmp_path)


def add(url: str, *rows) -> None:
    with session_scope(url) as session:
        session.add_all(rows)


def started(when: datetime, municipality: str | None = "twenterand") -> Event:
    return Event(kind=figures.CONVERSATION_STARTED, municipality=municipality, created_at=when)


def question(topic: str, when: datetime = NOON, municipality: str | None = "twenterand") -> Event:
    return Event(kind=figures.QUESTION, topic=topic, municipality=municipality, created_at=when)


def handoff(status: str, municipality: str = "twenterand", when: datetime = NOON,
            taken: bool = False) -> HandoffRequest:
    return HandoffRequest(conversation_id="c", municipality=municipality, status=status, created_at=when,
                          taken_by="expert1" if taken else None, taken_at=when if taken else None)


def callback(status: str, reference: str, municipality: str = "twenterand", when: datetime = NOON) -> Callback:
    return Callback(reference=reference, conversation_id="c", municipality=municipality,
                    slot_date=date(2030, 3, 7), window_start=time(9), window_end=time(12),
                    phone_masked="06-****5678", status=status, created_at=when)


def query(url: str, function, period: Period = WEEK, scope=None):
    with session_scope(url) as session:
        return function(session, period, scope)


# --- pure helpers -------------------------------------------------------------------------------


@pytest.mark.parametrize("intent, answer, expected", [
    ("faq", "faq/scheiding_advocaat", "scheiding"),
    ("faq", "faq/kinderalimentatie_hoogte_berekenen", "kinderalimentatie"),
    ("safety_violence", "faq/scheiding_advocaat", "veiligheid"),  # the guard overrode the FAQ
    ("safety_suicide", None, "veiligheid"),
    ("faq", None, None),
    ("greet", None, None),
    ("nlu_fallback", "faq/wonen_koophuis", None),  # an unsure FAQ answer was not given
    ("faq", "faq/Wonen_x", None),
])
def test_topic_of(intent, answer, expected):
    assert figures.topic_of(intent, answer) == expected


def test_known_topics_are_the_faq_files_and_safety(repo):
    topics = figures.known_topics()
    assert topics[0] == "ouderschapsplan" and topics[-1] == "veiligheid"  # the order of data/topics.yml
    assert sorted(topics[:-1]) == sorted(p.stem[len("faq_"):] for p in (repo / "data" / "nlu").glob("faq_*.yml"))
    assert len(topics) == 13


def test_period():
    assert WEEK.days == 7 and WEEK.label() == "2030-03-04/2030-03-10"
    assert WEEK.bounds() == (FIRST_INSIDE, JUST_AFTER)
    # Summer time: local midnight is 22:00 UTC.
    assert Period(date(2030, 6, 1), date(2030, 6, 1)).bounds()[0] == datetime(2030, 5, 31, 22, tzinfo=timezone.utc)
    last = Period.last_weeks(date(2030, 3, 28))
    assert (last.start, last.end, last.days) == (date(2030, 3, 1), date(2030, 3, 28), 28)
    with pytest.raises(ValueError):
        Period(date(2030, 3, 5), date(2030, 3, 4))
    assert Period(date(2030, 1, 1), date(2030, 12, 31)).days == 365
    with pytest.raises(ValueError):
        Period(date(2030, 1, 1), date(2031, 1, 2))


def test_csv_is_semicolon_separated_with_a_header():
    rows = [Row("feedback", "duim_omhoog", "2030-03-04/2030-03-10", 3), Row("a;b", "k", "p", 0)]
    assert figures.to_csv(rows) == ('indicator;sleutel;periode;aantal\r\n'
                                    'feedback;duim_omhoog;2030-03-04/2030-03-10;3\r\n'
                                    '"a;b";k;p;0\r\n')


# --- queries ------------------------------------------------------------------------------------


def test_conversations_per_day_and_week_keep_to_the_period(url):
    add(url, started(JUST_BEFORE), started(FIRST_INSIDE), started(NOON), started(NOON, None),
        started(LAST_INSIDE), started(JUST_AFTER), started(NOON, "zwolle"),
        Event(kind="screening_done", municipality="twenterand", created_at=NOON))
    per_day = query(url, figures.conversations_per_day)
    assert list(per_day) == WEEK.dates()
    assert per_day[date(2030, 3, 4)] == 1 and per_day[date(2030, 3, 6)] == 3
    assert per_day[date(2030, 3, 10)] == 1 and sum(per_day.values()) == 5
    assert query(url, figures.conversations_per_week) == {"2030-W10": 5}
    # The period's edges cut the weeks: Sunday the 10th and Monday the 11th are different weeks.
    edges = Period(date(2030, 3, 10), date(2030, 3, 11))
    assert query(url, figures.conversations_per_week, edges) == {"2030-W10": 1, "2030-W11": 1}
    assert query(url, figures.conversations_per_day, Period(date(2030, 3, 3), date(2030, 3, 3))) == {
        date(2030, 3, 3): 1}


def test_municipality_filter_and_unknown(url):
    add(url, started(NOON), started(NOON), started(NOON, "zwolle"), started(NOON, None),
        started(NOON, UNKNOWN))
    total = lambda scope: sum(query(url, figures.conversations_per_day, scope=scope).values())  # noqa: E731
    assert total(None) == 5
    assert total(["twenterand"]) == 2
    assert total(["zwolle", "twenterand"]) == 3
    assert total([UNKNOWN]) == 2
    assert total(["twenterand", UNKNOWN]) == 4
    assert total([]) == 0
    assert query(url, figures.conversations_per_municipality) == {UNKNOWN: 2, "twenterand": 2, "zwolle": 1}
    assert query(url, figures.conversations_per_municipality, scope=["zwolle"]) == {"zwolle": 1}


def test_questions_per_topic(url):
    add(url, question("scheiding"), question("scheiding"), question("veiligheid"), question("wonen", JUST_AFTER),
        question("omgang", municipality="zwolle"), question("nieuw"), started(NOON))
    topics = query(url, figures.questions_per_topic, scope=["twenterand"])
    assert list(topics)[:-1] == list(figures.known_topics())  # every topic, in order, then the new one
    assert topics["scheiding"] == 2 and topics["veiligheid"] == 1 and topics["nieuw"] == 1
    assert topics["wonen"] == 0 and topics["omgang"] == 0
    assert sum(topics.values()) == 4


def test_handoffs_and_callbacks_and_how_they_ended(url):
    add(url, handoff("waiting"), handoff("taken", taken=True), handoff("closed", taken=True),
        handoff("closed", taken=True), handoff("expired"), handoff("cancelled"),
        handoff("closed", "zwolle", taken=True), handoff("waiting", when=JUST_BEFORE),
        Event(kind=figures.HANDOFF_UNAVAILABLE, municipality="twenterand", created_at=NOON),
        callback("pending", "AAA-11"), callback("done", "AAA-12"), callback("done", "AAA-13"),
        callback("no_answer", "AAA-14"), callback("cancelled", "AAA-15"),
        callback("done", "AAA-16", "zwolle"), callback("done", "AAA-17", when=JUST_AFTER))
    assert query(url, figures.handoffs, scope=["twenterand"]) == {
        "aangevraagd": 6, "overgenomen": 3, "afgesloten": 2, "verlopen": 1, "geannuleerd": 1, "wacht_nog": 1,
        "niemand_vrij": 1}
    assert query(url, figures.handoffs)["aangevraagd"] == 7
    assert query(url, figures.callbacks, scope=["twenterand"]) == {
        "geboekt": 5, "gebeld": 2, "geen_gehoor": 1, "geannuleerd": 1, "open": 1}
    assert query(url, figures.callbacks, scope=["zwolle"]) == {
        "geboekt": 1, "gebeld": 1, "geen_gehoor": 0, "geannuleerd": 0, "open": 0}


def test_screening_schemes_and_feedback(url):
    add(url,
        ScreeningOutcome(conversation_id="c", municipality="twenterand", level="advies",
                         domains=["geld", "wonen"], created_at=NOON),
        ScreeningOutcome(conversation_id="c", municipality="twenterand", level="urgent",
                         domains=["geld"], created_at=NOON),
        ScreeningOutcome(conversation_id="c", municipality="zwolle", level="urgent", domains=["kinderen"],
                         created_at=NOON),
        SchemesOutcome(conversation_id="c", municipality="twenterand",
                       schemes=["meedoenregeling", "kwijtschelding"], created_at=NOON),
        SchemesOutcome(conversation_id="c", municipality="twenterand", schemes=["kwijtschelding"],
                       created_at=NOON),
        SchemesOutcome(conversation_id="c", municipality="twenterand", schemes=[], created_at=NOON),
        SchemesOutcome(conversation_id="c", municipality="twenterand", schemes=["x"], created_at=JUST_AFTER),
        Feedback(conversation_id="c", municipality="twenterand", context="einde", helpful=True, created_at=NOON),
        Feedback(conversation_id="c", municipality="twenterand", context="einde", helpful=False,
                 created_at=NOON),
        Feedback(conversation_id="c", municipality="zwolle", context="einde", helpful=True, created_at=NOON),
        Feedback(conversation_id="c", context="einde", helpful=True, created_at=NOON),  # from before 0003
        Feedback(conversation_id="c", municipality="twenterand", context="einde", helpful=False,
                 created_at=JUST_BEFORE))
    assert query(url, figures.screening_levels, scope=["twenterand"]) == {
        "informatie": 0, "advies": 1, "deskundige": 0, "urgent": 1}
    assert query(url, figures.screening_domains, scope=["twenterand"]) == {"geld": 2, "wonen": 1}
    assert query(url, figures.screening_domains) == {"geld": 2, "kinderen": 1, "wonen": 1}
    assert query(url, figures.schemes) == {"kwijtschelding": 2, "meedoenregeling": 1}
    assert query(url, figures.schemes_checks) == {"gedaan": 3, "geen_regeling": 1}
    score = query(url, figures.feedback)
    assert (score.positive, score.negative, score.total) == (3, 1, 4)
    assert score.share_positive == pytest.approx(3 / 4)
    # Per municipality; feedback without one counts as unknown.
    twenterand = query(url, figures.feedback, scope=["twenterand"])
    assert (twenterand.positive, twenterand.negative) == (1, 1)
    assert (query(url, figures.feedback, scope=["zwolle"]).positive,
            query(url, figures.feedback, scope=["zwolle"]).negative) == (1, 0)
    unknown = query(url, figures.feedback, scope=[UNKNOWN])
    assert (unknown.positive, unknown.negative) == (1, 0)
    assert query(url, figures.feedback, scope=["zwolle", UNKNOWN]).total == 2
    assert query(url, figures.feedback, scope=["dordrecht"]).share_positive is None
    assert query(url, figures.feedback, Period(date(2030, 4, 1), date(2030, 4, 2))).share_positive is None


def test_recorded_feedback_keeps_its_municipality(url):
    with session_scope(url) as session:
        kept = [records.record_feedback(session, conversation_id="c", context="einde", helpful=True,
                                        municipality="zwolle"),
                records.record_feedback(session, conversation_id="c", context="einde", helpful=False)]
        for feedback in kept:
            feedback.created_at = NOON  # into the test's week, whatever the date today
    assert query(url, figures.feedback, scope=["zwolle"]).positive == 1
    assert query(url, figures.feedback, scope=["twenterand"]).total == 0
    assert query(url, figures.feedback, scope=[UNKNOWN]).negative == 1


def test_collect_gives_every_indicator_as_rows(url):
    add(url, started(NOON), started(NOON, "zwolle"), question("scheiding"),
        Feedback(conversation_id="c", municipality="zwolle", context="einde", helpful=True, created_at=NOON))
    period = Period(date(2030, 3, 6), date(2030, 3, 6))
    with session_scope(url) as session:
        rows = figures.collect(session, period, ["twenterand"]).rows()
    whole = "2030-03-06/2030-03-06"
    assert rows[:3] == [Row("gesprekken_per_dag", "gesprekken", "2030-03-06", 1),
                        Row("gesprekken_per_week", "gesprekken", "2030-W10", 1),
                        Row("gesprekken_per_gemeente", "twenterand", whole, 1)]
    assert Row("vragen_per_onderwerp", "scheiding", whole, 1) in rows
    assert Row("overdrachten", "aangevraagd", whole, 0) in rows
    assert Row("terugbelverzoeken", "geboekt", whole, 0) in rows
    assert Row("screening_niveau", "urgent", whole, 0) in rows
    assert Row("regelingencheck", "gedaan", whole, 0) in rows
    assert not any(row.key == "zwolle" for row in rows)
    assert {row.indicator for row in rows} == {
        "gesprekken_per_dag", "gesprekken_per_week", "gesprekken_per_gemeente", "vragen_per_onderwerp",
        "overdrachten", "terugbelverzoeken", "screening_niveau", "regelingencheck", "feedback"}
    # Zwolle's thumb is not Twenterand's.
    assert rows[-2:] == [Row("feedback", "duim_omhoog", whole, 0), Row("feedback", "duim_omlaag", whole, 0)]
    with session_scope(url) as session:
        everything = figures.collect(session, period).rows()
    assert everything[-2:] == [Row("feedback", "duim_omhoog", whole, 1), Row("feedback", "duim_omlaag", whole, 0)]
    assert Row("gesprekken_per_gemeente", "zwolle", whole, 1) in everything
