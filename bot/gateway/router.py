"""The router: per conversation BOT mode (messages go to Rasa) or HUMAN mode (to the expert).

The mode lives in the database, so a restart loses nothing: waiting hand-overs get their timeout
back on start-up (`recover`). A hand-over starts when a Rasa reply carries the custom message
`{"handoff": {"id": ..., "reason": ...}}` from action_handoff; it ends when the expert hands the
conversation back, the parent says "terug naar de bot", or nobody takes it within the timeout
(then the parent is offered a callback). The expert can also close the chat (`close_by_expert`).

Listeners (the expert console) get every live event with the hand-over's id: "queued", "taken",
"message", "left", "expired", "handed_back", "closed", and "erased" (the parent erased it all).

Every change of a hand-over's status (and the mode that goes with it) is a transition of
bot/store/handoffs.py; the router decides when, and tells the parent and the listeners. The router is
the console's `LiveChat` (bot/console/livechat.py): the console reaches it through that interface only.

Several gateways (REDIS_URL set, bot/gateway/bus.py): every live event also goes to the other
gateways' routers, which hand it to their own listeners, so every console hears every event once.
What each router keeps in memory, and why that is enough:

- `_timers` (hand-over timeouts): the gateway that queued a hand-over starts one, and so does every
  other gateway when it hears "queued" (and `recover` at start-up for all waiting ones), so a
  hand-over still expires when its gateway died. The store's `expire` is conditional and locks the
  conversation, so exactly one gateway expires it and tells the parent; a timer only expires the
  hand-over it was started for. An ending event from another gateway stops the local timer.
- `_expert_wrote` (for the safety helplines): an expert's message heard from another gateway counts
  too. `_safety_timers` run where the parent's messages arrive (their socket's gateway).
- `_acknowledged` ("er komt zo iemand", once per hand-over) and `_turns` (one message at a time per
  conversation): a parent's messages arrive at one gateway (sticky sessions; Telegram runs on one).
- A message for a parent on a channel this gateway does not run (Telegram) goes over the bus to the
  gateway that runs it; the web chat reaches a socket on any gateway by itself (socket.io over Redis).
"""

from __future__ import annotations

import asyncio
import contextlib
import hashlib
import hmac
import logging
from collections.abc import Awaitable, Callable
from datetime import datetime

import httpx

from bot.domain.names import ConversationMode, action_failed, utcnow
from bot.domain.redact import redact
from bot.gateway.bus import Bus, LocalBus
from bot.gateway.channels import Channel
from bot.gateway.metrics import KIND_OF_INTENT, Metrics, safety_kinds
from bot.gateway.rasa import AsyncRasa
from bot.gateway.texts import button, texts
from bot.store import handoffs, records
from bot.store.db import read_scope, session_scope
from bot.store.models import Conversation, HandoffRequest
from language import safety
from language.normalize import REPLACEMENT, clean

log = logging.getLogger(__name__)

MAX_MESSAGE_CHARS = 2000
CHANGE_GEMEENTE = "/change_gemeente"  # the button under "Je zit op de website van ..." (domain.yml)
# In HUMAN mode a safety signal is flagged to the expert at once; the parent gets the helplines from
# the gateway when no expert has written within this many seconds.
SAFETY_REPLY_SECONDS = 60.0
# Listeners (the expert console) hear about every live event: (conversation id, event dict).
Listener = Callable[[str, dict], Awaitable[None]]
# Events after which a hand-over no longer waits: another gateway's timer for it can stop.
ENDING_EVENTS = frozenset({"taken", "left", "expired", "handed_back", "closed", "erased"})


