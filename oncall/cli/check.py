"""``oncall check``: validate the files, then report gaps, unreachable time and warnings."""

from __future__ import annotations

from datetime import timedelta
from typing import Annotated

import typer

from .. import render
from ..coverage import DEFAULT_MAX_DUTY, check
from ..errors import UsageError
from ..timeline import format_duration, parse_duration
from .app import DEFAULT_DIR, DirOpt, JsonOpt, RotArg, TzOpt, app, clock, json_zone, load, pick_rotations, viewer_zone
from .read import FromOpt, ToOpt, _days_opt
from .times import parse_range


@app.command(name="check")
def check_cmd(
    rotations: RotArg = None,
    start: FromOpt = None,
    to: ToOpt = None,
    days: _days_opt(28) = None,
    max_duty: Annotated[str, typer.Option("--max-duty", help="Warn when one person is on longer than this.")] = "7d",
    dir: DirOpt = DEFAULT_DIR,
    tz: TzOpt = None,
    json: JsonOpt = False,
) -> None:
    """Validate the files, then report gaps and unreachable time (exit 1 if any)."""
    zone = viewer_zone(tz)
    d = load(dir)
    ids = pick_rotations(d, rotations)
    a, b = parse_range(start, to, days, zone, clock(), 28)
    duty = _duration(max_duty, "--max-duty", DEFAULT_MAX_DUTY)
    report = check(d, ids, a, b, duty)
    problems = [_finding(f, problem=True) for f in report.problems]
    warnings = [_finding(f, problem=False) for f in report.warnings]
    if json:
        print(render.to_json({"problems": problems, "warnings": warnings}, json_zone(tz)))
    else:
        _print_check(problems, warnings, ids, a, b, zone)
    if problems:
        raise typer.Exit(1)


def _duration(text: str, option: str, default: timedelta) -> timedelta:
    try:
        return parse_duration(text)
    except ValueError as e:
        raise UsageError(f"{option}: {e}") from None


def _finding(f, problem: bool) -> dict:
    row = {"rotation": f.rotation, "kind": f.kind, "start": f.start, "end": f.end}
    if problem:
        if f.kind == "unreachable":
            row.update(person=f.person, reason=f.reason)
    else:
        row.update(person=f.person, message=f.message)
    return row


def _print_check(problems, warnings, ids, a, b, zone) -> None:
    out = render.console()
    span = f"{render.when(a, zone)} → {render.when(b, zone)}"
    if problems:
        out.print(render.table(problems, [
            render.Column("rotation", "Rotation", style="bold"),
            render.Column("kind", "Problem", lambda v, r: "GAP" if v == "gap" else "unreachable"),
            render.Column("person", "Person"),
            render.Column("reason", "Reason"),
            render.Column("start", "From", lambda v, r: render.when(v, zone)),
            render.Column("end", "To", lambda v, r: render.when(v, zone)),
            render.Column("length", "Length", lambda v, r: format_duration(r["end"] - r["start"])),
        ], title=f"Problems {span}", row_style=lambda r: "red" if r["kind"] == "gap" else "yellow"))
    for w in warnings:
        out.print(f"[yellow]warning:[/] {w['rotation']}: {w['message']}", highlight=False)
    if not problems:
        out.print(f"[green]✓[/] {len(ids)} rotation(s) covered and reachable, {span}")
