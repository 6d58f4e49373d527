"""Custom actions, run without a model (Tracker.from_dict + CollectingDispatcher)."""

from __future__ import annotations

import pytest
import yaml

from actions.fallback import ActionHandleFallback, fallbacks_in_a_row, response_for
from actions.privacy import ActionDeleteConversation
from actions.topics import ActionShowTopic, ActionShowTopics
from bot.domain import content
from tests.support.action_runner import bot, run, user


def test_fallback_counts_only_the_latest_run_of_misunderstood_messages():
    events = [user("nlu_fallback"), bot(), user("faq"), bot(), user("nlu_fallback"), bot(), user("nlu_fallback")]
    assert fallbacks_in_a_row(events) == 2


def test_fallback_replies_never_repeat_twice_in_a_row():
    replies = [response_for(n) for n in range(1, 8)]
    assert replies[0] == "utter_fallback_rephrase"
    assert all(a != b for a, b in zip(replies, replies[1:], strict=False))


def test_second_fallback_offers_a_human_and_topics():
    messages, _ = run(ActionHandleFallback(), [user("nlu_fallback"), bot(), user("nlu_fallback")])
    assert messages[0]["response"] == "utter_fallback_offer_human"
    assert messages[0]["buttons"][0] == {"title": "Praat met een mens", "payload": "/request_human"}
    assert len(messages[0]["buttons"]) == len(content.topics()) + 1


def test_first_fallback_asks_to_rephrase():
    messages, _ = run(ActionHandleFallback(), [user("greet"), bot(), user("nlu_fallback")])
    assert messages[0]["response"] == "utter_fallback_rephrase"


def test_nlu_fallback_keeps_the_message_for_the_count():
    _, events = run(ActionHandleFallback(), [user("greet"), bot(), user("nlu_fallback")])
    assert events == []


def test_core_fallback_forgets_the_message_so_the_next_one_is_handled():
    # A clear intent in a state no rule knows: answered kindly, then reverted (no endless fallback loop).
    _, events = run(ActionHandleFallback(), [user("greet"), bot(), user("faq")])
    assert events == [{"event": "rewind", "timestamp": None}]


def test_unsure_faq_answer_offers_the_likely_questions():
    event = user("nlu_fallback", "iets over geld en het huis")
    event["parse_data"].update({
        "intent_ranking": [{"name": "nlu_fallback", "confidence": 0.2}, {"name": "faq", "confidence": 0.9}],
        "response_selector": {"faq": {"ranking": [
            {"intent_response_key": "faq/wonen_koophuis", "confidence": 0.15},
            {"intent_response_key": "faq/wonen_hypotheek", "confidence": 0.12},
            {"intent_response_key": "faq/schulden_overzicht", "confidence": 0.1},
            {"intent_response_key": "faq/wonen_urgentie", "confidence": 0.05},
        ]}},
    })
    messages, _ = run(ActionHandleFallback(), [event])
    questions = content.questions_by_intent()
    assert messages[0]["response"] == "utter_fallback_suggest"
    assert [b["payload"] for b in messages[0]["buttons"]] == [
        questions["faq/wonen_koophuis"], questions["faq/wonen_hypotheek"],
        questions["faq/schulden_overzicht"], "/help",
    ]


def test_unclear_message_that_is_no_faq_question_gets_no_suggestions():
    event = user("nlu_fallback")
    event["parse_data"]["intent_ranking"] = [{"name": "nlu_fallback"}, {"name": "greet"}]
    messages, _ = run(ActionHandleFallback(), [event])
    assert messages[0]["response"] == "utter_fallback_rephrase"


def test_topics_are_all_offered_as_buttons():
    messages, _ = run(ActionShowTopics(), [user("help")])
    titles = [b["title"] for b in messages[0]["buttons"]]
    assert "Kinderalimentatie" in titles and len(titles) == 12 + len(content.SERVICE_BUTTONS)
    assert {"title": "Doe de korte check", "payload": "/start_screening"} in messages[0]["buttons"]
    assert messages[0]["buttons"][1]["payload"] == '/choose_topic{"topic":"kinderalimentatie"}'


def test_topic_shows_its_questions():
    events = [user("choose_topic", "vragen over wonen", [{"entity": "topic", "value": "wonen"}])]
    messages, result = run(ActionShowTopic(), events)
    assert messages[0]["response"] == "utter_topic_questions"
    assert messages[0]["topic_label"] == "wonen"
    questions = [b["payload"] for b in messages[0]["buttons"]]
    # Every FAQ of the topic, by the first (clearest) wording in its file, in file order.
    faqs = yaml.safe_load((content.DATA_DIR / "nlu" / "faq_wonen.yml").read_text(encoding="utf-8"))["nlu"]
    first_wordings = [block["examples"].strip().splitlines()[0].strip()[2:].strip() for block in faqs]
    assert len(first_wordings) <= 10  # all of them fit
    assert questions == first_wordings
    assert all(q.endswith("?") for q in questions)
    assert result == [{"event": "slot", "timestamp": None, "name": "topic", "value": "wonen"}]


def test_a_topic_with_more_than_ten_questions_shows_its_first_ten():
    longest = max(content.topics(), key=lambda item: len(item.questions))
    assert len(longest.questions) > 10, "no topic has more than ten questions: the cap is not tested"
    messages, _ = run(ActionShowTopic(), [user("choose_topic", "...", [{"entity": "topic", "value": longest.key}])])
    shown = [b["payload"] for b in messages[0]["buttons"]]
    assert len(shown) == 10
    order = list(longest.questions)
    assert shown == [q for q in order if q in shown]  # in the topic's order
    hidden = [q for q in order if q not in shown]
    assert max(map(order.index, shown)) < min(map(order.index, hidden))  # the first ones, not any ten


@pytest.mark.parametrize(
    "text, key",
    [("vragen over geld", "schulden"), ("onderwerp kinderalimentatie", "kinderalimentatie"),
     ("vragen over kinderen en emoties", "kinderen"), ("show questions about housing", "wonen"),
     ("vragen over omgang en gezag", "omgang"), ("laat de vragen over partneralimentatie zien", "partneralimentatie")],
)
def test_typed_topic_is_recognised(text, key):
    messages, result = run(ActionShowTopic(), [user("choose_topic", text)])
    assert messages[0]["response"] == "utter_topic_questions"
    assert result[0]["value"] == key


def test_unknown_topic_lists_the_topics_again():
    events = [user("choose_topic", "vragen over vissen", [{"entity": "topic", "value": "vissen"}])]
    messages, result = run(ActionShowTopic(), events)
    assert messages[0]["response"] == "utter_topic_unknown"
    assert result[0]["value"] is None


def test_delete_conversation_confirms_and_restarts(sqlite_store):
    messages, result = run(ActionDeleteConversation(), [user("affirm")])
    assert messages[0]["response"] == "utter_conversation_deleted"
    assert result[0]["event"] == "restart"


@pytest.mark.parametrize("item", content.topics(), ids=lambda t: t.key)
def test_every_topic_has_questions(item):
    assert len(item.questions) >= 8
