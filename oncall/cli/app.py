"""The Typer app, options shared by commands, and the one place errors become exits."""

from __future__ import annotations

import os
import sys
from datetime import datetime, timezone
from pathlib import Path
from typing import Annotated
from zoneinfo import ZoneInfo

import typer

from ..errors import NotFound, OncallError, UsageError
from ..model import Directory

app = typer.Typer(
    name="oncall",
    help="Who is on call, when, and whether anyone is reachable: rotations kept as TOML files.",
    no_args_is_help=True,
    add_completion=False,
    pretty_exceptions_enable=False,
    rich_markup_mode=None,
)



@app.callback()
def _root() -> None:
    """Who is on call, when, and whether anyone is reachable: rotations kept as TOML files."""


DirOpt = Annotated[Path, typer.Option("--dir", envvar="ONCALL_DIR", help="Data folder (people.toml and <id>.toml).")]
TzOpt = Annotated[str | None, typer.Option("--tz", help="Zone for the times you type and the times shown (IANA name; "
                                                        "default: this machine's). JSON is in UTC unless given.")]
JsonOpt = Annotated[bool, typer.Option("--json", help="Machine-readable output (stable contract, see README).")]
RotArg = Annotated[list[str] | None, typer.Argument(help="Rotation ids (default: all).", show_default=False)]
DEFAULT_DIR = Path("rotations")


def clock() -> datetime:
    """The only clock the program reads: the current instant in UTC."""
    return datetime.now(timezone.utc)


def load(root: Path, only: list[str] | None = None):
    """The data folder; with ``only`` (rotation ids named on the command line), just what
    those rotations need, so another team's broken file cannot stop `now` or `page`."""
    import gc

    from ..load import load_directory

    d = load_directory(root, only or None)
    # What was loaded lives until the command ends: spare the collector rescanning it
    # while the engine makes its many small tuples.
    gc.freeze()
    return d


def local_zone() -> ZoneInfo:
    """The viewer's zone: $TZ, else /etc/localtime, else UTC."""
    name = os.environ.get("TZ", "").lstrip(":")
    if name:
        try:
            return ZoneInfo(name)
        except (ValueError, OSError, KeyError):  # KeyError: ZoneInfoNotFoundError (a POSIX TZ string)
            pass
    try:
        target = os.path.realpath("/etc/localtime")
        if "zoneinfo/" in target:
            return ZoneInfo(target.split("zoneinfo/", 1)[1])
        # Containers often copy the zone file instead of linking it: read it as it is.
        with open(target, "rb") as f:
            return ZoneInfo.from_file(f, key="localtime")
    except (ValueError, OSError):
        pass
    return ZoneInfo("UTC")


def viewer_zone(tz: str | None) -> ZoneInfo:
    if tz is None:
        return local_zone()
    from ..load import valid_zone

    if not valid_zone(tz):
        raise UsageError(f"--tz: unknown timezone {tz!r} (use an IANA name like 'Europe/London')")
    return ZoneInfo(tz)


def json_zone(tz: str | None) -> ZoneInfo | timezone:
    """JSON is the same from any machine: UTC unless ``--tz`` asks otherwise."""
    return viewer_zone(tz) if tz else timezone.utc


def pick_rotations(d: Directory, ids: list[str] | None) -> list[str]:
    if not ids:
        return sorted(d.rotations)
    for rid in ids:
        if rid not in d.rotations:
            known = {p.stem for p in Path(d.root).glob("*.toml")} - {"people"}
            raise NotFound(f"no rotation {rid!r}{_hint(rid, known)} in {d.root}")
    return list(dict.fromkeys(ids))


def check_person(d: Directory, pid: str) -> None:
    if pid not in d.people:
        raise NotFound(f"no person {pid!r}{_hint(pid, d.people)} in {d.root}/people.toml")


def _hint(name: str, choices) -> str:
    from ..load import did_you_mean

    return did_you_mean(name, choices)


def main(argv: list[str] | None = None) -> None:
    """Entry point: run the app; any OncallError becomes its message and exit code."""
    from .commands import register

    args = sys.argv[1:] if argv is None else argv
    register(args)
    try:
        app(args=args, prog_name="oncall")
    except OncallError as e:
        for line in e.lines():
            print(f"oncall: {line}" if e.exit_code != 3 else line, file=sys.stderr)
        sys.exit(e.exit_code)
