"""Importers: another platform's API dump -> a data folder, and a proof that it is exact.

Each source module (``pagerduty``, ...) turns parsed JSON documents into a ``Plan``:
people, rotation files as text, notes about what could not be translated faithfully,
and the platform's own rendered schedule when the dump holds one. ``write`` merges a
plan into a folder; ``verify`` compares the written folder with the rendered schedule.
Nothing here reads the clock.
"""

from __future__ import annotations

from datetime import datetime
from typing import NamedTuple, Protocol


class NewPerson(NamedTuple):
    """A person to add to people.toml; ``source`` names the source object (a comment)."""

    key: str  # the source's user id
    name: str
    email: str | None
    phone: str | None
    timezone: str | None
    source: str


class Rendered(NamedTuple):
    """The platform's own final schedule for one rotation over ``[start, end)``:
    ``entries`` are ``(start, end, user key)``."""

    start: datetime
    end: datetime
    entries: tuple[tuple[datetime, datetime, str], ...]


class RotationText(NamedTuple):
    """One rotation file to write. ``body`` uses ``{person:KEY}`` placeholders for people,
    filled in once people have ids (merging by email decides them)."""

    id: str
    body: str
    rendered: Rendered | None


class Plan(NamedTuple):
    people: list[NewPerson]
    rotations: list[RotationText]
    notes: list[str]


class Importer(Protocol):
    """A source: parsed JSON documents ``(file name, value)`` -> a Plan, or DumpError."""

    def __call__(self, docs: list[tuple[str, object]]) -> Plan: ...


SOURCES = ("pagerduty", "opsgenie", "grafana")


def importer(source: str) -> Importer:
    """The importer of ``source``; UsageError for an unknown one."""
    from importlib import import_module

    from ..errors import UsageError

    if source not in SOURCES:
        raise UsageError(f"import: {source!r} is not one of {', '.join(SOURCES)}")
    return import_module(f"{__package__}.{source}").plan
