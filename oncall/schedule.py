"""The schedule engine: pure functions of a rotation and instants.

Handoff ``k`` of a layer is at wall time ``start + k * every`` on the layer's clock,
turned into an instant by ``timeline.resolve`` (a missing wall time is the instant of
the jump; a repeated one its first occurrence). Shift ``k`` is ``[handoff k,
handoff k+1)``, empty when the two coincide, and belongs to ``members[k % n]``.
A layer is empty before its start (and before ``since``, its ``from``) and from ``until``
on; a restricted layer covers only the parts of its shifts inside its ``only`` windows,
while the rotation keeps turning.

The final schedule: overrides beat layers (a later override beats an earlier one), and
a later layer beats an earlier one; where nothing covers, there is a gap.
Cost is proportional to the shifts inside the asked range, not to the distance from a
layer's start: the first shift index is computed arithmetically.
"""

from __future__ import annotations

from collections.abc import Iterable
from datetime import datetime, timedelta
from functools import lru_cache
from operator import itemgetter
from typing import NamedTuple
from zoneinfo import ZoneInfo

from .model import Layer, Rotation, Segment
from .shape import NOTHING, Plan, Schedule, numbered_stretches
from .timeline import (
    Interval,
    insert,
    intersect,
    merge,
    outside,
    outside_one,
    resolve,
    subtract,
    to_wall,
    window_intervals,
)

OVERRIDE = "override"


def handoff(layer: Layer, k: int) -> datetime:
    """The instant of handoff ``k`` (``k`` may be any integer)."""
    return resolve(layer.start + k * layer.every, layer.tz)


def shift_index(layer: Layer, t: datetime) -> int:
    """The ``k`` with ``handoff(k) <= t < handoff(k + 1)``; negative before the start."""
    wall = to_wall(t, layer.tz)
    k = (wall - layer.start) // layer.every
    # The wall clock can disagree with the resolved instants by the size of a DST
    # change (or a skipped day), so settle on the exact index from the estimate.
    while handoff(layer, k + 1) <= t:
        k += 1
    while handoff(layer, k) > t:
        k -= 1
    return k


def layer_shifts(layer: Layer, start: datetime, end: datetime) -> list[tuple[datetime, datetime, int]]:
    """The layer's unrestricted shifts overlapping ``[start, end)``, clipped to it and to
    the layer's life: ``(start, end, k)``, non-empty, in order."""
    first = handoff(layer, 0)
    lo = max(start, first, layer.since) if layer.since else max(start, first)
    hi = min(end, layer.until) if layer.until else end
    if lo >= hi:
        return []
    k = shift_index(layer, lo)
    tz, every = layer.tz, layer.every
    wall = layer.start + k * every
    a = resolve(wall, tz)
    out = []
    while a < hi:
        wall += every
        b = resolve(wall, tz)
        if b > a:
            out.append((max(a, lo), min(b, hi), k))
        a = b
        k += 1
    return out


class _Timing(NamedTuple):
    """What a layer's pieces depend on: its times and how many members take turns, not
    who they are (attribute names as ``Layer``'s, so ``layer_shifts`` takes either)."""

    start: datetime
    every: timedelta
    tz: ZoneInfo
    only: tuple | None
    since: datetime | None
    until: datetime | None
    n: int


def _timing(layer: Layer) -> _Timing:
    return _Timing(layer.start, layer.every, layer.tz, layer.only, layer.since, layer.until, len(layer.members))


def _layer_pieces(layer: Layer | _Timing, start: datetime, end: datetime, n: int, base: int = 0
                  ) -> list[tuple[datetime, datetime, int]]:
    """The layer's own on-call time in ``[start, end)``: ``(start, end, base + k % n)``
    (its member's slot), sorted."""
    shifts = layer_shifts(layer, start, end)
    if not shifts:
        return []
    if layer.only is None:
        return [(a, b, base + k % n) for a, b, k in shifts]
    windows = _windows(layer.only, layer.tz, start, end)
    last = len(windows)
    out = []
    j = 0
    for a, b, k in shifts:
        while j < last and windows[j][1] <= a:
            j += 1
        i = j
        while i < last and windows[i][0] < b:
            lo, hi = windows[i]
            lo, hi = (a if a > lo else lo), (b if b < hi else hi)
            if lo < hi:
                out.append((lo, hi, base + k % n))
            i += 1
    return out


def layer_segments(rotation: str, layer: Layer, start: datetime, end: datetime) -> list[Segment]:
    """The layer's own on-call time in ``[start, end)``, restrictions applied."""
    source, members = f"layer:{layer.name}", layer.members
    return [Segment(rotation, members[m], a, b, source)
            for a, b, m in _layer_pieces(layer, start, end, len(members))]