class Router:
    max_message_chars = MAX_MESSAGE_CHARS  # also what an expert may write (the console's LiveChat)

    def __init__(self, rasa: AsyncRasa, *, secret: str, handoff_timeout: float = 300.0,
                 safety_reply_seconds: float = SAFETY_REPLY_SECONDS, metrics: Metrics | None = None,
                 bus: Bus | None = None) -> None:
        self.rasa = rasa
        # The other gateway processes (bot/gateway/bus.py); with one gateway nobody else to tell.
        self.bus: Bus = bus or LocalBus()
        # Counts only (bot/gateway/metrics.py); a router of its own in the tests gets its own registry.
        self.metrics = metrics or Metrics(with_store=False)
        self.secret = secret.encode()
        self.handoff_timeout = handoff_timeout
        self.safety_reply_seconds = safety_reply_seconds
        self._safety_timers: dict[str, asyncio.Task] = {}
        self._expert_wrote: dict[str, float] = {}  # conversation id -> loop time of the expert's last message
        self.channels: dict[str, Channel] = {}
        self.listeners: list[Listener] = []
        self._timers: dict[str, asyncio.Task] = {}
        self._timer_handoffs: dict[str, str | None] = {}  # conversation id -> the hand-over its timer is for
        # Waiting conversations already told "er komt zo iemand": conversation id -> that hand-over's id.
        self._acknowledged: dict[str, str | None] = {}
        # One message at a time per conversation: socket.io and Telegram hand us each message as its own
        # task, and without this a quick second message could overtake the first on its way to Rasa.
        self._turns: dict[str, asyncio.Lock] = {}
        self._turn_users: dict[str, int] = {}

    # --- wiring -----------------------------------------------------------------------------------

    def register(self, channel: Channel) -> None:
        self.channels[channel.name] = channel

    def subscribe(self, listener: Listener) -> None:
        """Hear every live event from now on (the console's hub); once per listener."""
        if listener not in self.listeners:
            self.listeners.append(listener)

    async def start(self) -> None:
        """Hear the other gateways (the app calls this at start-up; with one gateway it does nothing)."""
        await self.bus.start(self._from_other_gateway)

    def conversation_id(self, channel: str, address: str) -> str:
        """Rasa's sender id: derived with a secret, so a Telegram chat id never reaches Rasa."""
        digest = hmac.new(self.secret, f"{channel}:{address}".encode(), hashlib.sha256).hexdigest()
        return f"{channel}-{digest[:32]}"

    async def _store(self, function, *args):
        # SQLAlchemy is synchronous: keep the event loop free for other conversations.
        return await asyncio.to_thread(function, *args)

    def _conversation(self, channel: str, address: str) -> Conversation:
        """The conversation's row; a conversation that never left the bot has none (BOT by default), so
        the common path only reads, without SQLite's write lock. The row is written on hand-over."""
        conversation_id = self.conversation_id(channel, address)
        with read_scope() as session:
            found = session.get(Conversation, conversation_id)
        return found or Conversation(id=conversation_id, channel=channel, address=address,
                                     mode=ConversationMode.BOT)

    @contextlib.asynccontextmanager
    async def _turn(self, key: str):
        """Serialise the messages of one conversation; the lock is dropped when nobody waits for it."""
        lock = self._turns.setdefault(key, asyncio.Lock())
        self._turn_users[key] = self._turn_users.get(key, 0) + 1
        try:
            async with lock:
                yield
        finally:
            self._turn_users[key] -= 1
            if not self._turn_users[key]:
                del self._turn_users[key], self._turns[key]

    async def _deliver(self, conversation: Conversation, messages: list[dict]) -> None:
        await self._deliver_to(conversation.channel, conversation.address, messages)

    async def _deliver_to(self, channel_name: str, address: str, messages: list[dict],
                          forward: bool = True) -> None:
        channel = self.channels.get(channel_name)
        if not messages:
            return
        if channel is not None:
            await channel.deliver(address, messages)
            self.metrics.messages_out(channel_name, len(messages))
        elif forward and self.bus.shared:
            # A channel another gateway runs (Telegram runs on one): that gateway delivers them.
            self.bus.publish({"kind": "deliver", "channel": channel_name, "address": address,
                              "messages": messages})

    async def _notify(self, conversation_id: str, event: dict) -> None:
        if event.get("type") != "erased" or event.get("handoff_id"):
            self.metrics.handoff_event(str(event.get("type")))
        self.bus.publish({"kind": "event", "conversation_id": conversation_id, "event": event})
        await self._tell_listeners(conversation_id, event)

    async def _from_other_gateway(self, message: dict) -> None:
        """A message from another gateway's router (bot/gateway/bus.py)."""
        if message.get("kind") == "deliver":
            await self._deliver_for_other_gateway(message)
            return
        conversation_id, event = message.get("conversation_id"), message.get("event")
        if message.get("kind") == "event" and isinstance(conversation_id, str) and isinstance(event, dict):
            self._follow(conversation_id, event)
            await self._tell_listeners(conversation_id, event)

    def _follow(self, conversation_id: str, event: dict) -> None:
        """Keep this gateway's timers and notes in step with a live event of another gateway."""
        kind, handoff_id = event.get("type"), event.get("handoff_id")
        if kind == "queued" and (conversation_id not in self._timers
                                 or self._timer_handoffs.get(conversation_id) != handoff_id):
            # A second timer, here: the hand-over still expires if the gateway that queued it dies.
            self._schedule_timeout(conversation_id, self.handoff_timeout, handoff_id)
        elif kind in ENDING_EVENTS:
            if kind == "erased" or self._timer_handoffs.get(conversation_id) in (handoff_id, None):
                self._cancel_timeout(conversation_id)
            self._acknowledged.pop(conversation_id, None)
        elif kind == "message" and event.get("author") == "expert":
            self._expert_wrote[conversation_id] = asyncio.get_running_loop().time()

    async def _deliver_for_other_gateway(self, message: dict) -> None:
        channel, address = message.get("channel"), message.get("address")
        messages = message.get("messages")
        if isinstance(channel, str) and isinstance(address, str) and isinstance(messages, list):
            await self._deliver_to(channel, address, [m for m in messages if isinstance(m, dict)],
                                   forward=False)

    async def _tell_listeners(self, conversation_id: str, event: dict) -> None:
        for listener in list(self.listeners):
            try:
                await listener(conversation_id, event)
            except Exception:  # noqa: BLE001 - one broken console must not stop the chat
                log.exception("router: listener failed")

    # --- messages from a parent -------------------------------------------------------------------

    async def from_user(self, channel: str, address: str, text: str, *, metadata: dict | None = None) -> None:
        """A parent's message; `metadata` (e.g. the site's municipality) goes with it to Rasa."""
        self.metrics.message_in(channel)
        async with self._turn(f"{channel}:{address}"):
            await self._from_user(channel, address, text, metadata)

    async def _from_user(self, channel: str, address: str, text: str, metadata: dict | None) -> None:
        conversation = await self._store(self._conversation, channel, address)
        # Cleaned before anything else sees it: a broken emoji or a control character must not make
        # Rasa's HTTP client, the store or a log fail, and every message gets an answer.
        text = clean(text)
        if len(text) > MAX_MESSAGE_CHARS:
            await self._deliver(conversation, [{"text": texts()["too_long"].format(limit=MAX_MESSAGE_CHARS)}])
            return
        if not text.replace(REPLACEMENT, "").strip():
            await self._deliver(conversation, [{"text": texts()["no_text"], "buttons": [button("help")]}])
            return
        if conversation.mode == ConversationMode.HUMAN:
            await self._to_expert(conversation, text)
            return
        await self._to_bot(conversation, text, metadata)

    async def _to_bot(self, conversation: Conversation, text: str, metadata: dict | None = None) -> None:
        channel = self.channels.get(conversation.channel)
        if channel is not None:
            await channel.typing(conversation.address)
        started = asyncio.get_running_loop().time()
        try:
            replies = await self.rasa.send(conversation.id, text, metadata)
        except (httpx.HTTPError, ValueError):
            log.exception("router: Rasa did not answer")
            self.metrics.rasa_error("send")
            replies = self._without_rasa(text)
        else:
            self.metrics.rasa_reply.observe(asyncio.get_running_loop().time() - started)
            if not replies:
                # Every message gets an answer from the assistant; none means Rasa failed on it (its REST
                # channel answers [] on any error, e.g. a lock store that went away): say so, don't go quiet.
                log.warning("router: Rasa gave no answer")
                self.metrics.rasa_error("empty")
                replies = self._without_rasa(text)
            if any(action_failed(r) for r in replies):
                # An action failed inside Rasa (privacy/rest_channel.py): what Rasa said stays, and the parent
                # is asked to send the message again (then the form starts, the question comes).
                log.warning("router: an action failed in Rasa")
                self.metrics.rasa_error("action")
                said = [r for r in replies if not action_failed(r)]
                sorry = [{"text": texts()["unavailable"]}] if safety_kinds(said) else self._without_rasa(text)
                replies = said + sorry
            self.metrics.bot_replies(replies)
        handoff = next((r["custom"]["handoff"] for r in replies
                        if isinstance(r.get("custom"), dict) and "handoff" in r["custom"]), None)
        # The hand-over message is for the gateway, not for the parent's screen.
        await self._deliver(conversation, [r for r in replies if "handoff" not in (r.get("custom") or {})])
        if handoff:
            await self._start_handoff(conversation, handoff)

    def _without_rasa(self, text: str) -> list[dict]:
        """Rasa unreachable: a friendly message; a safety signal still gets the helplines."""
        signal = safety.load().detect(text)
        if signal == safety.SUICIDE:
            self.metrics.safety_answer(KIND_OF_INTENT[signal], "gateway")
            return [{"text": texts()["helplines_suicide"]}]
        return [{"text": texts()["unavailable"]}]

    async def _safety_signal(self, text: str) -> str | None:
        """The safety intent of a parent's message to an expert: Rasa's NLU (patterns, classifier and
        meaning), or the patterns alone when Rasa cannot be asked."""
        try:
            intent = ((await self.rasa.parse(text)).get("intent") or {}).get("name")
        except (httpx.HTTPError, ValueError):
            self.metrics.rasa_error("parse")
            return safety.load().detect(text)
        return intent if intent in (safety.VIOLENCE, safety.SUICIDE) else None

    async def _flag_safety(self, conversation: Conversation, signal: str) -> None:
        """Tell the expert at once; give the parent the helplines if no expert writes within a minute."""
        note = texts()["expert_safety_flag"]
        self.metrics.safety_answer(KIND_OF_INTENT.get(signal, "other"), "expert_flag")
        await self._store(self._add_live, conversation.id, "system", note)
        await self._notify(conversation.id, {"type": "safety", "handoff_id": conversation.handoff_id,
                                             "signal": signal})
        await self._notify(conversation.id, {"type": "message", "handoff_id": conversation.handoff_id,
                                             "author": "system", "text": note})
        flagged_at = asyncio.get_running_loop().time()
        previous = self._safety_timers.pop(conversation.id, None)
        if previous is not None:
            previous.cancel()
        self._safety_timers[conversation.id] = asyncio.get_running_loop().create_task(
            self._helplines_unless_answered(conversation, signal, flagged_at))

    async def _helplines_unless_answered(self, conversation: Conversation, signal: str, since: float) -> None:
        await asyncio.sleep(self.safety_reply_seconds)
        self._safety_timers.pop(conversation.id, None)
        if self._expert_wrote.get(conversation.id, -1.0) >= since:
            return
        key = "helplines_suicide" if signal == safety.SUICIDE else "helplines_violence"
        self.metrics.safety_answer(KIND_OF_INTENT.get(signal, "other"), "gateway")
        await self._deliver(conversation, [{"text": texts()[key]}])

    async def _to_expert(self, conversation: Conversation, text: str) -> None:
        if text.strip().lower() in texts()["back_to_bot"]:
            await self.leave_queue(conversation.id)
            return
        if text == CHANGE_GEMEENTE:
            # "Ik woon in een andere gemeente" under the hand-over: while nobody has taken the
            # conversation, the bot asks the municipality and hands over to the right team.
            if await self._leave_waiting(conversation.id):
                await self._to_bot(conversation, text)
                return
            text = texts()["change_gemeente_for_expert"]
        stored = redact(text)
        await self._store(self._add_live, conversation.id, "user", stored)
        await self._notify(conversation.id, {"type": "message", "handoff_id": conversation.handoff_id,
                                             "author": "user", "text": stored})
        acknowledged = self._acknowledged.get(conversation.id, "") == conversation.handoff_id
        if not acknowledged and await self._store(self._waiting, conversation):
            self._acknowledged[conversation.id] = conversation.handoff_id
            await self._deliver(conversation, [{"text": texts()["waiting_ack"]}])
        signal = await self._safety_signal(text)
        if signal:
            await self._flag_safety(conversation, signal)

    @staticmethod
    def _add_live(conversation_id: str, author: str, text: str) -> None:
        with session_scope() as session:
            handoffs.add_live_message(session, conversation_id, author, text)

    @staticmethod
    def _waiting(conversation: Conversation) -> bool:
        with session_scope() as session:
            return handoffs.is_waiting(session, conversation.handoff_id)

    # --- the hand-over ----------------------------------------------------------------------------

    async def _start_handoff(self, conversation: Conversation, handoff: dict) -> None:
        position = await self._store(self._enter_queue, conversation, str(handoff.get("id")))
        self._schedule_timeout(conversation.id, self.handoff_timeout, str(handoff.get("id")))
        await self._deliver(conversation, [{"text": texts()["queued"].format(position=position)}])
        await self._notify(conversation.id, {"type": "queued", "handoff_id": str(handoff.get("id"))})

    @staticmethod
    def _enter_queue(known: Conversation, handoff_id: str) -> int:
        with session_scope() as session:
            return handoffs.enter_queue(session, conversation_id=known.id, channel=known.channel,
                                        address=known.address, handoff_id=handoff_id)

    def _schedule_timeout(self, conversation_id: str, seconds: float, handoff_id: str | None = None) -> None:
        """Expire the conversation's hand-over `handoff_id` (None: whichever waits) after `seconds`."""
        self._cancel_timeout(conversation_id)
        self._timer_handoffs[conversation_id] = handoff_id
        self._timers[conversation_id] = asyncio.get_running_loop().create_task(
            self._expire_later(conversation_id, max(0.0, seconds), handoff_id))

    def _no_longer_waiting(self, conversation_id: str) -> None:
        """The hand-over was taken or ended: no timeout and no "er komt zo iemand" note left for it."""
        self._cancel_timeout(conversation_id)
        self._acknowledged.pop(conversation_id, None)

    def _cancel_timeout(self, conversation_id: str) -> None:
        timer = self._timers.pop(conversation_id, None)
        self._timer_handoffs.pop(conversation_id, None)
        if timer is not None and timer is not asyncio.current_task():
            timer.cancel()

    async def _expire_later(self, conversation_id: str, seconds: float,
                            handoff_id: str | None = None) -> None:
        await asyncio.sleep(seconds)
        ended = await self._store(self._expire, conversation_id, handoff_id)
        if self._timers.get(conversation_id) is asyncio.current_task():
            self._timers.pop(conversation_id, None)
            self._timer_handoffs.pop(conversation_id, None)
        if ended is None:
            return  # taken or ended meanwhile (here or on another gateway)
        conversation, handoff_id = ended
        self.metrics.handoff_waited("expired", await self._store(self._waited, handoff_id))
        self._acknowledged.pop(conversation_id, None)
        minutes = max(1, round(self.handoff_timeout / 60))
        await self._deliver(conversation, [{"text": texts()["expired"].format(minutes=minutes),
                                            "buttons": [button("callback")]}])
        await self._notify(conversation_id, {"type": "expired", "handoff_id": handoff_id})

    @staticmethod
    def _expire(conversation_id: str, handoff_id: str | None) -> handoffs.Ended | None:
        with session_scope() as session:
            return handoffs.expire(session, conversation_id, handoff_id=handoff_id)

    @staticmethod
    def _end_handoff(transition: Callable[..., handoffs.Ended | None],
                     conversation_id: str) -> handoffs.Ended | None:
        """One of the store's ending transitions (expire, cancel, hand back, ...) in its own transaction.

        Returns the conversation (back in BOT mode) and the id of the hand-over that ended, or None.
        """
        with session_scope() as session:
            return transition(session, conversation_id)

    async def leave_queue(self, conversation_id: str) -> None:
        """The parent goes back to the bot ("terug naar de bot")."""
        self._no_longer_waiting(conversation_id)
        ended = await self._store(self._end_handoff, handoffs.cancel, conversation_id)
        if ended is not None:
            conversation, handoff_id = ended
            await self._deliver(conversation, [{"text": texts()["left_queue"]}])
            await self._notify(conversation_id, {"type": "left", "handoff_id": handoff_id})

    async def _leave_waiting(self, conversation_id: str) -> bool:
        """Back to the bot without a word, only if no expert has taken the conversation (atomic)."""
        ended = await self._store(self._end_handoff, handoffs.leave_waiting, conversation_id)
        if ended is None:
            return False
        self._no_longer_waiting(conversation_id)
        await self._notify(conversation_id, {"type": "left", "handoff_id": ended[1]})
        return True

    async def expert_took(self, conversation_id: str) -> bool:
        """Called by the console once its conditional update made this expert the taker.

        False when the parent is no longer waiting (went back to the bot in between).
        """
        self._no_longer_waiting(conversation_id)
        conversation = await self._store(self._get, conversation_id)
        if conversation is None or conversation.mode != ConversationMode.HUMAN:
            return False
        self.metrics.handoff_waited("taken", await self._store(self._waited, conversation.handoff_id))
        await self._deliver(conversation, [{"text": texts()["expert_joined"], "from": "expert"}])
        await self._notify(conversation_id, {"type": "taken", "handoff_id": conversation.handoff_id})
        return True

    async def from_expert(self, conversation_id: str, text: str) -> bool:
        """An expert's message to the parent; False when the conversation is no longer live."""
        conversation = await self._store(self._get, conversation_id)
        if conversation is None or conversation.mode != ConversationMode.HUMAN:
            return False
        stored = redact(clean(text))
        self._expert_wrote[conversation_id] = asyncio.get_running_loop().time()
        await self._store(self._add_live, conversation_id, "expert", stored)
        await self._deliver(conversation, [{"text": clean(text), "from": "expert"}])
        await self._notify(conversation_id, {"type": "message", "handoff_id": conversation.handoff_id,
                                             "author": "expert", "text": stored})
        return True

    async def _expert_ends(self, transition: Callable[..., handoffs.Ended | None],
                           conversation_id: str) -> handoffs.Ended | None:
        """The expert ends the live chat (hand back or close): back to BOT mode, the request closed."""
        self._no_longer_waiting(conversation_id)
        return await self._store(self._end_handoff, transition, conversation_id)

    async def hand_back(self, conversation_id: str) -> bool:
        """The expert hands the conversation back: the bot says so and takes over again."""
        ended = await self._expert_ends(handoffs.hand_back, conversation_id)
        if ended is None:
            return False
        conversation, handoff_id = ended
        try:
            # Through Rasa's API, so that the conversation's history has the hand-back too; then
            # action_listen, as after any bot turn, or the next message meets a state no rule knows.
            messages = await self.rasa.execute(conversation_id, "utter_back_to_bot")
            await self.rasa.execute(conversation_id, "action_listen")
        except (httpx.HTTPError, ValueError):
            log.exception("router: Rasa did not take the conversation back")
            self.metrics.rasa_error("execute")
            messages = [{"text": texts()["left_queue"]}]
        await self._deliver(conversation, messages)
        await self._notify(conversation_id, {"type": "handed_back", "handoff_id": handoff_id})
        return True

    async def close_by_expert(self, conversation_id: str) -> bool:
        """The expert closes the chat: the parent is told so and goes on with the bot."""
        ended = await self._expert_ends(handoffs.close_chat, conversation_id)
        if ended is None:
            return False
        conversation, handoff_id = ended
        await self._deliver(conversation, [{"text": texts()["expert_closed"], "buttons": [button("help")]}])
        await self._notify(conversation_id, {"type": "closed", "handoff_id": handoff_id})
        return True

    async def transcript_events(self, conversation_id: str) -> list[dict] | None:
        """Rasa's events of the conversation (the history before the live chat); None if Rasa cannot say."""
        try:
            tracker = await self.rasa.tracker(conversation_id)
        except (httpx.HTTPError, ValueError):
            log.exception("router: the conversation's history could not be read from Rasa")
            self.metrics.rasa_error("tracker")
            return None
        return tracker.get("events") or []

    @staticmethod
    def _waited(handoff_id: str | None) -> float | None:
        """Seconds from the request to its being taken (or ended); None when there is no such request."""
        with read_scope() as session:
            found = session.get(HandoffRequest, handoff_id) if handoff_id else None
            end = found and (found.taken_at or found.closed_at)
            return (end - found.created_at).total_seconds() if found is not None and end else None

    @staticmethod
    def _get(conversation_id: str) -> Conversation | None:
        with session_scope() as session:
            return session.get(Conversation, conversation_id)

    # --- start-up and erasing ---------------------------------------------------------------------

    async def recover(self) -> int:
        """After a restart: give every waiting hand-over the rest of its timeout."""
        waiting = await self._store(self._waiting_handoffs)
        for conversation_id, handoff_id, since in waiting:
            left = self.handoff_timeout - (utcnow() - since).total_seconds()
            self._schedule_timeout(conversation_id, left, handoff_id)
        return len(waiting)

    @staticmethod
    def _waiting_handoffs() -> list[tuple[str, str, datetime]]:
        with session_scope() as session:
            return handoffs.waiting_handoffs(session)

    async def new_conversation(self, channel: str, address: str) -> None:
        """"Nieuw gesprek": erase everything of this conversation, on Rasa's side too, and start fresh."""
        async with self._turn(f"{channel}:{address}"):
            await self._new_conversation(channel, address)

    async def _new_conversation(self, channel: str, address: str) -> None:
        conversation = await self._store(self._conversation, channel, address)
        self._no_longer_waiting(conversation.id)
        try:
            # action_delete_conversation erases the project's tables; the tracker store erases the events.
            messages = await self.rasa.execute(conversation.id, "action_delete_conversation")
        except (httpx.HTTPError, ValueError):
            log.exception("router: Rasa could not erase a conversation")
            self.metrics.rasa_error("execute")
            await self._store(self._erase_own, conversation.id)
            messages = [{"text": texts()["conversation_erased"]}]
        await self._deliver(conversation, messages)
        # The console forgets what it kept of this conversation, and an expert in the chat hears it ended.
        await self._notify(conversation.id, {"type": "erased", "handoff_id": conversation.handoff_id})

    @staticmethod
    def _erase_own(conversation_id: str) -> None:
        with session_scope() as session:
            records.erase_conversation(session, conversation_id)

    async def close(self) -> None:
        for conversation_id in list(self._timers):
            self._cancel_timeout(conversation_id)
        for timer in self._safety_timers.values():
            timer.cancel()
        self._safety_timers.clear()
        await self.bus.close()
