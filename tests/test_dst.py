"""DST and odd-offset edge cases, one named test each, asserting exact UTC instants.

DESIGN's rules: handoff k is at wall time ``start + k * every``; a wall time that does
not exist is the instant of the jump, a repeated one is its first occurrence. Shift k
runs from handoff k to handoff k+1 (dropped when empty) and belongs to members[k % n].
"""

from __future__ import annotations

import json
from datetime import datetime, timedelta, timezone
from itertools import pairwise

from conftest import write_folder

from oncall.model import Layer
from oncall.schedule import handoff, layer_shifts
from oncall.timeline import resolve

UTC = timezone.utc
MEMBERS = ("a", "b", "c")


def layer(tz: str, start: str, every: timedelta, members=MEMBERS) -> Layer:
    return Layer("l", members, datetime.fromisoformat(start), every, tz)


def z(text: str) -> datetime:
    return datetime.fromisoformat(text.replace("Z", "+00:00"))


def shifts(lay: Layer, start: str, end: str) -> list[tuple[str, str, str]]:
    """The layer's shifts in [start, end) as ("MM-DDTHH:MMZ", "MM-DDTHH:MMZ", member)."""
    fmt = "%Y-%m-%dT%H:%MZ"
    n = len(lay.members)
    return [(a.strftime(fmt), b.strftime(fmt), lay.members[k % n]) for a, b, k in layer_shifts(lay, z(start), z(end))]


def hours(a: datetime, b: datetime) -> float:
    return (b - a).total_seconds() / 3600


def assert_tiles(rows: list[tuple[str, str, str]], start: str, end: str) -> None:
    """Consecutive, positive, no overlap, from ``start`` to ``end``: every instant once."""
    assert rows[0][0] == start and rows[-1][1] == end
    for (a, b, _), (c, _, _) in pairwise(rows):
        assert a < b == c


# --- New York ---------------------------------------------------------------------------

def test_new_york_weekly_monday_0900_spring_week_is_167_hours():
    weekly = layer("America/New_York", "2026-01-05T09:00", timedelta(weeks=1))
    assert shifts(weekly, "2026-03-02T14:00Z", "2026-03-16T13:00Z") == [
        ("2026-03-02T14:00Z", "2026-03-09T13:00Z", "c"),  # 09:00 EST -> 09:00 EDT
        ("2026-03-09T13:00Z", "2026-03-16T13:00Z", "a"),
    ]
    assert hours(handoff(weekly, 8), handoff(weekly, 9)) == 167


def test_new_york_weekly_monday_0900_autumn_week_is_169_hours():
    weekly = layer("America/New_York", "2026-01-05T09:00", timedelta(weeks=1))
    assert shifts(weekly, "2026-10-26T13:00Z", "2026-11-09T14:00Z") == [
        ("2026-10-26T13:00Z", "2026-11-02T14:00Z", "a"),  # k=42, 09:00 EDT -> 09:00 EST
        ("2026-11-02T14:00Z", "2026-11-09T14:00Z", "b"),
    ]
    assert hours(handoff(weekly, 42), handoff(weekly, 43)) == 169


def test_new_york_daily_handoff_at_a_missing_wall_time_is_the_instant_of_the_jump():
    # 02:30 does not exist on 2026-03-08: the handoff is at 03:00 EDT, 07:00 UTC.
    daily = layer("America/New_York", "2026-03-06T02:30", timedelta(days=1))
    assert resolve(datetime(2026, 3, 8, 2, 30), daily.tz) == z("2026-03-08T07:00Z")
    assert shifts(daily, "2026-03-06T07:30Z", "2026-03-10T06:30Z") == [
        ("2026-03-06T07:30Z", "2026-03-07T07:30Z", "a"),
        ("2026-03-07T07:30Z", "2026-03-08T07:00Z", "b"),  # 23.5 h
        ("2026-03-08T07:00Z", "2026-03-09T06:30Z", "c"),  # 23.5 h
        ("2026-03-09T06:30Z", "2026-03-10T06:30Z", "a"),
    ]


