"""Service commands: ``serve``, ``incidents``, ``ack ID``, ``resolve ID``.

Starlette, uvicorn and prometheus-client are imported only inside ``serve``.
"""

from __future__ import annotations

import os
import sys
from datetime import timedelta
from typing import Annotated

import typer

from .. import render
from ..errors import NotFound
from ..render import TIME, Column, Section
from .context import DEFAULT_DIR, Context, DirOpt, options, use
from .numbers import whole

app = typer.Typer()


@app.command(short_help="Alert intake, durable escalation and Twilio callbacks (HTTP service).")
def serve(
    ctx: typer.Context,
    listen: Annotated[str, typer.Option("--listen", help="HOST:PORT to bind.")] = "127.0.0.1:8080",
    public_url: Annotated[str | None, typer.Option(
        "--public-url", help="The URL Twilio reaches this service at (callbacks are signed for it).")] = None,
    tick: Annotated[float, typer.Option("--tick", min=0.05, max=60, help="Seconds between looks for due steps.")]
    = 1.0,
    notify_every: Annotated[float, typer.Option(
        "--notify-every", min=0, max=3600, help="Seconds between `oncall notify` runs inside the service "
                                                "(reminders, handoff and change notices); 0: none.")] = 60.0,
    dir: DirOpt = DEFAULT_DIR,
) -> None:
    """Serve POST /v1/alertmanager|grafana|alerts/ROTATION, /v1/twilio/*, GET /healthz, /metrics."""
    from ..serve.runner import cached_loader
    from ..serve.runner import serve as run

    c = use(ctx, dir)
    token = os.environ.get("ONCALL_INTAKE_TOKEN") or None
    tokens = [t for t in (os.environ.get("TWILIO_AUTH_TOKEN"), os.environ.get("ONCALL_TWILIO_PREVIOUS_AUTH_TOKEN"))
              if t]
    notices = None
    if notify_every:
        from ..notify.run import job

        notices = (job(c.dir, c.now, lambda line: print(f"oncall: notify: {line}", file=sys.stderr)),
                   max(notify_every, 10.0))
    # Not c.load: a long-running service must not gc.freeze every load.
    run(listen, public_url, cached_loader(c.dir), c.now, tick, token, tokens, notices)


INCIDENTS = (
    Column("id", "#"),
    Column("state", "State"),
    Column("rotation", "Rotation"),
    Column("dedup_key"),
    Column("source"),
    Column("opened", "Opened", TIME),
    Column("paged", "Paged", lambda v, r: ", ".join(v) or "—", drop=2, wrap=True),
    Column("acknowledged"),
    Column("acknowledged_by", "Acknowledged by", lambda v, r: v or "", drop=1),
    Column("resolved"),
    Column("resolved_by"),
    Column("alerts"),
    Column("next", "Next step", lambda v, r: r["_next"], machine=False, drop=3),
    Column("next.step"),
    Column("next.due"),
    Column("message", "Message", wrap=True),
)


@app.command(short_help="Open and recent incidents: state, who was paged.")
@options(dir=False)
def incidents(
    c: Context,
    days: Annotated[int, typer.Option("--days", parser=whole("--days", 0, 3650), metavar="N",
                                      help="Resolved incidents opened this recently.")]
    = 7,
) -> None:
    """Incidents in the store: every open one, and those resolved in the last --days."""
    from .page import open_store

    zone = c.zone
    store = open_store(readonly=True)
    rows = [r | {"_next": f"{r['next']['step']} at {render.when(r['next']['due'], zone)}" if r["next"] else ""}
            for r in (store.incidents(c.now() - timedelta(days=days)) if store else [])]
    render.emit(c, Section(rows, INCIDENTS, "Incidents"), empty="No incidents.")


def _move(ctx: typer.Context, incident: int, action: str, by: str | None) -> None:
    from ..paging.store import RESOLVED
    from .page import open_store

    store = open_store()
    who = by or os.environ.get("USER") or "cli"
    was = (store.acknowledge if action == "acknowledged" else store.resolve)(incident, who, use(ctx).now())
    if was == "missing":
        raise NotFound(f"no incident {incident} in the store")
    if was == RESOLVED or (was == action):
        print(f"incident {incident} is already {was}", file=sys.stderr)
        return
    print(f"incident {incident} {action} by {who}; escalation stopped")


@app.command(short_help="Acknowledge an incident: its escalation stops.")
def ack(ctx: typer.Context, incident: Annotated[int, typer.Argument(metavar="ID", parser=whole("ID", 1, 2**62))],
        by: Annotated[str | None, typer.Option("--by", help="Who acknowledges (default: $USER).")] = None) -> None:
    """Acknowledge incident ID (from `oncall incidents`)."""
    _move(ctx, incident, "acknowledged", by)


@app.command(short_help="Resolve an incident: its escalation stops.")
def resolve(ctx: typer.Context, incident: Annotated[int, typer.Argument(metavar="ID", parser=whole("ID", 1, 2**62))],
            by: Annotated[str | None, typer.Option("--by", help="Who resolves (default: $USER).")] = None) -> None:
    """Resolve incident ID (from `oncall incidents`)."""
    _move(ctx, incident, "resolved", by)
