"""Issue 14 item 5, times in output: whole seconds in every JSON and CSV output and minutes
in tables, even when the clock (or a time typed relative to it) has a fraction; lengths
rounded for reading by one formatter; a shift cut by the range shows when it really
began and ends; touching warnings of one kind and person are one stretch; counts read
right in the singular.

The clock stands at an instant with microseconds (as the real clock does), so every
time an output derives from it would carry them if nothing dropped them."""

from __future__ import annotations

import importlib
import json
import re
import shutil
import tokenize
from datetime import datetime, timedelta, timezone
from pathlib import Path

import pytest
from conftest import BUNDLED, ROOT, write_folder

from oncall.paging.fake import FakeClock, FakePager
from oncall.wording import plural, rounded_duration

T0 = datetime(2027, 1, 5, 12, 0, 0, 654321, tzinfo=timezone.utc)  # Tuesday: Carol covers Alice's week
FRACTION = re.compile(r"\d{2}:\d{2}:\d{2}\.\d")
STAMP = re.compile(r"\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}")


@pytest.fixture
def logged(use_clock, monkeypatch, tmp_path, cli):
    """A copy of the bundled folder in which Carol (on call now) has no phone, a clock with
    microseconds, one page run through a fake pager, one incident opened by an alert and
    one notice sent by ``notify``: every store the JSON commands read has rows written at
    a fractional instant. Returns the folder and the page's own JSON output."""
    clock = use_clock(FakeClock(T0))
    root = tmp_path / "rot"
    shutil.copytree(BUNDLED, root)
    people = root / "people.toml"
    people.write_text(people.read_text().replace('phone = "+12065550103"\n', ""))
    pager = lambda *_: FakePager(clock, record=str(tmp_path / "sent.jsonl"))  # noqa: E731
    monkeypatch.setattr(importlib.import_module("oncall.cli.page"), "make_pager", pager)
    monkeypatch.setattr(importlib.import_module("oncall.notify.run"), "make_pager", pager)
    paged = cli("page", "sre", "-m", "db down", "--dir", str(root), "--json")
    assert paged.code == 1, paged.err  # nobody acknowledges the fake pager
    from oncall.paging.store import open_store

    open_store().open("platform", "disk", "alertmanager", "disk full", clock.now())
    clock.t = T0 + timedelta(minutes=1)
    sent = cli("notify", "--dir", str(root), "--json")
    assert sent.code == 0 and json.loads(sent.out), sent.err
    return root, paged.out


# Every command that writes JSON (and CSV), with the clock's time left to default or
# typed relative to it. ``DIR`` stands for the folder.
JSON_COMMANDS = {
    "now": ["now", "DIR"],
    "shifts": ["shifts", "DIR"],
    "shifts-relative": ["shifts", "--from", "-90m", "--to", "+1d", "DIR"],
    "shifts-person": ["shifts", "--person", "erin", "DIR"],
    "check": ["check", "DIR"],
    "check-suggest": ["check", "--suggest", "DIR"],
    "report": ["report", "--from", "-1d", "DIR"],
    "override-list": ["override", "list", "platform", "DIR"],
    "away-list": ["away", "list", "DIR"],
    "page-dry-run": ["page", "platform", "-m", "db down", "--dry-run", "DIR"],
    "pages": ["pages"],
    "pages-show": ["pages", "show", "1"],
    "incidents": ["incidents"],
    "notify-dry-run": ["notify", "--dry-run", "--at", "+10h", "DIR"],
    "notifications": ["notifications"],
    "contacts": ["contacts", "DIR"],
    "db-status": ["db", "status"],
}
NO_TIMES = {"contacts", "db-status"}
CSV_NO_TIMES = {"report", "page-dry-run"}  # their CSV rows (people, steps) hold no time


def _args(name: str, root: Path) -> list[str]:
    return [a for arg in JSON_COMMANDS[name] for a in (["--dir", str(root)] if arg == "DIR" else [arg])]


