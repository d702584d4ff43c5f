"""Paging commands: ``page``, ``pages [show ID]``, ``contacts [test P]``.

Heavy imports (the Twilio SDK, the page store, phonenumbers) stay inside the functions, so
importing this module costs nothing for ``oncall now``.
"""

from __future__ import annotations

import os
import re
import sys
from datetime import timedelta
from typing import Annotated

import typer

from .. import render
from ..errors import NotFound, PagingFailed, UsageError
from ..model import Step
from ..render import TIME, Column, Section
from ..sanitize import terminal_safe
from ..wording import rounded_duration
from .context import DEFAULT_DIR, Clock, Context, DirOpt, FormatOpt, JsonOpt, check_person, options, pick_rotations, use
from .numbers import whole
from .page_progress import Progress, nobody_why
from .times import parse_duration_option, parse_time

app = typer.Typer()

EXIT = {"acknowledged": 0, "sent": 0, "duplicate": 0, "unreached": 1}


def make_pager(clock: Clock):
    """The pager for this process: Twilio from the environment (``PagingFailed`` naming
    the missing variables); ``ONCALL_TWILIO_BASE_URL`` points it at another Twilio API
    (a mock, a regional edge). Tests choose their double by replacing this function."""
    from ..paging.twilio import Credentials, TwilioPager

    return TwilioPager(Credentials.from_env(), os.environ.get("ONCALL_TWILIO_BASE_URL") or None)


def open_store(readonly: bool = False):
    """The configured page store (``paging.store.open_store``), telling stderr when it
    has to wait for another process's lock. Tests replace this to choose a store."""
    from ..paging import store

    return store.open_store(readonly=readonly, on_wait=lambda note: print(f"oncall: {note}", file=sys.stderr))


def _duration(text: str, option: str) -> timedelta:
    return parse_duration_option(text, option, most=timedelta(days=7))


def _rate(text: str) -> tuple[int, timedelta]:
    count, _, per = text.partition("/")
    if not re.fullmatch(r"\s*[0-9]+\s*", count) or not per:  # ASCII digits: int() takes any script's
        raise UsageError(f"--rate-limit: {text!r} is not COUNT/DURATION (e.g. 10/15m)")
    return int(count), _duration(per, "--rate-limit")


ATTEMPTS = (
    Column("round", "Round", lambda v, r: str(v + 1)),
    Column("step", "Step"),
    Column("person", "Person"),
    Column("channel", "Channel"),
    Column("status", "Status"),
    Column("error_code", "Error", drop=2),
    Column("sid", "Twilio SID", drop=3),
    Column("started", "At", TIME),
    Column("ended"),
    Column("detail", "Detail", drop=1, wrap=True),
)
STEPS = (
    Column("step", "Step"),
    Column("who", "Who", lambda v, r: f"{v} ({r['kind']})", short=lambda v, r: v),
    Column("kind"),
    Column("person", "Pages now", lambda v, r: v or "nobody on call"),
    Column("channels", "Channels", lambda v, r: ", ".join(v) or "—", drop=1),
    Column("wait", "Wait", lambda v, r: rounded_duration(timedelta(seconds=v))),
    Column("unreachable", "Skipped because", lambda v, r: v or "", wrap=True),
)
PAGES = (
    Column("id", "Page"),
    Column("started", "Started", TIME),
    Column("finished"),
    Column("rotation", "Rotation"),
    Column("outcome", "Outcome"),
    Column("acknowledged_by", "Acknowledged by", drop=2),
    Column("attempts", "Attempts", drop=3),
    Column("dedup_key", "Dedup key", drop=1),
    Column("message", "Message", wrap=True),
)


