"""Feed bytes through ``icalendar``: its components and serializer for the calendar and
its VTIMEZONEs, its TEXT escaping and line folding for every event.

Events are written as content lines with ``icalendar``'s own escaping (``vText``) and
folding (``Contentline``), not as ``icalendar.Event`` components: building and
serializing a component costs about 0.7 ms an event (measured: 10,000 events in 7.2 s),
which would make ``export --all`` of 100 rotations (250,000 events) take minutes. Each
event's lines are made once and shared by the rotation feed and the person's feed.
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
    """RFC 5545 TEXT, by ``icalendar``: ``\\ ; , newline`` escaped; CR and CRLF are
    newlines."""
    from icalendar.prop import vText

    # icalendar turns a literal backslash-N into a newline before escaping; a note that
    # says "C:\\New" must keep its backslash, so escape around each one.
    return "\\\\N".join(vText(part).to_ical().decode() for part in xml_safe(value).split("\\N"))


def line(content: str) -> bytes:
    """One content line, folded by ``icalendar`` (at most 75 octets a physical line,
    no UTF-8 character or escape split), ending in CRLF."""
    data = content.encode()
    if len(data) <= 75:  # folding would leave it as is
        return data + CRLF
    from icalendar.parser import Contentline

    return Contentline(content).to_ical() + CRLF


@lru_cache(maxsize=16)
def duration(d: timedelta) -> str:
    """RFC 5545 DURATION by ``icalendar``: ``PT15M``, ``P1DT2H``, ``-PT15M``."""
    from icalendar.prop import vDuration

    return vDuration(d).to_ical().decode()


def calendar(name: str, zones: list[tuple[str, tuple[Observance, ...]]], events: list[bytes]) -> bytes:
    """The VCALENDAR: its properties and one VTIMEZONE per ``(TZID, observances)``,
    built and serialized by ``icalendar``, around the events' bytes."""
    from icalendar import Calendar
    from icalendar.prop import vDuration, vInline

    cal = Calendar()
    for key, value in (("VERSION", "2.0"), ("PRODID", PRODID), ("CALSCALE", "GREGORIAN"), ("METHOD", "PUBLISH")):
        cal.add(key, value)
    for key in ("X-WR-CALNAME", "NAME"):  # already TEXT (see ``text``): added as is
        cal.add(key, vInline(text(name)))
    cal.add("REFRESH-INTERVAL", timedelta(hours=1), parameters={"VALUE": "DURATION"})
    cal.add("X-PUBLISHED-TTL", vDuration(timedelta(hours=1)))
    for tzid, obs in zones:
        cal.add_component(_vtimezone(tzid, obs))
    head = cal.to_ical(sorted=False)
    end = b"END:VCALENDAR" + CRLF
    assert head.endswith(end)
    return b"".join([head[: -len(end)], *events, end])


def _vtimezone(tzid: str, obs: tuple[Observance, ...]):
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
    return tz
