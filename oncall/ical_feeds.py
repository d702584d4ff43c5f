"""``ical.Feeds``: every feed of a folder from each rotation's schedule computed once.

An event is put together from strings made once and shared: per rotation, person,
source, override note and next person its summary, its closing lines and its
description but the handoff's time at its end, already folded as far as that time cannot
change it (``ical_write.fold_start``); per zone and instant its ``DTSTART``/``DTEND``
lines and the handoff's local time. The bytes are those of ``ical._vevent_body`` for each
event on its own (tests/test_export_feeds.py).
"""

from __future__ import annotations

import bisect
from collections.abc import Iterator
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from operator import itemgetter
from zoneinfo import ZoneInfo

from . import ical_tz, ical_write
from .ical import (
    LOOK,
    Options,
    _basic,
    _describe,
    _gap_events,
    _local,
    _next,
    _Notes,
    _segment_start,
    _summary,
    _tail,
    _utc,
    _wall,
    _who,
)
from .ical_write import _fold_ascii, fold_start, folded, text
from .model import Directory, Rotation, Segment
from .schedule import OVERRIDE, final_schedule
from .shape import columns

# How far beyond the window to look first (then LOOK): most shifts are a week at most.
_NEAR = timedelta(days=8)

# An event is a tuple ``(start, rotation, key, text)``: a feed's sort key (start, rotation,
# and ``key``, what follows "rotation-" in the UID before the person and "@oncall") and
# the VEVENT as it is written in one feed. A segment is two: one for the rotation's feed
# and one, with the person in its UID, for the person's.
_Event = tuple[datetime, str, str, str]
_NO_NEXT = object()  # "who is next" not found within LOOK (None is a gap)


class _Zone:
    """One zone's strings, made once per instant for every rotation of the zone: the
    folded ``DTSTART``/``DTEND`` lines and ``_local`` as TEXT."""

    def __init__(self, tz: ZoneInfo, start: datetime, end: datetime):
        self.tz, self.in_utc = tz, ical_tz.in_utc(tz, start, end)
        self.lo, self.hi, self.repeats = ical_tz.repeats(tz, start, end)
        self.starts: dict[datetime, str] = {}
        self.ends: dict[datetime, str] = {}
        self.locals: dict[datetime, tuple[str, bool]] = {}

    def line(self, name: str, t: datetime) -> str:
        """The folded ``name`` line of instant ``t`` (``_when``), made with the other one
        (``DTSTART``, ``DTEND``): one event's end is usually the next one's start."""
        wall = None if self.in_utc else self.wall(t)
        when = f":{_utc(t)}" if wall is None else f";TZID={self.tz.key}:{wall}"
        self.starts[t], self.ends[t] = folded(f"DTSTART{when}"), folded(f"DTEND{when}")
        return (self.starts if name == "DTSTART" else self.ends)[t]

    def wall(self, t: datetime) -> str | None:
        """``_wall(t, tz)``, whether the wall time repeats looked up in the zone's
        ``ical_tz.repeats`` rather than asked of zoneinfo for the other fold (a third of
        the cost of a feed's every time line)."""
        if not self.lo <= t < self.hi:
            return _wall(t, self.tz)
        return None if bisect.bisect_right(self.repeats, t) & 1 else _basic(t.astimezone(self.tz))

    def local(self, t: datetime) -> tuple[str, bool]:
        """``_local(t)`` as TEXT, and whether that is ASCII and can be escaped apart from
        the text before it (``_apart``)."""
        raw = _local(t, self.tz)
        s = self.locals[t] = text(raw), _apart(raw) and raw.isascii()
        return s


def _apart(raw: str) -> bool:
    """Whether TEXT escaping of ``raw`` inside a longer text is ``text(raw)`` when the text
    around it is joined by a space or newline: no escape sequence (which can reach past
    it) and no CR (which pairs with a following newline)."""
    return "\x1b" not in raw and "\r" not in raw


_TEXT = itemgetter(3)


