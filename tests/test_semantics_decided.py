"""Issue 15 items 18-20: schedule semantics the random reference found, decided once."""

from __future__ import annotations

import json

from conftest import write_folder

from oncall.model import Window
from oncall.timeline import WEEK_MIN, parse_window

PEOPLE = """\
[people.alice]
name = "Alice"
away = [{ start = 2026-06-01T00:00:00Z, end = 2026-06-03T00:00:00Z }]

[people.bob]
name = "Bob"
phone = "+12125550102"
"""
ROTATION = """\
name = "Ops"
timezone = "UTC"
{extra}
[[layer]]
members = ["alice", "bob"]
start = 2026-06-01T00:00:00
every = "1w"
"""


def test_item_18_sun_24_00_to_mon_00_00_is_the_whole_week():
    whole = (Window(0, WEEK_MIN),)
    assert parse_window("sun 24:00 - mon 00:00") == whole
    assert parse_window("mon 00:00 - mon 00:00") == whole
    [(start, end)] = parse_window("fri 24:00 - sat 00:00")
    assert end - start == WEEK_MIN  # the whole week, from Saturday 00:00
    assert parse_window("sat 10:00 - sun 24:00") == (Window(5 * 1440 + 600, WEEK_MIN),)
    assert parse_window("sun 24:00 - mon 09:00") == (Window(0, 540),)


def test_item_18_as_coverage_sun_24_00_to_mon_00_00_requires_the_whole_week(cli, tmp_path):
    folder = write_folder(tmp_path / "d", {
        "people.toml": PEOPLE.replace("away = [", "phone = \"+14155550101\"\naway = [").replace(
            "start = 2026-06-01T00:00:00Z, end = 2026-06-03T00:00:00Z",
            "start = 2026-06-01T06:00:00Z, end = 2026-06-01T07:00:00Z"),
        "ops.toml": ROTATION.format(extra='coverage = ["sun 24:00 - mon 00:00"]\n'),
    })
    r = cli("check", "--dir", str(folder), "--from", "2026-06-01T00:00Z", "--days", "7", "--json")
    problems = json.loads(r.out)["problems"] if r.out else r.err
    # alice away 06:00-07:00 Monday, inside the coverage: the whole week is required.
    assert [(p["kind"], p["person"], p["reason"]) for p in problems] == [("unreachable", "alice", "away")]


def test_item_19_away_and_without_a_phone_is_no_phone_in_check_and_now(cli, tmp_path):
    folder = write_folder(tmp_path / "d", {"people.toml": PEOPLE, "ops.toml": ROTATION.format(extra="")})
    r = cli("check", "--dir", str(folder), "--from", "2026-06-01T00:00Z", "--days", "7", "--json")
    reasons = {p["reason"] for p in json.loads(r.out)["problems"] if p["kind"] == "unreachable"}
    assert reasons == {"no-phone"}
    now = cli("now", "--dir", str(folder), "--at", "2026-06-02T00:00Z")
    assert "⚠ no-phone" in now.out and "away" not in now.out
    [row] = json.loads(cli("now", "--dir", str(folder), "--at", "2026-06-02T00:00Z", "--json").out)
    assert row["person"] == "alice" and row["reachable"] is False


def test_item_20_an_override_inside_one_dst_gap_is_empty_not_backwards(cli, tmp_path):
    folder = write_folder(tmp_path / "d", {
        "people.toml": PEOPLE.replace("name = \"Alice\"\n", "name = \"Alice\"\nphone = \"+14155550101\"\n"),
        "ops.toml": ROTATION.format(extra="").replace('"UTC"', '"America/New_York"')
        + '\n[[override]]\nwho = "bob"\nstart = 2026-03-08T02:00:00\nend = 2026-03-08T02:30:00\n',
    })
    r = cli("check", "--dir", str(folder), "--from", "2026-06-01T00:00Z")
    assert r.code == 3
    assert "ops.toml:12: override[1].end: is empty: start and end fall in the gap the clocks skip forward" in r.err
    assert "before it starts" not in r.err


def test_item_20_an_until_in_the_start_s_dst_gap_is_empty_not_backwards(cli, tmp_path):
    folder = write_folder(tmp_path / "d", {
        "people.toml": PEOPLE.replace("name = \"Alice\"\n", "name = \"Alice\"\nphone = \"+14155550101\"\n"),
        "ops.toml": ROTATION.format(extra="").replace('"UTC"', '"America/New_York"').replace(
            "start = 2026-06-01T00:00:00", "start = 2026-03-08T02:10:00\nuntil = 2026-03-08T02:40:00"),
    })
    r = cli("check", "--dir", str(folder), "--from", "2026-06-01T00:00Z")
    assert r.code == 3
    assert "layer[1].until: is empty: start and until fall in the gap the clocks skip forward" in r.err
