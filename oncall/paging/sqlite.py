"""The SQLite store (``store.Store``): one file, WAL mode, the schema of ``schema``.

One row per incident (a page is one) and one per attempt. Every attempt is written
*before* it is sent and updated after, so a crash leaves a ``sending`` row rather than
nothing. Decisions that must hold across concurrent processes (dedup, the per-person rate
limit, claiming a timer) are taken inside one ``BEGIN IMMEDIATE`` transaction: the check
and the write cannot interleave. One connection may be shared by a service's threads: a
lock serialises them. Times are fixed-width UTC ISO 8601 text (``{time}`` is TEXT).

Locking: a writer waits for another process's transaction at most ``PATIENCE`` seconds,
says so through ``on_wait`` after ``NOTICE`` seconds, then raises ``StoreBusy``. The file
carries its schema version (``PRAGMA user_version``): an older one is migrated forward
(``schema.MIGRATIONS``), a newer or foreign one refused (``StoreSchemaMismatch``).
Listing opens the file read-only and works in a read-only folder. The file (and so its
WAL and SHM, which SQLite creates with the database's mode) is 0600 in a 0700 folder.
"""

from __future__ import annotations

import os
import sqlite3
import threading
import time
from collections.abc import Callable
from contextlib import contextmanager
from datetime import datetime, timedelta
from pathlib import Path

from ..dirs import private_dir, private_file, state_dir
from ..errors import StoreBusy, StoreError, StoreSchemaMismatch
from .schema import MIGRATIONS, VERSION
from .sqlite_incidents import Incidents, _t
from .store import ACKNOWLEDGED, DEFAULT_LIMIT, LEASE, PAGE_SOURCES, RESOLVED, TRIGGERED, process_owner, rate_limited

PATIENCE = 20.0  # seconds a writer waits for a lock before giving up
NOTICE = 1.0  # seconds of waiting before the user is told
TYPES = {"id": "INTEGER PRIMARY KEY AUTOINCREMENT", "time": "TEXT"}
# Tables a file of a version may hold, made by that version's code before the schema knew
# them: set aside before the migrations run and merged after (``_MERGE``).
LEGACY = {2: ("incidents", "incident_attempts", "incident_timers", "sms_opt_outs"),
          3: ("notices", "notice_state", "notice_snapshots")}

# Attempts that really went out (or may have): they count against the rate limit.
_SENT = "(sid IS NOT NULL OR status = 'sending')"


def default_path() -> Path:
    return state_dir() / "pages.sqlite3"


def _reason(e: Exception) -> str:
    return str(e) or type(e).__name__


def _connect_readonly(path: Path) -> sqlite3.Connection:
    """A read-only connection. In a folder we cannot write, SQLite cannot create the WAL
    index; nobody can be writing such a store either, so it is read as immutable."""
    uri = path.resolve().as_uri()
    db = sqlite3.connect(f"{uri}?mode=ro", uri=True, timeout=5, check_same_thread=False)
    try:
        db.execute("SELECT count(*) FROM sqlite_master").fetchone()
        return db
    except sqlite3.OperationalError:
        db.close()
        if os.access(path.parent, os.W_OK):
            raise
    return sqlite3.connect(f"{uri}?mode=ro&immutable=1", uri=True, check_same_thread=False)


def _tables(db: sqlite3.Connection) -> set[str]:
    return {name for (name,) in db.execute("SELECT name FROM sqlite_master WHERE type = 'table'")} - {
        "sqlite_sequence"}


def _check_schema(db: sqlite3.Connection, path: Path) -> int:
    """The file's schema version (0: a new, empty file); ``StoreSchemaMismatch`` if it is
    not a store this version can use."""
    (version,) = db.execute("PRAGMA user_version").fetchone()
    tables = _tables(db)
    if version == 0 and not tables:
        return 0
    if version > VERSION:
        raise StoreSchemaMismatch(f"the page log {path} has schema version {version}, written by a newer "
                                  f"oncall (this one knows {VERSION}): upgrade oncall, or point "
                                  "ONCALL_STATE_DIR elsewhere")
    wanted = {"pages", "attempts"} if version < 3 else {"incidents", "attempts", "timers"}
    if version < 1 or not wanted <= tables:
        missing = ", ".join(sorted(wanted - tables)) or "?"
        raise StoreSchemaMismatch(f"{path} is not an oncall page store (schema version {version}, "
                                  f"table {missing} missing): move it away or point ONCALL_STATE_DIR elsewhere")
    return version


def _migrate(db: sqlite3.Connection, version: int) -> None:
    """Apply every step after ``version``, in the caller's transaction."""
    present = _tables(db)
    legacy = [v for v, tables in sorted(LEGACY.items()) if v >= version and set(tables) & present]
    for v in legacy:
        names = ",".join("?" * len(LEGACY[v]))
        for (index,) in db.execute("SELECT name FROM sqlite_master WHERE type = 'index' AND sql IS NOT NULL AND"
                                   f" tbl_name IN ({names})", LEGACY[v]).fetchall():
            db.execute(f"DROP INDEX {index}")  # their names are the new schema's
        for table in LEGACY[v]:
            db.execute(f"ALTER TABLE {table} RENAME TO legacy_{table}")
    for step in MIGRATIONS[version:]:
        for statement in step.statements(TYPES):
            db.execute(statement)
    for v in legacy:
        _MERGE[v](db)
        for table in reversed(LEGACY[v]):
            db.execute(f"DROP TABLE legacy_{table}")
    db.execute(f"PRAGMA user_version = {VERSION}")


