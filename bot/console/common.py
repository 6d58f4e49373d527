"""What several console pages share: the Dutch day and clock, and the names an expert reads.

Times are stored in UTC; experts read them in Europe/Amsterdam (bot/domain/names.py, as the figures do).
Names come from the data files; a key without a file stays readable as the key itself.
"""

from __future__ import annotations

import logging
from datetime import date, datetime

from bot.console.texts import text
from bot.domain import content, municipalities
from bot.domain.names import TIMEZONE
from bot.store.figures import SAFETY_TOPIC

log = logging.getLogger(__name__)


def today() -> date:
    """Today in the Netherlands: callback days and figure periods are local days."""
    return datetime.now(TIMEZONE).date()


def clock(moment: datetime | None) -> str:
    """'09:05' in Dutch local time; '' for no moment."""
    return moment.astimezone(TIMEZONE).strftime("%H:%M") if moment else ""


def municipality_names() -> dict[str, str]:
    """{key: name} of every municipality with a file; {} when the files cannot be read (logged)."""
    try:
        return {key: found.name for key, found in municipalities.load_all().items()}
    except municipalities.MunicipalityDataError:
        log.exception("console: the municipality files could not be read")
        return {}


def municipality_name(key: str) -> str:
    return municipality_names().get(key, key)


def topic_labels() -> dict[str, str]:
    """{topic key: the label a parent sees on its button}, and the safety row of the figures."""
    topics = {topic.key: topic.label for topic in content.topics()}
    return topics | {SAFETY_TOPIC: text("safety_topic")}
