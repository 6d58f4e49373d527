"""The console's callback page: the list per day, the outcome buttons and the audited "Toon nummer".

The list holds masked numbers only. The clear number is sent in the one response to "Toon nummer"
(never stored in the page's HTML otherwise) and every such look is recorded (PhoneView). A callback of
a municipality the account may not see does not exist for that account: 404, and it is not listed.
Each action works as a plain form; callbacks.js shows the number without reloading the page.
"""

from __future__ import annotations

import asyncio
from collections.abc import Collection
from dataclasses import dataclass
from datetime import date
from itertools import groupby

import phonenumbers
from aiohttp import web

from bot.console.auth import Account, require
from bot.console.common import municipality_name, today
from bot.console.render import error_page, render, wants_json
from bot.console.texts import labels, text
from bot.domain.names import CallbackStatus
from bot.domain.opening_hours import clock, day_label
from bot.store import callback_list, callbacks
from bot.store.callback_list import CallbackItem, CallbackNotFound
from bot.store.db import session_scope

LIST_PATH = "/console/terugbellen"
# The form sends Dutch values; the store's own values are accepted as well (the JSON API's callers).
FORM_STATUSES = {"gedaan": CallbackStatus.DONE, "geen_gehoor": CallbackStatus.NO_ANSWER,
                 "geannuleerd": CallbackStatus.CANCELLED}


def status_label(status: str) -> str:
    return labels("callbacks.statuses")[status]


def buttons() -> tuple[tuple[str, str, str], ...]:
    """(form value, store status, button text); the template leaves out what cannot apply to a row."""
    titles = labels("callbacks.buttons")
    return tuple((value, status, titles[value]) for value, status in FORM_STATUSES.items())


@dataclass(frozen=True)
class Row:
    """One table row as the template shows it."""

    item: CallbackItem
    window: str
    municipality: str
    status_label: str


@dataclass(frozen=True)
class Day:
    title: str  # "Vandaag, maandag 4 maart" / "Dinsdag 5 maart"
    label: str  # "maandag 4 maart"
    rows: list[Row]


def display_number(e164: str) -> str:
    """'06 12345678' for a Dutch number, '+32 470 12 34 56' for a foreign one."""
    try:
        parsed = phonenumbers.parse(e164)
    except phonenumbers.NumberParseException:
        return e164
    if phonenumbers.region_code_for_number(parsed) == "NL":
        return phonenumbers.format_number(parsed, phonenumbers.PhoneNumberFormat.NATIONAL)
    return phonenumbers.format_number(parsed, phonenumbers.PhoneNumberFormat.INTERNATIONAL)


def _row(item: CallbackItem, with_day: bool = False) -> Row:
    window = f"{clock(item.window_start)} - {clock(item.window_end)}"
    return Row(item=item, window=f"{day_label(item.slot_date)}, {window}" if with_day else window,
               municipality=municipality_name(item.municipality), status_label=status_label(item.status))


def group_by_day(items: list[CallbackItem], first_day: date) -> tuple[list[Row], list[Day]]:
    """(open callbacks of earlier days, the listed days in order); days without callbacks are left out."""
    overdue = [_row(item, with_day=True) for item in items if item.slot_date < first_day]
    days = []
    for day, group in groupby((item for item in items if item.slot_date >= first_day),
                              key=lambda item: item.slot_date):
        label = day_label(day)
        days.append(Day(title=text("callbacks.today", day=label) if day == first_day else label.capitalize(),
                        label=label,
                        rows=[_row(item) for item in group]))
    return overdue, days


# --- the store, in a thread --------------------------------------------------------------------------


def _load(visible: Collection[str] | None, first_day: date) -> list[CallbackItem]:
    with session_scope() as session:
        # Numbers past their retention period go before anyone can look at them.
        callbacks.purge_phone_numbers(session, callbacks.retention_days())
        return callback_list.list_callbacks(session, visible, first_day)


def _reveal(callback_id: str, username: str, visible: Collection[str] | None) -> tuple[str, str | None]:
    # The PhoneView is committed at the end of this block, before the number leaves the server.
    with session_scope() as session:
        callbacks.purge_phone_numbers(session, callbacks.retention_days())
        reference = callback_list.get_visible(session, callback_id, visible).reference
        return reference, callback_list.reveal_phone(session, callback_id, username, visible)


def _mark(callback_id: str, status: str, visible: Collection[str] | None) -> CallbackItem:
    with session_scope() as session:
        return callback_list.mark(session, callback_id, status, visible)


# --- handlers ----------------------------------------------------------------------------------------


async def _page(request: web.Request, *, status: int = 200, message: str | None = None,
                revealed: dict | None = None) -> web.Response:
    first_day = today()
    items = await asyncio.to_thread(_load, request["account"].scope, first_day)
    overdue, days = group_by_day(items, first_day)
    return render(request, "callbacks.html", status=status, nav="terugbellen", overdue=overdue, days=days,
                  working_days=callback_list.DEFAULT_WORKING_DAYS, buttons=buttons(), message=message,
                  revealed=revealed, view_note=text("callbacks.view_note"),
                  erased_text=text("callbacks.erased"))


@require("expert")
async def list_page(request: web.Request) -> web.Response:
    return await _page(request)


@require("expert")
async def reveal_number(request: web.Request) -> web.Response:
    account: Account = request["account"]
    callback_id = request.match_info["callback_id"]
    try:
        reference, number = await asyncio.to_thread(_reveal, callback_id, account.username, account.scope)
    except CallbackNotFound:
        return error_page(request, 404, text("callbacks.not_found"))
    if wants_json(request):
        if number is None:
            return web.json_response({"id": callback_id, "reference": reference, "erased": True,
                                      "message": text("callbacks.erased")})
        return web.json_response({"id": callback_id, "reference": reference, "erased": False,
                                  "number": display_number(number), "tel": number,
                                  "note": text("callbacks.view_note")})
    revealed = {"id": callback_id, "reference": reference,
                "number": display_number(number) if number else None, "tel": number}
    return await _page(request, revealed=revealed)


@require("expert")
async def change_status(request: web.Request) -> web.StreamResponse:
    callback_id = request.match_info["callback_id"]
    form = await request.post()
    wanted = str(form.get("status", "")).strip()
    status = FORM_STATUSES.get(wanted, wanted if wanted in callbacks.CLOSED_STATUSES else None)
    if status is None:
        message = text("callbacks.choose_status")
        if wants_json(request):
            return web.json_response({"error": message}, status=400)
        return await _page(request, status=400, message=message)
    try:
        item = await asyncio.to_thread(_mark, callback_id, status, request["account"].scope)
    except CallbackNotFound:
        return error_page(request, 404, text("callbacks.not_found"))
    if item.status != status:  # cancelled stays cancelled; a closed callback cannot be cancelled
        message = text("callbacks.final" if item.status == CallbackStatus.CANCELLED else "callbacks.closed")
        if wants_json(request):
            return web.json_response({"error": message, "status": item.status,
                                      "label": status_label(item.status)}, status=409)
        return await _page(request, status=409, message=message)
    if wants_json(request):
        return web.json_response({"id": item.id, "status": item.status, "label": status_label(item.status)})
    raise web.HTTPSeeOther(f"{LIST_PATH}#terugbel-{item.id}")


def setup(console: web.Application) -> None:
    """Routes inside the console sub-application (mounted at /console/)."""
    console.router.add_get("/terugbellen", list_page)
    console.router.add_post("/terugbellen/{callback_id}/nummer", reveal_number)
    console.router.add_post("/terugbellen/{callback_id}/status", change_status)
