"""Edit command ``away``: a person's time off in people.toml."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated
from zoneinfo import ZoneInfo

import typer

from .. import render
from ..load import PEOPLE_FILE
from ..model import Directory
from .context import Context, check_person, options
from .edit import AtOpt, EditRun, FromReq, IdArg, NoteOpt, PersonReq, ToReq, edit_command, span_columns

app = typer.Typer()
away_app = typer.Typer(help="Time off: a person is unreachable (the schedule does not change).",
                       short_help="Time off: the person is unreachable.",
                       no_args_is_help=True)
app.add_typer(away_app, name="away")

PersonArg = Annotated[str | None, typer.Argument(help="Person id (default: everyone).", show_default=False)]


def _person_zone(d: Directory, pid: str) -> ZoneInfo:
    return ZoneInfo(d.people[pid].timezone or "UTC")


def _read_in_person_zone(e: EditRun, pid: str) -> ZoneInfo:
    """Time off is the person's: typed times are read in their zone, as people.toml reads
    their dates (UTC for someone without one, as there)."""
    zone = _person_zone(e.directory, pid)
    e.read_in(zone, f"{pid}'s zone in people.toml" if e.directory.people[pid].timezone
              else f"{pid} has no timezone in people.toml, where their dates are UTC")
    return zone


def _away_entries(d: Directory, pid: str) -> list[dict]:
    """A person's time off in file order (``away list`` numbers them so)."""
    from ..edit import file_instant
    from ..toml_text import tomllib

    data = tomllib.loads((Path(d.root) / PEOPLE_FILE).read_text(encoding="utf-8-sig"))
    tz = _person_zone(d, pid)
    return [{"id": i, "person": pid, "start": file_instant(a["start"], tz), "end": file_instant(a["end"], tz),
             "note": a.get("note", "")} for i, a in enumerate(data["people"][pid].get("away", []), 1)]


@edit_command(away_app.command("add"))
def away_add(e: EditRun, person: PersonReq, start: FromReq, to: ToReq, note: NoteOpt = None) -> None:
    """PERSON is away (unreachable) from --from to --to; refused if they are on call then."""
    from ..edit import add_away

    e.person(person)
    pz = _read_in_person_zone(e, person)
    a, b = e.range(start, to)
    f = e.file(PEOPLE_FILE)
    add_away(f, person, pz, a, b, note)
    e.commit(f, focus=(a, b))


@away_app.command("list")
@options()
def away_list(
    c: Context,
    person: Annotated[str | None, typer.Argument(help="Person id (default: everyone).", show_default=False)] = None,
) -> None:
    """Time off in file order, numbered per person for `away remove`."""
    d = c.load()
    if person:
        check_person(d, person)
    rows = [r for pid in ([person] if person else sorted(d.people)) for r in _away_entries(d, pid)]
    render.emit(c, render.Section(rows, span_columns("person", "Person"), "Time off"))


@edit_command(away_app.command("remove"))
def away_remove(e: EditRun, person: PersonReq, number: IdArg = None, at: AtOpt = None) -> None:
    """Remove PERSON's time off by its number (see `away list`) or the one covering --at."""
    from ..edit import table_blocks

    e.person(person)
    _read_in_person_zone(e, person)
    entries = _away_entries(e.directory, person)
    i = e.choose([(x["start"], x["end"]) for x in entries], number, at, "time off")
    f = e.file(PEOPLE_FILE)
    f.remove(table_blocks(f, len(entries), "people", person, "away")[i])
    e.commit(f, focus=(entries[i]["start"], entries[i]["end"]))
