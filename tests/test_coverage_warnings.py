"""Each ``check`` warning: a case where it fires and a close one where it must not."""

from __future__ import annotations

import json
from datetime import datetime, timedelta, timezone

import pytest
from conftest import write_folder

from oncall.coverage import check
from oncall.load import load_directory

UTC = timezone.utc
A = datetime(2026, 3, 2, tzinfo=UTC)  # a Monday
B = A + timedelta(days=14)

PEOPLE = """
[people.ann]
name = "Ann"
phone = "+14155550101"
[people.ben]
name = "Ben"
phone = "+14155550102"
[people.cat]
name = "Cat"
phone = "+14155550103"
[people.dan]
name = "Dan"
phone = "+14155550104"
[people.nophone]
name = "No Phone"
"""

WEEKLY = """
timezone = "UTC"
[[layer]]
name = "weekly"
members = ["ann", "ben"]
start = 2026-03-02T00:00:00
every = "1w"
"""


def run(tmp_path, rotations: dict[str, str], people: str = PEOPLE, **kw):
    root = write_folder(tmp_path / "d", {"people.toml": people, **{f"{k}.toml": v for k, v in rotations.items()}})
    d = load_directory(root)
    return check(d, sorted(d.rotations), kw.pop("start", A), kw.pop("end", B), **kw)


def kinds(report, kind):
    return [w for w in report.warnings if w.kind == kind]


def override(who, start, end):
    return f'\n[[override]]\nwho = "{who}"\nstart = {start}\nend = {end}\n'



@pytest.mark.parametrize("second_start, fires", [("2026-03-03T10:00:00", True), ("2026-03-03T12:00:00", False)])
def test_overlapping_overrides(tmp_path, second_start, fires):
    rot = WEEKLY + override("ben", "2026-03-03T08:00:00", "2026-03-03T12:00:00") + \
        override("ann", second_start, "2026-03-03T14:00:00")
    [*found] = kinds(run(tmp_path, {"web": rot}), "overlapping-overrides")
    if fires:
        assert [(w.start, w.end) for w in found] == [(datetime(2026, 3, 3, 10, tzinfo=UTC),
                                                      datetime(2026, 3, 3, 12, tzinfo=UTC))]
        assert "later one wins" in found[0].message
    else:
        assert found == []  # touching overrides do not overlap (half-open)


@pytest.mark.parametrize("who, fires", [("cat", True), ("ben", False)])
def test_override_outside_members(tmp_path, who, fires):
    rot = WEEKLY + override(who, "2026-03-03T08:00:00", "2026-03-03T12:00:00")
    found = kinds(run(tmp_path, {"web": rot}), "override-outside-members")
    assert [w.person for w in found] == ([who] if fires else [])


def test_layer_never_covers_fires_for_a_layer_outside_the_horizon(tmp_path):
    rot = WEEKLY + '[[layer]]\nname = "later"\nmembers = ["cat"]\nstart = 2026-06-01T00:00:00\nevery = "1d"\n'
    found = kinds(run(tmp_path, {"web": rot}), "layer-never-covers")
    assert [w.message for w in found] == ["layer 'later' covers nothing in this range"]


def test_layer_hidden_by_a_later_layer_still_covers(tmp_path):
    # The first layer is entirely shadowed by the second, but it does cover: no warning.
    rot = WEEKLY + '[[layer]]\nname = "top"\nmembers = ["cat"]\nstart = 2026-03-01T00:00:00\nevery = "1d"\n'
    report = run(tmp_path, {"web": rot})
    assert kinds(report, "layer-never-covers") == []


def test_member_without_phone_warns_and_others_do_not(tmp_path):
    rot = WEEKLY.replace('["ann", "ben"]', '["ann", "nophone"]')
    found = kinds(run(tmp_path, {"web": rot}), "no-valid-phone")
    assert [(w.person, w.reason) for w in found] == [("nophone", "no-phone")]


def test_long_duty_fires_for_a_two_week_shift(tmp_path):
    rot = WEEKLY.replace('"1w"', '"2w"')
    found = kinds(run(tmp_path, {"web": rot}, end=A + timedelta(days=28)), "long-duty")
    assert [(w.person, w.start, w.end) for w in found] == [("ann", A, A + timedelta(days=14)),
                                                            ("ben", A + timedelta(days=14), A + timedelta(days=28))]


def test_long_duty_respects_the_limit(tmp_path):
    rot = WEEKLY.replace('"1w"', '"2w"')
    report = run(tmp_path, {"web": rot}, end=A + timedelta(days=28), max_duty=timedelta(days=14))
    assert kinds(report, "long-duty") == []


def test_a_dst_week_is_still_seven_days_of_duty(tmp_path):
    # New York falls back on 2026-11-01: the Monday-09:00 week around it lasts 169 real
    # hours, yet it is a 7-day week and must not exceed a 7-day limit.
    rot = WEEKLY.replace('"UTC"', '"America/New_York"').replace("2026-03-02T00:00:00", "2026-10-26T09:00:00")
    start = datetime(2026, 10, 26, 13, tzinfo=UTC)
    report = run(tmp_path, {"web": rot}, start=start, end=start + timedelta(days=14))
    assert kinds(report, "long-duty") == []
    report = run(tmp_path / "2", {"web": rot.replace('["ann", "ben"]', '["ann"]')}, start=start,
                 end=start + timedelta(days=14))
    assert [w.person for w in kinds(report, "long-duty")] == ["ann"]  # two weeks in a row


SPLIT = """
timezone = "UTC"
[[layer]]
name = "night"
members = ["ann"]
start = 2026-03-02T00:00:00
every = "1d"
only = ["daily 00:00-08:00"]
[[layer]]
name = "day"
members = ["ann", "ben"]
start = 2026-03-02T00:00:00
every = "1d"
only = ["daily 12:00-20:00"]
"""


