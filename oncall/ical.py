"""Final schedule -> iCalendar (RFC 5545) feeds, byte for byte reproducible.

A feed is a pure function of the directory, the rotations or person asked for, and the
window ``[start, end)``: no clock is read, so exporting the same files twice gives the
same bytes. Choices, each one for a calendar app that misread something else:

* One non-recurring VEVENT per final-schedule segment, clipped to the window: exactly the
  segments ``oncall shifts --json`` prints. Recurring events drift across DST changes
  in some readers.
* DTSTART/DTEND are the rotation's wall time with its TZID, and the feed carries a
  VTIMEZONE per zone (``oncall.ical_tz``). An instant whose wall time occurs twice (or
  would not exist) is written in UTC instead, as is every instant of a zone that is UTC
  all along or has a change too large for a VTIMEZONE every reader holds (Samoa, 2011).
* No ``X-WR-TIMEZONE``: it only means something for floating times, which a feed never
  has, and recurring-ical-events moves UTC times into it, misplacing the repeated hour.
* UID = rotation + the segment's true start (found beyond the window, so a clipped
  segment keeps its UID when the window slides) (+ the person in a person feed), and
  DTSTAMP = that start: refreshed or re-imported feeds update events instead of
  duplicating them.
* On call does not block a calendar: TRANSP:TRANSPARENT and
  X-MICROSOFT-CDO-BUSYSTATUS:FREE unless ``busy``.
* Gap events ("NO ONE ON CALL", with ``gaps``) only from the rotation's first handoff:
  a rotation that has not started yet has no hole to show.
* Phone numbers are in the descriptions only with ``phones`` (``export`` leaves them out
  of every feed unless ``--with-phones``).
* Each rotation's schedule is computed once per ``Feeds`` (for the window and what
  follows it up to who is next) and indexed by person, and an event's lines are put
  together from strings made once (per person, source and next person; per instant and
  zone), so a folder of every rotation and person feed costs little more than the
  rotations' schedules; ``Feeds.folder`` gives each feed as soon as it is complete, so
  it is written and forgotten. Bytes are made by ``oncall.ical_write`` (``icalendar``).
"""

from __future__ import annotations

import bisect
import heapq
import html
from collections.abc import Iterator
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from operator import attrgetter, itemgetter
from zoneinfo import ZoneInfo

from . import ical_tz
from .coverage import required_gaps
from .model import Directory, Override, Rotation, Segment
from .schedule import OVERRIDE, final_schedule, handoff
from .timeline import MIN_YEAR, UTC, Interval, to_wall

# How far beyond the window to look for a clipped segment's true start and for who is next.
LOOK = timedelta(days=62)
# How far beyond the window to look first (then LOOK): most shifts are a week at most.
_NEAR = timedelta(days=8)
GAP_TITLE = "NO ONE ON CALL"
_DAYS = ("Mon", "Tue", "Wed", "Thu", "Fri", "Sat", "Sun")


@dataclass(frozen=True)
class Options:
    """``busy``: events block time; ``remind``: a VALARM this long before each start;
    ``gaps``: rotation feeds also get "NO ONE ON CALL" events where nobody is on call
    inside the rotation's coverage windows (what ``check`` reports as gaps), from the
    rotation's first handoff on; ``phones``: descriptions carry the person's phone."""

    busy: bool = False
    remind: timedelta | None = None
    gaps: bool = False
    phones: bool = True


# An event is a tuple ``(start, rotation, key, text)``: a feed's sort key (start, rotation,
# and ``key``, what follows "rotation-" in the UID before the person and "@oncall") and
# the VEVENT as it is written in one feed. A segment is two: one for the rotation's feed
# and one, with the person in its UID, for the person's.
_Event = tuple[datetime, str, str, str]
_NO_NEXT = object()  # "who is next" not found within LOOK (None is a gap)


