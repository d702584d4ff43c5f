"""Runs due escalation steps from the store (semantics in the package docstring).

``Stepper.run_due`` claims one due timer at a time, pages, and writes the next timer; the
clock, the pager and the data folder are injected, so tests drive it without a server.
"""

from __future__ import annotations

import os
import uuid
from collections.abc import Callable
from datetime import datetime, timedelta

from ..coverage import unreachable_reason
from ..paging import PagerError
from ..paging.escalation import resolve
from ..paging.store import TRIGGERED, Claim, IncidentStore
from ..paging.text import sms_body, twiml


def callback_pager(public_url: str):
    """A ``TwilioPager`` whose sends ask Twilio for status callbacks at ``public_url``."""
    from ..paging.twilio import Credentials, TwilioPager

    class CallbackPager(TwilioPager):
        def send_with_callback(self, channel: str, to: str, content: str, callback: str):
            if channel == "sms":
                m = self._do(lambda: self.client.messages.create(to=to, body=content, status_callback=callback,
                                                                 **self._sender()))
                return m.sid, m.status or "queued"
            if not self.creds.sender:
                raise PagerError("calls need TWILIO_FROM (a messaging service cannot place calls)", local=True)
            c = self._do(lambda: self.client.calls.create(
                to=to, from_=self.creds.sender, twiml=content, machine_detection="Enable", status_callback=callback))
            return c.sid, c.status or "queued"

    return CallbackPager(Credentials.from_env(), os.environ.get("ONCALL_TWILIO_BASE_URL") or None)


class Stepper:
    def __init__(self, store: IncidentStore, load: Callable, pager, now: Callable[[], datetime], public_url: str,
                 metrics=None):
        self.store, self.load, self.pager, self.now = store, load, pager, now
        self.public_url = public_url.rstrip("/")
        self.owner = f"{os.getpid()}-{uuid.uuid4().hex[:8]}"
        self.metrics = metrics

    def run_due(self, most: int = 50) -> int:
        """Fire up to ``most`` due steps; returns how many fired."""
        for n in range(most):
            claim = self.store.claim(self.owner, self.now())
            if claim is None:
                return n
            self.fire(claim)
        return most

    def fire(self, claim: Claim) -> None:
        now = self.now()
        if self.metrics:
            self.metrics.step_latency.observe(max(0.0, (now - claim.due).total_seconds()))
        inc = self.store.incident(claim.incident_id)
        if inc is None or inc["state"] != TRIGGERED:
            self.store.fired(claim, self.owner, {"status": "skipped", "detail": "no longer triggered", "at": now}, None)
            return
        try:
            d = self.load(inc["rotation"])
            steps = d.rotations[inc["rotation"]].steps
        except Exception as e:  # a broken or removed file: say so, try again soon rather than page nobody
            detail = f"cannot read the rotation: {str(e).splitlines()[0] if str(e) else type(e).__name__}"
            self.store.fired(claim, self.owner, {"status": "error", "detail": detail[:300], "at": now},
                             (claim.step, claim.chan, now + timedelta(seconds=30)))
            return
        if claim.step >= len(steps):
            self.store.fired(claim, self.owner, {"status": "exhausted", "at": now}, None)
            return
        step = steps[claim.step]
        def after(at: datetime) -> tuple[int, int, datetime]:
            return claim.step + 1, 0, at  # past the last step, this timer records the end
        pid = resolve(d, step, now)
        person = d.people.get(pid) if pid else None
        reason = "nobody-on-call" if pid is None else unreachable_reason(person, now)
        if reason:
            self.store.fired(claim, self.owner, {"person": pid, "status": "skipped", "detail": reason, "at": now},
                             after(now))
            return
        chans = [c for c in person.notify if not (c == "sms" and self.store.opted_out(person.phone))] or ["voice"]
        if claim.stale is not None or claim.chan >= len(chans):
            nxt = (claim.step, claim.chan + 1, now) if claim.chan + 1 < len(chans) else after(now)
            self.store.fired(claim, self.owner, {"person": pid, "status": "skipped", "detail": "after unknown",
                                                 "at": now}, nxt)
            return
        share = step.wait / len(chans)
        nxt = (claim.step, claim.chan + 1, now + share) if claim.chan + 1 < len(chans) else after(now + share)
        self._send(claim, inc, d.rotations[inc["rotation"]].name, person, chans[claim.chan], nxt)

    def _send(self, claim: Claim, inc: dict, name: str, person, channel: str, nxt) -> None:
        """Page ``person`` on ``channel``: SMS and voice through Twilio with status callbacks
        (and the call's keypresses), any other channel through its registry ``send``."""
        record = {"person": person.id, "channel": channel}
        try:
            if channel in ("sms", "voice"):
                record["phone"] = person.phone
                sid, status = self._twilio(claim, inc, name, person.phone, channel)
            else:
                from ..paging import channels

                chan = channels.get(channel)
                sent = chan.send(self.pager, getattr(person, chan.address),
                                 channels.PageText(inc["rotation"], name, inc["id"], inc["message"]))
                sid, status = sent.sid, sent.status
            record |= {"sid": sid, "status": status}
            if self.metrics:
                self.metrics.sent.labels(channel).inc()
        except PagerError as e:
            # As ``oncall page``: a send the provider may have acted on is ``unknown`` and never
            # resent; either way the next channel follows at once.
            record |= {"status": "unknown", "detail": f"{e}; it may have been sent, so it is not sent again"} \
                if e.unknown else {"status": "error", "detail": str(e)}
            record["error_code"] = e.code
            nxt = (nxt[0], nxt[1], self.now())
            if self.metrics:
                self.metrics.failed.labels(channel).inc()
        self.store.fired(claim, self.owner, record | {"at": self.now()}, nxt)

    def _twilio(self, claim: Claim, inc: dict, name: str, phone: str, channel: str) -> tuple[str, str]:
        base = f"{self.public_url}/v1/twilio"
        callback = f"{base}/status?attempt={claim.attempt_id}"
        if channel == "sms":
            content = sms_body(inc["rotation"], inc["id"], inc["message"])
        else:
            content = twiml(name, inc["id"], inc["message"],
                            gather=f"{base}/voice?incident={inc['id']}&attempt={claim.attempt_id}")
        return self.pager.send_with_callback(channel, phone, content, callback)
