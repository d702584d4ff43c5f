"""Edit commands ``override`` and ``swap``: someone covers a stretch of a rotation."""

from __future__ import annotations

import sys
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
    """Remove an override by its number (see `override list`) or the one covering --at;
    the other halves of its swap go with it."""
    from ..edit import table_blocks

    rot = e.rotation(rotation)
    i = e.choose([(o.start, o.end) for o in rot.overrides], number, at, "override")
    f = e.file(f"{rotation}.toml")
    blocks = table_blocks(f, len(rot.overrides), "override")
    link = f.data(blocks[i]).get("swap")
    gone = [j for j, b in enumerate(blocks) if link and f.data(b).get("swap") == link] or [i]
    if len(gone) > 1:
        others = ", ".join(str(j + 1) for j in gone if j != i)
        render.console().print(f"Override {i + 1} is half of a swap (swap = {render.to_json(link).strip()}): "
                               f"override {others} goes with it.", markup=False)
    for j in reversed(gone):  # removing a block moves the ones after it
        f.remove(blocks[j])
    e.commit(f, focus=(min(rot.overrides[j].start for j in gone), max(rot.overrides[j].end for j in gone)))


@edit_command(app.command(short_help="Trade two people's on-call time in a range."))
def swap(e: EditRun, rotation: RotReq, a: PersonReq, b: PersonReq, start: FromReq, to: ToReq,
         note: NoteOpt = None) -> None:
    """Between --from and --to, A's on-call time goes to B and B's to A (as overrides that
    share a `swap` key, so removing one removes them all); warns when that books someone
    who is already on call then."""
    from ..edit import add_override
    from ..schedule import final_schedule
    from ..swap import double_bookings, swap_id, swap_overrides

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
    taken = {f.data(k).get("swap") for k in f.find("override")}
    link = swap_id(a, b, lo.astimezone(rot.tz).date().isoformat(), taken)
    for who, s, t in planned:
        add_override(f, rot, who, s, t, note or f"swap {a} <-> {b}", link)
    _warn_double_bookings(double_bookings(e.directory, rotation, planned), e.zone)
    e.commit(f, focus=(lo, hi))


def _warn_double_bookings(found, zone, most: int = 3) -> None:
    """A warning line per stretch someone is booked twice, at most ``most`` per person and place."""
    from .edit_words import stretch

    said: dict[tuple[str, str], int] = {}
    for who, s, t, where in found:
        n = said[who, where] = said.get((who, where), 0) + 1
        if n <= most:
            print(f"oncall: warning: this swap double-books {who}: {stretch(s, t, zone)} {who} is already {where}",
                  file=sys.stderr)
    for (who, where), n in said.items():
        if n > most:
            print(f"oncall: warning: … and {n - most} more stretches where {who} is already {where}", file=sys.stderr)
