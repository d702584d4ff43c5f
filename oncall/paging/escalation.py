"""The escalation engine: pure logic driven by an injected pager, clock and sleep.

A page walks the steps of a policy, ``repeat + 1`` times. At each step:

* the person is resolved when the step starts (a rotation step: whoever is on call in
  that rotation at that instant; a person step: that person). Nobody on call, or a person
  who is unreachable (away, no or invalid phone, a number Twilio rejected earlier in this
  page), is logged and skipped at once;
* the person's channels are tried in order. The step's ``wait`` is shared among the
  channels still to try: each gets an equal part of what remains, so time a failed
  channel did not use passes to the next one, and the whole step never exceeds ``wait``;
* while waiting, the engine polls. Its incident first (renewing the page's lease): an
  acknowledgement or resolution from outside (``oncall ack``, ``serve``) stops the page,
  as acknowledged by whoever did it. Then Twilio: an inbound SMS starting with ``ack`` (any case) from
  any phone paged so far in this page, sent after it was first paged, acknowledges; so
  does a call Twilio reports answered by a ``human``. A failed or undelivered SMS, a
  delivery error 30003-30008, and a call that ended otherwise (machine, busy, no-answer,
  failed, canceled) move on at once.

Twilio faults: transient ones (429, 5xx, no answer) are retried with exponential backoff
and jitter, at least as long as Retry-After asks; 21211/21214 skip the person; 21610 and
21614 skip SMS for the person and call instead; 20003 stops the page (``PagingFailed``);
anything else moves to the next channel. Every outcome is written to the page store (``store.PageStore``). A page
in which Twilio accepted no send at all, because every send failed that way (Twilio down),
fails too: nobody could be paged, which is not the same as nobody answering.

``repeat``: a round in which nobody could be tried at all (every step skipped or
rate-limited) took no time, so repeating it would change nothing: the page ends there.

``no_wait``: stop at the first send Twilio accepts (outcome ``sent``).
"""

from __future__ import annotations

import random
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import datetime, timedelta

from ..coverage import unreachable_reason
from ..errors import PagingFailed
from ..model import Directory, Person, Step
from ..schedule import on_call
from . import BAD_CREDENTIALS, INVALID_NUMBER, Pager, PagerError
from . import channels as registry
from .channels import ACK, Channel, PageText
from .channels import FAILED as ENDED
from .store import TRIGGERED, PageStore

ACKNOWLEDGED, SENT, UNREACHED, DUPLICATE, FAILED = "acknowledged", "sent", "unreached", "duplicate", "failed"


@dataclass(frozen=True)
class Policy:
    """Tunables. ``limit`` sends per person per ``per`` (across all pages)."""

    limit: int = 10
    per: timedelta = timedelta(minutes=15)
    poll: timedelta = timedelta(seconds=5)
    retries: int = 4
    backoff: float = 1.0  # seconds before the first retry; doubles each time
    backoff_cap: float = 30.0
    retry_after_cap: float = 120.0
    deadline: float = 10.0  # seconds one request may take at most, in all
    grace: float = 2.0  # seconds a request may take past its channel's time, and at most past its step's


def resolve(directory: Directory, step: Step, at: datetime) -> str | None:
    """The person a step pages at instant ``at``."""
    if step.kind == "person":
        return step.who
    rotation = directory.rotations.get(step.who)
    return on_call(rotation, at).person if rotation else None


def plan(directory: Directory, steps: tuple[Step, ...], at: datetime) -> list[dict]:
    """What a page would do if every step ran at ``at``: one row per step."""
    rows = []
    for i, step in enumerate(steps, 1):
        pid = resolve(directory, step, at)
        person = directory.people.get(pid) if pid else None
        rows.append({"step": i, "who": step.who, "kind": step.kind, "wait": int(step.wait.total_seconds()),
                     "person": pid, "channels": list(person.notify) if person else [],
                     "unreachable": (unreachable_reason(person, at) if pid else "nobody-on-call")})
    return rows


def longest(steps: tuple[Step, ...], repeat: int) -> timedelta:
    """How long a page can run at most (its waits), used as the dedup horizon of an open page."""
    return sum((s.wait for s in steps), timedelta()) * (repeat + 1) + timedelta(minutes=5)


