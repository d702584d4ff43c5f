"""`oncall serve` acceptance: the real server (uvicorn, 127.0.0.1, a free port), real HTTP,
sends through the Twilio mock (counted in its log under a per-test account SID)."""

from __future__ import annotations

import os
import signal
import time
import xml.dom.minidom

import pytest
from conftest import write_folder
from serve_support import Server, start_mock, wait_for

pytestmark = pytest.mark.contract

ALICE, BOB = "+14155550101", "+12125550102"
PEOPLE = f"""
[people.alice]
name = "Alice"
phone = "{ALICE}"
notify = ["sms"]

[people.bob]
name = "Bob"
phone = "{BOB}"
notify = ["sms", "voice"]
"""
ROTATION = """
name = "Platform"
timezone = "UTC"

[[layer]]
name = "always-{first}"
members = ["{first}"]
start = 2000-01-03T00:00:00
every = "1w"

[[escalation]]
who = "platform"
wait = "{wait1}"
[[escalation]]
who = "{second}"
wait = "{wait2}"
"""



def rotation(wait1: str = "4s", wait2: str = "1m", first: str = "alice", second: str = "bob") -> str:
    """``ROTATION``: ``first`` always on call (step 1), then ``second`` (step 2)."""
    return ROTATION.format(wait1=wait1, wait2=wait2, first=first, second=second)

def alertmanager(status: str = "firing", key: str = '{}:{alertname="DiskFull"}') -> dict:
    return {"version": "4", "status": status, "groupKey": key, "receiver": "oncall", "truncatedAlerts": 0,
            "groupLabels": {"alertname": "DiskFull"}, "commonLabels": {}, "commonAnnotations": {},
            "externalURL": "http://alertmanager:9093",
            "alerts": [{"status": status, "fingerprint": "c0ffee", "labels": {"alertname": "DiskFull", "host": "db1"},
                        "annotations": {"summary": "disk 95% full on db1"},
                        "startsAt": "2026-12-01T10:00:00Z", "endsAt": "0001-01-01T00:00:00Z"}]}


@pytest.fixture(autouse=True)
def _every_backend(store_url):
    """This suite runs on SQLite and on PostgreSQL (``store_url`` in conftest)."""


@pytest.fixture(scope="session")
def mock():
    try:
        m, pid = start_mock()
    except Exception as e:  # noqa: BLE001
        if os.environ.get("CI", "").lower() == "true":
            pytest.fail(f"Twilio mock could not start: {e}")
        pytest.skip(f"Twilio mock could not start: {e}")
    yield m
    if pid:
        os.kill(pid, signal.SIGTERM)


def _server(tmp_path, mock, wait1="4s", wait2="1m") -> Server:
    folder = write_folder(tmp_path / "rotations", {"people.toml": PEOPLE, "platform.toml": rotation(wait1, wait2)})
    return Server(folder, tmp_path / "state", mock)


@pytest.fixture
def server(tmp_path, mock):
    s = _server(tmp_path, mock).start()
    yield s
    s.stop()


def _recorded(server) -> int:
    return sum(1 for i in server.incidents() for a in i["attempts"] if a["sid"])


def _sms(server, n: int, seconds: float = 8.0) -> int:
    """SMS the mock received once ``n`` sends are both received and recorded in the store."""
    wait_for(lambda: server.mock.sends(server.account) >= n and _recorded(server) >= n, seconds)
    return server.mock.sends(server.account)


def test_alertmanager_pages_the_on_call_person_once_per_group_key(server):
    code, body = server.post_json("/v1/alertmanager/platform", alertmanager())
    assert code == 202 and '"opened"' in body
    assert _sms(server, 1) == 1
    [inc] = server.incidents()
    assert inc["state"] == "triggered" and inc["attempts"][0]["person"] == "alice"
    assert inc["message"] == "DiskFull: disk 95% full on db1"
    # The same payload again (an Alertmanager HA peer) and a repeat notification: nobody paged.
    assert server.post_json("/v1/alertmanager/platform", alertmanager())[0] == 200
    repeat = alertmanager()
    repeat["alerts"][0]["fingerprint"] = "other"
    code, body = server.post_json("/v1/alertmanager/platform", repeat)
    assert code == 200 and '"duplicate"' in body
    time.sleep(1.0)
    assert server.mock.sends(server.account) == 1
    assert server.mock.violations() == 0


