"""What ``check`` reports: findings (problems and warnings), cover suggestions, the report."""

from __future__ import annotations

from dataclasses import dataclass, field, replace
from datetime import datetime, timedelta
from typing import NamedTuple


@dataclass(frozen=True)
class Finding:
    """A problem (``gap``/``unreachable``) or a warning, over ``[start, end)``."""

    rotation: str
    kind: str
    start: datetime | None = None
    end: datetime | None = None
    person: str | None = None
    reason: str | None = None
    message: str = ""


def stretches(findings: list[Finding]) -> list[Finding]:
    """``findings`` with each set of one rotation, kind, person, reason and message whose
    times overlap or touch made one finding over their union: a condition that lasts
    across several shifts, overrides or days is said once, for as long as it lasts.
    Findings that only repeat (with time between them) stay apart. Order: by start
    within each set, the sets in the order of their first finding."""
    sets: dict[tuple, list[Finding]] = {}
    for f in findings:
        sets.setdefault((f.rotation, f.kind, f.person, f.reason, f.message), []).append(f)
    out: list[Finding] = []
    for group in sets.values():
        joined: list[Finding] = []
        for f in sorted(group, key=lambda f: (f.start is None, f.start or datetime.min)):
            last = joined[-1] if joined else None
            if last and None not in (f.start, last.end, f.end) and f.start <= last.end:
                joined[-1] = replace(last, end=max(last.end, f.end))
            else:
                joined.append(f)
        out += joined
    return out


class NewLayer(NamedTuple):
    """A ``[[layer]]`` to add: wall ``start`` on the rotation's (or ``timezone``'s) clock."""

    name: str
    members: tuple[str, ...]
    start: datetime
    every: str
    only: tuple[str, ...] = ()
    timezone: str | None = None
    after: str | None = None  # goes right after this layer (keeps its precedence); None: last
    since: datetime | None = None  # `from`: covers nothing before this instant
    until: datetime | None = None


@dataclass(frozen=True)
class Suggestion:
    """A fix for the problem ``[start, end)`` of ``rotation``: an override to ``person``,
    or a ``layer`` to add; ``covers`` lists every problem stretch it fixes.

    ``person`` and ``layer`` are None when nobody qualifies (``reason`` says why).
    ``load`` is the person's on-call time in the horizon before this cover (earlier
    suggestions of the same run included), the quantity that picked them. ``cause``
    names what leaves the hole when a layer's ``until``, restriction or start does.
    """

    rotation: str
    kind: str
    start: datetime
    end: datetime
    person: str | None
    load: timedelta = timedelta()
    reason: str | None = None
    cause: str | None = None
    layer: NewLayer | None = None
    covers: tuple[tuple[datetime, datetime], ...] = ()


@dataclass
class Report:
    problems: list[Finding] = field(default_factory=list)
    warnings: list[Finding] = field(default_factory=list)
    suggestions: list[Suggestion] = field(default_factory=list)

