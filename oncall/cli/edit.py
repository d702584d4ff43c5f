"""Edit commands: ``override``, ``swap``, ``away``, ``member``, ``new`` and ``schema``.

Every edit runs the same way (``_commit``): change the file's text (oncall.edit), load
the folder as it would then be with the normal loader, show how who-is-on-call changes,
refuse new gaps or unreachable time, then write atomically, or with ``--dry-run`` show
the file diff and write nothing. The "now" behind defaults and the 28-day guard is the
run's context's (``Context.now``).
"""

from __future__ import annotations

import re
import sys
from datetime import datetime, timedelta
from pathlib import Path
from typing import Annotated
from zoneinfo import ZoneInfo

import typer

from .. import render
from ..errors import InvalidFiles, NotFound, Refused, UsageError
from ..model import Directory, Rotation
from ..sanitize import terminal_safe
from .context import DEFAULT_DIR, DirOpt, JsonOpt, TzOpt, check_person, pick_rotations, use
from .times import parse_duration_option, parse_time

app = typer.Typer()

override_app = typer.Typer(help="Overrides: someone covers a stretch of a rotation.", no_args_is_help=True)
away_app = typer.Typer(help="Time off: a person is unreachable (the schedule does not change).",
                       short_help="Time off: the person is unreachable.",
                       no_args_is_help=True)
member_app = typer.Typer(help="Members joining or leaving a layer from its next handoff.", no_args_is_help=True)
new_app = typer.Typer(help="Create a rotation or a person.", no_args_is_help=True)
app.add_typer(override_app, name="override")
app.add_typer(away_app, name="away")
app.add_typer(member_app, name="member")
app.add_typer(new_app, name="new")

GUARD = timedelta(days=28)
MAX_SPAN = timedelta(days=366)
MAX_ROWS = 40

RotReq = Annotated[str, typer.Argument(help="Rotation id.", show_default=False)]
PersonReq = Annotated[str, typer.Argument(help="Person id.", show_default=False)]
FromReq = Annotated[str, typer.Option("--from", help="Start: ISO time (in --tz or the local zone) or relative.",
                                      show_default=False)]
ToReq = Annotated[str, typer.Option("--to", help="End (exclusive): ISO time or relative.", show_default=False)]
NoteOpt = Annotated[str | None, typer.Option("--note", help="Why; kept in the file.")]
DryOpt = Annotated[bool, typer.Option("--dry-run", help="Show the schedule changes and the file diff; write nothing.")]
GapsOpt = Annotated[bool, typer.Option("--allow-gaps",
                                       help="Write even if the edit opens a gap or makes someone unreachable.")]
IdArg = Annotated[int | None, typer.Argument(help="Number shown by the list command.", show_default=False)]
AtOpt = Annotated[str | None, typer.Option("--at", help="Remove the one covering this instant instead.")]
LayerOpt = Annotated[str | None, typer.Option("--layer", help="Layer name (needed when several layers are live).")]
EffOpt = Annotated[str | None, typer.Option("--effective", help="From the first handoff at or after this time "
                                            "(default: now, i.e. the next handoff).")]


def _display(path: Path) -> str:
    from ..load import _display

    return _display(path)


def _range(start: str, to: str, zone: ZoneInfo, now: datetime,
           date_zone: ZoneInfo | None = None) -> tuple[datetime, datetime]:
    """``--from``/``--to``; with ``date_zone``, a bare date is midnight in that zone."""
    def read(text: str, option: str) -> datetime:
        bare_date = date_zone is not None and re.fullmatch(r"\s*\d{4}-\d{2}-\d{2}\s*", text)
        return parse_time(text, date_zone if bare_date else zone, now, option)

    a = read(start, "--from")
    b = read(to, "--to")
    if b <= a:
        raise UsageError("--to must be after --from")
    return a, b


def _holding_the_folder_lock(command):
    """Run an edit command under its folder's lock (``files.folder_lock``), from loading
    the folder to writing the file: the coverage guard then judges the folder as it is
    when the write lands, so two edits of different files (an away in people.toml, an
    override in platform.toml) cannot each pass it and together leave nobody reachable."""
    import functools

    @functools.wraps(command)
    def run(*args, **kwargs):
        from ..files import folder_lock

        root = use(kwargs["ctx"], kwargs.get("dir")).dir
        if not root.is_dir():  # the loader says what is wrong with it
            return command(*args, **kwargs)
        with folder_lock(root):
            return command(*args, **kwargs)

    return run


