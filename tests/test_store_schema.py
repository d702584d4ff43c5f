"""One schema for pages, incidents and notices: versioned migrations, `oncall db`, a v2 page
log and a v3 log with notify's tables (each built here by its version's own DDL) brought
forward without losing a page or a notice."""

from __future__ import annotations

import json
import sqlite3
from datetime import datetime, timedelta, timezone

import pytest

from oncall.paging import schema
from oncall.paging.store import open_store

T0 = datetime(2026, 3, 10, 12, 0, tzinfo=timezone.utc)

# Version 2's DDL, as the code of that version wrote it (paging/sqlite.py, serve/sqlite.py).
V2_PAGES = """
CREATE TABLE IF NOT EXISTS pages (id INTEGER PRIMARY KEY AUTOINCREMENT, rotation TEXT, message TEXT NOT NULL,
    dedup_key TEXT, started TEXT NOT NULL, deadline TEXT NOT NULL, finished TEXT, outcome TEXT, acknowledged_by TEXT);
CREATE INDEX IF NOT EXISTS pages_dedup ON pages (dedup_key, started);
CREATE INDEX IF NOT EXISTS pages_started ON pages (started, id);
CREATE TABLE IF NOT EXISTS attempts (id INTEGER PRIMARY KEY AUTOINCREMENT, page_id INTEGER NOT NULL REFERENCES
    pages (id), round INTEGER NOT NULL, step INTEGER NOT NULL, person TEXT, channel TEXT, sid TEXT, status TEXT NOT
    NULL, error_code INTEGER, detail TEXT NOT NULL DEFAULT '', started TEXT NOT NULL, ended TEXT);
CREATE INDEX IF NOT EXISTS attempts_person ON attempts (person, started);
CREATE INDEX IF NOT EXISTS attempts_page ON attempts (page_id);
"""
V2_SERVE = """
CREATE TABLE IF NOT EXISTS incidents (id INTEGER PRIMARY KEY AUTOINCREMENT, rotation TEXT NOT NULL, dedup_key TEXT
    NOT NULL, source TEXT NOT NULL, message TEXT NOT NULL, state TEXT NOT NULL, opened TEXT NOT NULL, acknowledged
    TEXT, acknowledged_by TEXT, resolved TEXT, resolved_by TEXT, alerts INTEGER NOT NULL DEFAULT 1);
CREATE UNIQUE INDEX IF NOT EXISTS incidents_open ON incidents (rotation, dedup_key) WHERE state != 'resolved';
CREATE TABLE IF NOT EXISTS incident_attempts (id INTEGER PRIMARY KEY AUTOINCREMENT, incident_id INTEGER NOT NULL
    REFERENCES incidents (id), step INTEGER NOT NULL, person TEXT, phone TEXT, channel TEXT, sid TEXT, status TEXT
    NOT NULL, error_code INTEGER, detail TEXT NOT NULL DEFAULT '', started TEXT NOT NULL, ended TEXT);
CREATE INDEX IF NOT EXISTS incident_attempts_phone ON incident_attempts (phone, incident_id);
CREATE TABLE IF NOT EXISTS incident_timers (incident_id INTEGER PRIMARY KEY REFERENCES incidents (id), step INTEGER
    NOT NULL, chan INTEGER NOT NULL, due TEXT NOT NULL, lease_until TEXT, owner TEXT, attempt_id INTEGER);
CREATE INDEX IF NOT EXISTS incident_timers_due ON incident_timers (due);
CREATE TABLE IF NOT EXISTS sms_opt_outs (phone TEXT PRIMARY KEY, since TEXT NOT NULL);
"""
S = "2026-03-10T12:00:00.000000+00:00"
E = "2026-03-10T12:05:00.000000+00:00"


def _v2_file(path, serve: bool = False):
    path.parent.mkdir(parents=True, exist_ok=True)
    db = sqlite3.connect(path)
    db.executescript(V2_PAGES + (V2_SERVE if serve else ""))
    db.executemany("INSERT INTO pages (rotation, message, dedup_key, started, deadline, finished, outcome,"
                   " acknowledged_by) VALUES (?,?,?,?,?,?,?,?)",
                   [("ops", "disk full", "db", S, E, E, "acknowledged", "alice"),
                    (None, "Test page for Bob.", None, S, E, E, "unreached", None),
                    ("ops", "cpu", None, E, E, None, None, None)])
    db.executemany("INSERT INTO attempts (page_id, round, step, person, channel, sid, status, started, ended)"
                   " VALUES (?,?,?,?,?,?,?,?,?)",
                   [(1, 0, 1, "alice", "sms", "SM1", "delivered", S, E),
                    (1, 0, 1, "alice", "sms-reply", None, "acknowledged", E, E),
                    (2, 0, 1, "bob", "sms", "SM2", "delivered", S, E)])
    if serve:
        db.execute("INSERT INTO incidents (rotation, dedup_key, source, message, state, opened) VALUES"
                   " ('ops', 'grp', 'alertmanager', 'DiskFull', 'triggered', ?)", (S,))
        db.execute("INSERT INTO incident_attempts (incident_id, step, person, phone, channel, sid, status, started)"
                   " VALUES (1, 0, 'alice', '+14155550101', 'sms', 'SM9', 'queued', ?)", (S,))
        db.execute("INSERT INTO incident_timers VALUES (1, 0, 1, ?, NULL, NULL, NULL)", (E,))
        db.execute("INSERT INTO sms_opt_outs VALUES ('+12125550102', ?)", (S,))
    db.execute("PRAGMA user_version = 2")
    db.commit()
    db.close()


