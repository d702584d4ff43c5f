"""Issue 14 item 7: `page` says what it does while it runs, `--dry-run --at` says when
nobody could be paged, and with `--json` every failure is a JSON object on stdout too."""

from __future__ import annotations

import importlib
import json
from datetime import datetime, timezone

import pytest
from conftest import BUNDLED, write_folder
from test_paging import BOB, OPS, PEOPLE

from oncall.paging import PagerError
from oncall.paging.fake import FakeClock, FakePager, Reaction

T0 = datetime(2027, 1, 5, 12, 0, tzinfo=timezone.utc)  # Carol covers platform
DIR = ("--dir", str(BUNDLED))


@pytest.fixture
def pager(monkeypatch, use_clock) -> FakePager:
    fake = FakePager(use_clock(FakeClock(T0)))
    monkeypatch.setattr(importlib.import_module("oncall.cli.page"), "make_pager", lambda clock: fake)
    return fake


def test_page_reports_each_send_wait_and_retry_on_stderr(cli, pager):
    busy = PagerError("Twilio is busy", 20429, 429, retry_after=2)
    pager.on("+12065550103", "sms", Reaction(errors=(busy,)))  # carol's SMS: one 429, then accepted
    r = cli("page", "platform", "-m", "db down", "--repeat", "0", *DIR, "--tz", "UTC")
    assert r.code == 1, r.err
    lines = [line for line in r.err.splitlines() if line.startswith("oncall: page #1: ")]
    said = "\n".join(lines)
    assert "step 1: carol sms: 20429, retry 1 of 4 in 2s" in said
    assert "step 1: carol sms: queued; waiting for an acknowledgement until Tue 2027-01-05 12:02 UTC" in said
    assert "step 2: farid sms:" in said and "step 3: noor voice:" in said
    # A poll that changes nothing says nothing: each line once.
    assert len(lines) == len(set(lines))
    assert said.index("retry 1 of 4") < said.index("carol sms: queued") < said.index("step 2: farid")


def test_page_progress_goes_to_stderr_with_json_too(cli, pager):
    r = cli("page", "platform", "-m", "db down", "--json", *DIR)
    assert r.code == 1
    assert json.loads(r.out)["outcome"] == "unreached" and json.loads(r.out)["exit_code"] == 1
    assert "oncall: page #1: step 1: carol sms: " in r.err


# test_paging's folder, with Alice (on call in ops) away and Bob (step 2) without a phone.
AWAY_PEOPLE = PEOPLE.replace(f'phone = "{BOB}"', "") + "[[people.alice.away]]\nstart = 2026-03-01\nend = 2026-04-01\n"


def test_dry_run_at_an_instant_exits_1_and_says_why_nobody_could_be_paged(cli, tmp_path):
    root = write_folder(tmp_path / "r", {"people.toml": AWAY_PEOPLE, "ops.toml": OPS})
    args = ("page", "ops", "-m", "x", "--dry-run", "--dir", str(root), "--tz", "UTC")
    r = cli(*args, "--at", "2026-03-10T12:00Z")
    assert r.code == 1
    assert ("oncall: nobody could be paged at Tue 2026-03-10 12:00 UTC: step 1 (ops): alice is away; "
            "step 2 (bob): bob has no phone") in r.err
    j = cli(*args, "--at", "2026-03-10T12:00Z", "--json")
    data = json.loads(j.out)
    assert (j.code, data["exit_code"], data["at"]) == (1, 1, "2026-03-10T12:00:00+00:00")
    assert data["error"].startswith("nobody could be paged") and "alice is away" in data["error"]
    ok = json.loads(cli(*args, "--at", "2026-04-07T12:00Z", "--json").out)  # alice is back
    assert (ok["exit_code"], ok["error"], ok["steps"][0]["person"]) == (0, None, "alice")


def test_at_needs_dry_run(cli):
    r = cli("page", "platform", "-m", "x", "--at", "2027-01-05T12:00Z", *DIR)
    assert r.code == 2 and "--at goes with --dry-run" in r.err


@pytest.mark.parametrize("args, code, words", [
    (("page", "platform", "--dry-run"), 2, "Missing option '--message'"),
    (("page", "platform", "-m", "x", "--repeat", "-1"), 2, "--repeat"),
    (("page", "platform", "-m", "x", "--dry-run", "--at", "yesterday-ish"), 2, "--at"),
    (("page", "nope", "-m", "x"), 4, "no rotation 'nope'"),
    (("page", "platform", "-m", "x"), 5, "Twilio credentials missing"),
])
def test_every_page_failure_with_json_is_an_object_with_its_exit_code(cli, args, code, words):
    for as_json in (("--json",), ("--format", "json"), ("--format=json",)):
        r = cli(*args, *DIR, *as_json)
        assert r.code == code
        failure = json.loads(r.out)
        assert failure["exit_code"] == code and words in failure["error"], failure
    assert cli(*args, *DIR).out == ""  # a terminal gets the message on stderr only
