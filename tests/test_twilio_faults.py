"""A misbehaving Twilio (issue 15, items 3, 4 and 5): the real ``oncall page`` and the
real ``TwilioPager`` against ``faultserver.FaultServer`` (127.0.0.1, a free port, every
fault bounded), through ``ONCALL_TWILIO_BASE_URL``.

The engine's clock is a ``DriftClock``: real seconds pass (a hanging request costs its
time, and the page log sees it), but the engine's sleeps between polls cost nothing.
"""

from __future__ import annotations

import json
from datetime import datetime, timezone

import pytest
from conftest import write_folder
from faultserver import HANG, Answer, Dribble, DriftClock, FaultServer
from test_paging import ALICE, OPS, PEOPLE

from oncall.paging import PagerError
from oncall.paging.escalation import Policy
from oncall.paging.twilio import Credentials, TwilioPager

T0 = datetime(2026, 3, 10, 12, 0, tzinfo=timezone.utc)
SID = "AC" + "0" * 32
GRACE = Policy().grace


def rotation(wait: str) -> str:
    """test_paging's ``ops``: alice on call, then bob; both steps wait ``wait``."""
    return OPS.replace('"5m"', f'"{wait}"').replace('"10m"', f'"{wait}"')


@pytest.fixture
def twilio(monkeypatch, tmp_path, use_clock):
    """``twilio(script, wait)``: a started fault server, the command pointed at it, and a
    folder whose two steps (alice, then bob) each wait ``wait``. Returns (server, run)
    where ``run()`` pages and returns (exit code, the page's JSON, page seconds)."""
    from oncall.cli import main

    servers: list[FaultServer] = []

    def make(script: dict, wait: str = "1m"):
        server = FaultServer(script).__enter__()
        servers.append(server)
        folder = write_folder(tmp_path / f"rot{len(servers)}", {"people.toml": PEOPLE, "ops.toml": rotation(wait)})
        for k, v in {"TWILIO_ACCOUNT_SID": SID, "TWILIO_AUTH_TOKEN": "faulty-token", "TWILIO_FROM": "+15005550006",
                     "ONCALL_TWILIO_BASE_URL": server.url}.items():
            monkeypatch.setenv(k, v)

        def run(capsys_out):
            use_clock(DriftClock(T0))
            try:
                main(["page", "ops", "-m", "db down", "--dir", str(folder), "--json"])
                code = 0
            except SystemExit as e:
                code = e.code
            out = json.loads(capsys_out())
            took = (datetime.fromisoformat(out["finished"]) - datetime.fromisoformat(out["started"])).total_seconds()
            return code, out, took

        return server, run

    yield make
    for s in servers:
        s.__exit__(None, None, None)


def out_of(capsys):
    return lambda: capsys.readouterr().out


def attempts(out: dict, channel: str | None = None) -> list[tuple]:
    return [(a["person"], a["channel"], a["status"]) for a in out["attempts"]
            if channel is None or a["channel"] == channel]


UNDOCUMENTED = {
    "empty object": "{}",
    "array": "[]",
    "null": "null",
    "bare string": '"queued"',
    "deep JSON": "[" * 100_000 + "]" * 100_000,
    "not JSON": "<html>Welcome to the hotel wifi</html>",
    "sid not a string": json.dumps({"sid": ["SM"], "status": "queued"}),
    "sid not Twilio's": json.dumps({"sid": "SM../../Accounts", "status": "queued"}),
}


@pytest.mark.parametrize("body", UNDOCUMENTED.values(), ids=UNDOCUMENTED.keys())
def test_an_undocumented_success_body_is_a_failed_attempt_and_escalation_goes_on(twilio, capsys, body):
    """Item 3: no traceback, no page left ``open``, no ``sending`` attempt; both people tried."""
    server, run = twilio({"sms": [Answer(201, body)], "call": [Answer(201, body)]})
    code, out, _ = run(out_of(capsys))
    assert out["outcome"] == "unreached" and code == 1
    assert attempts(out) == [("alice", "sms", "unknown"), ("alice", "voice", "unknown"),
                             ("bob", "sms", "unknown"), ("bob", "voice", "unknown")]
    assert all("HTTP 201" in a["detail"] and "not sent again" in a["detail"] for a in out["attempts"])


