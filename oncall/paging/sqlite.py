"""The SQLite page store (``store.PageStore``): one file, WAL mode.

One row per page and one per attempt. Every attempt is written *before* it is sent and
updated after, so a crash leaves a ``sending`` row rather than nothing. Decisions that
must hold across concurrent processes (dedup, the per-person rate limit) are taken
inside one ``BEGIN IMMEDIATE`` transaction: the check and the write cannot interleave.
Times are stored as fixed-width UTC ISO 8601 text, so they sort and compare as text.

Locking: a writer waits for another process's transaction at most ``PATIENCE`` seconds,
says so through ``on_wait`` after ``NOTICE`` seconds, then raises ``StoreBusy``. The file
carries its schema version (``PRAGMA user_version``): an older one is upgraded, a newer
or foreign one refused (``StoreSchemaMismatch``). Listing opens the file read-only and
works in a read-only folder. The file (and so its WAL and SHM, which SQLite creates with
the database's mode) is 0600 in a 0700 folder.
"""

from __future__ import annotations

import os
import sqlite3
import time
from collections.abc import Callable
from contextlib import contextmanager
from datetime import datetime, timedelta, timezone
from pathlib import Path

from ..dirs import private_dir, private_file, state_dir
from ..errors import StoreBusy, StoreError, StoreSchemaMismatch
from .store import DEFAULT_LIMIT

VERSION = 2  # 2: indexes for listing (pages.started, attempts.page_id)
PATIENCE = 20.0  # seconds a writer waits for a lock before giving up
NOTICE = 1.0  # seconds of waiting before the user is told

SCHEMA = """
CREATE TABLE IF NOT EXISTS pages (
    id INTEGER PRIMARY KEY AUTOINCREMENT,
    rotation TEXT,
    message TEXT NOT NULL,
    dedup_key TEXT,
    started TEXT NOT NULL,
    deadline TEXT NOT NULL,
    finished TEXT,
    outcome TEXT,
    acknowledged_by TEXT
);
CREATE INDEX IF NOT EXISTS pages_dedup ON pages (dedup_key, started);
CREATE INDEX IF NOT EXISTS pages_started ON pages (started, id);
CREATE TABLE IF NOT EXISTS attempts (
    id INTEGER PRIMARY KEY AUTOINCREMENT,
    page_id INTEGER NOT NULL REFERENCES pages (id),
    round INTEGER NOT NULL,
    step INTEGER NOT NULL,
    person TEXT,
    channel TEXT,
    sid TEXT,
    status TEXT NOT NULL,
    error_code INTEGER,
    detail TEXT NOT NULL DEFAULT '',
    started TEXT NOT NULL,
    ended TEXT
);
CREATE INDEX IF NOT EXISTS attempts_person ON attempts (person, started);
CREATE INDEX IF NOT EXISTS attempts_page ON attempts (page_id);
"""
COLUMNS = {
    "pages": {"id", "rotation", "message", "dedup_key", "started", "deadline", "finished", "outcome",
              "acknowledged_by"},
    "attempts": {"id", "page_id", "round", "step", "person", "channel", "sid", "status", "error_code", "detail",
                 "started", "ended"},
}

# Attempts that really went out (or may have): they count against the rate limit.
_SENT = "(sid IS NOT NULL OR status = 'sending')"


def default_path() -> Path:
    return state_dir() / "pages.sqlite3"


def _t(t: datetime) -> str:
    return t.astimezone(timezone.utc).strftime("%Y-%m-%dT%H:%M:%S.%f+00:00")


def _parse(s: str | None) -> datetime | None:
    return datetime.fromisoformat(s) if s else None


def _reason(e: Exception) -> str:
    return str(e) or type(e).__name__


def _connect_readonly(path: Path) -> sqlite3.Connection:
    """A read-only connection. In a folder we cannot write, SQLite cannot create the WAL
    index; nobody can be writing such a store either, so it is read as immutable."""
    uri = path.resolve().as_uri()
    db = sqlite3.connect(f"{uri}?mode=ro", uri=True, timeout=5)
    try:
        db.execute("SELECT count(*) FROM sqlite_master").fetchone()
        return db
    except sqlite3.OperationalError:
        db.close()
        if os.access(path.parent, os.W_OK):
            raise
    return sqlite3.connect(f"{uri}?mode=ro&immutable=1", uri=True)


