"""The PostgreSQL store (``store.Store``), chosen by ``ONCALL_DATABASE_URL=postgresql://…``:
the schema of ``schema``, shared by several processes and hosts.

Every decision that must hold across them is the database's:

* **Dedup**: the partial unique index ``incidents_open`` allows one unresolved incident
  per (rotation, key). Opening locks that incident ``FOR UPDATE`` (deciding whether it
  still covers the key), and inserts ``ON CONFLICT DO NOTHING``: an opener that lost the
  race sees the winner's committed incident and reports a duplicate, so 20 concurrent
  ``oncall page --dedup-key K`` open one incident.
* **Rate limits**: a transaction-scoped advisory lock per person orders the count and the
  insert of concurrent attempts for that person.
* **Timers and acknowledgements**: see ``postgres_incidents``.
* **Connections**: a command holds one connection, opened again if a server restart broke
  it; the service (``pooled``) shares a ``psycopg_pool`` pool between its threads, which
  checks each connection before lending it, so broken ones are replaced, not used. While
  the server is unreachable every call raises ``StoreUnavailable`` within
  ``CONNECT_TIMEOUT`` seconds; the first call after it returns works again.
* **Schema**: ``oncall_schema`` holds the version; migrations run at start-up under an
  advisory lock (instances starting together migrate once); a newer version than
  ``schema.VERSION`` is refused (``StoreSchemaMismatch``).

Times are ``timestamptz`` and come back as aware UTC datetimes. psycopg and psycopg_pool
are imported here only: no other command loads them.
"""

from __future__ import annotations

import os
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import datetime, timedelta

from ..errors import StoreError, StoreSchemaMismatch, StoreUnavailable
from .postgres_incidents import Incidents
from .schema import MIGRATIONS, VERSION
from .store import ACKNOWLEDGED, DEFAULT_LIMIT, LEASE, PAGE_SOURCES, RESOLVED, TRIGGERED, process_owner, rate_limited

CONNECT_TIMEOUT = 5  # seconds to reach the server, or to wait for a pooled connection
POOL_SIZE = "ONCALL_DATABASE_POOL"  # the service's largest pool (default 10)
SCHEMA_LOCK = 0x6F6E63616C6C  # advisory lock held while migrating ("oncall")
TYPES = {"id": "SERIAL PRIMARY KEY", "time": "TIMESTAMPTZ"}
OURS = ("pages", "incidents", "attempts", "timers")  # a database holding one of these without a version is not ours

# Attempts that really went out (or may have): they count against the rate limit.
_SENT = "(sid IS NOT NULL OR status = 'sending')"


def describe(url: str) -> str:
    """The database a URL names, without its password: ``host:port/dbname``."""
    from psycopg.conninfo import conninfo_to_dict

    try:
        d = conninfo_to_dict(url)
    except Exception:  # noqa: BLE001 - a malformed URL is reported by connecting
        return "the configured database"
    return f"{d.get('host', 'localhost')}:{d.get('port', 5432)}/{d.get('dbname', '')}"


def _unreachable(e: Exception) -> bool:
    """A connection that failed or was cut (no SQLSTATE, class 08, or the server shutting
    down: 57P01-57P03), as opposed to a statement the server refused."""
    state = getattr(e, "sqlstate", None)
    return state is None or state.startswith("08") or state in ("57P01", "57P02", "57P03")


def _first_line(e: Exception) -> str:
    text = str(e).strip()
    return text.splitlines()[0] if text else type(e).__name__


