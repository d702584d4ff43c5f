"""The page store: the interface escalation and the commands use, and the one factory.

A store keeps pages, their attempts, dedup keys and per-person rate limits, and lists
them. Every decision that must hold across concurrent processes (a dedup key covered
once, a rate limit nobody slips under) is taken atomically by the store itself: callers
never hold a transaction. Times go in and come out as aware UTC ``datetime``; records
come out as plain dicts (the JSON shapes of ``pages`` / ``pages show``).

Errors are the store's own (``errors.StoreError`` and subclasses, exit 5); nothing
backend-specific (locking, journaling, retries) reaches a caller.

Configuration (``open_store``): ``ONCALL_DATABASE_URL`` unset, or ``sqlite:///PATH``,
gives SQLite (by default ``pages.sqlite3`` in the state dir, see ``oncall.dirs``); other
schemes are refused until their backend exists (issue 11: PostgreSQL).
"""

from __future__ import annotations

import os
from collections.abc import Callable
from datetime import datetime, timedelta
from pathlib import Path
from typing import Protocol

from ..errors import StoreError

DATABASE_URL = "ONCALL_DATABASE_URL"
DEFAULT_LIMIT = 50  # pages listed by default (``pages --limit``, ``--all``)


class PageStore(Protocol):
    """What escalation and the commands need from a page store."""

    def open_page(self, rotation: str | None, message: str, now: datetime, deadline: datetime,
                  dedup_key: str | None = None, window: timedelta = timedelta(hours=1)) -> tuple[int, bool]:
        """A new page id and False; or ``(existing id, True)`` when ``dedup_key`` matches a
        page that started within ``window`` before ``now`` or is still open (not finished
        and ``deadline`` not passed). A page that ``failed`` covers nothing. Atomic."""
        ...

    def finish_page(self, page_id: int, outcome: str, at: datetime, acknowledged_by: str | None = None) -> None:
        """Record a page's outcome (``acknowledged``, ``sent``, ``unreached``, ``failed``)."""
        ...

    def pages(self, since: datetime | None = None, limit: int | None = DEFAULT_LIMIT) -> list[dict]:
        """Pages started at or after ``since``, oldest first; with ``limit``, only the
        newest ``limit`` of them. Each with ``attempts``: how many it has."""
        ...

    def page(self, page_id: int) -> dict | None:
        """One page with ``attempts``, the list of its attempts; None if unknown."""
        ...

    def start_attempt(self, page_id: int, round: int, step: int, person: str, channel: str, now: datetime,
                      limit: int, per: timedelta) -> tuple[int, bool]:
        """Record an attempt about to be sent (status ``sending``) and True; or, if
        ``person`` already had ``limit`` sends (an attempt with a provider id, or still
        ``sending``) in ``per`` before ``now`` across all pages, record it as
        ``rate-limited`` and return False. Atomic."""
        ...

    def add_attempt(self, page_id: int, round: int, step: int, person: str | None, channel: str | None,
                    status: str, at: datetime, error_code: int | None = None, detail: str = "") -> int:
        """Record something that happened at once (a skip, an acknowledgement)."""
        ...

    def update_attempt(self, attempt_id: int, status: str, at: datetime | None = None, *, sid: str | None = None,
                       error_code: int | None = None, detail: str | None = None) -> None:
        """Change an attempt's status; given fields are set (``at`` as its end)."""
        ...

    def attempts(self, page_id: int) -> list[dict]:
        """A page's attempts in the order they were recorded."""
        ...

    def close(self) -> None: ...


def open_store(*, readonly: bool = False, on_wait: Callable[[str], None] | None = None,
               env: dict | None = None) -> PageStore | None:
    """The configured store. ``readonly`` (listing): opens without creating or writing
    anything and returns None when no store exists yet. ``on_wait`` is told, once, when
    another process holds the store and we are waiting for it. Raises ``StoreError``."""
    env = os.environ if env is None else env
    url = env.get(DATABASE_URL, "").strip()
    if url and not url.startswith("sqlite:///"):
        scheme = url.split(":", 1)[0]
        raise StoreError(f"{DATABASE_URL}: {scheme!r} stores are not supported by this version "
                         "(use sqlite:///PATH, or leave it unset for SQLite in the state dir)")
    from .sqlite import SQLiteStore, default_path

    path = Path(url[len("sqlite://"):]) if url else default_path()
    if readonly:
        return SQLiteStore.reader(path)
    return SQLiteStore(path, on_wait=on_wait)
