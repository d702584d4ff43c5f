"""Edit command ``away``: a person's time off in people.toml."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated
from zoneinfo import ZoneInfo

import typer

from .. import render
from ..model import Directory
from .context import DEFAULT_DIR, Context, DirOpt, TzOpt, check_person, options, use
from .edit import (
    AtOpt,
    DryOpt,
    FromReq,
    GapsOpt,
    IdArg,
    NoteOpt,
    PersonReq,
    ToReq,
    choose,
    commit,
    edit_range,
    holding_the_folder_lock,
    span_columns,
)

app = typer.Typer()
away_app = typer.Typer(help="Time off: a person is unreachable (the schedule does not change).",
                       short_help="Time off: the person is unreachable.",
                       no_args_is_help=True)
app.add_typer(away_app, name="away")


def _person_zone(d: Directory, pid: str) -> ZoneInfo:
    return ZoneInfo(d.people[pid].timezone or "UTC")


def _away_entries(d: Directory, pid: str) -> list[dict]:
    """A person's time off in file order (``away list`` numbers them so)."""
    from ..edit import file_instant
    from ..load import PEOPLE_FILE
    from ..toml_text import tomllib

    data = tomllib.loads((Path(d.root) / PEOPLE_FILE).read_text(encoding="utf-8-sig"))
    tz = _person_zone(d, pid)
    return [{"id": i, "person": pid, "start": file_instant(a["start"], tz), "end": file_instant(a["end"], tz),
             "note": a.get("note", "")} for i, a in enumerate(data["people"][pid].get("away", []), 1)]


@away_app.command("add")
@holding_the_folder_lock
def away_add(
    ctx: typer.Context,
    person: PersonReq,
    start: FromReq,
    to: ToReq,
    note: NoteOpt = None,
    dir: DirOpt = DEFAULT_DIR,
    tz: TzOpt = None,
    dry_run: DryOpt = False,
    allow_gaps: GapsOpt = False,
) -> None:
    """PERSON is away (unreachable) from --from to --to; refused if they are on call then."""
    from ..edit import add_away
    from ..load import PEOPLE_FILE
    from ..toml_blocks import Edit

    c = use(ctx, dir, tz)
    zone, d, now = c.zone, c.load(), c.now()
    check_person(d, person)
    # A bare date means midnight where the person lives, as it does in people.toml.
    pz = _person_zone(d, person)
    a, b = edit_range(start, to, zone, now, date_zone=pz)
    f = Edit.open(Path(d.root) / PEOPLE_FILE)
    add_away(f, person, pz, a, b, note)
    commit(d, f, zone, now, dry_run, allow_gaps, focus=(a, b))


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


@away_app.command("remove")
@holding_the_folder_lock
def away_remove(
    ctx: typer.Context,
    person: PersonReq,
    number: IdArg = None,
    at: AtOpt = None,
    dir: DirOpt = DEFAULT_DIR,
    tz: TzOpt = None,
    dry_run: DryOpt = False,
    allow_gaps: GapsOpt = False,
) -> None:
    """Remove PERSON's time off by its number (see `away list`) or the one covering --at."""
    from ..edit import table_blocks
    from ..load import PEOPLE_FILE
    from ..toml_blocks import Edit

    c = use(ctx, dir, tz)
    zone, d, now = c.zone, c.load(), c.now()
    check_person(d, person)
    entries = _away_entries(d, person)
    i = choose([(e["start"], e["end"]) for e in entries], number, at, "time off", zone, now)
    f = Edit.open(Path(d.root) / PEOPLE_FILE)
    f.remove(table_blocks(f, len(entries), "people", person, "away")[i])
    commit(d, f, zone, now, dry_run, allow_gaps, focus=(entries[i]["start"], entries[i]["end"]))