@pytest.mark.parametrize("fmt", ["json", "csv"])
@pytest.mark.parametrize("name", JSON_COMMANDS)
def test_no_json_or_csv_output_has_a_fraction_of_a_second(cli, logged, name, fmt):
    root, _ = logged
    r = cli(*_args(name, root), "--format", fmt)
    assert r.code in (0, 1), r.err
    assert not FRACTION.search(r.out), f"{name}: {FRACTION.search(r.out)[0]!r} in {r.out[:2000]}"
    if name not in NO_TIMES and not (fmt == "csv" and name in CSV_NO_TIMES):
        assert STAMP.search(r.out), f"{name} was chosen to write times"


def test_a_page_written_at_a_fractional_instant_has_whole_seconds_in_its_json(logged):
    _, paged = logged
    page = json.loads(paged)
    assert page["started"] == "2027-01-05T12:00:00+00:00"
    assert page["attempts"] and not FRACTION.search(paged)


def test_a_time_typed_with_a_fraction_is_read_to_the_second(cli):
    r = cli("page", "platform", "-m", "x", "--dry-run", "--at", "2027-01-05T12:00:00.999Z", "--dir",
            str(BUNDLED), "--json")
    assert json.loads(r.out)["at"] == "2027-01-05T12:00:00+00:00"


@pytest.mark.parametrize("name", ["now", "shifts", "shifts-relative", "check", "check-suggest", "report",
                                  "page-dry-run", "pages", "pages-show", "incidents", "notifications"])
def test_tables_show_times_to_the_minute_and_lengths_without_seconds(cli, logged, name):
    root, _ = logged
    r = cli(*_args(name, root), "--tz", "UTC")
    assert r.code in (0, 1), r.err
    assert not FRACTION.search(r.out)
    # A suggested command is ISO text to paste, whole minutes; nothing else shows seconds.
    shown = "\n".join(line for line in r.out.splitlines() if "oncall " not in line)
    assert not re.search(r"\d{2}:\d{2}:\d{2}", shown), shown
    assert not re.search(r"\d+s\b", shown), shown  # no length like 59m59s or 1d1h59m59s


# ------------------------------------------------------------------ lengths


@pytest.mark.parametrize("d, text", [
    (timedelta(0), "0m"),
    (timedelta(seconds=20), "<1m"),
    (timedelta(seconds=30), "1m"),
    (timedelta(minutes=45), "45m"),
    (timedelta(hours=1), "1h"),
    (timedelta(hours=5, minutes=30, seconds=29), "5h 30m"),
    (timedelta(hours=23, minutes=59, seconds=29), "23h 59m"),
    (timedelta(hours=23, minutes=59, seconds=30), "1d"),
    (timedelta(days=1, minutes=29), "1d"),
    (timedelta(days=5, hours=18, minutes=59, seconds=24), "5d 19h"),
    (timedelta(weeks=1), "7d"),
    (timedelta(weeks=2, days=2, hours=14), "16d 14h"),
    (timedelta(hours=167), "6d 23h"),
])
def test_rounded_duration_is_minutes_under_a_day_and_hours_from_a_day_on(d, text):
    assert rounded_duration(d) == text


def test_check_shows_a_gap_from_an_odd_instant_rounded_not_to_the_second(cli):
    r = cli("check", "platform", "--from", "2025-12-29T00:00:36Z", "--days", "8", "--dir", str(BUNDLED),
            "--tz", "UTC")
    assert r.code == 1
    [row] = [line for line in r.out.splitlines() if "GAP" in line]
    assert row.split("│")[-2].strip() == "7d 14h"  # 7d13h59m24s


def test_shifts_and_the_dry_run_say_lengths_as_the_one_formatter_does(cli):
    r = cli("shifts", "platform", "--from", "2027-01-11T14:00Z", "--days", "1", "--dir", str(BUNDLED), "--tz", "UTC")
    assert "│ 7d     │" in r.out  # a weekly shift: days, not "1w"
    dry = cli("page", "platform", "-m", "x", "--dry-run", "--at", "2027-01-05T12:00Z", "--dir", str(BUNDLED),
              "--tz", "UTC")
    assert [w for w in ("5m", "10m", "15m") if f" {w} " in dry.out] == ["5m", "10m", "15m"]


