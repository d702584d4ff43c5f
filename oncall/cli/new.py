"""Commands ``new rotation``, ``new person`` (create files and people) and ``schema``."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated
from zoneinfo import ZoneInfo

import typer

from .. import render
from ..errors import UsageError
from ..files import shown_path
from .context import DEFAULT_DIR, DirOpt, TzOpt, check_person, use
from .edit import (
    DryOpt,
    GapsOpt,
    commit,
    holding_the_folder_lock,
)
from .times import parse_duration_option, parse_time

app = typer.Typer()
new_app = typer.Typer(help="Create a rotation or a person.", no_args_is_help=True)
app.add_typer(new_app, name="new")


@new_app.command("rotation")
@holding_the_folder_lock
def newrotation_in(
    ctx: typer.Context,
    rid: Annotated[str, typer.Argument(metavar="ID", help="Rotation id: the file name.", show_default=False)],
    timezone: Annotated[str, typer.Option("--timezone", help="IANA zone of the rotation.", show_default=False)],
    members: Annotated[str, typer.Option("--members", help="Person ids, comma-separated, in turn order.",
                                         show_default=False)],
    every: Annotated[str, typer.Option("--every", help="Shift length: 8h, 1d, 1w...", show_default=False)],
    start: Annotated[str, typer.Option("--start", help="First handoff; a time without offset is wall time "
                                       "in --timezone.", show_default=False)],
    name: Annotated[str | None, typer.Option("--name", help="Display name (default: the id).")] = None,
    dir: DirOpt = DEFAULT_DIR,
    tz: TzOpt = None,
    dry_run: DryOpt = False,
    allow_gaps: GapsOpt = False,
) -> None:
    """Create ID.toml in the data folder: one 24/7 layer of MEMBERS handing off every --every."""
    from ..edit import new_rotation_text, toml_time
    from ..fields import valid_zone
    from ..load import ROTATION_ID
    from ..toml_blocks import Edit

    c = use(ctx, dir, tz)
    zone, d, now = c.zone, c.load(), c.now()
    if not ROTATION_ID.match(rid):
        raise UsageError(f"{rid!r} is not a rotation id: use lower-case letters, digits and dashes")
    path = Path(d.root) / f"{rid}.toml"
    if path.exists():
        raise UsageError(f"{shown_path(path)} already exists")
    if not valid_zone(timezone):
        raise UsageError(f"--timezone: unknown timezone {timezone!r} (use an IANA name like 'Europe/London')")
    people = [m.strip() for m in members.split(",") if m.strip()]
    if not people:
        raise UsageError("--members: name at least one person")
    for p in people:
        check_person(d, p)
    parse_duration_option(every, "--every")
    rz = ZoneInfo(timezone)
    first = parse_time(start, rz, now, "--start")
    f = Edit.create(path, new_rotation_text(name or rid, timezone, people, toml_time(first, rz), every))
    commit(d, f, zone, now, dry_run, allow_gaps, since=first)


@new_app.command("person")
@holding_the_folder_lock
def new_person(
    ctx: typer.Context,
    pid: Annotated[str, typer.Argument(metavar="ID", help="Person id used in rotation files.", show_default=False)],
    name: Annotated[str, typer.Option("--name", help="Full name.", show_default=False)],
    phone: Annotated[str, typer.Option("--phone", help="E.164 number, e.g. +14155550101.", show_default=False)],
    timezone: Annotated[str | None, typer.Option("--timezone", help="IANA zone for their own views.")] = None,
    email: Annotated[str | None, typer.Option("--email", help="Email address.")] = None,
    dir: DirOpt = DEFAULT_DIR,
    tz: TzOpt = None,
    dry_run: DryOpt = False,
) -> None:
    """Add a person to people.toml."""
    from ..edit import add_person
    from ..fields import valid_zone
    from ..load import PEOPLE_FILE
    from ..model import Person
    from ..toml_blocks import Edit

    c = use(ctx, dir, tz)
    zone, d, now = c.zone, c.load(), c.now()
    if pid in d.people:
        raise UsageError(f"{pid!r} already exists in {PEOPLE_FILE}")
    if timezone is not None and not valid_zone(timezone):
        raise UsageError(f"--timezone: unknown timezone {timezone!r} (use an IANA name like 'Europe/London')")
    if phone.startswith("+") and not Person(pid, name, phone).phone_valid:
        raise UsageError(f"--phone: {phone!r} is not a number that can be dialled")
    f = Edit.open(Path(d.root) / PEOPLE_FILE)
    add_person(f, pid, {"name": name, "phone": phone, "timezone": timezone, "email": email})
    commit(d, f, zone, now, dry_run, False)


# ---------------------------------------------------------------- schema


@app.command(short_help="JSON Schemas of the files, for editors.")
def schema(kind: Annotated[str, typer.Argument(help="people or rotation.", show_default=False)]) -> None:
    """Print the JSON Schema of the people file or of a rotation file (for editors)."""
    from ..schemas import schemas

    all_ = schemas()
    if kind not in all_:
        raise UsageError(f"schema: {kind!r} is not one of {', '.join(sorted(all_))}")
    print(render.to_json(all_[kind]))
