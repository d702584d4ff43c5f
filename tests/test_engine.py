"""The schedule engine through the real commands: restrictions, precedence, overrides,
``until``, gaps, and the agreement between ``now`` and ``shifts``. Every instant is fixed
and every assertion names exact UTC instants."""

from __future__ import annotations

import json
from datetime import datetime, timedelta, timezone
from pathlib import Path

import pytest
from conftest import write_folder

from oncall.load import load_directory
from oncall.schedule import final_schedule, on_call
from oncall.timeline import resolve

UTC = timezone.utc

PEOPLE = """\
[people.alice]
name = "Alice"
phone = "+14155550101"
[people.bob]
name = "Bob"
phone = "+12125550102"
[people.carol]
name = "Carol"
phone = "+12065550103"
[people.dave]
name = "Dave"
phone = "+13125550104"
"""


def folder(tmp_path: Path, **rotations: str) -> str:
    files = {"people.toml": PEOPLE} | {f"{rid}.toml": body for rid, body in rotations.items()}
    return str(write_folder(tmp_path / "data", files))


def z(text: str) -> datetime:
    return datetime.fromisoformat(text.replace("Z", "+00:00"))


def iso(text: str) -> str:
    """'2026-01-05T14:00Z' -> the JSON form '2026-01-05T14:00:00+00:00'."""
    return z(text).isoformat()


def segments(cli, data: str, start: str, end: str, *extra: str) -> list[tuple[str, str, str, str]]:
    r = cli("shifts", "--dir", data, "--from", start, "--to", end, "--json", *extra)
    assert r.code == 0, r.err
    return [(s["person"], s["start"], s["end"], s["source"]) for s in json.loads(r.out)]


def seg(person: str, start: str, end: str, source: str) -> tuple[str, str, str, str]:
    return (person, iso(start), iso(end), source)


def check_json(cli, data: str, start: str, end: str) -> tuple[int, dict]:
    r = cli("check", "--dir", data, "--from", start, "--to", end, "--json")
    assert r.code in (0, 1), r.err
    return r.code, json.loads(r.out)


def gaps_of(report: dict) -> list[tuple[str, str]]:
    return [(p["start"], p["end"]) for p in report["problems"] if p["kind"] == "gap"]


# --- Restrictions ---------------------------------------------------------------------------

NIGHTS = """\
timezone = "Europe/Berlin"
[[layer]]
name = "nights"
members = ["alice", "bob"]
start = 2026-01-05T00:00:00
every = "1d"
only = ["daily 22:00-06:00"]
"""


def test_window_that_wraps_midnight(cli, tmp_path):
    # Berlin is UTC+1 in January: 22:00-06:00 is 21:00-05:00 UTC. The daily handoff at
    # midnight (23:00 UTC) falls inside the window, so each night is two people's.
    data = folder(tmp_path, nights=NIGHTS)
    assert segments(cli, data, "2026-01-04T12:00Z", "2026-01-07T00:00Z") == [
        seg("alice", "2026-01-04T23:00Z", "2026-01-05T05:00Z", "layer:nights"),  # the layer starts
        seg("alice", "2026-01-05T21:00Z", "2026-01-05T23:00Z", "layer:nights"),
        seg("bob", "2026-01-05T23:00Z", "2026-01-06T05:00Z", "layer:nights"),
        seg("bob", "2026-01-06T21:00Z", "2026-01-06T23:00Z", "layer:nights"),
        seg("alice", "2026-01-06T23:00Z", "2026-01-07T00:00Z", "layer:nights"),
    ]


