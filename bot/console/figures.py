"""The coordinator's figures page: anonymous counts as server-drawn SVG bar charts, and a CSV download.

No JavaScript library: every chart is inline SVG with a <title> and a summary (<desc>), and the same
numbers are in a table under it. A coordinator sees only the municipalities the account may see.
The CSV is semicolon-separated (Dutch Excel reads ';'; ',' is its decimal separator) and ASCII in
practice (indicator and key names), so it opens without a byte-order mark.
"""

from __future__ import annotations

import asyncio
import math
from dataclasses import dataclass, field
from datetime import date
from urllib.parse import urlencode

from aiohttp import web

from actions import municipalities
from bot.console import auth
from bot.console.accounts import ALL_MUNICIPALITIES
from bot.console.common import municipality_names, today, topic_labels
from bot.console.render import error_page, render
from bot.store import figures
from bot.store.db import session_scope
from bot.store.figures import UNKNOWN, Figures, Period, Scope

ALL = "alle"
MONTHS = ("jan", "feb", "mrt", "apr", "mei", "jun", "jul", "aug", "sep", "okt", "nov", "dec")
LABELS = {
    "handoffs": {
        "aangevraagd": "Vroeg om een medewerker", "overgenomen": "Overgenomen door een medewerker",
        "afgesloten": "Gesprek afgesloten", "verlopen": "Niemand nam het op tijd over",
        "geannuleerd": "Ouder stopte met wachten", "wacht_nog": "Wacht nog",
        "niemand_vrij": "Niemand vrij, terugbellen aangeboden",
    },
    "callbacks": {"geboekt": "Afspraak gemaakt", "gebeld": "Gebeld", "geen_gehoor": "Geen gehoor",
                  "geannuleerd": "Geannuleerd", "open": "Nog niet gebeld"},
    "levels": {"informatie": "Informatie is genoeg", "advies": "Advies", "deskundige": "Deskundige nodig",
               "urgent": "Urgent: veiligheid"},
    "domains": {"conflict": "Afspraken met de ex", "kinderen": "Kinderen", "geld": "Geld", "wonen": "Wonen",
                "veiligheid": "Veiligheid"},
    "checks": {"gedaan": "Check gedaan", "geen_regeling": "Geen regeling gevonden"},
    "feedback": {"duim_omhoog": "Had er iets aan (duim omhoog)",
                 "duim_omlaag": "Had er niets aan (duim omlaag)"},
}
ERRORS = {
    "date": "Vul een datum in zoals 2030-03-04.",
    "order": "De begindatum ligt na de einddatum. Draai ze om.",
    "long": f"Kies een periode van hoogstens {figures.MAX_DAYS} dagen.",
}

# Chart geometry (SVG user units; the SVG scales to the page width).
WIDTH = 720
LABEL_WIDTH, BAR_SPACE, ROW, BAR = 330, 330, 28, 18
LABEL_CHARS = 40  # longer labels are cut in the chart; the table keeps them whole
MAX_VALUE_TEXTS = 31  # above this many columns a number on each would overlap
PLOT_LEFT, PLOT_RIGHT, PLOT_TOP, PLOT_HEIGHT, AXIS_SPACE = 40, 28, 24, 170, 36  # room for the axis texts
MAX_AXIS_LABELS = 10


@dataclass(frozen=True)
class Bar:
    label: str
    value: int
    x: float
    y: float
    width: float
    height: float
    text_x: float  # where the label / value texts go
    text_y: float
    show_label: bool = True
    show_value: bool = True

    @property
    def short(self) -> str:
        return self.label if len(self.label) <= LABEL_CHARS else self.label[:LABEL_CHARS - 1] + "…"


@dataclass
class Chart:
    id: str
    title: str
    column: str  # the table's first header
    rows: list[tuple[str, int]]
    kind: str = "rows"  # "rows": horizontal bars with labels; "columns": a time series
    note: str | None = None
    summed: bool = True  # False when the rows overlap (a request that was taken is also 'requested')
    bars: list[Bar] = field(default_factory=list)
    height: float = 0

    @property
    def total(self) -> int:
        return sum(value for _, value in self.rows)

    @property
    def top(self) -> int:
        return max((value for _, value in self.rows), default=0)

    @property
    def summary(self) -> str:
        """One sentence for the chart's <desc> and the text above it."""
        if not self.top:
            return "Geen aantallen in deze periode."
        label, value = max(self.rows, key=lambda row: row[1])
        most = f"Meeste: {label} ({value})."
        return f"Totaal: {self.total}. {most}" if self.summed else most


