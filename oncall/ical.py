"""Final schedule -> iCalendar (RFC 5545) feeds, byte for byte reproducible.

A feed is a pure function of the directory, the rotations or person asked for, and the
window ``[start, end)``: no clock is read, so exporting the same files twice gives the
same bytes. Choices, each one for a calendar app that misread something else:

* One non-recurring VEVENT per final-schedule segment, clipped to the window: exactly the
  segments ``oncall shifts --json`` prints. Recurring events drift across DST changes
  in some readers.
* DTSTART/DTEND are the rotation's wall time with its TZID, and the feed carries a
  VTIMEZONE per zone, generated from the IANA data zoneinfo reads: one STANDARD or
  DAYLIGHT component per offset change (no RRULE, no RDATE lists), its onset written as
  the local time *before* the change (RFC 5545 3.6.5), covering whole years around the
  window. An instant whose wall time occurs twice (or would not exist) is written in UTC
  instead, as is every instant of a zone that is UTC all along.
* UID = rotation + the segment's true start (found beyond the window, so a clipped
  segment keeps its UID when the window slides) (+ the person in a person feed), and
  DTSTAMP = that start: refreshed or re-imported feeds update events instead of
  duplicating them.
* On call does not block a calendar: TRANSP:TRANSPARENT and
  X-MICROSOFT-CDO-BUSYSTATUS:FREE unless ``busy``.
* Text is escaped (``\\ ; , newline``), control characters other than tab dropped, lines
  folded at 75 octets without splitting a UTF-8 character, CRLF line ends, UTF-8.
"""

from __future__ import annotations

import bisect
import html
from dataclasses import dataclass
from datetime import datetime, timedelta, timezone
from functools import lru_cache
from zoneinfo import ZoneInfo

from .coverage import coverage_intervals
from .model import Directory, Rotation, Segment
from .schedule import OVERRIDE, final_schedule, gaps
from .timeline import MIN_YEAR, Interval, intersect, resolve, to_wall

UTC = timezone.utc
PRODID = "-//oncall//oncall export//EN"
# How far beyond the window to look for a clipped segment's true start and for who is next.
LOOK = timedelta(days=62)
GAP_TITLE = "NO ONE ON CALL"
_DAYS = ("Mon", "Tue", "Wed", "Thu", "Fri", "Sat", "Sun")


@dataclass(frozen=True)
class Options:
    """``busy``: events block time; ``remind``: a VALARM this long before each start;
    ``gaps``: rotation feeds also get "NO ONE ON CALL" events where nobody is on call
    inside the rotation's coverage windows (what ``check`` reports as gaps)."""

    busy: bool = False
    remind: timedelta | None = None
    gaps: bool = False


@dataclass(frozen=True)
class _Event:
    uid: str
    stamp: datetime
    start: datetime
    end: datetime
    zone: str
    summary: str
    description: str
    rotation: str
    person: str | None
    source: str | None


def rotation_feed(d: Directory, rotation_ids: list[str], start: datetime, end: datetime,
                  options: Options = Options()) -> bytes:
    """One feed with every segment of these rotations in ``[start, end)`` (and their gaps
    with ``options.gaps``)."""
    events: list[_Event] = []
    for rid in rotation_ids:
        events += _events(d, d.rotations[rid], start, end, None, options.gaps)
    names = ", ".join(d.rotations[r].name for r in rotation_ids)
    zone = d.rotations[rotation_ids[0]].timezone if rotation_ids else "UTC"
    return _calendar(f"On call: {names}", zone, events, start, end, options)


def person_feed(d: Directory, person: str, rotation_ids: list[str], start: datetime, end: datetime,
                options: Options = Options()) -> bytes:
    """One feed with ``person``'s segments in these rotations in ``[start, end)``; gaps are
    never part of a person's feed."""
    events: list[_Event] = []
    for rid in rotation_ids:
        events += _events(d, d.rotations[rid], start, end, person, False)
    p = d.people.get(person)
    zone = (p.timezone if p else None) or (d.rotations[rotation_ids[0]].timezone if rotation_ids else "UTC")
    return _calendar(f"On call: {p.name if p else person}", zone, events, start, end, options)