def _schema_of(path) -> dict:
    db = sqlite3.connect(path)
    tables = [t for (t,) in db.execute("SELECT name FROM sqlite_master WHERE type = 'table' AND name NOT LIKE"
                                       " 'sqlite_%' ORDER BY name")]
    out = {t: sorted((r[1], r[2], r[3]) for r in db.execute(f"PRAGMA table_info({t})")) for t in tables}
    out["indexes"] = sorted(n for (n,) in db.execute("SELECT name FROM sqlite_master WHERE type = 'index' AND name"
                                                     " NOT LIKE 'sqlite_%'"))
    out["version"] = db.execute("PRAGMA user_version").fetchone()[0]
    db.close()
    return out


def test_migrations_are_numbered_steps_of_neutral_sql():
    assert [m.version for m in schema.MIGRATIONS] == list(range(1, schema.VERSION + 1)) and schema.VERSION == 4
    for m in schema.MIGRATIONS:
        for statement in m.statements({"id": "ID", "time": "TIME"}):
            assert "{" not in statement and "AUTOINCREMENT" not in statement and "PRAGMA" not in statement


def test_a_v2_page_log_migrates_forward_without_losing_a_page(tmp_path, cli):
    _v2_file(tmp_path / "state" / "pages.sqlite3")
    pages = json.loads(cli("pages", "--json").out)  # a listing migrates a writable store first
    assert [(p["id"], p["rotation"], p["outcome"], p["acknowledged_by"], p["attempts"]) for p in pages] == [
        (1, "ops", "acknowledged", "alice", 2), (2, None, "unreached", None, 1), (3, "ops", "open", None, 0)]
    shown = json.loads(cli("pages", "show", "1", "--json").out)
    assert [(a["channel"], a["sid"], a["status"]) for a in shown["attempts"]] == [
        ("sms", "SM1", "delivered"), ("sms-reply", None, "acknowledged")]
    assert shown["started"] == "2026-03-10T12:00:00+00:00" and shown["dedup_key"] == "db"
    # Pages from before the migration are closed incidents: none of them blocks a new page.
    s = open_store()
    assert s.open_page("ops", "disk full", T0 + timedelta(minutes=1), T0 + timedelta(hours=1), "db")[1] is False
    s.close()
    fresh = tmp_path / "fresh.sqlite3"
    from oncall.paging.sqlite import SQLiteStore

    SQLiteStore(fresh).close()
    assert _schema_of(tmp_path / "state" / "pages.sqlite3") == _schema_of(fresh)


def test_a_v2_file_with_serve_tables_merges_them_after_the_pages(tmp_path):
    path = tmp_path / "state" / "pages.sqlite3"
    _v2_file(path, serve=True)
    s = open_store()
    assert [p["id"] for p in s.pages()] == [1, 2, 3]
    [inc] = [i for i in s.incidents() if i["source"] == "alertmanager"]
    assert inc["id"] == 4 and inc["state"] == "triggered" and inc["next"] == {
        "step": 1, "due": datetime(2026, 3, 10, 12, 5, tzinfo=timezone.utc)}
    full = s.incident(4)
    assert [(a["step"], a["sid"]) for a in full["attempts"]] == [(1, "SM9")]
    assert s.paged_to("+14155550101") == [4] and s.opted_out("+12125550102")
    assert s.open("ops", "grp", "alertmanager", "DiskFull", T0) == (4, True)
    assert s.open_page("ops", "x", T0, T0, "later")[0] == 5  # ids go on after both
    s.close()
    assert _schema_of(path)["version"] == 4 and not any(t.startswith("legacy") for t in _schema_of(path))


def test_db_migrate_and_status_show_versions_and_counts(tmp_path, cli):
    _v2_file(tmp_path / "state" / "pages.sqlite3")
    r = cli("db", "migrate")
    assert r.code == 0 and "migrated from schema version 2 to 4" in r.out
    assert "already at schema version 4" in cli("db", "migrate").out
    info = json.loads(cli("db", "status", "--json").out)
    assert (info["backend"], info["schema"]) == ("sqlite", 4)
    assert info["counts"] == {"pages": 3, "incidents": 3, "attempts": 3, "timers": 0, "triggered": 0,
                              "acknowledged": 0, "resolved": 3}
    assert "schema version 4" in cli("db", "status").out


def test_db_status_without_a_store_creates_nothing(tmp_path, cli):
    r = cli("db", "status")
    assert r.code == 0 and "No store yet" in r.out and not (tmp_path / "state").exists()