class _Zone:
    """One zone's strings, made once per instant for every rotation of the zone: the
    folded ``DTSTART``/``DTEND`` lines and ``_local`` as TEXT."""

    def __init__(self, tz: ZoneInfo, in_utc: bool):
        self.tz, self.in_utc = tz, in_utc
        self.starts: dict[datetime, str] = {}
        self.ends: dict[datetime, str] = {}
        self.locals: dict[datetime, tuple[str, bool]] = {}

    def line(self, name: str, t: datetime) -> str:
        """The folded ``name`` line of instant ``t`` (``_when``), made with the other one
        (``DTSTART``, ``DTEND``): one event's end is usually the next one's start."""
        from .ical_write import folded

        wall = None if self.in_utc else _wall(t, self.tz)
        when = f":{_utc(t)}" if wall is None else f";TZID={self.tz.key}:{wall}"
        self.starts[t], self.ends[t] = folded(f"DTSTART{when}"), folded(f"DTEND{when}")
        return (self.starts if name == "DTSTART" else self.ends)[t]

    def local(self, t: datetime) -> tuple[str, bool]:
        """``_local(t)`` as TEXT, and whether that is ASCII and can be escaped apart from
        the text before it (``_apart``)."""
        from .ical_write import text

        raw = _local(t, self.tz)
        s = self.locals[t] = text(raw), _apart(raw) and raw.isascii()
        return s


def _apart(raw: str) -> bool:
    """Whether TEXT escaping of ``raw`` inside a longer text is ``text(raw)`` when the text
    around it is joined by a space or newline: no escape sequence (which can reach past
    it) and no CR (which pairs with a following newline)."""
    return "\x1b" not in raw and "\r" not in raw


_END = attrgetter("end")
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
        from . import ical_write

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
        return ical_write.calendar(name, tzs, "".join(map(_TEXT, every)).encode())

    def _zone(self, zone: str) -> _Zone:
        z = self._zones.get(zone)
        if z is None:
            tz = ZoneInfo(zone)
            z = self._zones[zone] = _Zone(tz, ical_tz.in_utc(tz, self.start, self.end))
        return z

    def _next_text(self, pid: str | None) -> tuple[str, str, bool]:
        """``\nNext: WHO from `` raw and as TEXT, and whether that is ASCII and can be
        escaped apart from the text around it (``_apart``)."""
        w = self._nexts.get(pid)
        if w is None:
            from .ical_write import text

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
        from .ical_write import fold_start, folded, text

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
        """The rotation's events in ``[start, end)``, sorted, and its segments' by person.

        A segment's lines are ``_vevent_body``'s, from strings made once: per person,
        source, note and next person its summary, closing lines and description but the
        time of the handoff (already folded as far as that time cannot change), per
        instant and zone its times."""
        from .ical_write import _fold_ascii, folded, text

        d, start, end, options = self.d, self.start, self.end, self.options
        if options.gaps:  # the gaps' true starts and who is next need the same margins
            edge, back = start - LOOK, LOOK
            wide = final_schedule(rot, edge, end + LOOK)
        else:
            edge, back, wide = start, _NEAR, _schedule(rot, start, end)
        z = self._zone(rot.timezone)
        utcs, starts, ends, locals_ = self._utcs, z.starts, z.ends, z.locals
        tz, rid = rot.tz, rot.id
        notes = _Notes(rot.overrides)
        shared: dict[tuple, tuple] = {}
        out: list[_Event] = []
        by_person: dict[str, list[_Event]] = {}
        n = len(wide)
        i = bisect.bisect_right(wide, start, key=_END)
        while i < n:
            s = wide[i]
            _, who, true_start, te, source = s
            if true_start >= end:
                break
            a = true_start if true_start > start else start
            b = te if te < end else end
            if true_start <= edge:  # began before what was computed (a quarterly shift)
                true_start = _segment_start(rot, a, back)
            i += 1
            if i == n:
                nxt, when = _NO_NEXT, None
            elif wide[i].start != te:
                nxt, when = None, te
            elif wide[i].person != who:
                nxt, when = wide[i].person, te
            else:
                found = _next(wide, i - 1, who)
                nxt, when = found if found else (_NO_NEXT, None)
            note = notes.note(a, who) if source == OVERRIDE else None
            try:
                stamp = utcs[true_start]
            except KeyError:
                stamp = utcs[true_start] = _utc(true_start)
            try:
                ds = starts[a]
            except KeyError:
                ds = z.line("DTSTART", a)
            try:
                de = ends[b]
            except KeyError:
                de = z.line("DTEND", b)
            try:
                head, rest, limit, raw, tail, mine, uid, mid = shared[who, source, note, nxt]
            except KeyError:
                head, rest, limit, raw, tail, mine, uid, mid = shared[who, source, note, nxt] = \
                    self._shared(rot, s, note, nxt, by_person)
            if when is None:
                body = f"DTSTAMP:{stamp}\r\n{ds}{de}{head}{tail}"
            else:
                try:
                    lt, plain = locals_[when]
                except KeyError:
                    lt, plain = z.local(when)
                if plain and rest is not None:
                    # The description folded as far as the handoff's time cannot change
                    # it (fold_start): the rest is folded as _fold_ascii does, inline for
                    # the usual one fold.
                    t = rest + lt
                    if len(t) > limit:
                        if len(t) <= 147:
                            k = 73 if t[73] in "\\^" else 74
                            t = f"{t[:k]}\r\n {t[k:]}"
                        else:
                            t = _fold_ascii(t)
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
        if options.gaps:
            segs = [s._replace(start=max(s.start, start), end=min(s.end, end))
                    for s in wide if s.end > start and s.start < end]
            gaps = _gap_events(d, rot, segs, wide, start, end, None if z.in_utc else tz, options)
            if gaps:
                out = sorted(out + gaps)
        return out, by_person