@pytest.mark.parametrize("body", ["[]", "null", '"sent"', json.dumps({"status": ["sent"], "error_code": "x"}),
                                  "[" * 100_000 + "]" * 100_000])
def test_an_undocumented_status_or_reply_list_is_no_verdict_and_no_traceback(twilio, capsys, body):
    server, run = twilio({"sms-status": [Answer(200, body)], "call-status": [Answer(200, body)],
                          "replies": [Answer(200, body)]})
    code, out, _ = run(out_of(capsys))
    assert code == 1 and out["outcome"] == "unreached"
    assert [(p, c) for p, c, _ in attempts(out)] == [("alice", "sms"), ("alice", "voice"), ("bob", "sms"),
                                                     ("bob", "voice")]
    assert "sending" not in {s for _, _, s in attempts(out)}
    assert server.count("sms-status") > 2 and server.count("replies") > 2  # it kept polling


def test_a_201_that_is_not_json_is_not_resent(twilio, capsys):
    """Item 5: Twilio created the message but the body is not JSON: one text per person, not five."""
    server, run = twilio({"sms": [Answer(201, "<html>ok</html>")]})
    code, out, _ = run(out_of(capsys))
    assert server.count("sms") == 2  # alice once, bob once
    assert attempts(out, "sms") == [("alice", "sms", "unknown"), ("bob", "sms", "unknown")]
    assert "may have been sent" in out["attempts"][0]["detail"]
    assert attempts(out, "voice") == [("alice", "voice", "ringing"), ("bob", "voice", "ringing")]  # calls go on


def test_a_send_that_times_out_is_recorded_unknown_and_not_resent(twilio, capsys):
    """Item 5: a POST read timeout (Twilio may have sent): no retry, the next channel follows."""
    server, run = twilio({"sms": [HANG]}, wait="2s")
    code, out, took = run(out_of(capsys))
    assert server.count("sms") == 2
    sms = [a for a in out["attempts"] if a["channel"] == "sms"]
    assert [a["status"] for a in sms] == ["unknown", "unknown"]
    assert "no complete answer within 2 s" in sms[0]["detail"]
    assert [s for _, _, s in attempts(out, "voice")] == ["ringing", "ringing"]  # the calls went out
    assert took <= 4 + 2 * GRACE + 1


def test_a_socket_timeout_that_wins_the_race_with_the_deadline_reads_the_same(twilio, capsys, monkeypatch):
    """The socket's own read timeout equals the request's deadline, so under load it can fire
    first: that is the same fact (no complete answer in time), recorded in the same words."""
    import oncall.paging.twilio as tw

    monkeypatch.setattr(tw, "_within", lambda deadline, fn: fn())  # only the socket timeout is left
    server, run = twilio({"sms": [HANG]}, wait="2s")
    code, out, took = run(out_of(capsys))
    sms = [a for a in out["attempts"] if a["channel"] == "sms"]
    assert [a["status"] for a in sms] == ["unknown", "unknown"]
    assert all("no complete answer within 2 s" in a["detail"] for a in sms), sms


def test_a_late_ack_after_an_unknown_send_still_counts(twilio, capsys):
    """An unknown SMS may have arrived: alice's reply ACK acknowledges the page."""
    reply = json.dumps({"messages": [{"sid": "SM" + "e" * 32, "from": ALICE, "to": "+15005550006", "body": "ack",
                                      "direction": "inbound", "date_sent": "Tue, 10 Mar 2026 12:00:30 +0000"}],
                        "meta": {"key": "messages", "next_page_url": None}})
    server, run = twilio({"sms": [Answer(201, "not json")], "replies": [Answer(200, reply)]})
    code, out, _ = run(out_of(capsys))
    assert code == 0 and out["outcome"] == "acknowledged" and out["acknowledged_by"] == "alice"
    assert server.count("sms") == 1