def test_window_that_wraps_midnight_across_a_dst_change(cli, tmp_path):
    # 2026-03-29 02:00 CET -> 03:00 CEST: that night is 7 hours, 21:00 to 04:00 UTC.
    data = folder(tmp_path, nights=NIGHTS.replace('"1d"', '"1w"'))
    assert segments(cli, data, "2026-03-28T12:00Z", "2026-03-30T12:00Z") == [
        seg("bob", "2026-03-28T21:00Z", "2026-03-29T04:00Z", "layer:nights"),  # 7 h
        seg("bob", "2026-03-29T20:00Z", "2026-03-29T22:00Z", "layer:nights"),  # 22:00-00:00 CEST
        seg("alice", "2026-03-29T22:00Z", "2026-03-30T04:00Z", "layer:nights"),  # weekly handoff
    ]


def test_window_across_days_friday_evening_to_monday_morning(cli, tmp_path):
    data = folder(tmp_path, weekend="""\
timezone = "America/New_York"
[[layer]]
name = "weekend"
members = ["carol", "dave"]
start = 2026-01-02T17:00:00
every = "1w"
only = ["fri 17:00 - mon 09:00"]
""")
    # Fri 2026-01-09 17:00 EST is 22:00 UTC; Mon 09:00 EST is 14:00 UTC.
    assert segments(cli, data, "2026-01-05T00:00Z", "2026-01-19T00:00Z") == [
        seg("carol", "2026-01-05T00:00Z", "2026-01-05T14:00Z", "layer:weekend"),
        seg("dave", "2026-01-09T22:00Z", "2026-01-12T14:00Z", "layer:weekend"),
        seg("carol", "2026-01-16T22:00Z", "2026-01-19T00:00Z", "layer:weekend"),
    ]


FOLLOW_THE_SUN = """\
timezone = "UTC"

[[layer]]
name = "sydney"
timezone = "Australia/Sydney"
members = ["alice"]
start = 2026-01-05T07:00:00
every = "1d"
only = ["daily 07:00-15:00"]

[[layer]]
name = "london"
timezone = "Europe/London"
members = ["bob"]
start = 2026-01-05T04:00:00
every = "1d"
only = ["daily 04:00-12:00"]

[[layer]]
name = "new-york"
timezone = "America/New_York"
members = ["carol"]
start = 2026-01-05T07:00:00
every = "1d"
only = ["daily 07:00-15:00"]
"""


def test_follow_the_sun_tiles_in_january(cli, tmp_path):
    # January UTC: London 04-12 (GMT), New York 12-20 (EST), Sydney 20-04 (AEDT).
    data = folder(tmp_path, sun=FOLLOW_THE_SUN)
    assert segments(cli, data, "2026-01-13T00:00Z", "2026-01-14T00:00Z") == [
        seg("alice", "2026-01-13T00:00Z", "2026-01-13T04:00Z", "layer:sydney"),
        seg("bob", "2026-01-13T04:00Z", "2026-01-13T12:00Z", "layer:london"),
        seg("carol", "2026-01-13T12:00Z", "2026-01-13T20:00Z", "layer:new-york"),
        seg("alice", "2026-01-13T20:00Z", "2026-01-14T00:00Z", "layer:sydney"),
    ]
    assert check_json(cli, data, "2026-01-05T00:00Z", "2026-02-01T00:00Z") == (0, {"problems": [], "warnings": []})


def test_follow_the_sun_leaves_a_gap_once_the_clocks_change(cli, tmp_path):
    data = folder(tmp_path, sun=FOLLOW_THE_SUN)
    # Mid-March only New York has moved (EDT, 11-19 UTC): one hour uncovered, 19-20 UTC.
    code, report = check_json(cli, data, "2026-03-16T00:00Z", "2026-03-17T00:00Z")
    assert code == 1
    assert gaps_of(report) == [(iso("2026-03-16T19:00Z"), iso("2026-03-16T20:00Z"))]
    # In April all three have moved: London 03-11 (BST), New York 11-19 (EDT), Sydney 21-05
    # (AEST): two hours uncovered each day, 19-21 UTC.
    code, report = check_json(cli, data, "2026-04-13T00:00Z", "2026-04-15T00:00Z")
    assert code == 1
    assert report["problems"] == [
        {"rotation": "sun", "kind": "gap", "start": iso("2026-04-13T19:00Z"), "end": iso("2026-04-13T21:00Z")},
        {"rotation": "sun", "kind": "gap", "start": iso("2026-04-14T19:00Z"), "end": iso("2026-04-14T21:00Z")},
    ]