class Database:
    """Connections to one database, with its errors turned into ours: one connection, or
    (``pooled``) a pool for a service's threads."""

    def __init__(self, url: str, pooled: bool = False):
        import psycopg
        from psycopg.rows import dict_row

        self.url, self.where, self._psycopg = url, describe(url), psycopg
        self._kwargs = {"row_factory": dict_row, "connect_timeout": CONNECT_TIMEOUT, "options": "-c TimeZone=UTC",
                        "application_name": "oncall"}
        self.pool, self._conn = None, None
        if pooled:
            from psycopg_pool import ConnectionPool

            # A failed reconnection is given up after 10 s, so the next request starts a
            # fresh one at once instead of waiting out a backoff grown during a long outage.
            self.pool = ConnectionPool(url, min_size=1, max_size=max(1, int(os.environ.get(POOL_SIZE) or 10)),
                                       timeout=CONNECT_TIMEOUT, open=False, name="oncall",
                                       check=ConnectionPool.check_connection, reconnect_timeout=2 * CONNECT_TIMEOUT,
                                       kwargs=self._kwargs)

    def open(self) -> None:
        if self.pool is not None:
            self.pool.open(wait=False)

    @contextmanager
    def _connection(self):
        if self.pool is not None:
            with self.pool.connection() as conn:
                yield conn
            return
        if self._conn is None or self._conn.closed or self._conn.broken:
            self._conn = self._psycopg.connect(self.url, **self._kwargs)
        with self._conn:  # commits when the block ends, rolls back if it raises
            yield self._conn

    @contextmanager
    def tx(self) -> Iterator:
        """A cursor in one transaction: committed if the block ends normally, rolled back
        if it raises. ``StoreUnavailable`` when the server cannot be reached."""
        from psycopg_pool import PoolTimeout

        psycopg = self._psycopg
        try:
            with self._connection() as conn, conn.cursor() as cur:
                yield cur
        except PoolTimeout:
            raise StoreUnavailable(f"the database {self.where} is unreachable (no connection in "
                                   f"{CONNECT_TIMEOUT} s)") from None
        except psycopg.OperationalError as e:
            if _unreachable(e):
                raise StoreUnavailable(f"the database {self.where} is unreachable: {_first_line(e)}") from None
            raise StoreError(f"the database {self.where} refused a request: {_first_line(e)}") from None
        except psycopg.Error as e:
            raise StoreError(f"the database {self.where} refused a request: {_first_line(e)}") from None

    def version(self, cur) -> int | None:
        """The schema version; None for a database oncall never wrote to."""
        cur.execute("SELECT to_regclass('oncall_schema') IS NOT NULL AS ours")
        if not cur.fetchone()["ours"]:
            cur.execute("SELECT count(*) AS n FROM pg_tables WHERE schemaname = current_schema()"
                        " AND tablename = ANY(%s)", (list(OURS),))
            if cur.fetchone()["n"]:
                raise StoreSchemaMismatch(f"the database {self.where} has tables named like oncall's but no "
                                          "oncall schema version: it is not an oncall store; use another database")
            return None
        cur.execute("SELECT max(version) AS v FROM oncall_schema")
        return cur.fetchone()["v"] or 0

    def migrate(self) -> int:
        """Bring the schema to ``VERSION``; returns the version it had (0: created)."""
        with self.tx() as cur:
            cur.execute("SELECT pg_advisory_xact_lock(%s)", (SCHEMA_LOCK,))
            version = self.version(cur)
            if version is None:
                cur.execute("CREATE TABLE oncall_schema (version INTEGER NOT NULL)")
                cur.execute("INSERT INTO oncall_schema VALUES (0)")
                version = 0
            if version > VERSION:
                raise StoreSchemaMismatch(f"the database {self.where} has schema version {version}, written by a "
                                          f"newer oncall (this one knows {VERSION}): upgrade oncall")
            for step in MIGRATIONS[version:]:
                for statement in step.statements(TYPES):
                    cur.execute(statement)
            cur.execute("UPDATE oncall_schema SET version = %s", (VERSION,))
            return version

    def close(self) -> None:
        if self.pool is not None:
            self.pool.close()
        if self._conn is not None:
            self._conn.close()


