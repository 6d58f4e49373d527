"""The municipality's monitoring figures: anonymous counts over a period, never text or a conversation id.

Periods are local dates in Europe/Amsterdam, both ends included; rows are stored in UTC. Grouping by
day happens in Python, so the same code runs on SQLite and PostgreSQL. A municipality filter is a
collection of keys in which UNKNOWN_MUNICIPALITY ("onbekend") stands for rows without one.

Hand-overs, callbacks and outcomes are counted by the period in which they were created (a cohort):
"ended how" is their status now. Anonymous events (`events`) survive the deletion of a conversation
by design; the other tables lose a conversation's rows when a parent deletes it.
"""

from __future__ import annotations

import csv
import io
import re
from collections import Counter
from collections.abc import Collection, Iterable
from dataclasses import dataclass
from datetime import date, datetime, time, timedelta, timezone

from sqlalchemy import false, func, or_, select, true
from sqlalchemy.orm import Session

from bot.domain import content
from bot.domain.names import (
    SAFETY_INTENTS,
    TIMEZONE,
    UNKNOWN_MUNICIPALITY,
    CallbackStatus,
    HandoffStatus,
    ScreeningLevel,
)
from bot.store.models import (
    Callback,
    Event,
    Feedback,
    HandoffRequest,
    SchemesOutcome,
    ScreeningOutcome,
)

SAFETY_TOPIC = "veiligheid"
RETRIEVAL_INTENT = "faq"
# Event kinds the tracker store records (privacy/tracker_store.py) and the actions record.
CONVERSATION_STARTED = "conversation_started"
QUESTION = "question"
HANDOFF_UNAVAILABLE = "handoff_unavailable"
# What the widget and Telegram's /start send for the parent when a chat opens (Rasa answers with the
# greeting): not the parent's words, so it neither starts a conversation in the figures nor shows in a
# transcript.
OPENING_MESSAGE = "/greet"
MAX_DAYS = 366
CSV_DELIMITER = ";"  # Dutch Excel reads ';' (the ',' is its decimal separator)
CSV_HEADER = ("indicator", "sleutel", "periode", "aantal")

_TOPIC = re.compile(r"^[a-z]{2,40}$")

Scope = Collection[str] | None  # municipality keys (UNKNOWN_MUNICIPALITY = none); None = every row


def known_topics() -> tuple[str, ...]:
    """The FAQ topics in the order the assistant shows them (data/topics.yml), then the safety row."""
    return (*[topic.key for topic in content.topics()], SAFETY_TOPIC)


def topic_of(intent: str | None, intent_response_key: str | None) -> str | None:
    """The topic of one user message: 'faq/scheiding_advocaat' -> 'scheiding', safety -> 'veiligheid'.

    None for messages that are not a question (greetings, forms, fallbacks).
    """
    if intent in SAFETY_INTENTS:
        return SAFETY_TOPIC
    if intent != RETRIEVAL_INTENT or not intent_response_key:
        return None
    _, _, answer = intent_response_key.partition("/")
    topic = answer.split("_", 1)[0]
    return topic if _TOPIC.match(topic) else None


@dataclass(frozen=True)
class Period:
    """Local dates, both included."""

    start: date
    end: date

    def __post_init__(self) -> None:
        if self.end < self.start:
            raise ValueError("the period ends before it starts")
        if self.days > MAX_DAYS:
            raise ValueError(f"a period is at most {MAX_DAYS} days")

    @classmethod
    def last_weeks(cls, today: date, weeks: int = 4) -> Period:
        return cls(today - timedelta(weeks=weeks) + timedelta(days=1), today)

    @property
    def days(self) -> int:
        return (self.end - self.start).days + 1

    def bounds(self) -> tuple[datetime, datetime]:
        """[start, end) in UTC: from local midnight of the first day to local midnight after the last."""
        def midnight(day: date) -> datetime:
            return datetime.combine(day, time(0), TIMEZONE).astimezone(timezone.utc)

        return midnight(self.start), midnight(self.end + timedelta(days=1))

    def dates(self) -> list[date]:
        return [self.start + timedelta(days=n) for n in range(self.days)]

    def label(self) -> str:
        """ISO 8601 interval, for totals in the CSV."""
        return f"{self.start.isoformat()}/{self.end.isoformat()}"


def local_date(moment: datetime) -> date:
    return moment.astimezone(TIMEZONE).date()


def iso_week(day: date) -> str:
    year, week, _ = day.isocalendar()
    return f"{year}-W{week:02d}"


def _in_scope(column, scope: Scope):
    """A where-clause for the municipality filter."""
    if scope is None:
        return true()
    keys = [key for key in scope if key != UNKNOWN_MUNICIPALITY]
    conditions = [column.in_(keys)] if keys else []
    if UNKNOWN_MUNICIPALITY in scope:
        conditions += [column.is_(None), column == UNKNOWN_MUNICIPALITY]
    return or_(*conditions) if conditions else false()


