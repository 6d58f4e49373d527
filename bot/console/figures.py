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

from bot.console import auth
from bot.console.accounts import ALL_MUNICIPALITIES
from bot.console.common import municipality_names, today, topic_labels
from bot.console.render import error_page, render
from bot.console.texts import labels, text
from bot.domain import municipalities
from bot.domain.names import UNKNOWN_MUNICIPALITY
from bot.store import figures
from bot.store.db import session_scope
from bot.store.figures import Figures, Period, Scope

ALL = "alle"
# Short month names on the date axis: like the weekdays in actions/, names rather than texts to review.
MONTHS = ("jan", "feb", "mrt", "apr", "mei", "jun", "jul", "aug", "sep", "okt", "nov", "dec")
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
            return text("figures.no_counts")
        label, value = max(self.rows, key=lambda row: row[1])
        most = text("figures.most", label=label, value=value)
        return f"{text('figures.total', total=self.total)} {most}" if self.summed else most


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


def chart(id: str, rows: list[tuple[str, int]], kind: str = "rows", note: str | None = None,
          summed: bool = True) -> Chart:
    """A chart with its title, column header and note from data/console_texts.yml (figures.charts.<id>)."""
    words = labels(f"figures.charts.{id}")
    made = Chart(id, words["title"], words["column"], rows, kind, note or words.get("note"), summed)
    return _draw_columns(made) if kind == "columns" else _draw_rows(made)


def short_date(day: date) -> str:
    return f"{day.day} {MONTHS[day.month - 1]}"


def _scheme_names(scope: Scope) -> dict[str, str]:
    names: dict[str, str] = {}
    for key, municipality in municipalities.load_all().items():
        if scope is None or key in scope:
            names.update({s.key: s.name for s in municipality.schemes if s.key not in names})
    return names


def _labelled(counts: dict[str, int], wording: dict[str, str]) -> list[tuple[str, int]]:
    return [(wording.get(key, key), n) for key, n in counts.items()]


def charts(found: Figures, scope: Scope, names: dict[str, str]) -> list[Chart]:
    """The page's charts, in reading order, with Dutch labels."""
    weeks = [(text("figures.week", week=w.split("-W")[1].lstrip("0"), year=w[:4]), n)
             for w, n in found.per_week.items()]
    made = [
        chart("dag", [(short_date(day), n) for day, n in found.per_day.items()], "columns"),
        chart("week", weeks, "columns" if len(found.per_week) > 1 else "rows"),
    ]
    if scope is None or len(scope) > 1:
        unknown = {UNKNOWN_MUNICIPALITY: text("figures.unknown_municipality")}
        made.append(chart("gemeente", _labelled(found.per_municipality, names | unknown)))
    made += [
        chart("onderwerp", _labelled(found.topics, topic_labels())),
        chart("overdracht", _labelled(found.handoffs, labels("figures.labels.handoffs")), summed=False),
        chart("terugbellen", _labelled(found.callbacks, labels("figures.labels.callbacks")), summed=False),
        chart("niveau", _labelled(found.screening_levels, labels("figures.labels.levels"))),
        chart("domein", _labelled(found.screening_domains, labels("figures.labels.domains")), summed=False),
        chart("check", _labelled(found.schemes_checks, labels("figures.labels.checks")), summed=False),
        chart("regeling", _labelled(found.schemes, _scheme_names(scope)), summed=False),
    ]
    score = found.feedback
    share = text("figures.no_feedback")
    if score.share_positive is not None:
        share = text("figures.share", percent=round(100 * score.share_positive), positive=score.positive,
                     total=score.total)
    thumbs = {"duim_omhoog": score.positive, "duim_omlaag": score.negative}
    made.append(chart("tevredenheid", _labelled(thumbs, labels("figures.labels.feedback")), note=share))
    return made


# --- the filter --------------------------------------------------------------------------------------


def choices(account: auth.Account, names: dict[str, str]) -> list[tuple[str, str]]:
    """(value, label) of the municipalities this account may choose."""
    if account.municipality == ALL_MUNICIPALITIES:
        return [(ALL, text("figures.all_municipalities")), *sorted(names.items(), key=lambda i: i[1]),
                (UNKNOWN_MUNICIPALITY, text("figures.unknown_municipality"))]
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
        wanted.error = text("figures.errors.date")
        return wanted
    if end < start:
        wanted.error = text("figures.errors.order")
    elif (end - start).days + 1 > figures.MAX_DAYS:
        wanted.error = text("figures.errors.long", days=figures.MAX_DAYS)
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
        return error_page(request, 403, text("figures.errors.not_allowed"))
    if wanted.choice not in {value for value, _ in choices(account, names)}:
        return error_page(request, 400, text("figures.errors.unknown_municipality"))
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
    period = wanted.period
    context["period_label"] = text("figures.period", start=f"{short_date(period.start)} {period.start.year}",
                                   end=f"{short_date(period.end)} {period.end.year}")
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
