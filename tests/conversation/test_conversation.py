"""The trained assistant, talked to over the REST channel like the gateway will."""

from __future__ import annotations

import uuid
from pathlib import Path

import pytest
import yaml

from tests import content_rules

REPO = Path(__file__).resolve().parents[2]
DATA = REPO / "tests" / "data"
FRESH = yaml.safe_load((DATA / "fresh_questions.yml").read_text(encoding="utf-8"))
SAFETY = yaml.safe_load((DATA / "safety_phrases.yml").read_text(encoding="utf-8"))
DOMAIN = yaml.safe_load((REPO / "domain.yml").read_text(encoding="utf-8"))


def response_text(name: str) -> str:
    return " ".join(DOMAIN["responses"][name][0]["text"].split())


def answers_by_topic() -> dict[str, set[str]]:
    topics: dict[str, set[str]] = {}
    for path in sorted((REPO / "data" / "nlu").glob("faq_*.yml")):
        _, responses = content_rules.load_faq_file(path)
        topics[path.stem.removeprefix("faq_")] = {t for texts in responses.values() for t in texts}
    return topics


ANSWERS = answers_by_topic()
TRAINING_EXAMPLES = content_rules.training_examples()
VIOLENCE = response_text("utter_safety_violence")
SUICIDE = response_text("utter_safety_suicide")
WORRY_WITH_ANSWER = response_text("utter_worry_with_answer")


def sender() -> str:
    return f"test-{uuid.uuid4().hex[:12]}"


def test_fresh_questions_are_not_training_data():
    assert set(FRESH) == set(ANSWERS)
    for topic, questions in FRESH.items():
        assert len(questions) >= 4, topic
        for question in questions:
            assert question.lower() not in TRAINING_EXAMPLES, question


@pytest.mark.parametrize("topic", sorted(FRESH))
def test_fresh_questions_get_answers_of_their_topic(assistant, topic):
    """At least 3 unseen questions per topic are answered from that topic."""
    answered, missed = 0, []
    for question in FRESH[topic]:
        replies = assistant.texts(sender(), question)
        if replies and replies[0] == WORRY_WITH_ANSWER:
            replies = replies[1:]  # heard as a possible worry: the helplines first, then the answer
        if replies and replies[0] in ANSWERS[topic]:
            answered += 1
        else:
            missed.append((question, replies[:1]))
    assert answered >= 3, missed


@pytest.mark.parametrize("text", SAFETY["signals"]["violence"], ids=lambda v: v[:40])
def test_violence_gets_veilig_thuis_and_112(assistant, text):
    reply = " ".join(assistant.texts(sender(), text))
    assert VIOLENCE in reply and "0800-2000" in reply and "112" in reply


@pytest.mark.parametrize("text", SAFETY["signals"]["suicide"], ids=lambda v: v[:40])
def test_suicidal_statement_gets_113_and_112(assistant, text):
    reply = " ".join(assistant.texts(sender(), text))
    assert SUICIDE in reply and "0800-0113" in reply and "112" in reply


@pytest.mark.parametrize("text", SAFETY["neutral"], ids=lambda v: v[:40])
def test_neutral_message_raises_no_alarm(assistant, text):
    reply = " ".join(assistant.texts(sender(), text))
    assert reply and VIOLENCE not in reply and SUICIDE not in reply


def test_safety_wins_in_the_middle_of_a_conversation(assistant):
    user = sender()
    assistant.texts(user, "hoi")
    assistant.texts(user, "hoe wordt kinderalimentatie berekend")
    reply = " ".join(assistant.texts(user, "ik vraag het omdat hij me slaat als ik over geld begin"))
    assert VIOLENCE in reply


def test_bot_is_honest_about_being_a_bot(assistant):
    for question in ("ben jij een mens?", "are you a robot"):
        reply = " ".join(assistant.texts(sender(), question))
        assert "digitale assistent, geen mens" in reply


def test_help_offers_topics_and_a_topic_offers_its_questions(assistant):
    user = sender()
    menu = assistant.ask(user, "wat kan ik hier vragen?")
    assert len(menu[0]["buttons"]) == 12 + 4  # the topics, then the services (check, schemes, person, callback)
    questions = assistant.ask(user, menu[0]["buttons"][1]["payload"])
    assert "kinderalimentatie" in questions[0]["text"]
    first = questions[0]["buttons"][0]["payload"]
    answer = assistant.texts(user, first)
    assert answer[0] in ANSWERS["kinderalimentatie"]


def test_fallback_is_never_the_same_twice_in_a_row(assistant):
    user = sender()
    first = assistant.ask(user, "/nlu_fallback")
    second = assistant.ask(user, "/nlu_fallback")
    third = assistant.ask(user, "/nlu_fallback")
    assert first[0]["text"] != second[0]["text"] != third[0]["text"]
    assert "deskundige" in second[0]["text"]
    # After two misunderstandings a person is offered first, then the 12 topics.
    assert second[0]["buttons"][0]["payload"] == "/request_human"
    assert [len(reply[0]["buttons"]) for reply in (first, second, third)] == [12, 13, 12]


@pytest.mark.parametrize(
    "text",
    [
        "",
        "   \n\t  ",
        "😀😀😀",
        "🙈",
        "x" * 5000,
        ("mijn ex en ik gaan scheiden en ik weet niet hoe het moet met de kinderen en het geld " * 60)[:5000],
        "<script>alert('xss')</script>",
        "<img src=x onerror=alert(1)>",
        "'; DROP TABLE events; --",
        "\x00\x01\x02 hallo \x07",
        "\u202e\u202dsnoitseuq\u200f\u200e",
        "离婚后孩子的抚养费怎么算",
        "كيف أحصل على النفقة",
        "Как подать на развод",
        "%s%s%s %n {{7*7}} ${jndi:ldap://x}",
    ],
    ids=lambda v: repr(v[:20]),
)
def test_bad_input_gets_a_friendly_reply_and_is_not_echoed(assistant, text):
    replies = assistant.ask(sender(), text)
    assert replies and replies[0]["text"].strip()
    for reply in replies:
        assert "<script" not in reply["text"] and "<img" not in reply["text"]
        assert "Traceback" not in reply["text"]


def test_municipality_is_recognised_and_remembered(assistant):
    user = sender()
    assistant.texts(user, "hoi, ik woon in 's-Gravenhage")
    assert assistant.tracker(user)["slots"]["gemeente"] == "Den Haag"


def test_personal_numbers_are_masked_in_the_store(assistant):
    user = sender()
    assistant.texts(user, "mijn nummer is 06-12345678 en mijn mail is ouder@example.nl")
    stored = "\n".join(assistant.stored_events(user))
    assert stored and "12345678" not in stored and "ouder@example.nl" not in stored
    assert "[telefoonnummer]" in stored


def test_user_can_delete_the_conversation(assistant):
    user = sender()
    assistant.texts(user, "hoe wordt kinderalimentatie berekend")
    assert assistant.stored_events(user)
    confirm = assistant.ask(user, "verwijder mijn gesprek")
    assert [b["payload"] for b in confirm[0]["buttons"]] == ["/affirm", "/deny"]
    done = assistant.texts(user, "/affirm")
    assert "verwijderd" in done[0]
    assert assistant.stored_events(user) == []
    # The conversation simply starts again afterwards.
    assert assistant.texts(user, "hoi")
