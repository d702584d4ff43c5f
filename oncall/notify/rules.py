"""The notice store's operations (``store.NoticeStore``), written once for both backends.

A mixin over the page store's backend hooks (``paging.incident_rules``: ``read()``,
``_write()``, ``_x``, ``_t``, ``_time``), so each rule is one SQL statement both run as
written. Exactly once holds by the database, not by timing:

* **claim**: ``INSERT … ON CONFLICT (key) DO NOTHING``, else an ``UPDATE`` whose ``WHERE``
  admits only a pending notice or a failed one with tries left. Two runs claiming one key
  at once: on SQLite the write transactions are serial; on PostgreSQL the second insert
  waits for the first's row and then does nothing, and the second update re-reads the
  row the first changed (``sending``) and matches nothing. One of them wins, always.
* **announce**: read the person's snapshot, write the change notice and the new snapshot,
  in one transaction that excludes other writers for that person (SQLite: the file's
  write lock; PostgreSQL: ``_LOCK_PERSON``, an advisory lock per person held to commit),
  so concurrent runs cannot both announce one change.
"""

from __future__ import annotations

import json
from collections.abc import Callable
from datetime import datetime

from .plan import Notice
from .store import FAILED, MAX_TRIES, PENDING, SENDING, SKIPPED

_INSERT = ("INSERT INTO notices (key, kind, person, rotation, channel, due, status, subject, body, detail, tries,"
           " created, updated) VALUES (?,?,?,?,?,?,?,?,?,?,?,?,?) ON CONFLICT (key) DO NOTHING")


class NoticeRules:
    _LOCK_PERSON = ""  # a statement taking ``?`` (the person) that serialises announcements, where needed

    def _row(self, n: Notice, channel: str | None, status: str, now: datetime, detail: str = "",
             tries: int = 0) -> tuple:
        return (n.key, n.kind, n.person, n.rotation, channel, self._t(n.due), status, n.subject, n.body, detail,
                tries, self._t(now), self._t(now))

    def _rows(self, sql: str, args: tuple) -> list:
        with self.read() as h:
            return self._x(h, sql, args).fetchall()

    def claim(self, notice: Notice, channel: str | None, now: datetime) -> bool:
        with self._write() as h:
            if self._x(h, _INSERT, self._row(notice, channel, SENDING, now, tries=1)).rowcount:
                return True
            cur = self._x(h, "UPDATE notices SET status = ?, channel = ?, tries = tries + 1, updated = ? WHERE key = ?"
                          " AND (status = ? OR (status = ? AND tries < ?))",
                          (SENDING, channel, self._t(now), notice.key, PENDING, FAILED, MAX_TRIES))
            return cur.rowcount == 1

    def finish(self, key: str, status: str, now: datetime, detail: str = "") -> None:
        with self._write() as h:
            self._x(h, "UPDATE notices SET status = ?, detail = ?, updated = ? WHERE key = ?",
                    (status, detail, self._t(now), key))

    def skip(self, notice: Notice, now: datetime, reason: str) -> bool:
        with self._write() as h:
            return bool(self._x(h, _INSERT, self._row(notice, None, SKIPPED, now, reason)).rowcount)

    def status(self, key: str) -> str | None:
        rows = self._rows("SELECT status FROM notices WHERE key = ?", (key,))
        return rows[0]["status"] if rows else None

    def announce(self, person: str, snapshot: dict, now: datetime,
                 diff: Callable[[dict | None], Notice | None]) -> Notice | None:
        with self._write() as h:
            if self._LOCK_PERSON:
                self._x(h, self._LOCK_PERSON, (person,))
            row = self._x(h, "SELECT shifts FROM notice_snapshots WHERE person = ?", (person,)).fetchone()
            notice = diff(json.loads(row["shifts"]) if row else None)
            if notice:
                self._x(h, _INSERT, self._row(notice, None, PENDING, now))
            self._x(h, "INSERT INTO notice_snapshots (person, taken, shifts) VALUES (?,?,?) ON CONFLICT (person)"
                    " DO UPDATE SET taken = excluded.taken, shifts = excluded.shifts",
                    (person, self._t(now), json.dumps(snapshot, sort_keys=True)))
            return notice

    def snapshot(self, person: str) -> dict | None:
        rows = self._rows("SELECT shifts FROM notice_snapshots WHERE person = ?", (person,))
        return json.loads(rows[0]["shifts"]) if rows else None

    def first_run(self, now: datetime | None = None) -> datetime | None:
        if now is not None:
            with self._write() as h:
                self._x(h, "INSERT INTO notice_state (name, value) VALUES ('first_run', ?) ON CONFLICT (name)"
                        " DO NOTHING", (self._t(now),))
        rows = self._rows("SELECT value FROM notice_state WHERE name = 'first_run'", ())
        return self._time(rows[0]["value"]) if rows else None

    def pending(self, now: datetime) -> list[Notice]:
        rows = self._rows("SELECT * FROM notices WHERE status = ? AND due <= ? ORDER BY due, key",
                          (PENDING, self._t(now)))
        return [Notice(r["key"], r["kind"], r["person"], r["rotation"], self._time(r["due"]), None, r["subject"],
                       r["body"]) for r in rows]

    def notices(self, since: datetime | None = None, limit: int | None = 50) -> list[dict]:
        where, args = ("WHERE updated >= ?", (self._t(since),)) if since else ("", ())
        newest = "" if limit is None else f" LIMIT {int(limit)}"
        rows = self._rows(f"SELECT * FROM (SELECT * FROM notices {where} ORDER BY updated DESC, key{newest}) n"
                          " ORDER BY updated, key", args)
        return [{"key": r["key"], "kind": r["kind"], "person": r["person"], "rotation": r["rotation"],
                 "channel": r["channel"], "due": self._time(r["due"]), "status": r["status"],
                 "subject": r["subject"], "body": r["body"], "detail": r["detail"], "tries": r["tries"],
                 "at": self._time(r["updated"])} for r in rows]
