"""The store: the interfaces escalation, ``serve`` and the commands use, and the one factory.

One schema (``schema``) holds pages and incidents as one thing. An *incident* is opened by
``oncall page`` (source ``page``; ``test`` for ``contacts test``) or by an alert to
``oncall serve`` (``alertmanager``, ``grafana``, ``alerts``). It moves ``triggered ->
acknowledged -> resolved`` (or straight to ``resolved``) and never back; a page's id is
its incident's id, so ``oncall ack ID`` works on either. Every send is an *attempt* of its
incident, and every attempt counts against the same per-person rate limit.

**Dedup.** A dedup key is scoped to its rotation and shared by ``page`` and ``serve``: at
most one unresolved incident holds a (rotation, key). An unresolved incident *covers* its
key (a new page or alert with it is a duplicate and sends nothing) unless:

* its page failed (nothing could be sent);
* its page's run is over and its dedup window (``--dedup-window``, from its start) passed;
* its page's run is not over but the process running it is gone: on this host, its pid
  no longer exists; elsewhere (a shared database), its lease (``LEASE``, renewed at every
  poll, see ``PageStore.heartbeat``) ran out. A killed page never swallows its retry.

An incident of ``serve`` has no run of its own to end: it covers its key until resolved.
An unresolved incident that no longer covers is resolved (``resolved_by`` says why) in the
same transaction that opens its successor.

**Timers** (``serve`` only) and their claims: see ``oncall.serve``. A running ``page``
polls its incident: an ``oncall ack`` (or an SMS ``ack`` answered by ``serve``) stops its
escalation at its next poll.

Every decision that must hold across concurrent processes is taken atomically by the
store; callers never hold a transaction. Times go in and come out as aware UTC
``datetime``; records come out as plain dicts (the JSON shapes of ``pages``/``incidents``).
Errors are the store's own (``errors.StoreError`` and subclasses, exit 5); nothing
backend-specific (locking, journaling, retries, SQL dialect) reaches a caller.

Configuration (``open_store``): ``ONCALL_DATABASE_URL`` unset, or ``sqlite:///PATH``,
gives SQLite (by default ``pages.sqlite3`` in the state dir, see ``oncall.dirs``);
``postgresql://…`` (or ``postgres://…``, libpq's URL forms) gives PostgreSQL, shared by
several processes and hosts (``postgres``). Other schemes are refused.
"""

from __future__ import annotations

import os
import socket
import uuid
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Protocol

from ..errors import StoreError
from ..wording import plural, rounded_duration

DATABASE_URL = "ONCALL_DATABASE_URL"
POSTGRES = ("postgresql://", "postgres://")  # the URL forms libpq reads
DEFAULT_LIMIT = 50  # pages listed by default (``pages --limit``, ``--all``)
TRIGGERED, ACKNOWLEDGED, RESOLVED = "triggered", "acknowledged", "resolved"
PAGE_SOURCES = ("page", "test")  # incidents that ``pages`` lists
LEASE = timedelta(seconds=30)  # a claim's or a running page's lease; renewed well before it ends


def rate_limited(sent: int, per: timedelta) -> str:
    """The detail of an attempt the rate limit held back: ``3 sends in 1h``."""
    return f"{plural(sent, 'send')} in {rounded_duration(per)}"


def process_owner() -> str:
    """An owner id for this process: ``host/pid/random``, unique across hosts and restarts."""
    return f"{socket.gethostname()}/{os.getpid()}/{uuid.uuid4().hex[:8]}"


def owner_alive(owner: str | None) -> bool | None:
    """Whether the process ``owner`` names still runs: known only on its own host
    (None elsewhere, where only its lease can tell)."""
    host, _, rest = (owner or "").partition("/")
    pid = rest.partition("/")[0]
    if host != socket.gethostname() or not pid.isdigit():
        return None
    try:
        os.kill(int(pid), 0)
    except ProcessLookupError:
        return False
    except OSError:  # someone else's process: it exists
        return True
    return True