@dataclass
class _Run:
    page_id: int
    label: str
    name: str
    message: str
    # (address kind, address) -> (person, first paged): whose answers acknowledge
    paged: dict[tuple[str, str], tuple[str, datetime]] = field(default_factory=dict)
    refused: set[tuple[str, str]] = field(default_factory=set)  # (person, channel) the provider refused
    invalid: set[str] = field(default_factory=set)
    tried: int = 0  # sends attempted (not rate-limited)
    accepted: int = 0  # sends Twilio accepted
    error: str | None = None  # the last send that failed for Twilio's or the network's sake
    unknown: int = 0  # sends whose outcome is unknown (Twilio may have sent them)
    step_end: datetime | None = None  # when the current step's wait is over
    event: dict = field(default_factory=dict)  # the attempt under way, as on_status reports it


class _Acked(Exception):
    def __init__(self, person: str):
        self.person = person


class Escalation:
    def __init__(self, directory: Directory, pager: Pager, store: PageStore, now: Callable[[], datetime],
                 sleep: Callable[[float], None], policy: Policy = Policy(),
                 rand: Callable[[], float] = random.random, on_status: Callable[[dict], None] | None = None):
        self.d = directory
        self.pager = pager
        self.store = store
        self.now = now
        self.sleep = sleep
        self.policy = policy
        self.rand = rand
        self.on_status = on_status or (lambda event: None)

    def run(self, page_id: int, steps: tuple[Step, ...], message: str, *, label: str, name: str, repeat: int = 0,
            no_wait: bool = False, channels: tuple[str, ...] | None = None) -> tuple[str, str | None]:
        """Walk the policy; returns ``(outcome, acknowledged_by)`` and records it in the store."""
        run = _Run(page_id, label, name, message)
        try:
            outcome, who = self._walk(run, steps, repeat, no_wait, channels)
        except PagingFailed:
            self.store.finish_page(page_id, FAILED, self.now())
            raise
        self.store.finish_page(page_id, outcome, self.now(), who)
        return outcome, who

    def _walk(self, run: _Run, steps, repeat: int, no_wait: bool, channels) -> tuple[str, str | None]:
        for rnd in range(repeat + 1):
            tried = run.tried
            for i, step in enumerate(steps, 1):
                t = self.now()
                pid = resolve(self.d, step, t)
                person = self.d.people.get(pid) if pid else None
                reason = "nobody-on-call" if pid is None else unreachable_reason(person, t)
                if reason is None and pid in run.invalid:
                    reason = "invalid-number"
                if reason:
                    self.store.add_attempt(run.page_id, rnd, i, pid, None, "skipped", t, detail=reason)
                    self.on_status({"step": i, "person": pid, "channel": None, "status": f"skipped: {reason}"})
                    continue
                try:
                    if self._step(run, rnd, i, person, t + step.wait, no_wait, channels):
                        return SENT, None
                except _Acked as a:
                    return ACKNOWLEDGED, a.person
            if run.tried == tried:
                break
        if run.error and not run.accepted and not run.unknown:
            raise PagingFailed(f"nobody could be paged: Twilio refused or could not be reached for every send "
                               f"(last: {run.error}); page {run.page_id} stopped")
        return UNREACHED, None

    def _step(self, run: _Run, rnd: int, i: int, person: Person, deadline: datetime, no_wait: bool,
              names) -> bool:
        """Try the person's channels until the step's deadline; True when ``no_wait`` sent one.
        Raises ``_Acked`` on an acknowledgement."""
        chans = list(names or person.notify)
        run.step_end = deadline
        by = self._acked_elsewhere(run)
        if by:
            raise _Acked(by)
        k = 0
        while k < len(chans):
            name = chans[k]
            k += 1
            if (person.id, name) in run.refused:
                self.store.add_attempt(run.page_id, rnd, i, person.id, name, "skipped", self.now(),
                                       detail=f"{name} refused earlier in this page")
                continue
            left = sum(1 for c in chans[k - 1:] if (person.id, c) not in run.refused)
            share = max(deadline - self.now(), timedelta()) / max(left, 1)
            chan = registry.get(name)
            result = self._attempt(run, rnd, i, person, chan, self.now() + share, no_wait)
            if result == "sent":
                return True
            if result == "refused" and chan.fallback and chan.fallback not in chans[k:]:
                chans.append(chan.fallback)
            if result == "skip-person":
                return False
        return False

    def _attempt(self, run: _Run, rnd: int, i: int, person: Person, chan: Channel, until: datetime,
                 no_wait: bool) -> str:
        """One channel to one person: ``sent`` (no_wait), ``moved-on``, ``refused`` (this
        channel cannot reach them), ``skip-person``. Raises ``_Acked`` or ``PagingFailed``."""
        t = self.now()
        address = getattr(person, chan.address, None) or ""
        aid, allowed = self.store.start_attempt(run.page_id, rnd, i, person.id, chan.name, t, self.policy.limit,
                                                self.policy.per, phone=address or None)
        event = {"round": rnd, "step": i, "person": person.id, "channel": chan.name, "until": until}
        run.event = event
        if not allowed:
            self.on_status(event | {"status": "rate-limited"})
            return "moved-on"
        run.tried += 1
        text = PageText(run.label, run.name, run.page_id, run.message)
        try:
            sent, note = self._retry(lambda timeout: chan.send(self.pager, address, text, timeout=timeout), run,
                                     until)
        except PagerError as e:
            if e.unknown:
                return self._unknown(run, aid, person, chan, address, t, e, event)
            return self._refused(run, aid, person, chan, e)
        self.store.update_attempt(aid, sent.status, self.now(), sid=sent.sid, detail=note)
        run.accepted += 1
        run.paged.setdefault((chan.address, address), (person.id, t))
        self.on_status(event | {"status": sent.status} | ({"until": None} if no_wait else {}))
        if no_wait:
            return "sent"
        return self._wait(run, aid, person, chan, sent.sid, until, event)

    def _unknown(self, run: _Run, aid: int, person: Person, chan: Channel, address: str, t: datetime,
                 e: PagerError, event: dict) -> str:
        """The provider may have sent it: never resent (a second page to the same address),
        but an answer from that address counts; the next channel follows at once."""
        self.store.update_attempt(aid, "unknown", self.now(), error_code=e.code,
                                  detail=f"{e}; it may have been sent, so it is not sent again")
        run.unknown += 1
        run.paged.setdefault((chan.address, address), (person.id, t))
        self.on_status(event | {"status": "unknown"})
        return "moved-on"

    def _timeout(self, run: _Run, until: datetime) -> float | None:
        """Seconds the next request may take: what is left of the channel's time, at least
        ``grace`` (a request at its last moment still gets a fair chance), never more than
        ``grace`` past the step's end, nor more than ``deadline``. None: no time left at all."""
        now, p = self.now(), self.policy
        step_left = ((run.step_end or until) - now).total_seconds() + p.grace
        left = min(p.deadline, max((until - now).total_seconds(), p.grace), step_left)
        return left if left >= 0.05 else None

    def _refused(self, run: _Run, aid: int, person: Person, chan: Channel, e: PagerError) -> str:
        code = e.code
        at = self.now()
        if code == BAD_CREDENTIALS:
            self.store.update_attempt(aid, "failed", at, error_code=code, detail=str(e))
            raise PagingFailed(f"Twilio refused the credentials (error {code}); page {run.page_id} stopped")
        if code in INVALID_NUMBER:
            run.invalid.add(person.id)
            self.store.update_attempt(aid, "invalid-number", at, error_code=code, detail=str(e))
            return "skip-person"
        status = chan.refusal(code)
        if status:
            run.refused.add((person.id, chan.name))
            self.store.update_attempt(aid, status, at, error_code=code, detail=str(e))
            return "refused"
        self.store.update_attempt(aid, "error", at, error_code=code, detail=str(e))
        run.error = str(e)
        return "moved-on"

    def _wait(self, run: _Run, aid: int, person: Person, chan: Channel, sid: str, until: datetime,
              event: dict) -> str:
        status = None
        while True:
            self.sleep(max(0.0, min(self.policy.poll, until - self.now()).total_seconds()))
            try:
                timeout = self._timeout(run, until)
                polled = chan.poll(self.pager, sid, timeout=timeout) if timeout else None
            except PagerError as e:
                if e.code == BAD_CREDENTIALS:
                    self.store.update_attempt(aid, "failed", self.now(), error_code=e.code, detail=str(e))
                    raise PagingFailed(
                        f"Twilio refused the credentials (error {e.code}); page {run.page_id} stopped") from None
                polled = None  # a failed poll is not a verdict; poll again
            if polled:
                status = polled
            acker = self._acked_elsewhere(run) or self._check_acks(run, event, until)
            if acker:
                self._stop(run, until, chan, sid, status)
                self.store.update_attempt(aid, status.status if status else "sent", self.now())
                raise _Acked(acker)
            if polled:
                self.on_status(event | {"status": status.answered_by or status.status})
                verdict = chan.verdict(status)
                if verdict == ACK:
                    self.store.update_attempt(aid, "acknowledged", self.now(), detail=chan.detail(status))
                    raise _Acked(person.id)
                if verdict == ENDED:
                    self._stop(run, until, chan, sid, status)
                    self.store.update_attempt(aid, status.status, self.now(), error_code=status.error_code,
                                              detail=chan.detail(status))
                    return "moved-on"
            if self.now() >= until:
                self._stop(run, until, chan, sid, status)
                last = status.status if status else "unknown"
                self.store.update_attempt(aid, last, self.now(), detail="no acknowledgement in time")
                return "moved-on"

    def _stop(self, run: _Run, until: datetime, chan: Channel, sid: str, status) -> None:
        try:
            chan.stop(self.pager, sid, status, timeout=self._timeout(run, until) or self.policy.grace)
        except PagerError:
            pass  # the attempt ends by itself; nothing more to do

    def _acked_elsewhere(self, run: _Run) -> str | None:
        """Renew the page's lease and look at its incident: who acknowledged or resolved it
        outside this run (``oncall ack``, ``serve``), if anyone did."""
        state, by = self.store.heartbeat(run.page_id, self.now())
        return None if state == TRIGGERED else (by or "someone")

    def _check_acks(self, run: _Run, event: dict, until: datetime) -> str | None:
        """The person whose inbound answer (an SMS ``ack``...) acknowledges the page, if
        any, on any channel that listens on an address paged so far; it is logged. Each
        request is bounded by ``_timeout``; with no time left the next poll looks again."""
        listeners = [registry.get(n) for n in registry.names()]
        for (kind, address), (pid, since) in list(run.paged.items()):
            for chan in listeners:
                if chan.address != kind or type(chan).replied is Channel.replied:
                    continue
                timeout = self._timeout(run, until)
                if timeout is None:
                    return None
                try:
                    at = chan.replied(self.pager, address, since, timeout=timeout)
                except PagerError:
                    continue  # a failed poll is retried at the next tick
                if at is not None:
                    said = f"replied at {at.isoformat(timespec='seconds')}"
                    self.store.add_attempt(run.page_id, event["round"], event["step"], pid, f"{chan.name}-reply",
                                           "acknowledged", self.now(), detail=said)
                    return pid
        return None

    def _retry(self, send: Callable[[float], object], run: _Run, until: datetime):
        """``send(timeout)`` with bounded retries of transient faults; returns ``(result, note)``.
        A retry that could not start before ``until`` (the channel's time) is not made: no
        retry outlives its step, whatever Retry-After asks."""
        p = self.policy
        codes: list[str] = []
        for n in range(p.retries + 1):
            timeout = self._timeout(run, until)
            if timeout is None:
                raise PagerError("no time left in this step" + (f" (after retries: {', '.join(codes)})"
                                                                 if codes else ""), local=True)
            try:
                return send(timeout), (f"retried after {', '.join(codes)}" if codes else "")
            except PagerError as e:
                delay = self._backoff(n, e)
                late = e.transient and n < p.retries and self.now() + timedelta(seconds=delay) >= until
                if not e.transient or n == p.retries or late:
                    notes = [f"after retries: {', '.join(codes)}"] if codes else []
                    if late:
                        notes.append("no time left in this step for a retry")
                    if notes:
                        e.args = (f"{e.args[0]} ({'; '.join(notes)})",)
                    raise
                codes.append(str(e.code or e.status or "connection error"))
                self.on_status(run.event | {"status": "retrying", "detail": f"{codes[-1]}, retry {n + 1} of "
                                            f"{p.retries} in {delay:.0f}s"})
                self.store.heartbeat(run.page_id, self.now(), timedelta(seconds=delay))  # alive while it waits
                self.sleep(delay)
        raise AssertionError("unreachable")

    def _backoff(self, n: int, e: PagerError) -> float:
        """Seconds before retry ``n + 1``: exponential with jitter, at least what Retry-After asks."""
        p = self.policy
        delay = min(p.backoff_cap, p.backoff * 2 ** n)
        delay = delay / 2 + self.rand() * delay / 2
        if e.retry_after is not None:
            delay = max(delay, min(e.retry_after, p.retry_after_cap))
        return delay