def test_new_york_30_minute_rotation_through_the_repeated_hour():
    # 01:00-02:00 happens twice on 2026-11-01 (EDT, then EST). 01:30 is its first
    # occurrence (05:30 UTC) and the next handoff is 02:00 EST (07:00 UTC): that shift
    # is 90 minutes, covering the repeated hour's second half and its replay once.
    rot = layer("America/New_York", "2026-11-01T00:00", timedelta(minutes=30))
    assert resolve(datetime(2026, 11, 1, 1, 30), rot.tz) == z("2026-11-01T05:30Z")
    rows = shifts(rot, "2026-11-01T04:00Z", "2026-11-01T08:00Z")
    assert rows == [
        ("2026-11-01T04:00Z", "2026-11-01T04:30Z", "a"),  # 00:00 EDT
        ("2026-11-01T04:30Z", "2026-11-01T05:00Z", "b"),  # 00:30 EDT
        ("2026-11-01T05:00Z", "2026-11-01T05:30Z", "c"),  # 01:00 EDT
        ("2026-11-01T05:30Z", "2026-11-01T07:00Z", "a"),  # 01:30 EDT .. 02:00 EST
        ("2026-11-01T07:00Z", "2026-11-01T07:30Z", "b"),  # 02:00 EST
        ("2026-11-01T07:30Z", "2026-11-01T08:00Z", "c"),
    ]
    assert_tiles(rows, "2026-11-01T04:00Z", "2026-11-01T08:00Z")


def test_new_york_range_starting_in_the_second_occurrence_of_the_repeated_hour():
    # 06:15 UTC is 01:15 EST, the replay: its wall clock says the 01:00 shift, but the
    # 01:30 EDT handoff (05:30 UTC) has already happened, so it is inside that shift.
    rot = layer("America/New_York", "2026-11-01T00:00", timedelta(minutes=30))
    assert shifts(rot, "2026-11-01T06:15Z", "2026-11-01T07:30Z") == [
        ("2026-11-01T06:15Z", "2026-11-01T07:00Z", "a"),
        ("2026-11-01T07:00Z", "2026-11-01T07:30Z", "b"),
    ]


def test_new_york_30_minute_rotation_through_the_missing_hour_keeps_turning():
    # 02:00 and 02:30 do not exist on 2026-03-08: both resolve to 07:00 UTC, so the
    # 02:00 shift is empty and dropped; the 02:30 shift runs 07:00-07:00 (empty) too.
    rot = layer("America/New_York", "2026-03-08T00:00", timedelta(minutes=30))
    rows = shifts(rot, "2026-03-08T06:00Z", "2026-03-08T08:00Z")
    assert rows == [
        ("2026-03-08T06:00Z", "2026-03-08T06:30Z", "c"),  # k=2, 01:00 EST
        ("2026-03-08T06:30Z", "2026-03-08T07:00Z", "a"),  # k=3, 01:30 EST
        ("2026-03-08T07:00Z", "2026-03-08T07:30Z", "a"),  # k=6, 03:00 EDT (k=4, 5 empty)
        ("2026-03-08T07:30Z", "2026-03-08T08:00Z", "b"),
    ]
    assert_tiles(rows, "2026-03-08T06:00Z", "2026-03-08T08:00Z")


# --- Sydney -------------------------------------------------------------------------------

def test_sydney_april_change_daily_handoff_in_the_repeated_hour_and_a_169_hour_week():
    # 2026-04-05 03:00 AEDT -> 02:00 AEST: 02:30 happens twice, the first is 15:30 UTC.
    daily = layer("Australia/Sydney", "2026-04-01T02:30", timedelta(days=1))
    assert shifts(daily, "2026-04-03T15:30Z", "2026-04-06T16:30Z") == [
        ("2026-04-03T15:30Z", "2026-04-04T15:30Z", "a"),
        ("2026-04-04T15:30Z", "2026-04-05T16:30Z", "b"),  # 25 h
        ("2026-04-05T16:30Z", "2026-04-06T16:30Z", "c"),
    ]
    weekly = layer("Australia/Sydney", "2026-01-05T09:00", timedelta(weeks=1))
    assert shifts(weekly, "2026-03-29T22:00Z", "2026-04-12T23:00Z") == [
        ("2026-03-29T22:00Z", "2026-04-05T23:00Z", "a"),  # 169 h
        ("2026-04-05T23:00Z", "2026-04-12T23:00Z", "b"),
    ]


def test_sydney_october_change_daily_handoff_at_a_missing_time_and_a_167_hour_week():
    # 2026-10-04 02:00 AEST -> 03:00 AEDT: 02:30 does not exist, the jump is 16:00 UTC.
    daily = layer("Australia/Sydney", "2026-10-01T02:30", timedelta(days=1))
    assert shifts(daily, "2026-10-02T16:30Z", "2026-10-05T15:30Z") == [
        ("2026-10-02T16:30Z", "2026-10-03T16:00Z", "c"),  # 23.5 h
        ("2026-10-03T16:00Z", "2026-10-04T15:30Z", "a"),  # 23.5 h
        ("2026-10-04T15:30Z", "2026-10-05T15:30Z", "b"),
    ]
    weekly = layer("Australia/Sydney", "2026-01-05T09:00", timedelta(weeks=1))
    assert shifts(weekly, "2026-09-27T23:00Z", "2026-10-11T22:00Z") == [
        ("2026-09-27T23:00Z", "2026-10-04T22:00Z", "c"),  # 167 h
        ("2026-10-04T22:00Z", "2026-10-11T22:00Z", "a"),
    ]