def test_resolved_stops_the_escalation_before_step_two(tmp_path, mock):
    s = _server(tmp_path, mock, wait1="3s").start()
    try:
        s.post_json("/v1/alertmanager/platform", alertmanager())
        assert _sms(s, 1) == 1
        code, body = s.post_json("/v1/alertmanager/platform", alertmanager("resolved"))
        assert code == 200 and '"resolved"' in body
        time.sleep(4.5)  # past step 1's wait: step 2 (bob) would have been paged
        assert s.mock.sends(s.account) == 1
        [inc] = s.incidents()
        assert inc["state"] == "resolved" and inc["next"] is None
    finally:
        s.stop()


def test_wrong_token_is_401_and_pages_nobody(server):
    assert server.post_json("/v1/alertmanager/platform", alertmanager(), token="wrong")[0] == 401
    assert server.post_json("/v1/alertmanager/platform", alertmanager(), token=None)[0] == 401
    time.sleep(1.0)
    assert server.mock.sends(server.account) == 0 and server.incidents() == []


def test_signed_ack_stops_escalation(tmp_path, mock):
    s = _server(tmp_path, mock, wait1="3s").start()
    try:
        s.post_json("/v1/alertmanager/platform", alertmanager())
        assert _sms(s, 1) == 1
        iid = s.incidents()[0]["id"]
        code, body = s.twilio("/v1/twilio/sms", {"From": ALICE, "To": "+15005550006", "Body": f"ack {iid}"})
        assert code == 200 and f"Incident #{iid} acknowledged by alice" in body
        time.sleep(4.5)
        assert s.mock.sends(s.account) == 1
        [inc] = s.incidents()
        assert inc["state"] == "acknowledged" and inc["acknowledged_by"] == "alice"
    finally:
        s.stop()


def test_unsigned_or_mis_signed_ack_is_403_and_changes_nothing(server):
    server.post_json("/v1/alertmanager/platform", alertmanager())
    assert _sms(server, 1) == 1
    params = {"From": ALICE, "To": "+15005550006", "Body": "ack"}
    assert server.twilio("/v1/twilio/sms", params, token=None)[0] == 403
    assert server.twilio("/v1/twilio/sms", params, token="another-account-token")[0] == 403
    assert server.twilio("/v1/twilio/sms", params, signature="bm90IGEgc2lnbmF0dXJl")[0] == 403
    assert server.incidents()[0]["state"] == "triggered"


def test_ack_from_a_phone_that_was_not_paged_is_refused(server):
    server.post_json("/v1/alertmanager/platform", alertmanager())
    assert _sms(server, 1) == 1
    iid = server.incidents()[0]["id"]
    code, body = server.twilio("/v1/twilio/sms", {"From": "+33612345678", "To": "+15005550006", "Body": f"ack {iid}"})
    assert code == 200 and "not paged to this phone" in body
    code, body = server.twilio("/v1/twilio/sms", {"From": "+33612345678", "To": "+15005550006", "Body": "ack"})
    assert "No open incident was paged to this phone" in body
    assert server.incidents()[0]["state"] == "triggered"


def test_kill_9_during_the_wait_then_restart_sends_step_two_once_on_time(tmp_path, mock):
    s = _server(tmp_path, mock, wait1="4s").start()
    try:
        s.post_json("/v1/alertmanager/platform", alertmanager())
        assert _sms(s, 1) == 1
        due = s.incidents()[0]["next"]["due"]
        s.kill9()
        time.sleep(1.0)
        s.start()
        assert _sms(s, 2, seconds=12) == 2
        step2 = s.incidents()[0]["attempts"][1]
        assert step2["person"] == "bob" and step2["channel"] == "sms"
        assert abs((step2["started"] - due).total_seconds()) < 3
        time.sleep(1.5)
        assert s.mock.sends(s.account) == 2
    finally:
        s.stop()


