"""``oncall check``: validate the files, then report gaps, unreachable time and warnings."""

from __future__ import annotations

import shlex
from itertools import chain
from pathlib import Path
from typing import Annotated

import typer

from .. import render
from ..coverage import check
from ..render import TIME, Column, Section
from ..sanitize import terminal_safe
from ..wording import plural, rounded_duration
from .context import DEFAULT_DIR, Context, FromOpt, RotArg, ToOpt, days_opt, options, pick_rotations
from .times import parse_duration_option, parse_range

app = typer.Typer()

SHOWN_PER_KIND = 3


PROBLEMS = (
    Column("rotation", "Rotation", style="bold"),
    Column("kind", "Problem", lambda v, r: "GAP" if v == "gap" else "unreachable"),
    Column("person", "Person"),
    Column("reason", "Reason", drop=1),
    Column("start", "From", TIME),
    Column("end", "To", TIME),
    Column("length", "Length", lambda v, r: rounded_duration(r["end"] - r["start"]), machine=False, drop=2),
)
# CSV: one line per finding, problems first.
FINDINGS = (Column("severity"), *(col for col in PROBLEMS if col.machine), Column("message"))


@app.command(name="check", short_help="Validate files; report gaps and unreachable time.")
@options()
def check_cmd(
    c: Context,
    rotations: RotArg = None,
    start: FromOpt = None,
    to: ToOpt = None,
    days: days_opt(28) = None,
    max_duty: Annotated[str, typer.Option("--max-duty", help="Warn when one person is on longer than this.")] = "7d",
    min_rest: Annotated[str, typer.Option("--min-rest", help="Warn when one person rests less than this "
                                                             "between two shifts.")] = "8h",
    suggest: Annotated[bool, typer.Option("--suggest", help="Propose who could cover each problem, "
                                                            "as ready 'oncall override add' commands.")] = False,
) -> None:
    """Validate the files, then report gaps and unreachable time (exit 1 if any). CSV
    lists the problems, then the warnings, one line each (``severity`` says which)."""
    zone = c.zone
    d = c.load()
    ids = pick_rotations(d, rotations)
    a, b = parse_range(start, to, days, zone, c.now(), 28)
    duty = parse_duration_option(max_duty, "--max-duty")
    rest = parse_duration_option(min_rest, "--min-rest")
    report = check(d, ids, a, b, duty, rest, suggestions=suggest)
    problems = [_finding(f, problem=True) for f in report.problems]
    warnings = [_finding(f, problem=False) for f in report.warnings]
    out_zone = c.out_zone
    suggestions = [_suggestion(s, c.dir, out_zone) for s in report.suggestions]
    body = {"problems": problems, "warnings": warnings}
    if suggest:
        body["suggestions"] = suggestions
    findings = chain(({"severity": "problem"} | p for p in problems), ({"severity": "warning"} | w for w in warnings))
    render.emit(c, Section(findings, FINDINGS), body=body,
                show=lambda: _print_check(problems, warnings, suggestions if suggest else None, ids, a, b, zone))
    if problems:
        raise typer.Exit(1)



def _finding(f, problem: bool) -> dict:
    row = {"rotation": f.rotation, "kind": f.kind, "start": f.start, "end": f.end}
    if problem:
        if f.kind == "unreachable":
            row.update(person=f.person, reason=f.reason)
    else:
        row.update(person=f.person, message=f.message)
    return row


def _suggestion(s, root: Path, zone) -> dict:
    """A suggestion row; ``command`` is exact (ISO times with offset) so it runs anywhere."""
    row = {"rotation": s.rotation, "kind": s.kind, "start": s.start, "end": s.end, "person": s.person,
           "load_hours": round(s.load.total_seconds() / 3600, 2), "command": None, "reason": s.reason,
           "cause": s.cause, "action": None, "members": None, "covers": len(s.covers)}
    words = []
    if s.layer:
        new = s.layer
        words = ["oncall", "layer", "add", s.rotation, "--name", new.name, "--members", ",".join(new.members),
                 "--start", new.start.isoformat(timespec="minutes"), "--every", new.every]
        for w in new.only:
            words += ["--only", w]
        words += ["--timezone", new.timezone] if new.timezone else []
        words += ["--from", new.since.astimezone(zone).isoformat()] if new.since else []
        words += ["--until", new.until.astimezone(zone).isoformat()] if new.until else []
        words += ["--after", new.after] if new.after else []
        row.update(action="layer", members=list(new.members))
    elif s.person:
        words = ["oncall", "override", "add", s.rotation, "--who", s.person,
                 "--from", s.start.astimezone(zone).isoformat(), "--to", s.end.astimezone(zone).isoformat()]
        row["action"] = "override"
    if words:
        if root != DEFAULT_DIR:
            words += ["--dir", str(root)]
        row["command"] = shlex.join(words)
    return row


def _print_check(problems, warnings, suggestions, ids, a, b, zone) -> None:
    from rich.markup import escape  # messages quote layer names and notes: never markup

    out = render.console()
    span = f"{render.when(a, zone)} → {render.when(b, zone)}"
    if problems:
        out.print(render.table(problems, PROBLEMS, f"Problems {span}",
                               lambda r: "red" if r["kind"] == "gap" else "yellow", zone))
    for s in suggestions or []:
        _print_suggestion(out, s, zone)
    groups: dict[tuple[str, str], list[dict]] = {}
    for w in warnings:
        groups.setdefault((w["rotation"], w["kind"]), []).append(w)
    for (rid, kind), items in groups.items():
        for w in items[:SHOWN_PER_KIND]:
            when = f" ({render.when(w['start'], zone)})" if kind not in ("layer-never-covers", "no-valid-phone") else ""
            out.print(f"[yellow]warning:[/] {rid}: {escape(terminal_safe(w['message']))}{when}", highlight=False)
        if len(items) > SHOWN_PER_KIND:
            out.print(f"[yellow]warning:[/] {rid}: … and {len(items) - SHOWN_PER_KIND} more {kind} "
                      "(--json lists them all)", highlight=False)
    if not problems:
        out.print(f"[green]✓[/] {plural(len(ids), 'rotation')} covered and reachable, {span}")


def _print_suggestion(out, s: dict, zone) -> None:
    from rich.markup import escape

    what = f"{s['rotation']} {s['kind']} {render.when(s['start'], zone)} → {render.when(s['end'], zone)}"
    if s["action"] == "layer" and s["covers"] > 1:
        what = f"{s['rotation']} {s['kind']}, {s['covers']} times {render.when(s['start'], zone)} → " \
               f"{render.when(s['end'], zone)}"
    if s["action"] == "layer":
        head = f"a layer with {', '.join(s['members'])}"
    elif s["action"] == "override":
        head = f"{s['person']} (on call {s['load_hours']:g}h in range)"
    else:
        head = s["reason"]
    out.print(f"[cyan]suggest:[/] {escape(what)}: {escape(head)}", highlight=False)
    if s["cause"]:
        out.print(f"  cause: {escape(terminal_safe(s['cause']))}", highlight=False)
    if s["action"] and s["reason"]:
        out.print(f"  note: {escape(s['reason'])}", highlight=False)
    if s["command"]:
        out.print(f"  {s['command']}", markup=False, highlight=False)