@dataclass
class Feeds:
    """Every feed of ``rotation_ids`` over ``[start, end)``: each rotation's events made
    once (on first use), person feeds taken from them by index. The strings events share
    (a person's summary and closing lines, a description but its last time, an instant's
    UTC and wall-clock forms in each zone) are made once per ``Feeds``."""

    d: Directory
    rotation_ids: list[str]
    start: datetime
    end: datetime
    options: Options = Options()
    _events: dict[str, tuple[list[_Event], dict[str, list[_Event]]]] = field(init=False, default_factory=dict)
    _utcs: dict[datetime, str] = field(init=False, default_factory=dict)
    _zones: dict[str, _Zone] = field(init=False, default_factory=dict)
    _nexts: dict[str | None, tuple[str, str, bool]] = field(init=False, default_factory=dict)

    def rotation(self, rotation_ids: list[str]) -> bytes:
        """One feed with every segment of these rotations (and their gaps with ``gaps``)."""
        names = ", ".join(self.d.rotations[r].name for r in rotation_ids)
        return self._calendar(f"On call: {names}", {rid: self.events(rid)[0] for rid in rotation_ids})

    def person(self, person: str) -> bytes:
        """One feed with ``person``'s segments in the rotations; never gaps."""
        mine = {rid: self.events(rid)[1].get(person) for rid in self.rotation_ids}
        return self._person(person, {rid: es for rid, es in mine.items() if es})

    def folder(self) -> Iterator[tuple[str, str, bytes]]:
        """Each rotation's feed (``("rotation", id, bytes)``, in ``rotation_ids`` order) and
        each person's of the directory (``("person", id, bytes)``), given as soon as it is
        complete and then forgotten: a person's right after the last rotation that has
        them as a member or in an override. So a folder of every feed holds the events of
        one rotation and of the people still waiting for one, not of every feed."""
        last = {}
        for i, rid in enumerate(self.rotation_ids):
            rot = self.d.rotations[rid]
            for pid in {m for layer in rot.layers for m in layer.members} | {o.who for o in rot.overrides}:
                last[pid] = i
        waiting: dict[int, list[str]] = {}
        for pid in sorted(self.d.people):
            if pid in last:
                waiting.setdefault(last[pid], []).append(pid)
            else:
                yield "person", pid, self._person(pid, {})
        mine: dict[str, dict[str, list[_Event]]] = {}
        for i, rid in enumerate(self.rotation_ids):
            events, by_person = self._make(self.d.rotations[rid])
            yield "rotation", rid, self._calendar(f"On call: {self.d.rotations[rid].name}", {rid: events})
            del events
            for pid, es in by_person.items():
                mine.setdefault(pid, {})[rid] = es
            del by_person
            for pid in waiting.pop(i, ()):
                yield "person", pid, self._person(pid, mine.pop(pid, {}))

    def events(self, rid: str) -> tuple[list[_Event], dict[str, list[_Event]]]:
        """Rotation ``rid``'s events, sorted, and its segments' by person (made on first use)."""
        made = self._events.get(rid)
        if made is None:
            made = self._events[rid] = self._make(self.d.rotations[rid])
        return made

    def _person(self, person: str, events: dict[str, list[_Event]]) -> bytes:
        p = self.d.people.get(person)
        return self._calendar(f"On call: {p.name if p else person}", events)

    def _calendar(self, name: str, events: dict[str, list[_Event]]) -> bytes:
        """The feed of ``events`` (by rotation, each sorted), sorted by start, rotation and UID."""
        if len(events) == 1:
            [every] = events.values()
        else:
            # Within one rotation and start, keys differ before where the suffix goes (a
            # segment's is an instant, a gap's "gap-" and an instant): sorting by (start,
            # rotation, key) is sorting by (start, rotation, UID).
            every = sorted(e for es in events.values() for e in es)
        zones = sorted({self.d.rotations[rid].timezone for rid, es in events.items() if es})
        tzs = [(z, ical_tz.observances(ZoneInfo(z), self.start, self.end)) for z in zones
               if not self._zone(z).in_utc]
        return ical_write.calendar(name, tzs, map(_TEXT, every))

    def _zone(self, zone: str) -> _Zone:
        z = self._zones.get(zone)
        if z is None:
            tz = ZoneInfo(zone)
            z = self._zones[zone] = _Zone(tz, self.start, self.end)
        return z

    def _utc(self, t: datetime) -> str:
        u = self._utcs[t] = _utc(t)
        return u

    def _next_text(self, pid: str | None) -> tuple[str, str, bool]:
        """``\nNext: WHO from `` raw and as TEXT, and whether that is ASCII and can be
        escaped apart from the text around it (``_apart``)."""
        w = self._nexts.get(pid)
        if w is None:
            raw = _who(self.d, pid)
            w = self._nexts[pid] = (f"\nNext: {raw} from ", f"\\nNext: {text(raw)} from ",
                                    _apart(raw) and raw.isascii())
        return w

    def _shared(self, rot: Rotation, s: Segment, note: str | None, nxt: object,
                by_person: dict[str, list[_Event]]) -> tuple:
        """What the events of ``rot`` with ``s``'s person and source, override ``note``
        and next person ``nxt`` share: ``(head, rest, limit, raw, tail, mine)``. ``head``
        is the SUMMARY line and the DESCRIPTION's folded as far as the handoff's time at
        its end cannot change it (all of it for no next person), ``rest`` the remainder
        (None when the time cannot be appended as is: non-ASCII or an ``_apart``
        failure), ``limit`` the length up to which ``rest`` and the time stay unfolded,
        ``raw`` the description before the time, ``tail`` the lines after the
        DESCRIPTION, ``mine`` the person's list of events."""
        d, options, who = self.d, self.options, s.person
        summary = _summary(d, who, rot)
        raw = _describe(d, rot, s, note, None, options.phones)
        head = folded(f"SUMMARY:{text(summary)}")
        rest, limit = None, 0
        if nxt is _NO_NEXT:
            head += folded(f"DESCRIPTION:{text(raw)}")
        else:
            nraw, ntext, nplain = self._next_text(nxt)
            line = f"DESCRIPTION:{text(raw)}{ntext}"
            if nplain and _apart(raw) and line.isascii():
                done, rest = fold_start(line)
                head += done
                limit = 74 if done else 75
            raw += nraw
        fits = len(f"UID:{rot.id}-20260101T000000Z-{who}@oncall") <= 75  # UID lines unfolded
        return (head, rest, limit, raw, _tail(rot.id, who, s.source, summary, options), by_person.setdefault(who, []),
                f"BEGIN:VEVENT\r\nUID:{rot.id}-" if fits else None, f"-{who}@oncall\r\n")

    def _make(self, rot: Rotation) -> tuple[list[_Event], dict[str, list[_Event]]]:
        """The rotation's events in ``[start, end)``, sorted, and its segments' by person."""
        start, end, options = self.start, self.end, self.options
        if options.gaps:  # the gaps' true starts and who is next need the same margins
            edge, back = start - LOOK, LOOK
            wide = final_schedule(rot, edge, end + LOOK)
            cols = columns(wide)
        else:
            edge, back, cols = start, _NEAR, _schedule(rot, start, end)
        out, by_person = self._segments(rot, cols, edge, back)
        if options.gaps:
            segs = [s._replace(start=max(s.start, start), end=min(s.end, end))
                    for s in wide if s.end > start and s.start < end]
            z = self._zone(rot.timezone)
            gaps = _gap_events(self.d, rot, segs, wide, start, end, None if z.in_utc else z.tz, options)
            if gaps:
                out = sorted(out + gaps)
        return out, by_person

    def _segments(self, rot: Rotation, wide: tuple, edge: datetime,
                  back: timedelta) -> tuple[list[_Event], dict[str, list[_Event]]]:
        """The events of the segments in the window of ``wide`` (``shape.columns`` of a
        schedule), and by person. A segment's lines are ``_vevent_body``'s, from strings
        made once (``_shared``, ``_Zone``); its true start is looked for (``back`` first)
        when it began at or before ``edge``."""
        start, end = self.start, self.end
        z = self._zone(rot.timezone)
        utcs, starts, ends, locals_ = self._utcs, z.starts, z.ends, z.locals
        tz, rid, notes = rot.tz, rot.id, _Notes(rot.overrides)
        shared: dict[tuple, tuple] = {}
        out: list[_Event] = []
        by_person: dict[str, list[_Event]] = {}
        starts_, ends_, persons, sources = wide
        i, n = bisect.bisect_right(ends_, start), len(starts_)
        while i < n and starts_[i] < end:
            who, true_start, te, source = persons[i], starts_[i], ends_[i], sources[i]
            a = true_start if true_start > start else start
            b = te if te < end else end
            if true_start <= edge:  # began before what was computed (a quarterly shift)
                true_start = _segment_start(rot, a, back)
            i += 1
            # Who is next and from when (_next's answer), inline: a call per segment was a
            # twentieth of the loop.
            if i == n:
                nxt, when = _NO_NEXT, None
            elif starts_[i] != te:
                nxt, when = None, te
            elif persons[i] != who:
                nxt, when = persons[i], te
            else:
                nxt, when = _next(wide, i - 1, who) or (_NO_NEXT, None)
            note = notes.note(a, who) if source == OVERRIDE else None
            stamp = utcs.get(true_start) or self._utc(true_start)
            ds, de = starts.get(a) or z.line("DTSTART", a), ends.get(b) or z.line("DTEND", b)
            key = (who, source, note, nxt)
            head, rest, limit, raw, tail, mine, uid, mid = shared.get(key) or shared.setdefault(
                key, self._shared(rot, Segment(rid, who, a, te, source), note, nxt, by_person))
            if when is None:
                body = f"DTSTAMP:{stamp}\r\n{ds}{de}{head}{tail}"
            else:
                lt, plain = locals_.get(when) or z.local(when)
                if plain and rest is not None:
                    # The description folded as far as the handoff's time cannot change it
                    # (fold_start): the rest folded as _fold_ascii does, inline for one fold.
                    t = rest + lt
                    if len(t) > limit:
                        k = 73 if t[73] in "\\^" else 74
                        t = f"{t[:k]}\r\n {t[k:]}" if len(t) <= 147 else _fold_ascii(t)
                    body = f"DTSTAMP:{stamp}\r\n{ds}{de}{head}{t}\r\n{tail}"
                else:
                    line = folded(f"DESCRIPTION:{text(raw + _local(when, tz))}")
                    body = f"DTSTAMP:{stamp}\r\n{ds}{de}{head}{line}{tail}"
            if uid is None:
                out.append((a, rid, stamp, f"BEGIN:VEVENT\r\n{folded(f'UID:{rid}-{stamp}@oncall')}{body}"))
                mine.append((a, rid, stamp, f"BEGIN:VEVENT\r\n{folded(f'UID:{rid}-{stamp}-{who}@oncall')}{body}"))
            else:
                out.append((a, rid, stamp, f"BEGIN:VEVENT\r\nUID:{rid}-{stamp}@oncall\r\n{body}"))
                mine.append((a, rid, stamp, f"{uid}{stamp}{mid}{body}"))
        return out, by_person


def _schedule(rot: Rotation, start: datetime, end: datetime) -> tuple:
    """The final schedule of ``[start, end)`` and after it, up to who is on call after
    its last segment's person (as ``_next`` finds them) or ``LOOK`` beyond ``end``, as
    ``shape.columns``: what ``final_schedule(rot, start, end + LOOK)`` gives, but for a
    segment across ``end`` being two (the final schedule of a range is a wider one cut
    to it), with a few days beyond ``end`` computed instead of ``LOOK`` when that is enough."""
    segs = columns(final_schedule(rot, start, end))
    if not segs[0]:
        return segs
    last = len(segs[0]) - 1
    wide = _joined(segs, columns(final_schedule(rot, end, end + _NEAR)))
    if _next(wide, last, segs[2][last]) is None:  # ran off the end: look as far as LOOK
        wide = _joined(segs, columns(final_schedule(rot, end, end + LOOK)))
    return wide


def _joined(a: tuple, b: tuple) -> tuple:
    return tuple(x + y for x, y in zip(a, b, strict=True))
