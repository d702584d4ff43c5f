"""Report numbers: who carries how much on-call time, and how evenly. Pure.

Everything is measured in real (UTC) time over half-open ``[start, end)``, from the final
schedule (overrides included), so a DST night of 23 or 25 hours counts as it lasts.

Per person, over the chosen rotations together (time on call for two rotations at once
counts once): ``hours``; ``night`` hours, 22:00-06:00 on the person's own wall clock
(UTC if they have no timezone); ``weekend`` hours, Saturday 00:00 to Monday 00:00 on
their clock; ``shifts``, the number of unbroken stretches; ``longest`` stretch. A
stretch cut by the range's edges counts only its part inside the range.

Per rotation: ``coverage``, the share of its coverage windows (in the range) that
someone covers; ``balance``, the mean over all pairs of its people of
``min(hours) / max(hours)`` (a pair of two zeros counts as 1: equal), 1 with fewer than
two people; ``overloaded``, its people with more than ``OVERLOAD`` times the mean hours.
A rotation's people are its layers' members plus anyone it put on call by override.
"""

from __future__ import annotations

from bisect import bisect_right
from collections import defaultdict
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime, timedelta
from itertools import combinations
from operator import itemgetter
from zoneinfo import ZoneInfo

from .coverage import Schedules, clip, coverage_intervals
from .model import Directory, Segment
from .schedule import stretches
from .shape import shape_memo
from .timeline import Interval, merge, parse_window, total, window_intervals

NIGHT = parse_window("daily 22:00-06:00")
WEEKEND = parse_window("sat-sun")
OVERLOAD = 1.2


@dataclass(frozen=True)
class PersonLoad:
    person: str
    hours: timedelta
    night: timedelta
    weekend: timedelta
    shifts: int
    longest: timedelta


@dataclass(frozen=True)
class RotationLoad:
    rotation: str
    coverage: float  # 0..1; 1 when nothing had to be covered
    balance: float  # 0..1
    mean: timedelta
    hours: dict[str, timedelta]
    overloaded: tuple[str, ...]


@dataclass(frozen=True)
class Fairness:
    start: datetime
    end: datetime
    people: list[PersonLoad]
    rotations: list[RotationLoad]


def balance(hours: list[float]) -> float:
    """Mean over pairs of ``min / max`` (a pair of two zeros counts as even): 1 is perfectly
    even; each pair with one person at zero hours pulls it down by a full pair's share."""
    pairs = list(combinations(hours, 2))
    if not pairs:
        return 1.0
    return sum(1.0 if max(x, y) == 0 else min(x, y) / max(x, y) for x, y in pairs) / len(pairs)


def person_load(person: str, tz: ZoneInfo, on_call: list[Interval],
                windows: tuple[list[Interval], list[Interval]] | None = None) -> PersonLoad:
    """Numbers for one person from their merged, sorted on-call intervals. ``windows`` are
    the night and weekend intervals on ``tz``'s clock covering them (computed if absent)."""
    if not on_call:
        return PersonLoad(person, timedelta(), timedelta(), timedelta(), 0, timedelta())
    if windows is None:
        a, b = on_call[0][0], on_call[-1][1]
        windows = window_intervals(NIGHT, tz, a, b), window_intervals(WEEKEND, tz, a, b)
    night, weekend = windows
    return PersonLoad(person, total(on_call), _overlap(on_call, night), _overlap(on_call, weekend),
                      len(on_call), max(y - x for x, y in on_call))


_END = itemgetter(1)


def _overlap(xs: list[Interval], windows: list[Interval]) -> timedelta:
    """Total time of merged ``xs`` inside merged ``windows``; bisects, since a person's few
    stretches meet only a few of a year's windows."""
    out = timedelta()
    i = 0
    for a, b in xs:
        i = bisect_right(windows, a, i, key=_END)
        k = i
        while k < len(windows) and windows[k][0] < b:
            out += min(b, windows[k][1]) - max(a, windows[k][0])
            k += 1
    return out


def rotation_load(rid: str, segs: list[Segment], members: tuple[str, ...], cover: list[Interval]) -> RotationLoad:
    hours: dict[str, timedelta] = dict.fromkeys(members, timedelta())
    for who, time in _hours(segs):
        hours[who] = hours.get(who, timedelta()) + time
    need = total(cover)
    if len(cover) == 1 and segs and cover[0][0] <= segs[0].start and segs[-1].end <= cover[0][1]:
        done = sum(hours.values(), timedelta())  # every segment is required time (24/7 coverage)
    else:
        done = sum((b - a for s, a, b in clip(segs, cover) if s.person), timedelta())
    share = done / need if need else 1.0
    mean = sum(hours.values(), timedelta()) / len(hours) if hours else timedelta()
    over = tuple(p for p, h in hours.items() if mean and h > mean * OVERLOAD)
    return RotationLoad(rid, share, balance([h.total_seconds() for h in hours.values()]), mean, hours, over)


def _hours(segs: list[Segment]) -> list[tuple[str, timedelta]]:
    """Each person's time on call in ``segs``, in order of their first segment (for a
    ``Schedule``, added up once per shape and pattern)."""
    memo = shape_memo(segs)
    if memo is None:
        sums: dict[str, timedelta] = {}
        for s in segs:
            if s.person:
                sums[s.person] = sums.get(s.person, timedelta()) + (s.end - s.start)
        return list(sums.items())
    if "hours" not in memo:
        plan, pattern = segs.plan, segs.pattern
        numbered: dict[int, timedelta] = {}
        for slot, a, b in zip(plan.slots, plan.starts, plan.ends, strict=True):
            c = pattern[slot]
            numbered[c] = numbered.get(c, timedelta()) + (b - a)
        memo["hours"] = list(numbered.items())
    return [(segs.people[c], time) for c, time in memo["hours"]]


def report(directory: Directory, rotations: list[str], start: datetime, end: datetime,
           schedule_of: Callable[[str], list[Segment]] | None = None) -> Fairness:
    """The numbers for ``rotations`` over ``[start, end)``; people sorted by id."""
    schedule_of = schedule_of or Schedules(directory.rotations, start, end)
    by_person: dict[str, list[Interval]] = defaultdict(list)
    per_rotation = []
    for rid in rotations:
        rot = directory.rotations[rid]
        segs = schedule_of(rid)
        for who, a, b in stretches(segs):
            by_person[who].append((a, b))
        per_rotation.append(rotation_load(rid, segs, rot.members, coverage_intervals(rot, start, end)))
        for pid in rot.members:
            by_person.setdefault(pid, [])
    zones: dict[str, tuple[list[Interval], list[Interval]]] = {}
    people = []
    for pid in sorted(by_person):
        p = directory.people.get(pid)
        tz = ZoneInfo(p.timezone if p and p.timezone else "UTC")  # a named zone: its key shares the windows
        if tz.key not in zones:
            zones[tz.key] = window_intervals(NIGHT, tz, start, end), window_intervals(WEEKEND, tz, start, end)
        people.append(person_load(pid, tz, merge(by_person[pid]), zones[tz.key]))
    return Fairness(start, end, people, per_rotation)


__all__ = ["NIGHT", "OVERLOAD", "WEEKEND", "Fairness", "PersonLoad", "RotationLoad", "balance", "person_load",
           "report", "rotation_load"]
