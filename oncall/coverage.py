"""Coverage: gaps, unreachable time, warnings and cover suggestions. Pure: time is an argument.

Problems are reported inside the rotation's coverage windows (default: always) and the
asked horizon ``[start, end)``, all intervals half-open:

* ``gap``: nobody is on call;
* ``unreachable``: the person on call is away (reason ``away``), has no phone
  (``no-phone``) or a number that cannot be dialled (``invalid-phone``); and, for a
  rotation with ``[[escalation]]`` steps, a stretch where no step at all resolves to a
  reachable person (reason ``no-step-reachable``, no ``person``).

Warnings never make ``check`` fail. Their ``kind``:

* ``overlapping-overrides``: two overrides of one rotation overlap (the later one wins);
* ``override-outside-members``: an override for someone in none of the rotation's layers;
* ``layer-never-covers``: a layer with no on-call time of its own in the horizon (one
  hidden under a later layer does cover; one that ended before the horizon is history);
* ``no-valid-phone``: a layer member without a phone, or with one that cannot be dialled;
* ``long-duty``: one person on call without a break for longer than ``max_duty``,
  measured on the rotation's wall clock (a Monday-to-Monday week is 7 days even when a
  DST change makes it 167 or 169 hours long);
* ``short-rest``: less than ``min_rest`` (real time) between two of one person's stretches
  in one rotation (a stretch is consecutive segments of the same person);
* ``escalation-repeats-person``: an escalation step resolves to the same person as the
  step before it, so that person is paged twice and nobody new is tried;
* ``on-call-twice``: a person on call in two of the checked rotations at once.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import NamedTuple

from .model import Directory, Person, Rotation, Segment
from .schedule import OVERRIDE, covered, final_schedule, gaps, layer_segments
from .timeline import Interval, insert, intersect, merge, overlaps, subtract, to_wall, window_intervals

DEFAULT_MAX_DUTY = timedelta(days=7)
DEFAULT_MIN_REST = timedelta(hours=8)
NO_STEP = "no-step-reachable"
# Wall-clock and real lengths differ by the offset changes in between: a few hours, a
# day when a zone skipped one (Samoa, 2011). Runs shorter than max_duty minus this margin
# cannot be too long on the wall clock, so only longer ones are measured there.
WALL_SLACK = timedelta(days=2)


@dataclass(frozen=True)
class Finding:
    """A problem (``gap``/``unreachable``) or a warning, over ``[start, end)``."""

    rotation: str
    kind: str
    start: datetime | None = None
    end: datetime | None = None
    person: str | None = None
    reason: str | None = None
    message: str = ""


@dataclass(frozen=True)
class Suggestion:
    """Who could cover the problem ``[start, end)`` of ``rotation`` with an override.

    ``person`` is None when no member is free for the whole stretch. ``load`` is the
    person's on-call time in the horizon before this cover (earlier suggestions of the
    same run included), the quantity that picked them.
    """

    rotation: str
    kind: str
    start: datetime
    end: datetime
    person: str | None
    load: timedelta = timedelta()
    reason: str | None = None


@dataclass
class Report:
    problems: list[Finding] = field(default_factory=list)
    warnings: list[Finding] = field(default_factory=list)
    suggestions: list[Suggestion] = field(default_factory=list)


class Schedules:
    """Final schedules of a directory's rotations over one horizon, each computed once."""

    def __init__(self, rotations: dict[str, Rotation], start: datetime, end: datetime):
        self.rotations, self.start, self.end = rotations, start, end
        self._cache: dict[str, list[Segment]] = {}

    def __call__(self, rid: str) -> list[Segment]:
        if rid not in self._cache:
            self._cache[rid] = final_schedule(self.rotations[rid], self.start, self.end)
        return self._cache[rid]


def coverage_intervals(rotation: Rotation, start: datetime, end: datetime) -> list[Interval]:
    return window_intervals(rotation.coverage, rotation.tz, start, end)


def required_gaps(rotation: Rotation, segs: list[Segment], start: datetime, end: datetime) -> list[Interval]:
    """Where nobody is on call inside ``rotation``'s coverage windows in ``[start, end)``
    (``segs``: its final schedule there): ``check``'s gaps, the gaps ``shifts`` shows and
    the holes feeds mark. The one place that rule is written."""
    return intersect(gaps(segs, start, end), coverage_intervals(rotation, start, end))


