"""What every command receives: the run's context and the options shared by commands.

The root callback (``app.py``) builds one ``Context`` per run, holding the clock; each
command completes it with its own ``--dir``, ``--tz`` and output format (``use``). The
clock is read only through ``Context.now``; ``CLOCK`` is the one place a test swaps it
(the ``clock`` fixture in tests/conftest.py). Command modules import this module and
``times``/``render``, never each other.
"""

from __future__ import annotations

import os
import time
from dataclasses import dataclass, replace
from datetime import datetime, timezone
from functools import cached_property
from pathlib import Path
from typing import Annotated, Protocol
from zoneinfo import ZoneInfo

import typer

from ..errors import NotFound, UsageError
from ..model import Directory
from ..timeline import UTC

DEFAULT_DIR = Path("rotations")
FORMATS = ("table", "json", "csv")


class Clock(Protocol):
    def now(self) -> datetime: ...

    def sleep(self, seconds: float) -> None: ...


class SystemClock:
    """The real clock: the current instant in UTC, and real sleeping."""

    def now(self) -> datetime:
        return datetime.now(UTC)

    def sleep(self, seconds: float) -> None:
        time.sleep(seconds)


CLOCK: Clock = SystemClock()


@dataclass(frozen=True)
class Context:
    """One run: the clock, the data folder, the ``--tz`` asked for, the output format."""

    clock: Clock
    dir: Path = DEFAULT_DIR
    tz: str | None = None
    format: str = "table"

    def now(self) -> datetime:
        """The current instant to the whole second (the files' precision, so nothing a
        command derives from it shows a fraction): the only reading of the clock in the
        CLI. Paging's waits read ``clock`` itself."""
        return self.clock.now().replace(microsecond=0)

    @cached_property
    def zone(self) -> ZoneInfo:
        """Where typed wall times are read and tables show times: ``--tz``, else the machine's."""
        return viewer_zone(self.tz)

    @cached_property
    def out_zone(self) -> ZoneInfo | timezone:
        """JSON and CSV are the same from any machine: UTC unless ``--tz`` asks otherwise."""
        return viewer_zone(self.tz) if self.tz else UTC

    def load(self, only: list[str] | None = None, fresh: bool = False) -> Directory:
        """The data folder; with ``only`` (rotation ids named on the command line), just what
        those rotations need, so another team's broken file cannot stop `now` or `page`;
        ``fresh``: a folder being started may lack people and rotations (``load_directory``)."""
        import gc

        from ..load import load_directory

        d = load_directory(self.dir, only or None, fresh)
        # What was loaded lives until the command ends: spare the collector rescanning it
        # while the engine makes its many small tuples, which (acyclic, kept to the end)
        # it could not free either: collecting every 700 allocations cost 11% of a
        # 500-rotation check, every 50,000 costs 2%.
        gc.freeze()
        gc.set_threshold(50_000, 20, 100)
        return d


def use(ctx: typer.Context, dir: Path | None = None, tz: str | None = None, json: bool = False,
        format: str | None = None) -> Context:
    """The run's context completed with a command's options; ``--tz`` is checked here.
    ``--json`` means ``--format json``; giving both with different formats is a usage error."""
    base = ctx.find_root().obj
    if not isinstance(base, Context):
        base = Context(clock=CLOCK)
    if json and format not in (None, "json"):
        raise UsageError(f"--json means --format json; not --format {format}")
    fmt = "json" if json else (format or "table")
    if fmt not in FORMATS:
        raise UsageError(f"--format: {fmt!r} is not one of {', '.join(FORMATS)}")
    if dir is not None and dir == DEFAULT_DIR and _defaulted(ctx, "dir"):
        dir = find_dir(Path.cwd())
    c = replace(base, dir=dir if dir is not None else base.dir, tz=tz, format=fmt)
    c.zone  # noqa: B018 -- a bad --tz fails before any work
    return c


def _defaulted(ctx: typer.Context, name: str) -> bool:
    """Whether option ``name`` took its default (neither typed nor from the environment)."""
    source = ctx.get_parameter_source(name)
    return source is not None and source.name == "DEFAULT"


