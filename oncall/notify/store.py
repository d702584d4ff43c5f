"""The notice store: what ``oncall notify`` sent, failed or skipped, and what it last
announced to each person. The interface, and the factory.

Exactly once: every notice has a unique key, and ``claim`` lets one process (of any
number running at once) own a key before it sends; a failed send may be claimed again
at a later run (at most ``MAX_TRIES`` sends in all); one that may have gone out
(``unknown``) or is still ``sending`` after a crash is never sent again. ``announce``
reads a person's last snapshot, computes the change notice and writes both in one
atomic step, so a change is announced once however many runs see it.

It lives in the page store's database (``paging.store.open_store`` configuration), as
schema version 4 (``paging.schema``); the operations are ``rules``, on both backends.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import datetime
from typing import Protocol

from .plan import Notice

MAX_TRIES = 3
SENT, FAILED, SKIPPED, PENDING, SENDING, UNKNOWN = "sent", "failed", "skipped", "pending", "sending", "unknown"


class NoticeStore(Protocol):
    def claim(self, notice: Notice, channel: str | None, now: datetime) -> bool:
        """Own ``notice`` for sending (status ``sending``): True if it was new, pending,
        or failed fewer than ``MAX_TRIES`` times; False if another run has it. Atomic."""
        ...

    def finish(self, key: str, status: str, now: datetime, detail: str = "") -> None:
        """Record the outcome of a claimed notice (``sent``, ``failed``, ``unknown``)."""
        ...

    def skip(self, notice: Notice, now: datetime, reason: str) -> bool:
        """Record ``notice`` as skipped; True if that is news (not recorded before)."""
        ...

    def status(self, key: str) -> str | None:
        """A notice's status, None if never recorded."""
        ...

    def announce(self, person: str, snapshot: dict, now: datetime,
                 diff: Callable[[dict | None], Notice | None]) -> Notice | None:
        """Replace ``person``'s snapshot with ``snapshot``; ``diff(previous snapshot)``
        gives the change notice, stored ``pending`` with it. One atomic step."""
        ...

    def first_run(self, now: datetime | None = None) -> datetime | None:
        """When the first run was (``now`` if none was recorded and ``now`` is given:
        recorded atomically, so concurrent first runs agree)."""
        ...

    def pending(self, now: datetime) -> list[Notice]:
        """Change notices waiting to go out whose time has come (due at or before ``now``)."""
        ...

    def notices(self, since: datetime | None = None, limit: int | None = 50) -> list[dict]:
        """Recorded notices, oldest first (the newest ``limit``)."""
        ...

    def close(self) -> None: ...


def open_notices(*, readonly: bool = False, env: dict | None = None) -> NoticeStore | None:
    """The notice store in the configured page store's database (``paging.store.open_store``:
    SQLite by default, PostgreSQL for ``ONCALL_DATABASE_URL=postgresql://…``), migrated to
    this version's schema. None when ``readonly`` and nothing was stored yet. Raises
    ``StoreError``."""
    from pathlib import Path

    from ..paging.store import POSTGRES, configured_url

    url = configured_url(env)
    if url.startswith(POSTGRES):
        from .postgres import PostgresNotices

        return PostgresNotices.reader(url) if readonly else PostgresNotices(url)
    from .sqlite import SQLiteNotices

    path = Path(url[len("sqlite://"):]) if url else None
    return SQLiteNotices.reader(path) if readonly else SQLiteNotices(path)