def unreachable_reason(person: Person | None, t: datetime) -> str | None:
    """Why ``person`` cannot be reached at ``t``, or None if they can."""
    return "unknown-person" if person is None else person.unreachable_at(t)


def phone_problem(person: Person) -> str | None:
    """``no-phone`` or ``invalid-phone`` if ``person`` can never be paged, else None."""
    if not person.phone:
        return "no-phone"
    return None if person.phone_valid else "invalid-phone"


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


def _away(person: Person, a: datetime, b: datetime) -> list[Interval]:
    return [(max(a, x.start), min(b, x.end)) for x in person.away if x.start < b and x.end > a]


def _troubled(segs: list[Segment], people: dict[str, Person]) -> list[Segment]:
    """The segments whose person may be unreachable (no dialable phone, or time off)."""
    who = {s.person for s in segs}
    bad = {pid for pid in who if pid in people and (people[pid].away or phone_problem(people[pid]))}
    return [s for s in segs if s.person in bad] if bad else []


def _unreachable_parts(segs: list[Segment], people: dict[str, Person], cover: list[Interval]
                       ) -> list[tuple[datetime, datetime, str, str]]:
    """``(start, end, person, reason)`` inside ``cover`` where the on-call person is unreachable."""
    raw: list[tuple[datetime, datetime, str, str]] = []
    for s, a, b in clip(_troubled(segs, people), cover):
        p = people[s.person]
        reason = phone_problem(p)
        if reason:
            raw.append((a, b, p.id, reason))
        else:
            off = _away(p, a, b)
            if off:
                raw.extend((x, y, p.id, "away") for x, y in merge(off))
    raw.sort()
    return raw


def reachable_time(segs: list[Segment], people: dict[str, Person], cover: list[Interval],
                   parts: list[tuple] | None = None) -> list[Interval]:
    """The instants inside ``cover`` where the on-call person of ``segs`` can be reached
    (``parts``: ``_unreachable_parts`` of the same arguments, if already computed)."""
    if parts is None:
        parts = _unreachable_parts(segs, people, cover)
    lost = merge([(a, b) for a, b, _, _ in parts])
    return subtract(intersect(covered(segs), cover), lost)


def _unreachable(rotation: Rotation, parts: list[tuple]) -> list[Finding]:
    out: list[Finding] = []
    for a, b, who, reason in parts:
        last = out[-1] if out else None
        if last and last.end == a and last.person == who and last.reason == reason:
            out[-1] = Finding(rotation.id, "unreachable", last.start, b, who, reason)
        else:
            out.append(Finding(rotation.id, "unreachable", a, b, who, reason))
    return out


def _step_schedule(rotation: Rotation, i: int, schedule_of: Callable[[str], list[Segment]],
                   known: set[str], start: datetime, end: datetime) -> list[Segment] | None:
    """Who escalation step ``i`` pages over the horizon; None if it names an unknown rotation."""
    step = rotation.steps[i]
    if step.kind == "person":
        return [Segment(rotation.id, step.who, start, end, "escalation")]
    return schedule_of(step.who) if step.who in known else None


