"""The PostgreSQL store's incidents, timers and opt-outs (``store.IncidentStore``).

A mixin of ``postgres.PostgresStore``, whose ``tx()`` and ``read()`` give a cursor in one
transaction; the operations both backends share are ``incident_rules.Rules``. How each decision is the database's:

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

from datetime import datetime, timezone

from .incident_rules import Rules
from .store import TRIGGERED

_RACES = 5  # an open that keeps losing the insert race to openers that then resolve: bounded


def utc(t: datetime | None) -> datetime | None:
    """``t`` in ``timezone.utc`` (as the SQLite store returns times)."""
    return t.astimezone(timezone.utc) if t is not None else None


class Incidents(Rules):
    """The backend hooks of ``incident_rules.Rules``, and what PostgreSQL does its own way."""

    _IS = "IS NOT DISTINCT FROM"
    _LOCK_INCIDENT = " FOR NO KEY UPDATE"
    _LOCK_TIMER = " FOR UPDATE"
    _LOCK_CLAIM = " FOR UPDATE SKIP LOCKED"
    _time = staticmethod(utc)

    @staticmethod
    def _t(t: datetime) -> datetime:
        return t

    def _write(self):
        return self.tx()

    @staticmethod
    def _x(cur, sql: str, args: tuple = ()):
        cur.execute(sql.replace("?", "%s"), args)
        return cur

    @staticmethod
    def _insert(cur, sql: str, args: tuple) -> int:
        cur.execute(sql.replace("?", "%s") + " RETURNING id", args)
        return cur.fetchone()["id"]

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

    def open(self, rotation: str, dedup_key: str, source: str, message: str, now: datetime) -> tuple[int, bool]:
        # No process runs an alert's incident: its run's deadline is its opening.
        return self._open(rotation, dedup_key, now, "INSERT INTO incidents (rotation, dedup_key, source, message,"
                          " state, opened, deadline) VALUES (%s,%s,%s,%s,%s,%s,%s)",
                          (rotation, dedup_key, source, message, TRIGGERED, now, now), count=True, timer=True)

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
