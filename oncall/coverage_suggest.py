"""Cover suggestions (``check --suggest``): fixes that, applied, leave ``check`` clean.

For each rotation with problems in the horizon ``[start, end)``:

* Every problem is taken whole: a stretch cut by the horizon's end is followed until it
  really ends (up to ``EXTEND`` later); one cut by its start begins at the horizon's
  start (covering the past fixes nothing). Times are whole minutes, widened outwards.
* A **recurring gap** (the same weekly window of the rotation's wall clock, at least
  twice) gets one fix for all its occurrences: a new layer restricted to exactly those
  windows (``oncall layer add``), with the members who are reachable, not away, not on
  call elsewhere then, and awake (07:00-23:00 on their own clock) where any are.
* A gap that never ends because a layer's ``until`` stops it gets the layer's next
  version from there (``oncall layer add ... --after LAYER``, members turned so whoever
  was due goes first).
* Any other problem gets an override to the member who is reachable, free and awake
  (preferred) with the least on-call time; each pick counts towards their load.

Every fix is tried on the schedule before it is proposed: it must remove the problems it
is for and add no warning (``long-duty``, ``short-rest``, ``on-call-twice``...), else the
next candidate is tried. Fixes build on each other, in order, as they would be applied.
The suggestion names the cause when it is a layer's ``until``, its restriction, or its
start. Pure: no clock, no file.
"""

from __future__ import annotations

import functools
from collections import Counter, defaultdict
from collections.abc import Iterable
from dataclasses import replace
from datetime import datetime, timedelta

from .coverage_causes import cause_of, is_awake, minute_ceil, minute_floor, weekly_window, windows_text
from .coverage_warnings import on_call_twice
from .findings import Finding, NewLayer, Suggestion
from .model import Directory, Layer, Override, Rotation, Segment, Window
from .schedule import stretches
from .timeline import Interval, format_duration, merge, overlaps, parse_windows, to_wall

EXTEND = timedelta(days=90)
TRIES = 6
BUDGET = 400  # fixes tried on the schedule in one run; past it, proposed untried (and said so)
UNTRIED = f"not tried on the schedule (more than {BUDGET} fixes in one run): check again after applying"


def load_by_person(schedules: Iterable[list[Segment]]) -> dict[str, timedelta]:
    """Each person's on-call time over the given schedules (all rotations summed)."""
    load: dict[str, timedelta] = defaultdict(timedelta)
    for segs in schedules:
        for s in segs:
            if s.person:
                load[s.person] += s.end - s.start
    return load