def rotation_feed(d: Directory, rotation_ids: list[str], start: datetime, end: datetime,
                  options: Options = Options()) -> bytes:
    """One feed with every segment of these rotations in ``[start, end)`` (and their gaps
    with ``options.gaps``)."""
    return Feeds(d, rotation_ids, start, end, options).rotation(rotation_ids)


def person_feed(d: Directory, person: str, rotation_ids: list[str], start: datetime, end: datetime,
                options: Options = Options()) -> bytes:
    """One feed with ``person``'s segments in these rotations in ``[start, end)``; gaps are
    never part of a person's feed."""
    no_gaps = Options(busy=options.busy, remind=options.remind, phones=options.phones)
    return Feeds(d, rotation_ids, start, end, no_gaps).person(person)


def _gap_events(d: Directory, rot: Rotation, segs: list[Segment], wide: list[Segment],
                start: datetime, end: datetime, tz: ZoneInfo | None, options: Options) -> list[_Event]:
    from .ical_write import folded as line
    from .ical_write import text

    starts = [s.start for s in wide]
    wide_gaps = _holes(rot, wide, start - LOOK, end + LOOK)
    gap_starts = [g[0] for g in wide_gaps]
    out = []
    for a, b in _holes(rot, segs, start, end):
        j = bisect.bisect_right(gap_starts, a) - 1
        true_start = wide_gaps[j][0] if j >= 0 and wide_gaps[j][1] > a else a
        k = bisect.bisect_left(starts, b)
        nxt = wide[k] if k < len(wide) and wide[k].start == b else None
        lines = [f"Nobody is on call for {rot.name} ({rot.id})."]
        if nxt:
            lines.append(f"Next: {_who(d, nxt.person)} from {_local(b, rot.tz)}")
        stamp = _utc(true_start)
        body = _vevent_body(stamp, a, b, tz, f"SUMMARY:{text(f'{GAP_TITLE} ({rot.name})')}", "\n".join(lines),
                            _tail(rot.id, None, None, "", options))
        out.append((a, rot.id, f"gap-{stamp}", f"BEGIN:VEVENT\r\n{line(f'UID:{rot.id}-gap-{stamp}@oncall')}{body}"))
    return out


def _schedule(rot: Rotation, start: datetime, end: datetime) -> list[Segment]:
    """The final schedule of ``[start, end)`` and after it, up to who is on call after
    its last segment's person (as ``_next`` finds them) or ``LOOK`` beyond ``end``: what
    ``final_schedule(rot, start, end + LOOK)`` gives, but for a segment across ``end``
    being two (the final schedule of a range is a wider one cut to it), with a few days
    beyond ``end`` computed instead of ``LOOK`` when that is enough."""
    segs = final_schedule(rot, start, end)
    if not segs:
        return segs
    last = len(segs) - 1
    wide = segs + final_schedule(rot, end, end + _NEAR)
    if _next(wide, last, segs[last].person) is None:  # ran off the end: look as far as LOOK
        wide = segs + final_schedule(rot, end, end + LOOK)
    return wide


