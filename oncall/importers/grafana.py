"""Grafana OnCall public API (``/api/v1``) dumps -> a Plan.

Inputs are response bodies, lists (``{"count", "next", "previous", "results", ...}``) or
single objects: ``/api/v1/users/``, ``/api/v1/schedules/``, ``/api/v1/on_call_shifts/``,
``/api/v1/escalation_chains/``, ``/api/v1/escalation_policies/``, and for ``--verify``
``/api/v1/schedules/{id}/final_shifts?start_date=…&end_date=…``, whose body names neither
the schedule nor the window: its file is named ``final_shifts.ID.START.END.json``.
docs/import.md lists the requests.

A schedule's shifts become layers ordered by ``level`` (a higher level wins; our last
layer wins), overrides become ``[[override]]`` (they beat every level in both); see
``grafana_shifts`` for one shift. Within one level Grafana puts everyone whose shift
covers the moment on call at once; ours the later shift: a note says so and --verify
lists any such minute. An escalation chain whose steps page a schedule is written as its
``[[escalation]]``; ``ical`` schedules (their shifts are an outside calendar) are not.
"""

from __future__ import annotations

import re
from datetime import datetime, timezone
from pathlib import Path
from typing import Any

from . import NewPerson, Plan, Rendered, RotationText
from .dump import Doc, Found, duration, head, merged, slug, toml_str, unique
from .grafana_shifts import Shift, translate

SHIFT_TYPES = ("single_event", "recurrent_event", "rolling_users", "override")
FINAL = re.compile(r"final_shifts\.([A-Za-z0-9]+)\.(\d{4}-\d\d-\d\d(?:T\d\d:\d\d)?)\.(\d{4}-\d\d-\d\d(?:T\d\d:\d\d)?)"
                   r"\.json$")


def plan(docs: list[tuple[str, Any]]) -> Plan:
    """The people, rotation files and notes for Grafana OnCall responses ``docs``."""
    found: dict[str, list[Found]] = {k: [] for k in ("user", "schedule", "shift", "chain", "policy", "final")}
    pages: dict[str, list] = {}
    for file, value in docs:
        d = Doc(file)
        items = _items(d, value)
        for path, item in items:
            found[_kind(d, path, item)].append((d, path, item))
        if "results" in value and items:
            pages.setdefault(_kind(d, *items[0]), []).append((d, value))
    for kind, seen in pages.items():
        if kind != "final":
            _all_pages(kind, seen)
    users = {d.text(u, p, "id"): (d, p, u) for d, p, u in merged(found["user"], "user")}
    shifts = {d.text(s, p, "id"): (d, p, s) for d, p, s in merged(found["shift"], "on-call shift")}
    chains = merged(found["chain"], "escalation chain")
    policies = merged(found["policy"], "escalation policy")
    finals = _finals(found["final"])
    people = [NewPerson(uid, d.text(u, p, "username"), d.text(u, p, "email", optional=True), None,
                        d.user_zone(u, p, "timezone"), f"Grafana OnCall user {uid}")
              for uid, (d, p, u) in users.items()]
    notes: list[str] = []
    taken: set[str] = set()
    todo = []
    for d, p, s in merged(found["schedule"], "schedule"):
        sid = d.text(s, p, "id")
        if d.text(s, p, "type") == "ical":
            notes.append(f"Grafana OnCall schedule {sid} is an iCal schedule (its shifts are an outside calendar, "
                         "not in the API): not written; import that calendar's rotation by hand")
            continue
        todo.append((d, p, s, sid, unique(slug(d.text(s, p, "name"), "schedule"), taken)))
    rot_ids = {sid: rid for *_, sid, rid in todo}
    rotations = []
    for d, p, s, sid, rid in todo:
        steps = _escalation(sid, rid, chains, policies, users, rot_ids, notes)
        body = _schedule(d, p, s, rid, shifts, users, notes) + steps
        rotations.append(RotationText(rid, "\n".join(body) + "\n", _rendered(finals.get(sid), users)))
    return Plan(people, rotations, notes)


def _items(d: Doc, value: Any) -> list[tuple[str, Any]]:
    if isinstance(value, dict) and isinstance(value.get("results"), list):
        return d.items(value, "$", "results")
    if isinstance(value, dict) and "id" in value:
        return [("$", value)]
    hint = ""
    if isinstance(value, dict) and ("requestId" in value or {"schedule", "schedules", "users"} & set(value)):
        hint = " (this looks like an Opsgenie dump)" if "requestId" in value else " (this looks like a PagerDuty dump)"
    d.fail("$", f"not a Grafana OnCall API response{hint}: expected a list with results, or one object with an id")


def _kind(d: Doc, path: str, item: Any) -> str:
    if not isinstance(item, dict):
        d.fail(path, "must be an object")
    if "shift_start" in item:
        return "final"
    if "escalation_chain_id" in item:
        return "policy"
    if item.get("type") in SHIFT_TYPES and "duration" in item:
        return "shift"
    if item.get("type") in ("web", "calendar", "ical"):
        return "schedule"
    if "username" in item:
        return "user"
    if set(item) <= {"id", "name", "team_id"} and "name" in item:
        return "chain"
    d.fail(path, "not a user, schedule, on-call shift, escalation chain, escalation policy or final shift")


def _all_pages(kind: str, pages: list) -> None:
    """Every page of a list Grafana split (``current_page_number`` of ``total_pages``) is there."""
    have = {v.get("current_page_number") or 1 for _, v in pages}
    for d, value in pages:
        total = d.get(value, "$", "total_pages", int, "a number", optional=True) or 1
        missing = sorted(set(range(1, total + 1)) - have)
        if missing:
            d.fail("$.total_pages", f"page {missing[0]} of {total} of the {kind}s is missing: add the response of "
                                    f"the same request with page={missing[0]} (docs/import.md)")