class _Work:
    """The directory as it will be once the suggestions so far are applied."""

    def __init__(self, d: Directory, schedule_of, limits: tuple[timedelta, timedelta]):
        self.d, self.start, self.end = d, schedule_of.start, schedule_of.end
        self.base, self.limits = schedule_of, limits
        self.changed: dict[str, Rotation] = {}
        self._reports: dict[tuple, tuple[Rotation, tuple[list[Finding], Counter]]] = {}
        self._people: dict[str, tuple[Rotation, set[str]]] = {}
        self._ends: dict[str, list[datetime]] = {}
        self.by_person: dict[str, list[tuple[datetime, datetime, str]]] = defaultdict(list)
        for rid in d.rotations:
            for who, a, b in stretches(schedule_of(rid)):
                self.by_person[who].append((a, b, rid))
        self.tries = 0

    def rotation(self, rid: str) -> Rotation:
        return self.changed.get(rid, self.d.rotations[rid])

    def report(self, rot: Rotation, who: frozenset[str], lo: datetime, hi: datetime
               ) -> tuple[list[Finding], Counter]:
        """The rotation's problems and warning counts (kind, person) over ``[lo, hi)`` if it
        were ``rot``, ``on-call-twice`` counted for ``who`` only (the people a fix puts on
        call). Remembered per state: the state before a fix is judged once, not per candidate."""
        key = (id(rot), who, lo, hi)
        if key not in self._reports or self._reports[key][0] is not rot:
            self._reports[key] = (rot, self._report(rot, who, lo, hi))
        return self._reports[key][1]

    def _report(self, rot: Rotation, who: frozenset[str], lo: datetime, hi: datetime
                ) -> tuple[list[Finding], Counter]:
        from .coverage import check_rotation
        from .schedule import final_schedule

        rotations = {**self.d.rotations, **self.changed, rot.id: rot}
        cache: dict[str, list[Segment]] = {}

        def schedule_of(rid: str) -> list[Segment]:
            if rid not in cache:
                r = rotations[rid]
                fresh = r is not self.d.rotations.get(rid)
                cache[rid] = final_schedule(r, lo, hi) if fresh else self._clipped(rid, lo, hi)
            return cache[rid]

        r = check_rotation(rot, self.d.people, lo, hi, *self.limits, rotations=rotations, schedule_of=schedule_of)
        near = {rid: [s for s in schedule_of(rid) if s.person in who] for rid, x in rotations.items()
                if rid == rot.id or who & self._people_of(x)}
        twice = [w for w in on_call_twice(near) if rot.id in w.message.split()]
        return r.problems, Counter((w.kind, w.person) for w in r.warnings + twice)

    def _people_of(self, rot: Rotation) -> set[str]:
        if self._people.get(rot.id, (None,))[0] is not rot:
            self._people[rot.id] = (rot, set(rot.members) | {o.who for o in rot.overrides})
        return self._people[rot.id][1]

    def _clipped(self, rid: str, lo: datetime, hi: datetime) -> list[Segment]:
        """The unchanged schedule of ``rid`` cut to ``[lo, hi)``."""
        import bisect

        segs = self.base(rid)
        if rid not in self._ends:
            self._ends[rid] = [s.end for s in segs]
        out = []
        for s in segs[bisect.bisect_right(self._ends[rid], lo):]:
            if s.start >= hi:
                break
            out.append(s._replace(start=max(s.start, lo), end=min(s.end, hi)))
        return out

    def fixes(self, rot: Rotation, stretches_: list[Interval], who: Iterable[str]) -> bool:
        """Does ``rot`` remove the problems over ``stretches_`` and add no warning? Judged
        around them only (warnings are local: a stretch, the rest before and after it)."""
        self.tries += 1
        if self.tries > BUDGET:
            return True
        who = frozenset(who)
        margin = self.limits[0] + self.limits[1] + timedelta(days=2)
        lo = max(self.start, min(a for a, _ in stretches_) - margin)
        hi = min(self.end, max(b for _, b in stretches_) + margin)
        _, before = self.report(self.rotation(rot.id), who, lo, hi)
        problems, after = self.report(rot, who, lo, hi)
        left = [(p.start, p.end) for p in problems if any(p.start < b and p.end > a for a, b in stretches_)]
        return not left and all(n <= before[k] for k, n in after.items())


def _whole(f: Finding, far, start: datetime, end: datetime) -> tuple[datetime, datetime, bool]:
    """The problem ``f`` not cut by the horizon's end: ``(start, end, endless)``; ``far()``
    is the rotation's report up to ``EXTEND`` past the horizon."""
    b = f.end
    if f.end >= end:
        b = next((p.end for p in far().problems if (p.kind, p.person, p.reason) == (f.kind, f.person, f.reason)
                  and p.start <= f.start < p.end), f.end)
    return minute_floor(max(f.start, start)), minute_ceil(b), b >= end + EXTEND


def _candidates(work: _Work, rot: Rotation, spans: list[Interval], load: dict[str, timedelta],
                busy) -> tuple[list[str], bool]:
    """Members who can be paged, are not away and not on call elsewhere over ``spans``,
    least loaded first; and whether they are the awake ones (False: nobody is awake then)."""
    free = []
    for pid in rot.members:
        p = work.d.people.get(pid)
        if p is None or p.phone_problem or any(x.start < b and x.end > a for x in p.away for a, b in spans):
            continue
        if any(overlaps(busy(pid), a, b) for a, b in spans):
            continue
        free.append(pid)
    free.sort(key=lambda pid: load.get(pid, timedelta()))
    awake = [pid for pid in free if all(is_awake(work.d.people[pid], a, b) for a, b in spans)]
    return (awake, True) if awake else (free, False)