def _segment_start(rot: Rotation, t: datetime, back: timedelta = LOOK) -> datetime:
    """Where the final-schedule segment containing ``t`` begins, however long before:
    looked for ``back`` before ``t``, then four times as far, and so on."""
    floor = datetime(MIN_YEAR, 1, 1, tzinfo=UTC)  # nothing is on call before that
    while True:
        lo = t - back if back < t - floor else floor
        segs = final_schedule(rot, lo, t + timedelta(seconds=1))
        first = [x for x in segs if x.start <= t][-1]
        if first.start > lo or lo == floor:
            return first.start
        back *= 4


def first_handoff(rot: Rotation) -> datetime | None:
    """The first instant anyone can be on call in ``rot``: its earliest layer start or
    override; None for a rotation with neither."""
    firsts = [handoff(layer, 0) for layer in rot.layers] + [o.start for o in rot.overrides]
    return min(firsts, default=None)


def _holes(rot: Rotation, segs: list[Segment], start: datetime, end: datetime) -> list[Interval]:
    """Where nobody is on call inside the rotation's coverage windows (what ``check``
    calls gaps), from the rotation's first handoff on."""
    first = first_handoff(rot)
    if first is None or first >= end:
        return []
    start = max(start, first)
    return required_gaps(rot, segs, start, end)


class _Notes:
    """The note of the last-written override of a person containing ``t``, asked for
    ``t`` in non-decreasing order: a sweep with one heap per person (latest written on
    top, ended ones dropped lazily), so 10,000 overrides cost n log n, not n squared."""

    def __init__(self, overrides: tuple[Override, ...]):
        self._pending = sorted(((o.start, i, o) for i, o in enumerate(overrides)), key=lambda x: x[:2])
        self._next = 0
        self._active: dict[str, list[tuple[int, datetime, str]]] = {}

    def note(self, t: datetime, who: str | None) -> str | None:
        """The note ("" for none), or None when no override of ``who`` contains ``t``."""
        while self._next < len(self._pending) and self._pending[self._next][0] <= t:
            _, i, o = self._pending[self._next]
            heapq.heappush(self._active.setdefault(o.who, []), (-i, o.end, o.note))
            self._next += 1
        heap = self._active.get(who or "", [])
        while heap and heap[0][1] <= t:
            heapq.heappop(heap)
        return heap[0][2] if heap else None


def _next(wide: list[Segment], i: int, person: str | None) -> tuple[str | None, datetime] | None:
    """Who takes over after the stretch of ``person`` containing ``wide[i]``: (person or
    None for a gap, from when); None when not found within ``LOOK``."""
    if i < 0:
        return None
    for j in range(i + 1, len(wide)):
        if wide[j].start != wide[j - 1].end:
            return None, wide[j - 1].end
        if wide[j].person != person:
            return wide[j].person, wide[j].start
    return None


def _who(d: Directory, pid: str | None) -> str:
    if pid is None:
        return GAP_TITLE
    p = d.people.get(pid)
    return f"{p.name} ({pid})" if p else pid


def _summary(d: Directory, pid: str | None, rot: Rotation) -> str:
    p = d.people.get(pid) if pid else None
    return f"{p.name if p else pid} on call ({rot.name})"


def _describe(d: Directory, rot: Rotation, s: Segment, note: str | None,
              nxt: tuple[str | None, datetime] | None, phones: bool) -> str:
    p = d.people.get(s.person) if s.person else None
    lines = [f"{_who(d, s.person)} is on call for {rot.name} ({rot.id})."]
    if phones:
        lines.append(f"Phone: {p.phone}" if p and p.phone else "Phone: none on file")
    if s.source == OVERRIDE:
        lines.append(f"Override: {note}" if note else "Override")
    elif s.source:
        lines.append(f"Layer: {s.source.removeprefix('layer:')}")
    if nxt:
        lines.append(f"Next: {_who(d, nxt[0])} from {_local(nxt[1], rot.tz)}")
    return "\n".join(lines)


def _local(t: datetime, tz: ZoneInfo) -> str:
    """``Mon 2026-03-09 09:00 EDT``, locale-independent."""
    w = t.astimezone(tz)
    return f"{_DAYS[w.weekday()]} {w:%Y-%m-%d %H:%M} {w.tzname()}"


def _vevent_body(stamp: str, start: datetime, end: datetime, tz: ZoneInfo | None, summary: str,
                description: str, tail: str) -> str:
    """An event's lines after its UID: ``summary`` is its SUMMARY line, ``tail`` its
    lines after the DESCRIPTION (``_tail``)."""
    from .ical_write import folded, text

    return "".join([folded(f"DTSTAMP:{stamp}"), folded(_when("DTSTART", start, tz)), folded(_when("DTEND", end, tz)),
                    folded(summary), folded(f"DESCRIPTION:{text(description)}"), tail])


