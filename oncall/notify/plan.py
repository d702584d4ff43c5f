"""Pure: which reminders, handoff notices and change notices are due at an instant.

No clock, no file, no store: the instant, the folder and what was last announced are
arguments. The rules (also in docs/notify.md):

* A *shift* is a stretch of one rotation's final schedule held by one person
  (consecutive segments joined). Its start is a handoff.
* **Reminder** at each lead ``L`` of ``person.remind``: due at ``start - L``. When that
  instant falls inside the person's quiet window, it is due ``EARLY`` before the window
  begins instead (the evening before, so a cron every few minutes sends it in time).
  It may go out until ``grace`` after it is due and never at or after the shift start.
* **Handoff notice** to the incoming person: due at the start; until ``grace`` later
  and never after the shift ended. Not held by quiet hours: from that instant they are
  the one paged.
* **Change notice**: see ``change``; due when the change is first seen, held to the end
  of the quiet window when seen inside one.
"""

from __future__ import annotations

import hashlib
from datetime import datetime, timedelta
from typing import NamedTuple
from zoneinfo import ZoneInfo

from ..model import Directory, Person, Rotation
from ..schedule import final_schedule, stretches
from ..timeline import Interval, merge, resolve, subtract, to_wall
from ..wording import rounded_duration

EARLY = timedelta(minutes=30)  # a reminder moved out of quiet hours goes this long before they begin
LOOKBACK = timedelta(days=1)  # older due notices are not considered at all (not even as skipped)
REMINDER, HANDOFF, CHANGE = "reminder", "handoff", "change"


class Notice(NamedTuple):
    """One message to one person. ``key`` is unique per notice (the store sends each key
    once); it may go out in ``[due, latest)`` (``latest`` None: no limit)."""

    key: str
    kind: str
    person: str
    rotation: str | None
    due: datetime
    latest: datetime | None
    subject: str
    body: str


class Shift(NamedTuple):
    rotation: str
    person: str
    start: datetime
    end: datetime
    previous: str | None  # who hands over (None after a gap)


def zone(p: Person) -> ZoneInfo:
    return ZoneInfo(p.timezone or "UTC")


def when(t: datetime, p: Person) -> str:
    """``t`` as the person reads it: ``Mon 2026-12-07 09:00 PST``."""
    return t.astimezone(zone(p)).strftime("%a %Y-%m-%d %H:%M %Z")


def quiet_span(p: Person, t: datetime) -> Interval | None:
    """The person's quiet window containing ``t`` (UTC instants), else None. The window's
    wall times are resolved like every wall time (a skipped time is the jump's instant)."""
    if p.quiet is None:
        return None
    a, b = p.quiet
    tz = zone(p)
    day = to_wall(t, tz).replace(hour=0, minute=0, second=0, microsecond=0)
    for offset in (-1, 0):
        base = day + timedelta(days=offset)
        start = resolve(base + timedelta(minutes=a), tz)
        end = resolve(base + timedelta(days=1 if b <= a else 0, minutes=b), tz)
        if start <= t < end:
            return start, end
    return None


def shifts(d: Directory, start: datetime, end: datetime) -> list[Shift]:
    """Every shift overlapping ``[start, end)`` (clipped to it), with who hands over."""
    out: list[Shift] = []
    for rid in sorted(d.rotations):
        previous = None
        last_end = None
        for person, a, b in stretches(final_schedule(d.rotations[rid], start, end)):
            out.append(Shift(rid, person, a, b, previous if last_end == a else None))
            previous, last_end = person, b
    return out


def _key(*parts) -> str:
    return hashlib.sha256("\x1f".join(map(str, parts)).encode()).hexdigest()[:32]


def _name(d: Directory, pid: str | None) -> str:
    return d.people[pid].name if pid in d.people else (pid or "nobody")


def reminders(d: Directory, shifts_: list[Shift], t: datetime, grace: timedelta, lo: datetime,
              since: datetime) -> list[Notice]:
    """Reminders due in ``(since, t]`` for shifts starting after ``lo`` (the range
    computed: a shift clipped at ``lo`` has no known start)."""
    out = []
    for s in shifts_:
        p = d.people.get(s.person)
        if p is None or s.start <= lo:
            continue
        rot = d.rotations[s.rotation]
        for lead in p.remind:
            due = s.start - lead
            q = quiet_span(p, due)
            if q:
                due = q[0] - EARLY
            if not since < due <= t:
                continue
            hands = f"{_name(d, s.previous)} hands over" if s.previous else "nobody is on call before you"
            subject = f"On call for {rot.name} in {rounded_duration(s.start - due)}: from {when(s.start, p)}"
            body = (f"Reminder: you are on call for {rot.name} ({rot.id}) from {when(s.start, p)} "
                    f"to {when(s.end, p)}; {hands}.")
            out.append(Notice(_key(REMINDER, s.rotation, p.id, s.start.isoformat(), lead), REMINDER, p.id,
                              s.rotation, due, min(due + grace, s.start), subject, body))
    return out


