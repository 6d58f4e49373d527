"""'Ik woon in X, waar kan ik terecht?': the municipality's own data, or an honest national answer."""

from __future__ import annotations

from actions.municipality_info import ActionMunicipalityInfo, contact_line, scheme_names
from actions.worry import ActionShareWorry
from bot.domain import municipalities
from tests.support.action_runner import run, user
from tests.support.responses import rendered


def gemeente(value: str) -> list[dict]:
    return [{"entity": "gemeente", "value": value}]


def test_our_municipality_gets_its_team_hours_and_schemes_and_is_remembered():
    zwolle = municipalities.find("Zwolle")
    messages, events = run(ActionMunicipalityInfo(), [
        user("ask_municipality", "ik woon in Zwolle, waar kan ik terecht?", gemeente("Zwolle"))])
    assert messages[0]["response"] == "utter_municipality_local"
    assert messages[0]["team"] == zwolle.team.name and messages[0]["website"] == zwolle.website
    assert all(s.name in messages[0]["schemes"] for s in zwolle.schemes)
    assert "maandag" in messages[0]["hours"]
    assert {"title": "Praat met een mens", "payload": "/request_human"} in rendered(messages[0])["buttons"]
    assert events == [{"event": "slot", "timestamp": None, "name": "gemeente", "value": "Zwolle"}]


def test_a_village_counts_for_its_municipality():
    messages, events = run(ActionMunicipalityInfo(), [user("ask_municipality", "hulp in Vriezenveen?")])
    assert messages[0]["gemeente"] == "Twenterand" and events[0]["value"] == "Twenterand"


def test_a_municipality_without_a_file_gets_the_national_answer_said_honestly():
    messages, events = run(ActionMunicipalityInfo(), [
        user("ask_municipality", "wie helpt mij in Maastricht", gemeente("Maastricht"))])
    assert messages[0]["response"] == "utter_municipality_national" and messages[0]["gemeente"] == "Maastricht"
    assert events[0]["value"] == "Maastricht"


def test_without_a_name_it_uses_the_known_municipality_or_asks():
    messages, _ = run(ActionMunicipalityInfo(), [user("ask_municipality", "waar kan ik terecht")],
                      slots={"gemeente": "Dordrecht"})
    assert messages[0]["gemeente"] == "Dordrecht"
    messages, events = run(ActionMunicipalityInfo(), [user("ask_municipality", "waar kan ik terecht")])
    assert messages[0]["response"] == "utter_municipality_which" and events == []


def test_an_unchecked_phone_number_is_not_given_as_fact():
    for municipality in municipalities.load_all().values():
        line = contact_line(municipality)
        if not municipalities.is_verified(municipality, "team.phone"):
            assert municipality.website in line and (municipality.team.phone or "@@") not in line
        assert scheme_names(municipality)


def test_a_worry_that_is_also_a_question_gets_the_helplines_and_the_answer():
    event = user("share_worry", "ik ben bang, hoeveel kinderalimentatie krijg ik")
    event["parse_data"]["faq_answer_too"] = "faq/kinderalimentatie_berekening"
    messages, _ = run(ActionShareWorry(), [event])
    assert [m["response"] for m in messages] == ["utter_worry_with_answer",
                                                 "utter_faq/kinderalimentatie_berekening"]
    messages, _ = run(ActionShareWorry(), [user("share_worry", "ik ben zo verdrietig")])
    assert [m["response"] for m in messages] == ["utter_share_worry"]