@lru_cache(maxsize=256)
def _windows(only: tuple, tz, start: datetime, end: datetime) -> tuple:
    # Rotations of one organisation share zones and windows (mon-fri 09:00-17:00), and a
    # check asks every rotation about the same range: compute each combination once.
    return tuple(window_intervals(only, tz, start, end))


def final_schedule(rotation: Rotation, start: datetime, end: datetime) -> Schedule:
    """The final schedule's segments in ``[start, end)``, sorted, disjoint, clipped.

    Decided top-down: overrides from the last written, then layers from the last; each
    keeps only the time nothing above it has taken. Who is on call matters to none of
    that, only which turn (member ``k % n`` of a layer, or which override) holds each
    piece: so the pieces are computed per *shape* (``_plan``), and rotations made from one
    template (the same zone, layer times, windows, member counts and override times, as
    most teams of an organisation are) share that work; the people are named here.
    """
    cast: list[str] = []
    sources: list[str] = []
    for layer in rotation.layers:
        cast += layer.members
        sources += [f"layer:{layer.name}"] * len(layer.members)
    cast += [o.who for o in rotation.overrides]
    sources += [OVERRIDE] * len(rotation.overrides)
    if start >= end:
        return Schedule(NOTHING, cast, sources, rotation.id)
    # Equal instants in other zones are equal keys: the zones are keyed too, since the
    # clipped pieces carry the caller's ``start`` and ``end`` objects.
    zones = start.tzinfo, end.tzinfo
    layers = tuple(map(_timing, rotation.layers))
    plan = _plan(layers, start, end, zones)
    if rotation.overrides:
        plan = _with_overrides(plan, layers, tuple((o.start, o.end) for o in rotation.overrides), start, end, zones)
    return Schedule(plan, cast, sources, rotation.id)


@lru_cache(maxsize=128)  # a check asks each rotation about one range; templates repeat
def _plan(layers: tuple[_Timing, ...], start: datetime, end: datetime, zones: tuple) -> Plan:
    """The layers' part of ``final_schedule`` for a shape: pieces as columns, sorted by
    start; a piece's slot numbers the layers' members in order (layer 0's first)."""
    first = []
    n = 0
    for t in layers:
        first.append(n)
        n += t.n
    pieces: list[tuple[datetime, datetime, int]] = []
    taken: list[Interval] = []
    for i in range(len(layers) - 1, -1, -1):
        own = _layer_pieces(layers[i], start, end, layers[i].n, first[i])
        if not own:
            continue
        if taken:
            pieces += [(a, b, piece[2]) for a, b, piece in outside(own, taken)]
        else:  # the topmost layer: all its time is its own
            pieces += own
        if i:  # the first layer is decided last: nothing needs the time it takes
            taken = merge([*taken, *((a, b) for a, b, _ in own)])
    return Plan(pieces)


@lru_cache(maxsize=32)
def _with_overrides(below: Plan, layers: tuple[_Timing, ...], overrides: tuple[Interval, ...], start: datetime,
                    end: datetime, zones: tuple) -> Plan:
    """``below`` (the layers' plan) under ``overrides``, the later written on top; slot
    ``n + j`` is override ``j``, after the layers' ``n`` members. Taking the overrides'
    time from the layers' pieces leaves the same pieces as deciding all of them top-down."""
    n = sum(t.n for t in layers)
    pieces: list[tuple[datetime, datetime, int]] = []
    taken: list[Interval] = []
    for j in range(len(overrides) - 1, -1, -1):
        o_start, o_end = overrides[j]
        if o_start < end and o_end > start:
            a, b = max(o_start, start), min(o_end, end)
            pieces += [(x, y, n + j) for x, y in outside_one(a, b, taken)]
            insert(taken, a, b)
    layered = zip(below.starts, below.ends, below.slots, strict=True)
    pieces += [(a, b, piece[2]) for a, b, piece in outside(layered, taken)]
    return Plan(pieces)




def covered(segments: list[Segment]) -> list[Interval]:
    """The time sorted, disjoint ``segments`` (as ``final_schedule`` gives) cover, merged:
    one linear pass, no sort (for a ``Schedule``, once per shape)."""
    plan = segments.plan if isinstance(segments, Schedule) else None
    if plan is None:
        return _joined(zip(map(_START, segments), map(_END, segments), strict=True))
    if "covered" not in plan.memo:
        plan.memo["covered"] = _joined(zip(plan.starts, plan.ends, strict=True))
    return list(plan.memo["covered"])


def _joined(pairs: Iterable[Interval]) -> list[Interval]:
    out: list[Interval] = []
    for a, b in pairs:
        if out and out[-1][1] == a:
            out[-1] = (out[-1][0], b)
        else:
            out.append((a, b))
    return out


_START, _END = itemgetter(2), itemgetter(3)  # Segment.start, Segment.end


