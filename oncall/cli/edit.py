"""How every edit command runs: its shared options, the folder lock, and ``commit``.

Every edit runs the same way (``commit``): change the file's text (oncall.edit), load
the folder as it would then be with the normal loader, show how who-is-on-call changes,
refuse new gaps or unreachable time, then write atomically, or with ``--dry-run`` show
the file diff and write nothing. The "now" behind defaults and the 28-day guard is the
run's context's (``Context.now``). The commands live in ``overrides``, ``away``,
``members`` and ``new``.
"""

from __future__ import annotations

import inspect
import os
import sys
from collections.abc import Callable
from datetime import datetime, timedelta
from pathlib import Path
from typing import Annotated
from zoneinfo import ZoneInfo

import typer

from .. import render
from ..errors import InvalidFiles, NotFound, Refused, UsageError
from ..files import shown_path
from ..model import Directory, Rotation
from ..toml_blocks import Edit
from ..wording import plural
from .context import Context, check_person, options, pick_rotations
from .numbers import whole
from .times import parse_range, parse_time

GUARD = timedelta(days=28)
MAX_SPAN = timedelta(days=366)
MAX_ROWS = 40

RotReq = Annotated[str, typer.Argument(help="Rotation id.", show_default=False)]
PersonReq = Annotated[str, typer.Argument(help="Person id.", show_default=False)]
FromReq = Annotated[str, typer.Option("--from", help="Start: ISO time (wall time in --tz, else the rotation's "
                                      "zone; an offset or Z is exact) or relative.", show_default=False)]
ToReq = Annotated[str, typer.Option("--to", help="End (exclusive): ISO time or relative.", show_default=False)]
NoteOpt = Annotated[str | None, typer.Option("--note", help="Why; kept in the file.")]
DryOpt = Annotated[bool, typer.Option("--dry-run", help="Show the schedule changes and the file diff; write nothing.")]
GapsOpt = Annotated[bool, typer.Option("--allow-gaps",
                                       help="Write even if the edit opens a gap or makes someone unreachable.")]
IdArg = Annotated[int | None, typer.Argument(help="Number shown by the list command.", parser=whole("NUMBER", 1),
                                                       metavar="NUMBER", show_default=False)]
AtOpt = Annotated[str | None, typer.Option("--at", help="Remove the one covering this instant instead.")]
LayerOpt = Annotated[str | None, typer.Option("--layer", help="Layer name (needed when several layers are live).")]
EffOpt = Annotated[str | None, typer.Option("--effective", help="From the first handoff at or after this time "
                                            "(default: now, i.e. the next handoff).")]


class EditRun:
    """What every edit command is given besides its own arguments: the run's context and
    the folder loaded under its lock, the zone typed times are read and times shown in
    (``zone``: ``--tz``, else the edit's own, see ``read_in``), "now", and the write options."""

    def __init__(self, c: Context, dry_run: bool, allow_gaps: bool, fresh: bool = False):
        self.context, self.dry_run, self.allow_gaps = c, dry_run, allow_gaps
        self.zone, self.directory, self.now = c.zone, c.load(fresh=fresh), c.now()

    def rotation(self, rid: str, zone: bool = True) -> Rotation:
        """The rotation ``rid`` (NotFound, with a hint, for an unknown id); with ``zone``,
        typed times are read in its zone from here on (``read_in``)."""
        pick_rotations(self.directory, [rid])
        rot = self.directory.rotations[rid]
        if zone:
            self.read_in(rot.tz, f"the {rid} rotation's zone, as in its file")
        return rot

    def read_in(self, zone: ZoneInfo, whose: str) -> None:
        """Wall times typed from here on are read, and times shown, in ``--tz`` if given,
        else in ``zone`` (``whose`` says why that one), as the files read theirs; one line
        on stderr says which zone it is."""
        if self.context.tz is None:
            self.zone = zone
        why = "given with --tz" if self.context.tz else f"{whose}; --tz to change"
        print(f"oncall: times are read and shown in {self.zone.key} ({why})", file=sys.stderr)

    def person(self, pid: str) -> None:
        """NotFound, with a hint, unless ``pid`` is a person of the folder."""
        check_person(self.directory, pid)

    def range(self, start: str, to: str) -> tuple[datetime, datetime]:
        """``--from``/``--to``, wall times (and bare dates, midnight) in ``zone``."""
        return parse_range(start, to, None, self.zone, self.now, 0)

    def time(self, text: str, option: str, zone: ZoneInfo | None = None) -> datetime:
        return parse_time(text, zone or self.zone, self.now, option)

    def file(self, name: str) -> Edit:
        """The folder's file ``name`` to edit; a new one when it does not exist yet (a fresh folder)."""
        path = Path(self.directory.root) / name
        return Edit.open(path) if os.path.lexists(path) else Edit.create(path, "")

    def choose(self, spans: list[tuple[datetime, datetime]], number: int | None, at: str | None, what: str) -> int:
        """The 0-based index picked by its 1-based ``number`` or by an instant it covers."""
        if (number is None) == (at is None):
            raise UsageError(f"give the {what}'s number or --at, not both or neither")
        if number is not None:
            if not 1 <= number <= len(spans):
                raise NotFound(f"no {what} {number} (there are {len(spans)})")
            return number - 1
        t = self.time(at, "--at")
        hits = [i for i, (a, b) in enumerate(spans) if a <= t < b]
        if not hits:
            raise NotFound(f"no {what} covers {render.when(t, self.zone)}")
        if len(hits) > 1:
            raise UsageError(f"several {what}s cover that time ({', '.join(str(i + 1) for i in hits)}): "
                             "give a number")
        return hits[0]

    def commit(self, f: Edit, focus: tuple[datetime, datetime] | None = None, since: datetime | None = None) -> None:
        """Validate, show, guard, write. ``focus`` is the stretch the edit is about (shown and
        guarded besides the next 28 days); the guard ignores anything before ``since``."""
        from ..edit import unified_diff, write_atomic

        d, now, zone = self.directory, self.now, self.zone
        display = shown_path(f.path)
        start, end = now, now + GUARD
        if focus:
            start, end = min(start, focus[0]), max(end, min(focus[1], now + MAX_SPAN))
        after = _changes_shown(d, f, start, end, zone)
        if self.dry_run:
            sys.stdout.write(unified_diff(display, f.original, f.text) or "(the file does not change)\n")
        _guard(d, after, start, end, max(now, since or now), zone, self.allow_gaps)
        if self.dry_run:
            render.console().print("Dry run: nothing was written.")
            return
        write_atomic(f.path, f.text, f.original, display)
        render.console().print(f"Wrote {display}.")


