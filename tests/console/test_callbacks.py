"""The console's callback page through the real gateway: list, audited "Toon nummer", outcomes, scope."""

from __future__ import annotations

import asyncio
import secrets
from datetime import date, time, timedelta

import pytest
from aiohttp.test_utils import TestClient, TestServer
from cryptography.fernet import Fernet
from sqlalchemy import select

from bot.console.callbacks import display_number, today
from bot.domain.phone import parse_callback_phone
from bot.store import callbacks, crypto
from bot.store.db import session_scope
from bot.store.models import Callback, PhoneView
from tests.console.harness import add_account, console_app, logged_in

PHONE_TYPED = "06 1234 5678"
# Every way the clear number could show up in a page.
CLEAR_FORMS = ("+31612345678", "0612345678", "06 12345678", "612345678", "+31 6 12345678", "06-12345678")
JSON = {"Accept": "application/json"}


@pytest.fixture(autouse=True)
def fernet_key(monkeypatch):
    monkeypatch.setenv(crypto.KEY_VARIABLE, Fernet.generate_key().decode())


@pytest.fixture
def app(sqlite_store):
    add_account("anne")  # expert of twenterand
    add_account("zoe", municipality="zwolle")
    add_account("coco", role="coordinator", municipality="*")
    return console_app(sqlite_store)[0]


def book(municipality: str = "twenterand", day: date | None = None, start: time = time(9),
         end: time = time(12), typed: str = PHONE_TYPED) -> Callback:
    """A callback booked the way the callback form does: parsed, masked, encrypted."""
    phone = parse_callback_phone(typed)
    assert phone.ok
    with session_scope() as session:
        booked = callbacks.book(session, conversation_id=f"web-{secrets.token_hex(8)}",
                                municipality=municipality, slot_date=day or today(), window_start=start,
                                window_end=end, capacity=4, phone_e164=phone.e164, phone_masked=phone.masked)
    assert booked is not None
    return booked


def stored(callback_id: str) -> Callback:
    with session_scope() as session:
        return session.get(Callback, callback_id)


def phone_views() -> list[tuple[str, str]]:
    with session_scope() as session:
        return [(row.callback_id, row.account)
                for row in session.execute(select(PhoneView).order_by(PhoneView.id)).scalars()]


def run(app, scenario):
    async def main():
        async with TestClient(TestServer(app)) as client:
            return await scenario(client)

    return asyncio.run(main())


def assert_no_clear_number(html: str) -> None:
    for form in CLEAR_FORMS:
        assert form not in html, form


def test_the_list_shows_a_booked_callback_with_the_masked_number_only(app):
    callback = book()
    later = book(day=today() + timedelta(days=1), start=time(13), end=time(16))

    async def scenario(client):
        await logged_in(client, "anne")
        response = await client.get("/console/terugbellen")
        return response.status, response.headers.get("Cache-Control"), await response.text()

    status, cache, html = run(app, scenario)
    assert status == 200 and cache == "no-store"
    assert callback.reference in html and later.reference in html
    assert html.index(callback.reference) < html.index(later.reference)
    assert "06-****5678" in html and "Twenterand" in html and "9:00 - 12:00" in html
    assert "Vandaag, " in html and "Toon nummer" in html and "Nog bellen" in html
    assert f'action="/console/terugbellen/{callback.id}/status"' in html
    assert_no_clear_number(html)
    assert phone_views() == []  # listing is not looking


def test_open_callbacks_of_earlier_days_stay_listed(app):
    overdue = book(day=today() - timedelta(days=2))

    async def scenario(client):
        await logged_in(client, "anne")
        return await (await client.get("/console/terugbellen")).text()

    html = run(app, scenario)
    assert "Eerder, nog niet gebeld" in html and overdue.reference in html