def _rotation(d: Directory, rid: str) -> Rotation:
    pick_rotations(d, [rid])
    return d.rotations[rid]


def _commit(d: Directory, f, zone: ZoneInfo, now: datetime, dry_run: bool, allow_gaps: bool,
            focus: tuple[datetime, datetime] | None = None, since: datetime | None = None) -> None:
    """Validate, show, guard, write. ``focus`` is the stretch the edit is about (shown and
    guarded besides the next 28 days); the guard ignores anything before ``since``."""
    from ..coverage import check
    from ..edit import moves, new_problems, unified_diff, validate, write_atomic
    from ..schedule import final_schedule

    display = _display(f.path)
    text = f.text
    try:
        after = validate(Path(d.root), f.path, text)
    except InvalidFiles:
        print("oncall: the edit would leave these problems; nothing was written:", file=sys.stderr)
        raise
    start, end = now, now + GUARD
    if focus:
        start, end = min(start, focus[0]), max(end, min(focus[1], now + MAX_SPAN))
    changes = []
    for rid in sorted(set(d.rotations) | set(after.rotations)):
        old = final_schedule(d.rotations[rid], start, end) if rid in d.rotations else []
        new = final_schedule(after.rotations[rid], start, end) if rid in after.rotations else []
        changes += moves(rid, old, new, start, end)
    _print_moves(changes, start, end, zone)
    if dry_run:
        sys.stdout.write(unified_diff(display, f.original, text) or "(the file does not change)\n")
    found = new_problems(check(d, sorted(d.rotations), start, end),
                         check(after, sorted(after.rotations), start, end), max(now, since or now))
    if found:
        lines = [f"  {p.rotation}: " + (f"{p.person or 'nobody'} unreachable ({p.reason})"
                                        if p.kind == "unreachable" else "GAP, nobody on call")
                 + f" {render.when(p.start, zone)} → {render.when(p.end, zone)}" for p in found]
        if not allow_gaps:
            raise Refused("refused, nothing was written: this edit leaves nobody reachable in\n" + "\n".join(lines)
                          + "\n(cover those stretches first, or pass --allow-gaps)")
        print("oncall: warning: written with --allow-gaps although it leaves nobody reachable in\n"
              + "\n".join(lines), file=sys.stderr)
    if dry_run:
        render.console().print("Dry run: nothing was written.")
        return
    write_atomic(f.path, text, f.original, display)
    render.console().print(f"Wrote {display}.")


def _print_moves(changes, start: datetime, end: datetime, zone: ZoneInfo) -> None:
    out = render.console()
    span = f"{render.when(start, zone)} → {render.when(end, zone)}"
    if not changes:
        out.print(f"No change to who is on call, {span}.")
        return
    rows = [{"rotation": m.rotation, "start": m.start, "end": m.end, "before": m.before, "after": m.after}
            for m in changes[:MAX_ROWS]]
    out.print(render.table(rows, [
        render.Column("rotation", "Rotation", style="bold"),
        render.Column("start", "From", lambda v, r: render.when(v, zone)),
        render.Column("end", "To", lambda v, r: render.when(v, zone)),
        render.Column("before", "Before", lambda v, r: v or "nobody"),
        render.Column("after", "After", lambda v, r: v or "NOBODY"),
    ], title=f"Who is on call changes, {span}"))
    if len(changes) > MAX_ROWS:
        out.print(f"… and {len(changes) - MAX_ROWS} more changes.")


def _choose(spans: list[tuple[datetime, datetime]], number: int | None, at: str | None, what: str,
            zone: ZoneInfo, now: datetime) -> int:
    """The 0-based index picked by its 1-based ``number`` or by an instant it covers."""
    if (number is None) == (at is None):
        raise UsageError(f"give the {what}'s number or --at, not both or neither")
    if number is not None:
        if not 1 <= number <= len(spans):
            raise NotFound(f"no {what} {number} (there are {len(spans)})")
        return number - 1
    t = parse_time(at, zone, now, "--at")
    hits = [i for i, (a, b) in enumerate(spans) if a <= t < b]
    if not hits:
        raise NotFound(f"no {what} covers {render.when(t, zone)}")
    if len(hits) > 1:
        raise UsageError(f"several {what}s cover that time ({', '.join(str(i + 1) for i in hits)}): give a number")
    return hits[0]


def _rows_table(rows: list[dict], first: render.Column, zone: ZoneInfo, title: str):
    from rich.markup import escape

    return render.table(rows, [
        render.Column("id", "#"), first,
        render.Column("start", "From", lambda v, r: render.when(v, zone)),
        render.Column("end", "To", lambda v, r: render.when(v, zone)),
        render.Column("note", "Note", lambda v, r: escape(v or "")),
    ], title=title)


