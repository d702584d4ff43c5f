"""``oncall report``: numbers checked by hand across a DST change, and the balance score."""

from __future__ import annotations

import json

import pytest
from conftest import write_folder

from oncall.fairness import balance

PEOPLE = """
[people.ann]
name = "Ann"
phone = "+14155550101"
timezone = "America/New_York"
[people.ben]
name = "Ben"
phone = "+14155550102"
timezone = "Europe/London"
[people.cat]
name = "Cat"
phone = "+14155550103"
"""

# Daily 09:00 New York handoffs; New York springs forward on Sunday 2026-03-08.
DST = """
timezone = "America/New_York"
[[layer]]
name = "daily"
members = ["ann", "ben"]
start = 2026-03-05T09:00:00
every = "1d"
"""


def report(cli, root, *args):
    r = cli("report", "--dir", str(root), *args, "--json")
    assert r.code == 0, r.err
    return json.loads(r.out)


def test_hand_computed_numbers_across_spring_forward(cli, tmp_path):
    root = write_folder(tmp_path, {"people.toml": PEOPLE, "dst.toml": DST})
    # Sat 7 March 09:00 EST to Mon 9 March 09:00 EDT: 47 real hours.
    body = report(cli, root, "--from", "2026-03-07T14:00Z", "--to", "2026-03-09T13:00Z")
    people = {p["person"]: p for p in body["people"]}
    # ann, Sat 09:00 EST -> Sun 09:00 EDT = 23 h, all of it weekend in New York; her night
    # is Sat 22:00 EST -> Sun 06:00 EDT = 7 real hours.
    assert people["ann"] == {"person": "ann", "hours": 23, "night_hours": 7, "weekend_hours": 23,
                             "shifts": 1, "longest_hours": 23}
    # ben lives in London (GMT then): Sun 13:00Z -> Mon 13:00Z = 24 h; his weekend ends at
    # Mon 00:00 GMT (11 h), his night is 22:00-06:00 GMT (8 h).
    assert people["ben"] == {"person": "ben", "hours": 24, "night_hours": 8, "weekend_hours": 11,
                             "shifts": 1, "longest_hours": 24}
    [rot] = body["rotations"]
    assert rot == {"rotation": "dst", "coverage_percent": 100, "balance": round(23 / 24, 3),
                   "mean_hours": 23.5, "overloaded": [], "hours": {"ann": 23, "ben": 24}}
    assert (body["start"], body["end"]) == ("2026-03-07T14:00:00+00:00", "2026-03-09T13:00:00+00:00")


@pytest.mark.parametrize("hours, expected", [
    ([], 1.0), ([40], 1.0), ([0], 1.0),  # fewer than two people: nothing to compare
    ([0, 0], 1.0),  # two zeros are equal
    ([0, 10], 0.0),  # someone with zero hours
    ([10, 10, 0], 1 / 3),  # pairs: 1, 0, 0
    ([10, 20], 0.5),
])
def test_balance_edge_cases(hours, expected):
    assert balance(hours) == pytest.approx(expected)


def test_one_person_is_balanced_and_a_member_without_hours_is_not(cli, tmp_path):
    one = DST.replace('["ann", "ben"]', '["ann"]')
    weekly = DST.replace('["ann", "ben"]', '["ann", "ben", "cat"]').replace('"1d"', '"1w"')
    root = write_folder(tmp_path, {"people.toml": PEOPLE, "one.toml": one, "weekly.toml": weekly})
    body = report(cli, root, "--from", "2026-03-05T14:00Z", "--to", "2026-03-19T13:00Z")
    rots = {r["rotation"]: r for r in body["rotations"]}
    assert rots["one"]["balance"] == 1
    # Two weeks of a three-person weekly rotation: cat has 0 hours.
    w = rots["weekly"]
    assert w["hours"] == {"ann": 167, "ben": 168, "cat": 0}
    assert w["balance"] == round((167 / 168 + 0 + 0) / 3, 3)
    assert w["overloaded"] == ["ann", "ben"]  # both above 1.2 x the mean of 111.67 h
    people = {p["person"]: p for p in body["people"]}
    assert people["cat"]["hours"] == 0 and people["cat"]["shifts"] == 0
    # ann is on call in "one" throughout (335 h), which contains her weekly week: time on
    # call for two rotations at once counts once, and it is all one stretch.
    assert people["ann"]["hours"] == 335 and people["ann"]["shifts"] == 1


def test_coverage_percent_counts_only_required_time(cli, tmp_path):
    rot = DST.replace('timezone = "America/New_York"',
                      'timezone = "America/New_York"\ncoverage = ["daily 08:00-12:00"]').replace(
        'every = "1d"', 'every = "1d"\nonly = ["daily 09:00-12:00"]')
    root = write_folder(tmp_path, {"people.toml": PEOPLE, "r.toml": rot})
    body = report(cli, root, "--from", "2026-03-10T04:00Z", "--to", "2026-03-11T04:00Z")
    assert body["rotations"][0]["coverage_percent"] == 75  # 09:00-12:00 of 08:00-12:00


def test_month_is_read_in_the_viewer_zone(cli, tmp_path):
    root = write_folder(tmp_path, {"people.toml": PEOPLE, "dst.toml": DST})
    body = report(cli, root, "--month", "2026-03", "--tz", "America/New_York")
    assert (body["start"], body["end"]) == ("2026-03-01T00:00:00-05:00", "2026-04-01T00:00:00-04:00")
    body = report(cli, root, "--month", "2026-12", "--tz", "UTC")
    assert (body["start"], body["end"]) == ("2026-12-01T00:00:00+00:00", "2027-01-01T00:00:00+00:00")


@pytest.mark.parametrize("args, message", [
    (["--month", "2026-13"], "not a month"),
    (["--month", "2026-03", "--from", "2026-03-01T00:00Z"], "not both"),
])
def test_bad_ranges_are_usage_errors(cli, tmp_path, args, message):
    root = write_folder(tmp_path, {"people.toml": PEOPLE, "dst.toml": DST})
    r = cli("report", "--dir", str(root), *args)
    assert r.code == 2 and message in r.err


def test_human_table_shows_people_and_balance(cli, tmp_path):
    root = write_folder(tmp_path, {"people.toml": PEOPLE, "dst.toml": DST})
    r = cli("report", "--dir", str(root), "--from", "2026-03-07T14:00Z", "--to", "2026-03-09T13:00Z", "--tz", "UTC")
    assert r.code == 0
    assert "Ann (ann)" in r.out and "Ben (ben)" in r.out and "0.96" in r.out and "100%" in r.out
