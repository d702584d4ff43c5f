"""Twilio callbacks: signatures, inbound SMS commands, the voice call's TwiML. Pure but
for the SDK's ``RequestValidator`` (imported when a ``Signatures`` is built).

Signatures are checked against the URL Twilio was given: ``--public-url`` plus the path
and query. ``TWILIO_AUTH_TOKEN`` and, during a rotation of the token,
``ONCALL_TWILIO_PREVIOUS_AUTH_TOKEN`` are both accepted. Without any auth token every
callback is refused: nothing unsigned changes an incident.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from xml.sax.saxutils import escape

from ..sanitize import xml_safe

STOP_WORDS = {"stop", "stopall", "unsubscribe", "cancel", "end", "quit", "optout", "revoke"}
START_WORDS = {"start", "unstop", "yes", "optin"}
FAILED = {"undelivered", "failed", "busy", "no-answer", "canceled"}
_COMMAND = re.compile(r"(ack|a|acknowledge|resolve|r)\b\W*#?\s*(\d{1,12})?\W*", re.IGNORECASE)


class Signatures:
    def __init__(self, tokens: list[str]):
        from twilio.request_validator import RequestValidator

        self.validators = [RequestValidator(t) for t in tokens if t]

    def valid(self, url: str, params: dict, signature: str | None) -> bool:
        return bool(signature) and any(v.validate(url, params, signature) for v in self.validators)


@dataclass(frozen=True)
class Command:
    """An inbound SMS: ``action`` is ``ack``, ``resolve``, ``stop``, ``start`` or
    ``unknown``; ``incident`` the id typed, if any."""

    action: str
    incident: int | None = None


def parse_sms(body: str) -> Command:
    """``ack``/``a``/``acknowledge``, ``resolve``/``r``, optionally with an id (``ack 42``,
    ``a #42``), any case; Twilio's opt-out and opt-in keywords."""
    text = body.strip()
    word = text.lower().strip(" .!")
    if word in STOP_WORDS:
        return Command("stop")
    if word in START_WORDS:
        return Command("start")
    m = _COMMAND.fullmatch(text)
    if not m:
        return Command("unknown")
    action = "resolve" if m.group(1).lower().startswith("r") else "ack"
    return Command(action, int(m.group(2)) if m.group(2) else None)


def failed_delivery(status: str, answered_by: str | None) -> bool:
    """A status callback that means the person was not reached on this channel."""
    return status in FAILED or (answered_by or "").startswith(("machine", "fax"))


def message_twiml(text: str | None) -> str:
    """An SMS reply (or none)."""
    if not text:
        return "<Response/>"
    return f"<Response><Message>{escape(xml_safe(text))}</Message></Response>"


def say_twiml(text: str) -> str:
    return f"<Response><Say>{escape(xml_safe(text))}</Say></Response>"
