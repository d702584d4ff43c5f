"""The PostgreSQL server the tests use: the one ``.ci/postgres start`` runs (CI starts it;
run it yourself and ``eval`` its output to test locally).

``ONCALL_TEST_POSTGRES_URL`` names its database; ``ONCALL_TEST_POSTGRES_CTL`` is a command
prefix that takes ``stop``, ``start`` or ``restart`` for that server. Without them, tests
that need PostgreSQL skip with the reason, except under ``CI=true``, where they fail.
"""

from __future__ import annotations

import os
import shlex
import subprocess

import pytest

URL = "ONCALL_TEST_POSTGRES_URL"
CTL = "ONCALL_TEST_POSTGRES_CTL"
HOW = "start one with: eval \"$(.ci/postgres start)\""


def _need(var: str) -> str:
    value = os.environ.get(var, "").strip()
    if not value:
        reason = f"{var} is not set: these tests need a PostgreSQL server ({HOW})"
        if os.environ.get("CI", "").lower() == "true":
            pytest.fail(f"CI=true: {reason}")
        pytest.skip(reason)
    return value


def fresh_database() -> str:
    """The test server's URL, its ``public`` schema emptied (every table of a previous test gone)."""
    import psycopg

    url = _need(URL)
    try:
        with psycopg.connect(url, autocommit=True, connect_timeout=10) as conn:
            conn.execute("SET lock_timeout = '20s'")
            conn.execute("DROP SCHEMA public CASCADE")
            conn.execute("CREATE SCHEMA public")
    except psycopg.OperationalError as e:
        pytest.fail(f"{URL}={url} is set but unreachable: {e}")
    return url


def server_ctl(action: str) -> None:
    """``stop``, ``start`` or ``restart`` the test server (waits until done)."""
    subprocess.run([*shlex.split(_need(CTL)), action], check=True, timeout=120, capture_output=True)
