"""Coverage: gaps, unreachable time and warnings. Pure: time is an argument.

Everything is reported inside the rotation's coverage windows (default: always) and
the asked horizon ``[start, end)``:

* ``gap``: nobody is on call;
* ``unreachable``: the person on call is away (reason ``away``), has no phone
  (``no-phone``) or a number that cannot be dialled (``invalid-phone``).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime, timedelta

from .model import Directory, Person, Rotation, Segment
from .schedule import OVERRIDE, final_schedule, gaps, layer_segments
from .timeline import Interval, intersect, merge, to_wall, window_intervals

DEFAULT_MAX_DUTY = timedelta(days=7)


@dataclass(frozen=True)
class Finding:
    """A problem (``gap``/``unreachable``) or a warning, over ``[start, end)``."""

    rotation: str
    kind: str
    start: datetime | None = None
    end: datetime | None = None
    person: str | None = None
    reason: str | None = None
    message: str = ""


@dataclass
class Report:
    problems: list[Finding] = field(default_factory=list)
    warnings: list[Finding] = field(default_factory=list)


def coverage_intervals(rotation: Rotation, start: datetime, end: datetime) -> list[Interval]:
    return window_intervals(rotation.coverage, rotation.tz, start, end)


def unreachable_reason(person: Person | None, t: datetime) -> str | None:
    """Why ``person`` cannot be reached at ``t``, or None if they can."""
    if person is None:
        return "unknown-person"
    if person.away_at(t):
        return "away"
    if not person.phone:
        return "no-phone"
    if not person.phone_valid:
        return "invalid-phone"
    return None


def _unreachable(rotation: Rotation, segs: list[Segment], cover: list[Interval],
                 people: dict[str, Person]) -> list[Finding]:
    raw: list[tuple[datetime, datetime, str, str]] = []
    for s in segs:
        p = people.get(s.person or "")
        inside = intersect([(s.start, s.end)], cover)
        if not inside or p is None:
            continue
        if not p.phone or not p.phone_valid:
            reason = "no-phone" if not p.phone else "invalid-phone"
            raw.extend((a, b, p.id, reason) for a, b in inside)
            continue
        away = merge([(a.start, a.end) for a in p.away])
        raw.extend((a, b, p.id, "away") for a, b in intersect(inside, away))
    raw.sort()
    out: list[Finding] = []
    for a, b, who, reason in raw:
        last = out[-1] if out else None
        if last and last.end == a and last.person == who and last.reason == reason:
            out[-1] = Finding(rotation.id, "unreachable", last.start, b, who, reason)
        else:
            out.append(Finding(rotation.id, "unreachable", a, b, who, reason))
    return out


def check_rotation(rotation: Rotation, people: dict[str, Person], start: datetime, end: datetime,
                   max_duty: timedelta = DEFAULT_MAX_DUTY) -> Report:
    """Problems and warnings for one rotation over ``[start, end)``."""
    report = Report()
    segs = final_schedule(rotation, start, end)
    cover = coverage_intervals(rotation, start, end)
    for a, b in intersect(gaps(segs, start, end), cover):
        report.problems.append(Finding(rotation.id, "gap", a, b))
    report.problems.extend(_unreachable(rotation, segs, cover, people))
    report.problems.sort(key=lambda f: (f.start, f.kind))
    report.warnings.extend(_warnings(rotation, segs, start, end, max_duty))
    return report


def _warnings(rotation: Rotation, segs: list[Segment], start: datetime, end: datetime,
              max_duty: timedelta) -> list[Finding]:
    out: list[Finding] = []
    rid = rotation.id
    live = [o for o in rotation.overrides if o.end > start and o.start < end]
    for i, o in enumerate(live):
        for p in live[i + 1:]:
            if o.start < p.end and p.start < o.end:
                out.append(Finding(rid, "overlapping-overrides", max(o.start, p.start), min(o.end, p.end),
                                   message=f"overrides for {o.who} and {p.who} overlap; the later one wins"))
    members = set(rotation.members)
    for o in live:
        if o.who not in members:
            out.append(Finding(rid, "override-outside-members", o.start, o.end, o.who,
                               message=f"{o.who} covers an override but is in no layer of {rid}"))
    for layer in rotation.layers:
        if not layer_segments(rid, layer, start, end):
            out.append(Finding(rid, "layer-never-covers", start, end,
                               message=f"layer {layer.name!r} covers nothing in this range"))
    # Long duty: consecutive segments of one person, layers and overrides alike.
    run: list[Segment] = []
    for s in segs + [Segment(rid, None, end, end)]:
        if run and (s.person != run[-1].person or s.start != run[-1].end):
            # Measured on the rotation's wall clock, so a Monday-to-Monday week is 7 days
            # even when a DST change makes it 167 or 169 hours long.
            length = to_wall(run[-1].end, rotation.tz) - to_wall(run[0].start, rotation.tz)
            if run[0].person and length > max_duty:
                out.append(Finding(rid, "long-duty", run[0].start, run[-1].end, run[0].person,
                                   message=f"{run[0].person} is on call for {_hours(length)} without a break"))
            run = []
        run.append(s)
    return out


def _hours(d: timedelta) -> str:
    h = d.total_seconds() / 3600
    return f"{h / 24:.1f} days" if h >= 48 else f"{h:.0f} hours"


def check(directory: Directory, rotations: list[str], start: datetime, end: datetime,
          max_duty: timedelta = DEFAULT_MAX_DUTY) -> Report:
    """``check_rotation`` over several rotations, findings sorted by rotation then time."""
    total = Report()
    for rid in rotations:
        r = check_rotation(directory.rotations[rid], directory.people, start, end, max_duty)
        total.problems.extend(r.problems)
        total.warnings.extend(r.warnings)
    return total


__all__ = ["Finding", "Report", "check", "check_rotation", "coverage_intervals", "unreachable_reason", "OVERRIDE"]