# --- Lord Howe: a 30-minute DST change ----------------------------------------------------

def test_lord_howe_april_repeats_half_an_hour():
    # 2026-04-05 02:00 +11 -> 01:30 +10:30: 01:30-02:00 happens twice.
    rot = layer("Australia/Lord_Howe", "2026-04-04T01:00", timedelta(minutes=30))
    rows = shifts(rot, "2026-04-04T13:30Z", "2026-04-04T16:00Z")
    assert rows == [
        ("2026-04-04T13:30Z", "2026-04-04T14:00Z", "c"),  # 00:30 +11
        ("2026-04-04T14:00Z", "2026-04-04T14:30Z", "a"),  # 01:00 +11
        ("2026-04-04T14:30Z", "2026-04-04T15:30Z", "b"),  # 01:30 +11 .. 02:00 +10:30: 1 h
        ("2026-04-04T15:30Z", "2026-04-04T16:00Z", "c"),  # 02:00 +10:30
    ]
    assert_tiles(rows, "2026-04-04T13:30Z", "2026-04-04T16:00Z")


def test_lord_howe_october_skips_half_an_hour():
    # 2026-10-04 02:00 +10:30 -> 02:30 +11: 02:00 does not exist and is 15:30 UTC,
    # the same instant as 02:30, so the 02:00 shift is empty and dropped.
    rot = layer("Australia/Lord_Howe", "2026-10-03T01:00", timedelta(minutes=30))
    assert resolve(datetime(2026, 10, 4, 2, 0), rot.tz) == z("2026-10-03T15:30Z")
    rows = shifts(rot, "2026-10-03T14:30Z", "2026-10-03T16:30Z")
    assert rows == [
        ("2026-10-03T14:30Z", "2026-10-03T15:00Z", "a"),  # k=48, 01:00 +10:30
        ("2026-10-03T15:00Z", "2026-10-03T15:30Z", "b"),  # k=49, 01:30 +10:30
        ("2026-10-03T15:30Z", "2026-10-03T16:00Z", "a"),  # k=51, 02:30 +11 (k=50 empty)
        ("2026-10-03T16:00Z", "2026-10-03T16:30Z", "b"),
    ]


# --- Odd offsets ------------------------------------------------------------------------------

def test_kathmandu_plus_0545():
    rot = layer("Asia/Kathmandu", "2026-01-05T09:00", timedelta(hours=8))
    assert shifts(rot, "2026-01-05T00:00Z", "2026-01-06T03:15Z") == [
        ("2026-01-05T03:15Z", "2026-01-05T11:15Z", "a"),
        ("2026-01-05T11:15Z", "2026-01-05T19:15Z", "b"),
        ("2026-01-05T19:15Z", "2026-01-06T03:15Z", "c"),
    ]


def test_kolkata_plus_0530():
    rot = layer("Asia/Kolkata", "2026-01-05T09:00", timedelta(hours=12))
    assert shifts(rot, "2026-01-05T00:00Z", "2026-01-06T15:30Z") == [
        ("2026-01-05T03:30Z", "2026-01-05T15:30Z", "a"),
        ("2026-01-05T15:30Z", "2026-01-06T03:30Z", "b"),
        ("2026-01-06T03:30Z", "2026-01-06T15:30Z", "c"),
    ]


# --- Apia skipped 2011-12-30 ---------------------------------------------------------------

def test_apia_daily_handoff_on_the_skipped_day_resolves_to_the_jump():
    # Samoa went from -10 to +14 at the end of 2011-12-29: 2011-12-30 never happened
    # there. Its 12:00 handoff is the jump instant, 2011-12-30 10:00 UTC.
    daily = layer("Pacific/Apia", "2011-12-28T12:00", timedelta(days=1))
    assert handoff(daily, 2) == z("2011-12-30T10:00Z")
    rows = shifts(daily, "2011-12-28T22:00Z", "2012-01-01T22:00Z")
    assert rows == [
        ("2011-12-28T22:00Z", "2011-12-29T22:00Z", "a"),
        ("2011-12-29T22:00Z", "2011-12-30T10:00Z", "b"),  # 12 h: up to the jump
        ("2011-12-30T10:00Z", "2011-12-30T22:00Z", "c"),  # 12 h: to 12:00 on the 31st
        ("2011-12-30T22:00Z", "2011-12-31T22:00Z", "a"),
        ("2011-12-31T22:00Z", "2012-01-01T22:00Z", "b"),
    ]
    assert_tiles(rows, "2011-12-28T22:00Z", "2012-01-01T22:00Z")


