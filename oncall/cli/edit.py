"""How every edit command runs: its shared options, the folder lock, and ``commit``.

Every edit runs the same way (``commit``): change the file's text (oncall.edit), load
the folder as it would then be with the normal loader, show how who-is-on-call changes,
refuse new gaps or unreachable time, then write atomically, or with ``--dry-run`` show
the file diff and write nothing. The "now" behind defaults and the 28-day guard is the
run's context's (``Context.now``). The commands live in ``overrides``, ``away``,
``members`` and ``new``.
"""

from __future__ import annotations

import re
import sys
from datetime import datetime, timedelta
from pathlib import Path
from typing import Annotated
from zoneinfo import ZoneInfo

import typer

from .. import render
from ..errors import InvalidFiles, NotFound, Refused, UsageError
from ..files import shown_path
from ..model import Directory, Rotation
from .context import pick_rotations, use
from .times import parse_time

GUARD = timedelta(days=28)
MAX_SPAN = timedelta(days=366)
MAX_ROWS = 40

RotReq = Annotated[str, typer.Argument(help="Rotation id.", show_default=False)]
PersonReq = Annotated[str, typer.Argument(help="Person id.", show_default=False)]
FromReq = Annotated[str, typer.Option("--from", help="Start: ISO time (in --tz or the local zone) or relative.",
                                      show_default=False)]
ToReq = Annotated[str, typer.Option("--to", help="End (exclusive): ISO time or relative.", show_default=False)]
NoteOpt = Annotated[str | None, typer.Option("--note", help="Why; kept in the file.")]
DryOpt = Annotated[bool, typer.Option("--dry-run", help="Show the schedule changes and the file diff; write nothing.")]
GapsOpt = Annotated[bool, typer.Option("--allow-gaps",
                                       help="Write even if the edit opens a gap or makes someone unreachable.")]
IdArg = Annotated[int | None, typer.Argument(help="Number shown by the list command.", show_default=False)]
AtOpt = Annotated[str | None, typer.Option("--at", help="Remove the one covering this instant instead.")]
LayerOpt = Annotated[str | None, typer.Option("--layer", help="Layer name (needed when several layers are live).")]
EffOpt = Annotated[str | None, typer.Option("--effective", help="From the first handoff at or after this time "
                                            "(default: now, i.e. the next handoff).")]


def edit_range(start: str, to: str, zone: ZoneInfo, now: datetime,
           date_zone: ZoneInfo | None = None) -> tuple[datetime, datetime]:
    """``--from``/``--to``; with ``date_zone``, a bare date is midnight in that zone."""
    def read(text: str, option: str) -> datetime:
        bare_date = date_zone is not None and re.fullmatch(r"\s*\d{4}-\d{2}-\d{2}\s*", text)
        return parse_time(text, date_zone if bare_date else zone, now, option)

    a = read(start, "--from")
    b = read(to, "--to")
    if b <= a:
        raise UsageError("--to must be after --from")
    return a, b


def holding_the_folder_lock(command):
    """Run an edit command under its folder's lock (``files.folder_lock``), from loading
    the folder to writing the file: the coverage guard then judges the folder as it is
    when the write lands, so two edits of different files (an away in people.toml, an
    override in platform.toml) cannot each pass it and together leave nobody reachable."""
    import functools

    @functools.wraps(command)
    def run(*args, **kwargs):
        from ..files import folder_lock

        root = use(kwargs["ctx"], kwargs.get("dir")).dir
        if not root.is_dir():  # the loader says what is wrong with it
            return command(*args, **kwargs)
        with folder_lock(root):
            return command(*args, **kwargs)

    return run


def rotation_in(d: Directory, rid: str) -> Rotation:
    pick_rotations(d, [rid])
    return d.rotations[rid]


