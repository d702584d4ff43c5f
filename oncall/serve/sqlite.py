"""Incidents, their attempts and escalation timers, in the page log's SQLite file.

The semantics are in the package docstring. Every decision that must hold across
processes (dedup, claiming a due timer, acknowledging while a step fires) is one
``BEGIN IMMEDIATE`` transaction. Times are fixed-width UTC ISO text, as in the page log.
The interface (``open``, ``claim``, ``fired``, ``acknowledge``, ``resolve``...) is what a
PostgreSQL implementation provides too: ``claim`` maps to ``FOR UPDATE SKIP LOCKED``.
"""

from __future__ import annotations

import sqlite3
import threading
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import datetime, timedelta
from pathlib import Path

from ..paging.sqlite import SQLiteStore, _parse, _t

TRIGGERED, ACKNOWLEDGED, RESOLVED = "triggered", "acknowledged", "resolved"
LEASE = timedelta(seconds=30)

SCHEMA = """
CREATE TABLE IF NOT EXISTS incidents (
    id INTEGER PRIMARY KEY AUTOINCREMENT,
    rotation TEXT NOT NULL,
    dedup_key TEXT NOT NULL,
    source TEXT NOT NULL,
    message TEXT NOT NULL,
    state TEXT NOT NULL,
    opened TEXT NOT NULL,
    acknowledged TEXT,
    acknowledged_by TEXT,
    resolved TEXT,
    resolved_by TEXT,
    alerts INTEGER NOT NULL DEFAULT 1
);
CREATE UNIQUE INDEX IF NOT EXISTS incidents_open ON incidents (rotation, dedup_key) WHERE state != 'resolved';
CREATE TABLE IF NOT EXISTS incident_attempts (
    id INTEGER PRIMARY KEY AUTOINCREMENT,
    incident_id INTEGER NOT NULL REFERENCES incidents (id),
    step INTEGER NOT NULL,
    person TEXT,
    phone TEXT,
    channel TEXT,
    sid TEXT,
    status TEXT NOT NULL,
    error_code INTEGER,
    detail TEXT NOT NULL DEFAULT '',
    started TEXT NOT NULL,
    ended TEXT
);
CREATE INDEX IF NOT EXISTS incident_attempts_phone ON incident_attempts (phone, incident_id);
CREATE TABLE IF NOT EXISTS incident_timers (
    incident_id INTEGER PRIMARY KEY REFERENCES incidents (id),
    step INTEGER NOT NULL,
    chan INTEGER NOT NULL,
    due TEXT NOT NULL,
    lease_until TEXT,
    owner TEXT,
    attempt_id INTEGER
);
CREATE INDEX IF NOT EXISTS incident_timers_due ON incident_timers (due);
CREATE TABLE IF NOT EXISTS sms_opt_outs (phone TEXT PRIMARY KEY, since TEXT NOT NULL);
"""


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