def _tail(rotation: str, person: str | None, source: str | None, summary: str, options: Options) -> str:
    """An event's lines after its DESCRIPTION, folded, through END:VEVENT: the same for
    every event of one rotation, person and source. A gap (``person`` None) has no
    person, source or reminder."""
    from .ical_write import duration, folded, text

    lines = ["STATUS:CONFIRMED", "TRANSP:OPAQUE" if options.busy else "TRANSP:TRANSPARENT",
             f"X-MICROSOFT-CDO-BUSYSTATUS:{'BUSY' if options.busy else 'FREE'}",
             f"X-ONCALL-ROTATION:{text(rotation)}"]
    if person is not None:
        lines += [f"X-ONCALL-PERSON:{text(person)}", f"X-ONCALL-SOURCE:{text(source or '')}"]
        if options.remind is not None:
            lines += ["BEGIN:VALARM", "ACTION:DISPLAY", f"DESCRIPTION:{text(summary)}",
                      f"TRIGGER:{duration(-options.remind)}", "END:VALARM"]
    lines.append("END:VEVENT")
    return "".join(map(folded, lines))


def _utc(t: datetime) -> str:
    return _basic(t.astimezone(UTC)) + "Z"


def _basic(t: datetime) -> str:
    """``20260105T090000``: RFC 5545's form of ``t``'s fields (isoformat is C, strftime slow)."""
    return t.isoformat(timespec="seconds")[:19].replace("-", "").replace(":", "")


def _when(name: str, t: datetime, tz: ZoneInfo | None) -> str:
    """``DTSTART;TZID=Zone:local`` or, in UTC, ``DTSTART:...Z`` when the wall time is
    ambiguous there (readers disagree about which occurrence, or where a gap goes)."""
    wall = None if tz is None else _wall(t, tz)
    return f"{name}:{_utc(t)}" if wall is None else f"{name};TZID={tz.key}:{wall}"


def _wall(t: datetime, tz: ZoneInfo) -> str | None:
    """``t`` on ``tz``'s wall clock in RFC 5545's form; None when that wall time occurs
    twice or never there."""
    wall = to_wall(t, tz)
    if wall.replace(tzinfo=tz, fold=0).utcoffset() != wall.replace(tzinfo=tz, fold=1).utcoffset():
        return None
    return _basic(wall)


# --- the publishable folder -----------------------------------------------------------


def index_html(title: str, feeds: list[tuple[str, str, str]]) -> str:
    """A static page listing feeds ``(section, label, relative path)``. Each link is
    relative to the folder, so any static host works; a few lines of script turn the
    "Subscribe" links into ``webcal://`` on the host the page is served from."""
    rows = []
    section = None
    for sec, label, path in feeds:
        if sec != section:
            if section is not None:
                rows.append("</ul>")
            rows += [f"<h2>{html.escape(sec)}</h2>", "<ul>"]
            section = sec
        href = html.escape(path, quote=True)
        rows.append(f'<li>{html.escape(label)}: <a class="webcal" href="{href}">Subscribe</a>'
                    f' · <a href="{href}" download>Download .ics</a> · <code class="url">{href}</code></li>')
    if section is not None:
        rows.append("</ul>")
    return "\n".join([
        "<!doctype html>", '<html lang="en">', "<head>", '<meta charset="utf-8">',
        f"<title>{html.escape(title)}</title>", "</head>", "<body>", f"<h1>{html.escape(title)}</h1>",
        "<p>Subscribe to a feed to see on-call shifts in your calendar; it refreshes every hour. "
        "For Google Calendar, copy the link address into <em>Other calendars → From URL</em>.</p>",
        *rows,
        "<script>",
        "for (const a of document.querySelectorAll('a.webcal')) {",
        "  if (/^https?:/.test(a.href)) a.href = a.href.replace(/^https?:/, 'webcal:');",
        "}",
        "for (const c of document.querySelectorAll('code.url')) {",
        "  c.textContent = new URL(c.textContent, document.baseURI).href;",
        "}",
        "</script>", "</body>", "</html>", "",
    ])
