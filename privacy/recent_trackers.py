"""The trackers this Rasa process saved last, so the next message of a conversation can skip loading it.

Loading a tracker (privacy/tracker_window.py: several queries, then replaying some fifty events) took a
fifth of Rasa's time per message (issue 15). A tracker Rasa just saved is the conversation as stored,
so the next message can start from that object, as long as:

- the newest stored event of the conversation is still the one this process wrote: another replica's
  message, a deletion or the retention job changes it (one indexed query tells);
- the tracker has exactly the events it had when saved: a message that failed halfway added events
  that were never stored;
- it has not grown past `limit` messages of the parent and holds one session: otherwise it is loaded
  again (a window of the current session), so what the policies replay and the action server receives
  stays what a load gives (issue 15 part 3).

Bounded to `size` conversations, least recently used first out. Only within one process: there is
nothing to keep consistent between replicas beyond the check above.
"""

from __future__ import annotations

import threading
from collections import OrderedDict
from typing import NamedTuple

from rasa.shared.core.events import SessionStarted, UserUttered
from rasa.shared.core.trackers import DialogueStateTracker

DEFAULT_SIZE = 256


class _Saved(NamedTuple):
    tracker: DialogueStateTracker
    last_id: int
    events: int


class RecentTrackers:
    def __init__(self, size: int = DEFAULT_SIZE, limit: int | None = None) -> None:
        self.size = size
        self.limit = limit  # most messages of the parent a reused tracker may hold; None: no limit
        self._saved: OrderedDict[str, _Saved] = OrderedDict()
        self._lock = threading.Lock()

    def remember(self, tracker: DialogueStateTracker, last_id: int | None) -> None:
        """`tracker` was just stored, its newest event with `last_id`."""
        if self.size <= 0 or last_id is None or not self._as_loaded(tracker):
            self.forget(tracker.sender_id)
            return
        with self._lock:
            self._saved[tracker.sender_id] = _Saved(tracker, last_id, len(tracker.events))
            self._saved.move_to_end(tracker.sender_id)
            while len(self._saved) > self.size:
                self._saved.popitem(last=False)

    def recall(self, sender_id: str, last_id: int | None) -> DialogueStateTracker | None:
        """The saved tracker if the database's newest event of `sender_id` is still `last_id`."""
        with self._lock:
            saved = self._saved.pop(sender_id, None)
        if saved is None or saved.last_id != last_id or len(saved.tracker.events) != saved.events:
            return None
        return saved.tracker  # taken out: the message being handled owns it until it is saved again

    def forget(self, sender_id: str) -> None:
        with self._lock:
            self._saved.pop(sender_id, None)

    def _as_loaded(self, tracker: DialogueStateTracker) -> bool:
        """Whether the tracker is no bigger than a load of its conversation would be."""
        messages = sessions = 0
        for event in tracker.events:
            messages += isinstance(event, UserUttered)
            sessions += isinstance(event, SessionStarted)
        return sessions <= 1 and (self.limit is None or messages <= self.limit)