@pytest.mark.parametrize("args", [("db", "status"), ("db", "migrate"), ("incidents",), ("pages",)])
def test_a_newer_schema_is_refused_in_one_line_exit_5(tmp_path, cli, args):
    from oncall.paging.sqlite import SQLiteStore

    path = tmp_path / "state" / "pages.sqlite3"
    SQLiteStore(path).close()
    db = sqlite3.connect(path)
    db.execute(f"PRAGMA user_version = {schema.VERSION + 1}")
    db.commit()
    db.close()
    r = cli(*args)
    assert r.code == 5 and r.err.count("\n") == 1 and f"schema version {schema.VERSION + 1}" in r.err
    assert "newer" in r.err
    assert "Traceback" not in r.err


def test_a_v2_log_that_cannot_be_written_asks_for_db_migrate(tmp_path, cli, monkeypatch):
    _v2_file(tmp_path / "state" / "pages.sqlite3")
    real = sqlite3.connect
    # Every connection read-only, as in a folder the user cannot write (even as root).
    monkeypatch.setattr(sqlite3, "connect", lambda p, *a, **k: real(p, *a, **k) if k.get("uri")
                        else real(f"file:{p}?mode=ro", *a, **k, uri=True))
    r = cli("pages")
    assert r.code == 5 and "oncall db migrate" in r.err and "schema version 2" in r.err
    assert r.err.count("\n") == 1 and "Traceback" not in r.err


# Version 3's notice tables, as `oncall notify` of that version wrote them (notify/sqlite.py).
V3_NOTICES = """
CREATE TABLE IF NOT EXISTS notices (key TEXT PRIMARY KEY, kind TEXT NOT NULL, person TEXT NOT NULL, rotation TEXT,
    channel TEXT, due TEXT NOT NULL, status TEXT NOT NULL, subject TEXT NOT NULL, body TEXT NOT NULL,
    detail TEXT NOT NULL DEFAULT '', tries INTEGER NOT NULL DEFAULT 0, created TEXT NOT NULL, updated TEXT NOT NULL);
CREATE INDEX IF NOT EXISTS notices_status ON notices (status, due);
CREATE INDEX IF NOT EXISTS notices_updated ON notices (updated);
CREATE TABLE IF NOT EXISTS notice_state (name TEXT PRIMARY KEY, value TEXT NOT NULL);
CREATE TABLE IF NOT EXISTS notice_snapshots (person TEXT PRIMARY KEY, taken TEXT NOT NULL, shifts TEXT NOT NULL);
"""


def _v3_file_with_notices(path):
    from oncall.paging.sqlite import TYPES

    path.parent.mkdir(parents=True, exist_ok=True)
    db = sqlite3.connect(path)
    for step in schema.MIGRATIONS[:3]:
        for statement in step.statements(TYPES):
            db.execute(statement)
    db.executescript(V3_NOTICES)
    db.executemany("INSERT INTO notices VALUES (?,?,?,?,?,?,?,?,?,?,?,?,?)", [
        ("remind:ops:alice:1h", "reminder", "alice", "ops", "email", S, "sent", "On call in 1h", "Reminder", "",
         1, S, S),
        ("change:bob:1", "change", "bob", "ops", None, E, "pending", "Shifts changed", "Your shifts changed", "",
         0, S, S),
        ("remind:ops:bob:1d", "reminder", "bob", "ops", "email", S, "failed", "On call in 1d", "Reminder",
         "ConnectionRefusedError", 3, S, E)])
    db.execute("INSERT INTO notice_state VALUES ('first_run', ?)", (S,))
    db.execute("INSERT INTO notice_snapshots VALUES ('bob', ?, ?)", (S, '{"ops": []}'))
    db.execute("PRAGMA user_version = 3")
    db.commit()
    db.close()


def test_a_v3_log_with_notify_tables_migrates_to_v4_without_losing_a_notice(tmp_path, cli):
    from oncall.notify.plan import Notice
    from oncall.notify.store import open_notices
    from oncall.paging.sqlite import SQLiteStore

    path = tmp_path / "state" / "pages.sqlite3"
    _v3_file_with_notices(path)
    r = cli("db", "migrate")
    assert r.code == 0 and "migrated from schema version 3 to 4" in r.out
    listed = json.loads(cli("notifications", "--json").out)
    assert [(n["key"], n["status"], n["tries"], n["detail"]) for n in listed] == [
        ("change:bob:1", "pending", 0, ""), ("remind:ops:alice:1h", "sent", 1, ""),
        ("remind:ops:bob:1d", "failed", 3, "ConnectionRefusedError")]
    store = open_notices()
    sent = Notice("remind:ops:alice:1h", "reminder", "alice", "ops", T0, None, "s", "b")
    assert store.claim(sent, "email", T0) is False  # sent before the upgrade: never again
    assert [n.key for n in store.pending(T0 + timedelta(minutes=5))] == ["change:bob:1"]
    assert store.first_run() == datetime(2026, 3, 10, 12, tzinfo=timezone.utc)
    assert store.snapshot("bob") == {"ops": []}
    store.close()
    fresh = tmp_path / "fresh.sqlite3"
    SQLiteStore(fresh).close()
    assert _schema_of(path) == _schema_of(fresh)
    assert json.loads(cli("db", "status", "--json").out)["schema"] == 4
