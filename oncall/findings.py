"""What ``check`` reports: findings (problems and warnings), cover suggestions, the report."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime, timedelta


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


@dataclass(frozen=True)
class Suggestion:
    """Who could cover the problem ``[start, end)`` of ``rotation`` with an override.

    ``person`` is None when no member is free for the whole stretch. ``load`` is the
    person's on-call time in the horizon before this cover (earlier suggestions of the
    same run included), the quantity that picked them.
    """

    rotation: str
    kind: str
    start: datetime
    end: datetime
    person: str | None
    load: timedelta = timedelta()
    reason: str | None = None


@dataclass
class Report:
    problems: list[Finding] = field(default_factory=list)
    warnings: list[Finding] = field(default_factory=list)
    suggestions: list[Suggestion] = field(default_factory=list)