def _busy(work: _Work, rid: str):
    """``busy(pid)``: where ``pid`` is on call in the rotations other than ``rid``."""
    @functools.cache
    def busy(pid: str) -> list[Interval]:
        return merge([(a, b) for a, b, other in work.by_person.get(pid, []) if other != rid])

    return busy


def _with_layer(rot: Rotation, new: NewLayer) -> Rotation:
    from .timeline import parse_duration

    layer = Layer(new.name, new.members, new.start, parse_duration(new.every), new.timezone or rot.timezone,
                  parse_windows(list(new.only)) if new.only else None, new.until, new.since)
    layers = list(rot.layers)
    at = next((i + 1 for i, x in enumerate(layers) if x.name == new.after), len(layers))
    return replace(rot, layers=tuple(layers[:at] + [layer] + layers[at:]))


def _layer_fix(work: _Work, rot: Rotation, spans: list[Interval], windows: list[Window], first: datetime,
               load, busy) -> tuple[Rotation, NewLayer, bool] | None:
    """A layer restricted to ``windows``, handing off from ``first``, that covers ``spans``
    and adds no warning."""
    from .edit import next_name

    free, awake = _candidates(work, rot, spans, load, busy)
    start = to_wall(first, rot.tz)
    name = next_name("cover", {x.name for x in rot.layers}) if any(x.name == "cover" for x in rot.layers) else "cover"
    for members in [tuple(free)] + [(pid,) for pid in free[:TRIES]]:
        if not members:
            continue
        new = NewLayer(name, members, start, "1w", windows_text(windows))
        changed = _with_layer(rot, new)
        if work.fixes(changed, spans, members):
            return changed, new, awake
    return None


def _continue_fix(work: _Work, rot: Rotation, a: datetime, b: datetime, endless: bool
                  ) -> tuple[Rotation, NewLayer] | None:
    """The layer whose ``until`` opens the gap at ``a``, continued over the gap: the same
    turns from ``a`` on (``from``), to the gap's end unless it has none."""
    from .edit import next_name

    for layer in reversed(rot.layers):
        if layer.until is None or not a - timedelta(minutes=1) <= layer.until <= a:
            continue
        new = NewLayer(next_name(layer.name, {x.name for x in rot.layers}), layer.members, layer.start,
                       format_duration(layer.every), windows_text(list(layer.only)) if layer.only else (),
                       layer.timezone if layer.timezone != rot.timezone else None, layer.name,
                       since=layer.until, until=None if endless else b)
        changed = _with_layer(rot, new)
        if work.fixes(changed, [(a, b)], layer.members):
            return changed, new
    return None


def _override_fix(work: _Work, rot: Rotation, a: datetime, b: datetime, load, busy
                  ) -> tuple[Rotation, str] | None:
    free, _ = _candidates(work, rot, [(a, b)], load, busy)
    for pid in free[:TRIES]:
        changed = replace(rot, overrides=rot.overrides + (Override(pid, a, b),))
        if work.fixes(changed, [(a, b)], (pid,)):
            return changed, pid
    if free:  # nobody without a new warning: still the best cover
        return replace(rot, overrides=rot.overrides + (Override(free[0], a, b),)), free[0]
    return None


def suggest(directory: Directory, problems: list[Finding], schedule_of, max_duty: timedelta,
            min_rest: timedelta) -> list[Suggestion]:
    """Fixes for ``problems`` (``check``'s, over the horizon of ``schedule_of``, a
    ``coverage.Schedules``, with its ``max_duty`` and ``min_rest``), rotation by rotation
    in the order they come, each tried on the schedule as the fixes before it leave it
    (see the module docstring)."""
    work = _Work(directory, schedule_of, (max_duty, min_rest))
    load = load_by_person(schedule_of(rid) for rid in directory.rotations)
    by_rotation: dict[str, list[Finding]] = {}
    for f in problems:
        by_rotation.setdefault(f.rotation, []).append(f)
    out: list[Suggestion] = []
    for rid, found in by_rotation.items():
        out += _for_rotation(work, rid, found, load)
    return out