DUTY_PEOPLE = '[people.ann]\nname = "Ann"\nphone = "+14155550111"\n[people.bo]\nname = "Bo"\nphone = "+14155550112"\n'


def test_long_duty_and_short_rest_say_rounded_lengths_with_the_right_number(cli, tmp_path):
    """Ann's week and a 1d5h30m override after it make 8d 5h30m without a break (8d 6h);
    Bo's 1-hour shift between two of Ann's leaves her 1 hour of rest (not "1 hours")."""
    rot = """name = "R"\ntimezone = "UTC"\n[[layer]]\nmembers = ["ann", "bo"]\nstart = 2027-01-04T00:00:00
every = "1w"\n[[override]]\nwho = "ann"\nstart = 2027-01-11T00:00:00\nend = 2027-01-12T05:30:00
[[override]]\nwho = "bo"\nstart = 2027-01-12T05:30:00\nend = 2027-01-12T06:30:00
[[override]]\nwho = "ann"\nstart = 2027-01-12T06:30:00\nend = 2027-01-12T20:00:00\n"""
    root = write_folder(tmp_path / "rot", {"people.toml": DUTY_PEOPLE, "r.toml": rot})
    r = cli("check", "--from", "2027-01-04T00:00Z", "--days", "14", "--dir", str(root), "--json")
    messages = {w["kind"]: w["message"] for w in json.loads(r.out)["warnings"]}
    assert messages["long-duty"] == "ann is on call for 8d 6h without a break"
    assert messages["short-rest"] == "ann gets only 1h of rest between shifts"


# ------------------------------------------------------------------ a shift's real bounds


def test_shifts_show_when_a_shift_cut_by_the_range_really_began_and_ends(cli):
    args = ("shifts", "platform", "--from", "2027-01-05T12:00Z", "--to", "2027-01-12T00:00Z", "--dir", str(BUNDLED))
    table = cli(*args, "--tz", "UTC").out
    carol = next(line for line in table.splitlines() if "carol" in line)
    assert "Mon 2027-01-04 14:00 UTC" in carol and "Mon 2027-01-11 14:00 UTC" in carol and "7d" in carol
    bob = next(line for line in table.splitlines() if "(bob)" in line)
    assert "Mon 2027-01-18 14:00 UTC" in bob  # his week runs past the range
    first, last = json.loads(cli(*args, "--json").out)
    # `start`/`end` keep their meaning (clipped to the range); `shift_start`/`shift_end` are added.
    assert (first["start"], first["shift_start"]) == ("2027-01-05T12:00:00+00:00", "2027-01-04T14:00:00+00:00")
    assert (first["end"], first["shift_end"]) == ("2027-01-11T14:00:00+00:00", "2027-01-11T14:00:00+00:00")
    assert (last["end"], last["shift_end"]) == ("2027-01-12T00:00:00+00:00", "2027-01-18T14:00:00+00:00")


def test_shifts_from_now_marks_the_current_shift_with_its_real_start(cli, use_clock):
    use_clock(FakeClock(T0))
    r = cli("shifts", "platform", "--days", "1", "--dir", str(BUNDLED), "--tz", "UTC")
    [row] = [line for line in r.out.splitlines() if "▶" in line]
    assert "carol" in row and "Mon 2027-01-04 14:00 UTC" in row
    assert "Tue 2027-01-05 12:00" not in row


def test_a_shift_bound_beyond_400_days_is_null_and_shown_as_a_dash(cli, tmp_path):
    rot = ('name = "R"\ntimezone = "UTC"\n[[layer]]\nmembers = ["ann"]\nstart = 2020-01-01T00:00:00\n'
           'every = "1w"\n[[override]]\nwho = "bo"\nstart = 2025-01-01T00:00:00\nend = 2029-01-01T00:00:00\n')
    root = write_folder(tmp_path / "rot", {"people.toml": DUTY_PEOPLE, "r.toml": rot})
    args = ("shifts", "--from", "2027-01-05T00:00Z", "--days", "2", "--dir", str(root))
    [row] = json.loads(cli(*args, "--json").out)
    assert (row["shift_start"], row["shift_end"]) == (None, None)
    assert "│ — " in cli(*args, "--tz", "UTC").out