def test_reveal_shows_the_number_once_and_records_the_view(app):
    callback = book()

    async def scenario(client):
        csrf = await logged_in(client, "anne")
        page = await client.post(f"/console/terugbellen/{callback.id}/nummer", data={"csrf": csrf})
        as_json = await client.post(f"/console/terugbellen/{callback.id}/nummer", headers=JSON,
                                    data={"csrf": csrf})
        again = await client.get("/console/terugbellen")
        return (page.status, page.headers.get("Cache-Control"), await page.text(), as_json.status,
                await as_json.json(), await again.text())

    status, cache, html, json_status, body, list_again = run(app, scenario)
    assert status == 200 and cache == "no-store"
    assert "06 12345678" in html and 'href="tel:+31612345678"' in html
    assert "Dit bekijken wordt vastgelegd." in html
    assert json_status == 200
    assert body == {"id": callback.id, "reference": callback.reference, "erased": False,
                    "number": "06 12345678", "tel": "+31612345678", "note": "Dit bekijken wordt vastgelegd."}
    assert phone_views() == [(callback.id, "anne"), (callback.id, "anne")]
    assert_no_clear_number(list_again)  # the number was in those two responses only


def test_status_changes_persist(app):
    answered, unanswered, cancelled = book(), book(), book()

    async def scenario(client):
        csrf = await logged_in(client, "anne")
        results = []
        for callback, value in ((answered, "gedaan"), (unanswered, "geen_gehoor"), (cancelled, "geannuleerd")):
            response = await client.post(f"/console/terugbellen/{callback.id}/status", allow_redirects=False,
                                          data={"csrf": csrf, "status": value})
            results.append((response.status, response.headers.get("Location")))
        correction = await client.post(f"/console/terugbellen/{unanswered.id}/status", headers=JSON,
                                       data={"csrf": csrf, "status": "gedaan"})
        page = await (await client.get("/console/terugbellen")).text()
        return results, correction.status, await correction.json(), page

    results, correction_status, correction, page = run(app, scenario)
    assert results == [(303, f"/console/terugbellen#terugbel-{c.id}") for c in (answered, unanswered, cancelled)]
    assert correction_status == 200
    assert correction == {"id": unanswered.id, "status": "done", "label": "Gedaan"}
    for callback, status in ((answered, "done"), (unanswered, "done"), (cancelled, "cancelled")):
        row = stored(callback.id)
        assert row.status == status and row.closed_at is not None
    with session_scope() as session:  # the cancelled one gave its place back
        assert callbacks.booked_places(session, "twenterand", today(), time(9)) == 2
    assert "Gedaan" in page and "Geannuleerd" in page and "Niet meer bellen." in page


def test_a_cancelled_callback_stays_cancelled_and_nonsense_is_refused(app):
    callback = book()
    with session_scope() as session:
        callbacks.set_status(session, callback.id, "cancelled")

    async def scenario(client):
        csrf = await logged_in(client, "anne")
        final = await client.post(f"/console/terugbellen/{callback.id}/status",
                                  data={"csrf": csrf, "status": "gedaan"})
        nonsense = await client.post(f"/console/terugbellen/{callback.id}/status",
                                     data={"csrf": csrf, "status": "pending"})
        no_csrf = await client.post(f"/console/terugbellen/{callback.id}/status", data={"status": "gedaan"})
        return final.status, await final.text(), nonsense.status, await nonsense.text(), no_csrf.status

    final_status, final_html, nonsense_status, nonsense_html, no_csrf_status = run(app, scenario)
    assert final_status == 409 and "Dat kun je niet meer veranderen." in final_html
    assert nonsense_status == 400 and "Kies een status" in nonsense_html
    assert no_csrf_status == 403
    assert stored(callback.id).status == "cancelled"


