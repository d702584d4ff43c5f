"""The SQLite store's incidents, timers and opt-outs (``store.IncidentStore``).

A mixin of ``sqlite.SQLiteStore``: it uses the store's ``transaction()`` (one ``BEGIN IMMEDIATE``
transaction under the store's thread lock) and ``read()`` (the lock alone). Every
decision that must hold across processes (dedup, claiming a due timer, acknowledging
while a step fires) is one transaction. Times are fixed-width UTC ISO 8601 text, so they
sort and compare as text. Semantics: ``store`` and ``oncall.serve``.
"""

from __future__ import annotations

from datetime import datetime, timedelta, timezone

from .store import ACKNOWLEDGED, LEASE, RESOLVED, TRIGGERED, Claim, stale_reason


def _t(t: datetime) -> str:
    return t.astimezone(timezone.utc).strftime("%Y-%m-%dT%H:%M:%S.%f+00:00")


def _parse(s: str | None) -> datetime | None:
    return datetime.fromisoformat(s) if s else None


_COVER = ("outcome", "finished", "dedup_until", "owner", "lease_until", "deadline")


class Incidents:
    def _unresolved(self, db, rotation: str | None, dedup_key: str, now: datetime) -> int | None:
        """The incident covering (rotation, key), if one does; one that no longer covers
        is resolved here, inside the caller's transaction, saying why."""
        row = db.execute("SELECT * FROM incidents WHERE rotation IS ? AND dedup_key = ? AND state <> ?",
                         (rotation, dedup_key, RESOLVED)).fetchone()
        if row is None:
            return None
        why = stale_reason({k: _parse(row[k]) if k in ("finished", "dedup_until", "lease_until", "deadline")
                            else row[k] for k in _COVER}, now)
        if why is None:
            return row["id"]
        db.execute("UPDATE incidents SET state = ?, resolved = ?, resolved_by = ? WHERE id = ?",
                   (RESOLVED, _t(now), f"oncall: {why}", row["id"]))
        db.execute("DELETE FROM timers WHERE incident_id = ?", (row["id"],))
        return None

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

    def find_open(self, rotation: str, dedup_key: str) -> int | None:
        with self.read() as db:
            row = db.execute("SELECT id FROM incidents WHERE rotation = ? AND dedup_key = ? AND state <> ?",
                             (rotation, dedup_key, RESOLVED)).fetchone()
        return row["id"] if row else None

    def acknowledge(self, iid: int, by: str, now: datetime) -> str:
        return self._move(iid, ACKNOWLEDGED, by, now)

    def resolve(self, iid: int, by: str, now: datetime) -> str:
        return self._move(iid, RESOLVED, by, now)

    def _move(self, iid: int, to: str, by: str, now: datetime) -> str:
        with self.transaction() as db:
            row = db.execute("SELECT state FROM incidents WHERE id = ?", (iid,)).fetchone()
            if row is None:
                return "missing"
            was = row["state"]
            if was == RESOLVED or was == to:
                return was
            col = "acknowledged" if to == ACKNOWLEDGED else "resolved"
            db.execute(f"UPDATE incidents SET state = ?, {col} = ?, {col}_by = ? WHERE id = ?",
                       (to, _t(now), by, iid))
            db.execute("DELETE FROM timers WHERE incident_id = ?", (iid,))
            return was

    def incident(self, iid: int) -> dict | None:
        with self.read() as db:
            row = db.execute("SELECT * FROM incidents WHERE id = ?", (iid,)).fetchone()
            if row is None:
                return None
            return _incident(row) | {"attempts": self._incident_attempts(db, iid), "next": self._timer(db, iid)}

    def incidents(self, since: datetime | None = None) -> list[dict]:
        with self.read() as db:
            rows = db.execute("SELECT * FROM incidents WHERE source <> 'test' AND (state <> ? OR opened >= ?)"
                              " ORDER BY id", (RESOLVED, _t(since) if since else "")).fetchall()
            return [_incident(r) | {"paged": self._paged(db, r["id"]), "next": self._timer(db, r["id"])}
                    for r in rows]

    def open_count(self) -> int:
        with self.read() as db:
            return db.execute("SELECT count(*) FROM incidents WHERE source <> 'test' AND state <> ?",
                              (RESOLVED,)).fetchone()[0]

    def state(self, iid: int) -> str | None:
        with self.read() as db:
            row = db.execute("SELECT state FROM incidents WHERE id = ?", (iid,)).fetchone()
        return row["state"] if row else None

    def paged_to(self, phone: str) -> list[int]:
        with self.read() as db:
            rows = db.execute("SELECT DISTINCT incident_id FROM attempts WHERE phone = ? AND sid IS NOT NULL"
                              " ORDER BY incident_id DESC", (phone,)).fetchall()
        return [r[0] for r in rows]

    def person_paged(self, iid: int, phone: str) -> str | None:
        with self.read() as db:
            row = db.execute("SELECT person FROM attempts WHERE incident_id = ? AND phone = ? AND sid IS NOT NULL"
                             " LIMIT 1", (iid, phone)).fetchone()
        return row[0] if row else None

    @staticmethod
    def _incident_attempts(db, iid: int) -> list[dict]:
        rows = db.execute("SELECT * FROM attempts WHERE incident_id = ? ORDER BY id", (iid,))
        return [{"step": r["step"], "person": r["person"], "channel": r["channel"], "sid": r["sid"],
                 "status": r["status"], "error_code": r["error_code"], "detail": r["detail"],
                 "started": _parse(r["started"]), "ended": _parse(r["ended"])} for r in rows]

    @staticmethod
    def _paged(db, iid: int) -> list[str]:
        rows = db.execute("SELECT DISTINCT person FROM attempts WHERE incident_id = ? AND sid IS NOT NULL"
                          " ORDER BY person", (iid,))
        return [r[0] for r in rows]

    @staticmethod
    def _timer(db, iid: int) -> dict | None:
        row = db.execute("SELECT step, due FROM timers WHERE incident_id = ?", (iid,)).fetchone()
        return {"step": row["step"] + 1, "due": _parse(row["due"])} if row else None

    # timers

    def claim(self, owner: str, now: datetime, lease: timedelta = LEASE) -> Claim | None:
        with self.transaction() as db:
            row = db.execute("SELECT * FROM timers WHERE due <= ? AND (lease_until IS NULL OR lease_until <= ?)"
                             " ORDER BY due LIMIT 1", (_t(now), _t(now))).fetchone()
            if row is None:
                return None
            stale = row["attempt_id"]
            if stale is not None:
                db.execute("UPDATE attempts SET status = 'unknown', ended = ?, detail = 'the sending process"
                           " stopped before Twilio answered; not resent' WHERE id = ? AND status = 'sending'",
                           (_t(now), stale))
            cur = db.execute("INSERT INTO attempts (incident_id, round, step, status, started) VALUES"
                             " (?,0,?,'sending',?)", (row["incident_id"], row["step"] + 1, _t(now)))
            aid = int(cur.lastrowid)
            db.execute("UPDATE timers SET lease_until = ?, owner = ?, attempt_id = ? WHERE incident_id = ?",
                       (_t(now + lease), owner, aid, row["incident_id"]))
            return Claim(row["incident_id"], row["step"], row["chan"], _parse(row["due"]), aid, stale)

    def fired(self, claim: Claim, owner: str, attempt: dict, nxt: tuple[int, int, datetime] | None) -> bool:
        with self.transaction() as db:
            db.execute("UPDATE attempts SET person = ?, phone = ?, channel = ?, sid = ?, status = ?,"
                       " error_code = ?, detail = ?, ended = ? WHERE id = ?",
                       (attempt.get("person"), attempt.get("phone"), attempt.get("channel"), attempt.get("sid"),
                        attempt["status"], attempt.get("error_code"), attempt.get("detail", ""),
                        _t(attempt["at"]), claim.attempt_id))
            row = db.execute("SELECT owner, attempt_id FROM timers WHERE incident_id = ?",
                             (claim.incident_id,)).fetchone()
            if row is None or row["owner"] != owner or row["attempt_id"] != claim.attempt_id:
                return False
            if nxt is None:
                db.execute("DELETE FROM timers WHERE incident_id = ?", (claim.incident_id,))
            else:
                db.execute("UPDATE timers SET step = ?, chan = ?, due = ?, lease_until = NULL, owner = NULL,"
                           " attempt_id = NULL WHERE incident_id = ?", (nxt[0], nxt[1], _t(nxt[2]), claim.incident_id))
            return True

    # callbacks

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

    def escalate_now(self, iid: int, now: datetime) -> bool:
        with self.transaction() as db:
            cur = db.execute("UPDATE timers SET due = ? WHERE incident_id = ? AND owner IS NULL AND due > ?",
                             (_t(now), iid, _t(now)))
            return cur.rowcount > 0

    def set_opt_out(self, phone: str, out: bool, now: datetime) -> None:
        with self.transaction() as db:
            db.execute("DELETE FROM sms_opt_outs WHERE phone = ?", (phone,))
            if out:
                db.execute("INSERT INTO sms_opt_outs (phone, since) VALUES (?, ?)", (phone, _t(now)))

    def opted_out(self, phone: str) -> bool:
        with self.read() as db:
            return db.execute("SELECT 1 FROM sms_opt_outs WHERE phone = ?", (phone,)).fetchone() is not None


def _incident(r) -> dict:
    return {"id": r["id"], "rotation": r["rotation"], "dedup_key": r["dedup_key"], "source": r["source"],
            "message": r["message"], "state": r["state"], "opened": _parse(r["opened"]),
            "acknowledged": _parse(r["acknowledged"]), "acknowledged_by": r["acknowledged_by"],
            "resolved": _parse(r["resolved"]), "resolved_by": r["resolved_by"], "alerts": r["alerts"]}
