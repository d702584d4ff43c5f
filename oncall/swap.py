"""Swaps: two people trade their on-call time in a range, as overrides that say they
belong together. Pure: the folder and the range are arguments."""

from __future__ import annotations

from datetime import datetime

from .model import Directory, Segment
from .schedule import final_schedule, layer_segments
from .timeline import join_runs


def swap_overrides(segments: list[Segment], a: str, b: str) -> list[tuple[str, datetime, datetime]]:
    """Overrides that give ``a``'s time in ``segments`` to ``b`` and ``b``'s to ``a``:
    ``(who, start, end)``, one per unbroken stretch, in time order."""
    return join_runs((b if s.person == a else a, s.start, s.end) for s in segments if s.person in (a, b))


def swap_id(a: str, b: str, day: str, taken: set[str]) -> str:
    """The ``swap`` key a swap's overrides share: ``a-b-DAY``, then ``a-b-DAY-2``... if taken."""
    base = f"{a}-{b}-{day}"
    n, name = 1, base
    while name in taken:
        n += 1
        name = f"{base}-{n}"
    return name


def double_bookings(d: Directory, rid: str, planned: list[tuple[str, datetime, datetime]]
                    ) -> list[tuple[str, datetime, datetime, str]]:
    """Where someone a swap gives time to is already on call: in another rotation, or in
    ``rid`` itself through a layer or an override the final schedule hides there.
    ``(person, start, end, where)`` in time order."""
    if not planned:
        return []
    lo, hi = min(s for _, s, _ in planned), max(t for _, _, t in planned)
    rot = d.rotations[rid]
    elsewhere = [(f"on call in {other}", final_schedule(d.rotations[other], lo, hi))
                 for other in sorted(d.rotations) if other != rid]
    here = [(f"on call in {rid} through layer {layer.name!r}", layer_segments(rid, layer, lo, hi))
            for layer in rot.layers]
    overrides = [(f"on call in {rid} through an override", [Segment(rid, o.who, o.start, o.end, "override")])
                 for o in rot.overrides]
    found = []
    for where, segs in elsewhere + here + overrides:
        for who, s, t in planned:
            found += [(who, max(s, x.start), min(t, x.end), where) for x in segs
                      if x.person == who and x.start < t and x.end > s]
    return sorted(found, key=lambda x: (x[1], x[0], x[3]))
