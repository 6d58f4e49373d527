"""HTML pages of the console: Jinja2 with autoescaping, and the Dutch error pages."""

from __future__ import annotations

from functools import cache
from pathlib import Path

from aiohttp import web
from jinja2 import Environment, FileSystemLoader, select_autoescape

TEMPLATES = Path(__file__).resolve().parent / "templates"

# Dutch at B1 level: (page title, explanation) per status.
ERRORS = {
    400: ("Dit ging niet goed", "Er ontbreekt iets of er klopt iets niet. Probeer het opnieuw."),
    401: ("Log eerst in", "Je bent niet (meer) ingelogd. Log opnieuw in om verder te gaan."),
    403: ("Geen toegang", "Je hebt geen toegang tot deze pagina of dit gesprek."),
    404: ("Pagina niet gevonden", "Deze pagina bestaat niet (meer). Controleer het adres."),
    405: ("Dit kan niet", "Deze pagina werkt niet op deze manier."),
    429: ("Te veel pogingen", "Je hebt te vaak een verkeerd wachtwoord ingevuld. Wacht 15 minuten. "
                              "Probeer het daarna opnieuw."),
}


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
    title, default = ERRORS.get(status, ("Er ging iets mis", "Probeer het later opnieuw."))
    message = message or default
    if wants_json(request):
        return web.json_response({"error": message}, status=status)
    return render(request, "error.html", status=status, title=title, message=message, status_code=status)
