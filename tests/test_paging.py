"""The escalation engine through the fake pager: one test per case of issue 5.

Time is a FakeClock starting at T0; ``sleep`` advances it, so waits of minutes take no
real time. People and rotations are small TOML folders written per test.
"""

from __future__ import annotations

import json
from datetime import datetime, timedelta, timezone

import pytest
from conftest import write_folder

from oncall.errors import PagingFailed
from oncall.load import load_directory
from oncall.paging import PagerError
from oncall.paging.escalation import Escalation, Policy
from oncall.paging.fake import FakeClock, FakePager, Reaction
from oncall.paging.store import open_store

T0 = datetime(2026, 3, 10, 12, 0, tzinfo=timezone.utc)
ALICE, BOB, CAROL, DAVE = "+14155550101", "+12125550102", "+12065550103", "+13125550104"

PEOPLE = f"""
[people.alice]
name = "Alice"
phone = "{ALICE}"

[people.bob]
name = "Bob"
phone = "{BOB}"

[people.carol]
name = "Carol"
phone = "{CAROL}"
notify = ["sms"]

[people.dave]
name = "Dave"
phone = "{DAVE}"
[[people.dave.away]]
start = 2026-03-01
end = 2026-04-01
"""

OPS = """
name = "Ops <&\\" team>"
timezone = "UTC"
[[layer]]
name = "weekly"
members = ["alice"]
start = 2026-01-05T09:00:00
every = "1w"
[[escalation]]
who = "ops"
wait = "5m"
[[escalation]]
who = "bob"
wait = "10m"
"""

AWAY = """
name = "Away"
timezone = "UTC"
[[layer]]
name = "weekly"
members = ["dave"]
start = 2026-01-05T09:00:00
every = "1w"
[[escalation]]
who = "away"
wait = "5m"
[[escalation]]
who = "dave"
wait = "5m"
"""


@pytest.fixture(autouse=True)
def _every_backend(store_url):
    """This suite runs on SQLite and on PostgreSQL (``store_url`` in conftest)."""


@pytest.fixture
def folder(tmp_path):
    return write_folder(tmp_path / "rot", {"people.toml": PEOPLE, "ops.toml": OPS, "away.toml": AWAY,
                                           "solo.toml": OPS.replace('who = "ops"', 'who = "carol"')})


@pytest.fixture
def clock():
    return FakeClock(T0)


@pytest.fixture
def fake(clock):
    return FakePager(clock)


def page(folder, fake, clock, rotation="ops", repeat=0, no_wait=False, policy=Policy()):
    """Run one page; returns (outcome, who, attempts, sleeps)."""
    d = load_directory(folder)
    log = open_store()
    rot = d.rotations[rotation]
    pid, _ = log.open_page(rotation, "disk full", clock.now(), clock.now() + timedelta(hours=1))
    sleeps: list[float] = []

    def sleep(s):
        sleeps.append(s)
        clock.sleep(s)

    engine = Escalation(d, fake, log, clock.now, sleep, policy, rand=lambda: 0.5)
    outcome, who = engine.run(pid, rot.steps, "disk full", label=rotation, name=rot.name, repeat=repeat,
                              no_wait=no_wait)
    assert log.page(pid)["outcome"] == outcome
    return outcome, who, log.attempts(pid), sleeps


def summary(attempts):
    return [(a["round"], a["step"], a["person"], a["channel"], a["status"], a["error_code"]) for a in attempts]


def test_acknowledged_by_sms_at_step_1(folder, fake, clock):
    fake.on(ALICE, "sms", Reaction(reply="Ack, on it", after=timedelta(seconds=40)))
    outcome, who, attempts, _ = page(folder, fake, clock)
    assert (outcome, who) == ("acknowledged", "alice")
    assert summary(attempts) == [(0, 1, "alice", "sms", "delivered", None),
                                 (0, 1, "alice", "sms-reply", "acknowledged", None)]
    assert [(ch, to) for ch, to, _ in fake.log] == [("sms", ALICE)]
    assert clock.now() - T0 < timedelta(minutes=1)
    body = fake.log[0][2]
    assert body.startswith("[ops #1] disk full") and body.endswith("Reply ACK to acknowledge")


def test_reply_that_is_not_ack_does_not_acknowledge(folder, fake, clock):
    fake.on(ALICE, "sms", Reaction(reply="what is this?"))
    fake.on(BOB, "sms", Reaction(reply="ACK"))
    outcome, who, _, _ = page(folder, fake, clock)
    assert (outcome, who) == ("acknowledged", "bob")