def test_undelivered_status_moves_to_the_next_channel_before_the_wait_ends(tmp_path, mock):
    # Step 2 is bob (sms then voice, 1m shared: 30 s each); step 1 is over after 1 s.
    s = _server(tmp_path, mock, wait1="1s", wait2="1m").start()
    try:
        s.post_json("/v1/alertmanager/platform", alertmanager())
        assert _sms(s, 2) == 2
        inc = wait_for(lambda: (i := s.incidents()[0]) and len(i["attempts"]) >= 2 and i, 5)
        aid = s.latest_attempt()
        code, _ = s.twilio(f"/v1/twilio/status?attempt={aid}", {"MessageSid": "SM" + "a" * 32,
                                                                 "MessageStatus": "undelivered", "ErrorCode": "30003"})
        assert code == 204
        assert wait_for(lambda: s.mock.sends(s.account, "Calls") == 1, 5)
        call = wait_for(lambda: next((a for a in s.incidents()[0]["attempts"] if a["channel"] == "voice"), None), 5)
        assert call["channel"] == "voice" and call["person"] == "bob" and call["sid"].startswith("CA")
        assert (call["started"] - inc["attempts"][1]["started"]).total_seconds() < 10
    finally:
        s.stop()


CAROL = "+13125550103"
VOICE_FIRST = rotation("10m", "10m", first="carol", second="alice")


@pytest.fixture
def called(tmp_path, mock):
    """A service whose step 1 calls carol (voice only, 10 min): ``(server, incident id, the
    call's attempt id)`` once Twilio has the call."""
    people = PEOPLE + f'\n[people.carol]\nname = "Carol"\nphone = "{CAROL}"\nnotify = ["voice"]\n'
    folder = write_folder(tmp_path / "rotations", {"people.toml": people, "platform.toml": VOICE_FIRST})
    s = Server(folder, tmp_path / "state", mock).start()
    try:
        s.post_json("/v1/alertmanager/platform", alertmanager())
        assert wait_for(lambda: s.mock.sends(s.account, "Calls") == 1 and _recorded(s) == 1, 8)
        yield s, s.incidents()[0]["id"], s.latest_attempt()
    finally:
        s.stop()


def test_pressing_1_on_the_call_acknowledges_and_stops_escalation(called):
    s, iid, call = called
    path = f"/v1/twilio/voice?incident={iid}&attempt={call}"
    code, body = s.twilio(path, {"CallSid": "CA" + "b" * 32, "Digits": "1", "From": "+15005550006", "To": CAROL})
    assert code == 200 and f"Incident {iid} acknowledged" in body
    assert xml.dom.minidom.parseString(body).documentElement.tagName == "Response"
    [inc] = s.incidents()
    assert inc["state"] == "acknowledged" and inc["acknowledged_by"] == "carol" and inc["next"] is None
    code, body = s.twilio(path, {"CallSid": "CA" + "b" * 32, "Digits": "1"})
    assert f"Incident {iid} is already acknowledged" in body
    assert s.mock.sends(s.account) == 0  # alice's step never comes


def test_pressing_9_on_the_call_escalates_to_the_next_step_at_once(called):
    s, iid, call = called
    code, body = s.twilio(f"/v1/twilio/voice?incident={iid}&attempt={call}", {"Digits": "9", "To": CAROL})
    assert code == 200 and f"Escalating incident {iid} now" in body
    # Step 2 (alice's SMS) was 10 minutes away; it goes out within the service's tick.
    assert _sms(s, 1, seconds=8) == 1 and wait_for(lambda: _recorded(s) == 2, 5)
    [inc] = s.incidents()
    sends = [(a["person"], a["channel"]) for a in inc["attempts"]]
    assert inc["state"] == "triggered" and sends == [("carol", "voice"), ("alice", "sms")]
    assert (inc["attempts"][1]["started"] - inc["attempts"][0]["started"]).total_seconds() < 60


def test_a_keypress_with_a_bad_signature_changes_nothing(called):
    s, iid, call = called
    path = f"/v1/twilio/voice?incident={iid}&attempt={call}"
    assert s.twilio(path, {"Digits": "1"}, token="another-account-token")[0] == 403
    assert s.twilio(path, {"Digits": "9"}, token=None)[0] == 403
    time.sleep(1)
    assert s.incidents()[0]["state"] == "triggered" and s.mock.sends(s.account) == 0