def _merge_notices(db: sqlite3.Connection) -> None:
    """Version 3's notice tables (``CREATE TABLE IF NOT EXISTS`` by ``oncall notify``) into
    version 4's, row for row: a notice sent before stays sent, a snapshot stays announced."""
    for table in LEGACY[3]:
        columns = ",".join(r[1] for r in db.execute(f"PRAGMA table_info({table})"))
        db.execute(f"INSERT INTO {table} ({columns}) SELECT {columns} FROM legacy_{table}")


def _merge_legacy(db: sqlite3.Connection) -> None:
    """Bring version 2's separate serve tables into the one schema. Their incident and
    attempt ids follow the pages' (the pages keep theirs), so a timer's attempt and a
    status callback for an old attempt still find it."""
    inc = db.execute("SELECT coalesce(max(id), 0) FROM incidents").fetchone()[0]
    att = db.execute("SELECT coalesce(max(id), 0) FROM attempts").fetchone()[0]
    db.execute("INSERT INTO incidents (id, rotation, dedup_key, source, message, state, opened, deadline, acknowledged,"
               " acknowledged_by, resolved, resolved_by, alerts) SELECT id + ?, rotation, dedup_key, source, message,"
               " state, opened, opened, acknowledged, acknowledged_by, resolved, resolved_by, alerts"
               " FROM legacy_incidents", (inc,))
    db.execute("INSERT INTO attempts (id, incident_id, round, step, person, phone, channel, sid, status, error_code,"
               " detail, started, ended) SELECT id + ?, incident_id + ?, 0, step + 1, person, phone, channel, sid,"
               " status, error_code, detail, started, ended FROM legacy_incident_attempts", (att, inc))
    db.execute("INSERT INTO timers SELECT incident_id + ?, step, chan, due, lease_until, owner, attempt_id + ?"
               " FROM legacy_incident_timers", (inc, att))
    db.execute("INSERT INTO sms_opt_outs SELECT * FROM legacy_sms_opt_outs")


_MERGE = {2: _merge_legacy, 3: _merge_notices}