# --- Precedence, overrides, until ---------------------------------------------------------------

UTC_ZONE = 'timezone = "UTC"\n'

BASE = """
[[layer]]
name = "base"
members = ["alice"]
start = 2026-01-05T00:00:00
every = "1w"
"""

DAYTIME = """
[[layer]]
name = "day"
members = ["bob"]
start = 2026-01-05T00:00:00
every = "1w"
only = ["mon-fri 09:00-17:00"]
"""


def test_later_layer_wins_where_it_covers(cli, tmp_path):
    data = folder(tmp_path, r=UTC_ZONE + BASE + DAYTIME)
    assert segments(cli, data, "2026-01-09T00:00Z", "2026-01-12T12:00Z") == [  # Fri .. Mon
        seg("alice", "2026-01-09T00:00Z", "2026-01-09T09:00Z", "layer:base"),
        seg("bob", "2026-01-09T09:00Z", "2026-01-09T17:00Z", "layer:day"),
        seg("alice", "2026-01-09T17:00Z", "2026-01-12T00:00Z", "layer:base"),
        seg("alice", "2026-01-12T00:00Z", "2026-01-12T09:00Z", "layer:base"),  # next weekly shift
        seg("bob", "2026-01-12T09:00Z", "2026-01-12T12:00Z", "layer:day"),
    ]


def test_an_earlier_layer_is_hidden_under_a_later_24_7_one(cli, tmp_path):
    data = folder(tmp_path, r=UTC_ZONE + DAYTIME + BASE)
    assert segments(cli, data, "2026-01-09T00:00Z", "2026-01-10T00:00Z") == [
        seg("alice", "2026-01-09T00:00Z", "2026-01-10T00:00Z", "layer:base"),
    ]


def test_overlapping_overrides_the_later_in_the_file_wins(cli, tmp_path):
    overrides = """
[[override]]
who = "dave"
start = 2026-01-07T12:00:00
end = 2026-01-07T16:00:00

[[override]]
who = "carol"
start = 2026-01-07T10:00:00
end = 2026-01-07T14:00:00
"""
    data = folder(tmp_path, r=UTC_ZONE + BASE + overrides)
    assert segments(cli, data, "2026-01-07T08:00Z", "2026-01-07T18:00Z") == [
        seg("alice", "2026-01-07T08:00Z", "2026-01-07T10:00Z", "layer:base"),
        seg("carol", "2026-01-07T10:00Z", "2026-01-07T14:00Z", "override"),  # written later: wins
        seg("dave", "2026-01-07T14:00Z", "2026-01-07T16:00Z", "override"),
        seg("alice", "2026-01-07T16:00Z", "2026-01-07T18:00Z", "layer:base"),
    ]
    _, report = check_json(cli, data, "2026-01-07T00:00Z", "2026-01-08T00:00Z")
    assert report["problems"] == []
    overlap = [w for w in report["warnings"] if w["kind"] == "overlapping-overrides"]
    assert [(w["start"], w["end"]) for w in overlap] == [(iso("2026-01-07T12:00Z"), iso("2026-01-07T14:00Z"))]


