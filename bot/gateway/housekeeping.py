"""The one scheduler for retention: the gateway (a long-running process) erases what has been kept long
enough, once at start-up and then every hour.

- callback phone numbers, CALLBACK_RETENTION_DAYS after the callback closed (callbacks.purge_phone_numbers;
  `python -m bot.startup`, the callback form and the console's callback pages also do this on the spot);
- whole conversations, CONVERSATION_RETENTION_DAYS after their last moment (bot/store/retention.py).

The work runs in a thread, in short batches, so neither the event loop nor a SQLite database is held up.
Only counts are logged.

Several gateways on one PostgreSQL store each run it every hour: a pass first tries an advisory lock
(db.exclusive), and a gateway that finds another one busy skips its pass. The deletes and updates are
safe to repeat anyway: a second pass finds nothing left to do.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
from dataclasses import dataclass

from aiohttp import web

from bot.store import callbacks, retention
from bot.store.db import exclusive, session_scope

log = logging.getLogger(__name__)

INTERVAL_SECONDS = 3600.0
APP_KEY = "housekeeping"
LOCK_KEY = 0x5C4E1E  # PostgreSQL advisory lock: one gateway at a time does the housekeeping


def run_once() -> None:
    """One pass of every retention job, unless another gateway is doing it right now."""
    try:
        with exclusive(LOCK_KEY) as mine:
            if not mine:
                log.info("housekeeping: another gateway is doing it; this pass is skipped")
                return
            _jobs()
    except Exception as error:  # noqa: BLE001 - e.g. the store is down; the next pass tries again
        log.warning("housekeeping: the store could not be reached: %s", type(error).__name__)


def _jobs() -> None:
    """Every retention job; one failing job does not stop the other."""
    try:
        with session_scope() as session:
            erased = callbacks.purge_phone_numbers(session, callbacks.retention_days())
        log.info("housekeeping: %d old phone numbers erased", erased)
    except Exception as error:  # noqa: BLE001 - the type only: a message could quote stored values
        log.warning("housekeeping: erasing phone numbers failed: %s", type(error).__name__)
    try:
        retention.run()
    except Exception as error:  # noqa: BLE001 - as above; the next pass tries again
        log.warning("housekeeping: deleting old conversations failed: %s", type(error).__name__)


@dataclass
class Housekeeping:
    task: asyncio.Task
    passes: int = 0  # passes completed (the tests wait for the first)
    first_pass: asyncio.Event | None = None


async def _every(interval: float, state: Housekeeping, job) -> None:
    while True:
        await asyncio.to_thread(job)
        state.passes += 1
        state.first_pass.set()
        await asyncio.sleep(interval)


def attach(app: web.Application, interval: float = INTERVAL_SECONDS, job=run_once) -> None:
    """Run `job` when the app starts and every `interval` seconds until it stops (app[APP_KEY])."""
    # A wrong setting stops the start with a clear message instead of failing every hour.
    callbacks.retention_days()
    retention.retention_days()

    async def running(app: web.Application):
        state = Housekeeping(task=None, first_pass=asyncio.Event())  # type: ignore[arg-type]
        state.task = asyncio.create_task(_every(interval, state, job))
        app[APP_KEY] = state
        yield
        state.task.cancel()
        with contextlib.suppress(asyncio.CancelledError):
            await state.task

    app.cleanup_ctx.append(running)
