"""Immutable records for what the files describe and what the engine computes.

Small value types are NamedTuples (cheap to define and to create: `oncall now` and the
engine make many); those with cached properties are frozen dataclasses.

All instants are aware ``datetime`` objects in UTC. Intervals are half-open
``[start, end)``. The only wall-clock (naive) value kept is a layer's ``start``,
because handoffs are computed by wall-clock arithmetic from it (see ``schedule``).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime, timedelta
from functools import cache, cached_property
from typing import NamedTuple
from zoneinfo import ZoneInfo

BUILTIN_CHANNELS = ("sms", "voice", "email")  # always registered (paging.channels); plugins add others
DEFAULT_NOTIFY = ("sms", "voice")
DEFAULT_REMIND = (timedelta(hours=1),)  # reminder leads when neither the person nor [defaults] says
DEFAULT_WAIT = timedelta(minutes=5)


class Away(NamedTuple):
    """Time off: the person is unreachable in ``[start, end)``."""

    start: datetime
    end: datetime
    note: str = ""


class Person(NamedTuple):
    id: str
    name: str
    phone: str | None = None
    timezone: str | None = None
    email: str | None = None
    notify: tuple[str, ...] = DEFAULT_NOTIFY
    away: tuple[Away, ...] = ()
    phone_ok: bool | None = None  # validity if already known (the loader's cache), else None
    remind: tuple[timedelta, ...] = DEFAULT_REMIND  # leads before each shift start, longest first
    quiet: tuple[int, int] | None = None  # daily quiet window in their zone: minutes after midnight, [start, end)

    @property
    def phone_valid(self) -> bool:
        """The phone is a number phonenumbers considers assignable."""
        if self.phone_ok is not None:
            return self.phone_ok
        return bool(self.phone) and valid_number(self.phone)

    @property
    def phone_problem(self) -> str | None:
        """``no-phone`` or ``invalid-phone`` if this person can never be paged, else None:
        the one place that rule is written."""
        if not self.phone:
            return "no-phone"
        return None if self.phone_valid else "invalid-phone"

    def away_within(self, a: datetime, b: datetime) -> list[tuple[datetime, datetime]]:
        """This person's time off inside ``[a, b)``, clipped to it, in file order."""
        return [(max(a, x.start), min(b, x.end)) for x in self.away if x.start < b and x.end > a]

    def away_at(self, t: datetime) -> Away | None:
        for a in self.away:
            if a.start <= t < a.end:
                return a
        return None

    def unreachable_at(self, t: datetime) -> str | None:
        """Why this person cannot be paged at ``t``, or None if they can. One order in
        every command and in JSON: ``no-phone``, then ``invalid-phone``, then ``away`` (a
        phone problem outlasts any time off, and is what the files must fix)."""
        return self.phone_problem or ("away" if self.away_at(t) else None)


@cache
def valid_number(number: str) -> bool:
    """Is E.164 ``number`` assignable in its country's numbering plan (phonenumbers)?"""
    import phonenumbers  # costs more than the rest of `oncall now`: only when asked

    try:
        return phonenumbers.is_valid_number(phonenumbers.parse(number, None))
    except phonenumbers.NumberParseException:
        return False


class Window(NamedTuple):
    """A weekly window: minutes from Monday 00:00 on a wall clock, ``[start, end)``.

    ``end`` may pass 10080 (the next Monday): the window then wraps into the next week.
    """

    start: int
    end: int


@dataclass(frozen=True)
class Layer:
    name: str
    members: tuple[str, ...]
    start: datetime  # naive: wall time in ``timezone``
    every: timedelta  # wall-clock step: days add calendar days, hours wall hours
    timezone: str
    only: tuple[Window, ...] | None = None  # None: no restriction
    until: datetime | None = None  # UTC instant, exclusive
    since: datetime | None = None  # UTC instant (`from`): covers nothing before it; handoffs stay anchored at start

    @cached_property
    def tz(self) -> ZoneInfo:
        return ZoneInfo(self.timezone)


class Override(NamedTuple):
    who: str
    start: datetime
    end: datetime
    note: str = ""


class Step(NamedTuple):
    """One escalation step: ``who`` is a rotation id or a person id."""

    who: str
    kind: str  # "rotation" or "person"
    wait: timedelta = DEFAULT_WAIT


@dataclass(frozen=True)
class Rotation:
    id: str
    name: str
    timezone: str
    layers: tuple[Layer, ...]
    overrides: tuple[Override, ...] = ()
    coverage: tuple[Window, ...] | None = None  # None: always (24/7)
    escalation: tuple[Step, ...] = ()
    path: str = ""

    @cached_property
    def tz(self) -> ZoneInfo:
        return ZoneInfo(self.timezone)

    @property
    def steps(self) -> tuple[Step, ...]:
        """The escalation policy; without ``[[escalation]]``, one step: this rotation."""
        return self.escalation or (Step(self.id, "rotation"),)

    @property
    def members(self) -> tuple[str, ...]:
        seen: dict[str, None] = {}
        for layer in self.layers:
            seen.update(dict.fromkeys(layer.members))
        return tuple(seen)


class Segment(NamedTuple):
    """A stretch of the final schedule: ``person`` on call in ``[start, end)``.

    ``person`` is None for a gap. ``source`` is ``override`` or ``layer:NAME``.
    A NamedTuple rather than a dataclass: the engine makes hundreds of thousands.
    """

    rotation: str
    person: str | None
    start: datetime
    end: datetime
    source: str = ""


@dataclass(frozen=True)
class Directory:
    """Everything in a data folder: people and rotations by id."""

    people: dict[str, Person] = field(default_factory=dict)
    rotations: dict[str, Rotation] = field(default_factory=dict)
    root: str = ""
