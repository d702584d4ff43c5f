"""The engine's cost grows with what it finds, not with the square of the input.

Measured without a clock: instants are a datetime subclass that counts comparisons, so
each test is deterministic and fails on the quadratic scans it replaced (issue 16 item 1,
issue 15 item 16)."""

from __future__ import annotations

import math
from datetime import datetime, timedelta, timezone

from oncall.coverage import check_rotation
from oncall.coverage_warnings import on_call_twice, overlapping_pairs
from oncall.model import Layer, Override, Person, Rotation, Segment
from oncall.schedule import final_schedule


class Counted(datetime):
    comparisons = 0

    def __lt__(self, other):
        Counted.comparisons += 1
        return datetime.__lt__(self, other)

    def __le__(self, other):
        Counted.comparisons += 1
        return datetime.__le__(self, other)

    def __gt__(self, other):
        Counted.comparisons += 1
        return datetime.__gt__(self, other)

    def __ge__(self, other):
        Counted.comparisons += 1
        return datetime.__ge__(self, other)


T0 = Counted(2026, 1, 5, tzinfo=timezone.utc)
HOUR = timedelta(hours=1)


def _at(hours: float) -> Counted:
    t = T0 + hours * HOUR
    return Counted(t.year, t.month, t.day, t.hour, t.minute, tzinfo=timezone.utc)


def _comparisons(fn) -> int:
    Counted.comparisons = 0
    fn()
    return Counted.comparisons


def _budget(n: int) -> int:
    return int(40 * n * math.log2(n))


def _rotation(overrides) -> Rotation:
    layer = Layer("weekly", ("alice", "bob"), datetime(2026, 1, 5, 9), timedelta(weeks=1), "UTC")
    return Rotation("ops", "Ops", "UTC", (layer,), tuple(overrides))


def test_final_schedule_merges_1000_separate_overrides_by_bisection():
    n = 1000
    rot = _rotation(Override("bob" if i % 2 else "alice", _at(3 * i), _at(3 * i + 1)) for i in range(n))
    segs = []
    cost = _comparisons(lambda: segs.extend(final_schedule(rot, _at(-10), _at(3 * n + 10))))
    assert sum(1 for s in segs if s.source == "override") == n
    assert cost < _budget(n), cost


def test_final_schedule_with_20000_overlapping_overrides_is_not_quadratic():
    n = 20_000
    rot = _rotation(Override("carol", _at(i), _at(i + 2.5)) for i in range(n))
    segs = []
    cost = _comparisons(lambda: segs.extend(final_schedule(rot, _at(0), _at(n + 3))))
    assert [(s.start, s.end) for s in segs if s.source == "override"][-1] == (_at(n - 1), _at(n + 1.5))
    assert cost < _budget(n), cost


def test_overlapping_overrides_are_found_by_a_sweep_not_a_pairwise_scan():
    n = 10_000
    # Each override overlaps the next one only: n - 1 overlapping pairs.
    overrides = [Override("carol", _at(2 * i), _at(2 * i + 3)) for i in range(n)]
    pairs = []
    cost = _comparisons(lambda: pairs.extend(overlapping_pairs(overrides)))
    assert pairs == [(i, i + 1) for i in range(n - 1)]
    assert cost < _budget(n), cost


def test_check_reports_each_overlap_of_5000_overrides_once():
    n = 5000
    rot = _rotation(Override("alice", _at(2 * i), _at(2 * i + 3)) for i in range(n))
    people = {p: Person(p, p, "+14155550101", phone_ok=True) for p in ("alice", "bob")}
    report = check_rotation(rot, people, _at(0), _at(2 * n + 10))
    overlaps = [w for w in report.warnings if w.kind == "overlapping-overrides"]
    assert [(w.start, w.end) for w in overlaps] == [(_at(2 * i + 2), _at(2 * i + 3)) for i in range(n - 1)]


def test_on_call_twice_across_2000_rotations_sharing_people_is_a_sweep():
    n = 2000
    # One person, a 2-hour shift every hour in turn across rotations: each overlaps two others.
    schedules = {f"r{i:04d}": [Segment(f"r{i:04d}", "dana", _at(i), _at(i + 2), "layer:a")] for i in range(n)}
    found = []
    cost = _comparisons(lambda: found.extend(on_call_twice(schedules)))
    assert len(found) == n - 1
    assert found[0].message == "dana is on call in r0000 and r0001 at once"
    assert cost < _budget(n), cost