def _events(d: Directory, rot: Rotation, start: datetime, end: datetime, person: str | None,
            with_gaps: bool) -> list[_Event]:
    segs = final_schedule(rot, start, end)
    wide = final_schedule(rot, start - LOOK, end + LOOK)
    starts = [s.start for s in wide]
    out = []
    for s in segs:
        if person is not None and s.person != person:
            continue
        i = bisect.bisect_right(starts, s.start) - 1
        true_start = wide[i].start if i >= 0 and wide[i].end > s.start and wide[i].person == s.person else s.start
        if true_start <= start - LOOK:  # began before the look-back too (a quarterly shift)
            true_start = _segment_start(rot, s.start)
        stamp = _utc(true_start)
        uid = f"{rot.id}-{stamp}-{person}@oncall" if person else f"{rot.id}-{stamp}@oncall"
        out.append(_Event(uid, true_start, s.start, s.end, rot.timezone, _summary(d, s.person, rot),
                          _describe(d, rot, s, _next(wide, i, s.person)), rot.id, s.person, s.source))
    if with_gaps:
        wide_gaps = _holes(rot, wide, start - LOOK, end + LOOK)
        gap_starts = [g[0] for g in wide_gaps]
        for a, b in _holes(rot, segs, start, end):
            j = bisect.bisect_right(gap_starts, a) - 1
            true_start = wide_gaps[j][0] if j >= 0 and wide_gaps[j][1] > a else a
            k = bisect.bisect_left(starts, b)
            nxt = wide[k] if k < len(wide) and wide[k].start == b else None
            lines = [f"Nobody is on call for {rot.name} ({rot.id})."]
            if nxt:
                lines.append(f"Next: {_who(d, nxt.person)} from {_local(b, rot.tz)}")
            out.append(_Event(f"{rot.id}-gap-{_utc(true_start)}@oncall", true_start, a, b, rot.timezone,
                              f"{GAP_TITLE} ({rot.name})", "\n".join(lines), rot.id, None, None))
    return out


def _segment_start(rot: Rotation, t: datetime) -> datetime:
    """Where the final-schedule segment containing ``t`` begins, however long before."""
    floor = datetime(MIN_YEAR, 1, 1, tzinfo=UTC)  # nothing is on call before that
    back = LOOK
    while True:
        lo = t - back if back < t - floor else floor
        segs = final_schedule(rot, lo, t + timedelta(seconds=1))
        first = [x for x in segs if x.start <= t][-1]
        if first.start > lo or lo == floor:
            return first.start
        back *= 4


def _holes(rot: Rotation, segs: list[Segment], start: datetime, end: datetime) -> list[Interval]:
    """Where nobody is on call inside the rotation's coverage windows: what ``check`` calls gaps."""
    return intersect(gaps(segs, start, end), coverage_intervals(rot, start, end))


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


def _describe(d: Directory, rot: Rotation, s: Segment, nxt: tuple[str | None, datetime] | None) -> str:
    p = d.people.get(s.person) if s.person else None
    lines = [f"{_who(d, s.person)} is on call for {rot.name} ({rot.id}).",
             f"Phone: {p.phone}" if p and p.phone else "Phone: none on file"]
    if s.source == OVERRIDE:
        notes = [o.note for o in rot.overrides if o.start <= s.start < o.end and o.who == s.person]
        lines.append(f"Override: {notes[-1]}" if notes and notes[-1] else "Override")
    elif s.source:
        lines.append(f"Layer: {s.source.removeprefix('layer:')}")
    if nxt:
        lines.append(f"Next: {_who(d, nxt[0])} from {_local(nxt[1], rot.tz)}")
    return "\n".join(lines)


def _local(t: datetime, tz: ZoneInfo) -> str:
    """``Mon 2026-03-09 09:00 EDT``, locale-independent."""
    w = t.astimezone(tz)
    return f"{_DAYS[w.weekday()]} {w:%Y-%m-%d %H:%M} {w.tzname()}"


# --- serialization -------------------------------------------------------------------


