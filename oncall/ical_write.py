"""Feed bytes as ``icalendar`` writes them: the calendar and its VTIMEZONEs, TEXT escaping
and line folding for every event.

Events are written as content lines with ``icalendar``'s escaping and folding rules,
not as ``icalendar.Event`` components: building and serializing a component costs about
0.7 ms an event (measured: 10,000 events in 7.2 s), which would make ``export --all`` of
100 rotations (250,000 events) take minutes. TEXT escaping is ``vText``'s chain of
replacements, and an ASCII line is folded where ``Contentline`` folds it (every 74
octets, never after a lone backslash or caret), without its per-character loop, which
cost most of an ``export --all`` (tests/test_ical_write.py compares both with ``icalendar``
on random text). ``fold_start`` folds the part of a line that text appended later
cannot change, so the lines events share are folded once (``oncall.ical``). The
calendar's own lines and its VTIMEZONEs are written here too, byte for byte as
``icalendar``'s components serialize them (tests/test_ical_write.py, for every zone):
importing and running them cost a small org's export a tenth of its time.
``icalendar`` is imported only here, only for a long non-ASCII line or a DURATION, and
this module only by ``export``.

Every text passes ``sanitize.xml_safe`` first: ANSI sequences and control characters
other than tab and newline never reach a feed.
"""

from __future__ import annotations

from collections.abc import Iterable
from datetime import timedelta
from functools import lru_cache

from .ical_tz import Observance
from .sanitize import xml_safe

PRODID = "-//oncall//oncall export//EN"


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


def folded(content: str) -> str:
    """One content line, folded as ``icalendar`` folds it (at most 75 octets a physical
    line, no UTF-8 character or escape split), ending in CRLF; as text: a feed's lines
    are joined first, then encoded once."""
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


def calendar(name: str, zones: list[tuple[str, tuple[Observance, ...]]], events: Iterable[str]) -> bytes:
    """The VCALENDAR: its properties and one VTIMEZONE per ``(TZID, observances)``, as
    ``icalendar`` builds and serializes them (tests/test_ical_write.py compares the two for
    every zone), around the events (each one's lines). Joined and encoded once: a folder
    of feeds is 100 MiB, and each copy of it costs."""
    name = text(name)
    return "".join([_HEAD, folded(f"X-WR-CALNAME:{name}"), folded(f"NAME:{name}"), _REFRESH,
                    *(_vtimezone(tzid, obs) for tzid, obs in zones), *events, "END:VCALENDAR\r\n"]).encode()


_HEAD = f"BEGIN:VCALENDAR\r\nVERSION:2.0\r\nPRODID:{PRODID}\r\nCALSCALE:GREGORIAN\r\nMETHOD:PUBLISH\r\n"
_REFRESH = "REFRESH-INTERVAL;VALUE=DURATION:PT1H\r\nX-PUBLISHED-TTL:PT1H\r\n"


@lru_cache(maxsize=64)  # export --all writes the same few zones into hundreds of feeds
def _vtimezone(tzid: str, obs: tuple[Observance, ...]) -> str:
    """A VTIMEZONE as ``icalendar``'s ``Timezone`` writes it: TZID, then each observance's
    DTSTART (local, naive), offsets and TZNAME, in order."""
    out = ["BEGIN:VTIMEZONE\r\n", folded(f"TZID:{text(tzid)}")]
    for o in obs:
        kind = "DAYLIGHT" if o.daylight else "STANDARD"
        out += [f"BEGIN:{kind}\r\nDTSTART:{o.onset:%Y%m%dT%H%M%S}\r\n",
                f"TZOFFSETFROM:{_offset(o.offset_from)}\r\nTZOFFSETTO:{_offset(o.offset_to)}\r\n",
                folded(f"TZNAME:{text(o.name)}") if o.name else "", f"END:{kind}\r\n"]
    return "".join([*out, "END:VTIMEZONE\r\n"])


def _offset(d: timedelta) -> str:
    """UTC-OFFSET as ``vUTCOffset`` writes it: ``+0530``, ``-0500``, seconds only when there
    are some (``-004430``), ``+0000`` for none."""
    sign, d = ("-", -d) if d < timedelta(0) else ("+", d)
    minutes, seconds = divmod(int(d.total_seconds()), 60)
    hm = f"{minutes // 60:02}{minutes % 60:02}"
    return f"{sign}{hm}{seconds:02}" if seconds else f"{sign}{hm}"
