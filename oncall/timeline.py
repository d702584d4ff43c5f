"""Wall-clock arithmetic, weekly windows and interval sets.

Every interval is half-open ``[start, end)`` between aware UTC instants. Wall times
(naive datetimes) become instants by the two rules of DESIGN.md, in ``resolve``:

* a wall time that does not exist (clocks jump forward) is the instant of the jump:
  02:30 on 2026-03-08 in New York is 03:00 EDT, 07:00 UTC;
* a wall time that occurs twice (clocks fall back) is its first occurrence:
  01:30 on 2026-11-01 in New York is 01:30 EDT, 05:30 UTC.

``resolve`` is therefore non-decreasing in its wall-time argument, so anything computed
by stepping a wall clock forward never runs backwards in real time.
"""

from __future__ import annotations

import re
from bisect import bisect_left, bisect_right
from collections.abc import Iterable
from datetime import datetime, timedelta, timezone
from functools import lru_cache
from typing import Any
from zoneinfo import ZoneInfo

from .model import Window
from .sanitize import quoted

UTC = timezone.utc
WEEK_MIN = 7 * 24 * 60
DAYS = ("mon", "tue", "wed", "thu", "fri", "sat", "sun")

Interval = tuple[datetime, datetime]

# Years files and command lines may name: far wider than any schedule, and far enough
# inside datetime's range that the engine's arithmetic (a year either side) cannot overflow.
MIN_YEAR, MAX_YEAR = 1900, 2999


@lru_cache(maxsize=1 << 16)
def resolve(wall: datetime, tz: ZoneInfo) -> datetime:
    """The UTC instant of naive wall time ``wall`` in ``tz`` (see the module rules).

    Memoised: an organisation's rotations share a few zones, handoff times and windows
    (Monday 09:00, mon-fri 09:00-17:00), so the same wall times come back constantly."""
    first = wall.replace(tzinfo=tz, fold=0)
    instant = first.astimezone(UTC)
    # Same tzinfo on both sides: Python compares the wall fields (the hot path).
    if instant.astimezone(tz) == first:
        return instant
    # ``wall`` falls in a gap: find the instant of the jump. With fold=1 zoneinfo uses
    # the offset after the change, which puts the wall time before the jump in UTC.
    lo = wall.replace(tzinfo=tz, fold=1).astimezone(UTC)
    hi = instant
    if lo > hi:
        lo, hi = hi, lo
    # Invariant: the wall clock at ``lo`` is before ``wall``, at ``hi`` after it.
    while hi - lo > timedelta(seconds=1):
        mid = lo + (hi - lo) / 2
        mid = mid.replace(microsecond=0)
        if mid <= lo:
            break
        if mid.astimezone(tz).replace(tzinfo=None) < wall:
            lo = mid
        else:
            hi = mid
    return hi


def to_wall(instant: datetime, tz: ZoneInfo) -> datetime:
    """The naive wall time shown by a clock in ``tz`` at ``instant``."""
    return instant.astimezone(tz).replace(tzinfo=None)


_DURATION = re.compile(r"([0-9]+)\s*([wdhms])")  # ASCII digits only: "１w" is not a duration
_UNITS = {"w": "weeks", "d": "days", "h": "hours", "m": "minutes", "s": "seconds"}


def parse_duration(text: str) -> timedelta:
    """``30m``, ``8h``, ``1d12h``, ``2w``: weeks, days, hours, minutes, seconds.

    Raises ValueError for anything else (empty, negative, unknown unit).
    """
    s = text.strip().lower().replace(" ", "")
    if not s or _DURATION.sub("", s):
        raise ValueError(f"{quoted(text)} is not a duration (use e.g. 30m, 8h, 1d, 1w, 1d12h)")
    parts: dict[str, int] = {}
    for number, unit in _DURATION.findall(s):
        key = _UNITS[unit]
        if key in parts:
            raise ValueError(f"{quoted(text)} names {key} twice")
        if len(number) > 12:  # beyond any timedelta; int() would refuse past 4300 digits
            raise ValueError(f"{quoted(text)} is too long")
        parts[key] = int(number)
    try:
        return timedelta(**parts)
    except OverflowError:
        raise ValueError(f"{quoted(text)} is too long") from None


