"""A schedule by shape: the pieces of a final schedule computed once for every rotation
made from one template, and the segments named from them.

``schedule.final_schedule`` decides which *slot* (member ``k % n`` of a layer, or an
override) holds each piece of time; that depends on a rotation's zone, layer times,
windows, member counts and override times, not on who the people are. A ``Plan`` holds
those pieces and a ``memo`` of what else depends only on them and on which slots are one
person (covered time, stretches, duty warnings); a ``Schedule`` is one rotation's
segments, named from a plan with its cast.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime
from itertools import repeat
from operator import itemgetter

from .model import Segment
from .timeline import join_runs

_FIRST = itemgetter(0)


class Plan:
    """A shape's final schedule: columns ``starts``, ``ends``, ``slots`` (sorted by start;
    a slot numbers the layers' members in order, then the overrides), and ``memo``, where
    what depends only on the shape and on which slots are the same person (covered time,
    stretches) is kept, so that rotations of one template compute it once."""

    __slots__ = ("starts", "ends", "slots", "memo")

    def __init__(self, pieces: list[tuple[datetime, datetime, int]]):
        pieces.sort(key=_FIRST)
        self.starts, self.ends, self.slots = map(tuple, zip(*pieces, strict=True)) if pieces else ((), (), ())
        self.memo: dict = {}


NOTHING = Plan([])


class Schedule(Sequence):
    """``final_schedule``'s segments: an immutable sequence, equal to the list of the
    same segments, named from a ``Plan`` only when asked for (``check`` answers most
    questions from the plan and never needs most segments made). ``pattern`` numbers
    the slots' people (the slots of one person share a number, in order of first slot);
    ``people`` lists them by that number."""

    __slots__ = ("plan", "cast", "sources", "rotation", "pattern", "people", "_made")

    def __init__(self, plan: Plan, cast: list[str], sources: list[str], rid: str):
        self.plan, self.cast, self.sources, self.rotation = plan, cast, sources, rid
        first: dict[str, int] = {}
        self.pattern = tuple(first.setdefault(p, len(first)) for p in cast)
        self.people = tuple(first)
        self._made: list[Segment] | None = None

    def _all(self) -> list[Segment]:
        if self._made is None:
            slots, cast, sources = self.plan.slots, self.cast, self.sources
            # All in C (no Python frame per segment): an organisation has hundreds of thousands.
            self._made = list(map(tuple.__new__, repeat(Segment), zip(
                repeat(self.rotation), [cast[s] for s in slots], self.plan.starts, self.plan.ends,
                [sources[s] for s in slots])))
        return self._made

    def __len__(self) -> int:
        return len(self.plan.slots)

    def __getitem__(self, i):
        if self._made is not None or isinstance(i, slice):
            return self._all()[i]
        plan = self.plan
        slot = plan.slots[i]
        return Segment(self.rotation, self.cast[slot], plan.starts[i], plan.ends[i], self.sources[slot])

    def __iter__(self):
        return iter(self._all())

    def __eq__(self, other) -> bool:
        return self._all() == (other._all() if isinstance(other, Schedule) else other)

    def __add__(self, other) -> list[Segment]:
        return self._all() + list(other)

    def __radd__(self, other) -> list[Segment]:
        return list(other) + self._all()

    __hash__ = None  # type: ignore[assignment]  # equal to a list, so unhashable like one

    def __repr__(self) -> str:
        return f"Schedule({self._all()!r})"


def numbered_stretches(segs: list[Segment]) -> tuple[list[tuple], tuple[str, ...] | None]:
    """``stretches`` of ``segs`` and None or, for a ``Schedule``, with each person as the
    number ``pattern`` gives them (computed once per shape and pattern) and the people."""
    memo = shape_memo(segs)
    if memo is None:
        return join_runs((s.person, s.start, s.end) for s in segs if s.person is not None), None
    if "stretches" not in memo:
        plan, pattern = segs.plan, segs.pattern
        memo["stretches"] = join_runs(zip(map(pattern.__getitem__, plan.slots), plan.starts, plan.ends, strict=True))
    return memo["stretches"], segs.people


def stretches_by_person(segs: list[Segment]) -> dict[str | None, list[tuple[datetime, datetime]]]:
    """Each person's ``stretches`` of ``segs`` as ``(start, end)`` intervals in time order,
    the people in order of their first stretch; for a ``Schedule``, grouped once per shape
    and pattern. The lists may be shared with other rotations: read them, never change them."""
    runs, people = numbered_stretches(segs)
    memo = shape_memo(segs) if people is not None else None
    grouped = memo.get("stretches by person") if memo is not None else None
    if grouped is None:
        grouped = {}
        for who, a, b in runs:
            grouped.setdefault(who, []).append((a, b))
        if memo is not None:
            memo["stretches by person"] = grouped
    return grouped if people is None else {people[c]: spans for c, spans in grouped.items()}


def columns(segs: list[Segment]) -> tuple[Sequence[datetime], Sequence[datetime], list, list]:
    """``segs`` as columns ``(starts, ends, persons, sources)``; for a ``Schedule``, taken
    from its plan without making a segment (``export --all`` reads 123k segments of 100
    rotations once each: making them was a twentieth of its work)."""
    if isinstance(segs, Schedule):
        plan = segs.plan
        return (plan.starts, plan.ends, list(map(segs.cast.__getitem__, plan.slots)),
                list(map(segs.sources.__getitem__, plan.slots)))
    return (tuple(s.start for s in segs), tuple(s.end for s in segs), [s.person for s in segs],
            [s.source for s in segs])


def shape_memo(segs: list[Segment]) -> dict | None:
    """Where to keep what depends only on ``segs``' shape and pattern (a ``Schedule``'s),
    shared by every rotation with both; None for any other list of segments."""
    plan = segs.plan if isinstance(segs, Schedule) else None
    return None if plan is None else plan.memo.setdefault(("pattern", segs.pattern), {})


def people_of(segs: list[Segment]) -> set[str | None]:
    """Everyone who may be on call in ``segs``: for a ``Schedule``, its rotation's whole
    cast (in range or not), without a pass over the segments."""
    return set(segs.people) if isinstance(segs, Schedule) else {s.person for s in segs}


def sources_of(segs: list[Segment]) -> set[str]:
    """The ``source`` of every segment of ``segs``."""
    plan = segs.plan if isinstance(segs, Schedule) else None
    if plan is None:
        return {s.source for s in segs}
    if "slots" not in plan.memo:
        plan.memo["slots"] = frozenset(plan.slots)
    return {segs.sources[s] for s in plan.memo["slots"]}