def handoffs(d: Directory, shifts_: list[Shift], t: datetime, grace: timedelta, lo: datetime, since: datetime,
             incidents: dict[str, list[dict]]) -> list[Notice]:
    """Handoff notices due in ``(since, t]``: open incidents of the rotation (from
    ``incidents``, by rotation: ``id``, ``message``) and overrides in the shift."""
    out = []
    for s in shifts_:
        p = d.people.get(s.person)
        if p is None or s.start <= lo or not since < s.start <= t:
            continue
        rot = d.rotations[s.rotation]
        lines = [f"You are on call for {rot.name} ({rot.id}) from {when(s.start, p)} to {when(s.end, p)}"
                 + (f", taking over from {_name(d, s.previous)}." if s.previous else ".")]
        open_ = incidents.get(s.rotation, [])
        lines.append(f"Open incidents: {len(open_)}" + "".join(f"\n  #{i['id']} {i['message']}" for i in open_))
        lines.append(_overrides(d, rot, s, p))
        out.append(Notice(_key(HANDOFF, s.rotation, p.id, s.start.isoformat()), HANDOFF, p.id, s.rotation,
                          s.start, min(s.start + grace, s.end), f"On call now for {rot.name}", "\n".join(lines)))
    return out


def _overrides(d: Directory, rot: Rotation, s: Shift, p: Person) -> str:
    """The overrides in the shift: up to where the base schedule (no overrides) would end
    it, at most a month on (an override may cut the final shift short)."""
    from dataclasses import replace

    base = stretches(final_schedule(replace(rot, overrides=()), s.start, s.start + timedelta(days=31)))
    end = base[0][2] if base and base[0][0] == s.person and base[0][1] == s.start else s.end
    found = [o for o in rot.overrides
             if o.start < end and o.end > s.start and not (o.who == p.id and o.start <= s.start)]
    if not found:
        return "Overrides in your shift: none"
    return "Overrides in your shift:" + "".join(
        f"\n  {_name(d, o.who)} {when(o.start, p)} - {when(o.end, p)}" + (f" ({o.note})" if o.note else "")
        for o in found)


def snapshot(shifts_: list[Shift], pid: str, t: datetime, horizon: datetime) -> dict:
    """What a person is told about: their shifts overlapping ``[t, horizon)`` (ends cut
    at ``horizon``), as JSON-ready data."""
    mine = [[s.rotation, s.start.isoformat(), min(s.end, horizon).isoformat()]
            for s in shifts_ if s.person == pid and s.end > t and s.start < horizon]
    return {"from": t.isoformat(), "to": horizon.isoformat(), "shifts": mine}


def _by_rotation(shots: list, a: datetime, b: datetime, clip: bool = True) -> dict[str, list[Interval]]:
    """The shifts meeting ``[a, b)`` by rotation, merged; ``clip``: only their part inside."""
    out: dict[str, list[Interval]] = {}
    for rid, x, y in shots:
        x, y = datetime.fromisoformat(x), datetime.fromisoformat(y)
        if x < b and y > a:
            out.setdefault(rid, []).append((max(x, a), min(y, b)) if clip else (x, y))
    return {rid: merge(ivs) for rid, ivs in out.items()}


def change(d: Directory, pid: str, old: dict | None, new: dict, t: datetime) -> Notice | None:
    """The change notice telling ``pid`` how ``new`` differs from ``old`` (what was last
    announced), compared over the time both cover; None when nothing changed there or
    nothing was ever announced (a first run tells nobody about everything)."""
    if old is None:
        return None
    p = d.people[pid]
    a, b = t, min(datetime.fromisoformat(old["to"]), datetime.fromisoformat(new["to"]))
    before, after = _by_rotation(old["shifts"], a, b), _by_rotation(new["shifts"], a, b)
    shown = _by_rotation(old["shifts"], a, b, clip=False), _by_rotation(new["shifts"], a, b, clip=False)
    parts = []
    for rid in sorted(set(before) | set(after)):
        was, now = before.get(rid, []), after.get(rid, [])
        gone, came = subtract(was, now), subtract(now, was)
        if not gone and not came:
            continue
        kind = "moved" if gone and came else "removed" if gone else "added"
        name = d.rotations[rid].name if rid in d.rotations else rid
        parts.append(f"{name} ({rid}): {kind}\n"
                     f"  before: {_spans(_touching(shown[0].get(rid, []), gone + came), p)}\n"
                     f"  now:    {_spans(_touching(shown[1].get(rid, []), gone + came), p)}")
    if not parts:
        return None
    due = t
    q = quiet_span(p, t)
    if q:
        due = q[1]
    body = "Your on-call shifts changed:\n" + "\n".join(parts)
    return Notice(_key(CHANGE, pid, body), CHANGE, pid, None, due, None, "Your on-call shifts changed", body)


def _touching(ivs: list[Interval], changed: list[Interval]) -> list[Interval]:
    return [(x, y) for x, y in ivs if any(x <= c2 and c1 <= y for c1, c2 in changed)]


def _spans(ivs: list[Interval], p: Person) -> str:
    return "; ".join(f"{when(x, p)} - {when(y, p)}" for x, y in ivs) or "not on call"


def due_now(d: Directory, t: datetime, grace: timedelta, days: int, incidents: dict[str, list[dict]],
            lookback: timedelta = LOOKBACK) -> tuple[list[Notice], dict[str, dict]]:
    """The reminders and handoffs due in ``(t - lookback, t]``, and each person's
    snapshot for change notices (their shifts in the next ``days``)."""
    longest = max((lead for p in d.people.values() for lead in p.remind), default=timedelta(0))
    lo = t - LOOKBACK - timedelta(days=7)  # far enough back to show when a weekly shift began
    horizon = t + timedelta(days=days)
    all_ = shifts(d, lo, max(horizon, t + longest + EARLY + timedelta(days=1)))
    since = t - lookback
    notices = reminders(d, all_, t, grace, lo, since) + handoffs(d, all_, t, grace, lo, since, incidents)
    shots = {pid: snapshot(all_, pid, t, horizon) for pid in sorted(d.people)}
    return sorted(notices, key=lambda n: (n.due, n.key)), shots

