"""``oncall export``: iCalendar feeds of the final schedule (see ``oncall.ical``)."""

from __future__ import annotations

import os
import stat
import sys
from datetime import datetime, timedelta
from pathlib import Path
from typing import Annotated

import typer

from ..errors import UsageError
from ..timeline import UTC
from ..wording import plural
from .context import DEFAULT_DIR, DirOpt, RotArg, check_person, pick_rotations, use
from .times import parse_duration_option, parse_range

app = typer.Typer()

BACK = timedelta(days=30)
AHEAD = timedelta(days=365)

PersonOpt = Annotated[str | None, typer.Option("--person", help="One person's shifts across the rotations.")]
FromOpt = Annotated[str | None, typer.Option("--from", help="Start: ISO time or relative. Default: 30 days ago.")]
ToOpt = Annotated[str | None, typer.Option("--to", help="End (exclusive). Default: 365 days ahead.")]
OutOpt = Annotated[str, typer.Option("-o", "--output", help="File to write, '-' for stdout; a folder with --all.")]
AllOpt = Annotated[bool, typer.Option(
    "--all", help="Write a folder: a feed per rotation and per person, and an index.html to publish them.")]
BusyOpt = Annotated[bool, typer.Option("--busy", help="Shifts show as busy (default: free).")]
RemindOpt = Annotated[str | None, typer.Option("--remind", help="A reminder this long before each shift: 15m, 1h.")]
TzOpt = Annotated[str | None, typer.Option("--tz", help="Zone of wall times in --from/--to (IANA name).")]
GapsOpt = Annotated[bool, typer.Option("--gaps", help="Add 'NO ONE ON CALL' events where coverage has a hole.")]
PhonesOpt = Annotated[bool, typer.Option(
    "--with-phones/--no-phones", help="Phone numbers in the events (default: without: feeds get shared).")]


def default_window(now: datetime) -> tuple[datetime, datetime]:
    """30 days back to 365 days ahead of ``now``, widened to whole UTC days so that every
    export made on one day gives the same bytes."""
    today = now.astimezone(UTC).replace(hour=0, minute=0, second=0, microsecond=0)
    return today - BACK, today + AHEAD + timedelta(days=1)


@app.command(short_help="iCalendar feeds per rotation or person.")
def export(
    ctx: typer.Context,
    rotations: RotArg = None,
    person: PersonOpt = None,
    start: FromOpt = None,
    to: ToOpt = None,
    output: OutOpt = "-",
    all_feeds: AllOpt = False,
    busy: BusyOpt = False,
    remind: RemindOpt = None,
    with_gaps: GapsOpt = False,
    phones: PhonesOpt = False,
    dir: DirOpt = DEFAULT_DIR,
    tz: TzOpt = None,
) -> None:
    """iCalendar feeds of the schedule, for Google, Outlook, Apple Calendar and Thunderbird."""
    from .. import ical

    c = use(ctx, dir, tz)
    zone = c.zone
    if all_feeds and (rotations or person):
        raise UsageError("--all exports every rotation and person; do not name any")
    if all_feeds and output == "-":
        raise UsageError("--all needs -o DIR, the folder to write")
    if person and with_gaps:
        raise UsageError("--gaps applies to rotation feeds, not to --person")
    options = ical.Options(busy=busy, gaps=with_gaps, phones=phones,
                           remind=None if remind is None else parse_duration_option(remind, "--remind"))
    d = c.load(rotations)
    ids = pick_rotations(d, rotations)
    if person:
        check_person(d, person)
    now = c.now()
    a, b = parse_range(start, to, None, zone, now, (BACK + AHEAD).days, default=default_window(now))

    if all_feeds:
        _write_folder(Path(output), d, ids, a, b, options)
        return
    data = ical.person_feed(d, person, ids, a, b, options) if person else ical.rotation_feed(d, ids, a, b, options)
    if output == "-":
        sys.stdout.flush()
        sys.stdout.buffer.write(data)
        sys.stdout.buffer.flush()
        return
    _write(Path(output), data)
    _say(f"wrote {output} ({plural(data.count(b'BEGIN:VEVENT'), 'event')})")


def _write_folder(root: Path, d, ids: list[str], a: datetime, b: datetime, options) -> None:
    """A feed per rotation and per person, and an index.html: each rotation's schedule
    computed once, each feed written atomically, mode 0644, as soon as it is made
    (``ical_feeds.Feeds.folder``), so no more than a few feeds are held at once."""
    from .. import ical
    from ..files import AtomicWrites
    from ..ical_feeds import Feeds

    folders = {"rotation": root / "rotations", "person": root / "people"}
    try:
        for folder in folders.values():
            folder.mkdir(parents=True, exist_ok=True)
    except OSError as e:
        raise UsageError(f"cannot write {root}: {e.strerror or e}") from None
    try:
        with AtomicWrites() as batch:
            for kind, key, data in Feeds(d, ids, a, b, options).folder():
                _write(folders[kind] / f"{key}.ics", data, batch=batch)
            feeds = [("Rotations", f"{d.rotations[rid].name} ({rid})", f"rotations/{rid}.ics") for rid in ids]
            feeds += [("People", f"{d.people[pid].name} ({pid})", f"people/{pid}.ics") for pid in sorted(d.people)]
            _write(root / "index.html", ical.index_html("On-call calendars", feeds).encode(), batch=batch)
    except OSError as e:  # flushing or renaming the staged files
        raise UsageError(f"cannot write {root}: {e.strerror or e}") from None
    _say(f"wrote {plural(len(feeds), 'feed')} and index.html to {root}")


def _write(path: Path, data: bytes, batch=None) -> None:
    """A regular file (or a symlink to one) is replaced atomically, so a subscriber never
    reads half a feed, and made 0644 whatever it was: feeds are published. A character
    device or FIFO (``/dev/stdout``, a pipe) is written to as a stream, never replaced.
    Only ``--all`` creates folders (``_write_folder``): a mistyped ``-o`` path fails instead
    of growing a new directory tree. With ``batch`` (a ``files.AtomicWrites``) the replacement is staged
    in it, done when it closes."""
    from ..files import write_atomic

    try:
        if _is_stream(path):
            with open(path, "wb") as out:  # no O_TRUNC games: a device or pipe has nothing to replace
                out.write(data)
            return
        if batch is None:
            write_atomic(path, data, mode=0o644)
        else:
            batch.write(path, data, mode=0o644)
    except OSError as e:
        raise UsageError(f"cannot write {path}: {e.strerror or e}") from None


def _is_stream(path: Path) -> bool:
    """Whether ``path`` (symlinks followed) is a character device or a FIFO."""
    try:
        mode = os.stat(path).st_mode
    except OSError:
        return False
    return stat.S_ISCHR(mode) or stat.S_ISFIFO(mode)


def _say(text: str) -> None:
    from .. import render

    render.console(stderr=True).print(text)
