"""Coverage: gaps, unreachable time, warnings and cover suggestions. Pure: time is an argument.

Problems are reported inside the rotation's coverage windows (default: always) and the
asked horizon ``[start, end)``, all intervals half-open:

* ``gap``: nobody is on call;
* ``unreachable``: the person on call is away (reason ``away``), has no phone
  (``no-phone``) or a number that cannot be dialled (``invalid-phone``); and, for a
  rotation with ``[[escalation]]`` steps, a stretch where no step at all resolves to a
  reachable person (reason ``no-step-reachable``, no ``person``).
Warnings (``coverage_warnings``) never make ``check`` fail; cover suggestions are
``coverage_suggest``'s.
"""

from __future__ import annotations

from bisect import bisect_left, bisect_right
from collections.abc import Callable, Container, Iterable, Iterator
from datetime import datetime, timedelta
from operator import attrgetter

from .coverage_warnings import on_call_twice, rotation_warnings
from .findings import Finding, Report, stretches
from .model import Directory, Person, Rotation, Segment
from .schedule import coverage_intervals, covered, final_schedule, required_gaps
from .shape import people_of
from .timeline import Interval, intersect, join_runs, merge, subtract

DEFAULT_MAX_DUTY = timedelta(days=7)
DEFAULT_MIN_REST = timedelta(hours=8)
NO_STEP = "no-step-reachable"


class Schedules:
    """Final schedules of a directory's rotations over one horizon, each computed once."""

    def __init__(self, rotations: dict[str, Rotation], start: datetime, end: datetime):
        self.rotations, self.start, self.end = rotations, start, end
        self._cache: dict[str, list[Segment]] = {}

    def __call__(self, rid: str) -> list[Segment]:
        if rid not in self._cache:
            self._cache[rid] = final_schedule(self.rotations[rid], self.start, self.end)
        return self._cache[rid]


def unreachable_reason(person: Person | None, t: datetime) -> str | None:
    """Why ``person`` cannot be reached at ``t``, or None if they can."""
    return "unknown-person" if person is None else person.unreachable_at(t)


def clip(segs: list[Segment], cover: list[Interval]) -> Iterable[tuple[Segment, datetime, datetime]]:
    """The parts of sorted, disjoint ``segs`` inside merged ``cover``, in one pass."""
    j = 0
    for s in segs:
        while j < len(cover) and cover[j][1] <= s.start:
            j += 1
        k = j
        while k < len(cover) and cover[k][0] < s.end:
            a, b = max(s.start, cover[k][0]), min(s.end, cover[k][1])
            if a < b:
                yield s, a, b
            k += 1


def _unreachable_parts(segs: list[Segment], people: dict[str, Person], cover: list[Interval]
                       ) -> list[tuple[datetime, datetime, str, str]]:
    """``(start, end, person, reason)`` inside ``cover`` where the on-call person is unreachable."""
    phoneless: set[str] = set()
    off: list[Person] = []
    for pid in people_of(segs):
        p = people.get(pid)
        if p is None:
            continue
        if p.phone_problem:
            phoneless.add(pid)
        elif p.away:
            off.append(p)
    raw: list[tuple[datetime, datetime, str, str]] = []
    if phoneless:
        raw += [(a, b, s.person, people[s.person].phone_problem)
                for s, a, b in clip([s for s in segs if s.person in phoneless], cover)]
    # Time off is days of a year: only the segments that meet it are looked at, by bisection.
    near: set[int] = set()
    for p in off:
        for x in p.away:
            lo = bisect_right(segs, x.start, key=_END)
            hi = bisect_left(segs, x.end, lo=lo, key=_START)
            near.update(i for i in range(lo, hi) if segs[i].person == p.id)
    for s, a, b in clip([segs[i] for i in sorted(near)], cover):
        raw.extend((x, y, s.person, "away") for x, y in merge(people[s.person].away_within(a, b)))
    raw.sort()
    return raw


_START, _END = attrgetter("start"), attrgetter("end")


def reachable_time(segs: list[Segment], people: dict[str, Person], cover: list[Interval],
                   parts: list[tuple] | None = None) -> list[Interval]:
    """The instants inside ``cover`` where the on-call person of ``segs`` can be reached
    (``parts``: ``_unreachable_parts`` of the same arguments, if already computed)."""
    if parts is None:
        parts = _unreachable_parts(segs, people, cover)
    lost = merge([(a, b) for a, b, _, _ in parts])
    return subtract(intersect(covered(segs), cover), lost)


def _unreachable(rotation: Rotation, parts: list[tuple]) -> list[Finding]:
    runs = join_runs(((who, reason), a, b) for a, b, who, reason in parts)
    return [Finding(rotation.id, "unreachable", a, b, who, reason) for (who, reason), a, b in runs]


def _step_schedule(rotation: Rotation, i: int, schedule_of: Callable[[str], list[Segment]],
                   known: Container[str], start: datetime, end: datetime) -> list[Segment] | None:
    """Who escalation step ``i`` pages over the horizon; None if it names an unknown rotation."""
    step = rotation.steps[i]
    if step.kind == "person":
        return [Segment(rotation.id, step.who, start, end, "escalation")]
    return schedule_of(step.who) if step.who in known else None