def test_apia_midnight_handoff_on_the_skipped_day_is_an_empty_shift():
    # 2011-12-30 00:00 and 2011-12-31 00:00 are the same instant: that shift (member c)
    # is empty and dropped; no shift has a negative length.
    daily = layer("Pacific/Apia", "2011-12-27T00:00", timedelta(days=1))
    assert handoff(daily, 3) == handoff(daily, 4) == z("2011-12-30T10:00Z")
    rows = shifts(daily, "2011-12-28T10:00Z", "2011-12-31T10:00Z")
    assert rows == [
        ("2011-12-28T10:00Z", "2011-12-29T10:00Z", "b"),
        ("2011-12-29T10:00Z", "2011-12-30T10:00Z", "c"),
        ("2011-12-30T10:00Z", "2011-12-31T10:00Z", "b"),  # k=4; k=3 (a) was empty
    ]


# --- London -----------------------------------------------------------------------------------

def test_london_weekly_handoff_across_both_changes():
    weekly = layer("Europe/London", "2026-01-05T09:00", timedelta(weeks=1))
    assert shifts(weekly, "2026-03-23T09:00Z", "2026-04-06T08:00Z") == [
        ("2026-03-23T09:00Z", "2026-03-30T08:00Z", "c"),  # GMT -> BST: 167 h
        ("2026-03-30T08:00Z", "2026-04-06T08:00Z", "a"),
    ]
    assert shifts(weekly, "2026-10-19T08:00Z", "2026-11-02T09:00Z") == [
        ("2026-10-19T08:00Z", "2026-10-26T09:00Z", "c"),  # BST -> GMT: 169 h
        ("2026-10-26T09:00Z", "2026-11-02T09:00Z", "a"),
    ]


def test_london_daily_0130_handoff_on_both_change_days():
    daily = layer("Europe/London", "2026-03-25T01:30", timedelta(days=1))
    # 2026-03-29: 01:00 GMT -> 02:00 BST, 01:30 does not exist: the jump, 01:00 UTC.
    assert shifts(daily, "2026-03-28T01:30Z", "2026-03-30T00:30Z") == [
        ("2026-03-28T01:30Z", "2026-03-29T01:00Z", "a"),
        ("2026-03-29T01:00Z", "2026-03-30T00:30Z", "b"),
    ]
    daily = layer("Europe/London", "2026-10-22T01:30", timedelta(days=1))
    # 2026-10-25: 02:00 BST -> 01:00 GMT, 01:30 happens twice: the first, 00:30 UTC.
    assert shifts(daily, "2026-10-24T00:30Z", "2026-10-26T01:30Z") == [
        ("2026-10-24T00:30Z", "2026-10-25T00:30Z", "c"),
        ("2026-10-25T00:30Z", "2026-10-26T01:30Z", "a"),  # 25 h
    ]


# --- The same instants through the CLI -------------------------------------------------------

def test_shifts_json_shows_the_new_york_167_and_169_hour_weeks(cli, tmp_path):
    folder = write_folder(tmp_path / "d", {
        "people.toml": "[people.a]\nname='A'\n[people.b]\nname='B'\n[people.c]\nname='C'\n",
        "platform.toml": 'timezone = "America/New_York"\n[[layer]]\nname = "weekly"\n'
                         'members = ["a", "b", "c"]\nstart = 2026-01-05T09:00:00\nevery = "1w"\n',
    })
    r = cli("shifts", "--dir", str(folder), "--from", "2026-03-02T14:00Z", "--to", "2026-11-09T14:00Z", "--json")
    assert r.code == 0, r.err
    rows = json.loads(r.out)
    edges = [(s["start"], s["end"]) for s in rows]
    assert ("2026-03-02T14:00:00+00:00", "2026-03-09T13:00:00+00:00") in edges
    assert ("2026-10-26T13:00:00+00:00", "2026-11-02T14:00:00+00:00") in edges
    assert all(s["end"] == t["start"] for s, t in pairwise(rows))
    assert len(rows) == 36
