"""Paging's edge cases, the 3 a.m. ones: acks on the boundary second, repeats when nobody
is reachable, Twilio down or odd, TwiML length, a page log that cannot be written. Each
test names the fault it pins down.

Time is a FakeClock; Twilio is the fake pager, or the real adapter with its HTTP layer
replaced in-process (no network)."""

from __future__ import annotations

import json
import sqlite3
import xml.etree.ElementTree as ET
from datetime import timedelta

import pytest
from conftest import write_folder
from test_paging import ALICE, AWAY, BOB, OPS, PEOPLE, T0, page, summary

from oncall.paging import PagerError, Reply
from oncall.paging.escalation import Policy
from oncall.paging.fake import FakeClock, FakePager, Reaction
from oncall.paging.store import open_store
from oncall.paging.text import twiml

SID = "AC" + "0" * 32
TOKEN = "tok-review-5b0c0ffee"


@pytest.fixture(autouse=True)
def _every_backend(store_url):
    """This suite runs on SQLite and on PostgreSQL (``store_url`` in conftest)."""



@pytest.fixture
def folder(tmp_path):
    return write_folder(tmp_path / "rot", {"people.toml": PEOPLE, "ops.toml": OPS, "away.toml": AWAY})


@pytest.fixture
def clock():
    return FakeClock(T0)


@pytest.fixture
def fake(clock):
    return FakePager(clock)


@pytest.fixture
def wired(monkeypatch, fake, clock, use_clock):
    import oncall.cli.page as page_cmd

    use_clock(clock)
    monkeypatch.setattr(page_cmd, "make_pager", lambda clock: fake)
    return fake


def test_an_ack_sent_before_the_page_in_the_same_second_does_not_count(folder, fake, clock):
    # Twilio stamps messages to the second: an "ACK" stamped 12:00:00 was sent before a
    # page that started at 12:00:00.6 (a late reply to an earlier page), not in answer to it.
    clock.t = T0 + timedelta(milliseconds=600)
    fake.inbound.append(Reply(ALICE, "ACK", T0))
    fake.on(BOB, "sms", Reaction(reply="ack"))
    outcome, who, attempts, _ = page(folder, fake, clock)
    assert (outcome, who) == ("acknowledged", "bob")
    assert ("alice", "sms-reply") not in [(a["person"], a["channel"]) for a in attempts]


def test_an_ack_stamped_the_second_the_page_started_counts(folder, fake, clock):
    # A stamp equal to a whole-second start can only be a reply sent after it.
    fake.inbound.append(Reply(ALICE, "ack", T0 + timedelta(seconds=30)))
    outcome, who, _, _ = page(folder, fake, clock)
    assert (outcome, who) == ("acknowledged", "alice")


def test_a_reply_from_a_phone_nobody_paged_does_not_count(folder, fake, clock):
    fake.inbound.append(Reply("+19995550100", "ACK", T0 + timedelta(seconds=10)))
    outcome, who, _, _ = page(folder, fake, clock)
    assert (outcome, who) == ("unreached", None)


def test_repeat_with_everyone_away_stops_after_one_round(folder, fake, clock):
    # A round that could try nobody took no time; repeating it would only log the same skips.
    outcome, _, attempts, _ = page(folder, fake, clock, rotation="away", repeat=100_000)
    assert outcome == "unreached"
    assert [(a["round"], a["status"]) for a in attempts] == [(0, "skipped"), (0, "skipped")]


def test_repeat_keeps_going_while_sends_are_attempted(folder, fake, clock):
    _, _, attempts, _ = page(folder, fake, clock, repeat=2)
    assert {a["round"] for a in attempts} == {0, 1, 2}


def test_twilio_down_for_every_send_is_a_failed_page(folder, fake, clock):
    down = PagerError("Twilio unreachable: ConnectionError")
    for phone in (ALICE, BOB):
        for ch in ("sms", "voice"):
            fake.on(phone, ch, Reaction(errors=(down,) * 50))
    from oncall.errors import PagingFailed

    with pytest.raises(PagingFailed, match="nobody could be paged") as e:
        page(folder, fake, clock)
    assert e.value.exit_code == 5
    [p] = open_store().pages()
    assert p["outcome"] == "failed"
    assert {a["status"] for a in open_store().attempts(p["id"])} == {"error"}