# ---------------------------------------------------------------- override


@override_app.command("add")
@_holding_the_folder_lock
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
    from ..edit import Edit, add_override

    c = use(ctx, dir, tz)
    zone, d, now = c.zone, c.load(), c.now()
    rot = _rotation(d, rotation)
    check_person(d, who)
    a, b = _range(start, to, zone, now)
    f = Edit.open(Path(d.root) / f"{rotation}.toml")
    add_override(f, rot, who, a, b, note)
    _commit(d, f, zone, now, dry_run, allow_gaps, focus=(a, b))


@override_app.command("list")
def override_list(ctx: typer.Context, rotation: RotReq, dir: DirOpt = DEFAULT_DIR, tz: TzOpt = None,
                  json: JsonOpt = False) -> None:
    """The overrides of ROTATION in file order, numbered for `override remove`."""
    c = use(ctx, dir, tz, json)
    zone, d = c.zone, c.load()
    rot = _rotation(d, rotation)
    rows = [{"id": i, "rotation": rotation, "who": o.who, "start": o.start, "end": o.end, "note": o.note}
            for i, o in enumerate(rot.overrides, 1)]
    if json:
        print(render.to_json(rows, c.out_zone))
        return
    render.console().print(_rows_table(rows, render.Column("who", "Who", style="bold"), zone,
                                       f"Overrides of {rotation}"))


@override_app.command("remove")
@_holding_the_folder_lock
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
    from ..edit import Edit, table_blocks

    c = use(ctx, dir, tz)
    zone, d, now = c.zone, c.load(), c.now()
    rot = _rotation(d, rotation)
    i = _choose([(o.start, o.end) for o in rot.overrides], number, at, "override", zone, now)
    f = Edit.open(Path(d.root) / f"{rotation}.toml")
    f.remove(table_blocks(f, len(rot.overrides), "override")[i])
    o = rot.overrides[i]
    _commit(d, f, zone, now, dry_run, allow_gaps, focus=(o.start, o.end))


# ---------------------------------------------------------------- swap


@app.command(short_help="Trade two people's on-call time in a range.")
@_holding_the_folder_lock
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
    from ..edit import Edit, add_override, swap_overrides
    from ..schedule import final_schedule

    c = use(ctx, dir, tz)
    zone, d, now = c.zone, c.load(), c.now()
    rot = _rotation(d, rotation)
    check_person(d, a)
    check_person(d, b)
    if a == b:
        raise UsageError("swap needs two different people")
    lo, hi = _range(start, to, zone, now)
    planned = swap_overrides(final_schedule(rot, lo, hi), a, b)
    if not planned:
        raise UsageError(f"neither {a} nor {b} is on call in {rotation} between "
                         f"{render.when(lo, zone)} and {render.when(hi, zone)}: nothing to swap")
    f = Edit.open(Path(d.root) / f"{rotation}.toml")
    for who, s, e in planned:
        add_override(f, rot, who, s, e, note or f"swap {a} <-> {b}")
    _commit(d, f, zone, now, dry_run, allow_gaps, focus=(lo, hi))


# ---------------------------------------------------------------- away


def _person_zone(d: Directory, pid: str) -> ZoneInfo:
    return ZoneInfo(d.people[pid].timezone or "UTC")


def _away_entries(d: Directory, pid: str) -> list[dict]:
    """A person's time off in file order (``away list`` numbers them so)."""
    from ..edit import file_instant
    from ..load import PEOPLE_FILE, tomllib

    data = tomllib.loads((Path(d.root) / PEOPLE_FILE).read_text(encoding="utf-8-sig"))
    tz = _person_zone(d, pid)
    return [{"id": i, "person": pid, "start": file_instant(a["start"], tz), "end": file_instant(a["end"], tz),
             "note": a.get("note", "")} for i, a in enumerate(data["people"][pid].get("away", []), 1)]


@away_app.command("add")
@_holding_the_folder_lock
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
    from ..edit import Edit, add_away
    from ..load import PEOPLE_FILE

    c = use(ctx, dir, tz)
    zone, d, now = c.zone, c.load(), c.now()
    check_person(d, person)
    # A bare date means midnight where the person lives, as it does in people.toml.
    pz = _person_zone(d, person)
    a, b = _range(start, to, zone, now, date_zone=pz)
    f = Edit.open(Path(d.root) / PEOPLE_FILE)
    add_away(f, person, pz, a, b, note)
    _commit(d, f, zone, now, dry_run, allow_gaps, focus=(a, b))


