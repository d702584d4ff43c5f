"""Channels: how a page reaches a person. One registry that the loader, the JSON Schema,
escalation and the message text all read.

A channel is one module that builds a ``Channel`` and calls ``register`` with it. It
declares its ``name`` (what people write in ``notify``), which ``Person`` field it sends
to (``address``), how it sends (``send``, composing its own text from a ``PageText``),
how it learns the outcome (``poll``, then ``verdict``), what counts as an
acknowledgement (``verdict`` returning ``ACK``, or ``replied`` for inbound answers on
the same address), how a provider refusal specific to it reads (``refusal``) and which
channel to fall back on when it cannot reach the person (``fallback``).

``send``, ``poll``, ``replied`` and ``stop`` take ``timeout``, the seconds the request
may take in all (the engine computes it from the step's time left; None: the pager's
default), and pass it to every pager call they make.

The built-in channels (``sms``, ``voice``, ``email``) live in their own modules and are registered
the first time the registry is read, so importing this module costs nothing.
"""

from __future__ import annotations

import importlib
from dataclasses import dataclass
from datetime import datetime

from ..model import BUILTIN_CHANNELS
from . import Pager, Sent, Status

ACK, FAILED = "acknowledged", "failed"
BUILTIN = BUILTIN_CHANNELS  # modules oncall.paging.<name>, registered on first use


@dataclass(frozen=True)
class PageText:
    """What a page is about: ``label`` (the rotation id, or ``test``), ``name`` (the
    rotation's display name), the page id and the operator's message."""

    label: str
    name: str
    page_id: int
    message: str


class Channel:
    """The interface of a channel, with the defaults of a channel that has no inbound
    answers, no channel-specific refusals and nothing to end at the deadline."""

    name: str = ""
    address: str = "phone"  # the Person field the channel sends to
    fallback: str | None = None  # tried when ``refusal`` says this channel cannot reach the person
    mobile_only: bool = False  # ``contacts`` flags a landline on this channel
    notices: bool = False  # carries `oncall notify`'s reminders and notices (``notice``)

    def send(self, pager: Pager, to: str, text: PageText, timeout: float | None = None) -> Sent:
        """Send the page to address ``to``; raises ``PagerError`` (``unknown`` when it may
        have been sent anyway: the engine never resends it)."""
        raise NotImplementedError

    def poll(self, pager: Pager, sid: str, timeout: float | None = None) -> Status:
        """The current state of what ``send`` started; raises ``PagerError``."""
        raise NotImplementedError

    def verdict(self, status: Status) -> str | None:
        """``ACK`` (acknowledged), ``FAILED`` (ended without: move on at once) or None
        (still in progress)."""
        raise NotImplementedError

    def detail(self, status: Status) -> str:
        """What the log's ``detail`` says about a final ``status`` (empty by default)."""
        return ""

    def replied(self, pager: Pager, to: str, since: datetime, timeout: float | None = None) -> datetime | None:
        """When address ``to`` answered with an acknowledgement at or after ``since`` on
        this channel (whatever channel paged it), or None. Raises ``PagerError``."""
        return None

    def stop(self, pager: Pager, sid: str, status: Status | None, timeout: float | None = None) -> None:
        """End an attempt still in progress (the step's time is up, or it was acknowledged
        elsewhere); raises ``PagerError``."""

    def notice(self, pager: Pager, to: str, name: str, subject: str, body: str,
               timeout: float | None = None) -> Sent:
        """Send a reminder or notice (not a page: nothing to acknowledge) to address ``to``
        of the person called ``name``; raises ``PagerError``. Only for ``notices`` channels."""
        raise NotImplementedError

    def refusal(self, code: int | None) -> str | None:
        """The attempt status when the provider's error ``code`` means this channel cannot
        reach the person (the rest of the page skips it), else None."""
        return None


_REGISTRY: dict[str, Channel] = {}


def register(channel: Channel) -> Channel:
    """Make ``channel`` available under ``channel.name`` (replacing one of that name)."""
    if not channel.name:
        raise ValueError("a channel needs a name")
    _REGISTRY[channel.name] = channel
    return channel


def unregister(name: str) -> None:
    """Remove the channel ``name``; a built-in stays (the loader accepts the built-in
    names without reading the registry)."""
    if name in BUILTIN:
        raise ValueError(f"the built-in channel {name!r} cannot be unregistered")
    _REGISTRY.pop(name, None)


def _builtins() -> dict[str, Channel]:
    for name in BUILTIN:
        if name not in _REGISTRY:
            importlib.import_module(f"{__package__}.{name}")
    return _REGISTRY


def names() -> tuple[str, ...]:
    """Every registered channel name: the built-ins first, then in registration order."""
    return tuple(_builtins())


def get(name: str) -> Channel:
    """The channel ``name``; ``KeyError`` if none is registered (the loader refuses such
    a ``notify`` entry before any page starts)."""
    return _builtins()[name]
