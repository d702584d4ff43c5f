"""Opsgenie escalations (``GET /v2/escalations``) -> the ``[[escalation]]`` lines of the
schedule they page.

A rule's ``delay`` counts from the alert's creation (rules run in the order of their
delays); our step's ``wait`` is how long it waits before the next step: so a step waits
until the next rule's delay, and rules with one delay page together (``0m``). A first
rule with a delay cannot be said (our first step pages at once): a note says so.
``repeat`` runs the rules ``count`` more times, ``waitInterval`` minutes after the last
one; our steps do not loop, so the passes are written out. Recipients: a schedule (its
on-call: the rotation's id) or a user; a team, or a schedule's ``next``/``previous``
on-call, has no translation: not written, named in a note. An ``if-not-closed`` rule goes
on after an acknowledgement, ours stop at one: noted.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from .dump import Doc, duration, toml_str

UNIT = {"minutes": 1, "hours": 60, "days": 1440}


def escalation(schedule: dict, rid: str, escalations: list, rot_ids: dict, user: Callable, notes: list[str]) -> str:
    """The steps of the first escalation with a rule paging ``schedule``, as file text;
    ``rot_ids`` maps the dump's schedule ids and names to rotation ids."""
    mine = [x for x in escalations if any(_pages(r, schedule) for r in x[2].get("rules") or [])]
    if not mine:
        return ""
    d, p, e = mine[0]
    for other in mine[1:]:
        notes.append(f"{rid}: Opsgenie escalation {other[2].get('name')!r} also pages this schedule; "
                     f"only {e.get('name')!r} was written")
    rules = []
    for rp, r in d.items(e, p, "rules"):
        delay = d.get(r, rp, "delay", dict, "an object")
        unit = d.text(delay, f"{rp}.delay", "timeUnit", optional=True) or "minutes"
        if unit not in UNIT:
            d.fail(f"{rp}.delay.timeUnit", f"{unit!r} is not minutes, hours or days")
        who = _who(d, rp, r, rot_ids, user, notes, rid)
        if who:
            rules.append((d.get(delay, f"{rp}.delay", "timeAmount", int, "a number") * UNIT[unit], who, rp))
    rules.sort(key=lambda x: x[0])
    if not rules:
        return ""
    if rules[0][0]:
        notes.append(f"{rid}: Opsgenie escalation {e.get('name')!r} pages nobody for its first {rules[0][0]} "
                     "minutes; our first step pages at once")
    repeat = d.get(e, p, "repeat", dict, "an object", optional=True) or {}
    passes = 1 + (d.get(repeat, f"{p}.repeat", "count", int, "a number", optional=True) or 0)
    between = d.get(repeat, f"{p}.repeat", "waitInterval", int, "a number of minutes", optional=True) or 0
    head = f"# Opsgenie escalation {d.text(e, p, 'id')} {toml_str(d.text(e, p, 'name'))}"
    out = ["", head + (f", repeat: {passes - 1} more passes {between} minutes apart, written out" if passes > 1
                       else "")]
    for n in range(passes):
        for i, (at, who, rp) in enumerate(rules):
            wait = rules[i + 1][0] - at if i + 1 < len(rules) else between if n + 1 < passes else None
            out += ["[[escalation]]" + (f"  # pass {n + 1} of {passes}" if passes > 1 else ""),
                    f"who = {who}  # {rp.removeprefix('$.')}, after {at} min"]
            if wait is not None:
                out.append(f"wait = {toml_str(duration(wait * 60) if wait else '0m')}")
    return "\n".join(out) + "\n"


def _pages(rule: Any, schedule: dict) -> bool:
    r = rule.get("recipient") if isinstance(rule, dict) else None
    return isinstance(r, dict) and r.get("type") == "schedule" and (
        r.get("id") == schedule.get("id") if r.get("id") else r.get("name") == schedule.get("name"))


def _who(d: Doc, rp: str, r: dict, rot_ids: dict, user: Callable, notes: list[str], rid: str) -> str | None:
    """The step's ``who`` for rule ``r``, or None (with a note) when it has no translation."""
    ref = d.get(r, rp, "recipient", dict, "an object")
    kind, how = ref.get("type"), r.get("notifyType") or "default"
    if r.get("condition") == "if-not-closed":
        notes.append(f"{rid}: {rp.removeprefix('$.')} escalates until the alert is closed; ours stop at an "
                     "acknowledgement")
    if kind == "user":
        return user(d, f"{rp}.recipient", ref)
    if kind == "schedule" and how == "default":
        target = ref.get("id") or ref.get("name")
        if target not in rot_ids:
            d.fail(f"{rp}.recipient", f"schedule {ref.get('id') or ref.get('name')!r} is not in the dump: add its "
                                      "GET /v2/schedules/ID (docs/import.md)")
        return toml_str(rot_ids[target])
    what = f"the {how} on-call of a schedule" if kind == "schedule" else f"a {kind!r} recipient"
    notes.append(f"{rid}: {rp.removeprefix('$.')} pages {what}, which has no translation: not written")
    return None