@away_app.command("list")
def away_list(
    ctx: typer.Context,
    person: Annotated[str | None, typer.Argument(help="Person id (default: everyone).", show_default=False)] = None,
    dir: DirOpt = DEFAULT_DIR,
    tz: TzOpt = None,
    json: JsonOpt = False,
) -> None:
    """Time off in file order, numbered per person for `away remove`."""
    c = use(ctx, dir, tz, json)
    zone, d = c.zone, c.load()
    if person:
        check_person(d, person)
    rows = [r for pid in ([person] if person else sorted(d.people)) for r in _away_entries(d, pid)]
    if json:
        print(render.to_json(rows, c.out_zone))
        return
    render.console().print(_rows_table(rows, render.Column("person", "Person", style="bold"), zone, "Time off"))


@away_app.command("remove")
@_holding_the_folder_lock
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
    from ..edit import Edit, table_blocks
    from ..load import PEOPLE_FILE

    c = use(ctx, dir, tz)
    zone, d, now = c.zone, c.load(), c.now()
    check_person(d, person)
    entries = _away_entries(d, person)
    i = _choose([(e["start"], e["end"]) for e in entries], number, at, "time off", zone, now)
    f = Edit.open(Path(d.root) / PEOPLE_FILE)
    f.remove(table_blocks(f, len(entries), "people", person, "away")[i])
    _commit(d, f, zone, now, dry_run, allow_gaps, focus=(entries[i]["start"], entries[i]["end"]))


# ---------------------------------------------------------------- member


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
    from ..edit import Edit, change_members

    c = use(ctx, dir, tz)
    zone, d, now = c.zone, c.load(), c.now()
    rot = _rotation(d, rotation)
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
    _commit(d, f, zone, now, dry_run, allow_gaps, focus=(at, at + max(GUARD, turn)))


@member_app.command("add")
@_holding_the_folder_lock
def member_add(ctx: typer.Context, rotation: RotReq, person: PersonReq, layer: LayerOpt = None,
               effective: EffOpt = None, dir: DirOpt = DEFAULT_DIR, tz: TzOpt = None, dry_run: DryOpt = False,
               allow_gaps: GapsOpt = False) -> None:
    """PERSON joins a layer of ROTATION from its first handoff at or after --effective."""
    _member(ctx, rotation, person, layer, effective, True, dir, tz, dry_run, allow_gaps)


@member_app.command("remove")
@_holding_the_folder_lock
def member_remove(ctx: typer.Context, rotation: RotReq, person: PersonReq, layer: LayerOpt = None,
                  effective: EffOpt = None, dir: DirOpt = DEFAULT_DIR, tz: TzOpt = None, dry_run: DryOpt = False,
                  allow_gaps: GapsOpt = False) -> None:
    """PERSON leaves a layer of ROTATION from its first handoff at or after --effective."""
    _member(ctx, rotation, person, layer, effective, False, dir, tz, dry_run, allow_gaps)


# ---------------------------------------------------------------- new


@new_app.command("rotation")
@_holding_the_folder_lock
def new_rotation(
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
    from ..edit import Edit, new_rotation_text, toml_time
    from ..load import ROTATION_ID, valid_zone

    c = use(ctx, dir, tz)
    zone, d, now = c.zone, c.load(), c.now()
    if not ROTATION_ID.match(rid):
        raise UsageError(f"{rid!r} is not a rotation id: use lower-case letters, digits and dashes")
    path = Path(d.root) / f"{rid}.toml"
    if path.exists():
        raise UsageError(f"{_display(path)} already exists")
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
    _commit(d, f, zone, now, dry_run, allow_gaps, since=first)


@new_app.command("person")
@_holding_the_folder_lock
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
    from ..edit import Edit, add_person
    from ..load import PEOPLE_FILE, valid_zone
    from ..model import Person

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
    _commit(d, f, zone, now, dry_run, False)


# ---------------------------------------------------------------- schema


@app.command(short_help="JSON Schemas of the files, for editors.")
def schema(kind: Annotated[str, typer.Argument(help="people or rotation.", show_default=False)]) -> None:
    """Print the JSON Schema of the people file or of a rotation file (for editors)."""
    from ..edit import schemas

    all_ = schemas()
    if kind not in all_:
        raise UsageError(f"schema: {kind!r} is not one of {', '.join(sorted(all_))}")
    print(render.to_json(all_[kind]))
