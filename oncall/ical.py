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
* Each rotation's schedule is computed once per ``ical_feeds.Feeds`` (for the window and what
  follows it up to who is next) and indexed by person, and an event's lines are put
  together from strings made once (per person, source and next person; per instant and
  zone), so a folder of every rotation and person feed costs little more than the
  rotations' schedules; ``ical_feeds.Feeds.folder`` gives each feed as soon as it is complete, so
  it is written and forgotten. Bytes are made by ``oncall.ical_write`` (as ``icalendar`` makes them).
"""

from __future__ import annotations

import bisect
import heapq
import html
from dataclasses import dataclass
from datetime import datetime, timedelta
from zoneinfo import ZoneInfo

from .model import Directory, Override, Rotation, Segment
from .schedule import OVERRIDE, final_schedule, handoff, required_gaps
from .timeline import MIN_YEAR, UTC, Interval

# How far beyond the window to look for a clipped segment's true start and for who is next.
LOOK = timedelta(days=62)
GAP_TITLE = "NO ONE ON CALL"
_DAYS = ("Mon", "Tue", "Wed", "Thu", "Fri", "Sat", "Sun")
# Two digits by lookup: export --all formats ~30,000 instants, and isoformat, strftime and
# a format spec each cost 2-4x an f-string of table lookups (measured with valgrind).
_TWO = tuple(f"{i:02d}" for i in range(100))


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


def rotation_feed(d: Directory, rotation_ids: list[str], start: datetime, end: datetime,
                  options: Options = Options()) -> bytes:
    """One feed with every segment of these rotations in ``[start, end)`` (and their gaps
    with ``options.gaps``)."""
    from .ical_feeds import Feeds

    return Feeds(d, rotation_ids, start, end, options).rotation(rotation_ids)


def person_feed(d: Directory, person: str, rotation_ids: list[str], start: datetime, end: datetime,
                options: Options = Options()) -> bytes:
    """One feed with ``person``'s segments in these rotations in ``[start, end)``; gaps are
    never part of a person's feed."""
    from .ical_feeds import Feeds

    no_gaps = Options(busy=options.busy, remind=options.remind, phones=options.phones)
    return Feeds(d, rotation_ids, start, end, no_gaps).person(person)


def _gap_events(d: Directory, rot: Rotation, segs: list[Segment], wide: list[Segment],
                start: datetime, end: datetime, tz: ZoneInfo | None, options: Options) -> list[tuple]:
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


def _next(wide: tuple, i: int, person: str | None) -> tuple[str | None, datetime] | None:
    """Who takes over after the stretch of ``person`` containing segment ``i`` of ``wide``
    (``shape.columns`` of a schedule): (person or None for a gap, from when); None when
    not found within ``wide``."""
    starts, ends, persons, _ = wide
    if i < 0:
        return None
    for j in range(i + 1, len(starts)):
        if starts[j] != ends[j - 1]:
            return None, ends[j - 1]
        if persons[j] != person:
            return persons[j], starts[j]
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
    """``Mon 2026-03-09 09:00 EDT``, locale-independent (years are four digits: MIN_YEAR
    is 1900)."""
    w, two = t.astimezone(tz), _TWO
    return f"{_DAYS[w.weekday()]} {w.year}-{two[w.month]}-{two[w.day]} {two[w.hour]}:{two[w.minute]} {w.tzname()}"


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
    """``20260105T090000``: RFC 5545's form of ``t``'s fields, to the second."""
    two, y = _TWO, t.year
    return f"{y if y >= 1000 else f'{y:04d}'}{two[t.month]}{two[t.day]}T{two[t.hour]}{two[t.minute]}{two[t.second]}"


def _when(name: str, t: datetime, tz: ZoneInfo | None) -> str:
    """``DTSTART;TZID=Zone:local`` or, in UTC, ``DTSTART:...Z`` when the wall time is
    ambiguous there (readers disagree about which occurrence, or where a gap goes)."""
    wall = None if tz is None else _wall(t, tz)
    return f"{name}:{_utc(t)}" if wall is None else f"{name};TZID={tz.key}:{wall}"


def _wall(t: datetime, tz: ZoneInfo) -> str | None:
    """``t`` on ``tz``'s wall clock in RFC 5545's form; None when that wall time occurs
    twice or never there."""
    here = t.astimezone(tz)  # its fold says which of a repeated wall time it is: compare with the other
    if here.replace(fold=1 - here.fold).utcoffset() != here.utcoffset():
        return None
    return _basic(here)


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
