"""The PostgreSQL server the tests get (``.ci/postgres``, started by ``.ci/run``): it
answers, each test gets an empty database, and a test can restart it."""

from __future__ import annotations

import psycopg
from pg_support import fresh_database, server_ctl


def test_the_test_server_answers_with_an_empty_database(pg_url):
    with psycopg.connect(pg_url) as conn:
        conn.execute("CREATE TABLE left_behind (x INTEGER)")
        assert conn.info.server_version >= 130000
    fresh_database()
    with psycopg.connect(pg_url) as conn:
        assert conn.execute("SELECT to_regclass('left_behind')").fetchone()[0] is None


def test_a_test_can_restart_the_server(pg_url):
    with psycopg.connect(pg_url) as conn:
        before = conn.execute("SELECT pg_postmaster_start_time()").fetchone()[0]
    server_ctl("restart")
    with psycopg.connect(pg_url, connect_timeout=10) as conn:
        assert conn.execute("SELECT pg_postmaster_start_time()").fetchone()[0] > before
