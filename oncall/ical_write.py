"""Feed bytes through ``icalendar``: its components and serializer for the calendar and
its VTIMEZONEs, its TEXT escaping and line folding for every event.

Events are written as content lines with ``icalendar``'s escaping and folding rules,
not as ``icalendar.Event`` components: building and serializing a component costs about
0.7 ms an event (measured: 10,000 events in 7.2 s), which would make ``export --all`` of
100 rotations (250,000 events) take minutes. TEXT escaping is ``vText``'s chain of
replacements, and an ASCII line is folded where ``Contentline`` folds it (every 74
octets, never after a lone backslash or caret), without its per-character loop, which
cost most of an ``export --all`` (tests/test_export.py compares both with ``icalendar``
on random text). ``fold_start`` folds the part of a line that text appended later
cannot change, so the lines events share are folded once (``oncall.ical``). The
calendar's own lines are ``icalendar``'s, serialized once (``_head``).
``icalendar`` is imported only here, and this module only by ``export``.

Every text passes ``sanitize.xml_safe`` first: ANSI sequences and control characters
other than tab and newline never reach a feed.
"""

from __future__ import annotations

from datetime import timedelta
from functools import lru_cache

from .ical_tz import Observance
from .sanitize import xml_safe

PRODID = "-//oncall//oncall export//EN"
CRLF = b"\r\n"


@lru_cache(maxsize=8192)
def text(value: str) -> str:
    """RFC 5545 TEXT as ``icalendar``'s ``vText`` writes it: ``\\ ; , newline`` escaped;
    CR and CRLF are newlines."""
    # icalendar turns a literal backslash-N into a newline before escaping; a note that
    # says "C:\\New" must keep its backslash, so escape around each one.
    return "\\\\N".join(map(_escape, xml_safe(value).split("\\N")))


def _escape(part: str) -> str:
    return (part.replace("\\", "\\\\").replace(";", "\\;").replace(",", "\\,")
            .replace("\r\n", "\\n").replace("\n", "\\n").replace("\r", "\\n"))


def line(content: str) -> bytes:
    """One content line, folded as ``icalendar`` folds it (at most 75 octets a physical
    line, no UTF-8 character or escape split), ending in CRLF."""
    return folded(content).encode()


def folded(content: str) -> str:
    """``line`` before encoding: an event's lines are joined first, then encoded once."""
    if content.isascii():  # an octet a character
        return (content if len(content) <= 75 else _fold_ascii(content)) + "\r\n"
    if len(content.encode()) <= 75:  # folding would leave it as is
        return content + "\r\n"
    from icalendar.parser import Contentline

    return Contentline(content).to_ical().decode() + "\r\n"


def _fold_ascii(content: str) -> str:
    """``Contentline``'s folding of an ASCII line: 74 characters a physical line, the
    last one carried to the next when it is a backslash or caret (an escape is not split)."""
    first, rest = fold_start(content)
    return first + rest


def fold_start(content: str) -> tuple[str, str]:
    """An ASCII line's folded lines that no text appended to it can change, each ending
    in CRLF and a space, and the rest: for a non-empty ASCII ``more``, ``folded(content +
    more)`` is the first plus ``_fold_ascii(rest + more)`` and CRLF when the first is not
    empty, else ``folded(rest + more)``. An event's description is the same but for the
    time at its end: most of its folding is done once."""
    out = []
    i = 0
    while len(content) - i > 74:  # a physical line wholly decided by ``content``
        n = 73 if content[i + 73] in "\\^" else 74
        out.append(content[i:i + n] + "\r\n ")
        i += n
    return "".join(out), content[i:]


@lru_cache(maxsize=16)
def duration(d: timedelta) -> str:
    """RFC 5545 DURATION by ``icalendar``: ``PT15M``, ``P1DT2H``, ``-PT15M``."""
    from icalendar.prop import vDuration

    return vDuration(d).to_ical().decode()


def calendar(name: str, zones: list[tuple[str, tuple[Observance, ...]]], events: bytes) -> bytes:
    """The VCALENDAR: its properties and one VTIMEZONE per ``(TZID, observances)``, as
    ``icalendar`` builds and serializes them, around the events' bytes."""
    before, after = _head()
    name = text(name)
    return b"".join([before, line(f"X-WR-CALNAME:{name}"), line(f"NAME:{name}"), after,
                     *(_vtimezone(tzid, obs) for tzid, obs in zones), events, b"END:VCALENDAR" + CRLF])


@lru_cache(maxsize=1)
def _head() -> tuple[bytes, bytes]:
    """A calendar's lines before and after its two name lines, by ``icalendar``: the
    names are ``vInline``, which ``Contentline`` writes as ``line`` does."""
    from icalendar import Calendar
    from icalendar.prop import vDuration, vInline

    cal = Calendar()
    for key, value in (("VERSION", "2.0"), ("PRODID", PRODID), ("CALSCALE", "GREGORIAN"), ("METHOD", "PUBLISH")):
        cal.add(key, value)
    for key in ("X-WR-CALNAME", "NAME"):
        cal.add(key, vInline("x"))
    cal.add("REFRESH-INTERVAL", timedelta(hours=1), parameters={"VALUE": "DURATION"})
    cal.add("X-PUBLISHED-TTL", vDuration(timedelta(hours=1)))
    head = cal.to_ical(sorted=False)
    names = line("X-WR-CALNAME:x") + line("NAME:x")
    end = b"END:VCALENDAR" + CRLF
    assert head.count(names) == 1 and head.endswith(end)
    before, after = head[: -len(end)].split(names)
    return before, after


@lru_cache(maxsize=64)  # export --all writes the same few zones into hundreds of feeds
def _vtimezone(tzid: str, obs: tuple[Observance, ...]) -> bytes:
    from icalendar import Timezone, TimezoneDaylight, TimezoneStandard

    tz = Timezone()
    tz.add("TZID", tzid)
    for o in obs:
        part = TimezoneDaylight() if o.daylight else TimezoneStandard()
        part.add("DTSTART", o.onset)
        part.add("TZOFFSETFROM", o.offset_from)
        part.add("TZOFFSETTO", o.offset_to)
        if o.name:
            part.add("TZNAME", xml_safe(o.name))
        tz.add_component(part)
    return tz.to_ical(sorted=False)
