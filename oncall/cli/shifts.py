"""``shifts``: the final schedule's shifts in a range."""

from __future__ import annotations

import heapq
from typing import Annotated

import typer

from .. import render
from ..render import TIME, Column, Section
from ..schedule import final_schedule, required_gaps, uncut
from ..wording import rounded_duration
from .context import Context, FromOpt, RotArg, ToOpt, check_person, days_opt, options, pick_rotations
from .times import parse_range

app = typer.Typer()


def shift_columns(d, t) -> tuple[Column, ...]:
    """The columns of ``shifts``; ``t`` (now) marks the current shift. A table shows each
    shift's real bounds (``shift_start``/``shift_end``: a shift the range cuts still shows
    when it began and ends); ``start``/``end``, clipped to the range, stay in JSON and CSV
    where they were, the real bounds added after them."""

    def who(value, row):
        return d.people[value].name + f" ({value})" if value else "NO ONE ON CALL"

    def length(value, row):
        a, b = row["shift_start"], row["shift_end"]
        return rounded_duration(b - a) if a and b else "—"

    return (
        Column("now", "", lambda v, r: "▶" if r["start"] <= t < r["end"] else "", machine=False),
        Column("rotation", "Rotation", style="bold"),
        Column("person", "Person", who, short=lambda v, r: v or "NO ONE ON CALL"),
        Column("start"),
        Column("end"),
        Column("shift_start", "Start", TIME, machine=False),
        Column("shift_end", "End", TIME, machine=False),
        Column("length", "Length", length, machine=False, drop=2),
        Column("source", "Source", drop=1),
        Column("shift_start"),
        Column("shift_end"),
    )


@app.command(short_help="The schedule's shifts in a range.")
@options()
def shifts(
    c: Context,
    rotations: RotArg = None,
    person: Annotated[str | None, typer.Option("--person", help="Only this person's shifts.")] = None,
    start: FromOpt = None,
    to: ToOpt = None,
    days: days_opt(14) = None,
) -> None:
    """The final schedule's shifts in a range (default: the next 14 days). A table also
    shows the gaps inside coverage windows (as `check` reports them); JSON and CSV list
    shifts only."""
    zone = c.zone
    d = c.load(rotations)
    ids = pick_rotations(d, rotations)
    if person:
        check_person(d, person)
    t = c.now()
    a, b = parse_range(start, to, days, zone, t, 14)
    rows = _shift_rows(d, ids, person, a, b, gaps=c.format == "table" and person is None)
    title = f"Shifts {render.when(a, zone)} → {render.when(b, zone)}" + (f" for {person}" if person else "")

    def style(r):
        return "bold red" if r["person"] is None else ("bold" if r["start"] <= t < r["end"] else None)

    render.emit(c, Section(rows, shift_columns(d, t), title, style))


def _shift_rows(d, ids: list[str], person: str | None, a, b, gaps: bool):
    """The rows of ``shifts`` by start, then rotation, made as they are written: one
    rotation's segments at a time, merged across rotations. With ``gaps``, the gaps that
    matter (inside the rotation's coverage windows, as check says) too, as rows with no
    person."""

    def one(rid):
        rot = d.rotations[rid]
        segs = final_schedule(rot, a, b)
        cut = {i: uncut(rot, segs[i], a, b) for i in {0, len(segs) - 1}} if segs else {}
        rows = ({"rotation": s.rotation, "person": s.person, "start": s.start, "end": s.end, "source": s.source,
                 "shift_start": cut[i][0] if i in cut else s.start, "shift_end": cut[i][1] if i in cut else s.end}
                for i, s in enumerate(segs) if person is None or s.person == person)
        if not gaps:
            return rows
        holes = ({"rotation": rid, "person": None, "start": g0, "end": g1, "source": None, "shift_start": g0,
                  "shift_end": g1} for g0, g1 in required_gaps(rot, segs, a, b))
        return heapq.merge(rows, holes, key=lambda r: r["start"])

    return heapq.merge(*(one(rid) for rid in ids), key=lambda r: (r["start"], r["rotation"]))
