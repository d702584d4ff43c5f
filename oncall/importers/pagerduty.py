"""PagerDuty REST API v2 dumps -> a Plan.

Inputs are response bodies: ``GET /users?include[]=contact_methods`` (``users``),
``GET /schedules/{id}?since=…&until=…`` (``schedule``), ``GET /escalation_policies``
(``escalation_policies``); docs/import.md lists the requests.

Translation, and the traps it handles:
- The API lists ``schedule_layers`` highest precedence first; in our files the last
  layer wins, so they are written in reverse.
- Turns are anchored at ``rotation_virtual_start`` (our ``start``); the layer covers
  nothing before its own ``start`` (our ``from``), so whoever is mid-turn then is right.
- ``restrictions`` mask shifts without moving handoffs, as our ``only`` does.
- ``end`` is our ``until``: a layer that ended is history and covers nothing after.
- Overrides come from ``overrides_subschedule``; the platform's own result, for
  ``--verify``, from ``final_schedule.rendered_schedule_entries``.
- Escalation: ``num_loops`` is unrolled (our files have no loops); a rule with several
  targets becomes one step per target, which is said in the notes.
"""

from __future__ import annotations

from datetime import datetime, timedelta
from typing import Any
from zoneinfo import ZoneInfo

from ..timeline import resolve, to_wall
from . import NewPerson, Plan, Rendered, RotationText
from .dump import WEEKDAYS as DAYS
from .dump import Doc, duration, grouped, head, merged, slug, toml_str, unique

ONE = {"schedules": "schedule", "users": "user", "escalation_policies": "escalation_policy"}  # list -> item
KINDS = ("schedule", "schedules", "users", "user", "escalation_policies", "escalation_policy")


def plan(docs: list[tuple[str, Any]]) -> Plan:
    """The people, rotation files and notes for PagerDuty responses ``docs``."""
    found: dict[str, list] = {"user": [], "schedule": [], "escalation_policy": []}
    pages: dict[str, list] = {}
    for file, value in docs:
        d = Doc(file)
        kind = _kind(d, value)
        many = kind in ONE
        items = d.items(value, "$", kind) if many else [(f"$.{kind}", d.get(value, "$", kind, dict, "an object"))]
        found[ONE.get(kind, kind)] += [(d, path, item) for path, item in items]
        if many:
            pages.setdefault(kind, []).append((d, value, len(items)))
    for kind, seen in pages.items():
        _all_pages(kind, seen)
    users = {d.text(u, p, "id"): (d, p, u) for d, p, u in merged(found["user"], "user")}
    schedules = merged(found["schedule"], "schedule")
    policies = merged(found["escalation_policy"], "escalation policy")
    people = [_person(d, path, u) for d, path, u in users.values()]
    ids: set[str] = set()
    rot_ids = {d.text(s, p, "id"): unique(slug(d.text(s, p, "name") or "", "schedule"), ids)
               for d, p, s in schedules}
    notes: list[str] = []
    rotations = []
    for d, p, s in schedules:
        sid = d.text(s, p, "id")
        steps = _escalation(sid, policies, users, rot_ids, notes)
        rotations.append(_schedule(d, p, s, rot_ids[sid], users, steps, notes))
    return Plan(people, rotations, notes)


def _all_pages(kind: str, pages: list) -> None:
    """Every page of a list PagerDuty split (``offset``, ``limit``, ``more``) is there:
    the pages cover the list from offset 0 without a hole (they may overlap), and the one
    that reaches furthest does not say ``more``."""
    reach, last = 0, None
    spans = sorted((((d.get(v, "$", "offset", int, "a number", optional=True) or 0), n, d, v) for d, v, n in pages),
                   key=lambda x: x[:2])
    for offset, count, d, value in spans:
        if offset > reach:
            d.fail("$.offset", f"the {kind} from offset {reach} to {offset} are missing: add the response of "
                               f"the same request with offset={reach} (docs/import.md)")
        if offset + count >= reach:
            reach, last = offset + count, (d, value)
    if last and last[1].get("more") is True:
        last[0].fail("$.more", f"more {kind} follow: add the response of the same request with "
                               f"offset={reach} (docs/import.md)")


def _kind(d: Doc, value: Any) -> str:
    if isinstance(value, dict):
        for kind in KINDS:
            if kind in value:
                return kind
    hint = " (this looks like an Opsgenie dump)" if isinstance(value, dict) and "requestId" in value else ""
    if isinstance(value, dict) and "results" in value:
        hint = " (this looks like a Grafana OnCall dump)"
    d.fail("$", f"not a PagerDuty API response{hint}: expected one of the keys {', '.join(KINDS)}")


