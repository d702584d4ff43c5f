"""What ``page`` says while it runs: a line of progress on stderr for each change of an
attempt (send, wait, retry, skip), a live countdown on a terminal, and why a dry run
found nobody to page. Not a command module: ``page`` imports it."""

from __future__ import annotations

import sys

from .. import render
from ..sanitize import terminal_safe

SKIPPED = {  # plan()'s reasons, as words
    "nobody-on-call": "nobody is on call", "away": "{} is away", "no-phone": "{} has no phone",
    "invalid-phone": "{}'s phone is not a number that can be dialled"}


def nobody_why(steps: list[dict], at, zone) -> str | None:
    """Why no step of a plan (``escalation.plan``) could page anyone at ``at``, or None."""
    if not all(s["unreachable"] for s in steps):
        return None
    return f"nobody could be paged at {render.when(at, zone)}: " + steps_why(steps)


def steps_why(steps: list[dict]) -> str:
    """Why each step of a plan would page nobody: ``step 1 (platform): bob is away; ...``."""
    return "; ".join(f"step {s['step']} ({s['who']}): " + SKIPPED.get(s["unreachable"], s["unreachable"] + " {}")
                     .format(s["person"]) for s in steps)


class Progress:
    """Progress on stderr: a line for each send, wait, retry and skip, whatever stderr is
    (a script's log shows what a page did while it ran), and on a terminal without
    ``--json`` a live line counting down the time left."""

    def __init__(self, engine, page_id: int, c):
        self.page_id, self.live, self.clock, self.zone = page_id, None, c.clock, c.zone
        self.event: dict = {}
        self.said: str | None = None
        engine.on_status = self.update
        console = render.console(stderr=True)
        if c.format == "json" or not console.is_terminal:
            return
        from rich.live import Live

        self.live = Live(self, console=console, refresh_per_second=2, transient=True)

    def update(self, event: dict) -> None:
        self.event = event
        line = terminal_safe(f"oncall: page #{self.page_id}: {progress(event, self.zone)}")
        if line != self.said:  # a poll that changes nothing says nothing
            self.said = line
            if self.live:
                self.live.console.print(line, markup=False, highlight=False)
            else:
                print(line, file=sys.stderr, flush=True)

    def __rich__(self) -> str:
        e = self.event
        if not e:
            return f"page #{self.page_id}: starting"
        left = ""
        if e.get("until"):
            secs = max(0, int((e["until"] - self.clock.now()).total_seconds()))
            left = f"  {secs // 60}:{secs % 60:02d} left"
        return (f"page #{self.page_id}  step {e.get('step')}  {e.get('person') or '—'}  "
                f"{e.get('channel') or ''}  {e.get('status')}{left}")

    def __enter__(self):
        if self.live:
            self.live.__enter__()
        return self

    def __exit__(self, *exc):
        if self.live:
            self.live.__exit__(*exc)


ENDED = {"failed", "undelivered", "busy", "no-answer", "canceled", "completed", "rate-limited", "unknown", "machine"}


def progress(event: dict, zone) -> str:
    """One engine event (``Escalation.on_status``) as a line of progress."""
    step, person, channel, status = event.get("step"), event.get("person"), event.get("channel"), event["status"]
    if status.startswith("skipped"):
        return f"step {step}: {status.replace('skipped: ', 'skipped ' + (person or 'nobody') + ': ')}"
    who = f"step {step}: {person} {channel}"
    if status == "retrying":
        return f"{who}: {event['detail']}"
    if status == "rate-limited":
        return f"{who}: rate-limited, not sent"
    if status == "unknown":
        return f"{who}: outcome unknown (it may have been sent, so it is not sent again); next channel"
    if status in ENDED or status.startswith("machine") or not event.get("until"):
        return f"{who}: {status}"
    return f"{who}: {status}; waiting for an acknowledgement until {render.when(event['until'], zone)}"
