"""`oncall notify`: reminders, handoff and change notices, each sent once, at fixed instants
(issue 13). Delivery is real: email to a local SMTP server (tests/smtp_support.py), SMS
through the scripted fake pager. Every test that keeps notices runs on both stores
(``store_url``: SQLite, and a real PostgreSQL)."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from datetime import datetime, timezone
from pathlib import Path

import pytest
from conftest import write_folder

ROOT = Path(__file__).resolve().parent.parent

BOB = """
[people.bob]
name = "Bjørn Müller"
email = "bjorn@example.com"
timezone = "Europe/Berlin"
notify = ["email"]
quiet = "22:00-08:00"
"""
PEOPLE = """
[defaults]
remind = ["1h"]

[people.alice]
name = "Zoë Ångström"
email = "zoe@example.com"
timezone = "America/Los_Angeles"
notify = ["email"]
remind = ["1d", "1h"]
""" + BOB
# Weekly at Monday 09:00 UTC: alice has the weeks of 2026-03-02 and 2026-03-16, bob 2026-03-09.
OPS = """
name = "Ops"
timezone = "UTC"

[[layer]]
members = ["alice", "bob"]
start = 2026-01-05T09:00:00
every = "1w"
"""
OVERRIDE = """
[[override]]
who = "alice"
start = 2026-03-12T09:00:00
end = 2026-03-13T09:00:00
"""


@pytest.fixture
def folder(tmp_path, store_url):
    return write_folder(tmp_path / "rot", {"people.toml": PEOPLE, "ops.toml": OPS})


@pytest.fixture
def notify(cli, folder):
    def run(at: str, *more: str):
        r = cli("notify", "--at", at, "--dir", str(folder), "--json", *more)
        assert r.code == 0, r.err
        return json.loads(r.out), r.err

    run.folder = folder
    return run


def subjects(smtp, to: str) -> list[str]:
    return [str(m["Subject"]) for m in smtp.messages if to in str(m["To"])]


def test_a_reminder_one_hour_before_goes_out_at_the_run_after_and_never_again(notify, smtp):
    notify("2026-03-16T07:55Z")
    assert [s for s in subjects(smtp, "zoe@") if " in 1h:" in s] == []
    rows, _ = notify("2026-03-16T08:01Z")
    assert [(r["kind"], r["person"], r["status"]) for r in rows] == [("reminder", "alice", "sent")]
    for at in ("2026-03-16T08:01Z", "2026-03-16T08:06Z", "2026-03-16T08:30Z"):
        assert notify(at)[0] == []
    assert subjects(smtp, "zoe@") == ["On call for Ops in 1h: from Mon 2026-03-16 02:00 PDT"]
    body = smtp.messages[0].get_content()
    assert body.strip() == ("Reminder: you are on call for Ops (ops) from Mon 2026-03-16 02:00 PDT to "
                            "Mon 2026-03-23 02:00 PDT; Bjørn Müller hands over.")


def test_the_reminder_email_has_a_text_body_and_correct_headers_with_non_ascii_names(notify, smtp):
    from email.utils import parseaddr, parsedate_to_datetime

    notify("2026-03-16T08:01Z")
    (m,) = smtp.messages
    raw = smtp.raw[0].decode("ascii")  # every header 7-bit: RFC 2047 words carry the name
    assert "=?utf-8?" in raw.split("\r\n\r\n")[0].lower()
    assert m["To"].addresses[0].display_name == "Zoë Ångström"
    assert m["To"].addresses[0].addr_spec == "zoe@example.com" and smtp.rcpt == [["zoe@example.com"]]
    assert parseaddr(str(m["From"])) == ("Oncall Bot", "oncall@example.org")
    assert str(m["Subject"]).startswith("On call for Ops in 1h")
    assert parsedate_to_datetime(str(m["Date"])).tzinfo is not None
    assert m["Message-ID"].startswith("<") and m["Message-ID"].endswith("@example.org>")
    assert m.get_content_type() == "text/plain" and m.get_content_charset() == "utf-8"
    assert "Bjørn Müller hands over" in m.get_content()


def test_a_missed_run_inside_the_grace_window_still_sends(notify, smtp):
    notify("2026-03-15T08:00Z")  # cron ran; then missed every run until 10:30
    rows, _ = notify("2026-03-15T10:30Z")  # the 1d reminder was due at 09:00, 1h30m ago
    assert [(r["kind"], r["status"]) for r in rows] == [("reminder", "sent")]
    assert subjects(smtp, "zoe@") == ["On call for Ops in 1d: from Mon 2026-03-16 02:00 PDT"]


def test_a_missed_run_outside_the_grace_window_skips_with_a_log_line(notify, smtp, cli):
    notify("2026-03-15T08:00Z")
    rows, err = notify("2026-03-15T11:30Z")  # 2h30m after the 1d reminder was due
    assert [(r["kind"], r["status"]) for r in rows] == [("reminder", "skipped")]
    assert ("oncall: notify: skipped reminder for alice (ops): due 2026-03-15T09:00:00+00:00, 2h 30m ago: "
            "past the 2h grace window") in err
    assert smtp.messages == []
    rows, err = notify("2026-03-15T11:35Z")
    assert rows == [] and err == ""  # logged once
    listed = json.loads(cli("notifications", "--json").out)
    assert [(n["kind"], n["person"], n["status"]) for n in listed] == [("reminder", "alice", "skipped")]


def test_two_processes_running_notify_at_the_same_instant_send_once(folder, smtp, tmp_path):
    env = {**os.environ, "PYTHONPATH": str(ROOT)}
    cmd = [sys.executable, "-m", "oncall", "notify", "--at", "2026-03-16T08:01Z", "--dir", str(folder), "--json"]
    procs = [subprocess.Popen(cmd, env=env, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
             for _ in range(2)]
    outs = [p.communicate(timeout=60) for p in procs]
    assert [p.returncode for p in procs] == [0, 0], outs
    sent = [r for out, _ in outs for r in json.loads(out) if r["status"] == "sent"]
    assert [(r["kind"], r["person"]) for r in sent] == [("reminder", "alice")]
    assert subjects(smtp, "zoe@") == ["On call for Ops in 1h: from Mon 2026-03-16 02:00 PDT"]


def test_an_override_added_by_hand_tells_both_people_once_in_their_zones(notify, smtp, folder):
    notify("2026-03-10T12:00Z")  # the first run announces nothing: it learns what each person has
    with open(folder / "ops.toml", "a", encoding="utf-8") as f:
        f.write(OVERRIDE)
    rows, _ = notify("2026-03-10T12:05Z")
    assert sorted((r["kind"], r["person"], r["status"]) for r in rows) == [
        ("change", "alice", "sent"), ("change", "bob", "sent")]
    by = {str(m["To"].addresses[0].addr_spec): m.get_content().replace("\r\n", "\n").strip() for m in smtp.messages}
    assert by["bjorn@example.com"] == (
        "Your on-call shifts changed:\nOps (ops): removed\n"
        "  before: Mon 2026-03-09 10:00 CET - Mon 2026-03-16 10:00 CET\n"
        "  now:    Mon 2026-03-09 10:00 CET - Thu 2026-03-12 10:00 CET; Fri 2026-03-13 10:00 CET - "
        "Mon 2026-03-16 10:00 CET")
    assert by["zoe@example.com"] == (
        "Your on-call shifts changed:\nOps (ops): added\n"
        "  before: not on call\n"
        "  now:    Thu 2026-03-12 02:00 PDT - Fri 2026-03-13 02:00 PDT")
    for at in ("2026-03-10T12:05Z", "2026-03-10T12:10Z", "2026-03-11T08:00Z"):
        assert notify(at)[0] == []
    assert len(smtp.messages) == 2


def test_quiet_hours_a_change_notice_at_23_local_goes_out_at_08(notify, smtp, folder):
    notify("2026-03-10T21:00Z")
    with open(folder / "ops.toml", "a", encoding="utf-8") as f:
        f.write(OVERRIDE)
    rows, _ = notify("2026-03-10T22:00Z")  # 23:00 in Berlin: bob's is held, alice's (15:00 PDT) goes
    assert [(r["person"], r["status"]) for r in rows] == [("alice", "sent")]
    assert notify("2026-03-11T06:59Z")[0] == []  # 07:59 in Berlin
    rows, _ = notify("2026-03-11T07:00Z")  # 08:00 in Berlin
    assert [(r["kind"], r["person"], r["status"]) for r in rows] == [("change", "bob", "sent")]
    assert notify("2026-03-11T07:05Z")[0] == []
    assert sorted(m["To"].addresses[0].addr_spec for m in smtp.messages) == ["bjorn@example.com",
                                                                            "zoe@example.com"]


BERLIN_PEOPLE = """
[people.carol]
name = "Carol"
email = "carol@example.com"
notify = ["email"]
""" + BOB
# Daily 08:00 in Berlin: bob's shift starts 2026-03-10 08:00 CET, so his 1h reminder falls at 07:00.
BERLIN = OPS.replace('"Ops"', '"Early"').replace('"UTC"', '"Europe/Berlin"').replace(
    '["alice", "bob"]', '["carol", "bob"]').replace("2026-01-05T09:00:00", "2026-03-09T08:00:00").replace(
    '"1w"', '"1d"')


@pytest.fixture
def early(cli, tmp_path, store_url):
    folder = write_folder(tmp_path / "early", {"people.toml": BERLIN_PEOPLE, "early.toml": BERLIN})

    def run(at: str):
        r = cli("notify", "--at", at, "--dir", str(folder), "--json")
        assert r.code == 0, r.err
        return [(row["kind"], row["person"], row["status"]) for row in json.loads(r.out)], r.err

    return run


def test_quiet_hours_a_reminder_due_at_07_goes_out_at_2130_the_evening_before(early, smtp):
    early("2026-03-09T20:29Z")  # 21:29 in Berlin
    assert subjects(smtp, "bjorn@") == []
    rows, _ = early("2026-03-09T20:30Z")  # 21:30: 30 minutes before his quiet hours begin
    assert rows == [("reminder", "bob", "sent")]
    assert subjects(smtp, "bjorn@") == ["On call for Early in 10h 30m: from Tue 2026-03-10 08:00 CET"]
    assert early("2026-03-10T06:00Z")[0] == []


def test_quiet_hours_a_reminder_whose_slot_was_missed_is_not_sent_at_night(early, smtp):
    rows, _ = early("2026-03-09T21:10Z")  # 22:10 in Berlin: held, not sent
    assert [r for r in rows if r[1] == "bob"] == []
    rows, err = early("2026-03-10T07:05Z")  # 08:05: the shift has started
    assert ("reminder", "bob", "skipped") in rows and "skipped reminder for bob (early)" in err
    assert subjects(smtp, "bjorn@") == ["On call now for Early"]  # the handoff notice, no reminder


def test_the_handoff_notice_names_open_incidents_and_overrides_in_the_shift(notify, smtp, folder, cli):
    from oncall.paging.store import open_store

    with open(folder / "ops.toml", "a", encoding="utf-8") as f:
        f.write(OVERRIDE.replace('"alice"', '"bob"').replace("03-12", "03-18").replace("03-13", "03-19")
                + 'note = "alice at the dentist"\n')
    store = open_store()
    store.open("ops", "disk", "alertmanager", "disk full on db-1", datetime(2026, 3, 16, 8, tzinfo=timezone.utc))
    store.close()
    rows, _ = notify("2026-03-16T09:02Z")
    (handoff,) = [r for r in rows if r["kind"] == "handoff"]
    assert (handoff["person"], handoff["status"]) == ("alice", "sent")
    assert handoff["body"] == (
        "You are on call for Ops (ops) from Mon 2026-03-16 02:00 PDT to Wed 2026-03-18 02:00 PDT, "
        "taking over from Bjørn Müller.\n"
        "Open incidents: 1\n  #1 disk full on db-1\n"
        "Overrides in your shift:\n  Bjørn Müller Wed 2026-03-18 02:00 PDT - Thu 2026-03-19 02:00 PDT"
        " (alice at the dentist)")
    assert notify("2026-03-16T09:10Z")[0] == []


def test_dry_run_shows_what_would_go_out_and_records_nothing(cli, folder, smtp):
    r = cli("notify", "--at", "2026-03-16T08:01Z", "--dir", str(folder), "--dry-run", "--json")
    assert r.code == 0, r.err
    assert [(x["kind"], x["status"]) for x in json.loads(r.out) if x["status"] != "skipped"] == [
        ("reminder", "would-send")]
    assert smtp.messages == []
    assert json.loads(cli("notifications", "--json").out) == []


def test_sms_notices_go_through_the_pager(cli, tmp_path, monkeypatch, use_clock, store_url):
    import importlib

    from oncall.paging.fake import FakePager

    clock = use_clock(datetime(2026, 3, 16, 8, 1, tzinfo=timezone.utc))
    pager = FakePager(clock)
    monkeypatch.setattr(importlib.import_module("oncall.notify.run"), "make_pager", lambda: pager)
    people = PEOPLE.replace('email = "zoe@example.com"', 'phone = "+14155550101"').replace(
        'notify = ["email"]\nremind', 'notify = ["voice", "sms"]\nremind')
    folder = write_folder(tmp_path / "rot", {"people.toml": people, "ops.toml": OPS})
    r = cli("notify", "--dir", str(folder), "--json")
    assert r.code == 0, r.err
    assert [(x["channel"], x["status"]) for x in json.loads(r.out) if x["kind"] == "reminder"
            and x["status"] == "sent"] == [("sms", "sent")]
    assert pager.log == [("sms", "+14155550101", "Reminder: you are on call for Ops (ops) from Mon 2026-03-16 "
                                                 "02:00 PDT to Mon 2026-03-23 02:00 PDT; Bjørn Müller hands over.")]


def test_remind_and_quiet_come_from_the_person_else_the_folder_defaults_else_one_hour(tmp_path):
    from datetime import timedelta

    from oncall.load import load_directory

    people = PEOPLE.replace('remind = ["1d", "1h"]', "remind = []") + """
