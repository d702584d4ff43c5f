"""The PostgreSQL store's incidents, timers and opt-outs (``store.IncidentStore``).

A mixin of ``postgres.PostgresStore``, whose ``tx()`` and ``read()`` give a cursor in one
transaction. How each decision is the database's:

* **One unresolved incident per (rotation, key)**: the partial unique index
  ``incidents_open``. ``_open`` locks the unresolved incident (does it
  still cover the key? ``store.stale_reason``), and inserts ``ON CONFLICT DO NOTHING``;
  an insert that lost a race finds the winner, committed, on its next look.
* **Exactly one instance runs a due step**: ``claim`` takes the earliest due timer whose
  lease is free or ran out ``FOR UPDATE SKIP LOCKED`` (instances claiming together get
  different timers, and none waits for another) and leases it in the same transaction.
  A lease that ran out (its instance died mid-send) lets another instance take it over.
* **Acknowledge/resolve racing a step**: ``_move`` locks the incident row, changes its
  state and deletes its timer in one transaction; ``fired`` re-reads the timer under its
  row lock and writes the next one only if this claim still holds it. Incident rows are
  locked ``FOR NO KEY UPDATE``, which a claim's attempt insert (its foreign key's KEY
  SHARE) does not wait for: the two lock in one order, so they cannot deadlock.

Semantics: ``store`` and ``oncall.serve``.
"""

from __future__ import annotations

from datetime import datetime, timedelta, timezone

from .store import ACKNOWLEDGED, LEASE, RESOLVED, TRIGGERED, Claim, stale_reason

_COVER = ("outcome", "finished", "dedup_until", "owner", "lease_until", "deadline")
_RACES = 5  # an open that keeps losing the insert race to openers that then resolve: bounded


def utc(t: datetime | None) -> datetime | None:
    """``t`` in ``timezone.utc`` (as the SQLite store returns times)."""
    return t.astimezone(timezone.utc) if t is not None else None


