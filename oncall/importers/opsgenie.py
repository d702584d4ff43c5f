"""Opsgenie REST API v2 dumps -> a Plan.

Inputs are response bodies (``{"data": …, "took": …, "requestId": …}``):
``GET /v2/users`` (users), ``GET /v2/users/{id}?expand=contact`` (a user with their
``userContacts``: phones), ``GET /v2/schedules/{id}`` (a schedule with its rotations),
``GET /v2/schedules/{id}/overrides`` and ``GET /v2/schedules/{id}/timeline`` (the
rendered result, for ``--verify``), ``GET /v2/escalations``; docs/import.md lists the
requests.

Translation, and what has no faithful one:
- A rotation is a layer: ``startDate`` is the first handoff, ``length`` × ``type``
  (hourly, daily, weekly) the turn, ``endDate`` the ``until``.
- ``timeRestriction``: ``time-of-day`` is one daily window; ``weekday-and-time-of-day``
  is, per entry, ONE continuous interval from ``startDay startHour:startMin`` to
  ``endDay endHour:endMin`` (``monday 08:00`` to ``friday 18:00`` is four and a half
  days, not five mornings). Both the singular ``restriction`` and the list
  ``restrictions`` are read, whichever the dump has.
- Opsgenie's rotations are additive: everyone on call in any rotation is notified.
  Our layers take precedence (one person at a time), so a schedule with several
  rotations gets a note, and ``--verify`` lists every minute where they overlapped.
- An override scoped to some rotations replaces only those; ours replaces the whole
  schedule: such overrides are written whole and named in a note.
- Participants that are teams, escalations or ``none`` have no translation: refused.
- An escalation's rule ``delay`` counts from the alert's creation; our ``wait`` from the
  step before: each step waits until the next rule's delay. ``repeat`` is unrolled
  (``count`` more passes, ``waitInterval`` between them), since our steps do not loop.
"""

from __future__ import annotations

import re
from functools import partial
from typing import Any
from zoneinfo import ZoneInfo

from ..timeline import to_wall
from . import NewPerson, Plan, Rendered, RotationText
from .dump import Doc, head, slug, toml_str, unique
from .opsgenie_escalation import escalation

DAYS = {"monday": "mon", "tuesday": "tue", "wednesday": "wed", "thursday": "thu", "friday": "fri",
        "saturday": "sat", "sunday": "sun"}
UNITS = {"hourly": "h", "daily": "d", "weekly": "w"}


def plan(docs: list[tuple[str, Any]]) -> Plan:
    """The people, rotation files and notes for Opsgenie responses ``docs``."""
    users: dict[str, tuple[Doc, str, dict]] = {}
    schedules, overrides, timelines, escalations = [], [], {}, []
    for file, value in docs:
        d = Doc(file)
        if not isinstance(value, dict) or "data" not in value or "requestId" not in value:
            hint = " (this looks like a PagerDuty dump)" if isinstance(value, dict) and (
                {"schedule", "schedules", "users"} & set(value)) else ""
            d.fail("$", f"not an Opsgenie API response{hint}: expected data, took and requestId")
        data = value["data"]
        items = [(f"$.data[{i}]", x) for i, x in enumerate(data)] if isinstance(data, list) else [("$.data", data)]
        for path, item in items:
            if not isinstance(item, dict):
                d.fail(path, "must be an object")
            if "finalTimeline" in item:
                parent = d.get(item, path, "_parent", dict, "an object")
                timelines[d.text(parent, f"{path}._parent", "id")] = (d, path, item)
            elif "alias" in item and "user" in item:
                overrides.append((d, path, item))
            elif "rotations" in item:
                schedules.append((d, path, item))
            elif "rules" in item:
                escalations.append((d, path, item))
            elif "username" in item:
                uid = d.text(item, path, "id")
                if uid not in users or "userContacts" in item:  # the user's own GET has the phones
                    users[uid] = (d, path, item)
            else:
                d.fail(path, "not a user, schedule, override or timeline")
    by_name = {d.text(u, p, "username").lower(): uid for uid, (d, p, u) in users.items()}
    people = [NewPerson(uid, d.text(u, p, "fullName"), d.text(u, p, "username"), _phone(d, p, u),
                        d.user_zone(u, p, "timeZone"), f"Opsgenie user {uid}") for uid, (d, p, u) in users.items()]
    notes: list[str] = []
    ids: set[str] = set()
    rotations = []
    rot_ids = {d.text(s, p, "id"): unique(slug(d.text(s, p, "name"), "schedule"), ids) for d, p, s in schedules}
    targets = rot_ids | {s["name"]: rot_ids[s["id"]] for _, _, s in schedules}  # rules name schedules by either
    for d, p, s in schedules:
        sid = d.text(s, p, "id")
        rid = rot_ids[sid]
        mine = [o for o in overrides if (o[2].get("_parent") or {}).get("id") == sid]
        body = _schedule(d, p, s, rid, (users, by_name), mine, notes)
        body += escalation(s, rid, escalations, targets, partial(_user, known=(users, by_name)), notes)
        rotations.append(RotationText(rid, body, _rendered(timelines.get(sid), (users, by_name))))
    return Plan(people, rotations, notes)


