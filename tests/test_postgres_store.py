"""The PostgreSQL page store: chosen by the URL, concurrency decided by the database
(unique constraint, row locks, SKIP LOCKED, advisory locks), outages and schema
versions reported in one line. Needs the test server (tests/pg_support.py)."""

from __future__ import annotations

import threading
from datetime import datetime, timedelta, timezone

import psycopg
import pytest

from oncall.errors import StoreSchemaMismatch, StoreUnavailable
from oncall.paging.schema import VERSION
from oncall.paging.store import open_store

T0 = datetime(2026, 3, 10, 12, 0, tzinfo=timezone.utc)


def _together(n: int, fn) -> list:
    """``fn(i)`` in ``n`` threads released at once; their results (bounded: 60 s)."""
    gate, results, errors = threading.Barrier(n, timeout=60), [None] * n, []

    def run(i):
        try:
            gate.wait()
            results[i] = fn(i)
        except Exception as e:  # noqa: BLE001 - reported below
            errors.append(e)

    threads = [threading.Thread(target=run, args=(i,)) for i in range(n)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(60)
    assert not errors, errors
    return results


def test_a_postgresql_url_selects_the_shared_store(pg_url, cli):
    import json

    from oncall.paging.postgres import PostgresStore

    s = open_store()
    assert isinstance(s, PostgresStore)
    assert s.open_page("ops", "disk full", T0, T0 + timedelta(hours=1), "k") == (1, False)
    assert s.open_page("ops", "again", T0 + timedelta(minutes=1), T0, "k") == (1, True)
    s.close()
    r = cli("pages", "--json")
    assert r.code == 0
    [page] = json.loads(r.out)
    assert page["message"] == "disk full" and page["dedup_key"] == "k"


def test_concurrent_openers_of_one_dedup_key_get_one_page(pg_url):
    stores = [open_store() for _ in range(12)]
    got = _together(12, lambda i: stores[i].open_page("ops", f"m{i}", T0, T0 + timedelta(hours=1), "same"))
    assert sorted(dup for _, dup in got) == [False] + [True] * 11
    assert len({pid for pid, _ in got}) == 1
    assert len(open_store().pages(limit=None)) == 1


def test_concurrent_sends_to_one_person_never_slip_under_the_rate_limit(pg_url):
    stores = [open_store() for _ in range(10)]
    pid, _ = stores[0].open_page("ops", "m", T0, T0)
    got = _together(10, lambda i: stores[i].start_attempt(pid, 0, 0, "alice", "sms", T0, 3, timedelta(hours=1)))
    assert sorted(allowed for _, allowed in got) == [False] * 7 + [True] * 3


def test_instances_claiming_together_each_get_a_different_timer(pg_url):
    first = open_store(pooled=True)
    for i in range(8):
        first.open("platform", f"k{i}", "alerts", "m", T0)
    stores = [first] + [open_store(pooled=True) for _ in range(7)]
    claims = _together(8, lambda i: stores[i].claim(f"owner{i}", T0))
    assert sorted(c.incident_id for c in claims) == list(range(1, 9))
    assert first.claim("late", T0 + timedelta(seconds=1)) is None  # every one is leased
    for s in stores:
        s.close()


def test_an_ack_racing_a_step_wins_or_the_step_does_not_fire(pg_url):
    s = open_store(pooled=True)
    iid, _ = s.open("platform", "k", "alerts", "m", T0)
    claim = s.claim("one", T0)
    assert s.acknowledge(iid, "alice", T0) == "triggered"
    assert not s.fired(claim, "one", {"status": "queued", "at": T0}, (1, 0, T0))
    assert s.incident(iid)["next"] is None and s.claim("one", T0 + timedelta(hours=1)) is None
    s.close()


def test_acks_racing_steps_never_leave_a_timer_behind(pg_url):
    """An instance fires each step while another acknowledges the incident: whichever
    commits first, no timer survives an acknowledged incident, and a step that lost the
    race reports it (False) instead of scheduling the next one."""
    stepper, acker = open_store(pooled=True), open_store(pooled=True)
    ids = [stepper.open("platform", f"k{i}", "alerts", "m", T0)[0] for i in range(20)]

    def step(i):
        claim = stepper.claim("stepper", T0)
        return claim and stepper.fired(claim, "stepper", {"status": "queued", "at": T0},
                                       (1, 0, T0 + timedelta(minutes=5)))

    def ack(i):
        return acker.acknowledge(ids[i], "alice", T0)

    got = _together(40, lambda i: step(i) if i % 2 else ack(i // 2))
    assert got[0::2] == ["triggered"] * 20  # every acknowledgement took effect
    assert all(stepper.incident(i)["next"] is None for i in ids)
    with psycopg.connect(pg_url) as conn:
        assert conn.execute("SELECT count(*) FROM timers").fetchone()[0] == 0
    stepper.close()
    acker.close()


def test_instances_starting_together_migrate_once(pg_url):
    stores = _together(6, lambda i: open_store(pooled=True))
    with psycopg.connect(pg_url) as conn:
        assert conn.execute("SELECT count(*), max(version) FROM oncall_schema").fetchone() == (1, VERSION)
    for s in stores:
        s.close()


def test_a_newer_schema_is_refused_clearly(pg_url, cli):
    open_store().close()
    with psycopg.connect(pg_url) as conn:
        conn.execute("UPDATE oncall_schema SET version = 99")
    with pytest.raises(StoreSchemaMismatch, match="schema version 99"):
        open_store()
    r = cli("pages", "--json")
    assert r.code == 5 and "schema version 99" in r.err and "newer" in r.err and "Traceback" not in r.err


def test_listing_an_empty_database_creates_nothing(pg_url, cli):
    assert open_store(readonly=True) is None
    r = cli("pages", "--json")
    assert r.code == 0 and r.out.strip() == "[]"
    with psycopg.connect(pg_url) as conn:
        assert conn.execute("SELECT to_regclass('oncall_schema')").fetchone()[0] is None


def test_an_unreachable_database_is_one_line_exit_5_without_its_password(cli, monkeypatch):
    import socket

    with socket.socket() as sock:  # a port nobody listens on
        sock.bind(("127.0.0.1", 0))
        port = sock.getsockname()[1]
    monkeypatch.setenv("ONCALL_DATABASE_URL", f"postgresql://oncall:s3cret-pw@127.0.0.1:{port}/oncall")
    with pytest.raises(StoreUnavailable, match=f"127.0.0.1:{port}/oncall is unreachable"):
        open_store()
    r = cli("pages", "--json")
    assert r.code == 5 and "unreachable" in r.err and "Traceback" not in r.err
    assert "s3cret-pw" not in r.err and len(r.err.strip().splitlines()) == 1


def test_db_migrate_and_status_work_on_postgresql(pg_url, cli):
    import json

    r = cli("db", "status", "--json")
    assert r.code == 0 and json.loads(r.out)["backend"] is None  # nothing created by looking
    r = cli("db", "migrate")
    assert r.code == 0 and f"created at schema version {VERSION}" in r.out and "127.0.0.1" in r.out
    assert f"already at schema version {VERSION}" in cli("db", "migrate").out
    s = open_store()
    s.open_page("ops", "disk full", T0, T0 + timedelta(hours=1), "k")
    s.open("ops", "grp", "alertmanager", "DiskFull", T0)
    s.close()
    info = json.loads(cli("db", "status", "--json").out)
    assert (info["backend"], info["schema"]) == ("postgresql", VERSION)
    assert info["counts"] == {"pages": 1, "incidents": 2, "attempts": 0, "timers": 1, "triggered": 2,
                              "acknowledged": 0, "resolved": 0}
    r = cli("db", "status")
    assert r.code == 0 and f"postgresql store 127.0.0.1:{pg_url.rsplit(':', 1)[1].split('/')[0]}" in r.out


def test_a_database_with_foreign_tables_of_our_names_is_refused(pg_url, cli):
    with psycopg.connect(pg_url) as conn:
        conn.execute("CREATE TABLE incidents (ticket TEXT)")
    r = cli("db", "migrate")
    assert r.code == 5 and "not an oncall store" in r.err and "Traceback" not in r.err
