"""The page-store operations both backends run alike (``store.IncidentStore``, ``store.PageStore``).

A mixin written once over a few backend hooks, so a rule (what acknowledging does, when a
step still holds its timer, what a heartbeat reads) lives in one place:

* ``read()`` and ``_write()``: a handle for a read, and for one write transaction;
* ``_x(h, sql, args)``: runs ``sql`` (``?`` placeholders) on the handle, giving a cursor
  whose rows are mappings by column name;
* ``_insert(h, sql, args)``: runs an INSERT, giving the new row's id;
* ``_t(time)``: a time as the backend stores it; ``_time(value)``: a stored time as an
  aware UTC datetime;
* ``_IS`` (null-safe equality), ``_LOCK_INCIDENT`` and ``_LOCK_TIMER`` (the lock clause
  reading a row about to change, empty where the transaction already excludes writers),
  ``_LOCK_CLAIM`` (taking a due timer).

Semantics: ``store`` and ``oncall.serve``.
"""

from __future__ import annotations

from datetime import datetime, timedelta

from .store import ACKNOWLEDGED, LEASE, RESOLVED, TRIGGERED, Claim, stale_reason

_COVER = ("outcome", "finished", "dedup_until", "owner", "lease_until", "deadline")
_TIMES = ("finished", "dedup_until", "lease_until", "deadline")


