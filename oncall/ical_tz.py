"""VTIMEZONE data from the IANA rules zoneinfo reads: one observance per offset change.

No RRULE and no RDATE lists (readers disagree about both): each change is its own
STANDARD or DAYLIGHT observance whose onset is the local time *before* the change
(RFC 5545 3.6.5), covering whole local years around the exported window. Pure: the
serializer (``oncall.ical_write``) writes these as VTIMEZONE components.
"""

from __future__ import annotations

from datetime import datetime, timedelta
from functools import lru_cache
from typing import NamedTuple
from zoneinfo import ZoneInfo

from .timeline import UTC, resolve, to_wall

# A scan probes once a day and bisects a change to the second: it would miss a state that
# lasts less than a step. Since 1970 no zone in tzdata has two changes less than 166 hours
# (America/Cambridge_Bay, 2000) apart; a six-hour step cost 8 zones 0.1 s of export --all.
_STEP = 86400
# vobject cannot hold a change this large declared as DAYLIGHT or STANDARD (Samoa skipping
# 2011-12-30, -10:00 -> +14:00): a zone with one in the span is written in UTC instead.
MAX_CHANGE = timedelta(hours=12)


class Observance(NamedTuple):
    """One STANDARD (``daylight`` False) or DAYLIGHT observance."""

    daylight: bool
    onset: datetime  # naive: the wall time before the change
    offset_from: timedelta
    offset_to: timedelta
    name: str


def _state(tz: ZoneInfo, ts: int) -> tuple[timedelta, bool, str]:
    t = datetime.fromtimestamp(ts, tz)
    return t.utcoffset() or timedelta(), bool(t.dst()), t.tzname() or ""


def _span(tz: ZoneInfo, start: datetime, end: datetime) -> tuple[int, int]:
    """Whole local years around ``[start, end)``, as UTC timestamps."""
    first = to_wall(start - timedelta(days=1), tz).year
    last = to_wall(end + timedelta(days=1), tz).year + 1
    return (int(resolve(datetime(first, 1, 1), tz).timestamp()),
            int(resolve(datetime(last, 1, 1), tz).timestamp()))


@lru_cache(maxsize=64)  # in_utc and observances scan the same span of each zone
def transitions(tz: ZoneInfo, lo: int, hi: int) -> tuple[tuple[int, tuple, tuple], ...]:
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
    return tuple(out)


@lru_cache(maxsize=64)
def in_utc(tz: ZoneInfo, start: datetime, end: datetime) -> bool:
    """Whether this zone's events are written in UTC, without a VTIMEZONE: a zone that is
    UTC all along, or one with a change no reader-safe VTIMEZONE can declare."""
    lo, hi = _span(tz, start, end)
    changes = transitions(tz, lo - 366 * 86400, hi)
    if any(abs(new[0] - old[0]) >= MAX_CHANGE for _, old, new in changes):
        return True
    return _state(tz, lo)[0] == timedelta() and not any(ts > lo for ts, _, _ in changes)


@lru_cache(maxsize=64)
def observances(tz: ZoneInfo, start: datetime, end: datetime) -> tuple[Observance, ...]:
    """The observances of a VTIMEZONE for ``tz`` valid over the whole local years around
    ``[start, end)``: the last change before the first 1 January (or, if none in the year
    before, the state then), then one per change."""
    lo, hi = _span(tz, start, end)
    changes = transitions(tz, lo - 366 * 86400, hi)
    earlier = [c for c in changes if c[0] <= lo]
    out = []
    if not earlier:
        first = _state(tz, lo)
        out.append(_observance(datetime.fromtimestamp(lo, tz).replace(tzinfo=None), first, first))
    # Start at a real change, not a made-up one with TZOFFSETFROM = TZOFFSETTO: dateutil
    # derives DST from TZOFFSETTO - TZOFFSETFROM, and a zero there misplaces times after
    # a later change.
    for ts, old, new in earlier[-1:] + [c for c in changes if c[0] > lo]:
        out.append(_observance(datetime.fromtimestamp(ts, UTC).replace(tzinfo=None) + old[0], old, new))
    return tuple(out)


@lru_cache(maxsize=64)
def repeats(tz: ZoneInfo, start: datetime, end: datetime) -> tuple[datetime, datetime, tuple[datetime, ...]]:
    """Where ``tz``'s wall clock repeats, over the local years around ``[start, end)``:
    ``(lo, hi, edges)``, every instant of ``[lo, hi)`` (UTC) having a wall time that
    another instant has too exactly when it falls in one of the intervals ``edges``
    lists flat and sorted (``[a0, b0, a1, b1, ...]``). A change back by D at T repeats
    the wall times of ``[T - D, T + D)``; the scan finds every change (none are closer
    than ``_STEP``, none this side of ``in_utc`` larger than ``MAX_CHANGE``), and ``hi``
    stops a day short of its end, which a change after it could otherwise reach."""
    lo, hi = _span(tz, start, end)
    edges = []
    for ts, old, new in transitions(tz, lo - 366 * 86400, hi):
        back = int((old[0] - new[0]).total_seconds())
        if back > 0:
            edges += [ts - back, ts + back]
    return (datetime.fromtimestamp(lo, UTC), datetime.fromtimestamp(hi - 86400, UTC),
            tuple(datetime.fromtimestamp(e, UTC) for e in edges))


def _observance(onset: datetime, old: tuple, new: tuple) -> Observance:
    return Observance(new[1], onset, old[0], new[0], new[2])