def _phone(d: Doc, p: str, u: dict) -> str | None:
    """The first enabled voice contact, else sms: Opsgenie writes ``to`` as
    ``countrycode-number`` (``1-4155550101``), which is E.164 without its ``+``."""
    contacts = [(cp, c) for cp, c in d.items(u, p, "userContacts", optional=True) if isinstance(c, dict)]
    for method in ("voice", "sms"):
        for cp, c in contacts:
            if c.get("contactMethod") == method and c.get("enabled", True):
                to = d.text(c, cp, "to")
                if not re.fullmatch(r"\+?[0-9]{1,3}-?[0-9 ]{4,14}", to):
                    d.fail(f"{cp}.to", f"{to!r} is not a phone number (countrycode-number, e.g. 1-4155550101)")
                return "+" + re.sub(r"[^0-9]", "", to)
    return None


def _user(d: Doc, path: str, ref: Any, known: tuple[dict, dict]) -> str:
    users, by_name = known
    if not isinstance(ref, dict):
        d.fail(path, "must be an object")
    kind = ref.get("type", "user")
    if kind != "user":
        d.fail(f"{path}.type", f"a {kind!r} participant has no translation (our layers rotate people)")
    uid = ref.get("id") or by_name.get(str(ref.get("username") or ref.get("name") or "").lower())
    if uid not in users:
        d.fail(f"{path}.id", f"unknown user {ref.get('id') or ref.get('username')!r}: add the output of GET /v2/users")
    return f'"@@{uid}@@"'


def _schedule(d: Doc, p: str, s: dict, rid: str, known, overrides: list, notes: list[str]) -> str:
    tz, out, rots = head(d, p, s, "Opsgenie", "timezone", "rotations")
    if len(rots) > 1:
        notes.append(f"{rid}: Opsgenie pages everyone on call in any of its {len(rots)} rotations at once; "
                     "our layers take precedence (the last rotation listed wins where they overlap); "
                     "--verify lists any such minutes")
    names: set[str] = set()
    for n, (rp, r) in enumerate(rots, 1):
        out += _rotation(d, rp, r, n, tz, known, names)
    all_ids = {r.get("id") for _, r in rots}
    for od, op, o in overrides:
        scoped = {x.get("id") for x in o.get("rotations") or [] if isinstance(x, dict)}
        if scoped and scoped != all_ids:
            notes.append(f"{rid}: Opsgenie override {o.get('alias')!r} applies to some rotations only; "
                         "written for the whole schedule")
        out += ["", f"# Opsgenie override {o.get('alias')}", "[[override]]",
                f"who = {_user(od, f'{op}.user', o['user'], known)}",
                f"start = {od.instant(o, op, 'startDate').astimezone(tz).isoformat()}",
                f"end = {od.instant(o, op, 'endDate').astimezone(tz).isoformat()}",
                f"note = {toml_str('Opsgenie override ' + str(o.get('alias')))}"]
    return "\n".join(out) + "\n"