def stale_reason(row: dict, now: datetime) -> str | None:
    """Why the unresolved incident ``row`` no longer covers its dedup key (None: it does).
    ``row`` has ``outcome``, ``finished``, ``dedup_until``, ``owner``, ``lease_until``,
    ``deadline`` (the semantics are in the module docstring)."""
    if row["outcome"] == "failed":
        return "its page failed"
    if row["finished"] is not None:
        until = row["dedup_until"]
        return "its dedup window ended" if until is not None and until <= now else None
    if row["owner"] is None:
        return None  # an incident of serve: open until resolved
    alive = owner_alive(row["owner"])
    if alive is False:
        return "the process paging for it is gone"
    if alive is None and (row["lease_until"] is None or row["lease_until"] <= now):
        return "the process paging for it stopped renewing its lease"
    if alive and row["deadline"] is not None and row["deadline"] <= now:
        return "its page ran past its longest escalation"
    return None


@dataclass(frozen=True)
class Claim:
    """A due timer this process now owns: page ``step`` (0-based) on channel ``chan``.
    ``attempt_id`` is the ``sending`` attempt written with the claim; ``stale`` names an
    earlier claim's attempt whose process died mid-send (not to be resent)."""

    incident_id: int
    step: int
    chan: int
    due: datetime
    attempt_id: int
    stale: int | None


