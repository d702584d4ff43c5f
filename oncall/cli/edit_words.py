"""What the edit guard says when an edit would leave nobody to reach: one plain line per
stretch, saying when (in the edit's zone), where, and why. Not a command module."""

from __future__ import annotations

from datetime import datetime
from zoneinfo import ZoneInfo

from ..findings import Finding
from ..model import Directory
from .page_progress import SKIPPED, steps_why


def stretch(a: datetime, b: datetime, zone: ZoneInfo) -> str:
    """``from Tue 2027-01-05 18:00 to 20:00 America/New_York`` (the end's date only when it
    is another day); the zone by name, as the files name it, since a stretch may cross a
    DST change."""
    la, lb = a.astimezone(zone), b.astimezone(zone)
    end = lb.strftime("%H:%M" if lb.date() == la.date() else "%a %Y-%m-%d %H:%M")
    return f"from {la.strftime('%a %Y-%m-%d %H:%M')} to {end} {getattr(zone, 'key', None) or la.tzname()}"


def problem_lines(found: list[Finding], d: Directory, zone: ZoneInfo) -> list[str]:
    """The lines for ``found``; no escalation step reaching anyone inside a gap of the same
    rotation is that gap, said once."""
    gaps = [(p.rotation, p.start, p.end) for p in found if p.kind == "gap"]
    return [problem_line(p, d, zone) for p in found
            if not (p.reason and any(r == p.rotation and a <= p.start and p.end <= b for r, a, b in gaps))]


def problem_line(p: Finding, d: Directory, zone: ZoneInfo) -> str:
    """A gap or an unreachable stretch the edit would open, in words."""
    if p.kind == "gap":
        return f"{stretch(p.start, p.end, zone)} nobody would be on call for {p.rotation} (a gap in its coverage)"
    return f"{stretch(p.start, p.end, zone)} nobody on {p.rotation} could be reached ({_why(p, d)})"


def _why(p: Finding, d: Directory) -> str:
    from ..coverage import NO_STEP

    if p.reason == NO_STEP:
        from ..paging.escalation import plan

        return "no escalation step reaches anyone; at the start: " + steps_why(
            plan(d, d.rotations[p.rotation].steps, p.start))
    return SKIPPED.get(p.reason or "", "{} cannot be reached: " + (p.reason or "")).format(p.person)