def test_a_layer_ending_with_until_hands_over_to_the_next_version(cli, tmp_path):
    # Version 1 ends (exclusive) at Monday 09:00 New York; version 2 starts then, with a
    # new member, and the weekly handoff carries on at Monday 09:00.
    data = folder(tmp_path, r="""\
timezone = "America/New_York"

[[layer]]
name = "v1"
members = ["alice", "bob"]
start = 2026-01-05T09:00:00
every = "1w"
until = 2026-06-01T09:00:00

[[layer]]
name = "v2"
members = ["carol", "alice", "bob"]
start = 2026-06-01T09:00:00
every = "1w"
""")
    assert segments(cli, data, "2026-05-25T13:00Z", "2026-06-15T13:00Z") == [
        seg("alice", "2026-05-25T13:00Z", "2026-06-01T13:00Z", "layer:v1"),  # k=20 of v1
        seg("carol", "2026-06-01T13:00Z", "2026-06-08T13:00Z", "layer:v2"),
        seg("alice", "2026-06-08T13:00Z", "2026-06-15T13:00Z", "layer:v2"),
    ]
    assert check_json(cli, data, "2026-05-01T00:00Z", "2026-07-01T00:00Z") == (0, {"problems": [], "warnings": []})
    r = cli("now", "--dir", data, "--at", "2026-06-01T12:59Z", "--json")
    [row] = json.loads(r.out)
    assert (row["person"], row["end"], row["next"]) == (
        "alice", iso("2026-06-01T13:00Z"), {"person": "carol", "start": iso("2026-06-01T13:00Z")})


# --- now --------------------------------------------------------------------------------------

def test_now_in_a_gap_names_nobody_and_who_comes_next(cli, tmp_path):
    data = folder(tmp_path, r=UTC_ZONE + DAYTIME)
    r = cli("now", "--dir", data, "--at", "2026-01-10T12:00Z", "--json")  # a Saturday
    assert r.code == 0, r.err
    assert json.loads(r.out) == [{
        "rotation": "r", "person": None, "source": None, "reachable": False, "in_coverage": True,
        "start": iso("2026-01-09T17:00Z"), "end": iso("2026-01-12T09:00Z"),
        "next": {"person": "bob", "start": iso("2026-01-12T09:00Z")},
    }]
    r = cli("now", "--dir", data, "--at", "2026-01-10T12:00Z", "--tz", "UTC")
    assert "NO ONE ON CALL" in r.out


ROTATION_AT = ["2026-01-05T13:59Z", "2026-01-05T14:00Z", "2026-01-07T11:00Z", "2026-01-07T15:30Z",
               "2026-01-09T21:00Z", "2026-03-08T07:00Z", "2026-11-01T06:30Z"]


@pytest.mark.parametrize("at", ROTATION_AT)
def test_now_agrees_with_the_shifts_segment_at_the_same_instant(cli, tmp_path, at):
    data = folder(tmp_path, r="""\
timezone = "America/New_York"
[[layer]]
name = "week"
members = ["alice", "bob"]
start = 2026-01-05T09:00:00
every = "1w"
[[layer]]
name = "day"
members = ["carol", "dave"]
start = 2026-01-05T09:00:00
every = "1d"
only = ["mon-fri 09:00-17:00"]
[[override]]
who = "bob"
start = 2026-01-07T10:00:00
end = 2026-01-07T11:00:00
""")
    t = z(at)
    r = cli("now", "--dir", data, "--at", at, "--json")
    [now] = json.loads(r.out)
    rows = json.loads(cli("shifts", "--dir", data, "--from", at, "--to", (t + timedelta(seconds=1)).isoformat(),
                          "--json").out)
    if now["person"] is None:  # a gap: shifts --json lists no segment there
        assert rows == []
        return
    [current] = rows  # the one segment containing `at`, clipped to [at, at + 1s)
    assert (now["person"], now["source"]) == (current["person"], current["source"])
    # `now` reports the person's whole stretch, which contains that segment.
    assert z(now["start"]) <= t < z(now["end"])


