"""The Beschikbaar/Afwezig switch in the console's header (the form lives in base.html).

It sets the account available or away (bot.console.accounts.set_available), which also updates
expert_availability: action_handoff offers a live chat only while someone of the team is available.
"""

from __future__ import annotations

import asyncio
from urllib.parse import urlsplit

from aiohttp import web

from bot.console import accounts
from bot.console.auth import Account, require
from bot.console.render import error_page, wants_json
from bot.console.texts import text
from bot.store.db import session_scope

HOME = "/console/"
VALUES = {"1": True, "0": False}


def back_to(request: web.Request) -> str:
    """The console page the switch was used on (from Referer), else the console's start page.

    Only a path on this host under /console/ is followed, so the switch cannot be used to send
    someone elsewhere.
    """
    referer = request.headers.get("Referer", "")
    try:
        parts = urlsplit(referer)
    except ValueError:
        return HOME
    if parts.scheme not in ("", "http", "https") or (parts.netloc and parts.netloc != request.host):
        return HOME
    if not parts.path.startswith(HOME) or "//" in parts.path or "\\" in parts.path:
        return HOME
    return parts.path + (f"?{parts.query}" if parts.query else "")


def _switch(account_id: int, available: bool) -> bool:
    with session_scope() as session:
        return bool(accounts.set_available(session, account_id, available).available)


@require("expert")
async def switch(request: web.Request) -> web.StreamResponse:
    account: Account = request["account"]
    form = await request.post()
    available = VALUES.get(str(form.get("available", "")).strip())
    if available is None:
        return error_page(request, 400, text("availability.choose"))
    now_available = await asyncio.to_thread(_switch, account.id, available)
    if wants_json(request):
        return web.json_response({"available": now_available,
                                  "label": text("availability.available" if now_available
                                                else "availability.away")})
    raise web.HTTPSeeOther(back_to(request))


def setup(console: web.Application) -> None:
    """Route inside the console sub-application (mounted at /console/)."""
    console.router.add_post("/beschikbaarheid", switch)
