"""A scripted pager for tests, implementing the same interface as ``TwilioPager``.

Time comes from a ``FakeClock``: ``sleep`` advances it, so a 15-minute escalation runs in
microseconds. What happens to each phone is scripted with ``on(phone, channel, *reactions)``:
each send to that phone on that channel takes the next reaction (the last one repeats).

With ``record=path`` every send is accepted and appended to that file as one JSON line,
so a test can count what was sent.
"""

from __future__ import annotations

import itertools
import json
import os
from dataclasses import dataclass
from datetime import datetime, timedelta

from . import PagerError, Reply, Sent, Status


class FakeClock:
    def __init__(self, start: datetime):
        self.t = start

    def now(self) -> datetime:
        return self.t

    def sleep(self, seconds: float) -> None:
        self.t += timedelta(seconds=seconds)


@dataclass(frozen=True)
class Reaction:
    """What one send does. ``errors`` are raised by successive tries before Twilio accepts
    (one per try); then, ``after`` the send, the message or call reaches ``status``
    (with ``error_code``/``answered_by``), and ``reply`` (if any) arrives as an inbound SMS."""

    errors: tuple[PagerError, ...] = ()
    status: str | None = None  # default: "delivered" for SMS, "no-answer" for calls
    after: timedelta = timedelta(seconds=20)
    answered_by: str | None = None
    error_code: int | None = None
    reply: str | None = None


@dataclass
class _Sent:
    kind: str
    to: str
    body: str
    at: datetime
    reaction: Reaction


class FakePager:
    def __init__(self, clock: FakeClock, record: str | None = None):
        self.clock = clock
        self.record = record
        self.scripts: dict[tuple[str, str], list[Reaction]] = {}
        self.sent: dict[str, _Sent] = {}
        self.tries: dict[tuple[str, str], int] = {}
        self.hung_up: list[str] = []
        self.inbound: list[Reply] = []
        self._ids = itertools.count(1)

    def on(self, phone: str, channel: str, *reactions: Reaction) -> FakePager:
        self.scripts[(phone, channel)] = list(reactions)
        return self

    @property
    def log(self) -> list[tuple[str, str, str]]:
        """Accepted sends in order: ``(channel, to, body or twiml)``."""
        return [(s.kind, s.to, s.body) for s in self.sent.values()]

    def _send(self, kind: str, to: str, body: str) -> Sent:
        script = self.scripts.get((to, kind)) or [Reaction()]
        n = sum(1 for s in self.sent.values() if s.kind == kind and s.to == to)
        reaction = script[min(n, len(script) - 1)]
        tries = self.tries.get((to, kind), 0)
        self.tries[(to, kind)] = tries + 1
        if tries < len(reaction.errors):
            raise reaction.errors[tries]
        self.tries[(to, kind)] = 0
        sid = ("SM" if kind == "sms" else "CA") + f"{next(self._ids):032x}"
        self.sent[sid] = _Sent(kind, to, body, self.clock.now(), reaction)
        if reaction.reply is not None:
            self.inbound.append(Reply(to, reaction.reply, self.clock.now() + reaction.after))
        if self.record:
            with open(self.record, "a", encoding="utf-8") as f:
                f.write(json.dumps({"channel": kind, "to": to, "pid": os.getpid()}) + "\n")
        return Sent(sid, "queued")

    def send_sms(self, to: str, body: str, timeout: float | None = None) -> Sent:
        return self._send("sms", to, body)

    def call(self, to: str, twiml: str, timeout: float | None = None) -> Sent:
        return self._send("voice", to, twiml)

    def _status(self, sid: str, default: str, pending: str) -> Status:
        s = self.sent[sid]
        if sid in self.hung_up:
            return Status("canceled")
        if self.clock.now() < s.at + s.reaction.after:
            return Status(pending)
        r = s.reaction
        return Status(r.status or default, r.error_code, r.answered_by)

    def message_status(self, sid: str, timeout: float | None = None) -> Status:
        return self._status(sid, "delivered", "sent")

    def call_status(self, sid: str, timeout: float | None = None) -> Status:
        return self._status(sid, "no-answer", "ringing")

    def hang_up(self, sid: str, timeout: float | None = None) -> None:
        self.hung_up.append(sid)

    def replies(self, phone: str, since: datetime, timeout: float | None = None) -> list[Reply]:
        now = self.clock.now()
        return [r for r in self.inbound if r.phone == phone and since <= r.sent_at <= now]

    def line_type(self, phone: str) -> str | None:
        return "mobile"

