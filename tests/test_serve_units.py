"""`oncall serve` pieces without a server: payload parsing, SMS commands, TwiML, the
store's claim/lease rules, the stepper with a fake pager and clock."""

from __future__ import annotations

import xml.dom.minidom
from datetime import datetime, timedelta, timezone

import pytest
from conftest import write_folder

from oncall.load import load_directory
from oncall.paging import PagerError
from oncall.paging.store import open_store
from oncall.paging.text import MAX_TWIML, twiml
from oncall.serve import intake
from oncall.serve.engine import Stepper
from oncall.serve.runner import is_loopback, parse_listen
from oncall.serve.twilio_hooks import Command, failed_delivery, parse_sms

T0 = datetime(2026, 12, 1, 12, 0, tzinfo=timezone.utc)


def test_alertmanager_message_names_the_alert_summary_and_count():
    alerts = [{"status": "firing", "labels": {"alertname": "DiskFull"}, "annotations": {"summary": "db1 \x1b[31mfull"}},
              {"status": "firing", "labels": {"alertname": "DiskFull"}, "annotations": {}}]
    a = intake.alertmanager({"status": "firing", "groupKey": "k", "alerts": alerts})
    assert a == intake.Alert("k", True, "DiskFull: db1 full (+1 more)")


@pytest.mark.parametrize("payload, problem", [
    ([], "JSON object"), ({"alerts": []}, "groupKey"), ({"groupKey": "k", "alerts": {}}, "list"),
    ({"groupKey": "k", "alerts": [], "status": "weird"}, "not firing or resolved"),
])
def test_bad_alertmanager_payloads_are_named(payload, problem):
    with pytest.raises(intake.BadAlert, match=problem):
        intake.alertmanager(payload)


def test_grafana_title_and_message_are_used_when_labels_say_nothing():
    a = intake.alertmanager({"status": "resolved", "groupKey": "g", "title": "[FIRING:1] CPU", "message": "hot",
                             "alerts": [{"status": "resolved"}]}, "grafana")
    assert a == intake.Alert("g", False, "[FIRING:1] CPU: hot")


def test_generic_alert_key_defaults_to_summary():
    assert intake.generic({"summary": "backup failed"}) == intake.Alert("backup failed", True, "backup failed")
    assert intake.generic({"summary": "x", "dedup_key": "k", "status": "resolve"}).firing is False


@pytest.mark.parametrize("body, command", [
    ("ack", Command("ack")), ("A", Command("ack")), ("ack 42", Command("ack", 42)), ("Ack #42", Command("ack", 42)),
    ("r 7", Command("resolve", 7)), ("RESOLVE", Command("resolve")), ("STOP", Command("stop")),
    ("start", Command("start")), ("acknowledged it thanks", Command("unknown")), ("ok", Command("unknown")),
])
def test_inbound_sms_commands(body, command):
    assert parse_sms(body) == command


def test_failed_deliveries_and_machines_are_not_reached():
    assert failed_delivery("undelivered", None) and failed_delivery("no-answer", None)
    assert failed_delivery("completed", "machine_end_beep") and not failed_delivery("completed", "human")
    assert not failed_delivery("delivered", None)


def test_voice_twiml_gathers_one_digit_is_well_formed_and_fits():
    doc = twiml("Platform & Co", 42, "\x1b[1mdisk <full>\x00" + "é&" * 5000, gather="https://x/v1/twilio/voice?a=1&b=2")
    assert len(doc) <= MAX_TWIML
    gather = xml.dom.minidom.parseString(doc).getElementsByTagName("Gather")[0]
    assert gather.getAttribute("numDigits") == "1" and gather.getAttribute("action").endswith("a=1&b=2")


def test_listen_parsing_and_loopback():
    assert parse_listen("127.0.0.1:8080") == ("127.0.0.1", 8080) and parse_listen("[::1]:9") == ("::1", 9)
    assert is_loopback("127.0.0.1") and is_loopback("::1") and is_loopback("localhost")
    assert not is_loopback("0.0.0.0") and not is_loopback("10.0.0.1")


def test_non_loopback_listen_without_token_is_refused(cli, monkeypatch):
    monkeypatch.delenv("ONCALL_INTAKE_TOKEN", raising=False)
    r = cli("serve", "--listen", "0.0.0.0:8080")
    assert r.code == 2 and "ONCALL_INTAKE_TOKEN must be set" in r.err


def test_one_open_incident_per_key_and_a_new_one_after_resolution(tmp_path, store_url):
    s = open_store()
    a, dup = s.open("platform", "k", "alerts", "m", T0)
    assert not dup and s.open("platform", "k", "alerts", "m", T0) == (a, True)
    assert s.open("other", "k", "alerts", "m", T0)[1] is False
    assert s.resolve(a, "me", T0) == "triggered" and s.resolve(a, "me", T0) == "resolved"
    assert s.open("platform", "k", "alerts", "m", T0)[0] != a


def test_a_claimed_timer_is_not_claimed_twice_until_its_lease_runs_out(tmp_path, store_url):
    s = open_store()
    other = open_store()
    s.open("platform", "k", "alerts", "m", T0)
    first = s.claim("one", T0)
    assert first is not None and first.stale is None
    assert other.claim("two", T0 + timedelta(seconds=29)) is None
    # The claimer died mid-send: after the lease, the next claimer sees its attempt as stale.
    second = other.claim("two", T0 + timedelta(seconds=31))
    assert second.stale == first.attempt_id
    assert s.incident(1)["attempts"][0]["status"] == "unknown"
    assert not s.fired(first, "one", {"status": "queued", "at": T0}, None)  # the lost claim changes nothing