def _escalation(rotation: Rotation, people: dict[str, Person], cover: list[Interval], start: datetime,
                end: datetime, schedule_of: Callable[[str], list[Segment]], known: Container[str],
                own_parts: list[tuple]):
    """``no-step-reachable`` problems and ``escalation-repeats-person`` warnings."""
    if not rotation.escalation:
        return [], []
    rid = rotation.id
    own = schedule_of(rid)
    steps = [_step_schedule(rotation, i, schedule_of, known, start, end) for i in range(len(rotation.steps))]
    reachable = merge([iv for segs in steps if segs
                       for iv in reachable_time(segs, people, cover, own_parts if segs is own else None)])
    problems = [Finding(rid, "unreachable", a, b, None, NO_STEP) for a, b in subtract(cover, reachable)]
    warnings: list[Finding] = []
    for i in range(1, len(steps)):
        prev, cur = steps[i - 1], steps[i]
        if prev is None or cur is None:
            continue
        for who, a, b in _same_person(prev, cur):
            first, second = rotation.steps[i - 1].who, rotation.steps[i].who
            warnings.append(Finding(rid, "escalation-repeats-person", a, b, who, message=(
                f"escalation steps {i} ({first}) and {i + 1} ({second}) both page {who}")))
    return problems, warnings


def _same_person(xs: list[Segment], ys: list[Segment]) -> list[tuple[str, datetime, datetime]]:
    """Stretches where sorted, disjoint ``xs`` and ``ys`` name the same person."""
    common = people_of(xs) & people_of(ys)
    common.discard(None)
    if not common:  # the usual case: a step's manager is never on the rotation they back
        return []
    return join_runs(_both([s for s in xs if s.person in common], [s for s in ys if s.person in common]))


def _both(xs: list[Segment], ys: list[Segment]) -> Iterator[tuple[str, datetime, datetime]]:
    i = j = 0
    while i < len(xs) and j < len(ys):
        x, y = xs[i], ys[j]
        a, b = max(x.start, y.start), min(x.end, y.end)
        if a < b and x.person is not None and x.person == y.person:
            yield x.person, a, b
        if x.end < y.end:
            i += 1
        else:
            j += 1


def check_rotation(rotation: Rotation, people: dict[str, Person], start: datetime, end: datetime,
                   max_duty: timedelta = DEFAULT_MAX_DUTY, min_rest: timedelta = DEFAULT_MIN_REST, *,
                   rotations: dict[str, Rotation] | None = None,
                   schedule_of: Callable[[str], list[Segment]] | None = None) -> Report:
    """Problems and warnings for one rotation over ``[start, end)``.

    ``rotations`` lets escalation steps that name other rotations be resolved (steps naming
    a rotation not given are skipped); ``schedule_of`` shares computed schedules.
    """
    rotations = rotations or {}
    if rotation.id not in rotations:  # copied only then: a check of every rotation would copy n times
        rotations = {**rotations, rotation.id: rotation}
    schedule_of = schedule_of or Schedules(rotations, start, end)
    report = Report()
    segs = schedule_of(rotation.id)
    cover = coverage_intervals(rotation, start, end)
    for a, b in required_gaps(rotation, segs, start, end):
        report.problems.append(Finding(rotation.id, "gap", a, b))
    parts = _unreachable_parts(segs, people, cover)
    report.problems.extend(_unreachable(rotation, parts))
    esc_problems, esc_warnings = _escalation(rotation, people, cover, start, end, schedule_of, rotations, parts)
    report.problems.extend(esc_problems)
    report.problems.sort(key=lambda f: (f.start, f.kind, f.person or ""))
    report.warnings.extend(rotation_warnings(rotation, people, segs, start, end, max_duty, min_rest))
    report.warnings.extend(esc_warnings)
    return report


def check(directory: Directory, rotations: list[str], start: datetime, end: datetime,
          max_duty: timedelta = DEFAULT_MAX_DUTY, min_rest: timedelta = DEFAULT_MIN_REST, *,
          suggestions: bool = False) -> Report:
    """``check_rotation`` over several rotations: problems in the order of ``rotations``
    (each by time), warnings sorted by rotation then time,
    plus ``on-call-twice`` warnings across them and, if asked, cover suggestions."""
    schedule_of = Schedules(directory.rotations, start, end)
    total = Report()
    for rid in rotations:
        r = check_rotation(directory.rotations[rid], directory.people, start, end, max_duty, min_rest,
                           rotations=directory.rotations, schedule_of=schedule_of)
        total.problems.extend(r.problems)
        total.warnings.extend(r.warnings)
    total.warnings.extend(on_call_twice({rid: schedule_of(rid) for rid in rotations}))
    total.warnings = stretches(total.warnings)
    total.warnings.sort(key=lambda f: (f.rotation, f.start, f.kind, f.person or ""))
    if suggestions:
        from .coverage_suggest import suggest  # it simulates fixes with check_rotation

        total.suggestions = suggest(directory, total.problems, schedule_of, max_duty, min_rest)
    return total


