"""``now``: who is on call at one instant. (``shifts`` lists a range: ``shifts.py``.)"""

from __future__ import annotations

from typing import Annotated

import typer

from .. import render
from ..render import TIME, Column, Section
from ..schedule import in_coverage, on_call
from .context import Context, RotArg, options, pick_rotations
from .times import parse_time

app = typer.Typer()


def _who_now(value, row, named: bool = True):
    text = f"{row['_name']} ({row['person']})" if named else row["person"]
    if row["person"] is not None and row["reachable"]:
        return text  # plain text: a piped table of reachable people never imports Rich's Text
    from rich.text import Text

    if row["person"] is None:  # nobody needed outside coverage: neutral, not an alarm
        return Text("NO ONE ON CALL", style="bold red") if row["in_coverage"] else "outside coverage"
    return Text.assemble(text, (f" ⚠ {row['_reason']}", "yellow"))


NOW = (
    Column("rotation", "Rotation", style="bold"),
    Column("person", "On call", _who_now, short=lambda v, r: _who_now(v, r, named=False)),
    Column("start", "Since", TIME, drop=2),
    Column("end", "Until", TIME),
    Column("source"),
    Column("reachable"),
    Column("in_coverage"),
    Column("next", "Next", lambda v, r: r["_next"], machine=False, drop=1),
    Column("next.person"),
    Column("next.start"),
)


@app.command(short_help="Who is on call now, since when, until when, next.")
@options()
def now(
    c: Context,
    rotations: RotArg = None,
    at: Annotated[str | None, typer.Option("--at", help="Ask about another instant (ISO or relative).")] = None,
) -> None:
    """Who is on call now in each rotation, since and until when, and who is next."""
    zone = c.zone
    d = c.load(rotations)
    t = parse_time(at, zone, c.now(), "--at") if at is not None else c.now()
    rows = []
    for rid in pick_rotations(d, rotations):
        oc = on_call(d.rotations[rid], t)
        reason = d.people[oc.person].unreachable_at(t) if oc.person else None
        nxt = oc.next_person
        needed = in_coverage(d.rotations[rid], t)
        rows.append({
            "rotation": rid, "person": oc.person, "start": oc.start, "end": oc.end, "source": oc.source,
            # Nobody is needed outside coverage: that is no one to fail to reach, not a gap.
            "reachable": reason is None and (oc.person is not None or not needed), "in_coverage": needed,
            "next": {"person": nxt, "start": oc.next_start},
            "_reason": reason, "_name": d.people[oc.person].name if oc.person else None,
            "_next": f"{d.people[nxt].name} ({nxt}) at {render.when(oc.next_start, zone)}" if nxt else "—",
        })
    render.emit(c, Section(rows, NOW, f"On call at {render.when(t, zone)}"))