def _person(d: Doc, path: str, u: dict) -> NewPerson:
    uid = d.text(u, path, "id")
    phone = None
    for kind in ("phone_contact_method", "sms_contact_method"):
        for cpath, c in d.items(u, path, "contact_methods", optional=True):
            if phone is None and isinstance(c, dict) and c.get("type") == kind and "address" in c:
                code = d.get(c, cpath, "country_code", int, "a number")
                phone = f"+{code}{d.text(c, cpath, 'address')}"
    return NewPerson(uid, d.text(u, path, "name"), d.text(u, path, "email", optional=True), phone,
                     d.user_zone(u, path, "time_zone"), f"PagerDuty user {uid}")


def _user(d: Doc, path: str, ref: Any, users: dict) -> str:
    uid = d.text(ref, path, "id")
    if uid not in users:
        d.fail(f"{path}.id", f"unknown user {uid!r}: add the output of GET /users (see docs/import.md)")
    return f'"@@{uid}@@"'


def _schedule(d: Doc, p: str, s: dict, rid: str, users: dict, steps: list[str], notes: list[str]) -> RotationText:
    tz, out, layers = head(d, p, s, "PagerDuty", "time_zone", "schedule_layers")
    names: set[str] = set()
    for n, (lp, layer) in reversed(list(enumerate(layers, 1))):
        out += _layer(d, lp, layer, n, len(layers), tz, users, names, notes, rid)
    out += _overrides(d, p, s, tz, users)
    out += steps
    return RotationText(rid, "\n".join(out) + "\n", _rendered(d, p, s, users))


