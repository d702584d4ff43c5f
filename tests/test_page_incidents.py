"""`oncall page` writes incidents: `incidents` lists them, `oncall ack` stops a running
page, dedup keys are shared with serve's intake, and a killed page does not swallow its
retry (issue 15 item 1). Real processes where a process boundary is the point."""

from __future__ import annotations

import json
import os
import sqlite3
import subprocess
import sys
import time
from datetime import timedelta

import pytest
import test_paging
from conftest import ROOT, write_folder
from faultserver import HANG, FaultServer
from test_paging import ALICE, OPS, PEOPLE, T0

from oncall.paging.store import open_store

SID = "AC" + "0" * 32
clock, fake, wired = test_paging.clock, test_paging.fake, test_paging.wired  # the in-process pager's fixtures


@pytest.fixture(autouse=True)
def _every_backend(store_url):
    """This suite runs on SQLite and on PostgreSQL (``store_url`` in conftest)."""


@pytest.fixture
def folder(tmp_path):
    return write_folder(tmp_path / "rot", {"people.toml": PEOPLE, "ops.toml": OPS})


def _page(folder, env: dict, *args: str) -> list[str]:
    return [sys.executable, "-m", "oncall", "page", "ops", "-m", "db down", "--dir", str(folder), "--json", *args]


def _until(predicate, seconds: float = 30.0):
    deadline = time.monotonic() + seconds
    while not predicate():
        assert time.monotonic() < deadline, "timed out"
        time.sleep(0.05)


def _twilio_env(twilio) -> dict:
    """A subprocess's environment: Twilio is ``twilio`` (a local server, the documented
    ``ONCALL_TWILIO_BASE_URL``)."""
    return os.environ | {"PYTHONPATH": str(ROOT), "TWILIO_ACCOUNT_SID": SID, "TWILIO_AUTH_TOKEN": "tok",
                         "TWILIO_FROM": "+15005550006", "ONCALL_TWILIO_BASE_URL": twilio.url}


def _texted(twilio) -> list[str]:
    from urllib.parse import parse_qs

    return [parse_qs(body)["To"][0] for name, body in twilio.bodies if name == "sms"]


def test_oncall_ack_stops_a_running_page_at_its_next_poll(folder, tmp_path, cli):
    twilio = FaultServer().__enter__()
    env = _twilio_env(twilio)
    proc = subprocess.Popen(_page(folder, env, "--dedup-key", "K"), env=env, stdout=subprocess.PIPE,
                            stderr=subprocess.PIPE, text=True)
    try:
        _until(lambda: any(i["paged"] for i in json.loads(cli("incidents", "--json").out or "[]")))
        [inc] = json.loads(cli("incidents", "--json").out)
        assert (inc["id"], inc["source"], inc["state"], inc["paged"], inc["dedup_key"]) == (
            1, "page", "triggered", ["alice"], "K")
        acked = time.monotonic()
        r = cli("ack", "1", "--by", "carol")
        assert r.code == 0 and "acknowledged by carol" in r.out
        out, err = proc.communicate(timeout=30)
    finally:
        proc.kill()
        twilio.__exit__(None, None, None)
    took = time.monotonic() - acked
    assert proc.returncode == 0, err
    result = json.loads(out)
    assert (result["outcome"], result["acknowledged_by"]) == ("acknowledged", "carol")
    assert took < 12  # one poll (5 s) and process exit, not the step's 5 minutes
    assert _texted(twilio) == [ALICE] and twilio.count("call") == 0  # no call, no step 2
    [inc] = json.loads(cli("incidents", "--json").out)
    assert (inc["state"], inc["acknowledged_by"]) == ("acknowledged", "carol")