def _created(model, period: Period):
    start, end = period.bounds()
    return (model.created_at >= start, model.created_at < end)


def _event_times(session: Session, kind: str, period: Period, scope: Scope) -> list[datetime]:
    return list(session.execute(
        select(Event.created_at).where(Event.kind == kind, *_created(Event, period),
                                       _in_scope(Event.municipality, scope))
    ).scalars())


def _count_by(session: Session, column, model, period: Period, scope: Scope, *where) -> Counter:
    rows = session.execute(
        select(column, func.count()).where(*_created(model, period), _in_scope(model.municipality, scope),
                                           *where).group_by(column)
    )
    return Counter({key: n for key, n in rows})


def conversations_per_day(session: Session, period: Period, scope: Scope = None) -> dict[date, int]:
    """Every day of the period, days without a conversation included (0)."""
    counted = Counter(local_date(t) for t in _event_times(session, CONVERSATION_STARTED, period, scope))
    return {day: counted[day] for day in period.dates()}


def conversations_per_week(session: Session, period: Period, scope: Scope = None) -> dict[str, int]:
    """ISO weeks ('2030-W10'); a week cut off by the period counts only its days inside it."""
    return _weeks(conversations_per_day(session, period, scope))


def _weeks(per_day: dict[date, int]) -> dict[str, int]:
    weeks: dict[str, int] = {}
    for day, n in per_day.items():
        weeks[iso_week(day)] = weeks.get(iso_week(day), 0) + n
    return weeks


def conversations_per_municipality(session: Session, period: Period, scope: Scope = None) -> dict[str, int]:
    counted = _count_by(session, Event.municipality, Event, period, scope, Event.kind == CONVERSATION_STARTED)
    result = Counter()
    for key, n in counted.items():
        result[key or UNKNOWN_MUNICIPALITY] += n
    return dict(sorted(result.items()))


def questions_per_topic(session: Session, period: Period, scope: Scope = None) -> dict[str, int]:
    """Every known topic (0 when not asked) and 'veiligheid'; an unknown topic is added at the end."""
    counted = _count_by(session, Event.topic, Event, period, scope, Event.kind == QUESTION)
    topics = known_topics()
    result = {topic: counted.get(topic, 0) for topic in topics}
    result.update({topic: n for topic, n in sorted(counted.items(), key=lambda i: str(i[0]))
                   if topic not in result and topic})
    return result


HANDOFF_KEYS = ("aangevraagd", "overgenomen", "afgesloten", "verlopen", "geannuleerd", "wacht_nog",
                "niemand_vrij")
_HANDOFF_STATUS = {HandoffStatus.CLOSED: "afgesloten", HandoffStatus.EXPIRED: "verlopen",
                   HandoffStatus.CANCELLED: "geannuleerd", HandoffStatus.WAITING: "wacht_nog"}


def handoffs(session: Session, period: Period, scope: Scope = None) -> dict[str, int]:
    """Requests made in the period and how they ended; 'niemand_vrij': the offer a person got none."""
    by_status = _count_by(session, HandoffRequest.status, HandoffRequest, period, scope)
    taken = session.execute(
        select(func.count()).where(*_created(HandoffRequest, period),
                                   _in_scope(HandoffRequest.municipality, scope),
                                   HandoffRequest.taken_at.is_not(None))
    ).scalar_one()
    result = dict.fromkeys(HANDOFF_KEYS, 0)
    result["aangevraagd"] = sum(by_status.values())
    result["overgenomen"] = taken  # closed ones were taken first, so this is not a status count
    for status, key in _HANDOFF_STATUS.items():
        result[key] = by_status.get(status, 0)
    result["niemand_vrij"] = len(_event_times(session, HANDOFF_UNAVAILABLE, period, scope))
    return result


CALLBACK_KEYS = ("geboekt", "gebeld", "geen_gehoor", "geannuleerd", "open")
_CALLBACK_STATUS = {CallbackStatus.DONE: "gebeld", CallbackStatus.NO_ANSWER: "geen_gehoor",
                    CallbackStatus.CANCELLED: "geannuleerd", CallbackStatus.PENDING: "open"}


def callbacks(session: Session, period: Period, scope: Scope = None) -> dict[str, int]:
    by_status = _count_by(session, Callback.status, Callback, period, scope)
    result = dict.fromkeys(CALLBACK_KEYS, 0)
    result["geboekt"] = sum(by_status.values())
    for status, key in _CALLBACK_STATUS.items():
        result[key] = by_status.get(status, 0)
    return result


def screening_levels(session: Session, period: Period, scope: Scope = None) -> dict[str, int]:
    counted = _count_by(session, ScreeningOutcome.level, ScreeningOutcome, period, scope)
    return {level.value: counted.get(level, 0) for level in ScreeningLevel}