def gaps(segments: list[Segment], start: datetime, end: datetime) -> list[Interval]:
    """The time in ``[start, end)`` that no segment covers."""
    return subtract([(start, end)], covered(segments))


def coverage_intervals(rotation: Rotation, start: datetime, end: datetime) -> list[Interval]:
    return window_intervals(rotation.coverage, rotation.tz, start, end)


def in_coverage(rotation: Rotation, at: datetime) -> bool:
    """Whether instant ``at`` lies inside ``rotation``'s coverage windows (someone must be on call)."""
    return bool(coverage_intervals(rotation, at, at + timedelta(microseconds=1)))


def required_gaps(rotation: Rotation, segs: list[Segment], start: datetime, end: datetime) -> list[Interval]:
    """Where nobody is on call inside ``rotation``'s coverage windows in ``[start, end)``
    (``segs``: its final schedule there): ``check``'s gaps, the gaps ``shifts`` shows and
    the holes feeds mark. The one place that rule is written."""
    return intersect(gaps(segs, start, end), coverage_intervals(rotation, start, end))


class OnCall(NamedTuple):
    """Who is on call at ``at``: the current stretch (consecutive segments of the same
    person, or the gap) and who is on call first after it: someone else at ``end``, or
    anyone (the same person included) after a gap. ``None`` means past the search
    horizon (``HORIZON`` either side of ``at``)."""

    rotation: str
    at: datetime
    person: str | None
    start: datetime | None
    end: datetime | None
    source: str | None
    next_person: str | None
    next_start: datetime | None


HORIZON = timedelta(days=400)


def on_call(rotation: Rotation, at: datetime) -> OnCall:
    """Who is on call in ``rotation`` at instant ``at``, since when, until when, and next."""
    span = timedelta(days=8)
    while True:
        lo, hi = at - span, at + span
        segs = final_schedule(rotation, lo, hi)
        result = _stretch(rotation.id, segs, at, lo, hi)
        complete = result.start is not None and result.end is not None and result.next_person is not None
        if complete or span >= HORIZON:
            return result
        span = min(span * 4, HORIZON)


def _stretch(rid: str, segs: list[Segment], at: datetime, lo: datetime, hi: datetime) -> OnCall:
    i = next((n for n, s in enumerate(segs) if s.end > at), len(segs))
    current = segs[i] if i < len(segs) and segs[i].start <= at else None
    if current is None:
        start = segs[i - 1].end if i > 0 else None
        end = segs[i].start if i < len(segs) else None
        nxt = segs[i] if i < len(segs) else None
        return OnCall(rid, at, None, start, end, None,
                      nxt.person if nxt else None, nxt.start if nxt else None)
    person = current.person
    a = i
    while a > 0 and segs[a - 1].end == segs[a].start and segs[a - 1].person == person:
        a -= 1
    b = i
    while b + 1 < len(segs) and segs[b + 1].start == segs[b].end and segs[b + 1].person == person:
        b += 1
    start = segs[a].start if segs[a].start > lo else None
    end = segs[b].end if segs[b].end < hi else None
    nxt = segs[b + 1] if b + 1 < len(segs) else None
    return OnCall(rid, at, person, start, end, current.source,
                  nxt.person if nxt else None, nxt.start if nxt else None)


def stretches(segs: list[Segment]) -> list[tuple[str, datetime, datetime]]:
    """Consecutive segments of one person joined: ``(person, start, end)``, gaps left out."""
    runs, people = numbered_stretches(segs)
    return runs if people is None else [(people[c], a, b) for c, a, b in runs]


def uncut(rotation: Rotation, seg: Segment, start: datetime, end: datetime) -> tuple[datetime | None, datetime | None]:
    """``seg``, a segment of ``final_schedule(rotation, start, end)``, with the bounds the
    range cut put back: the instants its piece of the final schedule really begins and
    ends (None: more than ``HORIZON`` away). A bound inside the range is its own."""
    return (_edge(rotation, seg, -1) if seg.start == start else seg.start,
            _edge(rotation, seg, 1) if seg.end == end else seg.end)


def _edge(rotation: Rotation, seg: Segment, direction: int) -> datetime | None:
    # A piece's bounds are handoffs, window edges and overrides, never the range's, so the
    # piece holding seg.start in a wider range is seg's own, uncut on the widened side.
    span = timedelta(days=8)
    while True:
        lo, hi = (seg.start - span, seg.end) if direction < 0 else (seg.start, seg.end + span)
        whole = next(s for s in final_schedule(rotation, lo, hi) if s.start <= seg.start < s.end)
        t = whole.start if direction < 0 else whole.end
        if lo < t < hi:
            return t
        if span >= HORIZON:
            return None
        span = min(span * 4, HORIZON)
