"""``oncall init``: a data folder from nothing, with comments that teach the format.

On a terminal (or with ``--ask``) it asks a few questions; with ``--person`` flags it takes
the answers from them; with neither it writes a starter folder of two example people and a
24/7 weekly rotation. Whatever it writes, ``oncall check`` accepts: the files are loaded
with the normal loader before any of them lands in the folder.
"""

from __future__ import annotations

import sys
import tempfile
from dataclasses import dataclass, field
from datetime import datetime, time, timedelta
from pathlib import Path
from typing import Annotated, Any
from zoneinfo import ZoneInfo

import typer

from .. import render
from ..errors import Refused, UsageError
from .context import DEFAULT_DIR, find_dir, local_zone, use
from .times import parse_duration_option, parse_time

app = typer.Typer()

EXAMPLE_PEOPLE = (("alice", "Alice Example", "+14155550101"), ("bob", "Bob Example", "+14155550102"))
MAX_PEOPLE = 50  # questions asked at most; more people are added with `oncall new person`
COLUMN = 32  # where the teaching comments start


@dataclass
class Answers:
    """What the folder is made of; ``people``: (id, name, phone, zone or None)."""

    zone: str
    people: list[tuple[str, str, str, str | None]] = field(default_factory=list)
    rotation: str = "primary"
    every: str = "1w"
    start: datetime | None = None  # the first handoff, an instant
    secondary: str | None = None
    hours: str = "mon-fri 09:00-17:00"


PersonOpt = Annotated[list[str] | None, typer.Option(
    "--person", metavar="ID:NAME:PHONE[:ZONE]", show_default=False,
    help="A person, once per person (e.g. 'alice:Alice Moreau:+14155550101'). Default: two example people to replace.")]


@app.command(short_help="Start a data folder: people and rotations, commented.")
def init(
    ctx: typer.Context,
    folder: Annotated[Path | None, typer.Argument(
        metavar="DIR", help="The data folder to create (default: ./rotations).", show_default=False)] = None,
    person: PersonOpt = None,
    timezone: Annotated[str | None, typer.Option(
        "--timezone", help="IANA zone of the rotations (default: this machine's).", show_default=False)] = None,
    rotation: Annotated[str, typer.Option("--rotation", help="Id of the 24/7 rotation.")] = "primary",
    every: Annotated[str, typer.Option("--every", help="Shift length: 12h, 1d, 1w...")] = "1w",
    start: Annotated[str | None, typer.Option(
        "--start", help="First handoff, wall time in --timezone (default: this week's Monday 09:00).",
        show_default=False)] = None,
    business_hours: Annotated[str | None, typer.Option(
        "--business-hours", metavar="ID", help="Also a business-hours secondary rotation with this id.",
        show_default=False)] = None,
    hours: Annotated[str, typer.Option("--hours", help="The secondary's coverage window.")] = "mon-fri 09:00-17:00",
    ask: Annotated[bool | None, typer.Option(
        "--ask/--no-ask", help="Ask the questions (default: when on a terminal and no --person).",
        show_default=False)] = None,
) -> None:
    """Create a data folder (people.toml and rotation files with comments that teach the format)."""
    c = use(ctx)
    root = folder if folder is not None else DEFAULT_DIR
    if folder is None and (Path.cwd() / find_dir(Path.cwd()) / "people.toml").is_file():
        raise Refused(f"{find_dir(Path.cwd())} is a data folder already; nothing was written "
                      "(give `oncall init DIR` a new folder to start another)")
    _refuse_existing(root)
    zone = timezone or _machine_zone()
    a = Answers(zone=_check_zone(zone), rotation=_check_rotation_id(rotation), every=_check_every(every),
                secondary=_check_rotation_id(business_hours) if business_hours else None, hours=_check_hours(hours))
    a.people = [_person_flag(text) for text in person or []]
    if ask or (ask is None and not person and sys.stdin.isatty()):
        _ask(a, c.now())
    a.people = a.people or [(pid, name, phone, None) for pid, name, phone in EXAMPLE_PEOPLE]
    if a.start is None:
        a.start = parse_time(start, ZoneInfo(a.zone), c.now(), "--start") if start else _last_monday(a.zone, c.now())
    files = {"people.toml": people_text(a, example=not person and not ask), f"{a.rotation}.toml": primary_text(a)}
    if a.secondary:
        if a.secondary == a.rotation:
            raise UsageError("--business-hours: the secondary needs an id of its own")
        files[f"{a.secondary}.toml"] = secondary_text(a)
    _write(root, files)
    _next_steps(root, files)


