"""Read commands: ``now`` and ``shifts``."""

from __future__ import annotations

from typing import Annotated

import typer

from .. import render
from ..coverage import required_gaps
from ..schedule import final_schedule, on_call
from ..timeline import format_duration
from .context import (
    DEFAULT_DIR,
    DirOpt,
    FromOpt,
    JsonOpt,
    RotArg,
    ToOpt,
    TzOpt,
    check_person,
    days_opt,
    pick_rotations,
    use,
)
from .times import parse_range, parse_time

app = typer.Typer()


@app.command(short_help="Who is on call now, since when, until when, next.")
def now(
    ctx: typer.Context,
    rotations: RotArg = None,
    at: Annotated[str | None, typer.Option("--at", help="Ask about another instant (ISO or relative).")] = None,
    dir: DirOpt = DEFAULT_DIR,
    tz: TzOpt = None,
    json: JsonOpt = False,
) -> None:
    """Who is on call now in each rotation, since and until when, and who is next."""
    c = use(ctx, dir, tz, json)
    zone = c.zone
    d = c.load(rotations)
    ids = pick_rotations(d, rotations)
    t = parse_time(at, zone, c.now(), "--at") if at is not None else c.now()
    rows = []
    for rid in ids:
        oc = on_call(d.rotations[rid], t)
        reason = d.people[oc.person].unreachable_at(t) if oc.person else None
        rows.append({
            "rotation": rid, "person": oc.person, "start": oc.start, "end": oc.end, "source": oc.source,
            "reachable": oc.person is not None and reason is None,
            "next": {"person": oc.next_person, "start": oc.next_start},
            "_reason": reason, "_name": d.people[oc.person].name if oc.person else None,
        })
    if json:
        print(render.to_json([_public(r) for r in rows], c.out_zone))
        return
    out = render.console()

    def who(value, row):
        from rich.text import Text

        if row["person"] is None:
            return Text("NO ONE ON CALL", style="bold red")
        text = f"{row['_name']} ({row['person']})"
        return text if row["reachable"] else Text.assemble(text, (f" ⚠ {row['_reason']}", "yellow"))

    def nxt(value, row):
        n = row["next"]
        if not n["person"]:
            return "—"
        return f"{d.people[n['person']].name} ({n['person']}) at {render.when(n['start'], zone)}"

    out.print(render.table(rows, [
        render.Column("rotation", "Rotation", style="bold"),
        render.Column("person", "On call", who),
        render.Column("start", "Since", lambda v, r: render.when(v, zone)),
        render.Column("end", "Until", lambda v, r: render.when(v, zone)),
        render.Column("next", "Next", nxt),
    ], title=f"On call at {render.when(t, zone)}"))


def _public(row: dict) -> dict:
    return {k: v for k, v in row.items() if not k.startswith("_")}


@app.command(short_help="The schedule's shifts in a range.")
def shifts(
    ctx: typer.Context,
    rotations: RotArg = None,
    person: Annotated[str | None, typer.Option("--person", help="Only this person's shifts.")] = None,
    start: FromOpt = None,
    to: ToOpt = None,
    days: days_opt(14) = None,
    dir: DirOpt = DEFAULT_DIR,
    tz: TzOpt = None,
    json: JsonOpt = False,
) -> None:
    """The final schedule's shifts in a range (default: the next 14 days)."""
    c = use(ctx, dir, tz, json)
    zone = c.zone
    d = c.load(rotations)
    ids = pick_rotations(d, rotations)
    if person:
        check_person(d, person)
    t = c.now()
    a, b = parse_range(start, to, days, zone, t, 14)
    if json:
        render.write_json_list(_shift_rows(d, ids, person, a, b), c.out_zone)
        return
    rows = []
    for rid in ids:
        segs = final_schedule(d.rotations[rid], a, b)
        rows += [{"rotation": s.rotation, "person": s.person, "start": s.start, "end": s.end, "source": s.source}
                 for s in segs if person is None or s.person == person]
        if person is None:  # gaps that matter: inside the rotation's coverage windows, as check says
            rows += [{"rotation": rid, "person": None, "start": g0, "end": g1, "source": None}
                     for g0, g1 in required_gaps(d.rotations[rid], segs, a, b)]
    rows.sort(key=lambda r: (r["start"], r["rotation"]))

    def mark(value, row):
        return "▶" if row["start"] <= t < row["end"] else ""

    def who(value, row):
        return d.people[value].name + f" ({value})" if value else "NO ONE ON CALL"

    title = f"Shifts {render.when(a, zone)} → {render.when(b, zone)}" + (f" for {person}" if person else "")
    render.console().print(render.table(rows, [
        render.Column("now", "", mark),
        render.Column("rotation", "Rotation", style="bold"),
        render.Column("person", "Person", who),
        render.Column("start", "Start", lambda v, r: render.when(v, zone)),
        render.Column("end", "End", lambda v, r: render.when(v, zone)),
        render.Column("length", "Length", lambda v, r: format_duration(r["end"] - r["start"])),
        render.Column("source", "Source"),
    ], title=title, row_style=lambda r: "bold red" if r["person"] is None else ("bold" if mark(None, r) else None)))


def _shift_rows(d, ids: list[str], person: str | None, a, b):
    """The JSON rows of ``shifts`` (no gaps) by start, then rotation, made as they are written:
    one rotation's segments at a time, merged across rotations."""
    import heapq

    def one(rid):
        for s in final_schedule(d.rotations[rid], a, b):
            if person is None or s.person == person:
                yield s

    for s in heapq.merge(*(one(rid) for rid in ids), key=lambda s: (s.start, s.rotation)):
        yield {"rotation": s.rotation, "person": s.person, "start": s.start, "end": s.end, "source": s.source}
