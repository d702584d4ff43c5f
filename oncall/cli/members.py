"""Edit command ``member``: people joining or leaving a layer from its next handoff."""

from __future__ import annotations

from datetime import datetime
from pathlib import Path

import typer

from .. import render
from ..errors import NotFound, UsageError
from ..model import Rotation
from ..sanitize import terminal_safe
from .context import DEFAULT_DIR, DirOpt, TzOpt, check_person, use
from .edit import (
    GUARD,
    DryOpt,
    EffOpt,
    GapsOpt,
    LayerOpt,
    PersonReq,
    RotReq,
    commit,
    holding_the_folder_lock,
    rotation_in,
)
from .times import parse_time

app = typer.Typer()
member_app = typer.Typer(help="Members joining or leaving a layer from its next handoff.", no_args_is_help=True)
app.add_typer(member_app, name="member")


def _layer_index(rot: Rotation, name: str | None, person: str, add: bool, t: datetime) -> int:
    if name is not None:
        for i, layer in enumerate(rot.layers):
            if layer.name == name:
                return i
        raise NotFound(f"no layer {name!r} in {rot.id} (layers: {', '.join(x.name for x in rot.layers)})")
    live = [i for i, x in enumerate(rot.layers) if (x.until is None or x.until > t)
            and (add or person in x.members)]
    if len(live) == 1:
        return live[0]
    if not live:
        raise NotFound(f"{person} is not a member of any live layer of {rot.id}")
    names = ", ".join(rot.layers[i].name for i in live)
    raise UsageError(f"{rot.id}: choose the layer with --layer (candidates: {names})")


def _member(ctx: typer.Context, rotation: str, person: str, layer: str | None, effective: str | None, add: bool,
            dir: Path, tz: str | None, dry_run: bool, allow_gaps: bool) -> None:
    from ..edit import change_members
    from ..toml_blocks import Edit

    c = use(ctx, dir, tz)
    zone, d, now = c.zone, c.load(), c.now()
    rot = rotation_in(d, rotation)
    check_person(d, person)
    t = parse_time(effective, zone, now, "--effective") if effective is not None else now
    if t < now:
        raise UsageError("--effective is in the past: that would rewrite shifts already worked")
    i = _layer_index(rot, layer, person, add, t)
    members = rot.layers[i].members
    if add and person in members:
        raise UsageError(f"{person} is already a member of layer {rot.layers[i].name!r}")
    if not add and person not in members:
        raise NotFound(f"{person} is not a member of layer {rot.layers[i].name!r}")
    if not add and len(members) == 1:
        raise UsageError(f"{person} is the only member of layer {rot.layers[i].name!r}; end the layer by hand")
    f = Edit.open(Path(d.root) / f"{rotation}.toml")
    at = change_members(f, rot, i, person, add, t)
    render.console().print(f"{person} {'joins' if add else 'leaves'} {rotation}/{terminal_safe(rot.layers[i].name)} "
                           f"at the handoff of {render.when(at, zone)}.")
    # Show (and guard) at least one full turn of the new member list, so the newcomer's
    # first shift is in the printed changes even when a turn is longer than 28 days.
    turn = (len(members) + (1 if add else -1)) * rot.layers[i].every
    commit(d, f, zone, now, dry_run, allow_gaps, focus=(at, at + max(GUARD, turn)))


@member_app.command("add")
@holding_the_folder_lock
def member_add(ctx: typer.Context, rotation: RotReq, person: PersonReq, layer: LayerOpt = None,
               effective: EffOpt = None, dir: DirOpt = DEFAULT_DIR, tz: TzOpt = None, dry_run: DryOpt = False,
               allow_gaps: GapsOpt = False) -> None:
    """PERSON joins a layer of ROTATION from its first handoff at or after --effective."""
    _member(ctx, rotation, person, layer, effective, True, dir, tz, dry_run, allow_gaps)


@member_app.command("remove")
@holding_the_folder_lock
def member_remove(ctx: typer.Context, rotation: RotReq, person: PersonReq, layer: LayerOpt = None,
                  effective: EffOpt = None, dir: DirOpt = DEFAULT_DIR, tz: TzOpt = None, dry_run: DryOpt = False,
                  allow_gaps: GapsOpt = False) -> None:
    """PERSON leaves a layer of ROTATION from its first handoff at or after --effective."""
    _member(ctx, rotation, person, layer, effective, False, dir, tz, dry_run, allow_gaps)
