"""The forms end to end over REST with the trained model: screening, schemes check, hand-over,
callback booking, feedback and deletion — and what ends up in the databases."""

from __future__ import annotations

import re
import sqlite3
import uuid
from pathlib import Path

import pytest
import yaml

from tests import content_rules

REPO = Path(__file__).resolve().parents[2]
FLOW_PHRASES = yaml.safe_load((REPO / "tests" / "data" / "fresh_flow_phrases.yml").read_text(encoding="utf-8"))
SCREENING = yaml.safe_load((REPO / "data" / "screening.yml").read_text(encoding="utf-8"))
TRAINING_EXAMPLES = content_rules.training_examples()


def sender() -> str:
    return f"flow-{uuid.uuid4().hex[:12]}"


def joined(messages: list[dict]) -> str:
    return "\n".join(m.get("text") or "" for m in messages)


def store_rows(assistant, sql: str, *args) -> list[tuple]:
    with sqlite3.connect(assistant.processes.workdir / "store.db") as connection:
        return connection.execute(sql, args).fetchall()


def test_flow_phrases_are_not_training_data():
    for intent, phrases in FLOW_PHRASES.items():
        assert len(phrases) >= 5, intent
        for phrase in phrases:
            assert phrase.lower() not in TRAINING_EXAMPLES, phrase


@pytest.mark.parametrize("intent", sorted(FLOW_PHRASES))
def test_unseen_phrasings_reach_their_flow(assistant, intent):
    """At least 4 of 5 unseen phrasings per flow intent are recognised."""
    phrases = FLOW_PHRASES[intent]
    found = [assistant.client.parse(p)["intent"]["name"] for p in phrases]
    hits = sum(name == intent for name in found)
    assert hits >= 0.8 * len(phrases), list(zip(phrases, found, strict=True))


# --- screening ----------------------------------------------------------------------------------

def _questions() -> list[str]:
    return [q["text"] for q in SCREENING["questions"]]


def test_screening_all_no_ends_in_information_and_is_recorded(assistant):
    me = sender()
    first = assistant.ask(me, "kan ik een korte test doen")
    assert "anoniem" in first[0]["text"]
    assert first[-1]["text"] == _questions()[0] and first[-1]["buttons"]
    for _ in _questions():
        reply = assistant.ask(me, "nee")
    text = joined(reply)
    assert text.startswith("Op basis van je antwoorden") and "Had je hier iets aan?" in text
    assert store_rows(assistant, "SELECT level FROM screening_outcomes WHERE conversation_id = ?", me) == [
        ("informatie",)]


def test_screening_answers_typed_variants_and_buttons(assistant):
    me = sender()
    assistant.ask(me, "doe de scan maar")
    assert joined(assistant.ask(me, "jazeker")) == _questions()[1]
    assert joined(assistant.ask(me, "/deny")) == _questions()[2]
    assert _questions()[3] in joined(assistant.ask(me, "klopt"))
    unclear = assistant.ask(me, "misschien morgen")
    assert "ja of nee" in joined(unclear) and _questions()[3] in joined(unclear)


def test_screening_faq_question_is_answered_and_the_screening_goes_on(assistant):
    me = sender()
    assistant.ask(me, "risicocheck")
    assistant.ask(me, "ja")
    reply = joined(assistant.ask(me, "tot welke leeftijd moet je kinderalimentatie betalen?"))
    assert "21" in reply and "verder" in reply and reply.endswith(_questions()[1])


def test_screening_stop_ends_it_cleanly(assistant):
    me = sender()
    assistant.ask(me, "doe de scan maar")
    assistant.ask(me, "ja")
    reply = joined(assistant.ask(me, "laat maar"))
    assert "stop" in reply
    assert not re.search("|".join(map(re.escape, _questions())), joined(assistant.ask(me, "hoi")))


def test_screening_safety_yes_gives_veilig_thuis_at_once(assistant):
    me = sender()
    assistant.ask(me, "doe de scan maar")
    for _ in _questions()[:-1]:
        assistant.ask(me, "nee")
    reply = joined(assistant.ask(me, "ja"))
    assert "0800-2000" in reply and "112" in reply
    assert store_rows(assistant, "SELECT level FROM screening_outcomes WHERE conversation_id = ?", me) == [
        ("urgent",)]


