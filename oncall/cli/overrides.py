"""Edit commands ``override`` and ``swap``: someone covers a stretch of a rotation."""

from __future__ import annotations

from typing import Annotated

import typer

from .. import render
from ..errors import UsageError
from .context import Context, options, pick_rotations
from .edit import AtOpt, EditRun, FromReq, IdArg, NoteOpt, PersonReq, RotReq, ToReq, edit_command, span_columns

app = typer.Typer()
override_app = typer.Typer(help="Overrides: someone covers a stretch of a rotation.", no_args_is_help=True)
app.add_typer(override_app, name="override")

WhoReq = Annotated[str, typer.Option("--who", help="Person who covers.", show_default=False)]


@edit_command(override_app.command("add"))
def override_add(e: EditRun, rotation: RotReq, who: WhoReq, start: FromReq, to: ToReq, note: NoteOpt = None) -> None:
    """WHO covers ROTATION from --from to --to (wins over the layers and earlier overrides)."""
    from ..edit import add_override

    rot = e.rotation(rotation)
    e.person(who)
    a, b = e.range(start, to)
    f = e.file(f"{rotation}.toml")
    add_override(f, rot, who, a, b, note)
    e.commit(f, focus=(a, b))


@override_app.command("list")
@options()
def override_list(c: Context, rotation: RotReq) -> None:
    """The overrides of ROTATION in file order, numbered for `override remove`."""
    d = c.load()
    pick_rotations(d, [rotation])
    rot = d.rotations[rotation]
    rows = [{"id": i, "rotation": rotation, "who": o.who, "start": o.start, "end": o.end, "note": o.note}
            for i, o in enumerate(rot.overrides, 1)]
    render.emit(c, render.Section(rows, (*span_columns("who", "Who"), render.Column("rotation")),
                                  f"Overrides of {rotation}"))


@edit_command(override_app.command("remove"))
def override_remove(e: EditRun, rotation: RotReq, number: IdArg = None, at: AtOpt = None) -> None:
    """Remove an override by its number (see `override list`) or the one covering --at."""
    from ..edit import table_blocks

    rot = e.rotation(rotation)
    i = e.choose([(o.start, o.end) for o in rot.overrides], number, at, "override")
    f = e.file(f"{rotation}.toml")
    f.remove(table_blocks(f, len(rot.overrides), "override")[i])
    e.commit(f, focus=(rot.overrides[i].start, rot.overrides[i].end))


@edit_command(app.command(short_help="Trade two people's on-call time in a range."))
def swap(e: EditRun, rotation: RotReq, a: PersonReq, b: PersonReq, start: FromReq, to: ToReq,
         note: NoteOpt = None) -> None:
    """Between --from and --to, A's on-call time goes to B and B's to A (as overrides)."""
    from ..edit import add_override, swap_overrides
    from ..schedule import final_schedule

    rot = e.rotation(rotation)
    e.person(a)
    e.person(b)
    if a == b:
        raise UsageError("swap needs two different people")
    lo, hi = e.range(start, to)
    planned = swap_overrides(final_schedule(rot, lo, hi), a, b)
    if not planned:
        raise UsageError(f"neither {a} nor {b} is on call in {rotation} between "
                         f"{render.when(lo, e.zone)} and {render.when(hi, e.zone)}: nothing to swap")
    f = e.file(f"{rotation}.toml")
    for who, s, t in planned:
        add_override(f, rot, who, s, t, note or f"swap {a} <-> {b}")
    e.commit(f, focus=(lo, hi))