def test_no_answer_so_step_2_acknowledges(folder, fake, clock):
    fake.on(BOB, "sms", Reaction(reply="ack"))
    outcome, who, attempts, _ = page(folder, fake, clock)
    assert (outcome, who) == ("acknowledged", "bob")
    assert summary(attempts)[:3] == [(0, 1, "alice", "sms", "delivered", None),
                                     (0, 1, "alice", "voice", "no-answer", None),
                                     (0, 2, "bob", "sms", "delivered", None)]
    # Alice's SMS had half her step (2.5 min); her call ended with no-answer after 20 s.
    bob_started = attempts[2]["started"]
    assert T0 + timedelta(minutes=2, seconds=30) < bob_started < T0 + timedelta(minutes=5)


def test_machine_answered_call_is_not_an_acknowledgement(folder, fake, clock):
    fake.on(ALICE, "voice", Reaction(status="completed", answered_by="machine_start", after=timedelta(seconds=15)))
    outcome, who, attempts, _ = page(folder, fake, clock)
    assert outcome == "unreached" and who is None
    call = attempts[1]
    assert (call["channel"], call["status"], call["detail"]) == ("voice", "completed", "answered by machine_start")
    # It moved on at once, not after the rest of Alice's 5 minutes.
    assert attempts[2]["person"] == "bob"
    assert attempts[2]["started"] < T0 + timedelta(minutes=3)


def test_undelivered_sms_falls_through_to_voice_at_once(folder, fake, clock):
    fake.on(ALICE, "sms", Reaction(status="undelivered", error_code=30003, after=timedelta(seconds=5)))
    fake.on(ALICE, "voice", Reaction(status="in-progress", answered_by="human", after=timedelta(seconds=20)))
    outcome, who, attempts, _ = page(folder, fake, clock)
    assert (outcome, who) == ("acknowledged", "alice")
    assert summary(attempts) == [(0, 1, "alice", "sms", "undelivered", 30003),
                                 (0, 1, "alice", "voice", "acknowledged", None)]
    assert attempts[1]["started"] - T0 <= timedelta(seconds=10)


def test_delivery_error_code_moves_on_even_if_status_says_sent(folder, fake, clock):
    fake.on(ALICE, "sms", Reaction(status="sent", error_code=30007, after=timedelta(seconds=5)))
    _, _, attempts, _ = page(folder, fake, clock)
    assert summary(attempts)[0] == (0, 1, "alice", "sms", "sent", 30007)
    assert attempts[1]["channel"] == "voice" and attempts[1]["started"] - T0 <= timedelta(seconds=10)


def test_429_then_success_honours_retry_after(folder, fake, clock):
    fake.on(ALICE, "sms", Reaction(errors=(PagerError("Twilio 20429: Too Many Requests", 20429, 429, 7.0),),
                                   reply="ACK"))
    outcome, who, attempts, sleeps = page(folder, fake, clock)
    assert (outcome, who) == ("acknowledged", "alice")
    assert sleeps[0] == 7.0  # Retry-After beats the 0.75 s jittered backoff
    assert attempts[0]["sid"] and attempts[0]["detail"] == "retried after 20429"
    assert len(fake.log) == 1


def test_5xx_retries_are_bounded_and_logged_with_the_code(folder, fake, clock):
    err = PagerError("Twilio 20500: Internal Server Error", 20500, 500)
    fake.on(ALICE, "sms", Reaction(errors=(err,) * 10))
    fake.on(ALICE, "voice", Reaction(answered_by="human", status="in-progress"))
    outcome, who, attempts, sleeps = page(folder, fake, clock)
    assert (outcome, who) == ("acknowledged", "alice")
    assert summary(attempts)[0] == (0, 1, "alice", "sms", "error", 20500)
    backoff = sleeps[:4]
    assert backoff == [0.75, 1.5, 3.0, 6.0]  # 4 retries, doubling, jitter fixed at 0.5 here
    assert "after retries" in attempts[0]["detail"]


@pytest.mark.parametrize("code, status", [(21614, "not-mobile"), (21610, "unsubscribed")])
def test_21614_and_21610_skip_sms_and_call(folder, fake, clock, code, status):
    fake.on(ALICE, "sms", Reaction(errors=(PagerError("refused", code, 400),)))
    fake.on(ALICE, "voice", Reaction(status="in-progress", answered_by="human"))
    outcome, who, attempts, _ = page(folder, fake, clock)
    assert (outcome, who) == ("acknowledged", "alice")
    assert summary(attempts) == [(0, 1, "alice", "sms", status, code), (0, 1, "alice", "voice", "acknowledged", None)]


def test_21614_calls_even_a_person_who_only_takes_sms(folder, fake, clock):
    fake.on(CAROL, "sms", Reaction(errors=(PagerError("not a mobile", 21614, 400),)))
    fake.on(CAROL, "voice", Reaction(status="in-progress", answered_by="human"))
    outcome, who, attempts, _ = page(folder, fake, clock, rotation="solo")
    assert (outcome, who) == ("acknowledged", "carol")
    assert [a["channel"] for a in attempts] == ["sms", "voice"]