def test_violence_inside_the_screening_gets_the_helplines(assistant):
    me = sender()
    assistant.ask(me, "doe de scan maar")
    reply = joined(assistant.ask(me, "hij heeft me vannacht geslagen"))
    assert "0800-2000" in reply and _questions()[0] in reply


# --- schemes check ------------------------------------------------------------------------------

def test_schemes_check_for_a_single_parent_in_zwolle(assistant):
    me = sender()
    assert "gemeente" in joined(assistant.ask(me, "welke regelingen passen bij mij?"))
    assert "Woon je alleen" in joined(assistant.ask(me, "Zwolle"))
    assert "kinderen" in joined(assistant.ask(me, "ja"))
    # Each answer is said back as understood, then the next question.
    reply = joined(assistant.ask(me, "2 kinderen van 4 en 7"))
    assert reply.index("2 kinderen van 4 en 7 jaar") < reply.index("netto")
    assert "Ik kan er geen bedrag" in joined(assistant.ask(me, "veel te weinig"))
    reply = joined(assistant.ask(me, "€1400,-"))
    assert reply.index("€ 1.400 netto per maand") < reply.index("Hoe woon je")
    reply = joined(assistant.ask(me, "huur"))
    assert reply.index("je woont in een huurhuis") < reply.index("spaargeld")
    result = joined(assistant.ask(me, "nee"))
    for expected in ("Op basis van je antwoorden", "Kinderbijslag", "Huurtoeslag", "Kindregeling", "indicatie"):
        assert expected in result, expected
    assert store_rows(assistant, "SELECT municipality FROM schemes_outcomes WHERE conversation_id = ?", me) == [
        ("zwolle",)]


def test_schemes_check_remembers_the_municipality(assistant):
    me = sender()
    assistant.ask(me, "ik woon in Dordrecht")
    reply = joined(assistant.ask(me, "ik kom niet rond, waar heb ik recht op?"))
    assert "In welke gemeente" not in reply and "Woon je alleen" in reply


# --- hand-over ----------------------------------------------------------------------------------

def test_asking_for_a_person_out_of_hours_offers_a_callback(assistant):
    me = sender()
    assert "gemeente" in joined(assistant.ask(me, "ik wil met een mens praten"))
    reply = assistant.ask(me, "Dordrecht")
    assert "niemand beschikbaar" in joined(reply)
    assert any(b["payload"] == "/request_callback" for m in reply for b in m.get("buttons", []))
    assert not any("custom" in m for m in reply)


def test_on_a_municipality_site_the_hand_over_says_what_happens_and_asks_no_municipality(assistant):
    me, site = sender(), {"gemeente": "dordrecht"}
    reply = assistant.ask(me, "ik wil met een mens praten", site)
    texts = [m.get("text") or "" for m in reply]
    assert texts[0] == "Ik breng je in contact met een scheidingsdeskundige van de gemeente."
    assert "Je zit op de website van Dordrecht" in texts[1]
    assert {"title": "Ik woon in een andere gemeente", "payload": "/change_gemeente"} in reply[1]["buttons"]
    assert "In welke gemeente" not in joined(reply) and "niemand beschikbaar" in joined(reply)
    # One tap to another municipality: asked, with why, then confirmed and handed over to that team.
    again = joined(assistant.ask(me, "/change_gemeente", site))
    assert "In welke gemeente woon je? Elke gemeente heeft een eigen team" in again
    chosen = joined(assistant.ask(me, "Zwolle", site))
    assert "Dank je, je woont in Zwolle." in chosen and "Zwolle" in chosen.split("Dank je")[1]


def test_without_a_site_the_hand_over_asks_the_municipality_and_says_why(assistant):
    reply = joined(assistant.ask(sender(), "/request_human"))
    assert reply.startswith("Ik breng je in contact met een scheidingsdeskundige van de gemeente.")
    assert "In welke gemeente woon je? Elke gemeente heeft een eigen team" in reply


# --- callback -----------------------------------------------------------------------------------