class SQLiteStore(Incidents):
    def __init__(self, path: Path | None = None, on_wait: Callable[[str], None] | None = None):
        """Open (creating or migrating if needed) the store for writing. ``StoreError``
        if it cannot be created or written: without it there is no dedup and no rate limit."""
        self.path = path or default_path()
        self.on_wait = on_wait
        self.owner = process_owner()
        self.lock = threading.RLock()
        try:
            private_dir(self.path.parent)
            private_file(self.path)
            self._tighten()
            self.db = sqlite3.connect(self.path, timeout=0.2, isolation_level=None, check_same_thread=False)
            self.db.row_factory = sqlite3.Row
            self._patiently(lambda: self.db.execute("PRAGMA journal_mode=WAL"))
            with self.transaction() as db:
                self.migrated_from = _check_schema(db, self.path)
                if self.migrated_from < VERSION:
                    _migrate(db, self.migrated_from)
                db.execute(f"PRAGMA user_version = {VERSION}")  # a write, so a read-only store fails here
        except StoreError:
            raise
        except (OSError, sqlite3.Error) as e:
            raise StoreError(f"cannot write the page log {self.path}: {_reason(e)} "
                             "(set ONCALL_STATE_DIR to a writable folder)") from None

    def _tighten(self) -> None:
        # A store created by an older oncall may be world-readable; it holds phone
        # numbers and messages.
        st = self.path.stat()
        if st.st_mode & 0o077 and st.st_uid == os.getuid():
            os.chmod(self.path, 0o600)

    @classmethod
    def reader(cls, path: Path | None = None) -> SQLiteStore | None:
        """The store opened read-only, for listing; None if no page was ever stored.
        Creates nothing and works in a read-only folder; an older schema is migrated
        first where the file can be written, and refused where it cannot."""
        path = path or default_path()
        if not path.exists():
            return None
        store = cls.__new__(cls)
        store.path, store.on_wait, store.owner, store.lock = path, None, None, threading.RLock()
        try:
            store.db = _connect_readonly(path)
            store.db.row_factory = sqlite3.Row
            store.migrated_from = version = _check_schema(store.db, path)
        except sqlite3.Error as e:
            raise StoreError(f"cannot read the page log {path}: {_reason(e)}") from None
        if version == 0:
            store.db.close()
            return None
        if version < VERSION:
            store.db.close()
            try:
                cls(path).close()
            except StoreError:
                raise StoreSchemaMismatch(f"the page log {path} has schema version {version} and cannot be written "
                                          f"here to bring it to {VERSION}: run `oncall db migrate` where it "
                                          "can") from None
            return cls.reader(path)
        return store

    def _patiently(self, fn):
        """``fn()``, retried while another process holds the lock, at most ``PATIENCE`` s."""
        began = time.monotonic()
        told = False
        for _ in range(100_000):
            try:
                return fn()
            except sqlite3.OperationalError as e:
                if "locked" not in str(e) and "busy" not in str(e):
                    raise
            waited = time.monotonic() - began
            if waited >= PATIENCE:
                break
            if waited >= NOTICE and not told and self.on_wait:
                self.on_wait(f"waiting for the page log {self.path}: another process holds its lock "
                             f"(giving up after {PATIENCE:g} s)")
                told = True
            time.sleep(0.02)
        raise StoreBusy(f"the page log {self.path} stayed locked by another process for {PATIENCE:g} s; "
                        "nothing was sent")

    @contextmanager
    def transaction(self):
        """One write transaction, under the thread lock."""
        with self.lock:
            self._patiently(lambda: self.db.execute("BEGIN IMMEDIATE"))
            try:
                yield self.db
            except BaseException:
                self.db.execute("ROLLBACK")
                raise
            self.db.execute("COMMIT")

    @contextmanager
    def read(self):
        with self.lock:
            yield self.db

    def ping(self) -> None:
        try:
            with self.read() as db:
                db.execute("SELECT 1 FROM incidents LIMIT 1").fetchall()
        except sqlite3.Error as e:
            raise StoreError(f"cannot read the page log {self.path}: {_reason(e)}") from None

    def close(self) -> None:
        self.db.close()

    def status(self) -> dict:
        with self.read() as db:
            states = dict(db.execute("SELECT state, count(*) FROM incidents GROUP BY state").fetchall())
            pages = db.execute("SELECT count(*) FROM incidents WHERE source IN (?, ?)", PAGE_SOURCES).fetchone()[0]
            attempts = db.execute("SELECT count(*) FROM attempts").fetchone()[0]
            timers = db.execute("SELECT count(*) FROM timers").fetchone()[0]
        counts = {"pages": pages, "incidents": sum(states.values()), "attempts": attempts, "timers": timers}
        counts |= {s: states.get(s, 0) for s in (TRIGGERED, ACKNOWLEDGED, RESOLVED)}
        return {"backend": "sqlite", "location": str(self.path), "schema": VERSION,
                "migrated_from": self.migrated_from, "counts": counts}

    # pages

    def open_page(self, rotation: str | None, message: str, now: datetime, deadline: datetime,
                  dedup_key: str | None = None, window: timedelta = timedelta(hours=1)) -> tuple[int, bool]:
        with self.transaction() as db:
            if dedup_key is not None:
                iid = self._unresolved(db, rotation, dedup_key, now)
                if iid is not None:
                    return iid, True
            cur = db.execute("INSERT INTO incidents (rotation, message, dedup_key, source, state, opened, deadline,"
                             " dedup_until, owner, lease_until) VALUES (?,?,?,?,?,?,?,?,?,?)",
                             (rotation, message, dedup_key, "page" if rotation else "test", TRIGGERED, _t(now),
                              _t(deadline), _t(now + window), self.owner, _t(now + LEASE)))
            return int(cur.lastrowid), False

    def pages(self, since: datetime | None = None, limit: int | None = DEFAULT_LIMIT) -> list[dict]:
        # The newest ``limit`` by the opened index, then their attempt counts
        # in one grouped query over the attempts index: cost follows ``limit``, not the log.
        with self.read() as db:
            rows = db.execute(
                "SELECT p.*, count(a.id) AS n FROM"
                " (SELECT * FROM incidents WHERE source IN (?, ?) AND opened >= ? ORDER BY opened DESC, id DESC"
                " LIMIT ?) p LEFT JOIN attempts a ON a.incident_id = p.id GROUP BY p.id ORDER BY p.opened, p.id",
                (*PAGE_SOURCES, _t(since) if since else "", -1 if limit is None else limit)).fetchall()
        return [self._page(r) | {"attempts": r["n"]} for r in rows]

    # attempts

    def start_attempt(self, page_id: int, round: int, step: int, person: str, channel: str, now: datetime,
                      limit: int, per: timedelta, phone: str | None = None) -> tuple[int, bool]:
        with self.transaction() as db:
            (n,) = db.execute(f"SELECT count(*) FROM attempts WHERE person = ? AND started > ? AND {_SENT}",
                              (person, _t(now - per))).fetchone()
            allowed = n < limit
            status, detail = ("sending", "") if allowed else ("rate-limited", rate_limited(n, per))
            cur = db.execute("INSERT INTO attempts (incident_id, round, step, person, phone, channel, status, detail,"
                             " started, ended) VALUES (?,?,?,?,?,?,?,?,?,?)",
                             (page_id, round, step, person, phone, channel, status, detail, _t(now),
                              None if allowed else _t(now)))
            return int(cur.lastrowid), allowed