def test_21211_invalid_number_skips_the_person(folder, fake, clock):
    fake.on(ALICE, "sms", Reaction(errors=(PagerError("invalid To", 21211, 400),)))
    fake.on(BOB, "sms", Reaction(reply="ack"))
    outcome, who, attempts, _ = page(folder, fake, clock, repeat=1)
    assert (outcome, who) == ("acknowledged", "bob")
    assert summary(attempts)[0] == (0, 1, "alice", "sms", "invalid-number", 21211)
    assert not any(ch == "voice" and to == ALICE for ch, to, _ in fake.log)


def test_20003_stops_with_exit_5(folder, fake, clock):
    fake.on(ALICE, "sms", Reaction(errors=(PagerError("Twilio 20003: Authenticate", 20003, 401),)))
    with pytest.raises(PagingFailed) as e:
        page(folder, fake, clock)
    assert e.value.exit_code == 5 and "20003" in str(e.value)
    [p] = open_store().pages()
    assert p["outcome"] == "failed"
    assert summary(open_store().attempts(p["id"])) == [(0, 1, "alice", "sms", "failed", 20003)]
    assert fake.log == []


def test_everyone_away(folder, fake, clock):
    outcome, who, attempts, _ = page(folder, fake, clock, rotation="away")
    assert (outcome, who) == ("unreached", None)
    assert [(a["step"], a["person"], a["status"], a["detail"]) for a in attempts] == [
        (1, "dave", "skipped", "away"), (2, "dave", "skipped", "away")]
    assert fake.log == []


def test_repeat_walks_the_policy_again(folder, fake, clock):
    fake.on(ALICE, "sms", Reaction(), Reaction(reply="ACK"))
    outcome, who, attempts, _ = page(folder, fake, clock, repeat=2)
    assert (outcome, who) == ("acknowledged", "alice")
    rounds = [(a["round"], a["person"], a["channel"]) for a in attempts]
    assert rounds[-2:] == [(1, "alice", "sms"), (1, "alice", "sms-reply")]
    assert (0, "bob", "voice") in rounds


def test_without_repeat_nobody_reached_is_unreached(folder, fake, clock):
    outcome, _, attempts, _ = page(folder, fake, clock)
    assert outcome == "unreached"
    assert [(a["person"], a["channel"]) for a in attempts] == [
        ("alice", "sms"), ("alice", "voice"), ("bob", "sms"), ("bob", "voice")]
    assert clock.now() - T0 <= timedelta(minutes=15, seconds=10)  # bounded by the waits


def test_late_reply_from_step_1_acknowledges_during_step_2(folder, fake, clock):
    fake.on(ALICE, "sms", Reaction(reply="ack", after=timedelta(minutes=4)))
    outcome, who, attempts, _ = page(folder, fake, clock)
    assert (outcome, who) == ("acknowledged", "alice")
    assert "bob" in [a["person"] for a in attempts]


def test_call_still_ringing_at_the_deadline_is_hung_up(folder, fake, clock):
    fake.on(ALICE, "voice", Reaction(after=timedelta(hours=1)))
    page(folder, fake, clock)
    assert any(sid.startswith("CA") for sid in fake.hung_up)


def test_no_wait_returns_once_accepted(folder, fake, clock):
    outcome, who, attempts, _ = page(folder, fake, clock, no_wait=True)
    assert (outcome, who) == ("sent", None)
    assert summary(attempts) == [(0, 1, "alice", "sms", "queued", None)]
    assert clock.now() == T0


def test_rate_limit_logs_excess_as_rate_limited(folder, fake, clock):
    policy = Policy(limit=3)
    for _ in range(2):
        page(folder, fake, clock, no_wait=True)
    _, _, attempts, _ = page(folder, fake, clock, policy=policy)
    # alice already had 2 sends; the third goes out, the call is rate-limited
    assert summary(attempts)[:2] == [(0, 1, "alice", "sms", "delivered", None),
                                     (0, 1, "alice", "voice", "rate-limited", None)]
    assert sum(1 for _, to, _ in fake.log if to == ALICE) == 3


# --- the command, in-process, with the fake pager and a fake clock ---------------------


@pytest.fixture
def wired(monkeypatch, fake, clock, use_clock):
    import oncall.cli.page as page_cmd

    use_clock(clock)
    monkeypatch.setattr(page_cmd, "make_pager", lambda clock: fake)
    return fake


def test_page_json_result_and_exit_codes(cli, folder, wired):
    wired.on(ALICE, "sms", Reaction(reply="ack"))
    r = cli("page", "ops", "-m", "disk full", "--dir", str(folder), "--json")
    assert r.code == 0, r.err
    out = json.loads(r.out)
    assert (out["id"], out["outcome"], out["acknowledged_by"], out["rotation"]) == (1, "acknowledged", "alice", "ops")
    assert [a["status"] for a in out["attempts"]] == ["delivered", "acknowledged"]
    assert out["started"] == "2026-03-10T12:00:00+00:00"
    r = cli("page", "away", "-m", "disk full", "--dir", str(folder), "--json")
    assert r.code == 1 and json.loads(r.out)["outcome"] == "unreached"