[people.carol]
name = "Carol"
"""
    d = load_directory(write_folder(tmp_path / "a", {"people.toml": people.replace('remind = ["1h"]',
                                                     'remind = ["30m", "2h"]\nquiet = "23:30-07:00"'),
                                                     "ops.toml": OPS}))
    assert d.people["alice"].remind == () and d.people["alice"].quiet == (23 * 60 + 30, 7 * 60)
    assert d.people["bob"].quiet == (22 * 60, 8 * 60)
    assert d.people["carol"].remind == (timedelta(hours=2), timedelta(minutes=30))  # longest first
    d = load_directory(write_folder(tmp_path / "b", {"people.toml": people.replace('[defaults]\nremind = ["1h"]\n',
                                                                                   ""), "ops.toml": OPS}))
    assert d.people["carol"].remind == (timedelta(hours=1),) and d.people["carol"].quiet is None


def test_serve_runs_notify_at_its_interval_and_each_notice_goes_once(folder, smtp):
    import asyncio

    from oncall.notify.run import job
    from oncall.serve.runner import every

    once = job(folder, lambda: datetime(2026, 3, 16, 8, 1, tzinfo=timezone.utc), lambda line: None)
    runs: list[int] = []

    async def main():
        loop, stop = asyncio.get_running_loop(), asyncio.Event()

        def counted() -> int:
            runs.append(once())
            if len(runs) == 3:
                loop.call_soon_threadsafe(stop.set)
            return runs[-1]

        await asyncio.wait_for(every(counted, 0.01, stop), 20)

    asyncio.run(main())
    assert runs == [1, 0, 0]
    assert subjects(smtp, "zoe@") == ["On call for Ops in 1h: from Mon 2026-03-16 02:00 PDT"]


def test_a_failing_notify_run_inside_serve_is_logged_and_the_next_one_comes(caplog):
    import asyncio

    from oncall.serve.runner import every

    calls: list[int] = []

    async def main():
        loop, stop = asyncio.get_running_loop(), asyncio.Event()

        def flaky() -> int:
            calls.append(1)
            if len(calls) == 2:
                loop.call_soon_threadsafe(stop.set)
            raise OSError("people.toml vanished")

        await asyncio.wait_for(every(flaky, 0.01, stop), 20)

    asyncio.run(main())
    assert len(calls) == 2 and "sending due notices failed" in caplog.text


@pytest.fixture
def tls_files(tmp_path):
    """A self-signed certificate for 127.0.0.1 (openssl), the CA the client trusts."""
    cert, key = tmp_path / "cert.pem", tmp_path / "key.pem"
    subprocess.run(["openssl", "req", "-x509", "-newkey", "rsa:2048", "-nodes", "-keyout", str(key), "-out",
                    str(cert), "-subj", "/CN=127.0.0.1", "-addext", "subjectAltName=IP:127.0.0.1", "-days", "2"],
                   check=True, capture_output=True, timeout=60)
    return cert, key


@pytest.mark.parametrize("scheme", ["smtp+starttls", "smtps"])
def test_email_over_tls_logs_in_with_credentials_from_the_url_and_never_shows_them(tls_files, scheme):
    import ssl

    from aiosmtpd.controller import Controller
    from aiosmtpd.smtp import AuthResult
    from smtp_support import Inbox, free_port

    from oncall.paging import PagerError
    from oncall.paging.email import Smtp

    cert, key = tls_files
    context = ssl.create_default_context(ssl.Purpose.CLIENT_AUTH)
    context.load_cert_chain(cert, key)
    inbox, port = Inbox(), free_port()

    def login(server, session, envelope, mechanism, data):
        return AuthResult(success=(data.login, data.password) == (b"bot", b"p@ss word"), handled=False)

    # aiosmtpd offers AUTH after STARTTLS only; on an implicit TLS port it cannot tell, so it is told.
    tls = ({"ssl_context": context, "auth_require_tls": False} if scheme == "smtps"
           else {"tls_context": context, "require_starttls": True, "auth_require_tls": True})
    controller = Controller(inbox, hostname="127.0.0.1", port=port, authenticator=login, ready_timeout=10, **tls)
    controller.start()
    try:
        env = {"ONCALL_SMTP_URL": f"{scheme}://bot:p%40ss%20word@127.0.0.1:{port}",
               "ONCALL_SMTP_FROM": "oncall@example.org", "ONCALL_SMTP_CA": str(cert)}
        Smtp.from_env(env).send("zoe@example.com", "Zoë Ångström", "Subject ü", "Body ü")
        assert len(inbox.messages) == 1 and inbox.messages[0].get_content().strip() == "Body ü"
        wrong = Smtp.from_env(env | {"ONCALL_SMTP_URL": f"{scheme}://bot:hunter2@127.0.0.1:{port}"})
        with pytest.raises(PagerError) as refused:
            wrong.send("zoe@example.com", "Zoë", "s", "b")
        assert "535" in str(refused.value) and "hunter2" not in str(refused.value) + repr(wrong)
        assert not refused.value.transient and len(inbox.raw) == 1
    finally:
        controller.stop()


def test_a_password_is_never_sent_without_tls_to_another_host():
    from oncall.paging import PagerError
    from oncall.paging.email import Smtp

    with pytest.raises(PagerError) as e:
        Smtp.from_env({"ONCALL_SMTP_URL": "smtp://bot:hunter2@mail.example.com", "ONCALL_SMTP_FROM": "a@b.c"})
    assert "without TLS" in str(e.value) and "hunter2" not in str(e.value) and e.value.local


def test_email_is_a_paging_channel_too(cli, smtp, folder, monkeypatch, use_clock):
    import importlib

    from oncall.paging.fake import FakePager

    use_clock(datetime(2026, 3, 16, 12, 0, tzinfo=timezone.utc))
    monkeypatch.setattr(importlib.import_module("oncall.cli.page"), "make_pager", FakePager)
    # Reachable still means a valid phone (DESIGN); email is one more channel in her order.
    people = PEOPLE.replace('notify = ["email"]\nremind', 'phone = "+14155550101"\nnotify = ["email", "sms"]\nremind')
    (folder / "people.toml").write_text(people, encoding="utf-8")
    r = cli("page", "ops", "-m", "disk full on db-1", "--dir", str(folder), "--json")
    page = json.loads(r.out)
    assert r.code == 1 and page["outcome"] == "unreached"  # an email cannot acknowledge; nobody replied
    attempt, sms = page["attempts"]
    assert (attempt["person"], attempt["channel"]) == ("alice", "email") and attempt["sid"].startswith("<")
    assert (sms["channel"], sms["person"]) == ("sms", "alice")
    (m,) = smtp.messages
    assert str(m["Subject"]) == f"[oncall] #{page['id']} ops: disk full on db-1"
    assert m["Message-ID"] == attempt["sid"] and "disk full on db-1" in m.get_content()


def test_a_failed_send_is_retried_by_later_runs_three_sends_at_most(notify, smtp, monkeypatch, cli):
    from smtp_support import free_port

    monkeypatch.setenv("ONCALL_SMTP_URL", f"smtp://127.0.0.1:{free_port()}")  # nobody listens there
    statuses = []
    for at in ("2026-03-16T07:55Z", "2026-03-16T08:01Z", "2026-03-16T08:02Z", "2026-03-16T08:03Z",
               "2026-03-16T08:04Z"):
        r = cli("notify", "--at", at, "--dir", str(notify.folder), "--json")
        statuses.append([(x["kind"], x["status"]) for x in json.loads(r.out)])
        assert r.code == (1 if statuses[-1] else 0)
    assert statuses == [[], [("reminder", "failed")], [("reminder", "failed")], [("reminder", "failed")], []]
    (logged,) = json.loads(cli("notifications", "--json").out)
    assert (logged["status"], logged["tries"]) == ("failed", 3) and "ConnectionRefusedError" in logged["detail"]
    assert smtp.messages == []


def test_a_notice_claimed_by_a_run_that_died_is_never_sent_again(notify, smtp, folder):
    from oncall.load import load_directory
    from oncall.notify import plan
    from oncall.notify.store import open_notices

    t = datetime(2026, 3, 16, 8, 1, tzinfo=timezone.utc)
    due, _ = plan.due_now(load_directory(folder), t, plan.timedelta(hours=2), 14, {}, plan.timedelta(hours=2))
    (reminder,) = due
    store = open_notices()
    assert store.claim(reminder, "email", t)  # ... and the process was killed before it sent
    store.close()
    assert notify("2026-03-16T08:02Z")[0] == [] and smtp.messages == []


def test_a_swap_by_command_is_announced_as_moved_in_each_zone(notify, smtp, folder, cli):
    notify("2026-03-10T12:00Z")
    r = cli("swap", "ops", "bob", "alice", "--from", "2026-03-13T09:00Z", "--to", "2026-03-17T09:00Z",
            "--dir", str(folder))
    assert r.code == 0, r.err
    rows, _ = notify("2026-03-10T12:05Z")
    assert sorted((r["kind"], r["person"]) for r in rows) == [("change", "alice"), ("change", "bob")]
    by = {m["To"].addresses[0].addr_spec: m.get_content().replace("\r\n", "\n") for m in smtp.messages}
    assert by["bjorn@example.com"].splitlines()[1:] == [
        "Ops (ops): moved",
        "  before: Mon 2026-03-09 10:00 CET - Mon 2026-03-16 10:00 CET",
        "  now:    Mon 2026-03-09 10:00 CET - Fri 2026-03-13 10:00 CET; Mon 2026-03-16 10:00 CET - "
        "Tue 2026-03-17 10:00 CET"]
    assert by["zoe@example.com"].splitlines()[1:] == [
        "Ops (ops): moved",
        "  before: Mon 2026-03-16 02:00 PDT - Mon 2026-03-23 02:00 PDT",
        "  now:    Fri 2026-03-13 02:00 PDT - Mon 2026-03-16 02:00 PDT; Tue 2026-03-17 02:00 PDT - "
        "Mon 2026-03-23 02:00 PDT"]
