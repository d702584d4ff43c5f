"""Compare a written rotation with the platform's own rendered schedule, minute by minute.

Both sides are reduced to who is on call in each stretch of ``[start, end)`` (None in a
gap); every stretch where they differ is reported. Times are whole minutes in every
source, so comparing stretch boundaries is comparing minutes.
"""

from __future__ import annotations

from datetime import datetime
from typing import NamedTuple

from ..model import Rotation
from ..schedule import final_schedule
from ..timeline import join_runs
from . import Rendered


class Difference(NamedTuple):
    rotation: str
    start: datetime
    end: datetime
    theirs: str | None
    ours: str | None

    @property
    def minutes(self) -> int:
        return int((self.end - self.start).total_seconds() // 60)


def compare(rotation: Rotation, rendered: Rendered, ids: dict[str, str]) -> list[Difference]:
    """Where ``rotation``'s final schedule and ``rendered`` (user keys mapped by ``ids``)
    disagree over the rendered window, merged into maximal stretches."""
    lo, hi = rendered.start, rendered.end
    theirs = [(max(a, lo), min(b, hi), ids[k]) for a, b, k in rendered.entries if b > lo and a < hi]
    ours = [(s.start, s.end, s.person) for s in final_schedule(rotation, lo, hi)]
    cuts = sorted({lo, hi, *(t for a, b, _ in theirs + ours for t in (a, b))})
    left, right = _paint(theirs, cuts), _paint(ours, cuts)
    pieces = (((left[i], right[i]), a, b) for i, (a, b) in enumerate(zip(cuts, cuts[1:], strict=False))
              if left[i] != right[i])
    return [Difference(rotation.id, a, b, x, y) for (x, y), a, b in join_runs(pieces)]


def _paint(stretches: list[tuple], cuts: list[datetime]) -> list[str | None]:
    """Who is on call in each ``[cuts[i], cuts[i+1])``; overlapping stretches (a source
    that renders two people at once) show as ``a+b``, so any disagreement is seen."""
    from bisect import bisect_left

    cells: list[set] = [set() for _ in cuts]
    for a, b, p in stretches:
        for i in range(bisect_left(cuts, a), bisect_left(cuts, b)):
            cells[i].add(p)
    return ["+".join(sorted(c)) if c else None for c in cells]