def edit_command(register: Callable, gaps: bool = True, fresh: bool = False) -> Callable:
    """Declare an edit command: ``register`` is the Typer registration (``app.command()``);
    the function takes an ``EditRun`` and its own arguments. It gets ``--dir`` and ``--tz``
    from ``context.options`` and ``--dry-run`` (and, with ``gaps``, ``--allow-gaps``) from
    here, after its own, and runs under its folder's lock (``files.folder_lock``) from
    loading the folder to writing the file: the coverage guard then judges the folder as
    it is when the write lands, so two edits of different files (an away in people.toml,
    an override in platform.toml) cannot each pass it and together leave nobody reachable.
    ``fresh``: the command also starts a folder (no people or no rotation yet, ``load_directory``)."""
    flags = [inspect.Parameter(name, inspect.Parameter.KEYWORD_ONLY, annotation=kind, default=False)
             for name, kind in (("dry_run", DryOpt), ("allow_gaps", GapsOpt)) if gaps or name == "dry_run"]

    def declare(command: Callable) -> Callable:
        own = list(inspect.signature(command, eval_str=True).parameters.values())[1:]

        def run(c: Context, dry_run: bool = False, allow_gaps: bool = False, **kwargs):
            from ..files import folder_lock

            if not c.dir.is_dir():  # the loader says what is wrong with it
                return command(EditRun(c, dry_run, allow_gaps, fresh), **kwargs)
            with folder_lock(c.dir):
                return command(EditRun(c, dry_run, allow_gaps, fresh), **kwargs)

        for name in ("__module__", "__name__", "__qualname__", "__doc__"):
            setattr(run, name, getattr(command, name))
        run.__signature__ = inspect.Signature(  # type: ignore[attr-defined]
            [inspect.Parameter("c", inspect.Parameter.POSITIONAL_OR_KEYWORD, annotation=Context), *own])
        with_options = options(output=False, edit=True)(run)
        sig = inspect.signature(with_options)
        with_options.__signature__ = sig.replace(parameters=[*sig.parameters.values(), *flags])
        with_options.__annotations__ = {p.name: p.annotation for p in with_options.__signature__.parameters.values()}
        return register(with_options)

    return declare


def _changes_shown(d: Directory, f: Edit, start: datetime, end: datetime, zone: ZoneInfo) -> Directory:
    """The folder as it would be after the edit (refused with its problems if it would not
    load), after printing how who is on call changes in ``[start, end)``."""
    from ..edit import moves, validate
    from ..schedule import final_schedule

    try:
        after = validate(Path(d.root), f.path, f.text)
    except InvalidFiles:
        print("oncall: the edit would leave these problems; nothing was written:", file=sys.stderr)
        raise
    changes = []
    for rid in sorted(set(d.rotations) | set(after.rotations)):
        old = final_schedule(d.rotations[rid], start, end) if rid in d.rotations else []
        new = final_schedule(after.rotations[rid], start, end) if rid in after.rotations else []
        changes += moves(rid, old, new, start, end)
    _print_moves(changes, start, end, zone)
    return after


def _guard(d: Directory, after: Directory, start: datetime, end: datetime, since: datetime, zone: ZoneInfo,
           allow_gaps: bool) -> None:
    """Refuse (or, with ``allow_gaps``, warn about) gaps and unreachable time the edit adds."""
    from ..coverage import check
    from ..edit import new_problems
    from .edit_words import problem_lines

    found = new_problems(check(d, sorted(d.rotations), start, end),
                         check(after, sorted(after.rotations), start, end), since)
    if not found:
        return
    lines = "\n".join("  " + line for line in problem_lines(found, after, zone))
    if not allow_gaps:
        raise Refused("refused, nothing was written: with this edit\n" + lines
                      + "\n(cover those stretches first, or pass --allow-gaps)")
    print("oncall: warning: written with --allow-gaps although with this edit\n" + lines, file=sys.stderr)


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
        out.print(f"… and {plural(len(changes) - MAX_ROWS, 'more change')}.")


def span_columns(first: str, header: str) -> tuple[render.Column, ...]:
    """``override list`` and ``away list``: a number, who, from, to, the note (cells are
    never markup, so a note shows as written)."""
    return (render.Column("id", "#"), render.Column(first, header, style="bold"),
            render.Column("start", "From", render.TIME), render.Column("end", "To", render.TIME),
            render.Column("note", "Note", lambda v, r: v or "", wrap=True))
