"""Regression tests for bugs found reviewing the core and the read/export commands.

Each test names the symptom a user saw; the fix is in the module the test exercises."""

from __future__ import annotations

import json
import re
import sys

import pytest
from conftest import BUNDLED, write_folder

from oncall import phones

PEOPLE = """
[people.ann]
name = "Ann Lee"
phone = "+14155550111"
[people.ben]
name = "Ben Cho"
phone = "+14155550112"
"""


# --- phones: the validity cache is best-effort -----------------------------------------------

@pytest.mark.parametrize("numbers", [[], "text", 3, None])
def test_a_phone_cache_that_is_json_of_the_wrong_shape_is_ignored(tmp_path, numbers):
    # Used to be an AttributeError traceback from `oncall now`: only unreadable JSON was ignored.
    state = tmp_path / "state"
    state.mkdir()
    key = phones._package_key()
    (state / phones.CACHE_NAME).write_text(json.dumps({"key": key, "numbers": numbers}))
    assert phones.validity({"+14155550101"}) == {"+14155550101": True}
    assert json.loads((state / phones.CACHE_NAME).read_text())["numbers"] == {"+14155550101": True}


def test_a_phone_cache_that_is_not_an_object_is_ignored(tmp_path):
    state = tmp_path / "state"
    state.mkdir()
    (state / phones.CACHE_NAME).write_text("[1, 2]")
    assert phones.validity({"+14155550101"}) == {"+14155550101": True}


def test_now_survives_a_cache_of_the_wrong_shape(cli, tmp_path):
    folder = write_folder(tmp_path / "r", {"people.toml": PEOPLE, "desk.toml": (
        'timezone = "UTC"\n[[layer]]\nmembers = ["ann"]\nstart = 2026-01-05T00:00:00\nevery = "1w"\n')})
    state = tmp_path / "state"
    state.mkdir()
    (state / phones.CACHE_NAME).write_text(json.dumps({"key": phones._package_key(), "numbers": []}))
    r = cli("now", "--dir", str(folder), "--at", "2026-02-01T00:00Z", "--json")
    assert r.code == 0, r.err
    assert json.loads(r.out)[0]["reachable"] is True


# --- render: tables never cut what they show --------------------------------------------------

ANSI = re.compile(r"\x1b\[[0-9;]*m")
LONG_PEOPLE = """
[people.ann]
name = "Alexandra Maria Konstantinopoulou-Featherstonehaugh de la Cruz y Montenegro"
phone = "+14155550111"
[people.ben]
name = "Ben Cho"
phone = "+14155550112"
"""
LONG_ROTATION = """
timezone = "America/New_York"
[[layer]]
name = "primary-follow-the-sun-weekly-2026"
members = ["ann", "ben"]
start = 2026-01-05T09:00:00
every = "1w"
"""


def test_piped_tables_wider_than_the_old_200_columns_are_not_cut(cli, tmp_path):
    # Scripts grep piped output; Rich used to shorten cells to fit 200 columns ("09:…").
    folder = write_folder(tmp_path / "r", {"people.toml": LONG_PEOPLE,
                                           "customer-facing-platform-primary.toml": LONG_ROTATION})
    r = cli("shifts", "--dir", str(folder), "--from", "2026-03-02T14:00Z", "--to", "2026-03-16T13:00Z",
            "--tz", "America/New_York")
    assert r.code == 0, r.err
    assert "…" not in r.out
    rows = [line for line in r.out.splitlines() if "customer-facing-platform-primary" in line]
    assert len(rows) == 2  # one line per shift
    assert "Alexandra Maria Konstantinopoulou-Featherstonehaugh de la Cruz y Montenegro (ann)" in rows[0]
    assert "Mon 2026-03-09 09:00 EDT" in rows[0] and "layer:primary-follow-the-sun-weekly-2026" in rows[0]


@pytest.mark.parametrize("command", [
    ("now", "--at", "2026-03-08T12:00Z"),
    ("shifts", "platform", "--from", "2026-03-08T12:00Z", "--days", "14"),
])
def test_on_an_80_column_terminal_tables_wrap_instead_of_hiding_cells(cli, monkeypatch, command):
    # At 80 columns `oncall now` showed an empty Rotation column and times cut to "Mon 2026-03-02…".
    monkeypatch.setenv("COLUMNS", "80")
    monkeypatch.setattr(sys.stdout, "isatty", lambda: True)
    r = cli(*command, "--dir", str(BUNDLED), "--tz", "America/New_York")
    assert r.code == 0, r.err
    out = ANSI.sub("", r.out)
    assert "…" not in out
    assert max(len(line) for line in out.splitlines()) <= 80
    assert "platform" in out
    words = set(out.split())
    assert {"2026-03-09", "09:00", "EDT"} <= words


# --- export: a shift keeps its UID however long it is ------------------------------------------

def _uids(cli, folder, start: str, end: str) -> list[str]:
    r = cli("export", "--dir", str(folder), "--from", start, "--to", end)
    assert r.code == 0, r.err
    return re.findall(r"^(?:UID|DTSTAMP):(.*)\r$", r.out, re.M)


@pytest.mark.parametrize("rotation", [
    # A quarterly rotation: the shift began 2026-04-06 09:00 EDT, 75+ days before the windows.
    'timezone = "America/New_York"\n[[layer]]\nmembers = ["ann", "ben"]\nstart = 2026-01-05T09:00:00\nevery = "13w"\n',
    # A 150-day override over a weekly rotation, from 2026-04-06 09:00 EDT.
    'timezone = "America/New_York"\n[[layer]]\nmembers = ["ann"]\nstart = 2026-01-05T09:00:00\nevery = "1w"\n'
    '[[override]]\nwho = "ben"\nstart = 2026-04-06T09:00:00\nend = 2026-09-03T09:00:00\n',
])
def test_a_shift_longer_than_the_look_back_keeps_its_uid_when_the_window_slides(cli, tmp_path, rotation):
    # The true start was looked for only 62 days before the window: beyond that, the UID and
    # DTSTAMP moved with the window, so calendars that import the feed duplicated the event.
    folder = write_folder(tmp_path / "r", {"people.toml": PEOPLE, "mgr.toml": rotation})
    first = _uids(cli, folder, "2026-06-20T00:00Z", "2026-07-03T00:00Z")
    later = _uids(cli, folder, "2026-06-21T00:00Z", "2026-07-03T00:00Z")
    assert first == later == ["mgr-20260406T130000Z@oncall", "20260406T130000Z"]


# --- command-line times: an empty one is an error, not "now" --------------------------------

@pytest.mark.parametrize("args", [
    ("now", "--at", ""),
    ("shifts", "--from", ""),
    ("shifts", "--from", "2026-03-08T00:00Z", "--to", " "),
    ("check", "--from", ""),
    ("export", "--from", ""),
    ("export", "--from", "2026-03-08T00:00Z", "--to", ""),
])
def test_an_empty_time_is_a_usage_error_not_the_current_time(cli, args):
    # `oncall now --at "$WHEN"` with WHEN unset silently answered for the current instant.
    r = cli(*args, "--dir", str(BUNDLED))
    assert r.code == 2, r.err
    assert r.out == ""
    assert re.match(r"oncall: --(at|from|to): '\s*' is not a time", r.err)
