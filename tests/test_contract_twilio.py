"""Contract tests: the real ``oncall page`` and ``contacts --lookup`` against the Twilio
mock (../shared/twilio-mock: Prism serving Twilio's OpenAPI spec), through
``ONCALL_TWILIO_BASE_URL``. Every request must be accepted (Prism answers 422 to a
request that breaks the spec); forced 429/500/21211/21614/20003 answers must be handled
as issue 5 says.

The mock: ``ONCALL_TEST_TWILIO_MOCK`` (set by .ci/run), else started here on a free port.
If it cannot start, these tests skip with the reason, except under CI=true, where they fail.
"""

from __future__ import annotations

import json
import os
import signal
import socket
import subprocess
import sys
from urllib.parse import urlsplit

import pytest
from conftest import ROOT, write_folder
from test_paging import OPS, PEOPLE, T0

from oncall.paging.fake import FakeClock

pytestmark = pytest.mark.contract

MOCK_START = ROOT.parent / "shared" / "twilio-mock" / "start"
SID = "AC" + "0" * 32
TOKEN = "mocktoken-5d1c0ffee0ddba11"
ALICE, BOB = "+14155550101", "+12125550102"


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


@pytest.fixture(scope="session")
def twilio_mock():
    url = os.environ.get("ONCALL_TEST_TWILIO_MOCK")
    if url:
        yield url.rstrip("/")
        return
    ci = os.environ.get("CI", "").lower() == "true"
    port = _free_port()
    try:
        pid = int(subprocess.run([str(MOCK_START), str(port)], capture_output=True, text=True, timeout=180,
                                 check=True).stdout.strip())
    except (OSError, ValueError, subprocess.SubprocessError) as e:
        reason = f"Twilio mock could not start ({MOCK_START}): {getattr(e, 'stderr', '') or e}"
        if ci:
            pytest.fail(reason)
        pytest.skip(reason)
    try:
        yield f"http://127.0.0.1:{port}"
    finally:
        os.kill(pid, signal.SIGTERM)


@pytest.fixture
def wire(twilio_mock, monkeypatch, use_clock):
    """Point the command at the mock with fake credentials and a fake clock; returns the
    list of (method, path, status, request violations) the SDK exchanged, and ``force``,
    a dict {(method, path suffix): [Prefer values, one per matching request]}."""
    from twilio.http.http_client import TwilioHttpClient

    use_clock(FakeClock(T0))
    for k, v in {"TWILIO_ACCOUNT_SID": SID, "TWILIO_AUTH_TOKEN": TOKEN, "TWILIO_FROM": "+15005550006",
                 "ONCALL_TWILIO_BASE_URL": twilio_mock}.items():
        monkeypatch.setenv(k, v)
    seen: list[tuple[str, str, int, list[str]]] = []
    force: dict[tuple[str, str], list[str]] = {}
    original = TwilioHttpClient.request

    def request(self, method, url, params=None, data=None, headers=None, **kw):
        path = urlsplit(url).path
        headers = dict(headers or {})
        for (m, suffix), prefs in force.items():
            if m == method.upper() and path.endswith(suffix) and prefs:
                headers["Prefer"] = prefs.pop(0)
        response = original(self, method, url, params=params, data=data, headers=headers, **kw)
        raw = (response.headers or {}).get("sl-violations") or "[]"
        violations = [v["message"] for v in json.loads(raw) if v.get("location", [""])[0] == "request"]
        seen.append((method.upper(), path, response.status_code, violations))
        return response

    monkeypatch.setattr(TwilioHttpClient, "request", request)
    return seen, force


@pytest.fixture
def folder(tmp_path):
    return write_folder(tmp_path / "rot", {"people.toml": PEOPLE, "ops.toml": OPS})


def accepted(seen) -> None:
    assert seen, "no request reached the mock"
    bad = [(m, p, s, v) for m, p, s, v in seen if s == 422 or v]
    assert not bad, bad


def test_full_page_every_request_is_accepted(cli, folder, wire):
    seen, _ = wire
    r = cli("page", "ops", "-m", 'disk <full> & "db" down 🔥', "--dir", str(folder), "--json")
    out = json.loads(r.out)
    accepted(seen)
    kinds = {(m, p.rsplit("/", 1)[-1][:2]) for m, p, _, _ in seen}
    # send SMS, fetch it, list replies, place a call, fetch it: all shapes Twilio documents
    assert {("POST", "Me"), ("GET", "SM"), ("GET", "Me"), ("POST", "Ca"), ("GET", "CA")} <= kinds
    # The mock's fixed answers: the SMS reports error 30007 (filtered), the call was
    # answered by a machine: neither acknowledges, so both people are tried and exit is 1.
    assert r.code == 1 and out["outcome"] == "unreached"
    assert [(a["person"], a["channel"], a["status"], a["error_code"]) for a in out["attempts"]] == [
        ("alice", "sms", "sent", 30007), ("alice", "voice", "completed", None),
        ("bob", "sms", "sent", 30007), ("bob", "voice", "completed", None)]
    assert out["attempts"][0]["sid"].startswith("SM") and out["attempts"][1]["sid"].startswith("CA")
    assert out["attempts"][1]["detail"] == "answered by machine_start"