def test_a_killed_page_does_not_swallow_its_retry(folder, tmp_path):
    """Issue 15 item 1: SIGKILL `page --dedup-key K` while its first send hangs; the retry
    with K pages at once instead of answering `duplicate` for an hour."""
    with FaultServer({"sms": [HANG], "call": [HANG]}) as server:
        env = _twilio_env(server)
        first = subprocess.Popen(_page(folder, env, "--dedup-key", "K"), env=env, stdout=subprocess.PIPE,
                                 stderr=subprocess.PIPE)
        try:
            _until(lambda: server.count("sms") >= 1)  # the send is out, Twilio never answers
        finally:
            first.kill()
            first.wait(timeout=10)
    with FaultServer() as twilio:
        env = _twilio_env(twilio)
        began = time.monotonic()
        retry = subprocess.run(_page(folder, env, "--dedup-key", "K", "--no-wait"), env=env, capture_output=True,
                               text=True, timeout=60)
    assert retry.returncode == 0, retry.stderr
    result = json.loads(retry.stdout)
    assert (result["outcome"], result["id"]) == ("sent", 2) and time.monotonic() - began < 30
    assert _texted(twilio) == [ALICE]
    killed = open_store().incident(1)
    assert killed["state"] == "resolved" and killed["resolved_by"] == "oncall: the process paging for it is gone"
    assert [a["status"] for a in killed["attempts"]] == ["sending"]


def _page_run_elsewhere(tmp_path, store_url: str):
    """A store with page 1 (key K) opened at T0 by a process on another host."""
    s = open_store()
    pid, _ = s.open_page("ops", "db down", T0, T0 + timedelta(hours=1), "K")
    sql = "UPDATE incidents SET owner = 'elsewhere.example/4242/abcd1234' WHERE id = %s"
    if store_url:
        import psycopg

        with psycopg.connect(store_url) as conn:
            conn.execute(sql, (pid,))
        return s, pid
    db = sqlite3.connect(tmp_path / "state" / "pages.sqlite3")
    db.execute(sql.replace("%s", "?"), (pid,))
    db.commit()
    db.close()
    return s, pid


def test_a_page_on_another_host_covers_its_key_while_its_lease_is_renewed(tmp_path, store_url):
    s, pid = _page_run_elsewhere(tmp_path, store_url)
    assert s.open_page("ops", "again", T0 + timedelta(seconds=20), T0, "K") == (pid, True)
    s.heartbeat(pid, T0 + timedelta(seconds=25))  # what the page's poll does
    assert s.open_page("ops", "again", T0 + timedelta(seconds=50), T0, "K") == (pid, True)
    new, dup = s.open_page("ops", "again", T0 + timedelta(seconds=56), T0, "K")
    assert not dup and new != pid
    assert s.incident(pid)["resolved_by"] == "oncall: the process paging for it stopped renewing its lease"
    s.close()


def test_dedup_keys_are_shared_between_page_and_serve_intake(folder, cli, wired):
    s = open_store()
    alert, _ = s.open("ops", "grp", "alertmanager", "DiskFull", T0)
    r = cli("page", "ops", "-m", "disk", "--dir", str(folder), "--dedup-key", "grp", "--no-wait", "--json")
    assert (json.loads(r.out)["outcome"], json.loads(r.out)["id"]) == ("duplicate", alert) and not wired.log
    r = cli("page", "ops", "-m", "disk", "--dir", str(folder), "--dedup-key", "db", "--no-wait", "--json")
    paged = json.loads(r.out)["id"]
    assert json.loads(r.out)["outcome"] == "sent" and len(wired.log) == 1
    assert s.open("ops", "db", "alertmanager", "again", T0 + timedelta(minutes=1)) == (paged, True)
    assert s.paged_to(ALICE) == [paged]  # so serve takes an SMS "ack" from Alice for the page
    assert s.incident(paged)["next"] is None  # serve does not escalate a page: its process does
    s.close()


def test_a_page_pausing_for_a_retry_holds_its_lease_through_the_pause(tmp_path, store_url):
    s, pid = _page_run_elsewhere(tmp_path, store_url)
    s.heartbeat(pid, T0 + timedelta(seconds=10), hold=timedelta(seconds=120))  # Retry-After: 120
    assert s.open_page("ops", "again", T0 + timedelta(seconds=150), T0, "K") == (pid, True)
    assert s.open_page("ops", "again", T0 + timedelta(seconds=161), T0, "K")[1] is False
    s.close()