def _check_schema(db: sqlite3.Connection, path: Path) -> int:
    """The file's schema version (0: a new, empty file); ``StoreSchemaMismatch`` if it is
    not a page store this version can use."""
    (version,) = db.execute("PRAGMA user_version").fetchone()
    tables = {name for (name,) in db.execute("SELECT name FROM sqlite_master WHERE type = 'table'")} - {
        "sqlite_sequence"}
    if version == 0 and not tables:
        return 0
    if version > VERSION:
        raise StoreSchemaMismatch(f"the page log {path} has schema version {version}, written by a newer "
                                  f"oncall (this one knows {VERSION}): upgrade oncall, or point "
                                  "ONCALL_STATE_DIR elsewhere")
    for table, wanted in COLUMNS.items():
        have = {row[1] for row in db.execute(f"PRAGMA table_info({table})")}
        if version < 1 or not wanted <= have:
            raise StoreSchemaMismatch(f"{path} is not an oncall page store (schema version {version}, "
                                      f"table {table!r} {'missing' if not have else 'has other columns'}): "
                                      "move it away or point ONCALL_STATE_DIR elsewhere")
    return version


class SQLiteStore:
    def __init__(self, path: Path | None = None, on_wait: Callable[[str], None] | None = None):
        """Open (creating if needed) the store for writing. ``StoreError`` if it cannot be
        created or written: without it there is no dedup and no rate limit."""
        self.path = path or default_path()
        self.on_wait = on_wait
        try:
            private_dir(self.path.parent)
            private_file(self.path)
            self._tighten()
            self.db = sqlite3.connect(self.path, timeout=0.2, isolation_level=None)
            self.db.row_factory = sqlite3.Row
            self._patiently(lambda: self.db.execute("PRAGMA journal_mode=WAL"))
            with self.transaction() as db:
                if _check_schema(db, self.path) < VERSION:
                    for statement in SCHEMA.split(";"):
                        if statement.strip():
                            db.execute(statement)
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
        Creates nothing and works in a read-only folder."""
        path = path or default_path()
        if not path.exists():
            return None
        store = cls.__new__(cls)
        store.path, store.on_wait = path, None
        try:
            store.db = _connect_readonly(path)
            store.db.row_factory = sqlite3.Row
            if _check_schema(store.db, path) == 0:
                store.db.close()
                return None
        except sqlite3.Error as e:
            raise StoreError(f"cannot read the page log {path}: {_reason(e)}") from None
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
        self._patiently(lambda: self.db.execute("BEGIN IMMEDIATE"))
        try:
            yield self.db
        except BaseException:
            self.db.execute("ROLLBACK")
            raise
        self.db.execute("COMMIT")

    def close(self) -> None:
        self.db.close()

    # pages

    def open_page(self, rotation: str | None, message: str, now: datetime, deadline: datetime,
                  dedup_key: str | None = None, window: timedelta = timedelta(hours=1)) -> tuple[int, bool]:
        """A new page id, or ``(existing id, True)`` when ``dedup_key`` matches a page that
        started within ``window`` before ``now`` or is still open (not finished and not
        past its deadline). A page that failed (nothing could be sent) covers nothing: the
        next one must go out. Decided in one transaction."""
        with self.transaction() as db:
            if dedup_key is not None:
                row = db.execute(
                    "SELECT id FROM pages WHERE dedup_key = ? AND (started > ? OR (finished IS NULL AND deadline > ?))"
                    " AND outcome IS NOT 'failed' ORDER BY started DESC LIMIT 1",
                    (dedup_key, _t(now - window), _t(now))).fetchone()
                if row:
                    return row["id"], True
            cur = db.execute("INSERT INTO pages (rotation, message, dedup_key, started, deadline) VALUES (?,?,?,?,?)",
                             (rotation, message, dedup_key, _t(now), _t(deadline)))
            return int(cur.lastrowid), False

    def finish_page(self, page_id: int, outcome: str, at: datetime, acknowledged_by: str | None = None) -> None:
        with self.transaction() as db:
            db.execute("UPDATE pages SET outcome = ?, finished = ?, acknowledged_by = ? WHERE id = ?",
                       (outcome, _t(at), acknowledged_by, page_id))

    def pages(self, since: datetime | None = None, limit: int | None = DEFAULT_LIMIT) -> list[dict]:
        # The newest ``limit`` by the started index, then their attempt counts in one
        # grouped query over the attempts index: cost follows ``limit``, not the log.
        rows = self.db.execute(
            "SELECT p.*, count(a.id) AS n FROM"
            " (SELECT * FROM pages WHERE started >= ? ORDER BY started DESC, id DESC LIMIT ?) p"
            " LEFT JOIN attempts a ON a.page_id = p.id GROUP BY p.id ORDER BY p.started, p.id",
            (_t(since) if since else "", -1 if limit is None else limit)).fetchall()
        return [_page(r) | {"attempts": r["n"]} for r in rows]

    def page(self, page_id: int) -> dict | None:
        row = self.db.execute("SELECT * FROM pages WHERE id = ?", (page_id,)).fetchone()
        if row is None:
            return None
        return _page(row) | {"attempts": self.attempts(page_id)}

    # attempts

    def start_attempt(self, page_id: int, round: int, step: int, person: str, channel: str, now: datetime,
                      limit: int, per: timedelta) -> tuple[int, bool]:
        """Record an attempt about to be sent. If ``person`` already had ``limit`` sends in
        ``per`` before ``now`` (any page), it is recorded as ``rate-limited`` instead and
        ``False`` comes back. One transaction, so concurrent pages cannot both slip under."""
        with self.transaction() as db:
            (n,) = db.execute(f"SELECT count(*) FROM attempts WHERE person = ? AND started > ? AND {_SENT}",
                              (person, _t(now - per))).fetchone()
            allowed = n < limit
            status, detail = ("sending", "") if allowed else ("rate-limited", f"{n} sends in {per}")
            cur = db.execute("INSERT INTO attempts (page_id, round, step, person, channel, status, detail, started,"
                             " ended) VALUES (?,?,?,?,?,?,?,?,?)",
                             (page_id, round, step, person, channel, status, detail, _t(now),
                              None if allowed else _t(now)))
            return int(cur.lastrowid), allowed

    def add_attempt(self, page_id: int, round: int, step: int, person: str | None, channel: str | None,
                    status: str, at: datetime, error_code: int | None = None, detail: str = "") -> int:
        with self.transaction() as db:
            cur = db.execute("INSERT INTO attempts (page_id, round, step, person, channel, status, error_code, detail,"
                             " started, ended) VALUES (?,?,?,?,?,?,?,?,?,?)",
                             (page_id, round, step, person, channel, status, error_code, detail, _t(at), _t(at)))
            return int(cur.lastrowid)

    def update_attempt(self, attempt_id: int, status: str, at: datetime | None = None, *, sid: str | None = None,
                       error_code: int | None = None, detail: str | None = None) -> None:
        with self.transaction() as db:
            db.execute("UPDATE attempts SET status = ?, ended = coalesce(?, ended), sid = coalesce(?, sid),"
                       " error_code = coalesce(?, error_code), detail = coalesce(?, detail) WHERE id = ?",
                       (status, _t(at) if at else None, sid, error_code, detail, attempt_id))

    def attempts(self, page_id: int) -> list[dict]:
        rows = self.db.execute("SELECT * FROM attempts WHERE page_id = ? ORDER BY id", (page_id,)).fetchall()
        return [_attempt(r) for r in rows]


def _page(r: sqlite3.Row) -> dict:
    return {"id": r["id"], "rotation": r["rotation"], "message": r["message"], "dedup_key": r["dedup_key"],
            "started": _parse(r["started"]), "finished": _parse(r["finished"]), "outcome": r["outcome"] or "open",
            "acknowledged_by": r["acknowledged_by"]}


def _attempt(r: sqlite3.Row) -> dict:
    return {"round": r["round"], "step": r["step"], "person": r["person"], "channel": r["channel"], "sid": r["sid"],
            "status": r["status"], "error_code": r["error_code"], "detail": r["detail"],
            "started": _parse(r["started"]), "ended": _parse(r["ended"])}