def format_duration(d: timedelta) -> str:
    """The shortest ``1w2d3h4m`` form of ``d``."""
    total = int(d.total_seconds())
    if total == 0:
        return "0m"
    out = []
    for unit, size in (("w", 604800), ("d", 86400), ("h", 3600), ("m", 60), ("s", 1)):
        n, total = divmod(total, size)
        if n:
            out.append(f"{n}{unit}")
    return "".join(out)


_TIME = r"([0-9]{1,2}):([0-9]{2})"
_SPAN = re.compile(rf"^(?P<days>[a-z,\- ]+?)?\s*{_TIME}\s*-\s*{_TIME}$")
_ACROSS = re.compile(rf"^(?P<d1>[a-z]{{3}})\s+{_TIME}\s*-\s*(?P<d2>[a-z]{{3}})\s+{_TIME}$")


def _minutes(h: str, m: str, text: str) -> int:
    hours, minutes = int(h), int(m)
    if minutes > 59 or hours > 24 or (hours == 24 and minutes):
        raise ValueError(f"{h}:{m} is not a time of day in {quoted(text)}")
    return hours * 60 + minutes


def _day(name: str, text: str) -> int:
    try:
        return DAYS.index(name)
    except ValueError:
        raise ValueError(f"{quoted(name)} is not a day (use mon..sun) in {quoted(text)}") from None


def _days(spec: str, text: str) -> list[int]:
    spec = spec.replace(" ", "")
    if spec in ("daily", "everyday", ""):
        return list(range(7))
    if spec == "weekdays":
        return list(range(5))
    if spec == "weekends":
        return [5, 6]
    out: list[int] = []
    for item in spec.split(","):
        if "-" in item:
            a, _, b = item.partition("-")
            i, j = _day(a, text), _day(b, text)
            out.extend((i + n) % 7 for n in range((j - i) % 7 + 1))
        else:
            out.append(_day(item, text))
    return sorted(set(out))


@lru_cache(maxsize=1024)  # an organisation writes the same few windows in every file
def parse_window(text: str) -> tuple[Window, ...] | None:
    """Parse one restriction or coverage window; None means ``always``.

    Forms: ``mon-fri 09:00-17:00`` (one window starting on each day),
    ``daily 22:00-06:00`` (an end at or before the start is on the next day),
    ``fri 17:00 - mon 09:00`` (one window across days), ``sat-sun`` (whole days),
    ``always``. ``24:00`` is the next midnight. Raises ValueError otherwise.
    """
    s = " ".join(text.strip().lower().split())
    if s in ("always", "24/7"):
        return None
    m = _ACROSS.match(s)
    if m:
        d1, d2 = _day(m["d1"], text), _day(m["d2"], text)
        # "sun 24:00" is Monday 00:00: the start is reduced into the week before the ends
        # are compared, so "sun 24:00 - mon 00:00" is the whole week, as "mon 00:00 - mon 00:00" is.
        start = (d1 * 1440 + _minutes(m[2], m[3], text)) % WEEK_MIN
        end = d2 * 1440 + _minutes(m[5], m[6], text)
        if end <= start:
            end += WEEK_MIN
        return (Window(start, end),)
    m = _SPAN.match(s)
    if m:
        a = _minutes(m[2], m[3], text)
        b = _minutes(m[4], m[5], text)
        length = (b - a) % 1440 or 1440
        return tuple(Window(d * 1440 + a, d * 1440 + a + length) for d in _days(m["days"] or "", text))
    if re.fullmatch(r"[a-z,\- ]+", s):
        return tuple(Window(d * 1440, d * 1440 + 1440) for d in _days(s, text))
    raise ValueError(
        f"{quoted(text)} is not a window (use e.g. 'mon-fri 09:00-17:00', 'daily 22:00-06:00', "
        "'fri 17:00 - mon 09:00', 'sat-sun', 'always')"
    )


def parse_windows(texts: list[str]) -> tuple[Window, ...] | None:
    """Several windows; None (always) if any of them is ``always``."""
    out: list[Window] = []
    for text in texts:
        w = parse_window(text)
        if w is None:
            return None
        out.extend(w)
    return tuple(out)


def window_intervals(
    windows: tuple[Window, ...] | None, tz: ZoneInfo, start: datetime, end: datetime
) -> list[Interval]:
    """The instants in ``[start, end)`` inside ``windows`` on ``tz``'s wall clock, merged."""
    if windows is None:
        return [(start, end)] if start < end else []
    if start >= end:
        return []
    first = to_wall(start, tz)
    monday = datetime(first.year, first.month, first.day) - timedelta(days=first.weekday() + 7)
    last = to_wall(end, tz)
    spans = [(timedelta(minutes=w.start), timedelta(minutes=w.end)) for w in windows]
    week = timedelta(days=7)
    out: list[Interval] = []
    while monday <= last:
        for x, y in spans:
            b = resolve(monday + y, tz)
            if b > start:
                a = resolve(monday + x, tz)
                if a < end:
                    out.append((max(a, start), min(b, end)))
        monday += week
    return merge(out)