def _list_counts(session: Session, column, model, period: Period, scope: Scope) -> tuple[Counter, int, int]:
    """Counts of the items of a JSON list column, the number of rows, and the rows with an empty list."""
    items, rows, empty = Counter(), 0, 0
    for values in session.execute(
        select(column).where(*_created(model, period), _in_scope(model.municipality, scope))
    ).scalars():
        rows += 1
        empty += not values
        items.update(str(v) for v in values or [])
    return items, rows, empty


def screening_domains(session: Session, period: Period, scope: Scope = None) -> dict[str, int]:
    """How often each domain came out of a screening (one screening can have several)."""
    items, _, _ = _list_counts(session, ScreeningOutcome.domains, ScreeningOutcome, period, scope)
    return dict(sorted(items.items(), key=lambda i: (-i[1], i[0])))


def schemes(session: Session, period: Period, scope: Scope = None) -> dict[str, int]:
    """How often each scheme came out of the schemes check, most frequent first."""
    items, _, _ = _list_counts(session, SchemesOutcome.schemes, SchemesOutcome, period, scope)
    return dict(sorted(items.items(), key=lambda i: (-i[1], i[0])))


def schemes_checks(session: Session, period: Period, scope: Scope = None) -> dict[str, int]:
    _, rows, empty = _list_counts(session, SchemesOutcome.schemes, SchemesOutcome, period, scope)
    return {"gedaan": rows, "geen_regeling": empty}


@dataclass(frozen=True)
class FeedbackScore:
    positive: int
    negative: int

    @property
    def total(self) -> int:
        return self.positive + self.negative

    @property
    def share_positive(self) -> float | None:
        """0..1, or None without any feedback."""
        return self.positive / self.total if self.total else None


def feedback(session: Session, period: Period, scope: Scope = None) -> FeedbackScore:
    """Thumbs up and down; feedback without a municipality counts as UNKNOWN_MUNICIPALITY."""
    counted = _count_by(session, Feedback.helpful, Feedback, period, scope)
    return FeedbackScore(positive=counted.get(True, 0), negative=counted.get(False, 0))


@dataclass(frozen=True)
class Row:
    indicator: str
    key: str
    period: str
    count: int


@dataclass
class Figures:
    period: Period
    per_day: dict[date, int]
    per_week: dict[str, int]
    per_municipality: dict[str, int]
    topics: dict[str, int]
    handoffs: dict[str, int]
    callbacks: dict[str, int]
    screening_levels: dict[str, int]
    screening_domains: dict[str, int]
    schemes: dict[str, int]
    schemes_checks: dict[str, int]
    feedback: FeedbackScore

    def rows(self) -> list[Row]:
        """One row per indicator, key and period: what the CSV holds."""
        whole = self.period.label()
        rows = [Row("gesprekken_per_dag", "gesprekken", day.isoformat(), n)
                for day, n in self.per_day.items()]
        rows += [Row("gesprekken_per_week", "gesprekken", week, n) for week, n in self.per_week.items()]
        totals: list[tuple[str, dict[str, int]]] = [
            ("gesprekken_per_gemeente", self.per_municipality),
            ("vragen_per_onderwerp", self.topics),
            ("overdrachten", self.handoffs),
            ("terugbelverzoeken", self.callbacks),
            ("screening_niveau", self.screening_levels),
            ("screening_domein", self.screening_domains),
            ("regelingencheck", self.schemes_checks),
            ("regelingen", self.schemes),
            ("feedback", {"duim_omhoog": self.feedback.positive, "duim_omlaag": self.feedback.negative}),
        ]
        for indicator, counts in totals:
            rows += [Row(indicator, key, whole, n) for key, n in counts.items()]
        return rows


def collect(session: Session, period: Period, scope: Scope = None) -> Figures:
    """Every indicator for one period and municipality filter."""
    per_day = conversations_per_day(session, period, scope)
    return Figures(
        period=period, per_day=per_day, per_week=_weeks(per_day),
        per_municipality=conversations_per_municipality(session, period, scope),
        topics=questions_per_topic(session, period, scope),
        handoffs=handoffs(session, period, scope), callbacks=callbacks(session, period, scope),
        screening_levels=screening_levels(session, period, scope),
        screening_domains=screening_domains(session, period, scope),
        schemes=schemes(session, period, scope), schemes_checks=schemes_checks(session, period, scope),
        feedback=feedback(session, period, scope),
    )


def to_csv(rows: Iterable[Row]) -> str:
    """Semicolon-separated with a header, CRLF line ends (RFC 4180), as Dutch Excel opens it."""
    out = io.StringIO()
    writer = csv.writer(out, delimiter=CSV_DELIMITER, lineterminator="\r\n")
    writer.writerow(CSV_HEADER)
    writer.writerows((row.indicator, row.key, row.period, row.count) for row in rows)
    return out.getvalue()