def test_shifts_person_lists_only_that_persons_segments(cli, tmp_path):
    data = folder(tmp_path, r=UTC_ZONE + BASE + DAYTIME)
    everyone = segments(cli, data, "2026-01-05T00:00Z", "2026-01-12T00:00Z")
    bob = segments(cli, data, "2026-01-05T00:00Z", "2026-01-12T00:00Z", "--person", "bob")
    assert bob == [s for s in everyone if s[0] == "bob"]
    assert len(bob) == 5
    r = cli("shifts", "--dir", data, "--person", "bobby", "--from", "2026-01-05T00:00Z")
    assert r.code == 4 and "did you mean 'bob'" in r.err


def test_tz_changes_how_times_are_shown_not_which_instants(cli, tmp_path):
    data = folder(tmp_path, r=UTC_ZONE + BASE + DAYTIME)
    utc = json.loads(cli("shifts", "--dir", data, "--from", "2026-01-05T00:00Z", "--days", "1", "--json").out)
    r = cli("shifts", "--dir", data, "--from", "2026-01-05T00:00Z", "--days", "1", "--json", "--tz", "Asia/Kathmandu")
    shown = json.loads(r.out)
    assert shown[1]["start"] == "2026-01-05T14:45:00+05:45"
    assert [(z(s["start"]), z(s["end"])) for s in shown] == [(z(s["start"]), z(s["end"])) for s in utc]
    r = cli("shifts", "--dir", data, "--from", "2026-01-05T00:00Z", "--days", "1", "--tz", "America/New_York")
    assert "Mon 2026-01-05 04:00 EST" in r.out  # bob's 09:00 UTC start
    # A --from without an offset is read in --tz: 09:00 in Kolkata is 03:30 UTC.
    r = cli("shifts", "--dir", data, "--from", "2026-01-05T09:00", "--days", "1", "--json", "--tz", "Asia/Kolkata")
    assert json.loads(r.out)[0]["start"] == "2026-01-05T09:00:00+05:30"


# --- Far future --------------------------------------------------------------------------------

def brute_force_on_call(data: str, rid: str, t: datetime) -> str:
    """Who a single unrestricted layer has on call at ``t``, walking every handoff from start."""
    layer = load_directory(data).rotations[rid].layers[0]
    k, wall = 0, layer.start
    while resolve(wall + layer.every, layer.tz) <= t:
        wall += layer.every
        k += 1
    return layer.members[k % len(layer.members)]


@pytest.mark.parametrize(("zone", "every"), [("America/New_York", "1w"), ("Australia/Lord_Howe", "1w3d")])
def test_a_query_in_the_year_2400_matches_a_walk_from_start(cli, tmp_path, zone, every):
    data = folder(tmp_path, far=f"""\
timezone = "{zone}"
[[layer]]
name = "l"
members = ["alice", "bob", "carol"]
start = 2026-01-05T09:00:00
every = "{every}"
""")
    for at in ("2400-01-03T12:00Z", "2400-07-01T00:00Z"):
        r = cli("now", "--dir", data, "--at", at, "--json")
        assert r.code == 0, r.err
        [row] = json.loads(r.out)
        assert row["person"] == brute_force_on_call(data, "far", z(at))
        assert z(row["start"]) <= z(at) < z(row["end"])
        # The stretch is one shift: its edges are handoffs at 09:00 local wall time.
        assert z(row["start"]).astimezone(load_directory(data).rotations["far"].tz).strftime("%H:%M") == "09:00"


def test_engine_far_future_range_is_a_few_segments_not_a_walk(tmp_path):
    data = folder(tmp_path, r=UTC_ZONE + BASE + DAYTIME)
    rot = load_directory(data).rotations["r"]
    segs = final_schedule(rot, z("2400-01-03T00:00Z"), z("2400-01-10T00:00Z"))  # Mon .. Mon
    assert [(s.person, s.start.isoformat()) for s in segs if s.person == "bob"] == [
        ("bob", f"2400-01-0{d}T09:00:00+00:00") for d in range(3, 8)]
    assert on_call(rot, z("2400-01-08T12:00Z")).person == "alice"
