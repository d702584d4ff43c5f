"""Cover suggestions: who could take a problem stretch over by an override. Pure."""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Callable, Iterable
from datetime import datetime, timedelta

from .findings import Finding, Suggestion
from .model import Directory, Person, Segment
from .schedule import stretches
from .timeline import Interval, insert, merge, overlaps


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
    if p is None or p.phone_problem or p.away_within(a, b):
        return False
    return not overlaps(busy, a, b)