@app.command(short_help="Page a rotation through Twilio, with escalation.")
@options()
def page(
    c: Context,
    rotation: Annotated[str, typer.Argument(help="Rotation id whose escalation policy to walk.")],
    message: Annotated[str, typer.Option("--message", "-m", help="What is wrong (sent by SMS and read aloud).")],
    repeat: Annotated[int, typer.Option("--repeat", parser=whole("--repeat", 0, 100), metavar="N",
                                        help="Walk the whole policy this many more times.")] = 0,
    no_wait: Annotated[bool, typer.Option("--no-wait", help="Return once Twilio accepted the first send.")] = False,
    dry_run: Annotated[bool, typer.Option("--dry-run", help="Print the plan; send nothing, need no credentials.")]
    = False,
    dedup_key: Annotated[str | None, typer.Option("--dedup-key", help="Incident key: repeats send nothing new.")]
    = None,
    dedup_window: Annotated[str, typer.Option("--dedup-window", help="How long a dedup key holds.")] = "1h",
    rate_limit: Annotated[str, typer.Option("--rate-limit", help="Sends per person per period.")] = "10/15m",
    at: Annotated[str | None, typer.Option("--at", help="With --dry-run: the plan at this instant (ISO or relative).",
                                           show_default=False)] = None,
) -> None:
    """Page ROTATION's escalation policy through Twilio (exit 0 acknowledged, 1 nobody reached, 5 failed)."""
    from ..paging.escalation import Escalation, Policy, longest

    window = _duration(dedup_window, "--dedup-window")
    limit, per = _rate(rate_limit)
    if not message.strip():
        raise UsageError("--message must not be empty")
    if at is not None and not dry_run:
        raise UsageError("--at goes with --dry-run: a real page goes out now")
    d = c.load([rotation])
    pick_rotations(d, [rotation])
    rot = d.rotations[rotation]
    now = c.now()
    if dry_run:
        _dry_run(d, rotation, parse_time(at, c.zone, now, "--at") if at is not None else now, repeat, c)
        return
    pager = make_pager(c.clock)
    log = open_store()
    page_id, duplicate = log.open_page(rotation, message, now, now + longest(rot.steps, repeat), dedup_key, window)
    if duplicate:
        _result(log.page(page_id), "duplicate", c)
        return
    engine = Escalation(d, pager, log, c.clock.now, c.clock.sleep, Policy(limit=limit, per=per))
    with Progress(engine, page_id, c):
        try:
            outcome, _ = engine.run(page_id, rot.steps, message, label=rotation, name=rot.name, repeat=repeat,
                                    no_wait=no_wait)
        except PagingFailed as e:
            if c.format != "table":  # scripts get the page as far as it went; a terminal gets the error
                _emit_page(c, log.page(page_id) | {"exit_code": e.exit_code, "error": str(e)})
                e.said_on_stdout = True  # app.OncallGroup adds no second JSON object
            raise
    _result(log.page(page_id), outcome, c)
    if EXIT[outcome]:
        raise typer.Exit(EXIT[outcome])


def _result(record: dict, outcome: str, c) -> None:
    if outcome == "duplicate":
        record = record | {"original_outcome": record["outcome"]}
    record = record | {"outcome": outcome}
    pid = record["id"]
    text = {
        "acknowledged": f"[green]✓[/] page #{pid} acknowledged by {record['acknowledged_by']}",
        "sent": f"[green]✓[/] page #{pid} sent (not waiting for an acknowledgement)",
        "duplicate": f"page #{pid} already covers this dedup key ({record['dedup_key']}); nothing sent",
        "unreached": f"[red]✗[/] page #{pid}: nobody acknowledged",
    }[outcome]
    error = f"page #{pid}: nobody acknowledged" if EXIT[outcome] else None
    _emit_page(c, record | {"exit_code": EXIT[outcome], "error": error}, text)


def _emit_page(c, record: dict, *lead: str) -> None:
    """A page: its attempts (CSV: one line each), after ``lead`` lines (markup) on a terminal."""

    def show():
        out = render.console()
        for line in lead:
            out.print(line)
        if record["attempts"]:
            out.print(render.table(record["attempts"], ATTEMPTS, zone=c.zone))

    render.emit(c, Section(record["attempts"], ATTEMPTS), body=record, show=show)


def _dry_run(d, rotation: str, at, repeat: int, c) -> None:
    """The plan at ``at``; exit 1, saying why step by step, when no step could page anyone."""
    from ..paging.escalation import plan

    steps = plan(d, d.rotations[rotation].steps, at)
    why = nobody_why(steps, at, c.zone)
    title = f"Dry run: page {rotation} at {render.when(at, c.zone)}" + (f", {repeat + 1} rounds" if repeat else "")
    render.emit(c, Section(steps, STEPS, title), body={"rotation": rotation, "at": at, "repeat": repeat,
                                                       "steps": steps, "exit_code": 1 if why else 0, "error": why})
    if why:
        print(f"oncall: {why}", file=sys.stderr)
        raise typer.Exit(1)


pages_app = typer.Typer(help="The page log: every page, attempt, Twilio SID and error code.",
                        invoke_without_command=True, no_args_is_help=False)
app.add_typer(pages_app, name="pages")


@pages_app.callback()
@options(dir=False)
def pages(
    ctx: typer.Context,
    c: Context,
    since: Annotated[str | None, typer.Option("--since", help="Only pages from this time (ISO or -1d).")] = None,
    limit: Annotated[int, typer.Option("--limit", parser=whole("--limit", 1), metavar="N",
                                       help="Show only the newest N pages.")] = 50,
    all_: Annotated[bool, typer.Option("--all", help="Show every page (no --limit).")] = False,
) -> None:
    """List logged pages (newest last; the newest 50 unless --limit or --all)."""
    if ctx.invoked_subcommand:
        return
    zone = c.zone
    start = parse_time(since, zone, c.now(), "--since") if since is not None else None
    log = open_store(readonly=True)
    rows = log.pages(start, None if all_ else limit) if log else []
    render.emit(c, Section(rows, PAGES, "Pages"), empty=None if log else "No pages logged yet.")