class PostgresStore(Incidents):
    def __init__(self, url: str, pooled: bool = False):
        """Open (creating or migrating if needed) the store. ``pooled``: for a service
        whose threads share it."""
        self.db = Database(url, pooled)
        self.tx = self.read = self.db.tx
        self.owner = process_owner()
        try:
            self.db.open()
            self.migrated_from = self.db.migrate()
        except BaseException:
            self.db.close()
            raise

    @classmethod
    def reader(cls, url: str) -> PostgresStore | None:
        """The store for listing; None (and nothing created) if the database has no
        oncall schema yet. An older schema is migrated first."""
        probe = Database(url)
        try:
            with probe.tx() as cur:
                version = probe.version(cur)
        finally:
            probe.close()
        return None if version is None else cls(url)

    def ping(self) -> None:
        with self.read() as cur:
            cur.execute("SELECT 1 FROM incidents LIMIT 1")

    def close(self) -> None:
        self.db.close()

    def status(self) -> dict:
        with self.read() as cur:
            cur.execute("SELECT state, count(*) AS n FROM incidents GROUP BY state")
            states = {r["state"]: r["n"] for r in cur.fetchall()}
            cur.execute("SELECT (SELECT count(*) FROM incidents WHERE source = ANY(%s)) AS pages,"
                        " (SELECT count(*) FROM attempts) AS attempts, (SELECT count(*) FROM timers) AS timers",
                        (list(PAGE_SOURCES),))
            n = cur.fetchone()
        counts = {"pages": n["pages"], "incidents": sum(states.values()), "attempts": n["attempts"],
                  "timers": n["timers"]} | {s: states.get(s, 0) for s in (TRIGGERED, ACKNOWLEDGED, RESOLVED)}
        return {"backend": "postgresql", "location": self.db.where, "schema": VERSION,
                "migrated_from": self.migrated_from, "counts": counts}

    # pages

    def open_page(self, rotation: str | None, message: str, now: datetime, deadline: datetime,
                  dedup_key: str | None = None, window: timedelta = timedelta(hours=1)) -> tuple[int, bool]:
        row = (rotation, message, dedup_key, "page" if rotation else "test", TRIGGERED, now, deadline, now + window,
               self.owner, now + LEASE)
        return self._open(rotation, dedup_key, now, "INSERT INTO incidents (rotation, message, dedup_key, source,"
                          " state, opened, deadline, dedup_until, owner, lease_until)"
                          " VALUES (%s,%s,%s,%s,%s,%s,%s,%s,%s,%s)", row, count=False)

    def pages(self, since: datetime | None = None, limit: int | None = DEFAULT_LIMIT) -> list[dict]:
        with self.read() as cur:
            cur.execute("SELECT p.*, (SELECT count(*) FROM attempts a WHERE a.incident_id = p.id) AS n FROM"
                        " (SELECT * FROM incidents WHERE source = ANY(%(sources)s) AND (%(since)s::timestamptz IS NULL"
                        " OR opened >= %(since)s) ORDER BY opened DESC, id DESC LIMIT %(limit)s) p"
                        " ORDER BY p.opened, p.id", {"sources": list(PAGE_SOURCES), "since": since, "limit": limit})
            return [self._page(r) | {"attempts": r["n"]} for r in cur.fetchall()]

    # attempts

    def start_attempt(self, page_id: int, round: int, step: int, person: str, channel: str, now: datetime,
                      limit: int, per: timedelta, phone: str | None = None) -> tuple[int, bool]:
        with self.tx() as cur:
            cur.execute("SELECT pg_advisory_xact_lock(hashtextextended('oncall-rate:' || %s, 0))", (person,))
            cur.execute(f"SELECT count(*) AS n FROM attempts WHERE person = %s AND started > %s AND {_SENT}",
                        (person, now - per))
            n = cur.fetchone()["n"]
            allowed = n < limit
            status, detail = ("sending", "") if allowed else ("rate-limited", rate_limited(n, per))
            cur.execute("INSERT INTO attempts (incident_id, round, step, person, phone, channel, status, detail,"
                        " started, ended) VALUES (%s,%s,%s,%s,%s,%s,%s,%s,%s,%s) RETURNING id",
                        (page_id, round, step, person, phone, channel, status, detail, now, None if allowed else now))
            return cur.fetchone()["id"], allowed