def _layer(d: Doc, lp: str, layer: dict, n: int, total: int, tz: ZoneInfo, users: dict,
           names: set[str], notes: list[str], rid: str) -> list[str]:
    lid = d.text(layer, lp, "id")
    start = d.instant(layer, lp, "start")
    end = d.instant(layer, lp, "end", optional=True)
    virtual = d.instant(layer, lp, "rotation_virtual_start")
    turn = d.get(layer, lp, "rotation_turn_length_seconds", int, "a number of seconds")
    if turn < 60:
        d.fail(f"{lp}.rotation_turn_length_seconds", f"{turn} is shorter than a minute")
    members = [_user(d, f"{up}.user", d.get(u, up, "user", dict, "an object"), users)
               for up, u in d.items(layer, lp, "users")]
    if not members:
        d.fail(f"{lp}.users", "a layer needs at least one user")
    restrictions = d.items(layer, lp, "restrictions", optional=True)
    only = [w for w in (_restriction(d, rp, r) for rp, r in restrictions) if w != "-"]
    if restrictions and not only:
        notes.append(f"{rid}: PagerDuty layer {lid} has only zero-length restrictions: it covers nothing, not written")
        return ["", f"# PagerDuty layer {lid}: only zero-length restrictions, covers nothing (not written)"]
    if end is not None and end <= start:
        notes.append(f"{rid}: PagerDuty layer {lid} ends when it starts: it covers nothing, not written")
        return ["", f"# PagerDuty layer {lid}: ends before it starts, covers nothing (not written)"]
    every = timedelta(seconds=turn)
    anchor = to_wall(virtual, tz)
    if virtual > start:
        # Turns before the virtual start continue backwards: anchor at one at or before start.
        back = -(-(anchor - to_wall(start, tz)) // every)
        anchor -= back * every
        r = -back % len(members)
        members = members[r:] + members[:r]
    name = unique(slug(d.text(layer, lp, "name", optional=True) or "", f"layer-{n}"), names)
    out = ["", f"# PagerDuty layer {lid}, number {n} of {total} in the API's list (the first listed wins; "
               "here the last layer wins)", "[[layer]]", f"name = {toml_str(name)}",
           f"members = [{', '.join(members)}]",
           f"start = {anchor:%Y-%m-%dT%H:%M:%S}  # rotation_virtual_start: turns are anchored here",
           f"every = {toml_str(duration(turn))}"]
    if start > resolve(anchor, tz):
        out.append(f"from = {start.astimezone(tz).isoformat()}  # the layer's start: it covers nothing before")
    if only:
        only = grouped(only)
        out.append(f"only = [{', '.join(toml_str(w) for w in only)}]")
    if end is not None:
        out.append(f"until = {end.astimezone(tz).isoformat()}  # the layer's end: history from then on")
    return out


def _restriction(d: Doc, rp: str, r: dict) -> str:
    """A restriction as a window text; ``-`` for an empty one."""
    kind = d.text(r, rp, "type")
    tod = d.text(r, rp, "start_time_of_day")
    secs = d.get(r, rp, "duration_seconds", int, "a number of seconds")
    try:
        t = datetime.strptime(tod, "%H:%M:%S")
    except ValueError:
        d.fail(f"{rp}.start_time_of_day", f"{tod!r} is not a time of day (HH:MM:SS)")
    if t.second or secs % 60:
        d.fail(rp, "restrictions finer than a minute have no translation (our windows are in minutes)")
    begin = t.hour * 60 + t.minute
    if kind == "daily_restriction":
        if not 0 <= secs <= 86400:
            d.fail(f"{rp}.duration_seconds", f"{secs} is not within a day")
        day, limit = "daily ", 1440
    elif kind == "weekly_restriction":
        dow = d.get(r, rp, "start_day_of_week", int, "an ISO day number (1 is Monday)")
        if not 1 <= dow <= 7:
            d.fail(f"{rp}.start_day_of_week", f"{dow} is not an ISO day (1 is Monday, 7 Sunday)")
        if not 0 <= secs <= 604800:
            d.fail(f"{rp}.duration_seconds", f"{secs} is not within a week")
        begin += (dow - 1) * 1440
        day, limit = "", 10080
    else:
        d.fail(f"{rp}.type", f"unknown restriction type {kind!r} (daily_restriction or weekly_restriction)")
    if secs == 0:
        return "-"
    stop = (begin + secs // 60) % limit
    if day:
        return f"daily {_hm(begin)}-{_hm(stop)}"
    if secs <= 86400:
        return f"{DAYS[begin // 1440]} {_hm(begin % 1440)}-{_hm(stop % 1440)}"
    return f"{DAYS[begin // 1440]} {_hm(begin % 1440)} - {DAYS[stop // 1440]} {_hm(stop % 1440)}"


def _hm(minutes: int) -> str:
    return f"{minutes // 60:02d}:{minutes % 60:02d}"


def _overrides(d: Doc, p: str, s: dict, tz: ZoneInfo, users: dict) -> list[str]:
    sub = d.get(s, p, "overrides_subschedule", dict, "an object", optional=True)
    out = []
    for ep, e in d.items(sub, f"{p}.overrides_subschedule", "rendered_schedule_entries", optional=True) if sub else []:
        who = _user(d, f"{ep}.user", d.get(e, ep, "user", dict, "an object"), users)
        out += ["", f"# PagerDuty override ({ep.removeprefix('$.')})", "[[override]]", f"who = {who}",
                f"start = {d.instant(e, ep, 'start').astimezone(tz).isoformat()}",
                f"end = {d.instant(e, ep, 'end').astimezone(tz).isoformat()}"]
    return out


def _rendered(d: Doc, p: str, s: dict, users: dict) -> Rendered | None:
    final = d.get(s, p, "final_schedule", dict, "an object", optional=True)
    if not final or "rendered_schedule_entries" not in final:
        return None
    entries = []
    for ep, e in d.items(final, f"{p}.final_schedule", "rendered_schedule_entries"):
        who = _user(d, f"{ep}.user", d.get(e, ep, "user", dict, "an object"), users).strip('"@')
        entries.append((d.instant(e, ep, "start"), d.instant(e, ep, "end"), who))
    if not entries:
        return None
    return Rendered(min(e[0] for e in entries), max(e[1] for e in entries), tuple(entries))


def _escalation(sid: str, policies: list, users: dict, rot_ids: dict, notes: list[str]) -> list[str]:
    """The steps of the first policy whose rules name schedule ``sid``, loops unrolled."""
    mine = [(d, p, e) for d, p, e in policies
            if any(isinstance(t, dict) and t.get("id") == sid for r in e.get("escalation_rules") or []
                   if isinstance(r, dict) for t in r.get("targets") or [])]
    if not mine:
        return []
    d, p, ep = mine[0]
    rid = rot_ids[sid]
    for other in mine[1:]:
        notes.append(f"{rid}: PagerDuty escalation policy {other[2].get('id')} also pages this schedule; "
                     f"only {ep.get('id')} was written")
    loops = d.get(ep, p, "num_loops", int, "a number", optional=True) or 0
    head = f"# PagerDuty escalation policy {d.text(ep, p, 'id')} {toml_str(d.text(ep, p, 'name'))}"
    steps: list[tuple[str, int, str]] = []
    for rp, rule in d.items(ep, p, "escalation_rules"):
        delay = d.get(rule, rp, "escalation_delay_in_minutes", int, "a number of minutes")
        targets = d.items(rule, rp, "targets")
        if len(targets) > 1:
            notes.append(f"{rid}: {rp.removeprefix('$.')} of policy {ep.get('id')} pages {len(targets)} "
                         "targets at once; written as one step per target, one after another")
        for tp, t in targets:
            kind = d.text(t, tp, "type")
            if kind.startswith("user"):
                who = _user(d, tp, t, users)
            elif d.text(t, tp, "id") in rot_ids:
                who = toml_str(rot_ids[d.text(t, tp, "id")])
            else:
                d.fail(f"{tp}.id", f"schedule {d.text(t, tp, 'id')!r} is not in the dump: add its GET /schedules/ID")
            steps.append((who, delay, rp.removeprefix("$.")))
    out = ["", head + (f", num_loops = {loops}: unrolled, our steps do not loop" if loops else "")]
    for n in range(loops + 1):
        for who, delay, rp in steps:
            out += ["[[escalation]]" + (f"  # pass {n + 1} of {loops + 1}" if loops else ""),
                    f"who = {who}", f"wait = {toml_str(duration(delay * 60) if delay else '0m')}  # {rp}"]
    return out