def commit(d: Directory, f, zone: ZoneInfo, now: datetime, dry_run: bool, allow_gaps: bool,
            focus: tuple[datetime, datetime] | None = None, since: datetime | None = None) -> None:
    """Validate, show, guard, write. ``focus`` is the stretch the edit is about (shown and
    guarded besides the next 28 days); the guard ignores anything before ``since``."""
    from ..coverage import check
    from ..edit import moves, new_problems, unified_diff, validate, write_atomic
    from ..schedule import final_schedule

    display = shown_path(f.path)
    text = f.text
    try:
        after = validate(Path(d.root), f.path, text)
    except InvalidFiles:
        print("oncall: the edit would leave these problems; nothing was written:", file=sys.stderr)
        raise
    start, end = now, now + GUARD
    if focus:
        start, end = min(start, focus[0]), max(end, min(focus[1], now + MAX_SPAN))
    changes = []
    for rid in sorted(set(d.rotations) | set(after.rotations)):
        old = final_schedule(d.rotations[rid], start, end) if rid in d.rotations else []
        new = final_schedule(after.rotations[rid], start, end) if rid in after.rotations else []
        changes += moves(rid, old, new, start, end)
    _print_moves(changes, start, end, zone)
    if dry_run:
        sys.stdout.write(unified_diff(display, f.original, text) or "(the file does not change)\n")
    found = new_problems(check(d, sorted(d.rotations), start, end),
                         check(after, sorted(after.rotations), start, end), max(now, since or now))
    if found:
        lines = [f"  {p.rotation}: " + (f"{p.person or 'nobody'} unreachable ({p.reason})"
                                        if p.kind == "unreachable" else "GAP, nobody on call")
                 + f" {render.when(p.start, zone)} → {render.when(p.end, zone)}" for p in found]
        if not allow_gaps:
            raise Refused("refused, nothing was written: this edit leaves nobody reachable in\n" + "\n".join(lines)
                          + "\n(cover those stretches first, or pass --allow-gaps)")
        print("oncall: warning: written with --allow-gaps although it leaves nobody reachable in\n"
              + "\n".join(lines), file=sys.stderr)
    if dry_run:
        render.console().print("Dry run: nothing was written.")
        return
    write_atomic(f.path, text, f.original, display)
    render.console().print(f"Wrote {display}.")


def _print_moves(changes, start: datetime, end: datetime, zone: ZoneInfo) -> None:
    out = render.console()
    span = f"{render.when(start, zone)} → {render.when(end, zone)}"
    if not changes:
        out.print(f"No change to who is on call, {span}.")
        return
    rows = [{"rotation": m.rotation, "start": m.start, "end": m.end, "before": m.before, "after": m.after}
            for m in changes[:MAX_ROWS]]
    out.print(render.table(rows, [
        render.Column("rotation", "Rotation", style="bold"),
        render.Column("start", "From", lambda v, r: render.when(v, zone)),
        render.Column("end", "To", lambda v, r: render.when(v, zone)),
        render.Column("before", "Before", lambda v, r: v or "nobody"),
        render.Column("after", "After", lambda v, r: v or "NOBODY"),
    ], title=f"Who is on call changes, {span}"))
    if len(changes) > MAX_ROWS:
        out.print(f"… and {len(changes) - MAX_ROWS} more changes.")


def choose(spans: list[tuple[datetime, datetime]], number: int | None, at: str | None, what: str,
            zone: ZoneInfo, now: datetime) -> int:
    """The 0-based index picked by its 1-based ``number`` or by an instant it covers."""
    if (number is None) == (at is None):
        raise UsageError(f"give the {what}'s number or --at, not both or neither")
    if number is not None:
        if not 1 <= number <= len(spans):
            raise NotFound(f"no {what} {number} (there are {len(spans)})")
        return number - 1
    t = parse_time(at, zone, now, "--at")
    hits = [i for i, (a, b) in enumerate(spans) if a <= t < b]
    if not hits:
        raise NotFound(f"no {what} covers {render.when(t, zone)}")
    if len(hits) > 1:
        raise UsageError(f"several {what}s cover that time ({', '.join(str(i + 1) for i in hits)}): give a number")
    return hits[0]


def span_columns(first: str, header: str) -> tuple[render.Column, ...]:
    """``override list`` and ``away list``: a number, who, from, to, the note (cells are
    never markup, so a note shows as written)."""
    return (render.Column("id", "#"), render.Column(first, header, style="bold"),
            render.Column("start", "From", render.TIME), render.Column("end", "To", render.TIME),
            render.Column("note", "Note", lambda v, r: v or "", wrap=True))
