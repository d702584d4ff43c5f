"""Edit command ``member``: people joining or leaving a layer from its next handoff."""

from __future__ import annotations

from datetime import datetime

import typer

from .. import render
from ..errors import NotFound, UsageError
from ..model import Rotation
from ..sanitize import terminal_safe
from .edit import GUARD, EditRun, EffOpt, LayerOpt, PersonReq, RotReq, edit_command

app = typer.Typer()
member_app = typer.Typer(help="Members joining or leaving a layer from its next handoff.", no_args_is_help=True)
app.add_typer(member_app, name="member")


def _versions(rot: Rotation, name: str | None, person: str, add: bool, t: datetime) -> list[int]:
    """The layer versions a change from ``t`` edits: the one in force at ``t`` (for a
    removal, the first from there that has the person) and every later one, of the layer
    named ``name`` (any of its versions) or else of the only layer that can take it."""
    from ..edit import in_force, versions

    groups = versions(rot)
    if name is not None:
        found = [g for g in groups if any(rot.layers[i].name == name for i in g)]
        if not found:
            raise NotFound(f"no layer {name!r} in {rot.id} (layers: {', '.join(x.name for x in rot.layers)})")
        groups = found
    live, ended = [], True
    for g in groups:
        first = in_force(rot, g, t)
        rest = g[g.index(first):] if first is not None else []
        ended = ended and not rest
        if not add:
            rest = rest[next((k for k, i in enumerate(rest) if person in rot.layers[i].members), len(rest)):]
        if rest:
            live.append(rest)
    if len(live) == 1:
        return live[0]
    if name is not None and ended:
        raise UsageError(f"layer {name!r} has ended by --effective: add a layer instead (oncall layer add)")
    if name is not None:
        raise NotFound(f"{person} is not a member of layer {name!r} (nor of its later versions)")
    if not live:
        raise NotFound(f"{person} is not a member of any live layer of {rot.id}")
    names = ", ".join(rot.layers[g[0]].name for g in live)
    raise UsageError(f"{rot.id}: choose the layer with --layer (candidates: {names})")


def _member(e: EditRun, rotation: str, person: str, layer: str | None, effective: str | None, add: bool) -> None:
    from ..edit import change_members

    rot = e.rotation(rotation)
    e.person(person)
    t = e.time(effective, "--effective") if effective is not None else e.now
    if t < e.now:
        raise UsageError("--effective is in the past: that would rewrite shifts already worked")
    i, *later = _versions(rot, layer, person, add, t)
    members = rot.layers[i].members
    if add and person in members:
        raise UsageError(f"{person} is already a member of layer {rot.layers[i].name!r}")
    if not add and len(members) == 1:
        raise UsageError(f"{person} is the only member of layer {rot.layers[i].name!r}; end the layer by hand")
    f = e.file(f"{rotation}.toml")
    at = change_members(f, rot, i, person, add, t, later)
    render.console().print(f"{person} {'joins' if add else 'leaves'} {rotation}/{terminal_safe(rot.layers[i].name)} "
                           f"at the handoff of {render.when(at, e.zone)}"
                           + (f" (and the later versions {', '.join(rot.layers[j].name for j in later)})"
                              if later else "") + ".")
    # Show (and guard) at least one full turn of the new member list, so the newcomer's
    # first shift is in the printed changes even when a turn is longer than 28 days.
    turn = (len(members) + (1 if add else -1)) * rot.layers[i].every
    e.commit(f, focus=(at, at + max(GUARD, turn)))


@edit_command(member_app.command("add"))
def member_add(e: EditRun, rotation: RotReq, person: PersonReq, layer: LayerOpt = None,
               effective: EffOpt = None) -> None:
    """PERSON joins a layer of ROTATION from its first handoff at or after --effective."""
    _member(e, rotation, person, layer, effective, True)


@edit_command(member_app.command("remove"))
def member_remove(e: EditRun, rotation: RotReq, person: PersonReq, layer: LayerOpt = None,
                  effective: EffOpt = None) -> None:
    """PERSON leaves a layer of ROTATION from its first handoff at or after --effective."""
    _member(e, rotation, person, layer, effective, False)
