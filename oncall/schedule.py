"""The schedule engine: pure functions of a rotation and instants.

Handoff ``k`` of a layer is at wall time ``start + k * every`` on the layer's clock,
turned into an instant by ``timeline.resolve`` (a missing wall time is the instant of
the jump; a repeated one its first occurrence). Shift ``k`` is ``[handoff k,
handoff k+1)``, empty when the two coincide, and belongs to ``members[k % n]``.
A layer is empty before its start and from ``until`` on; a restricted layer covers only
the parts of its shifts inside its ``only`` windows, while the rotation keeps turning.

The final schedule: overrides beat layers (a later override beats an earlier one), and
a later layer beats an earlier one; where nothing covers, there is a gap.
Cost is proportional to the shifts inside the asked range, not to the distance from a
layer's start: the first shift index is computed arithmetically.
"""

from __future__ import annotations

from datetime import datetime, timedelta
from functools import lru_cache
from typing import NamedTuple

from .model import Layer, Rotation, Segment
from .timeline import Interval, merge, resolve, subtract, to_wall, window_intervals

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
    lo = max(start, first)
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


def layer_segments(rotation: str, layer: Layer, start: datetime, end: datetime) -> list[Segment]:
    """The layer's own on-call time in ``[start, end)``, restrictions applied."""
    source = f"layer:{layer.name}"
    members = layer.members
    n = len(members)
    shifts = layer_shifts(layer, start, end)
    if not shifts:
        return []
    if layer.only is None:
        return [Segment(rotation, members[k % n], a, b, source) for a, b, k in shifts]
    windows = _windows(layer.only, layer.tz, start, end)
    out = []
    j = 0
    for a, b, k in shifts:
        while j < len(windows) and windows[j][1] <= a:
            j += 1
        i = j
        while i < len(windows) and windows[i][0] < b:
            lo, hi = max(a, windows[i][0]), min(b, windows[i][1])
            if lo < hi:
                out.append(Segment(rotation, members[k % n], lo, hi, source))
            i += 1
    return out


@lru_cache(maxsize=256)
def _windows(only: tuple, tz, start: datetime, end: datetime) -> tuple:
    # Rotations of one organisation share zones and windows (mon-fri 09:00-17:00), and a
    # check asks every rotation about the same range: compute each combination once.
    return tuple(window_intervals(only, tz, start, end))


def _overlay(base: list[Segment], top: list[Segment]) -> list[Segment]:
    """``top`` wins wherever it covers; ``base`` keeps the rest. Both sorted, disjoint."""
    if not top:
        return base
    if not base:
        return top
    cover = merge([(s.start, s.end) for s in top])
    n = len(cover)
    kept: list[Segment] = []
    j = 0
    for s in base:
        while j < n and cover[j][1] <= s.start:
            j += 1
        if j >= n or cover[j][0] >= s.end:
            kept.append(s)
            continue
        cur, k = s.start, j
        while k < n and cover[k][0] < s.end:
            if cover[k][0] > cur:
                kept.append(Segment(s.rotation, s.person, cur, cover[k][0], s.source))
            cur = max(cur, cover[k][1])
            k += 1
        if cur < s.end:
            kept.append(Segment(s.rotation, s.person, cur, s.end, s.source))
    kept.extend(top)
    kept.sort(key=_start)
    return kept


def _start(s: Segment) -> datetime:
    return s.start


def final_schedule(rotation: Rotation, start: datetime, end: datetime) -> list[Segment]:
    """The final schedule's segments in ``[start, end)``, sorted, disjoint, clipped."""
    segments: list[Segment] = []
    if start >= end:
        return segments
    for layer in rotation.layers:
        segments = _overlay(segments, layer_segments(rotation.id, layer, start, end))
    for o in rotation.overrides:
        if o.start < end and o.end > start:
            seg = Segment(rotation.id, o.who, max(o.start, start), min(o.end, end), OVERRIDE)
            segments = _overlay(segments, [seg])
    return segments


def covered(segments: list[Segment]) -> list[Interval]:
    return merge([(s.start, s.end) for s in segments])


def gaps(segments: list[Segment], start: datetime, end: datetime) -> list[Interval]:
    """The time in ``[start, end)`` that no segment covers."""
    return subtract([(start, end)], covered(segments))


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