class Incidents:
    def _open(self, rotation: str | None, dedup_key: str | None, now: datetime, insert: str, row: tuple,
              count: bool, timer: bool = False) -> tuple[int, bool]:
        """``(id, True)`` if an unresolved incident covers (rotation, key) (``count``: one
        more alert on it); else ``insert`` (its VALUES) and ``(new id, False)``, with its
        first timer due at ``now`` (``timer``) in the same transaction."""
        for _ in range(_RACES):
            with self.tx() as cur:
                if dedup_key is not None:
                    iid = self._unresolved(cur, rotation, dedup_key, now)
                    if iid is not None:
                        if count:
                            cur.execute("UPDATE incidents SET alerts = alerts + 1 WHERE id = %s", (iid,))
                        return iid, True
                cur.execute(insert + " ON CONFLICT (rotation, dedup_key) WHERE state <> 'resolved' DO NOTHING"
                            " RETURNING id", row)
                new = cur.fetchone()
                if new is not None:
                    if timer:
                        cur.execute("INSERT INTO timers (incident_id, step, chan, due) VALUES (%s,0,0,%s)",
                                    (new["id"], now))
                    return new["id"], False
        raise RuntimeError(f"opening ({rotation}, {dedup_key}) lost {_RACES} races in a row")

    @staticmethod
    def _unresolved(cur, rotation: str | None, dedup_key: str, now: datetime) -> int | None:
        """The incident covering (rotation, key), locked, if one does; one that no longer
        covers is resolved here, inside the caller's transaction, saying why."""
        cur.execute("SELECT * FROM incidents WHERE rotation IS NOT DISTINCT FROM %s AND dedup_key = %s AND state <> %s"
                    " FOR NO KEY UPDATE", (rotation, dedup_key, RESOLVED))
        row = cur.fetchone()
        if row is None:
            return None
        why = stale_reason({k: row[k] for k in _COVER}, now)
        if why is None:
            return row["id"]
        cur.execute("UPDATE incidents SET state = %s, resolved = %s, resolved_by = %s WHERE id = %s",
                    (RESOLVED, now, f"oncall: {why}", row["id"]))
        cur.execute("DELETE FROM timers WHERE incident_id = %s", (row["id"],))
        return None

    def open(self, rotation: str, dedup_key: str, source: str, message: str, now: datetime) -> tuple[int, bool]:
        # No process runs an alert's incident: its run's deadline is its opening.
        return self._open(rotation, dedup_key, now, "INSERT INTO incidents (rotation, dedup_key, source, message,"
                          " state, opened, deadline) VALUES (%s,%s,%s,%s,%s,%s,%s)",
                          (rotation, dedup_key, source, message, TRIGGERED, now, now), count=True, timer=True)

    def find_open(self, rotation: str, dedup_key: str) -> int | None:
        row = self._one("SELECT id FROM incidents WHERE rotation = %s AND dedup_key = %s AND state <> %s",
                        (rotation, dedup_key, RESOLVED))
        return row["id"] if row else None

    def acknowledge(self, iid: int, by: str, now: datetime) -> str:
        return self._move(iid, ACKNOWLEDGED, by, now)

    def resolve(self, iid: int, by: str, now: datetime) -> str:
        return self._move(iid, RESOLVED, by, now)

    def _move(self, iid: int, to: str, by: str, now: datetime) -> str:
        with self.tx() as cur:
            # NO KEY UPDATE, not UPDATE: a claim inserting an attempt for this incident (its
            # foreign key takes KEY SHARE) proceeds, and we wait for its timer, never both ways.
            cur.execute("SELECT state FROM incidents WHERE id = %s FOR NO KEY UPDATE", (iid,))
            row = cur.fetchone()
            if row is None:
                return "missing"
            was = row["state"]
            if was == RESOLVED or was == to:
                return was
            col = "acknowledged" if to == ACKNOWLEDGED else "resolved"
            cur.execute(f"UPDATE incidents SET state = %s, {col} = %s, {col}_by = %s WHERE id = %s",
                        (to, now, by, iid))
            cur.execute("DELETE FROM timers WHERE incident_id = %s", (iid,))
            return was

    def incident(self, iid: int) -> dict | None:
        with self.read() as cur:
            cur.execute("SELECT * FROM incidents WHERE id = %s", (iid,))
            row = cur.fetchone()
            if row is None:
                return None
            return _incident(row) | {"attempts": _attempts(cur, iid), "next": _timer(cur, iid)}

    def incidents(self, since: datetime | None = None) -> list[dict]:
        with self.read() as cur:
            cur.execute("SELECT * FROM incidents WHERE source <> 'test' AND (state <> %(resolved)s"
                        " OR %(since)s::timestamptz IS NULL OR opened >= %(since)s) ORDER BY id",
                        {"resolved": RESOLVED, "since": since})
            rows = cur.fetchall()
            return [_incident(r) | {"paged": _paged(cur, r["id"]), "next": _timer(cur, r["id"])} for r in rows]

    def open_count(self) -> int:
        return self._one("SELECT count(*) AS n FROM incidents WHERE source <> 'test' AND state <> %s",
                         (RESOLVED,))["n"]

    def state(self, iid: int) -> str | None:
        row = self._one("SELECT state FROM incidents WHERE id = %s", (iid,))
        return row["state"] if row else None

    def paged_to(self, phone: str) -> list[int]:
        with self.read() as cur:
            cur.execute("SELECT DISTINCT incident_id FROM attempts WHERE phone = %s AND sid IS NOT NULL"
                        " ORDER BY incident_id DESC", (phone,))
            return [r["incident_id"] for r in cur.fetchall()]

    def person_paged(self, iid: int, phone: str) -> str | None:
        row = self._one("SELECT person FROM attempts WHERE incident_id = %s AND phone = %s AND sid IS NOT NULL"
                        " LIMIT 1", (iid, phone))
        return row["person"] if row else None

    def _one(self, sql: str, args: tuple) -> dict | None:
        with self.read() as cur:
            cur.execute(sql, args)
            return cur.fetchone()

    # timers

    def claim(self, owner: str, now: datetime, lease: timedelta = LEASE) -> Claim | None:
        with self.tx() as cur:
            cur.execute("SELECT * FROM timers WHERE due <= %s AND (lease_until IS NULL OR lease_until <= %s)"
                        " ORDER BY due LIMIT 1 FOR UPDATE SKIP LOCKED", (now, now))
            row = cur.fetchone()
            if row is None:
                return None
            stale = row["attempt_id"]
            if stale is not None:
                cur.execute("UPDATE attempts SET status = 'unknown', ended = %s, detail = 'the sending process"
                            " stopped before Twilio answered; not resent' WHERE id = %s AND status = 'sending'",
                            (now, stale))
            cur.execute("INSERT INTO attempts (incident_id, round, step, status, started) VALUES"
                        " (%s,0,%s,'sending',%s) RETURNING id", (row["incident_id"], row["step"] + 1, now))
            aid = cur.fetchone()["id"]
            cur.execute("UPDATE timers SET lease_until = %s, owner = %s, attempt_id = %s WHERE incident_id = %s",
                        (now + lease, owner, aid, row["incident_id"]))
            return Claim(row["incident_id"], row["step"], row["chan"], utc(row["due"]), aid, stale)

    def fired(self, claim: Claim, owner: str, attempt: dict, nxt: tuple[int, int, datetime] | None) -> bool:
        with self.tx() as cur:
            cur.execute("UPDATE attempts SET person = %s, phone = %s, channel = %s, sid = %s, status = %s,"
                        " error_code = %s, detail = %s, ended = %s WHERE id = %s",
                        (attempt.get("person"), attempt.get("phone"), attempt.get("channel"), attempt.get("sid"),
                         attempt["status"], attempt.get("error_code"), attempt.get("detail", ""), attempt["at"],
                         claim.attempt_id))
            cur.execute("SELECT owner, attempt_id FROM timers WHERE incident_id = %s FOR UPDATE", (claim.incident_id,))
            row = cur.fetchone()
            if row is None or row["owner"] != owner or row["attempt_id"] != claim.attempt_id:
                return False
            if nxt is None:
                cur.execute("DELETE FROM timers WHERE incident_id = %s", (claim.incident_id,))
            else:
                cur.execute("UPDATE timers SET step = %s, chan = %s, due = %s, lease_until = NULL, owner = NULL,"
                            " attempt_id = NULL WHERE incident_id = %s", (nxt[0], nxt[1], nxt[2], claim.incident_id))
            return True

    # callbacks

    def attempt(self, aid: int) -> dict | None:
        row = self._one("SELECT * FROM attempts WHERE id = %s", (aid,))
        return None if row is None else row | {"started": utc(row["started"]), "ended": utc(row["ended"])}

    def delivery(self, aid: int, status: str, error_code: int | None, failed: bool, now: datetime) -> bool:
        with self.tx() as cur:
            cur.execute("UPDATE attempts SET status = %s, error_code = coalesce(%s, error_code) WHERE id = %s"
                        " RETURNING incident_id", (status, error_code, aid))
            row = cur.fetchone()
            if row is None or not failed:
                return False
            cur.execute("SELECT max(id) AS latest FROM attempts WHERE incident_id = %s", (row["incident_id"],))
            if cur.fetchone()["latest"] != aid:
                return False
            cur.execute("UPDATE timers SET due = %s WHERE incident_id = %s AND owner IS NULL AND due > %s",
                        (now, row["incident_id"], now))
            return cur.rowcount > 0

    def escalate_now(self, iid: int, now: datetime) -> bool:
        with self.tx() as cur:
            cur.execute("UPDATE timers SET due = %s WHERE incident_id = %s AND owner IS NULL AND due > %s",
                        (now, iid, now))
            return cur.rowcount > 0

    def set_opt_out(self, phone: str, out: bool, now: datetime) -> None:
        with self.tx() as cur:
            cur.execute("DELETE FROM sms_opt_outs WHERE phone = %s", (phone,))
            if out:
                cur.execute("INSERT INTO sms_opt_outs (phone, since) VALUES (%s, %s)", (phone, now))

    def opted_out(self, phone: str) -> bool:
        return self._one("SELECT 1 AS x FROM sms_opt_outs WHERE phone = %s", (phone,)) is not None