@pages_app.command("show")
@options(dir=False)
def pages_show(
    c: Context,
    page_id: Annotated[int, typer.Argument(metavar="ID", parser=whole("ID", 1), help="Page id (from `oncall pages`).")],
) -> None:
    """One page with all its attempts (CSV: the attempts)."""
    zone = c.zone
    log = open_store(readonly=True)
    record = log.page(page_id) if log and 0 < page_id < 2**63 else None
    if record is None:
        raise NotFound(f"no page {page_id} in the page log")
    from rich.markup import escape

    _emit_page(c, record, f"page #{record['id']} {record['rotation'] or '(test)'}: {record['outcome']}"
               + (f" by {record['acknowledged_by']}" if record["acknowledged_by"] else "")
               + f", started {render.when(record['started'], zone)}",
               f"message: {escape(terminal_safe(record['message']))}")


contacts_app = typer.Typer(help="Who can be reached, and how.", invoke_without_command=True, no_args_is_help=False)
app.add_typer(contacts_app, name="contacts")


def _phone_type(phone: str | None) -> str | None:
    if not phone:
        return None
    import phonenumbers

    try:
        n = phonenumbers.parse(phone, None)
    except phonenumbers.NumberParseException:
        return None
    kind = phonenumbers.number_type(n)
    names = {v: k.lower().replace("_", "-") for k, v in vars(phonenumbers.PhoneNumberType).items()
             if k.isupper() and isinstance(v, int)}
    name = names.get(kind)
    return {"fixed-line": "landline", "fixed-line-or-mobile": "landline-or-mobile"}.get(name, name)


def contact_columns(lookup: bool) -> tuple[Column, ...]:
    return (
        Column("person", "Person", style="bold"),
        Column("name"),
        Column("phone", "Phone"),
        Column("valid", "Valid", drop=2),
        Column("type", "Type", drop=3),
        *([Column("line_type", "Line (Twilio)", drop=4)] if lookup else []),
        Column("channels", "Channels", lambda v, r: ", ".join(v), drop=1),
        Column("rotations", "Rotations", lambda v, r: ", ".join(v) or "—", wrap=True),
        Column("problem", "Problem", lambda v, r: v or "", wrap=True),
    )


@contacts_app.callback()
@options()
def contacts(
    ctx: typer.Context,
    c: Context,
    lookup: Annotated[bool, typer.Option("--lookup", help="Ask Twilio Lookup for each line type.")] = False,
) -> None:
    """Every person: phone validity and type, channels, rotations (exit 1 if someone cannot get SMS)."""
    if ctx.invoked_subcommand:
        ctx.obj = c.dir
        return
    # --tz is accepted like on every read command (scripts pass it uniformly); nothing here is a time
    from ..paging import channels

    d = c.load()
    pager = make_pager(c.clock) if lookup else None
    rows = []
    for pid, p in sorted(d.people.items()):
        rots = sorted(rid for rid, r in d.rotations.items()
                      if pid in r.members or any(o.who == pid for o in r.overrides)
                      or any(s.kind == "person" and s.who == pid for s in r.steps))
        problem = p.phone_problem
        row = {"person": pid, "name": p.name, "phone": p.phone, "valid": p.phone_valid,
               "type": _phone_type(p.phone) if p.phone_valid else None, "channels": list(p.notify),
               "rotations": rots, "problem": problem}
        if pager is not None and p.phone_valid:
            from ..paging import PagerError

            try:
                row["line_type"] = pager.line_type(p.phone)
            except PagerError as e:
                if e.code == 20003:
                    raise PagingFailed(f"Twilio refused the credentials (error {e.code})") from None
                row["line_type"] = None
                row["problem"] = f"lookup failed: {e}"
            texts = [c for c in p.notify if channels.get(c).mobile_only]
            if texts and row["line_type"] == "landline":
                row["problem"] = f"landline: {texts[0].upper()} cannot arrive"
        rows.append(row)
    render.emit(c, Section(rows, contact_columns(lookup), "Contacts",
                           lambda r: "yellow" if r["problem"] else None))
    if any(r["problem"] for r in rows):
        raise typer.Exit(1)


@contacts_app.command("test")
def contacts_test(
    ctx: typer.Context,
    person: Annotated[str, typer.Argument(help="Person id.")],
    wait: Annotated[str, typer.Option("--wait", help="How long to wait for the ACK reply.")] = "5m",
    dir: DirOpt = DEFAULT_DIR,
    json: JsonOpt = False,
    format: FormatOpt = None,
) -> None:
    """Send PERSON a test SMS and wait for them to reply ACK (exit 0 replied, 1 not)."""
    from ..paging.escalation import Escalation

    if dir == DEFAULT_DIR and isinstance(ctx.obj, os.PathLike):
        dir = ctx.obj
    c = use(ctx, dir, json=json, format=format)
    d = c.load()
    check_person(d, person)
    patience = _duration(wait, "--wait")
    pager = make_pager(c.clock)
    log = open_store()
    now = c.now()
    msg = f"Test page for {d.people[person].name}."
    page_id, _ = log.open_page(None, msg, now, now + patience)
    engine = Escalation(d, pager, log, c.clock.now, c.clock.sleep)
    with Progress(engine, page_id, c):
        outcome, _ = engine.run(page_id, (Step(person, "person", patience),), msg, label="test", name="test",
                                channels=("sms",))
    _result(log.page(page_id), outcome, c)
    if EXIT[outcome]:
        raise typer.Exit(EXIT[outcome])
