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


class CountedEq(Counted):
    """Also counts equality tests (joining consecutive segments compares ends and starts)."""

    def __eq__(self, other):
        Counted.comparisons += 1
        return datetime.__eq__(self, other)

    __hash__ = datetime.__hash__


def _eq_at(hours: float) -> CountedEq:
    t = T0 + hours * HOUR
    return CountedEq(t.year, t.month, t.day, t.hour, t.minute, tzinfo=timezone.utc)


def test_on_call_twice_looks_only_at_people_in_two_rotations():
    n = 2000
    # Every rotation has people of its own (20 alternating shifts), except dana, who is
    # in two of them at once: the others' 40,000 segments cannot be on call twice.
    hours = [_eq_at(h) for h in range(21)]
    schedules = {f"r{i:04d}": [Segment(f"r{i:04d}", f"p{i}-{k % 2}", hours[k], hours[k + 1], "layer:a")
                               for k in range(20)] for i in range(n)}
    schedules["r0000"].append(Segment("r0000", "dana", _eq_at(30), _eq_at(40), "override"))
    schedules["r0001"].append(Segment("r0001", "dana", _eq_at(35), _eq_at(45), "override"))
    found = []
    cost = _comparisons(lambda: found.extend(on_call_twice(schedules)))
    assert [(w.person, w.start, w.end) for w in found] == [("dana", _at(35), _at(40))]
    assert cost < 100, cost


class CountingTable(dict):
    """A rotation table that counts how many of its entries are read, one by one or by
    iterating (a copy of it reads every entry)."""

    reads = 0

    def __iter__(self):
        for key in super().__iter__():
            CountingTable.reads += 1
            yield key

    def __getitem__(self, key):
        CountingTable.reads += 1
        return super().__getitem__(key)


def test_check_of_1000_rotations_reads_each_rotation_a_bounded_number_of_times():
    from oncall.coverage import check
    from oncall.model import Directory

    n = 1000
    rotations = CountingTable({f"r{i:04d}": Rotation(f"r{i:04d}", "R", "UTC", (Layer(
        "weekly", (f"a{i}", f"b{i}"), datetime(2026, 1, 5, 9), timedelta(weeks=1), "UTC"),)) for i in range(n)})
    people = {p: Person(p, p, "+14155550101", phone_ok=True) for i in range(n) for p in (f"a{i}", f"b{i}")}
    CountingTable.reads = 0
    report = check(Directory(people, rotations), sorted(rotations), datetime(2026, 1, 5, 9, tzinfo=timezone.utc),
                   datetime(2026, 1, 19, 9, tzinfo=timezone.utc))
    assert report.problems == []
    # Checking each rotation must not copy the table (n reads each: n squared in all).
    assert CountingTable.reads < 10 * n, CountingTable.reads
