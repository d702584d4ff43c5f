"""Notice commands: ``notify`` (reminders, handoff and change notices; cron-safe) and
``notifications`` (what was sent, failed or skipped). Semantics in ``oncall.notify``."""

from __future__ import annotations

import sys
from typing import Annotated

import typer

from .. import render
from ..render import TIME, Column, Section
from .context import Context, options
from .numbers import whole
from .times import parse_duration_option, parse_time

app = typer.Typer()


NOTICES = (
    Column("status", "Status"),
    Column("kind", "Kind", drop=1),
    Column("person", "To"),
    Column("rotation"),
    Column("channel", "By", drop=2),
    Column("due", "Due", TIME),
    Column("subject", "Subject", wrap=True),
    Column("body"),
    Column("detail"),
    Column("key"),
)
LOGGED = (*NOTICES, Column("tries"), Column("at"))


@app.command(short_help="Send due shift reminders, handoff notices and change notices (run it from cron).")
@options()
def notify(
    c: Context,
    at: Annotated[str | None, typer.Option("--at", help="Run as of another instant (ISO or relative).")] = None,
    dry_run: Annotated[bool, typer.Option("--dry-run", help="Show what would be sent; send and record nothing.")]
    = False,
    days: Annotated[int, typer.Option("--days", parser=whole("--days", 1, 90), metavar="N",
                                      help="Change notices look this many days ahead.")]
    = 14,
    grace: Annotated[str, typer.Option("--grace", help="How late a missed reminder or handoff notice may still "
                                                       "go out.")] = "2h",
) -> None:
    """Send what is due now, each notice once however often or wherever this runs.
    Exit 0; 1 when a send failed (a later run retries it); why each was skipped or
    failed goes to stderr."""
    from ..notify.run import deliverer, open_incidents, run
    from ..notify.store import open_notices

    t = parse_time(at, c.zone, c.now(), "--at") if at is not None else c.now()
    window = parse_duration_option(grace, "--grace")
    d = c.load()
    store = open_notices(readonly=dry_run)
    rows = run(d, store, t, deliverer(), incidents=open_incidents(store is not None), grace=window, days=days,
               dry_run=dry_run, log=lambda line: print(f"oncall: notify: {line}", file=sys.stderr))
    render.emit(c, Section(rows, NOTICES, "Would send" if dry_run else "Notices"), empty="Nothing due.")
    if any(r["status"] == "failed" for r in rows):
        raise typer.Exit(1)  # cron mails the output; the next runs retry (up to 3 sends in all)


@app.command(short_help="Notices `notify` sent, failed or skipped.")
@options(dir=False)
def notifications(
    c: Context,
    limit: Annotated[int, typer.Option("--limit", parser=whole("--limit", 1, 100_000), metavar="N",
                                       help="Show the newest N.")] = 50,
) -> None:
    """The notice log, oldest first (the newest --limit)."""
    from ..notify.store import open_notices

    store = open_notices(readonly=True)
    rows = store.notices(limit=limit) if store else []
    render.emit(c, Section(rows, LOGGED, "Notifications"), empty="No notifications.")