def _rotation(d: Doc, rp: str, r: dict, n: int, tz: ZoneInfo, known, names: set[str]) -> list[str]:
    kind = d.text(r, rp, "type")
    if kind not in UNITS:
        d.fail(f"{rp}.type", f"unknown rotation type {kind!r} (hourly, daily or weekly)")
    length = d.get(r, rp, "length", int, "a number", optional=True) or 1
    if length < 1:
        d.fail(f"{rp}.length", f"{length} is not a positive length")
    members = [_user(d, pp, x, known) for pp, x in d.items(r, rp, "participants")]
    if not members:
        d.fail(f"{rp}.participants", "a rotation needs at least one participant")
    start = d.instant(r, rp, "startDate")
    end = d.instant(r, rp, "endDate", optional=True)
    name = unique(slug(d.text(r, rp, "name", optional=True) or "", f"rotation-{n}"), names)
    out = ["", f"# Opsgenie rotation {d.text(r, rp, 'id')}", "[[layer]]", f"name = {toml_str(name)}",
           f"members = [{', '.join(members)}]", f"start = {to_wall(start, tz):%Y-%m-%dT%H:%M:%S}",
           f"every = {toml_str(f'{length}{UNITS[kind]}')}"]
    only = _restriction(d, rp, r.get("timeRestriction"))
    if only:
        out.append(f"only = [{', '.join(toml_str(w) for w in only)}]")
    if end is not None:
        out.append(f"until = {end.astimezone(tz).isoformat()}")
    return out


def _restriction(d: Doc, rp: str, tr: Any) -> list[str]:
    if tr is None:
        return []
    path = f"{rp}.timeRestriction"
    kind = d.text(tr, path, "type")
    if kind not in ("time-of-day", "weekday-and-time-of-day"):
        d.fail(f"{path}.type", f"unknown restriction type {kind!r}")
    key = "restrictions" if "restrictions" in tr else "restriction"
    raw = tr.get(key)
    items = d.items(tr, path, key) if isinstance(raw, list) else [(f"{path}.{key}", d.get(tr, path, key, dict,
                                                                                     "an object"))]
    out = []
    for ip, x in items:
        a = f"{_num(d, x, ip, 'startHour', 23):02d}:{_num(d, x, ip, 'startMin', 59):02d}"
        b = f"{_num(d, x, ip, 'endHour', 24):02d}:{_num(d, x, ip, 'endMin', 59):02d}"
        if kind == "time-of-day":
            out.append(f"daily {a}-{b}")
            continue
        days = []
        for k in ("startDay", "endDay"):
            day = d.text(x, ip, k)
            if day.lower() not in DAYS:
                d.fail(f"{ip}.{k}", f"{day!r} is not a day name (monday … sunday)")
            days.append(DAYS[day.lower()])
        out.append(f"{days[0]} {a} - {days[1]} {b}")
    return out


def _num(d: Doc, x: Any, path: str, key: str, high: int) -> int:
    v = d.get(x, path, key, int, "a number", optional=True) or 0
    if not 0 <= v <= high:
        d.fail(f"{path}.{key}", f"{v} is out of range 0-{high}")
    return v


def _rendered(found, known) -> Rendered | None:
    if not found:
        return None
    d, p, t = found
    entries = []
    final = d.get(t, p, "finalTimeline", dict, "an object")
    for rp, r in d.items(final, f"{p}.finalTimeline", "rotations"):
        for ep, e in d.items(r, rp, "periods", optional=True):
            who = _user(d, f"{ep}.recipient", d.get(e, ep, "recipient", dict, "an object"), known).strip('"@')
            entries.append((d.instant(e, ep, "startDate"), d.instant(e, ep, "endDate"), who))
    return Rendered(d.instant(t, p, "startDate"), d.instant(t, p, "endDate"), tuple(entries))