class Rules:
    _IS = "IS"
    _LOCK_INCIDENT = ""
    _LOCK_TIMER = ""
    _LOCK_CLAIM = ""

    def _one(self, sql: str, args: tuple = ()):
        with self.read() as h:
            return self._x(h, sql, args).fetchone()

    def _all(self, sql: str, args: tuple = ()) -> list:
        with self.read() as h:
            return self._x(h, sql, args).fetchall()

    # incidents

    def _unresolved(self, h, rotation: str | None, dedup_key: str, now: datetime) -> int | None:
        """The incident covering (rotation, key), locked, if one does; one that no longer
        covers is resolved here, inside the caller's transaction, saying why."""
        row = self._x(h, f"SELECT * FROM incidents WHERE rotation {self._IS} ? AND dedup_key = ? AND state <> ?"
                      f"{self._LOCK_INCIDENT}", (rotation, dedup_key, RESOLVED)).fetchone()
        if row is None:
            return None
        why = stale_reason({k: self._time(row[k]) if k in _TIMES else row[k] for k in _COVER}, now)
        if why is None:
            return row["id"]
        self._x(h, "UPDATE incidents SET state = ?, resolved = ?, resolved_by = ? WHERE id = ?",
                (RESOLVED, self._t(now), f"oncall: {why}", row["id"]))
        self._x(h, "DELETE FROM timers WHERE incident_id = ?", (row["id"],))
        return None

    def find_open(self, rotation: str, dedup_key: str) -> int | None:
        row = self._one("SELECT id FROM incidents WHERE rotation = ? AND dedup_key = ? AND state <> ?",
                        (rotation, dedup_key, RESOLVED))
        return row["id"] if row else None

    def acknowledge(self, iid: int, by: str, now: datetime) -> str:
        return self._move(iid, ACKNOWLEDGED, by, now)

    def resolve(self, iid: int, by: str, now: datetime) -> str:
        return self._move(iid, RESOLVED, by, now)

    def _move(self, iid: int, to: str, by: str, now: datetime) -> str:
        with self._write() as h:
            # Where rows lock (PostgreSQL): NO KEY UPDATE, not UPDATE: a claim inserting an attempt
            # for this incident (its foreign key takes KEY SHARE) proceeds, and we wait for its
            # timer, never both ways.
            row = self._x(h, f"SELECT state FROM incidents WHERE id = ?{self._LOCK_INCIDENT}", (iid,)).fetchone()
            if row is None:
                return "missing"
            was = row["state"]
            if was == RESOLVED or was == to:
                return was
            col = "acknowledged" if to == ACKNOWLEDGED else "resolved"
            self._x(h, f"UPDATE incidents SET state = ?, {col} = ?, {col}_by = ? WHERE id = ?",
                    (to, self._t(now), by, iid))
            self._x(h, "DELETE FROM timers WHERE incident_id = ?", (iid,))
            return was

    def incident(self, iid: int) -> dict | None:
        with self.read() as h:
            row = self._x(h, "SELECT * FROM incidents WHERE id = ?", (iid,)).fetchone()
            if row is None:
                return None
            return self._incident(row) | {"attempts": self._incident_attempts(h, iid), "next": self._timer(h, iid)}

    def incidents(self, since: datetime | None = None) -> list[dict]:
        sql, args = "SELECT * FROM incidents WHERE source <> 'test'", ()
        if since is not None:
            sql, args = sql + " AND (state <> ? OR opened >= ?)", (RESOLVED, self._t(since))
        with self.read() as h:
            rows = self._x(h, sql + " ORDER BY id", args).fetchall()
            return [self._incident(r) | {"paged": self._paged(h, r["id"]), "next": self._timer(h, r["id"])}
                    for r in rows]

    def open_count(self) -> int:
        return self._one("SELECT count(*) AS n FROM incidents WHERE source <> 'test' AND state <> ?",
                         (RESOLVED,))["n"]

    def state(self, iid: int) -> str | None:
        row = self._one("SELECT state FROM incidents WHERE id = ?", (iid,))
        return row["state"] if row else None

    def paged_to(self, phone: str) -> list[int]:
        return [r["incident_id"] for r in self._all("SELECT DISTINCT incident_id FROM attempts WHERE phone = ?"
                                                     " AND sid IS NOT NULL ORDER BY incident_id DESC", (phone,))]

    def person_paged(self, iid: int, phone: str) -> str | None:
        row = self._one("SELECT person FROM attempts WHERE incident_id = ? AND phone = ? AND sid IS NOT NULL"
                        " LIMIT 1", (iid, phone))
        return row["person"] if row else None

    def _incident_attempts(self, h, iid: int) -> list[dict]:
        rows = self._x(h, "SELECT * FROM attempts WHERE incident_id = ? ORDER BY id", (iid,)).fetchall()
        return [{"step": r["step"], "person": r["person"], "channel": r["channel"], "sid": r["sid"],
                 "status": r["status"], "error_code": r["error_code"], "detail": r["detail"],
                 "started": self._time(r["started"]), "ended": self._time(r["ended"])} for r in rows]

    def _paged(self, h, iid: int) -> list[str]:
        rows = self._x(h, "SELECT DISTINCT person FROM attempts WHERE incident_id = ? AND sid IS NOT NULL"
                       " ORDER BY person", (iid,)).fetchall()
        return [r["person"] for r in rows]

    def _timer(self, h, iid: int) -> dict | None:
        row = self._x(h, "SELECT step, due FROM timers WHERE incident_id = ?", (iid,)).fetchone()
        return {"step": row["step"] + 1, "due": self._time(row["due"])} if row else None

    def _incident(self, r) -> dict:
        return {"id": r["id"], "rotation": r["rotation"], "dedup_key": r["dedup_key"], "source": r["source"],
                "message": r["message"], "state": r["state"], "opened": self._time(r["opened"]),
                "acknowledged": self._time(r["acknowledged"]), "acknowledged_by": r["acknowledged_by"],
                "resolved": self._time(r["resolved"]), "resolved_by": r["resolved_by"], "alerts": r["alerts"]}

    # timers

    def claim(self, owner: str, now: datetime, lease: timedelta = LEASE) -> Claim | None:
        with self._write() as h:
            row = self._x(h, "SELECT * FROM timers WHERE due <= ? AND (lease_until IS NULL OR lease_until <= ?)"
                          f" ORDER BY due LIMIT 1{self._LOCK_CLAIM}", (self._t(now), self._t(now))).fetchone()
            if row is None:
                return None
            stale = row["attempt_id"]
            if stale is not None:
                self._x(h, "UPDATE attempts SET status = 'unknown', ended = ?, detail = 'the sending process"
                        " stopped before Twilio answered; not resent' WHERE id = ? AND status = 'sending'",
                        (self._t(now), stale))
            aid = self._insert(h, "INSERT INTO attempts (incident_id, round, step, status, started) VALUES"
                               " (?,0,?,'sending',?)", (row["incident_id"], row["step"] + 1, self._t(now)))
            self._x(h, "UPDATE timers SET lease_until = ?, owner = ?, attempt_id = ? WHERE incident_id = ?",
                    (self._t(now + lease), owner, aid, row["incident_id"]))
            return Claim(row["incident_id"], row["step"], row["chan"], self._time(row["due"]), aid, stale)

    def fired(self, claim: Claim, owner: str, attempt: dict, nxt: tuple[int, int, datetime] | None) -> bool:
        with self._write() as h:
            self._x(h, "UPDATE attempts SET person = ?, phone = ?, channel = ?, sid = ?, status = ?,"
                    " error_code = ?, detail = ?, ended = ? WHERE id = ?",
                    (attempt.get("person"), attempt.get("phone"), attempt.get("channel"), attempt.get("sid"),
                     attempt["status"], attempt.get("error_code"), attempt.get("detail", ""),
                     self._t(attempt["at"]), claim.attempt_id))
            row = self._x(h, f"SELECT owner, attempt_id FROM timers WHERE incident_id = ?{self._LOCK_TIMER}",
                          (claim.incident_id,)).fetchone()
            if row is None or row["owner"] != owner or row["attempt_id"] != claim.attempt_id:
                return False
            if nxt is None:
                self._x(h, "DELETE FROM timers WHERE incident_id = ?", (claim.incident_id,))
            else:
                self._x(h, "UPDATE timers SET step = ?, chan = ?, due = ?, lease_until = NULL, owner = NULL,"
                        " attempt_id = NULL WHERE incident_id = ?",
                        (nxt[0], nxt[1], self._t(nxt[2]), claim.incident_id))
            return True

    def escalate_now(self, iid: int, now: datetime) -> bool:
        with self._write() as h:
            return self._x(h, "UPDATE timers SET due = ? WHERE incident_id = ? AND owner IS NULL AND due > ?",
                           (self._t(now), iid, self._t(now))).rowcount > 0

    # opt-outs

    def set_opt_out(self, phone: str, out: bool, now: datetime) -> None:
        with self._write() as h:
            self._x(h, "DELETE FROM sms_opt_outs WHERE phone = ?", (phone,))
            if out:
                self._x(h, "INSERT INTO sms_opt_outs (phone, since) VALUES (?, ?)", (phone, self._t(now)))

    def opted_out(self, phone: str) -> bool:
        return self._one("SELECT 1 AS x FROM sms_opt_outs WHERE phone = ?", (phone,)) is not None

    # pages

    def heartbeat(self, page_id: int, now: datetime, hold: timedelta = timedelta()) -> tuple[str, str | None]:
        with self._write() as h:
            self._x(h, "UPDATE incidents SET lease_until = ? WHERE id = ? AND finished IS NULL",
                    (self._t(now + hold + LEASE), page_id))
            row = self._x(h, "SELECT state, acknowledged_by, resolved_by FROM incidents WHERE id = ?",
                          (page_id,)).fetchone()
        if row is None:
            return RESOLVED, None
        return row["state"], row["resolved_by"] if row["state"] == RESOLVED else row["acknowledged_by"]

    def finish_page(self, page_id: int, outcome: str, at: datetime, acknowledged_by: str | None = None) -> None:
        with self._write() as h:
            self._x(h, "UPDATE incidents SET outcome = ?, finished = ?, acknowledged_by = coalesce(?,"
                    " acknowledged_by), lease_until = NULL WHERE id = ?", (outcome, self._t(at), acknowledged_by,
                                                                         page_id))
            if outcome == ACKNOWLEDGED:
                self._x(h, "UPDATE incidents SET state = ?, acknowledged = coalesce(acknowledged, ?) WHERE id = ?"
                        " AND state = ?", (ACKNOWLEDGED, self._t(at), page_id, TRIGGERED))

    def page(self, page_id: int) -> dict | None:
        row = self._one("SELECT * FROM incidents WHERE id = ?", (page_id,))
        return None if row is None else self._page(row) | {"attempts": self.attempts(page_id)}

    # attempts

    def add_attempt(self, page_id: int, round: int, step: int, person: str | None, channel: str | None,
                    status: str, at: datetime, error_code: int | None = None, detail: str = "") -> int:
        with self._write() as h:
            return self._insert(h, "INSERT INTO attempts (incident_id, round, step, person, channel, status,"
                                " error_code, detail, started, ended) VALUES (?,?,?,?,?,?,?,?,?,?)",
                                (page_id, round, step, person, channel, status, error_code, detail,
                                 self._t(at), self._t(at)))

    def update_attempt(self, attempt_id: int, status: str, at: datetime | None = None, *, sid: str | None = None,
                       error_code: int | None = None, detail: str | None = None) -> None:
        with self._write() as h:
            self._x(h, "UPDATE attempts SET status = ?, ended = coalesce(?, ended), sid = coalesce(?, sid),"
                    " error_code = coalesce(?, error_code), detail = coalesce(?, detail) WHERE id = ?",
                    (status, self._t(at) if at else None, sid, error_code, detail, attempt_id))

    def attempts(self, page_id: int) -> list[dict]:
        return [self._attempt(r) for r in self._all("SELECT * FROM attempts WHERE incident_id = ? ORDER BY id",
                                                    (page_id,))]

    def _page(self, r) -> dict:
        return {"id": r["id"], "rotation": r["rotation"], "message": r["message"], "dedup_key": r["dedup_key"],
                "started": self._time(r["opened"]), "finished": self._time(r["finished"]),
                "outcome": r["outcome"] or "open", "acknowledged_by": r["acknowledged_by"]}

    def _attempt(self, r) -> dict:
        return {"round": r["round"], "step": r["step"], "person": r["person"], "channel": r["channel"],
                "sid": r["sid"], "status": r["status"], "error_code": r["error_code"], "detail": r["detail"],
                "started": self._time(r["started"]), "ended": self._time(r["ended"])}
