"""The gateway service: web chat (socket.io) and Telegram in front of Rasa, with the router between.

Start it with `python -m bot.gateway` (scripts/run.sh does, beside Rasa and the action server).
Configuration by environment variables; see the README.
"""

from __future__ import annotations

import logging
import os
import secrets
from dataclasses import dataclass, field
from pathlib import Path

from aiohttp import web

from bot.console import app as console
from bot.gateway import bus, housekeeping, logs, metrics, readiness, theme
from bot.gateway.rasa import AsyncRasa
from bot.gateway.router import Router
from bot.gateway.webchat import WebChat
from bot.store.db import migrate

log = logging.getLogger(__name__)
REPO = Path(__file__).resolve().parents[2]
STATIC = Path(__file__).resolve().parent / "static"


def telegram_from_env(router: Router):
    """The Telegram channel when TELEGRAM_TOKEN is set (bot/gateway/telegram.py), else None. Imported
    only then: python-telegram-bot and its job scheduler take about 12 MB that a gateway without
    Telegram never uses (issue 15: all processes within 1.5 GB)."""
    if not os.environ.get("TELEGRAM_TOKEN", "").strip():
        log.info("Telegram disabled: TELEGRAM_TOKEN is not set")
        return None
    from bot.gateway import telegram  # noqa: PLC0415 - see the docstring

    return telegram.from_env(router)


def local_secret(path: Path = REPO / "var" / "gateway.secret") -> str:
    """A secret for deriving Rasa sender ids, made once for one-machine use (file mode 0600)."""
    if path.exists():
        return path.read_text().strip()
    path.parent.mkdir(parents=True, exist_ok=True)
    value = secrets.token_hex(32)
    path.touch(mode=0o600)
    path.write_text(value)
    return value


@dataclass
class Settings:
    host: str = "127.0.0.1"
    port: int = 8080
    rasa_url: str = "http://127.0.0.1:5005"
    rasa_token: str | None = None
    secret: str = ""
    handoff_timeout: float = 300.0
    cors_origins: list[str] | str = field(default="*")
    redis_url: str | None = None  # several gateways: the Redis they share (bot/gateway/bus.py)

    @classmethod
    def from_env(cls) -> Settings:
        origins = os.environ.get("GATEWAY_CORS_ORIGINS", "*")
        return cls(
            host=os.environ.get("GATEWAY_HOST", "127.0.0.1"),
            port=int(os.environ.get("GATEWAY_PORT", "8080")),
            rasa_url=os.environ.get("RASA_URL", "http://127.0.0.1:5005"),
            rasa_token=os.environ.get("RASA_TOKEN") or None,
            secret=os.environ.get("GATEWAY_SECRET") or local_secret(),
            handoff_timeout=float(os.environ.get("HANDOFF_TIMEOUT_SECONDS", "300")),
            cors_origins=origins if origins == "*" else [o.strip() for o in origins.split(",") if o.strip()],
            redis_url=os.environ.get("REDIS_URL", "").strip() or None,
        )


async def health(request: web.Request) -> web.Response:
    return web.json_response({"status": "ok"})


async def demo_page(request: web.Request) -> web.FileResponse:
    """The demo municipality page with the widget embedded, so `make run` shows the chat at once."""
    return web.FileResponse(STATIC / "demo.html")


def build_app(settings: Settings, *, with_telegram: bool = True) -> web.Application:
    app = web.Application(client_max_size=64 * 1024)
    rasa = AsyncRasa(settings.rasa_url, settings.rasa_token)
    counts = metrics.Metrics()
    router = Router(rasa, secret=settings.secret, handoff_timeout=settings.handoff_timeout, metrics=counts,
                    bus=bus.from_url(settings.redis_url))
    webchat = WebChat(router, cors_origins=settings.cors_origins, redis_url=settings.redis_url)
    webchat.attach(app)
    app["router"], app["webchat"], app["rasa"] = router, webchat, rasa
    app.router.add_get("/health", health)
    readiness.attach(app)  # /ready: Rasa answers and the store reads
    metrics.attach(app, counts)  # /metrics: loopback only, or METRICS_TOKEN
    # The embeddable widget (widget.js, css, vendored socket.io client) and the demo page.
    app.router.add_static("/widget/", STATIC)
    app.router.add_get("/", demo_page)
    theme.setup(app)  # /widget/theme/<key>.css: a municipality's colours for the widget
    # The expert console at /console/ (login required); its JS/CSS outside it, at /console-static/.
    console.attach(app, router)  # the router is the console's LiveChat
    app.router.add_static("/console-static/", console.STATIC)

    async def on_startup(app: web.Application) -> None:
        migrate()
        await router.start()  # hear the other gateways (REDIS_URL) before anything happens here
        await webchat.start()
        recovered = await router.recover()
        if recovered:
            log.info("gateway: %d waiting hand-overs resumed", recovered)
        channel = telegram_from_env(router) if with_telegram else None
        if channel is not None:
            try:
                await channel.start()
                router.register(channel)
            except Exception:  # noqa: BLE001 - without Telegram the web chat must still work
                log.exception("gateway: Telegram could not start; web chat only")
                channel = None
        app["telegram"] = channel

    async def on_cleanup(app: web.Application) -> None:
        if app.get("telegram") is not None:
            await app["telegram"].stop()
        await webchat.stop()
        await router.close()
        await rasa.close()

    app.on_startup.append(on_startup)
    app.on_cleanup.append(on_cleanup)
    housekeeping.attach(app)  # retention: old phone numbers and conversations, at start-up and hourly
    return app


def main() -> None:
    """Serve the gateway; logging is set up by `python -m bot.gateway` (bot/gateway/logs.py)."""
    settings = Settings.from_env()
    log.info("gateway on http://%s:%d, Rasa at %s", settings.host, settings.port, settings.rasa_url)
    web.run_app(build_app(settings), host=settings.host, port=settings.port, print=None,
                access_log_class=logs.AccessLogger)