def test_ack_during_a_step_leaves_no_timer(tmp_path, store_url):
    s = open_store()
    iid, _ = s.open("platform", "k", "alerts", "m", T0)
    claim = s.claim("one", T0)
    assert s.acknowledge(iid, "alice", T0) == "triggered"
    assert not s.fired(claim, "one", {"status": "queued", "at": T0}, (1, 0, T0))
    assert s.incident(iid)["next"] is None and s.claim("one", T0 + timedelta(hours=1)) is None


class _Pager:
    def __init__(self):
        self.sent: list[tuple[str, str]] = []

    def send_with_callback(self, channel, to, content, callback):
        self.sent.append((channel, to))
        return f"SM{len(self.sent):032x}", "queued"


def test_stepper_walks_steps_at_their_times_and_skips_after_an_unknown_send(tmp_path, store_url):
    people = '[people.a]\nphone = "+14155550101"\nnotify = ["sms", "voice"]\n[people.b]\nphone = "+12125550102"\n'
    rot = ('name = "P"\ntimezone = "UTC"\n[[layer]]\nname = "l"\nmembers = ["a"]\nstart = 2000-01-03T00:00:00\n'
           'every = "1w"\n[[escalation]]\nwho = "p"\nwait = "10m"\n[[escalation]]\nwho = "b"\nwait = "5m"\n')
    root = write_folder(tmp_path / "r", {"people.toml": people, "p.toml": rot})
    store, pager, now = open_store(), _Pager(), [T0]
    stepper = Stepper(store, lambda r: load_directory(root, [r]), pager, lambda: now[0], "http://x")
    store.open("p", "k", "alerts", "disk", T0)
    assert stepper.run_due() == 1 and pager.sent == [("sms", "+14155550101")]
    now[0] = T0 + timedelta(minutes=4, seconds=59)
    assert stepper.run_due() == 0
    now[0] = T0 + timedelta(minutes=5)
    assert stepper.run_due() == 1 and pager.sent[-1] == ("voice", "+14155550101")
    # A process claims step 2 (b's SMS) and dies before Twilio answers: the next one does
    # not resend that SMS; it records it as unknown and calls b at once.
    now[0] = T0 + timedelta(minutes=10)
    assert store.claim("dead", now[0]) is not None
    now[0] += timedelta(seconds=31)
    stepper.run_due()
    assert pager.sent[2:] == [("voice", "+12125550102")]
    assert [a["status"] for a in store.incident(1)["attempts"]][2:5] == ["unknown", "skipped", "queued"]


class _AmbiguousPager(_Pager):
    """Twilio took the SMS request and never answered (it may have sent)."""

    def send_with_callback(self, channel, to, content, callback):
        self.sent.append((channel, to))
        if channel == "sms":
            raise PagerError("Twilio: no complete answer within 10 s", unknown=True)
        return f"CA{len(self.sent):032x}", "queued"


def test_serve_records_a_send_that_may_have_gone_out_as_unknown_not_error(tmp_path, store_url):
    """Issue 15 item 5 in serve: an ambiguous send is ``unknown`` (it may have reached the
    phone), as ``oncall page`` records it; ``error`` would claim nothing was sent."""
    people = '[people.a]\nphone = "+14155550101"\nnotify = ["sms", "voice"]\n'
    rot = ('name = "P"\ntimezone = "UTC"\n[[layer]]\nname = "l"\nmembers = ["a"]\nstart = 2000-01-03T00:00:00\n'
           'every = "1w"\n[[escalation]]\nwho = "p"\nwait = "10m"\n')
    root = write_folder(tmp_path / "r", {"people.toml": people, "p.toml": rot})
    store, pager = open_store(), _AmbiguousPager()
    stepper = Stepper(store, lambda r: load_directory(root, [r]), pager, lambda: T0, "http://x")
    store.open("p", "k", "alerts", "disk", T0)
    assert stepper.run_due() == 2  # the SMS, then at once the call
    assert pager.sent == [("sms", "+14155550101"), ("voice", "+14155550101")]
    first, second = store.incident(1)["attempts"]
    assert first["status"] == "unknown" and "may have been sent" in first["detail"]
    assert second["status"] == "queued"


def test_serve_sends_an_email_step_by_email_not_as_a_phone_call(tmp_path, store_url, smtp):
    """serve knew only SMS and voice: a person's ``email`` channel went to Twilio as a call
    to their phone, reading TwiML. Other channels go through the channel registry."""
    people = ('[people.a]\nname = "Ann"\nphone = "+14155550101"\nemail = "ann@example.org"\n'
              'notify = ["email", "sms"]\n')
    rot = ('name = "P"\ntimezone = "UTC"\n[[layer]]\nname = "l"\nmembers = ["a"]\nstart = 2000-01-03T00:00:00\n'
           'every = "1w"\n[[escalation]]\nwho = "p"\nwait = "10m"\n')
    root = write_folder(tmp_path / "r", {"people.toml": people, "p.toml": rot})
    store, pager, now = open_store(), _Pager(), [T0]
    stepper = Stepper(store, lambda r: load_directory(root, [r]), pager, lambda: now[0], "http://x")
    store.open("p", "k", "alerts", "disk full", T0)
    assert stepper.run_due() == 1
    assert pager.sent == []  # nothing went to Twilio for the email channel
    [mail] = smtp.messages
    assert mail["To"].addresses[0].addr_spec == "ann@example.org" and "disk full" in mail["Subject"]
    [attempt] = store.incident(1)["attempts"]
    assert (attempt["channel"], attempt["status"]) == ("email", "sent")
    now[0] = T0 + timedelta(minutes=5)  # the step's wait, shared by its two channels
    assert stepper.run_due() == 1 and pager.sent == [("sms", "+14155550101")]
