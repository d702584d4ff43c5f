"""``oncall layer add``: a new ``[[layer]]`` in a rotation file, through the edit guard.

The fix ``check --suggest`` proposes for a recurring gap (a layer restricted to the gap's
windows) or for a layer whose ``until`` leaves nothing after it (its next version).
"""

from __future__ import annotations

from datetime import datetime, timedelta
from typing import Annotated
from zoneinfo import ZoneInfo

import typer

from ..errors import NotFound, UsageError
from .edit import EditRun, RotReq, edit_command

app = typer.Typer()
layer_app = typer.Typer(help="Layers: who takes turns, how often, in which windows.", no_args_is_help=True)
app.add_typer(layer_app, name="layer")


def _start(e: EditRun, text: str, zone: ZoneInfo) -> datetime:
    """``--start`` as the files write it: wall time on ``zone``'s clock, as typed; an
    offset, or a time read in ``--tz``, is converted to that clock."""
    from ..timeline import to_wall

    if e.context.tz is not None:
        return to_wall(e.time(text, "--start"), zone).replace(microsecond=0)
    try:
        t = datetime.fromisoformat(text.strip())
    except ValueError:
        raise UsageError(f"--start: {text!r} is not an ISO date-time (e.g. 2026-03-02T20:00)") from None
    return t.astimezone(zone).replace(tzinfo=None) if t.tzinfo else t


@edit_command(layer_app.command("add"))
def layer_add(
    e: EditRun,
    rotation: RotReq,
    name: Annotated[str, typer.Option("--name", help="The new layer's name.", show_default=False)],
    members: Annotated[str, typer.Option("--members", help="Person ids in turn order, comma-separated.",
                                         show_default=False)],
    start: Annotated[str, typer.Option("--start", help="First handoff: wall time on the rotation's clock "
                                       "(or --timezone's), as in the file; with --tz, read there.",
                                       show_default=False)],
    every: Annotated[str, typer.Option("--every", help="Shift length, e.g. 1w, 1d, 12h.")] = "1w",
    only: Annotated[list[str] | None, typer.Option("--only", help="A restriction window (repeat for several).")]
    = None,
    timezone: Annotated[str | None, typer.Option("--timezone", help="The layer's own wall clock.")] = None,
    since: Annotated[str | None, typer.Option("--from", help="Covers nothing before this (ISO, like --start; "
                                              "an offset is exact); its turns stay anchored at --start.")] = None,
    until: Annotated[str | None, typer.Option("--until", help="The layer ends here (like --from; exclusive).")] = None,
    after: Annotated[str | None, typer.Option("--after", help="Put it right after this layer (default: last, "
                                              "so it wins over the others).")] = None,
) -> None:
    """Add a layer to ROTATION; the folder is validated and the schedule change shown before writing."""
    from ..edit import render_table, table_blocks, toml_time
    from ..timeline import resolve

    rot = e.rotation(rotation, zone=False)
    names = [x.name for x in rot.layers]
    if after is not None and after not in names:
        raise NotFound(f"no layer {after!r} in {rotation} (layers: {', '.join(names)})")
    clock = ZoneInfo(timezone) if timezone else rot.tz
    e.read_in(clock, "the new layer's --timezone" if timezone else f"the {rotation} rotation's zone, as in its file")
    wall = _start(e, start, clock)
    f = e.file(f"{rotation}.toml")
    blocks = table_blocks(f, len(rot.layers), "layer")
    index = names.index(after) if after is not None else len(blocks) - 1
    # Unnamed layers are named by position; inserting one would rename those after it.
    for j in range(index + 1, len(blocks)):
        if "name" not in f.data(blocks[j]):
            f.set(blocks[j], {"name": names[j]})
    def instant(text: str | None, option: str):
        return None if text is None else toml_time(e.time(text, option), clock)

    items = {"name": name, "members": [m.strip() for m in members.split(",") if m.strip()], "start": wall,
             "every": every, "only": list(only) if only else None, "from": instant(since, "--from"),
             "until": instant(until, "--until"), "timezone": timezone}
    f.insert_after(blocks[index], render_table(("layer",), True, items))
    first = resolve(wall, clock)
    e.commit(f, focus=(first, first + timedelta(days=28)))