def _refuse_existing(root: Path) -> None:
    if root.exists() and not root.is_dir():
        raise UsageError(f"{root} exists and is not a folder")
    if root.is_dir() and any(p.suffix == ".toml" for p in root.iterdir()):
        raise Refused(f"{root} already holds rotation files; nothing was written "
                      "(add to it with `oncall new person` and `oncall new rotation`)")


def _machine_zone() -> str:
    key = local_zone().key
    return key if key and key != "localtime" else "UTC"


def _check_zone(zone: str) -> str:
    from ..fields import valid_zone

    if not valid_zone(zone):
        raise UsageError(f"--timezone: unknown timezone {zone!r} (use an IANA name like 'Europe/London')")
    return zone


def _check_rotation_id(rid: str) -> str:
    from ..load import ROTATION_ID

    if not ROTATION_ID.match(rid) or rid == "people":
        raise UsageError(f"{rid!r} is not a rotation id: use lower-case letters, digits and dashes")
    return rid


def _check_every(every: str) -> str:
    parse_duration_option(every, "--every")
    return every


def _check_hours(window: str) -> str:
    from ..timeline import parse_window

    try:
        parse_window(window)
    except ValueError as e:
        raise UsageError(f"--hours: {e}") from None
    return window


def _check_person(pid: str, phone: str, zone: str | None) -> None:
    from ..load import E164, PERSON_ID
    from ..model import Person

    if not PERSON_ID.match(pid):
        raise UsageError(f"{pid!r} is not a person id: use ASCII letters, digits, '_', '-' and '.'")
    if not E164.match(phone) or not Person(pid, pid, phone).phone_valid:
        raise UsageError(f"{phone!r} is not a phone number that can be dialled: write '+', the country code "
                         "and digits, no spaces (e.g. +14155550101)")
    if zone is not None:
        _check_zone(zone)


def _person_flag(text: str) -> tuple[str, str, str, str | None]:
    parts = [p.strip() for p in text.split(":")]
    if len(parts) not in (3, 4) or not all(parts):
        raise UsageError(f"--person: {text!r} is not ID:NAME:PHONE[:ZONE] (e.g. 'alice:Alice Moreau:+14155550101')")
    pid, name, phone = parts[:3]
    zone = parts[3] if len(parts) == 4 else None
    _check_person(pid, phone, zone)
    return pid, name, phone, zone


def _checked(check):
    """A prompt's value check: a bad answer is said and asked again."""
    def run(value: str) -> str:
        try:
            check(value)
        except UsageError as e:
            raise typer.BadParameter(str(e)) from None
        return value

    return run


