"""Coverage warnings: what ``check`` points out without failing. Pure: time is an argument.

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
from datetime import datetime, timedelta
from typing import NamedTuple

from .findings import Finding
from .model import Person, Rotation, Segment
from .schedule import layer_segments
from .shape import numbered_stretches, people_of, shape_memo, sources_of, stretches_by_person
from .timeline import Interval, intersect, merge, to_wall
from .wording import rounded_duration

# Wall-clock and real lengths differ by the offset changes in between: a few hours, a
# day when a zone skipped one (Samoa, 2011). Runs shorter than max_duty minus this margin
# cannot be too long on the wall clock, so only longer ones are measured there.
WALL_SLACK = timedelta(days=2)


def rotation_warnings(rotation: Rotation, people: dict[str, Person], segs: list[Segment], start: datetime,
                      end: datetime, max_duty: timedelta, min_rest: timedelta) -> list[Finding]:
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
    shown = sources_of(segs)
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
        reason = p.phone_problem if p else None
        if reason:
            what = "has no phone number" if reason == "no-phone" else f"has a phone that cannot be dialled ({p.phone})"
            out.append(Finding(rid, "no-valid-phone", start, end, pid, reason,
                               message=f"{pid} {what}, so cannot be paged"))
    for kind, who, a, b, length in _duty(segs, rotation, max_duty, min_rest):
        if kind == "long-duty":
            out.append(Finding(rid, kind, a, b, who,
                               message=f"{who} is on call for {rounded_duration(length)} without a break"))
        else:
            out.append(Finding(rid, kind, a, b, who,
                               message=f"{who} gets only {rounded_duration(length)} of rest between shifts"))
    return out


def _duty(segs: list[Segment], rotation: Rotation, max_duty: timedelta, min_rest: timedelta
          ) -> list[tuple[str, str, datetime, datetime, timedelta]]:
    """``(kind, person, start, end, length)`` of the ``long-duty`` and ``short-rest``
    warnings of ``segs``; for a ``Schedule``, found once per shape, pattern and limits."""
    runs, people = numbered_stretches(segs)
    memo = shape_memo(segs) if people is not None else None
    key = ("duty", rotation.timezone, max_duty, min_rest)
    found = memo.get(key) if memo is not None else None
    if found is None:
        found = []
        tz = rotation.tz
        for who, a, b in runs:
            if b - a <= max_duty - WALL_SLACK:
                continue
            # Measured on the rotation's wall clock, so a Monday-to-Monday week is 7 days
            # even when a DST change makes it 167 or 169 hours long.
            length = to_wall(b, tz) - to_wall(a, tz)
            if length > max_duty:
                found.append(("long-duty", who, a, b, length))
        last: dict = {}
        for who, a, b in runs:
            if who in last and a - last[who] < min_rest:
                found.append(("short-rest", who, last[who], a, a - last[who]))
            last[who] = b
        if memo is not None:
            memo[key] = found
    return found if people is None else [(kind, people[c], a, b, n) for kind, c, a, b, n in found]


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

    ``schedules`` are final schedules (each in time order, no two segments overlapping).
    Reported once per overlap and pair of rotations (the first, by id, names the finding):
    people in order of their first stretch (rotations in the order given), then pairs of
    rotations by id, then time."""
    # Only someone in two rotations can be on call twice: everyone else's stretches are
    # never looked at (in most organisations that is nearly everyone).
    first: dict[str, str] = {}
    shared: set[str] = set()
    for rid, segs in schedules.items():
        for who in people_of(segs):
            if first.setdefault(who, rid) != rid:
                shared.add(who)
    shared.discard(None)
    spans: dict[str, dict[str, list[Interval]]] = {}  # person -> rotation -> their stretches there
    for rid, segs in schedules.items():
        if shared.isdisjoint(people_of(segs)):
            continue
        for who, xs in stretches_by_person(segs).items():
            if who in shared:
                spans.setdefault(who, {})[rid] = xs
    out: list[Finding] = []
    for who, by_rotation in spans.items():
        for (r1, r2), both in _overlaps(by_rotation):
            message = f"{who} is on call in {r1} and {r2} at once"
            out.extend(Finding(r1, "on-call-twice", a, b, who, message=message) for a, b in merge(both))
    return out


def _overlaps(by_rotation: dict[str, list[Interval]]) -> list[tuple[tuple[str, str], list[Interval]]]:
    """One person's times on call in two rotations at once: ``((r1, r2), overlaps)`` for
    each pair of rotations ``r1 < r2`` with any, sorted by pair. ``by_rotation``: their
    stretches in each rotation, in time order, none overlapping another of that rotation.
    The overlaps are non-empty but may be unsorted and touch (``merge`` them)."""
    if len(by_rotation) < 2:
        return []
    if len(by_rotation) == 2:  # the usual case: one walk along both lists
        r1, r2 = sorted(by_rotation)
        both = intersect(by_rotation[r1], by_rotation[r2])
        return [((r1, r2), both)] if both else []
    # In many rotations: a sweep over all their stretches, not a walk per pair of rotations.
    runs = [_Run(a, b, rid) for rid, xs in by_rotation.items() for a, b in xs]
    pairs: dict[tuple[str, str], list[Interval]] = defaultdict(list)
    for i, j in overlapping_pairs(runs):
        x, y = runs[i], runs[j]
        r1, r2 = sorted((x.rotation, y.rotation))
        pairs[r1, r2].append((max(x.start, y.start), min(x.end, y.end)))
    return sorted(pairs.items())