def merge(intervals: list[Interval]) -> list[Interval]:
    """Sort and merge overlapping or touching intervals; drop empty ones."""
    out: list[Interval] = []
    for a, b in sorted(i for i in intervals if i[0] < i[1]):
        if out and a <= out[-1][1]:
            if b > out[-1][1]:
                out[-1] = (out[-1][0], b)
        else:
            out.append((a, b))
    return out


def intersect(xs: list[Interval], ys: list[Interval]) -> list[Interval]:
    """Intersection of two merged, sorted interval lists."""
    out: list[Interval] = []
    i = j = 0
    while i < len(xs) and j < len(ys):
        a = max(xs[i][0], ys[j][0])
        b = min(xs[i][1], ys[j][1])
        if a < b:
            out.append((a, b))
        if xs[i][1] < ys[j][1]:
            i += 1
        else:
            j += 1
    return out


def subtract(xs: list[Interval], ys: list[Interval]) -> list[Interval]:
    """``xs`` minus ``ys``; both merged and sorted."""
    return [(a, b) for a, b, _ in outside(xs, ys)]


def outside(pieces: Iterable[tuple], ys: list[Interval]) -> list[tuple[datetime, datetime, tuple]]:
    """For sorted, disjoint ``pieces`` (tuples starting ``start, end``), the parts outside
    merged ``ys``: ``(start, end, piece)``, in order. The one interval subtraction."""
    out: list[tuple[datetime, datetime, tuple]] = []
    n = len(ys)
    j = 0
    for piece in pieces:
        a, b = piece[0], piece[1]
        while j < n and ys[j][1] <= a:
            j += 1
        cur, k = a, j
        while k < n and ys[k][0] < b:
            if ys[k][0] > cur:
                out.append((cur, ys[k][0], piece))
            if ys[k][1] > cur:
                cur = ys[k][1]
            k += 1
        if cur < b:
            out.append((cur, b, piece))
    return out


def outside_one(a: datetime, b: datetime, ys: list[Interval]) -> list[Interval]:
    """``[a, b)`` minus merged ``ys``, finding the intervals of ``ys`` inside it by bisection."""
    j = bisect_right(ys, a, key=_end)
    k = bisect_left(ys, b, lo=j, key=_start)
    return [(x, y) for x, y, _ in outside(((a, b),), ys[j:k])]


def _end(iv: Interval) -> datetime:
    return iv[1]


def _start(iv: Interval) -> datetime:
    return iv[0]


def overlaps(ys: list[Interval], a: datetime, b: datetime) -> bool:
    """Does merged ``ys`` meet ``[a, b)``? By bisection."""
    j = bisect_right(ys, a, key=_end)
    return j < len(ys) and ys[j][0] < b and a < b


def insert(ys: list[Interval], a: datetime, b: datetime) -> None:
    """Add ``[a, b)`` to merged ``ys`` in place (touching intervals join), by bisection."""
    if a >= b:
        return
    i = bisect_left(ys, a, key=_end)  # first interval ending at or after a: touches or follows
    k = bisect_right(ys, b, lo=i, key=_start)  # intervals from i to k-1 start at or before b
    if i < k:
        a, b = min(a, ys[i][0]), max(b, ys[k - 1][1])
    ys[i:k] = [(a, b)]


def join_runs(pieces: Iterable[tuple[Any, datetime, datetime]]) -> list[tuple[Any, datetime, datetime]]:
    """``(key, start, end)`` pieces in time order -> runs: a piece that starts where the
    previous run ends, with the same key, extends it. The one rule for joining
    consecutive stretches of one person (or of one pair, one reason...)."""
    out: list[tuple[Any, datetime, datetime]] = []
    for key, a, b in pieces:
        if out and out[-1][2] == a and out[-1][0] == key:
            out[-1] = (key, out[-1][1], b)
        else:
            out.append((key, a, b))
    return out


def total(xs: list[Interval]) -> timedelta:
    return sum((b - a for a, b in xs), timedelta())