def test_429_with_retry_after_never_outlives_the_step(twilio, capsys):
    """Item 4: waits totalling 10 s, Twilio answering 429 Retry-After 3 (was: 57 s)."""
    busy = Answer(429, json.dumps({"code": 20429, "message": "Too Many Requests", "status": 429}),
                  {"Retry-After": "3"})
    server, run = twilio({"sms": [busy], "call": [busy]}, wait="5s")
    code, out, took = run(out_of(capsys))
    assert took <= 10 + GRACE
    assert code == 5 and out["outcome"] == "failed"
    assert all(a["status"] == "error" and a["error_code"] == 20429 for a in out["attempts"])
    # The SMS has 2.5 s: a retry 3 s later would outlive it, so none is made; the call then
    # has what is left of the step, 5 s: one retry at 3 s, none at 6 s.
    assert server.count("sms") == 2 and server.count("call") == 4
    assert "no time left in this step for a retry" in out["attempts"][0]["detail"]


def test_500_is_retried_only_within_the_channels_time(twilio, capsys):
    down = Answer(500, json.dumps({"code": 20500, "message": "Internal Server Error", "status": 500}))
    server, run = twilio({"sms": [down], "call": [down]}, wait="5s")
    code, out, took = run(out_of(capsys))
    assert code == 5 and took <= 10 + GRACE
    assert 2 < server.count("sms") < 2 * 5  # some retries, never the full five per send


def test_a_hanging_twilio_keeps_each_step_within_its_wait(twilio, capsys):
    """Item 4: a server that reads the request and never answers (was: 257 s for 10 s of waits)."""
    server, run = twilio({"sms": [HANG], "call": [HANG]}, wait="2s")
    code, out, took = run(out_of(capsys))
    assert took <= 4 + 2 * GRACE + 1  # the waits, plus at most the grace per step
    assert attempts(out) == [("alice", "sms", "unknown"), ("alice", "voice", "unknown"),
                             ("bob", "sms", "unknown"), ("bob", "voice", "unknown")]
    assert server.count("sms") == 2 and server.count("call") == 2


def test_a_dribbling_twilio_is_cut_by_a_total_deadline_not_a_per_read_timeout(twilio, capsys):
    """Item 4: one byte every 0.5 s never trips a per-read timeout (was: step 1 after 500 s)."""
    slow = Dribble(Answer(201, json.dumps({"sid": "SM" + "f" * 32, "status": "queued"})), every=0.5)
    server, run = twilio({"sms": [slow], "call": [slow]}, wait="2s")
    code, out, took = run(out_of(capsys))
    assert took <= 4 + 2 * GRACE + 1
    assert [s for _, _, s in attempts(out)] == ["unknown"] * 4


# ---------------------------------------------------------------- the adapter alone


@pytest.fixture
def pager():
    servers = []

    def make(script: dict) -> TwilioPager:
        server = FaultServer(script).__enter__()
        servers.append(server)
        return TwilioPager(Credentials(SID, SID, "faulty-token", "+15005550006"), server.url)

    yield make
    for s in servers:
        s.__exit__(None, None, None)


@pytest.mark.parametrize("body", UNDOCUMENTED.values(), ids=UNDOCUMENTED.keys())
def test_the_adapter_turns_an_undocumented_201_into_an_unknown_pager_error(pager, body):
    p = pager({"sms": [Answer(201, body)]})
    with pytest.raises(PagerError) as e:
        p.send_sms(ALICE, "x")
    assert e.value.unknown and not e.value.transient and "HTTP 201" in str(e.value)


def test_the_adapter_caps_and_cleans_twilio_error_text(pager):
    p = pager({"sms": [Answer(400, json.dumps({"code": "21211", "message": "\x1b[2J" + "x" * 5000}))]})
    with pytest.raises(PagerError) as e:
        p.send_sms(ALICE, "x")
    assert "\x1b" not in str(e.value) and len(str(e.value)) < 300 and e.value.code is None


def test_a_refused_connection_is_retried_but_a_lost_answer_is_not(pager):
    p = TwilioPager(Credentials(SID, SID, "t", "+15005550006"), "http://127.0.0.1:9")  # discard port: refused
    with pytest.raises(PagerError) as refused:
        p.send_sms(ALICE, "x", timeout=2)
    assert refused.value.transient and not refused.value.unknown
    with pytest.raises(PagerError) as lost:
        pager({"sms": [HANG]}).send_sms(ALICE, "x", timeout=0.5)
    assert lost.value.unknown and not lost.value.transient