@pytest.mark.parametrize("code, twilio_code", [(429, 20429), (500, 20500)])
def test_forced_429_and_500_are_retried(cli, folder, wire, code, twilio_code):
    seen, force = wire
    force[("POST", "/Messages.json")] = [f"code={code}"]
    r = cli("page", "ops", "-m", "x", "--dir", str(folder), "--no-wait", "--json")
    assert r.code == 0, r.err
    [attempt] = json.loads(r.out)["attempts"]
    assert attempt["sid"].startswith("SM") and attempt["detail"] == f"retried after {twilio_code}"
    posts = [s for m, p, s, _ in seen if m == "POST"]
    assert posts == [code, 201]
    accepted([x for x in seen if x[2] != code])


def test_forced_21211_skips_the_person(cli, folder, wire):
    seen, force = wire
    force[("POST", "/Messages.json")] = ["code=400, example=invalid_to"]
    r = cli("page", "ops", "-m", "x", "--dir", str(folder), "--no-wait", "--json")
    assert r.code == 0, r.err
    attempts = json.loads(r.out)["attempts"]
    assert [(a["person"], a["channel"], a["status"], a["error_code"]) for a in attempts] == [
        ("alice", "sms", "invalid-number", 21211), ("bob", "sms", "queued", None)]
    assert not any(m == "POST" and p.endswith("/Calls.json") for m, p, _, _ in seen)


def test_forced_21614_calls_instead(cli, folder, wire):
    seen, force = wire
    force[("POST", "/Messages.json")] = ["code=400, example=not_mobile"]
    r = cli("page", "ops", "-m", "x", "--dir", str(folder), "--no-wait", "--json")
    assert r.code == 0, r.err
    attempts = json.loads(r.out)["attempts"]
    assert [(a["channel"], a["status"], a["error_code"]) for a in attempts] == [
        ("sms", "not-mobile", 21614), ("voice", "completed", None)]
    accepted([x for x in seen if x[2] != 400])


def test_forced_20003_is_exit_5_without_the_token(cli, folder, wire):
    _, force = wire
    force[("POST", "/Messages.json")] = ["code=401"]
    r = cli("page", "ops", "-m", "x", "--dir", str(folder))
    assert r.code == 5 and "20003" in r.err
    assert TOKEN not in r.out + r.err
    shown = cli("pages", "show", "1", "--json")
    assert json.loads(shown.out)["outcome"] == "failed" and TOKEN not in shown.out


def test_messaging_service_sender_is_accepted(cli, folder, wire, monkeypatch):
    seen, _ = wire
    monkeypatch.setenv("TWILIO_MESSAGING_SERVICE_SID", "MG" + "1" * 32)
    r = cli("page", "ops", "-m", "x", "--dir", str(folder), "--no-wait", "--json")
    assert r.code == 0 and json.loads(r.out)["outcome"] == "sent"
    accepted(seen)


def test_contacts_lookup_is_accepted(cli, folder, wire):
    seen, _ = wire
    r = cli("contacts", "--lookup", "--dir", str(folder), "--json")
    assert r.code == 0, r.err
    rows = json.loads(r.out)
    assert all("line_type" in row for row in rows)
    assert any(p.startswith("/v2/PhoneNumbers/") for _, p, _, _ in seen)
    accepted(seen)


def test_real_process_pages_the_mock(folder, twilio_mock, tmp_path):
    env = os.environ | {"TWILIO_ACCOUNT_SID": SID, "TWILIO_AUTH_TOKEN": TOKEN, "TWILIO_FROM": "+15005550006",
                        "ONCALL_TWILIO_BASE_URL": twilio_mock, "PYTHONPATH": str(ROOT)}
    p = subprocess.run([sys.executable, "-m", "oncall", "page", "ops", "-m", "x", "--dir", str(folder), "--no-wait",
                        "--json"], env=env, capture_output=True, text=True, timeout=60)
    assert p.returncode == 0, p.stderr
    out = json.loads(p.stdout)
    assert out["outcome"] == "sent" and out["attempts"][0]["sid"].startswith("SM")
    assert TOKEN not in p.stdout and TOKEN not in p.stderr
    # stderr carries the page's progress (issue 14 item 7), and nothing else
    assert p.stderr.splitlines() == ["oncall: page #1: step 1: alice sms: queued"], p.stderr