def _draw_rows(chart: Chart) -> Chart:
    top = max((value for _, value in chart.rows), default=0) or 1
    for i, (label, value) in enumerate(chart.rows):
        width = BAR_SPACE * value / top
        y = i * ROW + (ROW - BAR) / 2
        chart.bars.append(Bar(label, value, LABEL_WIDTH + 8, y, max(width, 2 if value else 0), BAR,
                              LABEL_WIDTH + 8 + width + 6, i * ROW + ROW / 2))
    chart.height = max(len(chart.rows), 1) * ROW
    return chart


def _draw_columns(chart: Chart) -> Chart:
    n = max(len(chart.rows), 1)
    top = max((value for _, value in chart.rows), default=0) or 1
    slot = (WIDTH - PLOT_LEFT - PLOT_RIGHT) / n
    step = math.ceil(n / MAX_AXIS_LABELS)
    for i, (label, value) in enumerate(chart.rows):
        height = PLOT_HEIGHT * value / top
        x = PLOT_LEFT + i * slot + slot * 0.15
        chart.bars.append(Bar(label, value, x, PLOT_TOP + PLOT_HEIGHT - height, slot * 0.7,
                              max(height, 1 if value else 0), x + slot * 0.35, PLOT_TOP + PLOT_HEIGHT + 18,
                              show_label=i % step == 0, show_value=n <= MAX_VALUE_TEXTS))
    chart.height = PLOT_TOP + PLOT_HEIGHT + AXIS_SPACE
    return chart


def chart(id: str, title: str, column: str, rows: list[tuple[str, int]], kind: str = "rows",
          note: str | None = None, summed: bool = True) -> Chart:
    made = Chart(id, title, column, rows, kind, note, summed)
    return _draw_columns(made) if kind == "columns" else _draw_rows(made)


def short_date(day: date) -> str:
    return f"{day.day} {MONTHS[day.month - 1]}"


def _scheme_names(scope: Scope) -> dict[str, str]:
    names: dict[str, str] = {}
    for key, municipality in municipalities.load_all().items():
        if scope is None or key in scope:
            names.update({s.key: s.name for s in municipality.schemes if s.key not in names})
    return names


def _labelled(counts: dict[str, int], labels: dict[str, str]) -> list[tuple[str, int]]:
    return [(labels.get(key, key), n) for key, n in counts.items()]


def charts(found: Figures, scope: Scope, names: dict[str, str]) -> list[Chart]:
    """The page's charts, in reading order, with Dutch labels."""
    made = [
        chart("dag", "Gesprekken per dag", "Dag",
              [(short_date(day), n) for day, n in found.per_day.items()], "columns"),
        chart("week", "Gesprekken per week", "Week",
              [(f"week {w.split('-W')[1].lstrip('0')} ({w[:4]})", n) for w, n in found.per_week.items()],
              "columns" if len(found.per_week) > 1 else "rows",
              "Een week die maar voor een deel in de periode valt, telt alleen die dagen."),
    ]
    if scope is None or len(scope) > 1:
        made.append(chart("gemeente", "Gesprekken per gemeente", "Gemeente",
                          _labelled(found.per_municipality, names | {UNKNOWN: "Gemeente onbekend"})))
    made += [
        chart("onderwerp", "Vragen per onderwerp", "Onderwerp", _labelled(found.topics, topic_labels())),
        chart("overdracht", "Doorverwijzing naar een medewerker in de chat", "Wat gebeurde er",
              _labelled(found.handoffs, LABELS["handoffs"]),
              note="Geteld in de periode waarin de ouder erom vroeg. Je ziet hoe het nu is afgelopen.",
              summed=False),
        chart("terugbellen", "Terugbelverzoeken", "Wat gebeurde er",
              _labelled(found.callbacks, LABELS["callbacks"]),
              note="Geteld in de periode waarin de afspraak is gemaakt.", summed=False),
        chart("niveau", "Uitkomst van de screening", "Uitkomst",
              _labelled(found.screening_levels, LABELS["levels"])),
        chart("domein", "Onderwerpen uit de screening", "Onderwerp",
              _labelled(found.screening_domains, LABELS["domains"]),
              note="Eén screening kan meer onderwerpen hebben.", summed=False),
        chart("check", "Regelingencheck", "Uitkomst", _labelled(found.schemes_checks, LABELS["checks"]),
              summed=False),
        chart("regeling", "Regelingen die uit de check kwamen", "Regeling",
              _labelled(found.schemes, _scheme_names(scope)),
              note="Eén check kan meer regelingen geven.", summed=False),
    ]
    score = found.feedback
    share = "Nog geen duimpjes in deze periode."
    if score.share_positive is not None:
        share = (f"{round(100 * score.share_positive)}% had iets aan het gesprek "
                 f"({score.positive} van de {score.total}).")
    made.append(chart("tevredenheid", "Tevredenheid", "Antwoord",
                      _labelled({"duim_omhoog": score.positive, "duim_omlaag": score.negative},
                                LABELS["feedback"]), note=share))
    return made