def _ask(a: Answers, now: datetime) -> None:
    """The questions, on the terminal; each answer is checked as it is given."""
    a.zone = typer.prompt("Time zone of the rotations (IANA name)", default=a.zone, value_proc=_checked(_check_zone))
    typer.echo("Who is on call? One person at a time; an empty id when done.")
    while len(a.people) < MAX_PEOPLE:
        pid = typer.prompt("Person id (e.g. alice)", default="", show_default=False).strip()
        if not pid:
            if a.people:
                break
            typer.echo("At least one person, please.")
            continue
        name = typer.prompt("  Full name")
        phone = typer.prompt("  Phone, E.164 (e.g. +14155550101)",
                             value_proc=_checked(lambda p, pid=pid: _check_person(pid, p, None)))
        zone = typer.prompt("  Their time zone", default=a.zone, value_proc=_checked(_check_zone))
        _check_person(pid, phone, zone)
        a.people.append((pid, name, phone, None if zone == a.zone else zone))
    a.rotation = typer.prompt("Id of the 24/7 rotation", default=a.rotation, value_proc=_checked(_check_rotation_id))
    a.every = typer.prompt("Shift length", default=a.every, value_proc=_checked(_check_every))
    tz = ZoneInfo(a.zone)
    first = _last_monday(a.zone, now).astimezone(tz).strftime("%Y-%m-%dT%H:%M")
    typed = typer.prompt(f"First handoff (wall time in {a.zone})", default=first,
                         value_proc=_checked(lambda t: parse_time(t, tz, now, "first handoff")))
    a.start = parse_time(typed, tz, now, "first handoff")
    if typer.confirm("Add a business-hours secondary rotation?", default=False):
        a.secondary = typer.prompt("  Its id", default="secondary", value_proc=_checked(_check_rotation_id))
        a.hours = typer.prompt("  Its hours", default=a.hours, value_proc=_checked(_check_hours))


def _last_monday(zone: str, now: datetime) -> datetime:
    """This week's Monday 09:00 in ``zone`` (last week's if that is still ahead)."""
    from ..timeline import resolve

    tz = ZoneInfo(zone)
    day = now.astimezone(tz).date()
    monday = day - timedelta(days=day.weekday())
    t = resolve(datetime.combine(monday, time(9)), tz)
    return t if t <= now else resolve(datetime.combine(monday - timedelta(days=7), time(9)), tz)


# ---------------------------------------------------------------- the files


def _line(key: str, value: Any, comment: str = "") -> str:
    import tomlkit

    text = f"{key} = {tomlkit.item(value).as_string()}"
    return (text.ljust(COLUMN - 1) + f" # {comment}" if comment else text) + "\n"


def _commented(key: str, value: Any, comment: str) -> str:
    """An optional key, shown commented out, its comment in the same column."""
    return "# " + _line(key, value, comment).replace(" " * 2 + "#", "#", 1)


def _wall(a: Answers) -> datetime:
    from ..edit import toml_time

    return toml_time(a.start, ZoneInfo(a.zone))


def people_text(a: Answers, example: bool) -> str:
    """people.toml: the first person with every key explained, the others plain."""
    head = ("# people.toml: everyone a rotation can page. One [people.ID] table per person; the ID\n"
            "# (ASCII letters, digits, '_', '-', '.') is how rotation files name them.\n"
            + ("# These two are EXAMPLES: put your team here (or `oncall new person`).\n" if example else "")
            + "# `oncall check` validates the folder; `oncall contacts` shows who can be reached.\n")
    import tomlkit

    out = [head]
    for n, (pid, name, phone, zone) in enumerate(a.people):
        out.append(f"\n[people.{tomlkit.key(pid).as_string()}]\n")
        first = n == 0
        out.append(_line("name", name, "shown in every view" if first else ""))
        out.append(_line("phone", phone, "E.164: '+', country code, digits; needed to be paged" if first else ""))
        if zone:
            out.append(_line("timezone", zone, "optional: their own views and away dates" if first else ""))
        if first:
            if not zone:
                out.append(_commented("timezone", "Europe/London", "optional: their own views and away dates"))
            out.append(_commented("email", "me@example.com", "optional"))
            out.append(_commented("notify", ["sms", "voice"], "optional: channels in order (default: sms, voice)"))
            out.append("\n# Time off makes a person unreachable in [start, end); a date is midnight in\n"
                       "# their timezone. Or: oncall away add ID --from DATE --to DATE\n"
                       f"# [[people.{pid}.away]]\n# start = 2027-01-02\n# end = 2027-01-09\n# note = \"holidays\"\n")
    return "".join(out)