class PageStore(Protocol):
    """What escalation and the paging commands need."""

    def open_page(self, rotation: str | None, message: str, now: datetime, deadline: datetime,
                  dedup_key: str | None = None, window: timedelta = timedelta(hours=1)) -> tuple[int, bool]:
        """A new incident (source ``page``, or ``test`` without a rotation) run by this
        store's process, and False; or ``(id, True)`` when an unresolved incident of
        ``rotation`` covers ``dedup_key``. ``deadline``: when the run ends at the latest;
        ``window``: how long after its run the page still covers its key. Atomic."""
        ...

    def heartbeat(self, page_id: int, now: datetime, hold: timedelta = timedelta()) -> tuple[str, str | None]:
        """Renew the running page's lease (to ``LEASE`` after ``hold``: a pause about to
        begin); returns its incident's ``(state, by)``: who acknowledged or resolved it
        meanwhile (``oncall ack``, ``serve``), if anyone."""
        ...

    def finish_page(self, page_id: int, outcome: str, at: datetime, acknowledged_by: str | None = None) -> None:
        """Record a page's outcome (``acknowledged``, ``sent``, ``unreached``, ``failed``);
        ``acknowledged`` also acknowledges its incident."""
        ...

    def pages(self, since: datetime | None = None, limit: int | None = DEFAULT_LIMIT) -> list[dict]:
        """Pages started at or after ``since``, oldest first; with ``limit``, only the
        newest ``limit`` of them. Each with ``attempts``: how many it has."""
        ...

    def page(self, page_id: int) -> dict | None:
        """One page with ``attempts``, the list of its attempts; None if unknown."""
        ...

    def start_attempt(self, page_id: int, round: int, step: int, person: str, channel: str, now: datetime,
                      limit: int, per: timedelta, phone: str | None = None) -> tuple[int, bool]:
        """Record an attempt about to be sent (status ``sending``) and True; or, if
        ``person`` already had ``limit`` sends (an attempt with a provider id, or still
        ``sending``) in ``per`` before ``now`` across all incidents, record it as
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

    def status(self) -> dict:
        """``backend``, ``location``, ``schema`` (version), ``migrated_from`` and ``counts``."""
        ...

    def close(self) -> None: ...


class IncidentStore(Protocol):
    """What ``serve`` and ``incidents``/``ack``/``resolve`` need, on the same store."""

    def open(self, rotation: str, dedup_key: str, source: str, message: str, now: datetime) -> tuple[int, bool]:
        """``(id, False)`` for a new triggered incident (its first timer due at ``now``), or
        ``(id, True)`` when an unresolved incident of ``rotation`` covers ``dedup_key``
        (counted as one more alert). Atomic."""
        ...

    def find_open(self, rotation: str, dedup_key: str) -> int | None: ...

    def acknowledge(self, iid: int, by: str, now: datetime) -> str:
        """Acknowledge a triggered incident and stop its escalation. Returns the state it
        was in before (``triggered`` means this call acknowledged it); ``missing`` if none."""
        ...

    def resolve(self, iid: int, by: str, now: datetime) -> str:
        """Resolve an incident that is not resolved yet; returns its previous state."""
        ...

    def incident(self, iid: int) -> dict | None: ...

    def incidents(self, since: datetime | None = None) -> list[dict]:
        """Every incident not resolved, and resolved ones opened at or after ``since``."""
        ...

    def open_count(self) -> int: ...

    def state(self, iid: int) -> str | None: ...

    def paged_to(self, phone: str) -> list[int]:
        """Incidents that paged ``phone``, newest first."""
        ...

    def person_paged(self, iid: int, phone: str) -> str | None: ...

    def claim(self, owner: str, now: datetime, lease: timedelta = LEASE) -> Claim | None:
        """The earliest due, unleased (or lease-expired) timer, leased to ``owner`` with a
        ``sending`` attempt written; None when nothing is due."""
        ...

    def fired(self, claim: Claim, owner: str, attempt: dict, nxt: tuple[int, int, datetime] | None) -> bool:
        """Record what the claimed step did (``attempt``: person, phone, channel, sid,
        status, error_code, detail, at) and replace the timer by ``nxt`` = (step, chan,
        due), or none. False (and the timer untouched) if the claim was lost meanwhile."""
        ...

    def attempt(self, aid: int) -> dict | None: ...

    def delivery(self, aid: int, status: str, error_code: int | None, failed: bool, now: datetime) -> bool:
        """A status callback for attempt ``aid``. When ``failed`` and it is its incident's
        latest attempt while triggered, the timer becomes due at once. True if it did."""
        ...

    def escalate_now(self, iid: int, now: datetime) -> bool: ...

    def set_opt_out(self, phone: str, out: bool, now: datetime) -> None: ...

    def opted_out(self, phone: str) -> bool: ...

    def ping(self) -> None:
        """Raise ``StoreError`` unless the store answers."""
        ...


class Store(PageStore, IncidentStore, Protocol):
    """The store ``open_store`` returns: pages and incidents in one schema."""


def configured_url(env: dict | None = None) -> str:
    """``ONCALL_DATABASE_URL`` from ``env`` (the environment), "" when unset; ``StoreError``
    for a scheme no backend serves."""
    env = os.environ if env is None else env
    url = env.get(DATABASE_URL, "").strip()
    if url and not url.startswith((*POSTGRES, "sqlite:///")):
        scheme = url.split(":", 1)[0]
        raise StoreError(f"{DATABASE_URL}: {scheme!r} stores are not supported by this version "
                         "(use postgresql://…, sqlite:///PATH, or leave it unset for SQLite in the state dir)")
    return url


def open_store(*, readonly: bool = False, on_wait: Callable[[str], None] | None = None,
               env: dict | None = None, pooled: bool = False) -> Store | None:
    """The configured store, migrated to this version's schema. ``readonly`` (listing):
    opens without creating anything and returns None when no store exists yet (an older
    schema is migrated first if the store is writable). ``on_wait`` is told, once, when
    another process holds the store and we are waiting for it. One store may be shared
    by a service's threads; ``pooled`` gives them a pool of connections where the backend
    has connections (PostgreSQL). Raises ``StoreError``."""
    url = configured_url(env)
    if url.startswith(POSTGRES):
        from .postgres import PostgresStore

        return PostgresStore.reader(url) if readonly else PostgresStore(url, pooled=pooled)
    from pathlib import Path

    from .sqlite import SQLiteStore, default_path

    path = Path(url[len("sqlite://"):]) if url else default_path()
    if readonly:
        return SQLiteStore.reader(path)
    return SQLiteStore(path, on_wait=on_wait)