def _recurring(rot: Rotation, whole: list[tuple[Finding, datetime, datetime, bool]]):
    """The gaps among ``whole`` whose weekly window comes back, and those windows."""
    weekly = {i: weekly_window(a, b, rot) for i, (f, a, b, endless) in enumerate(whole)
              if f.kind == "gap" and not endless}
    counts = Counter(w for w in weekly.values() if w)
    picked = [i for i, w in weekly.items() if w and counts[w] >= 2]
    return picked, sorted({weekly[i] for i in picked})


def _for_rotation(work: _Work, rid: str, found: list[Finding], load: dict[str, timedelta]) -> list[Suggestion]:
    original = work.rotation(rid)
    a0, b0 = work.start, work.end
    busy = _busy(work, rid)
    seen: set[tuple[datetime, datetime]] = set()
    whole = []

    @functools.cache
    def far():
        from .coverage import check_rotation

        return check_rotation(original, work.d.people, a0, b0 + EXTEND)

    for f in found:
        if (f.start, f.end) not in seen:
            seen.add((f.start, f.end))
            whole.append((f, *_whole(f, far, a0, b0)))
    out: list[Suggestion] = []
    picked, windows = _recurring(original, whole)
    if picked:
        spans = [(whole[i][1], whole[i][2]) for i in picked]
        first = min(a for _, a, _, _ in whole)
        fix = _layer_fix(work, original, spans, windows, first, load, busy)
        if fix:
            work.changed[rid], new, awake = fix
            out.append(Suggestion(rid, "gap", spans[0][0], spans[-1][1], None, cause=cause_of(original, *spans[0]),
                                  layer=new, covers=tuple(spans),
                                  reason=None if awake else "nobody is awake then on their own clock"))
        else:
            picked = []
    for i, (f, a, b, endless) in enumerate(whole):
        if i in picked:
            continue
        if out and not _still_there(work, rid, f, a, b):
            out[-1] = replace(out[-1], covers=out[-1].covers + ((a, b),))
            continue
        out += _one(work, rid, f, a, b, endless, load, busy, original)
    return out


def _still_there(work: _Work, rid: str, f: Finding, a: datetime, b: datetime) -> bool:
    problems, _ = work.report(work.rotation(rid), frozenset(), max(a, work.start), min(b, work.end))
    return any(p.kind == f.kind and p.start < b and p.end > a for p in problems)


def _one(work: _Work, rid: str, f: Finding, a: datetime, b: datetime, endless: bool,
         load: dict[str, timedelta], busy, original: Rotation) -> list[Suggestion]:
    """The fix of one problem stretch: the ended layer continued over a gap that is endless
    or longer than ``max_duty``, else overrides (one per ``max_duty`` at most)."""
    rot = work.rotation(rid)
    cause = cause_of(original, a, b) if f.kind == "gap" else None
    max_duty = work.limits[0]
    if f.kind == "gap" and (endless or b - a > max_duty):
        fix = _continue_fix(work, rot, a, b, endless)
        if fix:
            work.changed[rid], new = fix
            return [Suggestion(rid, f.kind, a, b, None, cause=cause, layer=new, covers=((a, b),))]
    if endless:
        return [Suggestion(rid, f.kind, a, b, None, cause=cause,
                           reason="the gap does not end: add a layer that covers it")]
    if not _candidates(work, rot, [(a, b)], load, busy)[0]:
        return [Suggestion(rid, f.kind, a, b, None, cause=cause,
                           reason="no member is free and reachable for the whole stretch")]
    out = []
    cuts = [a]
    while b - cuts[-1] > max_duty:
        cuts.append(cuts[-1] + max_duty)
    for x, y in zip(cuts, cuts[1:] + [b], strict=True):
        cover = _override_fix(work, work.rotation(rid), x, y, load, busy)
        if cover is None:
            out.append(Suggestion(rid, f.kind, x, y, None, cause=cause,
                                  reason="no member is free and reachable for the whole stretch"))
            continue
        work.changed[rid], pid = cover
        out.append(Suggestion(rid, f.kind, x, y, pid, load[pid], cause=cause, covers=((x, y),),
                              reason=UNTRIED if work.tries > BUDGET else None))
        load[pid] += y - x
    return out