def primary_text(a: Answers) -> str:
    """The 24/7 rotation, with the format explained."""
    members = [p[0] for p in a.people]
    return (
        f"# {a.rotation}.toml: one rotation; its id is the file name (lower-case letters, digits, dashes).\n"
        "# Who is on call at an instant: the last [[override]] covering it, else the last\n"
        "# [[layer]] covering it, else nobody: a gap, which `oncall check` reports.\n"
        + _line("name", a.rotation.replace("-", " ").capitalize(), "shown in views and calendar feeds")
        + _line("timezone", a.zone, "IANA zone: every wall time below is on its clock")
        + _line("coverage", ["always"], "when someone must be on call (default always)")
        + "# coverage windows: \"mon-fri 09:00-17:00\", \"daily 22:00-06:00\", \"fri 17:00 - mon 09:00\"\n"
        "\n[[layer]]                       # a turn order; a later layer wins over an earlier one\n"
        + _line("name", "main", "shows as source layer:main")
        + _line("members", members, "members[0] goes first, then each in turn")
        + _line("start", _wall(a), "the first handoff, wall time in the zone above")
        + _line("every", a.every, "shift length: 30m, 8h, 12h, 1d, 1w, 2w, 1d12h ...")
        + "# only = [\"mon-fri 09:00-17:00\"]  # optional: the layer covers only these windows\n"
        "# until = 2027-06-01T09:00:00      # optional: the layer ends here (exclusive)\n"
        "\n# Someone covers a stretch for someone else (or: oncall override add ...):\n"
        f"# [[override]]\n# who = \"{members[-1]}\"\n# start = 2026-12-24T17:00:00\n# end = 2026-12-26T09:00:00\n"
        "# note = \"covers the holidays\"\n"
        "\n# Whom `oncall page` tries, in order (default: whoever is on call here, 5 minutes):\n"
        f"# [[escalation]]\n# who = \"{a.rotation}\"   # a rotation id (its on-call person) or a person id\n"
        "# wait = \"5m\"\n"
    )


def secondary_text(a: Answers) -> str:
    """The business-hours rotation: covered only inside its window, by a layer restricted to it."""
    members = [p[0] for p in a.people]
    members = members[1:] + members[:1]  # not the primary's person of the same week
    return (
        f"# {a.secondary}.toml: business hours only. Outside its coverage nobody is needed:\n"
        "# `oncall now` says \"outside coverage\" and `oncall check` reports nothing there.\n"
        + _line("name", a.secondary.replace("-", " ").capitalize())
        + _line("timezone", a.zone, "the window below is on this clock")
        + _line("coverage", [a.hours], "what must be covered")
        + "\n[[layer]]\n"
        + _line("name", "business-hours")
        + _line("members", members, "in turn, from start")
        + _line("start", _wall(a))
        + _line("every", a.every)
        + _line("only", [a.hours], "the layer covers only these windows")
    )


def _write(root: Path, files: dict[str, str]) -> None:
    """Load the files as a folder first (what `check` will read), then write them."""
    from ..files import write_atomic
    from ..load import load_directory

    with tempfile.TemporaryDirectory(prefix="oncall-init-") as tmp:
        for name, text in files.items():
            (Path(tmp) / name).write_text(text, encoding="utf-8")
        load_directory(tmp)
    try:
        root.mkdir(parents=True, exist_ok=True)
        for name, text in files.items():
            write_atomic(root / name, text.encode("utf-8"))
    except OSError as e:
        raise UsageError(f"cannot write {root}: {e.strerror or e}") from None


def _next_steps(root: Path, files: dict[str, str]) -> None:
    from ..files import shown_path

    out = render.console()
    out.print("Wrote " + ", ".join(shown_path(root / n) for n in files) + ".", markup=False)
    where = "" if find_dir(Path.cwd()).resolve() == root.resolve() else f" --dir {root}"
    out.print(f"Next: `oncall check{where}`, `oncall now{where}`; add people with `oncall new person`, "
              "rotations with `oncall new rotation`.", markup=False)
