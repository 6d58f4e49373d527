"""Callback booking as a Rasa form: phone number first, then the preferred moment.

The phone number never stays in the tracker in clear text: validation stores it encrypted on a
draft callback (bot/store) and keeps only the masked form ("06-****5678") in the slot. The
tracker store masks the user's own message as well.
"""

from __future__ import annotations

import re
from typing import Any

from rasa_sdk import Action, Tracker
from rasa_sdk.events import SlotSet
from rasa_sdk.executor import CollectingDispatcher
from rasa_sdk.types import DomainDict

from actions import common, store_access
from actions.common import own_phone
from actions.form_validation import RETRY_SLOT, FormValidation, gave_up, tries
from actions.gemeente_slot import GemeenteValidation, gemeente_from_site
from bot.domain import municipalities
from bot.domain.moments import Slot, choose_slot, next_free_slots, parse_preference
from bot.domain.opening_hours import describe_hours
from bot.domain.phone import parse_callback_phone, re_ask_text
from bot.domain.timewindows import Window
from bot.store import callbacks, records

FORM_SLOTS = ("callback_phone", "callback_moment", "callback_id", "callback_reference")
_REFERENCE = re.compile(r"\b([A-Za-z0-9]{3})[\s-]?(\d{2})\b")


def _free_check(session, municipality: municipalities.Municipality):
    """is_free(slot) for the moment parser; asks the store once per window it is asked about."""
    capacity = municipality.team.callback_capacity
    known: dict[tuple, int] = {}

    def is_free(slot: Slot) -> bool:
        key = (slot.day, slot.window.start)
        if key not in known:
            known.update(callbacks.free_capacity(session, municipality.key, [key], capacity))
        return known.get(key, capacity) > 0

    return is_free


def slot_buttons(slots: list[Slot]) -> list[dict[str, str]]:
    return [{"title": slot.label(), "payload": slot.label()} for slot in slots]


class ActionStartCallback(Action):
    def name(self) -> str:
        return "action_start_callback"

    async def run(self, dispatcher: CollectingDispatcher, tracker: Tracker,
                  domain: DomainDict) -> list[dict[str, Any]]:
        # Keeping numbers only as long as needed does not wait for a restart.
        store_access.quietly("purge_phone_numbers", callbacks.purge_phone_numbers, callbacks.retention_days())
        dispatcher.utter_message(response="utter_callback_acknowledge")
        return ([SlotSet(slot, None) for slot in FORM_SLOTS] + [SlotSet(RETRY_SLOT, None)]
                + gemeente_from_site(dispatcher, tracker))


class ActionAskCallbackMoment(Action):
    def name(self) -> str:
        return "action_ask_callback_moment"

    async def run(self, dispatcher: CollectingDispatcher, tracker: Tracker,
                  domain: DomainDict) -> list[dict[str, Any]]:
        municipality, _known = common.municipality_of(tracker)
        hours = municipality.team.callback_hours
        try:
            with store_access.session("free_callback_slots") as session:
                free = next_free_slots(common.now(), hours, _free_check(session, municipality))
        except store_access.StoreUnavailable:
            free = []  # asked without buttons; booking the moment tells the parent if the store is still out
        dispatcher.utter_message(response="utter_callback_moment_question", hours=describe_hours(hours),
                                 buttons=slot_buttons(free))
        return []