def find_dir(cwd: Path) -> Path:
    """The data folder when neither ``--dir`` nor ``ONCALL_DIR`` names one, found as git
    finds a repository: from ``cwd`` up, the first folder that holds people.toml, or that
    has a ``rotations/`` folder holding one; the walk stops at a repository's root (a
    folder with ``.git``) and at the filesystem's. Nothing found: ``./rotations``. The
    path is relative to ``cwd`` where it can be, so messages stay short."""
    here = cwd.resolve()
    for folder in (here, *here.parents):
        for candidate in (folder, folder / DEFAULT_DIR):
            if (candidate / "people.toml").is_file():  # the working directory itself reads as ../NAME
                return Path(os.path.relpath(candidate, here)) if candidate != here else Path("..", here.name)
        if (folder / ".git").exists():
            break
    return DEFAULT_DIR


DirOpt = Annotated[Path, typer.Option("--dir", envvar="ONCALL_DIR", help="Data folder (people.toml and <id>.toml). "
                                      "Default: found from here upwards, like git (see README).")]
TzOpt = Annotated[str | None, typer.Option("--tz", help="Zone for the times you type and the times shown (IANA name; "
                                                        "default: this machine's). JSON is in UTC unless given.")]
JsonOpt = Annotated[bool, typer.Option("--json", help="Machine-readable output (stable contract, see README); "
                                                      "the same as --format json.")]
FormatOpt = Annotated[str | None, typer.Option("--format", help="table (default), json or csv (RFC 4180: a header "
                                                                "of JSON keys, times as in JSON).", show_default=False)]
EditTzOpt = Annotated[str | None, typer.Option("--tz", help="Zone for the times you type and the times shown "
                                                            "(IANA name; default: the rotation's, for time off the "
                                                            "person's).")]
RotArg = Annotated[list[str] | None, typer.Argument(help="Rotation ids (default: all).", show_default=False)]
FromOpt = Annotated[str | None, typer.Option("--from", help="Start: ISO time or relative (-1d). Default: now.")]
ToOpt = Annotated[str | None, typer.Option("--to", help="End (exclusive): ISO time or relative (+2w).")]


def days_opt(default: int):
    from .numbers import decimal

    return Annotated[float | None, typer.Option("--days", parser=decimal("--days", "a number of days"), metavar="DAYS",
                                                      help=f"Length of the range in days (default {default}).")]


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
    """``--tz`` as a zone (UsageError if unknown), else the machine's."""
    if tz is None:
        return local_zone()
    from ..fields import valid_zone

    if not valid_zone(tz):
        raise UsageError(f"--tz: unknown timezone {tz!r} (use an IANA name like 'Europe/London')")
    return ZoneInfo(tz)


def pick_rotations(d: Directory, ids: list[str] | None) -> list[str]:
    """The rotation ids named (NotFound for an unknown one), else all, sorted."""
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
    from ..fields import did_you_mean

    return did_you_mean(name, choices)


def options(dir: bool = True, tz: bool = True, output: bool = True, edit: bool = False):
    """Give a command the options shared by commands, declared here once: ``--dir`` and
    ``--tz`` (when asked for; ``edit``: its help says edits read times in the rotation's
    zone) and ``--json``/``--format`` (``output``). The command takes
    ``c``, the run's Context completed with them (``use``), instead of those options; it
    may still take ``ctx``."""
    import functools
    import inspect

    shared = [("dir", DirOpt, DEFAULT_DIR, dir), ("tz", EditTzOpt if edit else TzOpt, None, tz),
              ("json", JsonOpt, False, output), ("format", FormatOpt, None, output)]

    def wrap(fn):
        sig = inspect.signature(fn, eval_str=True)
        wants_ctx = "ctx" in sig.parameters
        params = [p for p in sig.parameters.values() if p.name != "c"]
        if not wants_ctx:
            params.insert(0, inspect.Parameter("ctx", inspect.Parameter.POSITIONAL_OR_KEYWORD,
                                               annotation=typer.Context))
        params += [inspect.Parameter(name, inspect.Parameter.KEYWORD_ONLY, default=default, annotation=hint)
                   for name, hint, default, wanted in shared if wanted]

        @functools.wraps(fn)
        def command(*args, **kwargs):
            ctx = kwargs["ctx"] if wants_ctx else kwargs.pop("ctx")
            given = {name: kwargs.pop(name) for name, *_, wanted in shared if wanted}
            return fn(*args, c=use(ctx, **given), **kwargs)

        command.__signature__ = sig.replace(parameters=params)
        command.__annotations__ = {p.name: p.annotation for p in params}
        return command

    return wrap