def test_one_accepted_send_makes_it_unreached_not_failed(folder, fake, clock):
    fake.on(ALICE, "sms", Reaction(errors=(PagerError("Twilio unreachable: ConnectionError"),) * 50))
    outcome, _, attempts, _ = page(folder, fake, clock)
    assert outcome == "unreached"
    assert summary(attempts)[0][4] == "error" and any(a["sid"] for a in attempts)


def test_a_failed_page_does_not_swallow_the_next_one_with_its_dedup_key(cli, folder, wired):
    # 20003 (bad token): nothing was sent. Once the token is fixed and the alert fires
    # again, the page must go out, not be reported as a duplicate of the failure.
    wired.on(ALICE, "sms", Reaction(errors=(PagerError("Twilio 20003: Authenticate", 20003, 401),)))
    args = ("page", "ops", "-m", "db down", "--dir", str(folder), "--dedup-key", "db", "--no-wait", "--json")
    assert cli(*args).code == 5
    r = cli(*args)
    assert r.code == 0, r.err
    out = json.loads(r.out)
    assert (out["outcome"], out["id"]) == ("sent", 2)
    assert [(ch, to) for ch, to, _ in wired.log] == [("sms", ALICE)]


def test_twiml_of_a_long_message_stays_within_twilios_4000_characters():
    message = 'stack trace: <Error code="5"> & more\n' * 300
    doc = twiml('Ops <&" team>', 42, message)
    assert len(doc) <= 4000
    root = ET.fromstring(doc)  # still well-formed: no entity cut in half
    said = [e.text for e in root.iter("Say")]
    assert said[0].startswith('Page 42 from on-call rotation Ops <&" team>. stack trace: <Error code="5"> & more')
    assert said[0].endswith("...") and said[1] == "Again. " + said[0]


def test_twiml_of_a_short_message_is_unchanged():
    assert twiml("Ops", 1, "disk full") == ('<Response><Say>Page 1 from on-call rotation Ops. disk full</Say>'
                                            '<Pause length="1"/><Say>Again. Page 1 from on-call rotation Ops. '
                                            'disk full</Say><Say>Goodbye.</Say></Response>')


# ---------------------------------------------------------------- the Twilio adapter


def _pager(monkeypatch, answer=None, service=False):
    """A TwilioPager whose HTTP layer answers in-process; returns (pager, requests seen)."""
    from twilio.http.http_client import TwilioHttpClient

    from oncall.paging.twilio import Credentials, TwilioPager

    seen: list[dict] = []

    def send(prepared, **kw):
        seen.append({"url": prepared.url, **kw})
        status, body = answer or (201, json.dumps({"sid": "SM" + "1" * 32, "status": "queued"}))

        class R:
            status_code, text, headers = status, body, {}
        return R()

    monkeypatch.setattr(TwilioHttpClient, "log_response", lambda *a: None)
    creds = Credentials(SID, SID, TOKEN, None if service else "+15005550006", "MG" + "1" * 32 if service else None)
    pager = TwilioPager(creds)
    monkeypatch.setattr(pager.http.session, "send", send)
    return pager, seen


def test_every_twilio_request_has_a_timeout(monkeypatch):
    from oncall.paging.twilio import REQUEST_TIMEOUT

    pager, seen = _pager(monkeypatch)
    pager.send_sms(ALICE, "x")
    assert seen and all(s["timeout"] == REQUEST_TIMEOUT for s in seen)


def test_a_non_json_answer_is_a_pager_error_not_a_traceback(monkeypatch):
    pager, _ = _pager(monkeypatch, answer=(200, "<html>captive portal</html>"))
    with pytest.raises(PagerError) as e:
        pager.send_sms(ALICE, "x")
    assert TOKEN not in str(e.value) and "twilio.com" not in str(e.value)