def test_short_rest_fires_between_night_and_day_shift(tmp_path):
    found = kinds(run(tmp_path, {"web": SPLIT}, end=A + timedelta(days=2)), "short-rest")
    # Day 1: ann's night ends 08:00, her day shift starts 12:00 and ends 20:00, and her
    # next night starts at midnight.
    assert [(w.person, w.start, w.end) for w in found] == [
        ("ann", A + timedelta(hours=8), A + timedelta(hours=12)),
        ("ann", A + timedelta(hours=20), A + timedelta(hours=24))]
    assert "4h of rest" in found[0].message


def test_short_rest_not_at_the_limit_and_not_for_daily_shifts(tmp_path):
    report = run(tmp_path, {"web": SPLIT}, end=A + timedelta(days=2), min_rest=timedelta(hours=4))
    assert kinds(report, "short-rest") == []
    # One 8-hour shift a day leaves 16 hours of rest: nothing to say at the default 8h.
    report = run(tmp_path, {"web": SPLIT.replace('members = ["ann"]', 'members = ["cat"]')})
    assert [w for w in kinds(report, "short-rest") if w.person == "ann"] == []


def escalating(step2: str) -> str:
    return WEEKLY + f'[[escalation]]\nwho = "web"\n[[escalation]]\nwho = "{step2}"\n'


def test_escalation_step_resolving_to_the_same_person_warns_only_then(tmp_path):
    found = kinds(run(tmp_path, {"web": escalating("ann")}), "escalation-repeats-person")
    # ann is on call in web during the first week only.
    assert [(w.person, w.start, w.end) for w in found] == [("ann", A, A + timedelta(days=7))]
    assert found[0].message == "escalation steps 1 (web) and 2 (ann) both page ann"
    assert kinds(run(tmp_path / "2", {"web": escalating("cat")}), "escalation-repeats-person") == []


OTHER = """
timezone = "UTC"
[[layer]]
name = "weekly"
members = ["{who}"]
start = 2026-03-09T00:00:00
every = "1w"
only = ["daily 10:00-12:00"]
"""


def test_on_call_in_two_rotations_at_once(tmp_path):
    report = run(tmp_path, {"web": WEEKLY, "db": OTHER.format(who="ben")})
    found = kinds(report, "on-call-twice")
    day = A + timedelta(days=7)
    assert [(w.rotation, w.person, w.start) for w in found][:2] == [
        ("db", "ben", day + timedelta(hours=10)), ("db", "ben", day + timedelta(days=1, hours=10))]
    assert len(found) == 7 and found[0].message == "ben is on call in db and web at once"
    assert kinds(run(tmp_path / "2", {"web": WEEKLY, "db": OTHER.format(who="cat")}), "on-call-twice") == []


def test_warnings_only_exit_0_with_the_json_shape(cli, tmp_path):
    root = write_folder(tmp_path / "d", {"people.toml": PEOPLE, "web": "", "web.toml": escalating("ann")})
    (root / "web").unlink()
    r = cli("check", "--dir", str(root), "--from", "2026-03-02T00:00Z", "--days", "14", "--json")
    assert r.code == 0, r.err
    body = json.loads(r.out)
    assert body["problems"] == []
    assert body["warnings"] == [{
        "rotation": "web", "kind": "escalation-repeats-person", "person": "ann",
        "start": "2026-03-02T00:00:00+00:00", "end": "2026-03-09T00:00:00+00:00",
        "message": "escalation steps 1 (web) and 2 (ann) both page ann"}]
    r = cli("check", "--dir", str(root), "--from", "2026-03-02T00:00Z", "--days", "14")
    assert r.code == 0 and "both page ann" in r.out


def test_bad_min_rest_is_a_usage_error(cli, tmp_path):
    root = write_folder(tmp_path / "d", {"people.toml": PEOPLE, "web.toml": WEEKLY})
    r = cli("check", "--dir", str(root), "--from", "2026-03-02T00:00Z", "--min-rest", "soon")
    assert r.code == 2 and "--min-rest" in r.err


def test_a_layer_that_ended_before_the_range_is_history_not_a_warning(tmp_path):
    # What `member add` leaves behind: the old version ends, the new one goes on.
    old = WEEKLY.replace("start = 2026-03-02T00:00:00", "start = 2026-01-05T00:00:00\nuntil = 2026-02-02T00:00:00")
    report = run(tmp_path, {"web": old + '[[layer]]\nname = "v2"\nmembers = ["ann", "ben"]\n'
                                          'start = 2026-02-02T00:00:00\nevery = "1w"\n'})
    assert kinds(report, "layer-never-covers") == []


def test_on_call_twice_walk_of_two_rotations_matches_the_sweep_of_three():
    # A person in two rotations takes the two-list walk; adding a third rotation where
    # they are never on call with anyone makes it the sweep: the first two's findings agree.
    from oncall.coverage_warnings import on_call_twice
    from oncall.model import Segment

    def at(h):
        return A + timedelta(hours=h)

    def segs(rid, spans):
        return [Segment(rid, "ann", at(a), at(b), "layer:a") for a, b in spans]

    x = segs("x", [(0, 4), (6, 10), (12, 13), (20, 30)])
    y = segs("y", [(2, 3), (3.5, 7), (9, 12), (13, 14), (25, 26), (27, 40)])
    z = segs("z", [(100, 101)])
    two = on_call_twice({"y": y, "x": x})
    assert [(w.rotation, w.start, w.end) for w in two] == [
        ("x", at(a), at(b)) for a, b in [(2, 3), (3.5, 4), (6, 7), (9, 10), (25, 26), (27, 30)]]
    assert on_call_twice({"y": y, "x": x, "z": z}) == two