def test_page_20003_via_the_command_is_exit_5(cli, folder, wired):
    wired.on(ALICE, "sms", Reaction(errors=(PagerError("Twilio 20003: Authenticate", 20003, 401),)))
    r = cli("page", "ops", "-m", "x", "--dir", str(folder))
    assert r.code == 5
    assert "refused the credentials" in r.err and "20003" in r.err


def test_dedup_key_reports_the_existing_page(cli, folder, wired):
    args = ("page", "ops", "-m", "x", "--dir", str(folder), "--no-wait", "--dedup-key", "db", "--json")
    first = json.loads(cli(*args).out)
    r = cli(*args)
    assert r.code == 0
    second = json.loads(r.out)
    assert (second["outcome"], second["id"], second["original_outcome"]) == ("duplicate", first["id"], "sent")
    assert len(wired.log) == 1
    r = cli("page", "ops", "-m", "x", "--dir", str(folder), "--no-wait", "--dedup-key", "other", "--json")
    assert json.loads(r.out)["outcome"] == "sent" and len(wired.log) == 2


def test_dedup_window_expires(cli, folder, wired, clock):
    args = ("page", "ops", "-m", "x", "--dir", str(folder), "--no-wait", "--dedup-key", "db",
            "--dedup-window", "10m", "--json")
    cli(*args)
    clock.sleep(11 * 60)
    assert json.loads(cli(*args).out)["outcome"] == "sent"


def test_pages_and_pages_show(cli, folder, wired):
    wired.on(ALICE, "sms", Reaction(reply="ack"))
    cli("page", "ops", "-m", "disk full", "--dir", str(folder))
    r = cli("pages", "--json")
    [row] = json.loads(r.out)
    assert (row["id"], row["outcome"], row["attempts"], row["acknowledged_by"]) == (1, "acknowledged", 2, "alice")
    assert json.loads(cli("pages", "--since", "2026-03-11T00:00Z", "--json").out) == []
    r = cli("pages", "show", "1", "--json")
    assert [a["channel"] for a in json.loads(r.out)["attempts"]] == ["sms", "sms-reply"]
    r = cli("pages", "show", "1")
    assert r.code == 0 and "acknowledged by alice" in r.out and "SM" in r.out
    assert cli("pages", "show", "9").code == 4


def test_dry_run_needs_no_credentials(cli, folder, use_clock):
    use_clock(T0)
    r = cli("page", "ops", "-m", "x", "--dir", str(folder), "--dry-run", "--json")
    assert r.code == 0, r.err
    steps = json.loads(r.out)["steps"]
    assert [(s["who"], s["person"], s["channels"], s["wait"]) for s in steps] == [
        ("ops", "alice", ["sms", "voice"], 300), ("bob", "bob", ["sms", "voice"], 600)]
    r = cli("page", "away", "-m", "x", "--dir", str(folder), "--dry-run")
    assert "away" in r.out
    assert json.loads(cli("pages", "--json").out) == []  # a dry run logs nothing


def test_missing_credentials_exit_5_naming_the_variables(cli, folder):
    r = cli("page", "ops", "-m", "x", "--dir", str(folder))
    assert r.code == 5
    for var in ("TWILIO_ACCOUNT_SID", "TWILIO_AUTH_TOKEN", "TWILIO_API_KEY", "TWILIO_FROM"):
        assert var in r.err
    assert json.loads(cli("pages", "--json").out) == []


def test_contacts_lists_validity_type_channels_and_rotations(cli, folder):
    r = cli("contacts", "--dir", str(folder), "--json")
    assert r.code == 0, r.err
    rows = {row["person"]: row for row in json.loads(r.out)}
    assert rows["alice"]["valid"] is True and rows["alice"]["rotations"] == ["ops", "solo"]
    assert rows["bob"]["rotations"] == ["ops", "solo"]
    assert rows["carol"]["channels"] == ["sms"]


def test_contacts_test_waits_for_the_reply(cli, folder, wired):
    wired.on(CAROL, "sms", Reaction(reply="ACK"))
    r = cli("contacts", "test", "carol", "--dir", str(folder), "--json")
    assert r.code == 0, r.err
    out = json.loads(r.out)
    assert (out["outcome"], out["acknowledged_by"], out["rotation"]) == ("acknowledged", "carol", None)
    r = cli("contacts", "test", "bob", "--dir", str(folder), "--wait", "1m", "--json")
    assert r.code == 1 and [a["channel"] for a in json.loads(r.out)["attempts"]] == ["sms"]
