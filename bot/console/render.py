"""HTML pages of the console: Jinja2 with autoescaping, and the Dutch error pages (data/console_texts.yml)."""

from __future__ import annotations

from functools import cache
from pathlib import Path

from aiohttp import web
from jinja2 import Environment, FileSystemLoader, select_autoescape

from bot.console.texts import labels

TEMPLATES = Path(__file__).resolve().parent / "templates"


@cache
def environment() -> Environment:
    return Environment(
        loader=FileSystemLoader(str(TEMPLATES)),
        autoescape=select_autoescape(default=True, default_for_string=True),
        trim_blocks=True,
        lstrip_blocks=True,
    )


def render(request: web.Request, template_name: str, *, status: int = 200, **context) -> web.Response:
    """A page from `templates/`; the context always has `account`, `csrf_token` and `nav`."""
    template = environment().get_template(template_name)
    context.setdefault("nav", None)
    context["account"] = request.get("account")
    context["csrf_token"] = request.get("csrf_token") or ""
    html = template.render(**context)
    return web.Response(text=html, status=status, content_type="text/html", charset="utf-8")


def wants_json(request: web.Request) -> bool:
    accept = request.headers.get("Accept", "")
    return request.path.startswith("/console/api/") or (
        "application/json" in accept and "text/html" not in accept)


def error_page(request: web.Request, status: int, message: str | None = None) -> web.Response:
    """The Dutch error page (or a small JSON body for the console's API)."""
    pages = labels("error_pages")
    page = pages.get(status, pages["other"])
    title, message = page["title"], message or page["text"]
    if wants_json(request):
        return web.json_response({"error": message}, status=status)
    return render(request, "error.html", status=status, title=title, message=message, status_code=status)