class IncidentStore(SQLiteStore):
    """The page store's SQLite file, with the incident tables. One connection shared by
    the service's threads, serialised by ``lock``."""

    def __init__(self, path: Path | None = None):
        super().__init__(path)
        self.db.close()  # reopened for the service's threads; the lock serialises them
        self.db = sqlite3.connect(self.path, timeout=0.2, isolation_level=None, check_same_thread=False)
        self.db.row_factory = sqlite3.Row
        self.lock = threading.Lock()
        with self.tx() as db:
            for statement in SCHEMA.split(";"):
                if statement.strip():
                    db.execute(statement)

    @contextmanager
    def tx(self):
        with self.lock, self.transaction() as db:
            yield db

    def ping(self) -> None:
        with self.lock:
            self.db.execute("SELECT 1 FROM incidents LIMIT 1").fetchall()

    # incidents

    def open(self, rotation: str, dedup_key: str, source: str, message: str, now: datetime) -> tuple[int, bool]:
        """``(id, False)`` for a new triggered incident (its first timer due at ``now``), or
        ``(id, True)`` when one with this rotation and key is not resolved yet."""
        with self.tx() as db:
            row = db.execute("SELECT id FROM incidents WHERE rotation = ? AND dedup_key = ? AND state != ?",
                             (rotation, dedup_key, RESOLVED)).fetchone()
            if row:
                db.execute("UPDATE incidents SET alerts = alerts + 1 WHERE id = ?", (row["id"],))
                return row["id"], True
            cur = db.execute("INSERT INTO incidents (rotation, dedup_key, source, message, state, opened)"
                             " VALUES (?,?,?,?,?,?)", (rotation, dedup_key, source, message, TRIGGERED, _t(now)))
            iid = int(cur.lastrowid)
            db.execute("INSERT INTO incident_timers (incident_id, step, chan, due) VALUES (?,0,0,?)", (iid, _t(now)))
            return iid, False

    def find_open(self, rotation: str, dedup_key: str) -> int | None:
        with self.lock:
            row = self.db.execute("SELECT id FROM incidents WHERE rotation = ? AND dedup_key = ? AND state != ?",
                                  (rotation, dedup_key, RESOLVED)).fetchone()
        return row["id"] if row else None

    def acknowledge(self, iid: int, by: str, now: datetime) -> str:
        """Acknowledge a triggered incident and stop its escalation. Returns the state it
        was in before (``triggered`` means this call acknowledged it); ``missing`` if none."""
        return self._move(iid, ACKNOWLEDGED, by, now)

    def resolve(self, iid: int, by: str, now: datetime) -> str:
        """Resolve an incident that is not resolved yet; returns its previous state."""
        return self._move(iid, RESOLVED, by, now)

    def _move(self, iid: int, to: str, by: str, now: datetime) -> str:
        with self.tx() as db:
            row = db.execute("SELECT state FROM incidents WHERE id = ?", (iid,)).fetchone()
            if row is None:
                return "missing"
            was = row["state"]
            if was == RESOLVED or was == to:
                return was
            col = "acknowledged" if to == ACKNOWLEDGED else "resolved"
            db.execute(f"UPDATE incidents SET state = ?, {col} = ?, {col}_by = ? WHERE id = ?",
                       (to, _t(now), by, iid))
            db.execute("DELETE FROM incident_timers WHERE incident_id = ?", (iid,))
            return was

    def incident(self, iid: int) -> dict | None:
        with self.lock:
            row = self.db.execute("SELECT * FROM incidents WHERE id = ?", (iid,)).fetchone()
            if row is None:
                return None
            return _incident(row) | {"attempts": self._attempts(iid), "next": self._timer(iid)}

    def incidents(self, since: datetime | None = None) -> list[dict]:
        """Every incident not resolved, and resolved ones opened at or after ``since``."""
        with self.lock:
            rows = self.db.execute("SELECT * FROM incidents WHERE state != ? OR opened >= ? ORDER BY id",
                                   (RESOLVED, _t(since) if since else "")).fetchall()
            return [_incident(r) | {"paged": self._paged(r["id"]), "next": self._timer(r["id"])} for r in rows]

    def open_count(self) -> int:
        with self.lock:
            return self.db.execute("SELECT count(*) FROM incidents WHERE state != ?", (RESOLVED,)).fetchone()[0]

    def paged_to(self, phone: str) -> list[int]:
        """Incidents that paged ``phone``, newest first."""
        with self.lock:
            rows = self.db.execute("SELECT DISTINCT incident_id FROM incident_attempts WHERE phone = ? AND sid IS NOT"
                                   " NULL ORDER BY incident_id DESC", (phone,)).fetchall()
        return [r[0] for r in rows]

    def person_paged(self, iid: int, phone: str) -> str | None:
        """The person ``iid`` paged at ``phone``, if it did."""
        with self.lock:
            row = self.db.execute("SELECT person FROM incident_attempts WHERE incident_id = ? AND phone = ? AND sid IS"
                                  " NOT NULL LIMIT 1", (iid, phone)).fetchone()
        return row[0] if row else None

    def _attempts(self, iid: int) -> list[dict]:
        rows = self.db.execute("SELECT * FROM incident_attempts WHERE incident_id = ? ORDER BY id", (iid,))
        return [{"step": r["step"] + 1, "person": r["person"], "channel": r["channel"], "sid": r["sid"],
                 "status": r["status"], "error_code": r["error_code"], "detail": r["detail"],
                 "started": _parse(r["started"]), "ended": _parse(r["ended"])} for r in rows]

    def _paged(self, iid: int) -> list[str]:
        rows = self.db.execute("SELECT DISTINCT person FROM incident_attempts WHERE incident_id = ? AND sid IS NOT"
                               " NULL ORDER BY person", (iid,))
        return [r[0] for r in rows]

    def _timer(self, iid: int) -> dict | None:
        row = self.db.execute("SELECT step, due FROM incident_timers WHERE incident_id = ?", (iid,)).fetchone()
        return {"step": row["step"] + 1, "due": _parse(row["due"])} if row else None

    # timers

    def claim(self, owner: str, now: datetime, lease: timedelta = LEASE) -> Claim | None:
        """The earliest due, unleased (or lease-expired) timer, leased to ``owner`` with a
        ``sending`` attempt written; None when nothing is due."""
        with self.tx() as db:
            row = db.execute("SELECT * FROM incident_timers WHERE due <= ? AND (lease_until IS NULL OR lease_until"
                             " <= ?) ORDER BY due LIMIT 1", (_t(now), _t(now))).fetchone()
            if row is None:
                return None
            stale = row["attempt_id"]
            if stale is not None:
                db.execute("UPDATE incident_attempts SET status = 'unknown', ended = ?, detail = 'the sending process"
                           " stopped before Twilio answered; not resent' WHERE id = ? AND status = 'sending'",
                           (_t(now), stale))
            cur = db.execute("INSERT INTO incident_attempts (incident_id, step, status, started) VALUES"
                             " (?,?,'sending',?)", (row["incident_id"], row["step"], _t(now)))
            aid = int(cur.lastrowid)
            db.execute("UPDATE incident_timers SET lease_until = ?, owner = ?, attempt_id = ? WHERE incident_id = ?",
                       (_t(now + lease), owner, aid, row["incident_id"]))
            return Claim(row["incident_id"], row["step"], row["chan"], _parse(row["due"]), aid, stale)

    def fired(self, claim: Claim, owner: str, attempt: dict, nxt: tuple[int, int, datetime] | None) -> bool:
        """Record what the claimed step did (``attempt``: person, phone, channel, sid,
        status, error_code, detail) and replace the timer by ``nxt`` = (step, chan, due),
        or none. False (and the timer untouched) if the claim was lost meanwhile."""
        with self.tx() as db:
            db.execute("UPDATE incident_attempts SET person = ?, phone = ?, channel = ?, sid = ?, status = ?,"
                       " error_code = ?, detail = ?, ended = ? WHERE id = ?",
                       (attempt.get("person"), attempt.get("phone"), attempt.get("channel"), attempt.get("sid"),
                        attempt["status"], attempt.get("error_code"), attempt.get("detail", ""),
                        _t(attempt["at"]), claim.attempt_id))
            row = db.execute("SELECT owner, attempt_id FROM incident_timers WHERE incident_id = ?",
                             (claim.incident_id,)).fetchone()
            if row is None or row["owner"] != owner or row["attempt_id"] != claim.attempt_id:
                return False
            if nxt is None:
                db.execute("DELETE FROM incident_timers WHERE incident_id = ?", (claim.incident_id,))
            else:
                db.execute("UPDATE incident_timers SET step = ?, chan = ?, due = ?, lease_until = NULL, owner = NULL,"
                           " attempt_id = NULL WHERE incident_id = ?", (nxt[0], nxt[1], _t(nxt[2]), claim.incident_id))
            return True

    def state(self, iid: int) -> str | None:
        with self.lock:
            row = self.db.execute("SELECT state FROM incidents WHERE id = ?", (iid,)).fetchone()
        return row["state"] if row else None

    # callbacks

    def attempt(self, aid: int) -> dict | None:
        with self.lock:
            row = self.db.execute("SELECT * FROM incident_attempts WHERE id = ?", (aid,)).fetchone()
        return dict(row) if row else None

    def delivery(self, aid: int, status: str, error_code: int | None, failed: bool, now: datetime) -> bool:
        """A status callback for attempt ``aid``. When ``failed`` and it is its incident's
        latest attempt while triggered, the timer becomes due at once. True if it did."""
        with self.tx() as db:
            row = db.execute("SELECT incident_id FROM incident_attempts WHERE id = ?", (aid,)).fetchone()
            if row is None:
                return False
            db.execute("UPDATE incident_attempts SET status = ?, error_code = coalesce(?, error_code) WHERE id = ?",
                       (status, error_code, aid))
            if not failed:
                return False
            (latest,) = db.execute("SELECT max(id) FROM incident_attempts WHERE incident_id = ?",
                                   (row[0],)).fetchone()
            if latest != aid:
                return False
            cur = db.execute("UPDATE incident_timers SET due = ? WHERE incident_id = ? AND owner IS NULL AND due > ?",
                             (_t(now), row[0], _t(now)))
            return cur.rowcount > 0

    def escalate_now(self, iid: int, now: datetime) -> bool:
        with self.tx() as db:
            cur = db.execute("UPDATE incident_timers SET due = ? WHERE incident_id = ? AND owner IS NULL AND due > ?",
                             (_t(now), iid, _t(now)))
            return cur.rowcount > 0

    def set_opt_out(self, phone: str, out: bool, now: datetime) -> None:
        with self.tx() as db:
            if out:
                db.execute("INSERT OR REPLACE INTO sms_opt_outs (phone, since) VALUES (?, ?)", (phone, _t(now)))
            else:
                db.execute("DELETE FROM sms_opt_outs WHERE phone = ?", (phone,))

    def opted_out(self, phone: str) -> bool:
        with self.lock:
            return self.db.execute("SELECT 1 FROM sms_opt_outs WHERE phone = ?", (phone,)).fetchone() is not None


def _incident(r: sqlite3.Row) -> dict:
    return {"id": r["id"], "rotation": r["rotation"], "dedup_key": r["dedup_key"], "source": r["source"],
            "message": r["message"], "state": r["state"], "opened": _parse(r["opened"]),
            "acknowledged": _parse(r["acknowledged"]), "acknowledged_by": r["acknowledged_by"],
            "resolved": _parse(r["resolved"]), "resolved_by": r["resolved_by"], "alerts": r["alerts"]}