def test_a_call_without_twilio_from_is_refused_at_once_not_retried(monkeypatch, folder, fake, clock):
    pager, seen = _pager(monkeypatch, service=True)
    with pytest.raises(PagerError) as e:
        pager.call(ALICE, "<Response/>")
    assert not e.value.transient and seen == []
    # Through the engine: one attempt, no backoff sleeps.
    fake.on(ALICE, "voice", Reaction(errors=(e.value,) * 10))
    fake.on(ALICE, "sms", Reaction(status="undelivered", after=timedelta(seconds=1)))
    _, _, attempts, sleeps = page(folder, fake, clock, policy=Policy())
    call = [a for a in attempts if a["channel"] == "voice" and a["person"] == "alice"]
    assert [a["status"] for a in call] == ["error"] and "after retries" not in call[0]["detail"]


# ---------------------------------------------------------------- the page log


@pytest.mark.sqlite_only
def test_a_state_dir_that_cannot_be_created_is_a_clear_exit_5(cli, folder, wired, tmp_path, monkeypatch):
    blocker = tmp_path / "a-file"
    blocker.write_text("")
    monkeypatch.setenv("ONCALL_STATE_DIR", str(blocker / "state"))
    r = cli("page", "ops", "-m", "db down", "--dir", str(folder), "--no-wait")
    assert r.code == 5
    assert "page log" in r.err and "ONCALL_STATE_DIR" in r.err and "Traceback" not in r.err
    assert wired.log == []  # nothing sent without a log: dedup and rate limits depend on it
    # Listing reads only: where no log could ever be written, no page was logged.
    r = cli("pages", "--json")
    assert r.code == 0 and r.out.strip() == "[]"
    assert not (blocker / "state").exists()


@pytest.mark.sqlite_only
def test_listing_pages_creates_nothing(cli, tmp_path, monkeypatch):
    state = tmp_path / "fresh-state"
    monkeypatch.setenv("ONCALL_STATE_DIR", str(state))
    r = cli("pages")
    assert r.code == 0 and "no page" in r.out.lower()
    assert cli("pages", "show", "1").code == 4
    assert not state.exists()


@pytest.mark.sqlite_only
def test_a_read_only_page_log_is_a_clear_exit_5(cli, folder, wired, tmp_path, monkeypatch):
    import os

    open_store().close()  # the file exists
    real = sqlite3.connect
    path = os.environ["ONCALL_STATE_DIR"] + "/pages.sqlite3"
    monkeypatch.setattr(sqlite3, "connect",
                        lambda p, *a, **k: real(f"file:{p}?mode=ro", *a, uri=True, **{**k}))
    r = cli("page", "ops", "-m", "db down", "--dir", str(folder), "--no-wait")
    assert r.code == 5 and path in r.err and "Traceback" not in r.err
    assert wired.log == []


def test_a_step_whose_rotation_has_nobody_on_call_is_skipped_at_once(tmp_path, fake, clock):
    later = OPS.replace("start = 2026-01-05T09:00:00", "start = 2027-01-04T09:00:00")
    folder = write_folder(tmp_path / "r", {"people.toml": PEOPLE, "ops.toml": later})
    fake.on(BOB, "sms", Reaction(reply="ack"))
    outcome, who, attempts, _ = page(folder, fake, clock)
    assert (outcome, who) == ("acknowledged", "bob")
    assert (attempts[0]["step"], attempts[0]["person"], attempts[0]["status"], attempts[0]["detail"]) == (
        1, None, "skipped", "nobody-on-call")
    assert attempts[1]["started"] == T0  # no wait spent on the empty step


def test_a_voice_only_person_is_called_not_texted(tmp_path, fake, clock):
    people = PEOPLE.replace('name = "Alice"\n', 'name = "Alice"\nnotify = ["voice"]\n')
    folder = write_folder(tmp_path / "r", {"people.toml": people, "ops.toml": OPS})
    fake.on(ALICE, "voice", Reaction(status="in-progress", answered_by="human"))
    outcome, who, attempts, _ = page(folder, fake, clock)
    assert (outcome, who) == ("acknowledged", "alice")
    assert [ch for ch, to, _ in fake.log if to == ALICE] == ["voice"]
