"""Rasa's SQL tracker store, made private: personal numbers are masked before they are written,
and a conversation whose user asked to delete it is removed from the database.

Configured in endpoints.yml (`type: privacy.tracker_store.PrivateSQLTrackerStore`); works on
SQLite and PostgreSQL like the store it extends.
"""

from __future__ import annotations

import json
import logging

from rasa.core.tracker_store import SQLTrackerStore
from rasa.shared.core.events import ActionExecuted
from rasa.shared.core.trackers import DialogueStateTracker
from rasa.shared.nlu.constants import INTENT_NAME_KEY

from privacy.redact import redact_data

logger = logging.getLogger(__name__)

DELETE_ACTION = "action_delete_conversation"


class PrivateSQLTrackerStore(SQLTrackerStore):
    async def save(self, tracker: DialogueStateTracker) -> None:
        # Unlike the parent we stream no events to a broker: none is configured, and a broker
        # would receive the unmasked text.
        with self.session_scope() as session:
            events = list(self._additional_events(session, tracker))
            if any(isinstance(e, ActionExecuted) and e.action_name == DELETE_ACTION for e in events):
                deleted = (
                    session.query(self.SQLEvent)
                    .filter(self.SQLEvent.sender_id == tracker.sender_id)
                    .delete(synchronize_session=False)
                )
                session.commit()
                logger.info("Conversation deleted on the user's request (%d events).", deleted)
                return

            for event in events:
                data = redact_data(event.as_dict())
                session.add(
                    self.SQLEvent(
                        sender_id=tracker.sender_id,
                        type_name=event.type_name,
                        timestamp=data.get("timestamp"),
                        intent_name=data.get("parse_data", {}).get("intent", {}).get(INTENT_NAME_KEY),
                        action_name=data.get("name"),
                        data=json.dumps(data),
                    )
                )
            session.commit()