def _attempts(cur, iid: int) -> list[dict]:
    cur.execute("SELECT * FROM attempts WHERE incident_id = %s ORDER BY id", (iid,))
    return [{"step": r["step"], "person": r["person"], "channel": r["channel"], "sid": r["sid"],
             "status": r["status"], "error_code": r["error_code"], "detail": r["detail"],
             "started": utc(r["started"]), "ended": utc(r["ended"])} for r in cur.fetchall()]


def _paged(cur, iid: int) -> list[str]:
    cur.execute("SELECT DISTINCT person FROM attempts WHERE incident_id = %s AND sid IS NOT NULL ORDER BY person",
                (iid,))
    return [r["person"] for r in cur.fetchall()]


def _timer(cur, iid: int) -> dict | None:
    cur.execute("SELECT step, due FROM timers WHERE incident_id = %s", (iid,))
    row = cur.fetchone()
    return {"step": row["step"] + 1, "due": utc(row["due"])} if row else None


def _incident(r: dict) -> dict:
    return {"id": r["id"], "rotation": r["rotation"], "dedup_key": r["dedup_key"], "source": r["source"],
            "message": r["message"], "state": r["state"], "opened": utc(r["opened"]),
            "acknowledged": utc(r["acknowledged"]), "acknowledged_by": r["acknowledged_by"],
            "resolved": utc(r["resolved"]), "resolved_by": r["resolved_by"], "alerts": r["alerts"]}