def _escalation(rotation: Rotation, people: dict[str, Person], cover: list[Interval], start: datetime,
                end: datetime, schedule_of: Callable[[str], list[Segment]], known: set[str],
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
    out: list[tuple[str, datetime, datetime]] = []
    i = j = 0
    while i < len(xs) and j < len(ys):
        x, y = xs[i], ys[j]
        a, b = max(x.start, y.start), min(x.end, y.end)
        if a < b and x.person is not None and x.person == y.person:
            if out and out[-1][0] == x.person and out[-1][2] == a:
                out[-1] = (x.person, out[-1][1], b)
            else:
                out.append((x.person, a, b))
        if x.end < y.end:
            i += 1
        else:
            j += 1
    return out


def stretches(segs: list[Segment]) -> list[tuple[str, datetime, datetime]]:
    """Consecutive segments of one person joined: ``(person, start, end)``, gaps left out."""
    out: list[tuple[str, datetime, datetime]] = []
    for s in segs:
        if s.person is None:
            continue
        if out and out[-1][0] == s.person and out[-1][2] == s.start:
            out[-1] = (s.person, out[-1][1], s.end)
        else:
            out.append((s.person, s.start, s.end))
    return out


def check_rotation(rotation: Rotation, people: dict[str, Person], start: datetime, end: datetime,
                   max_duty: timedelta = DEFAULT_MAX_DUTY, min_rest: timedelta = DEFAULT_MIN_REST, *,
                   rotations: dict[str, Rotation] | None = None,
                   schedule_of: Callable[[str], list[Segment]] | None = None) -> Report:
    """Problems and warnings for one rotation over ``[start, end)``.

    ``rotations`` lets escalation steps that name other rotations be resolved (steps naming
    a rotation not given are skipped); ``schedule_of`` shares computed schedules.
    """
    rotations = dict(rotations or {})
    rotations.setdefault(rotation.id, rotation)
    schedule_of = schedule_of or Schedules(rotations, start, end)
    report = Report()
    segs = schedule_of(rotation.id)
    cover = coverage_intervals(rotation, start, end)
    for a, b in required_gaps(rotation, segs, start, end):
        report.problems.append(Finding(rotation.id, "gap", a, b))
    parts = _unreachable_parts(segs, people, cover)
    report.problems.extend(_unreachable(rotation, parts))
    esc_problems, esc_warnings = _escalation(rotation, people, cover, start, end, schedule_of, set(rotations),
                                             parts)
    report.problems.extend(esc_problems)
    report.problems.sort(key=lambda f: (f.start, f.kind, f.person or ""))
    report.warnings.extend(_warnings(rotation, people, segs, start, end, max_duty, min_rest))
    report.warnings.extend(esc_warnings)
    return report


def _warnings(rotation: Rotation, people: dict[str, Person], segs: list[Segment], start: datetime, end: datetime,
              max_duty: timedelta, min_rest: timedelta) -> list[Finding]:
    out: list[Finding] = []
    rid = rotation.id
    live = [o for o in rotation.overrides if o.end > start and o.start < end]
    for i, j in overlapping_pairs(live):
        o, p = live[i], live[j]
        out.append(Finding(rid, "overlapping-overrides", max(o.start, p.start), min(o.end, p.end),
                           message=f"overrides for {o.who} and {p.who} overlap; the later one wins"))
    members = set(rotation.members)
    for o in live:
        if o.who not in members:
            out.append(Finding(rid, "override-outside-members", o.start, o.end, o.who,
                               message=f"{o.who} covers an override but is in no layer of {rid}"))
    shown = {s.source for s in segs}
    for layer in rotation.layers:
        # A layer that ended before the range (an older version after `member add`) is
        # history, not a mistake; one that starts after it may be a mistyped year, so it
        # is still reported. A layer missing from the final schedule may be empty or only
        # hidden by others.
        if layer.until is not None and layer.until <= start:
            continue
        if f"layer:{layer.name}" not in shown and not layer_segments(rid, layer, start, end):
            out.append(Finding(rid, "layer-never-covers", start, end,
                               message=f"layer {layer.name!r} covers nothing in this range"))
    for pid in rotation.members:
        p = people.get(pid)
        reason = phone_problem(p) if p else None
        if reason:
            what = "has no phone number" if reason == "no-phone" else f"has a phone that cannot be dialled ({p.phone})"
            out.append(Finding(rid, "no-valid-phone", start, end, pid, reason,
                               message=f"{pid} {what}, so cannot be paged"))
    runs = stretches(segs)
    for who, a, b in runs:
        if b - a <= max_duty - WALL_SLACK:
            continue
        # Measured on the rotation's wall clock, so a Monday-to-Monday week is 7 days
        # even when a DST change makes it 167 or 169 hours long.
        length = to_wall(b, rotation.tz) - to_wall(a, rotation.tz)
        if length > max_duty:
            out.append(Finding(rid, "long-duty", a, b, who,
                               message=f"{who} is on call for {_hours(length)} without a break"))
    last: dict[str, datetime] = {}
    for who, a, b in runs:
        if who in last and a - last[who] < min_rest:
            out.append(Finding(rid, "short-rest", last[who], a, who,
                               message=f"{who} gets only {_hours(a - last[who])} of rest between shifts"))
        last[who] = b
    return out


def _hours(d: timedelta) -> str:
    h = d.total_seconds() / 3600
    return f"{h / 24:.1f} days" if h >= 48 else f"{h:g} hours" if h == int(h) else f"{h:.1f} hours"


def overlapping_pairs(spans: list) -> list[tuple[int, int]]:
    """The index pairs ``(i, j)``, ``i < j``, of ``spans`` (with ``start``/``end``) whose
    time overlaps, sorted: one sweep in start order, so the cost follows the overlaps
    found, not the square of the count."""
    order = sorted(range(len(spans)), key=lambda n: spans[n].start)
    active: list[int] = []
    pairs: list[tuple[int, int]] = []
    for i in order:
        t = spans[i].start
        active = [j for j in active if spans[j].end > t]
        pairs += ((j, i) if j < i else (i, j) for j in active)
        active.append(i)
    pairs.sort()
    return pairs


class _Run(NamedTuple):
    start: datetime
    end: datetime
    rotation: str


def on_call_twice(schedules: dict[str, list[Segment]]) -> list[Finding]:
    """``on-call-twice`` warnings: a person on call in two of ``schedules`` at once.

    Reported once per overlap and pair of rotations (the first, by id, names the finding)."""
    by_person: dict[str, list[_Run]] = defaultdict(list)
    for rid, segs in schedules.items():
        for who, a, b in stretches(segs):
            by_person[who].append(_Run(a, b, rid))
    out: list[Finding] = []
    for who, runs in by_person.items():
        both: dict[tuple[str, str], list[Interval]] = defaultdict(list)
        for i, j in overlapping_pairs(runs):
            x, y = runs[i], runs[j]
            r1, r2 = sorted((x.rotation, y.rotation))
            both[r1, r2].append((max(x.start, y.start), min(x.end, y.end)))
        for r1, r2 in sorted(both):
            out.extend(Finding(r1, "on-call-twice", a, b, who, message=f"{who} is on call in {r1} and {r2} at once")
                       for a, b in merge(both[r1, r2]))
    return out


def load_by_person(schedules: Iterable[list[Segment]]) -> dict[str, timedelta]:
    """Each person's on-call time over the given schedules (all rotations summed)."""
    load: dict[str, timedelta] = defaultdict(timedelta)
    for segs in schedules:
        for s in segs:
            if s.person:
                load[s.person] += s.end - s.start
    return load


def suggest(directory: Directory, problems: list[Finding], schedule_of: Callable[[str], list[Segment]]
            ) -> list[Suggestion]:
    """For each problem stretch, the member of its rotation who could cover it by an override.

    A candidate has a dialable phone, is not away at any instant of the stretch and is not
    on call in any rotation of ``directory`` during it; among candidates the one with the
    lowest on-call time in the horizon wins (ties: layer order). Each pick adds the stretch
    to that person's load, so several holes spread over several people.
    """
    everything = {rid: schedule_of(rid) for rid in directory.rotations}
    load = load_by_person(everything.values())
    busy: dict[str, list[Interval]] = defaultdict(list)
    for segs in everything.values():
        for who, a, b in stretches(segs):
            busy[who].append((a, b))
    for who in busy:
        busy[who] = merge(busy[who])
    out: list[Suggestion] = []
    seen: set[tuple[str, datetime, datetime]] = set()
    for f in problems:
        key = (f.rotation, f.start, f.end)
        if key in seen:
            continue
        seen.add(key)
        free = [pid for pid in directory.rotations[f.rotation].members
                if _free(directory.people.get(pid), busy.get(pid, []), f.start, f.end)]
        if not free:
            out.append(Suggestion(f.rotation, f.kind, f.start, f.end, None,
                                  reason="no member is free and reachable for the whole stretch"))
            continue
        pick = min(free, key=lambda pid: load[pid])
        out.append(Suggestion(f.rotation, f.kind, f.start, f.end, pick, load[pick]))
        load[pick] += f.end - f.start
        insert(busy[pick], f.start, f.end)
    return out


def _free(p: Person | None, busy: list[Interval], a: datetime, b: datetime) -> bool:
    if p is None or phone_problem(p) or _away(p, a, b):
        return False
    return not overlaps(busy, a, b)


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
    total.warnings.sort(key=lambda f: (f.rotation, f.start, f.kind, f.person or ""))
    if suggestions:
        total.suggestions = suggest(directory, total.problems, schedule_of)
    return total


__all__ = ["DEFAULT_MAX_DUTY", "DEFAULT_MIN_REST", "Finding", "OVERRIDE", "Report", "Schedules", "Suggestion",
           "check", "check_rotation", "coverage_intervals", "load_by_person", "on_call_twice", "reachable_time",
           "required_gaps", "stretches", "suggest", "unreachable_reason"]
