"""The store's one schema, as numbered migrations every backend applies in order.

Each step is neutral SQL: standard DDL and DML both SQLite and PostgreSQL run as written,
with two placeholders a backend fills in: ``{id}`` (an auto-numbered integer primary key)
and ``{time}`` (the column type of an instant). A store records the number of the last
step applied; a backend brings an older store forward (a new one runs every step from
the first, so fresh and migrated stores end in the same schema) and refuses a store whose
number is higher than ``VERSION``.

Version 3 makes a page and an incident one thing: the ``pages`` table becomes
``incidents`` (a page's id is its incident's id), attempts belong to incidents, and the
escalation timers of ``oncall serve`` live beside them. Pages logged before version 3
come across as resolved incidents, with their outcomes and attempts unchanged.

Version 4 adds the notice log of ``oncall notify`` (``oncall.notify.store``): one row per
notice key, the first run's instant, and per person what was last announced. SQLite files
of version 3 may already hold these tables, made by the notify code of that version; the
SQLite backend sets them aside and copies them into version 4's (``sqlite.LEGACY``).
"""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class Migration:
    version: int
    why: str
    sql: str  # statements separated by ";", with {id} and {time} placeholders

    def statements(self, types: dict[str, str]) -> list[str]:
        """The step's statements with the backend's ``types`` filled in."""
        return [s.strip().format(**types) for s in self.sql.split(";") if s.strip()]


MIGRATIONS = (
    Migration(1, "the page log: pages and their attempts", """
CREATE TABLE pages (
    id {id},
    rotation TEXT,
    message TEXT NOT NULL,
    dedup_key TEXT,
    started {time} NOT NULL,
    deadline {time} NOT NULL,
    finished {time},
    outcome TEXT,
    acknowledged_by TEXT
);
CREATE INDEX pages_dedup ON pages (dedup_key, started);
CREATE TABLE attempts (
    id {id},
    page_id INTEGER NOT NULL REFERENCES pages (id),
    round INTEGER NOT NULL,
    step INTEGER NOT NULL,
    person TEXT,
    channel TEXT,
    sid TEXT,
    status TEXT NOT NULL,
    error_code INTEGER,
    detail TEXT NOT NULL DEFAULT '',
    started {time} NOT NULL,
    ended {time}
);
CREATE INDEX attempts_person ON attempts (person, started)
"""),
    Migration(2, "indexes for listing", """
CREATE INDEX pages_started ON pages (started, id);
CREATE INDEX attempts_page ON attempts (page_id)
"""),
    Migration(3, "one incident model for page and serve: pages become incidents, with owners and timers", """
DROP INDEX pages_dedup;
DROP INDEX pages_started;
ALTER TABLE pages RENAME TO incidents;
ALTER TABLE incidents RENAME COLUMN started TO opened;
ALTER TABLE incidents ADD COLUMN source TEXT NOT NULL DEFAULT 'page';
ALTER TABLE incidents ADD COLUMN state TEXT NOT NULL DEFAULT 'triggered';
ALTER TABLE incidents ADD COLUMN dedup_until {time};
ALTER TABLE incidents ADD COLUMN acknowledged {time};
ALTER TABLE incidents ADD COLUMN resolved {time};
ALTER TABLE incidents ADD COLUMN resolved_by TEXT;
ALTER TABLE incidents ADD COLUMN alerts INTEGER NOT NULL DEFAULT 1;
ALTER TABLE incidents ADD COLUMN owner TEXT;
ALTER TABLE incidents ADD COLUMN lease_until {time};
UPDATE incidents SET state = 'resolved', resolved = coalesce(finished, opened), resolved_by = 'oncall db migrate',
    source = CASE WHEN rotation IS NULL THEN 'test' ELSE 'page' END,
    acknowledged = CASE WHEN outcome = 'acknowledged' THEN finished END;
CREATE UNIQUE INDEX incidents_open ON incidents (rotation, dedup_key) WHERE state <> 'resolved';
CREATE INDEX incidents_opened ON incidents (opened, id);
CREATE INDEX incidents_state ON incidents (state, id);
ALTER TABLE attempts RENAME COLUMN page_id TO incident_id;
ALTER TABLE attempts ADD COLUMN phone TEXT;
CREATE INDEX attempts_phone ON attempts (phone, incident_id);
CREATE TABLE timers (
    incident_id INTEGER PRIMARY KEY REFERENCES incidents (id),
    step INTEGER NOT NULL,
    chan INTEGER NOT NULL,
    due {time} NOT NULL,
    lease_until {time},
    owner TEXT,
    attempt_id INTEGER
);
CREATE INDEX timers_due ON timers (due);
CREATE TABLE sms_opt_outs (phone TEXT PRIMARY KEY, since {time} NOT NULL)
"""),
    Migration(4, "the notice log: reminders, handoff and change notices, and what each person was told", """
CREATE TABLE notices (
    key TEXT PRIMARY KEY,
    kind TEXT NOT NULL,
    person TEXT NOT NULL,
    rotation TEXT,
    channel TEXT,
    due {time} NOT NULL,
    status TEXT NOT NULL,
    subject TEXT NOT NULL,
    body TEXT NOT NULL,
    detail TEXT NOT NULL DEFAULT '',
    tries INTEGER NOT NULL DEFAULT 0,
    created {time} NOT NULL,
    updated {time} NOT NULL
);
CREATE INDEX notices_status ON notices (status, due);
CREATE INDEX notices_updated ON notices (updated);
CREATE TABLE notice_state (name TEXT PRIMARY KEY, value {time} NOT NULL);
CREATE TABLE notice_snapshots (person TEXT PRIMARY KEY, taken {time} NOT NULL, shifts TEXT NOT NULL)
"""),
)
VERSION = MIGRATIONS[-1].version
assert [m.version for m in MIGRATIONS] == list(range(1, VERSION + 1))