def test_callback_booking_keeps_the_number_out_of_the_tracker(assistant):
    me = sender()
    start = joined(assistant.ask(me, "bel me terug"))
    assert start.startswith("Ik regel dat een scheidingsdeskundige van de gemeente je terugbelt.")
    assert "telefoonnummer" in start
    assert "06-12345678" in joined(assistant.ask(me, "abc"))
    number = joined(assistant.ask(me, "06 1234 5678"))
    assert number.startswith("Dank je, we bellen je op 06-****5678.")
    assert "In welke gemeente woon je? Dan belt iemand van jouw gemeente je terug." in number
    moment = assistant.ask(me, "Twenterand")
    assert joined(moment).startswith("Dank je, je woont in Twenterand.")
    assert "Wanneer" in joined(moment) and len(moment[-1]["buttons"]) >= 1
    confirmation = joined(assistant.ask(me, "zo snel mogelijk"))
    reference = re.search(r"referentie is ([A-Z0-9]{3}-\d{2})", confirmation).group(1)
    assert "We bellen je op" in confirmation and "06-****5678" in confirmation
    stored = " ".join(assistant.stored_events(me))
    assert "12345678" not in stored and "1234 5678" not in stored
    rows = store_rows(assistant, "SELECT phone_encrypted, phone_masked FROM callbacks WHERE reference = ?", reference)
    assert rows and "12345678" not in rows[0][0] and rows[0][1] == "06-****5678"
    cancelled = joined(assistant.ask(me, f"ik wil mijn terugbelafspraak {reference} annuleren"))
    assert "geannuleerd" in cancelled


def test_on_a_municipality_site_the_callback_does_not_ask_the_municipality(assistant):
    me, site = sender(), {"gemeente": "zwolle"}
    start = joined(assistant.ask(me, "/request_callback", site))
    assert "Je zit op de website van Zwolle" in start and "telefoonnummer" in start
    number = joined(assistant.ask(me, "0612345678", site))
    assert number.startswith("Dank je, we bellen je op 06-****5678.") and "Wanneer mogen we je bellen?" in number
    assert "In welke gemeente" not in number
    confirmation = joined(assistant.ask(me, "zo snel mogelijk", site))
    reference = re.search(r"referentie is ([A-Z0-9]{3}-\d{2})", confirmation).group(1)
    assert store_rows(assistant, "SELECT municipality FROM callbacks WHERE reference = ?", reference) == [("zwolle",)]


def test_callback_gives_up_politely_after_three_bad_numbers(assistant):
    me = sender()
    assistant.ask(me, "ik wil gebeld worden")
    assistant.ask(me, "123")
    assistant.ask(me, "0900-1234567")
    reply = joined(assistant.ask(me, "12345"))
    assert "zelf bellen" in reply


def test_callback_stop_books_nothing(assistant):
    me = sender()
    assistant.ask(me, "bel me terug")
    assistant.ask(me, "0612345678")
    assert "niets geboekt" in joined(assistant.ask(me, "laat maar"))
    assert store_rows(assistant, "SELECT count(*) FROM callback_drafts WHERE conversation_id = ?", me) == [(0,)]


# --- feedback and deletion ----------------------------------------------------------------------

def test_feedback_after_thanks_is_stored_redacted(assistant):
    me = sender()
    assert "Had je hier iets aan?" in joined(assistant.ask(me, "bedankt"))
    assert "Wat kan er beter" in joined(assistant.ask(me, "/feedback_negative"))
    assert "Dank je wel voor je reactie" in joined(assistant.ask(me, "bel me maar op 0612345678"))
    rows = store_rows(assistant, "SELECT helpful, comment FROM feedback WHERE conversation_id = ?", me)
    assert rows and rows[0][0] == 0 and "0612345678" not in rows[0][1]


def test_deleting_the_conversation_erases_the_own_tables_too(assistant):
    me = sender()
    assistant.ask(me, "doe de scan maar")
    for _ in _questions():
        assistant.ask(me, "nee")
    assistant.ask(me, "verwijder mijn gesprek")
    assert "verwijderd" in joined(assistant.ask(me, "/affirm"))
    assert store_rows(assistant, "SELECT count(*) FROM screening_outcomes WHERE conversation_id = ?", me) == [(0,)]