class ValidateCallbackForm(GemeenteValidation, FormValidation):
    # After the last unusable number (data/forms.yml) the form ends; action_callback_done says what
    # to do instead.
    def name(self) -> str:
        return "validate_callback_form"

    def validate_callback_phone(self, value: Any, dispatcher: CollectingDispatcher, tracker: Tracker,
                                domain: DomainDict) -> dict[str, Any]:
        result = parse_callback_phone(str(value or ""))
        if not result.ok:
            # Put together from parts (data/action_texts.yml): more help from the second try on.
            attempt = tries(tracker, "callback_phone") + 1
            return self.ask_again("callback_phone", dispatcher, tracker,
                                  text=re_ask_text(result.problem or "invalid", attempt))
        municipality, _known = common.municipality_of(tracker)
        try:
            with store_access.session("create_draft") as session:
                draft = callbacks.create_draft(session, conversation_id=tracker.sender_id,
                                               municipality=municipality.key, phone_e164=result.e164,
                                               phone_masked=result.masked)
                draft_id = draft.id
        except store_access.StoreUnavailable:
            store_access.tell_unavailable(dispatcher, tracker, "callback")
            return self.store_failed("callback_phone")
        dispatcher.utter_message(response="utter_callback_phone_noted", phone=result.masked)
        return {"callback_phone": result.masked, "callback_id": draft_id}

    def validate_callback_moment(self, value: Any, dispatcher: CollectingDispatcher, tracker: Tracker,
                                 domain: DomainDict) -> dict[str, Any]:
        municipality, _known = common.municipality_of(tracker)
        hours, capacity = municipality.team.callback_hours, municipality.team.callback_capacity
        text = tracker.latest_message.get("text") or str(value or "")
        try:
            with store_access.session("book_callback") as session:
                # The same choice sent again because its answer never came (an action server died after
                # the booking): the booking stands, say it again rather than book or ask anew.
                done = callbacks.booked_from(session, tracker.get_slot("callback_id"), tracker.sender_id)
                if done is not None:
                    return _booked(done)
                is_free = _free_check(session, municipality)
                slot = choose_slot(text, common.now(), hours, is_free)
                wanted = slot
                # Someone else may take the window between the check and the booking: then the next one.
                tried: set[Slot] = set()
                while slot is not None:
                    try:
                        booked = callbacks.book_draft(session, tracker.get_slot("callback_id"),
                                                      slot_date=slot.day, window_start=slot.window.start,
                                                      window_end=slot.window.end, capacity=capacity,
                                                      municipality=municipality.key)
                    except callbacks.DraftNotFound:
                        # The number was erased meanwhile (a day-old draft): ask for it again.
                        dispatcher.utter_message(response="utter_callback_phone_lost")
                        return {"callback_moment": None, "callback_phone": None, "callback_id": None}
                    if booked is not None:
                        records.record_event(session, "callback_booked", municipality.key)
                        return _booked(booked)
                    tried.add(slot)
                    options = [s for s in next_free_slots(common.now(), hours, is_free, n=10)
                               if s not in tried]
                    slot = options[0] if options and wanted is None else None
                free = [s for s in next_free_slots(common.now(), hours, is_free) if s not in tried]
        except store_access.StoreUnavailable:
            store_access.tell_unavailable(dispatcher, tracker, "callback")
            return self.store_failed("callback_moment")
        if not free:
            phone = own_phone(municipality)
            if phone:
                dispatcher.utter_message(response="utter_callback_full_phone", team=municipality.team.name,
                                         phone=phone)
            else:
                dispatcher.utter_message(response="utter_callback_full_website", website=municipality.website)
            return {"callback_moment": "vol"}
        if wanted is not None or _looks_like_moment(text):
            dispatcher.utter_message(response="utter_callback_moment_taken", buttons=slot_buttons(free))
        else:
            dispatcher.utter_message(response="utter_callback_moment_unclear", buttons=slot_buttons(free))
        return {"callback_moment": None}


def _booked(callback: callbacks.Callback) -> dict[str, Any]:
    slot = Slot(callback.slot_date, Window(callback.window_start, callback.window_end))
    return {"callback_moment": slot.label(), "callback_reference": callback.reference}


def _looks_like_moment(text: str) -> bool:
    return parse_preference(text, common.now()).understood


class ActionCallbackDone(Action):
    """Confirms the booking in words with its reference, or says what to do instead."""

    def name(self) -> str:
        return "action_callback_done"

    async def run(self, dispatcher: CollectingDispatcher, tracker: Tracker,
                  domain: DomainDict) -> list[dict[str, Any]]:
        municipality, _known = common.municipality_of(tracker)
        reference = tracker.get_slot("callback_reference")
        if reference:
            dispatcher.utter_message(response="utter_callback_booked", reference=reference,
                                     moment=tracker.get_slot("callback_moment"),
                                     phone=tracker.get_slot("callback_phone"))
            dispatcher.utter_message(response="utter_ask_feedback")
            return [SlotSet(RETRY_SLOT, None)]
        draft_id = tracker.get_slot("callback_id")
        if draft_id:
            store_access.quietly("discard_draft", callbacks.discard_draft, draft_id)
        if gave_up(tracker, "callback_form"):
            phone = own_phone(municipality)
            if phone:
                dispatcher.utter_message(response="utter_callback_gave_up_phone", team=municipality.team.name,
                                         phone=phone)
            else:
                dispatcher.utter_message(response="utter_callback_gave_up_website",
                                         website=municipality.website)
        return [SlotSet(slot, None) for slot in FORM_SLOTS] + [SlotSet(RETRY_SLOT, None)]


class ActionCancelCallback(Action):
    def name(self) -> str:
        return "action_cancel_callback"

    async def run(self, dispatcher: CollectingDispatcher, tracker: Tracker,
                  domain: DomainDict) -> list[dict[str, Any]]:
        text = tracker.latest_message.get("text") or ""
        match = _REFERENCE.search(text.upper())
        reference = f"{match.group(1)}-{match.group(2)}" if match else tracker.get_slot("callback_reference")
        if not reference:
            dispatcher.utter_message(response="utter_cancel_callback_which")
            return []
        try:
            with store_access.session("cancel_callback") as session:
                cancelled = callbacks.cancel(session, reference)
                if cancelled is not None:
                    records.record_event(session, "callback_cancelled", cancelled.municipality)
        except store_access.StoreUnavailable:
            store_access.tell_unavailable(dispatcher, tracker, "cancel", reference=reference)
            return []
        if cancelled is None:
            dispatcher.utter_message(response="utter_cancel_callback_unknown", reference=reference)
            return []
        dispatcher.utter_message(response="utter_callback_cancelled", reference=cancelled.reference,
                                 days=callbacks.retention_days())
        return [SlotSet(slot, None) for slot in FORM_SLOTS]
