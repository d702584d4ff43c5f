"""Commands ``new rotation``, ``new person`` (create files and people) and ``schema``."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated
from zoneinfo import ZoneInfo

import typer

from .. import render
from ..errors import UsageError
from ..files import shown_path
from ..load import PEOPLE_FILE
from .edit import EditRun, edit_command
from .times import parse_duration_option

app = typer.Typer()
new_app = typer.Typer(help="Create a rotation or a person.", no_args_is_help=True)
app.add_typer(new_app, name="new")

RidArg = Annotated[str, typer.Argument(metavar="ID", help="Rotation id: the file name.", show_default=False)]
RotZoneReq = Annotated[str, typer.Option("--timezone", help="IANA zone of the rotation.", show_default=False)]
MembersReq = Annotated[str, typer.Option("--members", help="Person ids, comma-separated, in turn order.",
                                         show_default=False)]
EveryReq = Annotated[str, typer.Option("--every", help="Shift length: 8h, 1d, 1w...", show_default=False)]
StartReq = Annotated[str, typer.Option("--start", help="First handoff; a time without offset is wall time "
                                       "in --timezone.", show_default=False)]
RotNameOpt = Annotated[str | None, typer.Option("--name", help="Display name (default: the id).")]
CoverageOpt = Annotated[list[str] | None, typer.Option(
    "--coverage", help="Only these windows need covering, and the layer covers only them "
    "(e.g. 'mon-fri 09:00-17:00'; repeatable). Default: 24/7.", show_default=False)]
PidArg = Annotated[str, typer.Argument(metavar="ID", help="Person id used in rotation files.", show_default=False)]
NameReq = Annotated[str, typer.Option("--name", help="Full name.", show_default=False)]
PhoneReq = Annotated[str, typer.Option("--phone", help="E.164 number, e.g. +14155550101.", show_default=False)]
ZoneOpt = Annotated[str | None, typer.Option("--timezone", help="IANA zone for their own views.")]
EmailOpt = Annotated[str | None, typer.Option("--email", help="Email address.")]


def _zone(name: str) -> ZoneInfo:
    """``--timezone``'s zone; a UsageError for a name that is not an IANA zone."""
    from ..fields import valid_zone

    if not valid_zone(name):
        raise UsageError(f"--timezone: unknown timezone {name!r} (use an IANA name like 'Europe/London')")
    return ZoneInfo(name)


@edit_command(new_app.command("rotation"), fresh=True)
def new_rotation(e: EditRun, rid: RidArg, timezone: RotZoneReq, members: MembersReq, every: EveryReq,
                 start: StartReq, name: RotNameOpt = None, coverage: CoverageOpt = None) -> None:
    """Create ID.toml in the data folder: one layer of MEMBERS handing off every --every, 24/7 or --coverage."""
    from ..edit import new_rotation_text, toml_time
    from ..load import ROTATION_ID
    from ..toml_blocks import Edit

    if not ROTATION_ID.match(rid):
        raise UsageError(f"{rid!r} is not a rotation id: use lower-case letters, digits and dashes")
    path = Path(e.directory.root) / f"{rid}.toml"
    if path.exists():
        raise UsageError(f"{shown_path(path)} already exists")
    rz = _zone(timezone)
    people = [m.strip() for m in members.split(",") if m.strip()]
    if not people:
        raise UsageError("--members: name at least one person")
    for p in people:
        e.person(p)
    parse_duration_option(every, "--every")
    _windows(coverage or [])
    first = e.time(start, "--start", rz)
    text = new_rotation_text(name or rid, timezone, people, toml_time(first, rz), every, coverage)
    e.commit(Edit.create(path, text), since=first)


def _windows(windows: list[str]) -> None:
    """A UsageError for a ``--coverage`` that is not a window."""
    from ..timeline import parse_window

    for window in windows:
        try:
            parse_window(window)
        except ValueError as err:
            raise UsageError(f"--coverage: {err}") from None


@edit_command(new_app.command("person"), gaps=False, fresh=True)
def new_person(e: EditRun, pid: PidArg, name: NameReq, phone: PhoneReq, timezone: ZoneOpt = None,
               email: EmailOpt = None) -> None:
    """Add a person to people.toml."""
    from ..edit import add_person
    from ..model import Person

    if pid in e.directory.people:
        raise UsageError(f"{pid!r} already exists in {PEOPLE_FILE}")
    if timezone is not None:
        _zone(timezone)
    if phone.startswith("+") and not Person(pid, name, phone).phone_valid:
        raise UsageError(f"--phone: {phone!r} is not a number that can be dialled")
    f = e.file(PEOPLE_FILE)
    add_person(f, pid, {"name": name, "phone": phone, "timezone": timezone, "email": email})
    e.commit(f)


# ---------------------------------------------------------------- schema


@app.command(short_help="JSON Schemas of the files, for editors.")
def schema(kind: Annotated[str, typer.Argument(help="people or rotation.", show_default=False)]) -> None:
    """Print the JSON Schema of the people file or of a rotation file (for editors)."""
    from ..schemas import schemas

    all_ = schemas()
    if kind not in all_:
        raise UsageError(f"schema: {kind!r} is not one of {', '.join(sorted(all_))}")
    print(render.to_json(all_[kind]))
