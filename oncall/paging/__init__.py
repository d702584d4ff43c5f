"""Paging: the ``Pager`` interface the escalation engine drives, and its value types.

Two implementations share the interface: ``twilio.TwilioPager`` (the real thing, which
imports the SDK lazily) and ``fake.FakePager`` (scripted, for tests). The engine
(``escalation``) is pure logic: the pager, the clock and ``sleep`` are injected, so it
never reads the real clock itself. Pages and attempts are kept by a ``store.PageStore``
(``store.open_store`` builds the configured one; ``sqlite`` is the one backend).
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Protocol

# Twilio error codes the engine acts on (https://www.twilio.com/docs/api/errors).
BAD_CREDENTIALS = 20003
INVALID_NUMBER = (21211, 21214)
SMS_REFUSED = (21610, 21614)  # the person replied STOP / the number is not a mobile
DELIVERY_FAILED = range(30003, 30009)  # 30003-30008: unreachable, blocked, unknown, filtered...

SMS_FAILED = ("undelivered", "failed", "canceled")
CALL_ENDED = ("completed", "busy", "no-answer", "failed", "canceled")


class PagerError(Exception):
    """Twilio (or the network) refused a request.

    ``status`` is the HTTP status (None for a connection error), ``code`` Twilio's error
    code, ``retry_after`` the seconds a Retry-After header asked for. ``local``: refused
    before any request (our configuration), never worth retrying. ``unknown``: the outcome
    is ambiguous, Twilio may have acted (a 2xx answer it does not document, no answer
    once a send went out): resending could text the person twice, so it is never retried.
    The message never contains credentials.
    """

    def __init__(self, message: str, code: int | None = None, status: int | None = None,
                 retry_after: float | None = None, local: bool = False, unknown: bool = False):
        super().__init__(message)
        self.code = code
        self.status = status
        self.retry_after = retry_after
        self.local = local
        self.unknown = unknown

    @property
    def transient(self) -> bool:
        """Worth retrying: 429, any 5xx, or no HTTP answer at all, unless Twilio may have acted."""
        return not self.local and not self.unknown and (self.status is None or self.status == 429
                                                        or self.status >= 500)


@dataclass(frozen=True)
class Sent:
    """Twilio accepted a message or call: its SID and initial status."""

    sid: str
    status: str


@dataclass(frozen=True)
class Status:
    """A message's or call's current state. ``answered_by`` is Twilio's answering-machine
    verdict for calls (``human``, ``machine_start``, ``fax``, ``unknown``...)."""

    status: str
    error_code: int | None = None
    answered_by: str | None = None


@dataclass(frozen=True)
class Reply:
    """An inbound SMS from ``phone``, sent at ``sent_at``."""

    phone: str
    body: str
    sent_at: datetime


class Pager(Protocol):
    """What the escalation engine needs from a telephony provider. Every method raises
    ``PagerError`` when the provider refuses, cannot be reached, or gives no complete
    answer within ``timeout`` seconds (a total deadline; None: the provider's default)."""

    def send_sms(self, to: str, body: str, timeout: float | None = None) -> Sent: ...

    def call(self, to: str, twiml: str, timeout: float | None = None) -> Sent: ...

    def message_status(self, sid: str, timeout: float | None = None) -> Status: ...

    def call_status(self, sid: str, timeout: float | None = None) -> Status: ...

    def hang_up(self, sid: str, timeout: float | None = None) -> None: ...

    def replies(self, phone: str, since: datetime, timeout: float | None = None) -> list[Reply]:
        """Inbound SMS from ``phone`` to our number sent at or after ``since``."""
        ...

    def line_type(self, phone: str) -> str | None:
        """``mobile``, ``landline``, ``voip``... from a carrier lookup; None if unknown."""
        ...