# --- the filter --------------------------------------------------------------------------------------


def choices(account: auth.Account, names: dict[str, str]) -> list[tuple[str, str]]:
    """(value, label) of the municipalities this account may choose."""
    if account.municipality == ALL_MUNICIPALITIES:
        return [(ALL, "Alle gemeenten"), *sorted(names.items(), key=lambda i: i[1]),
                (UNKNOWN, "Gemeente onbekend")]
    return [(account.municipality, names.get(account.municipality, account.municipality))]


def scope_of(choice: str) -> Scope:
    """The query's municipality filter for an allowed choice (see _refused)."""
    return None if choice == ALL else [choice]


def _date(text: str, default: date) -> date:
    return date.fromisoformat(text.strip()) if text.strip() else default


@dataclass
class Filter:
    choice: str
    start: str
    end: str
    period: Period | None = None
    error: str | None = None

    def query(self) -> str:
        return urlencode({"gemeente": self.choice, "van": self.start, "tot": self.end})


def read_filter(request: web.Request) -> Filter:
    account: auth.Account = request["account"]
    default = Period.last_weeks(today())
    own = ALL if account.municipality == ALL_MUNICIPALITIES else account.municipality
    query = request.query
    choice = query.get("gemeente", own) or own
    wanted = Filter(own if choice == ALL else choice, query.get("van", default.start.isoformat()),
                    query.get("tot", default.end.isoformat()))
    try:
        start, end = _date(wanted.start, default.start), _date(wanted.end, default.end)
    except ValueError:
        wanted.error = ERRORS["date"]
        return wanted
    if end < start:
        wanted.error = ERRORS["order"]
    elif (end - start).days + 1 > figures.MAX_DAYS:
        wanted.error = ERRORS["long"]
    else:
        wanted.start, wanted.end, wanted.period = start.isoformat(), end.isoformat(), Period(start, end)
    return wanted


def _collect(period: Period, scope: Scope) -> Figures:
    with session_scope() as session:
        return figures.collect(session, period, scope)


def _refused(request: web.Request, account: auth.Account, wanted: Filter,
             names: dict[str, str]) -> web.StreamResponse | None:
    """An error page for a municipality the account may not see (403) or that does not exist (400)."""
    if not account.may_see(wanted.choice):
        return error_page(request, 403, "Je mag de cijfers van deze gemeente niet zien.")
    if wanted.choice not in {value for value, _ in choices(account, names)}:
        return error_page(request, 400, "Deze gemeente ken ik niet. Kies een gemeente uit de lijst.")
    return None


# --- the handlers --------------------------------------------------------------------------------------


@auth.require("coordinator")
async def page(request: web.Request) -> web.StreamResponse:
    account: auth.Account = request["account"]
    wanted, names = read_filter(request), municipality_names()
    refused = _refused(request, account, wanted, names)
    if refused is not None:
        return refused
    scope = scope_of(wanted.choice)
    context = {"nav": "cijfers", "filter": wanted, "choices": choices(account, names), "charts": [],
               "width": WIDTH, "label_width": LABEL_WIDTH,
               "plot": (PLOT_LEFT, WIDTH - PLOT_RIGHT, PLOT_TOP, PLOT_HEIGHT)}
    if wanted.period is None:
        return render(request, "figures.html", status=400, **context)
    found = await asyncio.to_thread(_collect, wanted.period, scope)
    context["charts"] = charts(found, scope, names)
    context["period_label"] = f"{short_date(wanted.period.start)} {wanted.period.start.year} tot en met " \
                              f"{short_date(wanted.period.end)} {wanted.period.end.year}"
    return render(request, "figures.html", **context)


@auth.require("coordinator")
async def csv_export(request: web.Request) -> web.StreamResponse:
    account: auth.Account = request["account"]
    wanted = read_filter(request)
    refused = _refused(request, account, wanted, municipality_names())
    if refused is not None:
        return refused
    scope = scope_of(wanted.choice)
    if wanted.period is None:
        return error_page(request, 400, wanted.error)
    found = await asyncio.to_thread(_collect, wanted.period, scope)
    name = f"cijfers-{wanted.choice}-{wanted.start}-{wanted.end}.csv"
    return web.Response(body=figures.to_csv(found.rows()).encode("utf-8"), content_type="text/csv",
                        charset="utf-8", headers={"Content-Disposition": f'attachment; filename="{name}"'})


def setup(console: web.Application) -> None:
    console.router.add_get("/cijfers", page)
    console.router.add_get("/cijfers.csv", csv_export)