# ------------------------------------------------------------------ warnings as stretches


def test_touching_warnings_of_one_kind_and_person_are_one_stretch(cli, tmp_path):
    """Cy, in no layer, covers three consecutive days by one override a day: one warning
    over the three days, not one a day; Cy's override a week later stays its own."""
    people = DUTY_PEOPLE + '[people.cy]\nname = "Cy"\nphone = "+14155550113"\n'
    rot = 'name = "R"\ntimezone = "UTC"\n[[layer]]\nmembers = ["ann", "bo"]\nstart = 2027-01-04T00:00:00\n' \
          'every = "1d"\n'
    for day in (5, 6, 7, 14):
        rot += f'[[override]]\nwho = "cy"\nstart = 2027-01-{day:02d}T00:00:00\nend = 2027-01-{day + 1:02d}T00:00:00\n'
    root = write_folder(tmp_path / "rot", {"people.toml": people, "r.toml": rot})
    args = ("check", "--from", "2027-01-04T00:00Z", "--days", "14", "--dir", str(root))
    outside = [(w["start"], w["end"]) for w in json.loads(cli(*args, "--json").out)["warnings"]
               if w["kind"] == "override-outside-members"]
    assert outside == [("2027-01-05T00:00:00+00:00", "2027-01-08T00:00:00+00:00"),
                       ("2027-01-14T00:00:00+00:00", "2027-01-15T00:00:00+00:00")]
    lines = [line for line in cli(*args, "--tz", "UTC").out.splitlines() if "covers an override" in line]
    assert len(lines) == 2


# ------------------------------------------------------------------ plurals


def test_plural_says_one_thing_in_the_singular():
    assert [plural(n, "rotation") for n in (0, 1, 2)] == ["0 rotations", "1 rotation", "2 rotations"]
    assert plural(1, "person", "people") == "1 person" and plural(3, "person", "people") == "3 people"


def test_check_of_one_rotation_says_one_rotation(cli):
    r = cli("check", "platform", "--from", "2027-01-01T00:00Z", "--days", "7", "--dir", str(BUNDLED), "--tz", "UTC")
    assert "1 rotation covered and reachable" in r.out
    r = cli("check", "--from", "2027-01-01T00:00Z", "--days", "7", "--dir", str(BUNDLED), "--tz", "UTC")
    assert "3 rotations covered and reachable" in r.out


def test_export_counts_one_event_in_the_singular(cli, tmp_path):
    rot = 'name = "R"\ntimezone = "UTC"\n[[layer]]\nmembers = ["ann"]\nstart = 2027-01-04T00:00:00\nevery = "2w"\n'
    root = write_folder(tmp_path / "rot", {"people.toml": DUTY_PEOPLE, "r.toml": rot})
    r = cli("export", "--from", "2027-01-04T00:00Z", "--to", "2027-01-05T00:00Z", "--dir", str(root),
            "-o", str(tmp_path / "r.ics"))
    assert r.code == 0, r.err
    assert "(1 event)" in r.err


def test_no_message_in_the_product_writes_a_plural_in_parentheses():
    """No ``rotation(s)``: every count goes through ``plural``."""
    found = []
    text = (tokenize.STRING, getattr(tokenize, "FSTRING_MIDDLE", tokenize.STRING))
    for path in sorted((ROOT / "oncall").rglob("*.py")):
        with tokenize.open(path) as f:
            for tok in tokenize.generate_tokens(f.readline):
                if tok.type in text and re.search(r"[a-z]\((s|es)\)", re.sub(r"\{[^{}]*\}", "", tok.string)):
                    found.append(f"{path.relative_to(ROOT)}:{tok.start[0]}")
    assert found == []
