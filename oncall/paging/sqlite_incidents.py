"""The SQLite store's incidents, timers and opt-outs (``store.IncidentStore``).

A mixin of ``sqlite.SQLiteStore``: it uses the store's ``transaction()`` (one ``BEGIN IMMEDIATE``
transaction under the store's thread lock) and ``read()`` (the lock alone). Every
decision that must hold across processes (dedup, claiming a due timer, acknowledging
while a step fires) is one transaction. Times are fixed-width UTC ISO 8601 text, so they
sort and compare as text. The operations both backends share are ``incident_rules.Rules``,
over the hooks here. Semantics: ``store`` and ``oncall.serve``.
"""

from __future__ import annotations

from datetime import datetime, timezone

from .incident_rules import Rules
from .store import TRIGGERED


def _t(t: datetime) -> str:
    return t.astimezone(timezone.utc).strftime("%Y-%m-%dT%H:%M:%S.%f+00:00")


def _parse(s: str | None) -> datetime | None:
    return datetime.fromisoformat(s) if s else None


class Incidents(Rules):
    """The backend hooks of ``incident_rules.Rules``, and what SQLite does its own way."""

    _t = staticmethod(_t)
    _time = staticmethod(_parse)

    def _write(self):
        return self.transaction()

    @staticmethod
    def _x(db, sql: str, args: tuple = ()):
        return db.execute(sql, args)

    @staticmethod
    def _insert(db, sql: str, args: tuple) -> int:
        return int(db.execute(sql, args).lastrowid)

    def open(self, rotation: str, dedup_key: str, source: str, message: str, now: datetime) -> tuple[int, bool]:
        with self.transaction() as db:
            iid = self._unresolved(db, rotation, dedup_key, now)
            if iid is not None:
                db.execute("UPDATE incidents SET alerts = alerts + 1 WHERE id = ?", (iid,))
                return iid, True
            # No process runs an alert's incident: its run's deadline is its opening.
            cur = db.execute("INSERT INTO incidents (rotation, dedup_key, source, message, state, opened, deadline)"
                             " VALUES (?,?,?,?,?,?,?)",
                             (rotation, dedup_key, source, message, TRIGGERED, _t(now), _t(now)))
            iid = int(cur.lastrowid)
            db.execute("INSERT INTO timers (incident_id, step, chan, due) VALUES (?,0,0,?)", (iid, _t(now)))
            return iid, False

    def attempt(self, aid: int) -> dict | None:
        with self.read() as db:
            row = db.execute("SELECT * FROM attempts WHERE id = ?", (aid,)).fetchone()
        return dict(row) if row else None

    def delivery(self, aid: int, status: str, error_code: int | None, failed: bool, now: datetime) -> bool:
        with self.transaction() as db:
            row = db.execute("SELECT incident_id FROM attempts WHERE id = ?", (aid,)).fetchone()
            if row is None:
                return False
            db.execute("UPDATE attempts SET status = ?, error_code = coalesce(?, error_code) WHERE id = ?",
                       (status, error_code, aid))
            if not failed:
                return False
            (latest,) = db.execute("SELECT max(id) FROM attempts WHERE incident_id = ?", (row[0],)).fetchone()
            if latest != aid:
                return False
            cur = db.execute("UPDATE timers SET due = ? WHERE incident_id = ? AND owner IS NULL AND due > ?",
                             (_t(now), row[0], _t(now)))
            return cur.rowcount > 0