def test_another_municipality_is_not_listed_and_gives_404(app):
    ours, theirs = book(), book(municipality="zwolle")

    async def scenario(client):
        csrf = await logged_in(client, "anne")
        page = await (await client.get("/console/terugbellen")).text()
        reveal = await client.post(f"/console/terugbellen/{theirs.id}/nummer", data={"csrf": csrf})
        status = await client.post(f"/console/terugbellen/{theirs.id}/status",
                                   data={"csrf": csrf, "status": "gedaan"})
        unknown = await client.post("/console/terugbellen/no-such-id/nummer", data={"csrf": csrf})
        return page, reveal.status, await reveal.text(), status.status, unknown.status

    page, reveal_status, reveal_html, status_status, unknown_status = run(app, scenario)
    assert ours.reference in page and theirs.reference not in page and "Zwolle" not in page
    assert (reveal_status, status_status, unknown_status) == (404, 404, 404)
    assert "hoort niet bij jouw gemeente" in reveal_html
    assert_no_clear_number(reveal_html)
    assert stored(theirs.id).status == "pending"
    assert phone_views() == []


def test_a_coordinator_of_all_sees_every_municipality(app):
    ours, theirs = book(), book(municipality="zwolle", start=time(13), end=time(16))

    async def scenario(client):
        csrf = await logged_in(client, "coco")
        page = await (await client.get("/console/terugbellen")).text()
        reveal = await client.post(f"/console/terugbellen/{theirs.id}/nummer", headers=JSON,
                                   data={"csrf": csrf})
        return page, reveal.status

    page, reveal_status = run(app, scenario)
    assert ours.reference in page and theirs.reference in page
    assert reveal_status == 200 and phone_views() == [(theirs.id, "coco")]


def test_an_erased_number_says_so_and_is_not_recorded(app):
    callback = book()
    with session_scope() as session:
        closed_at = callbacks.set_status(session, callback.id, "no_answer").closed_at
        callbacks.purge_phone_numbers(session, 0, now=closed_at + timedelta(seconds=1))

    async def scenario(client):
        csrf = await logged_in(client, "anne")
        page = await (await client.get("/console/terugbellen")).text()
        reveal = await client.post(f"/console/terugbellen/{callback.id}/nummer", data={"csrf": csrf})
        as_json = await client.post(f"/console/terugbellen/{callback.id}/nummer", headers=JSON,
                                    data={"csrf": csrf})
        return page, reveal.status, await reveal.text(), await as_json.json()

    page, reveal_status, reveal_html, body = run(app, scenario)
    assert "Nummer is al gewist" in page
    assert f"/console/terugbellen/{callback.id}/nummer" not in page  # no "Toon nummer" for it
    assert reveal_status == 200 and "Nummer is al gewist" in reveal_html
    assert body["erased"] is True and body["message"] == "Nummer is al gewist." and "number" not in body
    assert phone_views() == []


def test_a_number_past_its_retention_period_is_erased_before_anyone_sees_it(app, monkeypatch):
    callback = book()
    with session_scope() as session:
        callbacks.set_status(session, callback.id, "done")
    monkeypatch.setenv(callbacks.RETENTION_VARIABLE, "0")  # closed "more than 0 days ago": gone

    async def scenario(client):
        csrf = await logged_in(client, "anne")
        reveal = await client.post(f"/console/terugbellen/{callback.id}/nummer", headers=JSON,
                                   data={"csrf": csrf})
        return await reveal.json()

    assert run(app, scenario)["erased"] is True
    assert stored(callback.id).phone_encrypted is None and phone_views() == []


def test_anonymous_visitors_get_nothing(app):
    callback = book()

    async def scenario(client):
        page = await client.get("/console/terugbellen", allow_redirects=False)
        reveal = await client.post(f"/console/terugbellen/{callback.id}/nummer", allow_redirects=False)
        return page.status, page.headers.get("Location"), reveal.status, await reveal.text()

    page_status, location, reveal_status, reveal_html = run(app, scenario)
    assert (page_status, location) == (303, "/console/login")
    assert reveal_status in (401, 403)
    assert_no_clear_number(reveal_html)
    assert phone_views() == []


@pytest.mark.parametrize("e164, shown", [
    ("+31612345678", "06 12345678"), ("+31201234567", "020 123 4567"), ("+32470123456", "+32 470 12 34 56"),
])
def test_display_number(e164, shown):
    assert display_number(e164) == shown
