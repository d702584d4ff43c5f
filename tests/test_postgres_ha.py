"""Issue 11's acceptance: several instances on one PostgreSQL behave as one. Real
processes (uvicorn on 127.0.0.1, ``oncall page``), the test PostgreSQL server
(tests/pg_support.py, restarted by one test) and sends counted in the Twilio mock's log."""

from __future__ import annotations

import json
import os
import subprocess
import sys
import threading
import time
import uuid

import pytest
from conftest import ROOT, write_folder
from pg_support import server_ctl
from serve_support import AUTH_TOKEN, Server, wait_for
from test_paging import OPS
from test_paging import PEOPLE as PAGE_PEOPLE
from test_serve import PEOPLE, alertmanager, mock, rotation  # noqa: F401 - mock: the session's Twilio mock

from oncall.paging.store import LEASE

pytestmark = pytest.mark.contract


def _folder(tmp_path, wait1: str, wait2: str = "1m"):
    return write_folder(tmp_path / "rotations", {"people.toml": PEOPLE,
                                                 "platform.toml": rotation(wait1, wait2)})


def _instances(tmp_path, mock, n: int, wait1: str) -> list[Server]:  # noqa: F811 - the fixture's value
    """``n`` services on the test database: own state dirs and ports, one Twilio account."""
    folder = _folder(tmp_path, wait1)
    servers = [Server(folder, tmp_path / f"state{i}", mock) for i in range(n)]
    for s in servers[1:]:
        s.account = servers[0].account
    return servers


def _sent(server: Server) -> int:
    return sum(1 for i in server.incidents() for a in i["attempts"] if a["sid"])


def _stop(servers: list[Server]) -> None:
    for s in servers:
        if s.proc is not None:
            s.stop()


def test_two_instances_given_the_same_alertmanager_payload_send_one_sms(tmp_path, mock, pg_url):  # noqa: F811
    servers = [s.start() for s in _instances(tmp_path, mock, 2, wait1="1m")]
    try:
        gate, answers = threading.Barrier(2, timeout=30), []

        def post(s: Server):
            gate.wait()
            answers.append(s.post_json("/v1/alertmanager/platform", alertmanager()))

        threads = [threading.Thread(target=post, args=(s,)) for s in servers]
        for t in threads:
            t.start()
        for t in threads:
            t.join(30)
        assert sorted(code for code, _ in answers) == [200, 202]  # one opened it, the other saw a duplicate
        assert wait_for(lambda: mock.sends(servers[0].account) >= 1 and _sent(servers[0]) >= 1, 10)
        time.sleep(1.5)  # both steppers have looked for due steps several times since
        assert mock.sends(servers[0].account) == 1
        [inc] = servers[1].incidents()
        assert inc["alerts"] == 2 and inc["attempts"][0]["person"] == "alice"
    finally:
        _stop(servers)


def test_20_concurrent_pages_with_one_dedup_key_from_separate_processes_send_one_sms(tmp_path, mock,  # noqa: F811
                                                                                     pg_url):
    folder = write_folder(tmp_path / "rot", {"people.toml": PAGE_PEOPLE, "ops.toml": OPS})
    account = "AC" + uuid.uuid4().hex
    env = os.environ | {"TWILIO_ACCOUNT_SID": account, "TWILIO_AUTH_TOKEN": AUTH_TOKEN,
                        "TWILIO_FROM": "+15005550006", "ONCALL_TWILIO_BASE_URL": mock.url, "PYTHONPATH": str(ROOT)}
    cmd = [sys.executable, "-m", "oncall", "page", "ops", "-m", "db down", "--dir", str(folder),
           "--dedup-key", "db-down", "--no-wait", "--json"]
    procs = [subprocess.Popen(cmd, env=env, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
             for _ in range(20)]
    results = [p.communicate(timeout=240) for p in procs]
    assert all(p.returncode == 0 for p in procs), [err for _, err in results if err]
    outcomes = sorted(json.loads(out)["outcome"] for out, _ in results)
    assert outcomes == ["duplicate"] * 19 + ["sent"]
    assert {json.loads(out)["id"] for out, _ in results} == {1}
    assert mock.sends(account) == 1 and mock.sends(account, "Calls") == 0


def test_kill_9_of_the_instance_owning_an_escalation_the_other_sends_step_2_once(tmp_path, mock, pg_url):  # noqa: F811
    first, second = _instances(tmp_path, mock, 2, wait1="4s")
    first.start()
    try:
        first.post_json("/v1/alertmanager/platform", alertmanager())
        assert wait_for(lambda: mock.sends(first.account) == 1 and _sent(first) == 1, 10)
        due = first.incidents()[0]["next"]["due"]
        second.start()
        first.kill9()  # during step 1's wait
        bound = LEASE.total_seconds() + second.tick
        assert wait_for(lambda: mock.sends(first.account) >= 2 and _sent(second) >= 2, bound + 8)
        step2 = second.incidents()[0]["attempts"][1]
        assert step2["person"] == "bob" and step2["channel"] == "sms"
        assert (step2["started"] - due).total_seconds() < bound
        time.sleep(1.5)
        assert mock.sends(first.account) == 2
    finally:
        _stop([first, second])


def test_a_postgresql_restart_during_a_wait_is_reported_and_the_step_fires_once_after(tmp_path, mock,  # noqa: F811
                                                                                      pg_url):
    [s] = _instances(tmp_path, mock, 1, wait1="3s")
    s.start()
    try:
        s.post_json("/v1/alertmanager/platform", alertmanager())
        assert wait_for(lambda: mock.sends(s.account) == 1 and _sent(s) == 1, 10)
        server_ctl("stop")
        try:
            code, body = s.get("/healthz")
            assert code == 503 and "unreachable" in body
            assert s.post_json("/v1/alertmanager/platform", alertmanager(key="another"))[0] == 503
            time.sleep(3.5)  # step 2 falls due while the database is down
            assert mock.sends(s.account) == 1
        finally:
            server_ctl("start")
        assert wait_for(lambda: s.get("/healthz")[0] == 200, 20)
        assert wait_for(lambda: mock.sends(s.account) >= 2 and _sent(s) >= 2, 15)
        time.sleep(1.5)
        assert mock.sends(s.account) == 2
        assert [a["person"] for a in s.incidents()[0]["attempts"]] == ["alice", "bob"]
    finally:
        s.stop()
    log = s.stderr.read_text()
    assert "Traceback" not in log
    assert "store unavailable" in log and "store reachable again" in log
