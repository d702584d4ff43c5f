"""The page log: SQLite in the user state dir (``ONCALL_STATE_DIR`` overrides), WAL mode.

One row per page and one per attempt. Every attempt is written *before* it is sent and
updated after, so a crash leaves a ``sending`` row rather than nothing. Decisions that
must hold across concurrent processes (dedup, the per-person rate limit) are taken
inside one ``BEGIN IMMEDIATE`` transaction: the check and the write cannot interleave.
Times are stored as fixed-width UTC ISO 8601 text, so they sort and compare as text.
"""

from __future__ import annotations

import os
import sqlite3
import time
from contextlib import contextmanager
from datetime import datetime, timedelta, timezone
from pathlib import Path

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
"""

# Attempts that really went out (or may have): they count against the rate limit.
_SENT = "(sid IS NOT NULL OR status = 'sending')"


def state_dir() -> Path:
    env = os.environ.get("ONCALL_STATE_DIR")
    if env:
        return Path(env)
    from platformdirs import user_state_dir

    return Path(user_state_dir("oncall", appauthor=False))


def _t(t: datetime) -> str:
    return t.astimezone(timezone.utc).strftime("%Y-%m-%dT%H:%M:%S.%f+00:00")


def _parse(s: str | None) -> datetime | None:
    return datetime.fromisoformat(s) if s else None


class PageLog:
    def __init__(self, path: Path | None = None):
        """Open (creating if needed) the log; ``PagingFailed`` if it cannot be written:
        without it there is no dedup and no rate limit, so nothing is sent."""
        self.path = path or state_dir() / "pages.sqlite3"
        try:
            self.path.parent.mkdir(parents=True, exist_ok=True)
            self.db = sqlite3.connect(self.path, timeout=30, isolation_level=None)
            self.db.row_factory = sqlite3.Row
            self._retry_locked(lambda: self.db.execute("PRAGMA journal_mode=WAL"))
            with self.transaction() as db:
                for statement in SCHEMA.split(";"):
                    if statement.strip():
                        db.execute(statement)
                db.execute("PRAGMA user_version = 1")  # a write, so a read-only log fails here
        except (OSError, sqlite3.Error) as e:
            from ..errors import PagingFailed

            raise PagingFailed(f"cannot write the page log {self.path}: {e} "
                               "(set ONCALL_STATE_DIR to a writable folder)") from None

    @classmethod
    def reader(cls, path: Path | None = None) -> PageLog | None:
        """The log opened read-only, for listing; None if no page was ever logged. Listing
        creates nothing and works on a read-only state folder."""
        path = path or state_dir() / "pages.sqlite3"
        if not path.exists():
            return None
        log = cls.__new__(cls)
        log.path = path
        try:
            log.db = sqlite3.connect(f"{path.resolve().as_uri()}?mode=ro", uri=True, timeout=30)
            log.db.row_factory = sqlite3.Row
            log.db.execute("SELECT 1 FROM pages LIMIT 1")
        except sqlite3.Error as e:
            from ..errors import PagingFailed

            raise PagingFailed(f"cannot read the page log {path}: {e}") from None
        return log

    @staticmethod
    def _retry_locked(fn, tries: int = 50):
        # Switching to WAL needs a moment of exclusive access; a busy timeout does not
        # always cover it when many processes open a fresh file at once.
        for i in range(tries):
            try:
                return fn()
            except sqlite3.OperationalError as e:
                if "locked" not in str(e) or i == tries - 1:
                    raise
                time.sleep(0.05)

    @contextmanager
    def transaction(self):
        self._retry_locked(lambda: self.db.execute("BEGIN IMMEDIATE"))
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

    def pages(self, since: datetime | None = None) -> list[dict]:
        rows = self.db.execute("SELECT * FROM pages WHERE started >= ? ORDER BY started, id",
                               (_t(since) if since else "",)).fetchall()
        counts = dict(self.db.execute("SELECT page_id, count(*) FROM attempts GROUP BY page_id").fetchall())
        return [_page(r) | {"attempts": counts.get(r["id"], 0)} for r in rows]

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
