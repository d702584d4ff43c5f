"""A hole's cause and its windows said as the files say them; the weekly window a gap
falls in; whether a person is awake. Used by ``coverage_suggest``. Pure."""

from __future__ import annotations

from dataclasses import replace
from datetime import datetime, timedelta
from zoneinfo import ZoneInfo

from .model import Person, Rotation, Window
from .schedule import handoff, layer_segments
from .timeline import WEEK_MIN, to_wall

AWAKE = (7 * 60, 23 * 60)  # minutes of a person's own day
DAYS = ("mon", "tue", "wed", "thu", "fri", "sat", "sun")


def minute_floor(t: datetime) -> datetime:
    return t.replace(second=0, microsecond=0)


def minute_ceil(t: datetime) -> datetime:
    floor = minute_floor(t)
    return floor if floor == t else floor + timedelta(minutes=1)


def window_text(w: Window) -> str:
    """A weekly window as ``only`` writes it: ``mon 20:00 - tue 00:00``."""
    def at(m: int) -> str:
        m %= WEEK_MIN
        return f"{DAYS[m // 1440]} {m % 1440 // 60:02d}:{m % 60:02d}"

    return f"{at(w.start)} - {at(w.end)}"


def _hhmm(m: int) -> str:
    return f"{m // 60:02d}:{m % 60:02d}"


def _days_text(days: list[int]) -> str:
    if len(days) == 7:
        return "daily"
    if len(days) > 2 and days == list(range(days[0], days[-1] + 1)):
        return f"{DAYS[days[0]]}-{DAYS[days[-1]]}"
    return ",".join(DAYS[d] for d in days)


def windows_text(ws: list[Window]) -> tuple[str, ...]:
    """``only`` entries for ``ws``: windows shorter than a day that share their times are
    one entry (``mon-fri 09:00-17:00``, ``daily 20:00-24:00``); others ``fri 17:00 - mon 09:00``."""
    groups: dict[tuple[int, int], list[int]] = {}
    out = []
    for w in sorted(set(ws)):
        if w.end - w.start < 1440:
            groups.setdefault((w.start % 1440, w.end - w.start), []).append(w.start // 1440 % 7)
        else:
            out.append(window_text(w))
    for (a, length), days in sorted(groups.items()):
        b = (a + length) % 1440
        out.append(f"{_days_text(sorted(set(days)))} {_hhmm(a)}-{'24:00' if b == 0 else _hhmm(b)}")
    return tuple(sorted(out))


def weekly_window(a: datetime, b: datetime, rot: Rotation) -> Window | None:
    wa, wb = to_wall(a, rot.tz), to_wall(b, rot.tz)
    length = int((wb - wa).total_seconds()) // 60
    if not 0 < length < WEEK_MIN:
        return None
    start = wa.weekday() * 1440 + wa.hour * 60 + wa.minute
    return Window(start, start + length)


def is_awake(p: Person, a: datetime, b: datetime) -> bool:
    zone = ZoneInfo(p.timezone or "UTC")
    wa, wb = to_wall(a, zone), to_wall(b, zone)
    lo = wa.replace(hour=0, minute=0, second=0, microsecond=0)
    return wb - wa <= timedelta(hours=16) and lo + timedelta(minutes=AWAKE[0]) <= wa \
        and wb <= lo + timedelta(minutes=AWAKE[1])


def file_time(t: datetime, rot: Rotation) -> str:
    """``2026-03-10 00:00 UTC``: on the rotation's wall clock, as its file writes it."""
    return f"{to_wall(t, rot.tz):%Y-%m-%d %H:%M} {rot.timezone}"


def cause_of(rot: Rotation, a: datetime, b: datetime) -> str | None:
    """What leaves ``[a, b)`` empty, when one of the rotation's layers explains it."""
    for layer in reversed(rot.layers):
        if layer.until is not None and layer.until <= a and handoff(layer, 0) < layer.until \
                and layer_segments(rot.id, replace(layer, until=None, only=None), a, b):
            return f"layer {layer.name!r} ends at {file_time(layer.until, rot)} (its until)"
        if layer.only is not None and layer_segments(rot.id, replace(layer, only=None), a, b):
            return f"layer {layer.name!r} is restricted to {', '.join(windows_text(list(layer.only)))}"
    starts = [layer for layer in rot.layers if handoff(layer, 0) >= b]
    if starts:
        first = min(starts, key=lambda x: handoff(x, 0))
        return f"layer {first.name!r} starts only at {file_time(handoff(first, 0), rot)}"
    return None