def _calendar(name: str, zone: str, events: list[_Event], start: datetime, end: datetime,
              options: Options) -> bytes:
    events = sorted(events, key=lambda e: (e.start, e.rotation, e.uid))
    zones = sorted({e.zone for e in events})
    utc_zones = {z for z in zones if _is_utc(ZoneInfo(z), start, end)}
    lines = ["BEGIN:VCALENDAR", "VERSION:2.0", f"PRODID:{PRODID}", "CALSCALE:GREGORIAN", "METHOD:PUBLISH",
             f"X-WR-CALNAME:{_text(name)}", f"NAME:{_text(name)}", f"X-WR-TIMEZONE:{zone}",
             "REFRESH-INTERVAL;VALUE=DURATION:PT1H", "X-PUBLISHED-TTL:PT1H"]
    for z in zones:
        if z not in utc_zones:
            lines += vtimezone(ZoneInfo(z), start, end)
    for e in events:
        tz = None if e.zone in utc_zones else ZoneInfo(e.zone)
        lines += ["BEGIN:VEVENT", f"UID:{e.uid}", f"DTSTAMP:{_utc(e.stamp)}",
                  _when("DTSTART", e.start, tz), _when("DTEND", e.end, tz),
                  f"SUMMARY:{_text(e.summary)}", f"DESCRIPTION:{_text(e.description)}",
                  "STATUS:CONFIRMED",
                  "TRANSP:OPAQUE" if options.busy else "TRANSP:TRANSPARENT",
                  f"X-MICROSOFT-CDO-BUSYSTATUS:{'BUSY' if options.busy else 'FREE'}",
                  f"X-ONCALL-ROTATION:{_text(e.rotation)}"]
        if e.person is not None:
            lines += [f"X-ONCALL-PERSON:{_text(e.person)}", f"X-ONCALL-SOURCE:{_text(e.source or '')}"]
        if options.remind is not None and e.person is not None:
            lines += ["BEGIN:VALARM", "ACTION:DISPLAY", f"DESCRIPTION:{_text(e.summary)}",
                      f"TRIGGER:-{_duration(options.remind)}", "END:VALARM"]
        lines.append("END:VEVENT")
    lines.append("END:VCALENDAR")
    return b"".join(_fold(line) for line in lines)


def _utc(t: datetime) -> str:
    return t.astimezone(UTC).strftime("%Y%m%dT%H%M%SZ")


def _when(name: str, t: datetime, tz: ZoneInfo | None) -> str:
    """``DTSTART;TZID=Zone:local`` or, in UTC, ``DTSTART:...Z`` when the wall time is
    ambiguous there (readers disagree about which occurrence, or where a gap goes)."""
    if tz is None:
        return f"{name}:{_utc(t)}"
    wall = to_wall(t, tz)
    if wall.replace(tzinfo=tz, fold=0).utcoffset() != wall.replace(tzinfo=tz, fold=1).utcoffset():
        return f"{name}:{_utc(t)}"
    return f"{name};TZID={tz.key}:{wall:%Y%m%dT%H%M%S}"


def _duration(d: timedelta) -> str:
    """RFC 5545 DURATION: ``PT15M``, ``P1DT2H``, ``PT0S``."""
    days, rest = divmod(int(d.total_seconds()), 86400)
    h, rest = divmod(rest, 3600)
    m, s = divmod(rest, 60)
    time = "".join(f"{n}{u}" for n, u in ((h, "H"), (m, "M"), (s, "S")) if n)
    out = "P" + (f"{days}D" if days else "") + (f"T{time}" if time else "")
    return out if out != "P" else "PT0S"


_ESCAPES = {"\\": "\\\\", ";": "\\;", ",": "\\,", "\n": "\\n"}


def _text(value: str) -> str:
    """RFC 5545 TEXT: escape ``\\ ; , newline``; CRLF and CR are newlines; other control
    characters (except tab) cannot be written and are dropped."""
    value = value.replace("\r\n", "\n").replace("\r", "\n")
    return "".join(_ESCAPES.get(c, c) for c in value if c in "\t\n" or not (ord(c) < 32 or ord(c) == 127))


def _fold(line: str) -> bytes:
    """One content line, UTF-8, folded so no physical line passes 75 octets (a fold is
    CRLF + space) and no character is split, ending in CRLF."""
    data = line.encode()
    if len(data) <= 75:
        return data + b"\r\n"
    parts: list[bytes] = []
    cur = bytearray()
    for ch in line:
        b = ch.encode()
        if len(cur) + len(b) > 75:
            parts.append(bytes(cur))
            cur = bytearray(b" ")
        cur += b
    parts.append(bytes(cur))
    return b"\r\n".join(parts) + b"\r\n"


