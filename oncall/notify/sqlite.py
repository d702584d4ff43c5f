"""The notice store (``store.NoticeStore``) in the page log's SQLite file.

Two tables next to the page store's: ``notices`` (one row per notice key: the unique
key is what makes a send exactly-once) and ``notice_snapshots`` (per person, what was
last announced). Plain SQL, ``INSERT ... ON CONFLICT DO NOTHING`` and conditional
``UPDATE``s, so another backend can use the same statements. Locking, waiting and file
permissions are the page store's (``paging.sqlite.SQLiteStore``).
"""

from __future__ import annotations

import json
import sqlite3
from collections.abc import Callable
from datetime import datetime
from pathlib import Path

from ..errors import StoreError
from ..paging.sqlite import SQLiteStore
from ..paging.sqlite_incidents import _parse, _t
from .plan import Notice
from .store import FAILED, MAX_TRIES, PENDING, SENDING, SKIPPED

SCHEMA = """
CREATE TABLE IF NOT EXISTS notices (
    key TEXT PRIMARY KEY,
    kind TEXT NOT NULL,
    person TEXT NOT NULL,
    rotation TEXT,
    channel TEXT,
    due TEXT NOT NULL,
    status TEXT NOT NULL,
    subject TEXT NOT NULL,
    body TEXT NOT NULL,
    detail TEXT NOT NULL DEFAULT '',
    tries INTEGER NOT NULL DEFAULT 0,
    created TEXT NOT NULL,
    updated TEXT NOT NULL
);
CREATE INDEX IF NOT EXISTS notices_status ON notices (status, due);
CREATE INDEX IF NOT EXISTS notices_updated ON notices (updated);
CREATE TABLE IF NOT EXISTS notice_state (
    name TEXT PRIMARY KEY,
    value TEXT NOT NULL
);
CREATE TABLE IF NOT EXISTS notice_snapshots (
    person TEXT PRIMARY KEY,
    taken TEXT NOT NULL,
    shifts TEXT NOT NULL
);
"""
_INSERT = ("INSERT INTO notices (key, kind, person, rotation, channel, due, status, subject, body, detail, tries,"
           " created, updated) VALUES (?,?,?,?,?,?,?,?,?,?,?,?,?) ON CONFLICT (key) DO NOTHING")


def _row(n: Notice, channel: str | None, status: str, now: datetime, detail: str = "", tries: int = 0) -> tuple:
    return (n.key, n.kind, n.person, n.rotation, channel, _t(n.due), status, n.subject, n.body, detail, tries,
            _t(now), _t(now))


class SQLiteNotices(SQLiteStore):
    def __init__(self, path: Path | None = None):
        super().__init__(path)
        try:
            with self.transaction() as db:
                for statement in SCHEMA.split(";"):
                    if statement.strip():
                        db.execute(statement)
        except sqlite3.Error as e:
            raise StoreError(f"cannot write the notice log {self.path}: {e}") from None

    def claim(self, notice: Notice, channel: str | None, now: datetime) -> bool:
        with self.transaction() as db:
            if db.execute(_INSERT, _row(notice, channel, SENDING, now, tries=1)).rowcount:
                return True
            cur = db.execute("UPDATE notices SET status = ?, channel = ?, tries = tries + 1, updated = ? WHERE key = ?"
                             " AND (status = ? OR (status = ? AND tries < ?))",
                             (SENDING, channel, _t(now), notice.key, PENDING, FAILED, MAX_TRIES))
            return cur.rowcount == 1

    def finish(self, key: str, status: str, now: datetime, detail: str = "") -> None:
        with self.transaction() as db:
            db.execute("UPDATE notices SET status = ?, detail = ?, updated = ? WHERE key = ?",
                       (status, detail, _t(now), key))

    def skip(self, notice: Notice, now: datetime, reason: str) -> bool:
        with self.transaction() as db:
            return bool(db.execute(_INSERT, _row(notice, None, SKIPPED, now, reason)).rowcount)

    def status(self, key: str) -> str | None:
        row = self._read("SELECT status FROM notices WHERE key = ?", (key,))
        return row[0]["status"] if row else None

    def announce(self, person: str, snapshot: dict, now: datetime,
                 diff: Callable[[dict | None], Notice | None]) -> Notice | None:
        with self.transaction() as db:
            row = db.execute("SELECT shifts FROM notice_snapshots WHERE person = ?", (person,)).fetchone()
            notice = diff(json.loads(row["shifts"]) if row else None)
            if notice:
                db.execute(_INSERT, _row(notice, None, PENDING, now))
            db.execute("INSERT INTO notice_snapshots (person, taken, shifts) VALUES (?,?,?) ON CONFLICT (person)"
                       " DO UPDATE SET taken = excluded.taken, shifts = excluded.shifts",
                       (person, _t(now), json.dumps(snapshot, sort_keys=True)))
            return notice

    def snapshot(self, person: str) -> dict | None:
        rows = self._read("SELECT shifts FROM notice_snapshots WHERE person = ?", (person,))
        return json.loads(rows[0]["shifts"]) if rows else None

    def first_run(self, now: datetime | None = None) -> datetime | None:
        if now is not None:
            with self.transaction() as db:
                db.execute("INSERT INTO notice_state (name, value) VALUES ('first_run', ?) ON CONFLICT (name)"
                           " DO NOTHING", (_t(now),))
        rows = self._read("SELECT value FROM notice_state WHERE name = 'first_run'", ())
        return _parse(rows[0]["value"]) if rows else None

    def pending(self, now: datetime) -> list[Notice]:
        rows = self._read("SELECT * FROM notices WHERE status = ? AND due <= ? ORDER BY due, key",
                          (PENDING, _t(now)))
        return [Notice(r["key"], r["kind"], r["person"], r["rotation"], _parse(r["due"]), None, r["subject"],
                       r["body"]) for r in rows]

    def notices(self, since: datetime | None = None, limit: int | None = 50) -> list[dict]:
        rows = self._read("SELECT * FROM (SELECT * FROM notices WHERE updated >= ? ORDER BY updated DESC, key"
                          " LIMIT ?) ORDER BY updated, key",
                          (_t(since) if since else "", -1 if limit is None else limit))
        return [{"key": r["key"], "kind": r["kind"], "person": r["person"], "rotation": r["rotation"],
                 "channel": r["channel"], "due": _parse(r["due"]), "status": r["status"], "subject": r["subject"],
                 "body": r["body"], "detail": r["detail"], "tries": r["tries"], "at": _parse(r["updated"])}
                for r in rows]

    def _read(self, sql: str, args: tuple) -> list[sqlite3.Row]:
        try:
            return self.db.execute(sql, args).fetchall()
        except sqlite3.OperationalError as e:
            if "no such table" in str(e):  # a page log no notify run has written to yet
                return []
            raise StoreError(f"cannot read the notice log {self.path}: {e}") from None