def _user(users: dict):
    def ref(d: Doc, path: str, uid: Any) -> str:
        if not isinstance(uid, str) or uid not in users:
            d.fail(path, f"unknown user {uid!r}: add the output of GET /api/v1/users/ (docs/import.md)")
        return f'"@@{uid}@@"'
    return ref


def _schedule(d: Doc, p: str, s: dict, rid: str, shifts: dict, users: dict, notes: list[str]) -> list[str]:
    _tz, out, refs = head(d, p, s, "Grafana OnCall", "time_zone", "shifts")
    zone = d.text(s, p, "time_zone")
    if s.get("ical_url_overrides"):
        notes.append(f"{rid}: the overrides of Grafana OnCall schedule {s['id']} come from an iCal URL, which the "
                     "API does not return: not imported (--verify shows them)")
    mine = []
    for n, (sp, ref) in enumerate(refs):
        if ref not in shifts:
            d.fail(sp, f"on-call shift {ref!r} is not in the dump: add GET /api/v1/on_call_shifts/ (docs/import.md)")
        sd, path, shift = shifts[ref]
        level = sd.get(shift, path, "level", int, "a number", optional=True) or 0
        mine.append((shift.get("type") == "override", level, n, sd, path, shift))
    levels = [lv for o, lv, *_ in mine if not o]
    if len(levels) != len(set(levels)):
        notes.append(f"{rid}: Grafana puts everyone whose shift of one level covers a moment on call at once; "
                     "here the shift listed later wins; --verify lists any such minutes")
    names: set[str] = set()
    for _o, _lv, _n, sd, path, shift in sorted(mine, key=lambda x: x[:3]):
        out += translate(Shift(sd, path, shift, zone, _user(users), notes, rid), names)
    return out


def _finals(found: list[Found]) -> dict[str, tuple]:
    """Final shifts by schedule id, with the window their file name states."""
    by_file: dict[str, tuple] = {}
    for d, path, item in found:
        if d.file not in by_file:
            m = FINAL.search(Path(d.file).name)
            if not m:
                d.fail("$", "a final_shifts response names neither its schedule nor its window: name the file "
                            "final_shifts.SCHEDULE_ID.START_DATE.END_DATE.json (docs/import.md)")
            window = tuple(datetime.fromisoformat(x).replace(tzinfo=timezone.utc) for x in m.group(2, 3))
            by_file[d.file] = (m.group(1), d, window, [])
        by_file[d.file][3].append((path, item))
    return {sid: (d, window, items) for sid, d, window, items in by_file.values()}


def _rendered(found: tuple | None, users: dict) -> Rendered | None:
    if not found:
        return None
    d, (lo, hi), items = found
    ref = _user(users)
    entries = tuple((d.instant(e, p, "shift_start"), d.instant(e, p, "shift_end"),
                     ref(d, f"{p}.user_pk", e.get("user_pk")).strip('"@')) for p, e in items)
    return Rendered(lo, hi, entries)


def _escalation(sid: str, rid: str, chains: list, policies: list, users: dict, rot_ids: dict,
                notes: list[str]) -> list[str]:
    """The steps of the first chain with a step paging schedule ``sid``."""
    mine = sorted({p.get("escalation_chain_id") for _, _, p in policies
                   if p.get("type") == "notify_on_call_from_schedule" and p.get("notify_on_call_from_schedule") == sid})
    if not mine:
        return []
    for other in mine[1:]:
        notes.append(f"{rid}: Grafana OnCall escalation chain {other} also pages this schedule; only {mine[0]} "
                     "was written")
    name = next((c.get("name") for _, _, c in chains if c.get("id") == mine[0]), mine[0])
    steps = sorted((p for p in policies if p[2].get("escalation_chain_id") == mine[0]),
                   key=lambda x: (x[2].get("position") or 0))
    out = ["", f"# Grafana OnCall escalation chain {mine[0]} {toml_str(str(name))}"]
    waits: list[list] = []  # [who, seconds waited after it, source]
    ref = _user(users)
    for d, p, step in steps:
        kind = d.text(step, p, "type")
        where = f"{p.removeprefix('$.')} ({d.text(step, p, 'id')})"
        if kind == "wait":
            seconds = d.get(step, p, "duration", int, "a number of seconds")
            if waits:
                waits[-1][1] += seconds
            else:
                notes.append(f"{rid}: {where} waits before anyone is paged; our steps page at once: not written")
        elif kind == "notify_on_call_from_schedule":
            target = d.text(step, p, "notify_on_call_from_schedule")
            if target not in rot_ids:
                d.fail(f"{p}.notify_on_call_from_schedule", f"schedule {target!r} is not in the dump: add "
                                                            "GET /api/v1/schedules/ (docs/import.md)")
            waits.append([toml_str(rot_ids[target]), 0, where])
        elif kind == "notify_persons":
            people = [(f"{p}.persons_to_notify[{i}]", u) for i, u in enumerate(step.get("persons_to_notify") or [])]
            if len(people) > 1:
                notes.append(f"{rid}: {where} pages {len(people)} people at once; written as one step each, "
                             "with no wait between them")
            waits += [[ref(d, up, u), 0, where] for up, u in people]
        else:
            notes.append(f"{rid}: {where} is a {kind!r} step, which has no translation here: not written")
    for n, (who, seconds, where) in enumerate(waits):
        out += ["[[escalation]]", f"who = {who}  # {where}"]
        if seconds or n < len(waits) - 1:
            out.append(f"wait = {toml_str(duration(seconds) if seconds else '0m')}")
    return out
