"""One ``oncall notify`` run: plan what is due, then send each notice at most once.

Used by the command and by ``oncall serve``'s periodic task. The instant, the store and
the way a message is delivered are arguments, so a run is a function of them.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import datetime, timedelta

from ..model import Directory, Person
from ..paging import PagerError
from ..wording import rounded_duration
from . import plan
from .plan import CHANGE, REMINDER, Notice
from .store import FAILED, SENT, SKIPPED, UNKNOWN, NoticeStore

DEFAULT_GRACE = timedelta(hours=2)
DEFAULT_DAYS = 14
HELD = (REMINDER, CHANGE)  # not sent inside quiet hours (a handoff is: they are on call from then)

# (channel, address, person's name, subject, body) -> the provider's id; raises PagerError
Deliver = Callable[[str, str, str, str, str], str]


def pick_channel(p: Person) -> tuple[str, str] | None:
    """The channel and address a notice goes by: the first channel of the person's
    ``notify`` that carries notices (sms, email; not voice) and has their address, else
    email, else SMS; None when they have neither address."""
    from ..paging import channels

    for name in dict.fromkeys([*p.notify, "email", "sms"]):
        try:
            chan = channels.get(name)
        except KeyError:
            continue
        address = getattr(p, chan.address, None)
        if chan.notices and isinstance(address, str) and address:
            return name, address
    return None


def run(d: Directory, store: NoticeStore | None, t: datetime, deliver: Deliver, *, incidents: dict[str, list[dict]],
        grace: timedelta = DEFAULT_GRACE, days: int = DEFAULT_DAYS, dry_run: bool = False,
        log: Callable[[str], None] = print) -> list[dict]:
    """Send what is due at ``t``; one row per notice sent, failed or skipped (with
    ``dry_run``: what would be, writing nothing). ``store`` may be None only with ``dry_run``."""
    # Nothing before the first run was missed: it looks back only its grace window.
    first = (store.first_run(None if dry_run else t) if store else None) or t
    lookback = min(plan.LOOKBACK, max(t - first + grace, grace))
    due, shots = plan.due_now(d, t, grace, days, incidents, lookback)
    changes: list[Notice] = []
    for pid, shot in shots.items():
        if dry_run:
            n = plan.change(d, pid, store.snapshot(pid) if store else None, shot, t)
            changes += [n] if n and n.due <= t else []
        else:
            store.announce(pid, shot, t, lambda old, pid=pid, shot=shot: plan.change(d, pid, old, shot, t))
    if not dry_run:
        changes = store.pending(t)
    rows = []
    for n in due + changes:
        row = _one(d, store, t, n, deliver, grace, dry_run, log)
        if row:
            rows.append(row)
    return rows


def _one(d: Directory, store: NoticeStore | None, t: datetime, n: Notice, deliver: Deliver, grace: timedelta,
         dry_run: bool, log: Callable[[str], None]) -> dict | None:
    p = d.people.get(n.person)
    found = pick_channel(p) if p else None
    row = {"key": n.key, "kind": n.kind, "person": n.person, "rotation": n.rotation, "due": n.due,
           "channel": found[0] if found else None, "subject": n.subject, "body": n.body, "detail": ""}
    reason = _skip_reason(n, t, grace, p, found)
    if reason:
        if dry_run or store.skip(n, t, reason):
            log(f"skipped {n.kind} for {n.person}{f' ({n.rotation})' if n.rotation else ''}: {reason}")
            return row | {"status": SKIPPED, "detail": reason}
        return None
    if n.kind in HELD and plan.quiet_span(p, t):
        return None  # quiet hours: a later run sends it (change notices), or it is skipped (reminders)
    if dry_run:
        if store and store.status(n.key) not in (None, FAILED, "pending"):
            return None
        return row | {"status": "would-send"}
    if not store.claim(n, found[0], t):
        return None  # sent, or being sent, by another run
    try:
        sid = deliver(found[0], found[1], p.name, n.subject, n.body)
        status, detail = SENT, sid
    except PagerError as e:
        status, detail = (UNKNOWN if e.unknown else FAILED), str(e)
        log(f"{n.kind} for {n.person} {status}: {detail}")
    store.finish(n.key, status, t, detail)
    return row | {"status": status, "detail": detail}


def _skip_reason(n: Notice, t: datetime, grace: timedelta, p: Person | None,
                 found: tuple[str, str] | None) -> str | None:
    if p is None:
        return "no longer in people.toml"
    if n.latest is not None and t >= n.latest:
        late = rounded_duration(t - n.due)
        if n.due + grace <= t:
            return f"due {n.due.isoformat()}, {late} ago: past the {rounded_duration(grace)} grace window"
        return f"due {n.due.isoformat()}: the shift {'started' if n.kind == REMINDER else 'ended'} before this run"
    if found is None:
        return "no phone or email to send it to"
    return None


def make_pager():
    """Twilio from the environment, built when the first SMS notice goes out (tests
    replace this)."""
    import os

    from ..paging.twilio import Credentials, TwilioPager

    return TwilioPager(Credentials.from_env(), os.environ.get("ONCALL_TWILIO_BASE_URL") or None)


def deliverer() -> Deliver:
    """Delivery through the channel registry; the pager is built at the first SMS."""
    from ..errors import PagingFailed
    from ..paging import channels

    pager = []

    def deliver(channel: str, address: str, name: str, subject: str, body: str) -> str:
        chan = channels.get(channel)
        if chan.address == "phone" and not pager:
            try:
                pager.append(make_pager())
            except PagingFailed as e:
                raise PagerError(str(e), local=True) from None
        return chan.notice(pager[0] if pager else None, address, name, subject, body, timeout=10).sid

    return deliver


def open_incidents(store_exists: bool) -> dict[str, list[dict]]:
    """Open incidents by rotation, for handoff notices (none before any store exists)."""
    if not store_exists:
        return {}
    from ..paging.store import open_store

    store = open_store(readonly=True)
    out: dict[str, list[dict]] = {}
    for i in store.incidents(None) if store else []:
        if i["state"] != "resolved":
            out.setdefault(i["rotation"], []).append(i)
    return out

def job(root, now: Callable[[], datetime], log: Callable[[str], None]) -> Callable[[], int]:
    """One run over the folder ``root`` at ``now()``, as ``oncall serve`` repeats it;
    returns how many notices were sent."""
    from ..load import load_directory
    from .store import open_notices

    def once() -> int:
        store = open_notices()
        try:
            rows = run(load_directory(root), store, now(), deliverer(), incidents=open_incidents(True), log=log)
        finally:
            store.close()
        return sum(r["status"] == SENT for r in rows)

    return once
