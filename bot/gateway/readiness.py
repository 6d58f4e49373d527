"""/ready: 200 only when Rasa answers and the store can be read; else 503 naming the check that failed.

/health (bot/gateway/app.py) only says the process is alive and touches nothing. /ready is what a load
balancer or an orchestrator asks before sending parents here. The body names each check with "ok",
"failed" or "timeout" and nothing else: no URL, no token, no error message.
"""

from __future__ import annotations

import asyncio
import logging

from aiohttp import web
from sqlalchemy import text

from bot.store.db import engine

log = logging.getLogger(__name__)

TIMEOUT_SECONDS = 2.0


def _select_one() -> None:
    with engine().connect() as connection:
        connection.execute(text("SELECT 1")).scalar_one()


async def _check(name: str, work) -> str:
    try:
        await asyncio.wait_for(work, TIMEOUT_SECONDS)
    except asyncio.TimeoutError:
        log.warning("ready: %s timed out", name)
        return "timeout"
    except Exception as error:  # noqa: BLE001 - any failure means not ready; the type is logged, no message
        log.warning("ready: %s failed (%s)", name, type(error).__name__)
        return "failed"
    return "ok"


async def ready(request: web.Request) -> web.Response:
    rasa = request.app["rasa"]
    rasa_check, store_check = await asyncio.gather(
        _check("rasa", rasa.status(timeout=TIMEOUT_SECONDS)),
        _check("store", asyncio.to_thread(_select_one)),
    )
    checks = {"rasa": rasa_check, "store": store_check}
    fine = all(value == "ok" for value in checks.values())
    return web.json_response({"status": "ready" if fine else "not ready", "checks": checks},
                             status=200 if fine else 503, headers={"Cache-Control": "no-store"})


def attach(app: web.Application) -> None:
    app.router.add_get("/ready", ready)