# --- VTIMEZONE from zoneinfo -----------------------------------------------------------

_STEP = 6 * 3600  # no zone changes offset twice within six hours in the years we export


def _state(tz: ZoneInfo, ts: int) -> tuple[timedelta, bool, str]:
    t = datetime.fromtimestamp(ts, tz)
    return t.utcoffset() or timedelta(), bool(t.dst()), t.tzname() or ""


def _span(tz: ZoneInfo, start: datetime, end: datetime) -> tuple[int, int]:
    """Whole local years around ``[start, end)``, as UTC timestamps."""
    first = to_wall(start - timedelta(days=1), tz).year
    last = to_wall(end + timedelta(days=1), tz).year + 1
    return (int(resolve(datetime(first, 1, 1), tz).timestamp()),
            int(resolve(datetime(last, 1, 1), tz).timestamp()))


def transitions(tz: ZoneInfo, lo: int, hi: int) -> list[tuple[int, tuple, tuple]]:
    """The changes of (offset, dst, abbreviation) in ``[lo, hi)`` (UTC timestamps):
    ``(instant of the change, state before, state after)``, to the second."""
    out = []
    t, state = lo, _state(tz, lo)
    while t < hi:
        u = min(t + _STEP, hi)
        new = _state(tz, u)
        if new != state:
            a, b = t, u  # state(a) is the old one, state(b) the new one
            while b - a > 1:
                mid = (a + b) // 2
                if _state(tz, mid) == state:
                    a = mid
                else:
                    b = mid
            out.append((b, state, new))
        t, state = u, new
    return out


@lru_cache(maxsize=64)
def _is_utc(tz: ZoneInfo, start: datetime, end: datetime) -> bool:
    lo, hi = _span(tz, start, end)
    return _state(tz, lo)[0] == timedelta() and not transitions(tz, lo, hi)


@lru_cache(maxsize=64)
def vtimezone(tz: ZoneInfo, start: datetime, end: datetime) -> tuple[str, ...]:
    """A VTIMEZONE for ``tz`` valid over the whole local years around ``[start, end)``:
    the last change before the first 1 January (or, if none in the year before, the state
    then), then one component per change, each with its onset as the wall time before the
    change and no recurrence (every reader agrees on that)."""
    lo, hi = _span(tz, start, end)
    changes = transitions(tz, lo - 366 * 86400, hi)
    earlier = [c for c in changes if c[0] <= lo]
    lines = ["BEGIN:VTIMEZONE", f"TZID:{tz.key}"]
    if not earlier:
        first = _state(tz, lo)
        lines += _observance(datetime.fromtimestamp(lo, tz).replace(tzinfo=None), first, first)
    # Start at a real change, not a made-up one with TZOFFSETFROM = TZOFFSETTO: dateutil
    # derives DST from TZOFFSETTO - TZOFFSETFROM, and a zero there misplaces times after
    # a later change.
    for ts, old, new in earlier[-1:] + [c for c in changes if c[0] > lo]:
        onset = datetime.fromtimestamp(ts, UTC).replace(tzinfo=None) + old[0]
        lines += _observance(onset, old, new)
    lines.append("END:VTIMEZONE")
    return tuple(lines)


def _observance(onset: datetime, old: tuple, new: tuple) -> list[str]:
    kind = "DAYLIGHT" if new[1] else "STANDARD"
    lines = [f"BEGIN:{kind}", f"DTSTART:{onset:%Y%m%dT%H%M%S}",
             f"TZOFFSETFROM:{_offset(old[0])}", f"TZOFFSETTO:{_offset(new[0])}"]
    if new[2]:
        lines.append(f"TZNAME:{_text(new[2])}")
    return lines + [f"END:{kind}"]


def _offset(d: timedelta) -> str:
    secs = int(d.total_seconds())
    sign = "-" if secs < 0 else "+"
    h, rest = divmod(abs(secs), 3600)
    m, s = divmod(rest, 60)
    return f"{sign}{h:02d}{m:02d}" + (f"{s:02d}" if s else "")


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
