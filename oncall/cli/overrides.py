"""Edit commands ``override`` and ``swap``: someone covers a stretch of a rotation."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer

from .. import render
from ..errors import UsageError
from .context import DEFAULT_DIR, Context, DirOpt, TzOpt, check_person, options, use
from .edit import (
    AtOpt,
    DryOpt,
    FromReq,
    GapsOpt,
    IdArg,
    NoteOpt,
    PersonReq,
    RotReq,
    ToReq,
    choose,
    commit,
    edit_range,
    holding_the_folder_lock,
    rotation_in,
    span_columns,
)

app = typer.Typer()
override_app = typer.Typer(help="Overrides: someone covers a stretch of a rotation.", no_args_is_help=True)
app.add_typer(override_app, name="override")


# ---------------------------------------------------------------- override


@override_app.command("add")
@holding_the_folder_lock
def override_add(
    ctx: typer.Context,
    rotation: RotReq,
    who: Annotated[str, typer.Option("--who", help="Person who covers.", show_default=False)],
    start: FromReq,
    to: ToReq,
    note: NoteOpt = None,
    dir: DirOpt = DEFAULT_DIR,
    tz: TzOpt = None,
    dry_run: DryOpt = False,
    allow_gaps: GapsOpt = False,
) -> None:
    """WHO covers ROTATION from --from to --to (wins over the layers and earlier overrides)."""
    from ..edit import add_override
    from ..toml_blocks import Edit

    c = use(ctx, dir, tz)
    zone, d, now = c.zone, c.load(), c.now()
    rot = rotation_in(d, rotation)
    check_person(d, who)
    a, b = edit_range(start, to, zone, now)
    f = Edit.open(Path(d.root) / f"{rotation}.toml")
    add_override(f, rot, who, a, b, note)
    commit(d, f, zone, now, dry_run, allow_gaps, focus=(a, b))


@override_app.command("list")
@options()
def override_list(c: Context, rotation: RotReq) -> None:
    """The overrides of ROTATION in file order, numbered for `override remove`."""
    rot = rotation_in(c.load(), rotation)
    rows = [{"id": i, "rotation": rotation, "who": o.who, "start": o.start, "end": o.end, "note": o.note}
            for i, o in enumerate(rot.overrides, 1)]
    render.emit(c, render.Section(rows, (*span_columns("who", "Who"), render.Column("rotation")),
                                  f"Overrides of {rotation}"))


@override_app.command("remove")
@holding_the_folder_lock
def override_remove(
    ctx: typer.Context,
    rotation: RotReq,
    number: IdArg = None,
    at: AtOpt = None,
    dir: DirOpt = DEFAULT_DIR,
    tz: TzOpt = None,
    dry_run: DryOpt = False,
    allow_gaps: GapsOpt = False,
) -> None:
    """Remove an override by its number (see `override list`) or the one covering --at."""
    from ..edit import table_blocks
    from ..toml_blocks import Edit

    c = use(ctx, dir, tz)
    zone, d, now = c.zone, c.load(), c.now()
    rot = rotation_in(d, rotation)
    i = choose([(o.start, o.end) for o in rot.overrides], number, at, "override", zone, now)
    f = Edit.open(Path(d.root) / f"{rotation}.toml")
    f.remove(table_blocks(f, len(rot.overrides), "override")[i])
    o = rot.overrides[i]
    commit(d, f, zone, now, dry_run, allow_gaps, focus=(o.start, o.end))


# ---------------------------------------------------------------- swap


@app.command(short_help="Trade two people's on-call time in a range.")
@holding_the_folder_lock
def swap(
    ctx: typer.Context,
    rotation: RotReq,
    a: PersonReq,
    b: PersonReq,
    start: FromReq,
    to: ToReq,
    note: NoteOpt = None,
    dir: DirOpt = DEFAULT_DIR,
    tz: TzOpt = None,
    dry_run: DryOpt = False,
    allow_gaps: GapsOpt = False,
) -> None:
    """Between --from and --to, A's on-call time goes to B and B's to A (as overrides)."""
    from ..edit import add_override, swap_overrides
    from ..schedule import final_schedule
    from ..toml_blocks import Edit

    c = use(ctx, dir, tz)
    zone, d, now = c.zone, c.load(), c.now()
    rot = rotation_in(d, rotation)
    check_person(d, a)
    check_person(d, b)
    if a == b:
        raise UsageError("swap needs two different people")
    lo, hi = edit_range(start, to, zone, now)
    planned = swap_overrides(final_schedule(rot, lo, hi), a, b)
    if not planned:
        raise UsageError(f"neither {a} nor {b} is on call in {rotation} between "
                         f"{render.when(lo, zone)} and {render.when(hi, zone)}: nothing to swap")
    f = Edit.open(Path(d.root) / f"{rotation}.toml")
    for who, s, e in planned:
        add_override(f, rot, who, s, e, note or f"swap {a} <-> {b}")
    commit(d, f, zone, now, dry_run, allow_gaps, focus=(lo, hi))
