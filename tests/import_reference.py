"""Independent references for the import tests: each platform's documented semantics,
evaluated minute by minute, with nothing from the oncall package. They make the rendered
schedules the fixtures carry (tests/fixtures/import/make_fixtures.py) and check them.

PagerDuty (REST API v2, "Schedules"): layers listed first take precedence; a layer is on
from ``start`` to ``end``; turns of ``rotation_turn_length_seconds`` begin at
``rotation_virtual_start`` and hand off at the same local time in the schedule's zone;
a restriction limits when the layer's on-call user is on call without moving handoffs;
overrides beat every layer.
"""

from __future__ import annotations

from bisect import bisect_right
from datetime import datetime, timedelta, timezone
from zoneinfo import ZoneInfo

UTC = timezone.utc
MINUTE = timedelta(minutes=1)


def _t(text: str) -> datetime:
    return datetime.fromisoformat(text.replace("Z", "+00:00")).astimezone(UTC)


def _wall_instant(wall: datetime, tz: ZoneInfo) -> datetime:
    return wall.replace(tzinfo=tz).astimezone(UTC)  # fold=0: a repeated wall time's first occurrence


def _pd_layer_user(layer: dict, tz: ZoneInfo, t: datetime, handoffs: list[datetime]) -> str | None:
    if t < _t(layer["start"]) or (layer.get("end") and t >= _t(layer["end"])):
        return None
    j = bisect_right(handoffs, t) - 1
    local = t.astimezone(tz)
    for r in layer.get("restrictions") or []:
        h, m, _ = (int(x) for x in r["start_time_of_day"].split(":"))
        minute = local.hour * 60 + local.minute
        if r["type"] == "daily_restriction":
            if (minute - (h * 60 + m)) % 1440 < r["duration_seconds"] // 60:
                break
        else:
            week = local.weekday() * 1440 + minute
            if (week - ((r["start_day_of_week"] - 1) * 1440 + h * 60 + m)) % 10080 < r["duration_seconds"] // 60:
                break
    else:
        if layer.get("restrictions"):
            return None
    users = layer["users"]
    return users[j % len(users)]["user"]["id"]


def _handoffs(layer: dict, tz: ZoneInfo, until: datetime) -> list[datetime]:
    wall = _t(layer["rotation_virtual_start"]).astimezone(tz).replace(tzinfo=None)
    step = timedelta(seconds=layer["rotation_turn_length_seconds"])
    out = []
    while not out or out[-1] <= until:
        out.append(_wall_instant(wall, tz))
        wall += step
    return out


def pagerduty_render(schedule: dict, since: datetime, until: datetime) -> list[tuple[datetime, datetime, str]]:
    """PagerDuty's final schedule of ``schedule`` in ``[since, until)``: (start, end, user id)."""
    tz = ZoneInfo(schedule["time_zone"])
    layers = [(lay, _handoffs(lay, tz, until)) for lay in schedule["schedule_layers"]]
    overrides = [(_t(e["start"]), _t(e["end"]), e["user"]["id"])
                 for e in (schedule.get("overrides_subschedule") or {}).get("rendered_schedule_entries", [])]
    who = []
    t = since
    while t < until:
        found = next((u for a, b, u in reversed(overrides) if a <= t < b), None)
        for lay, hs in layers:
            if found is None:
                found = _pd_layer_user(lay, tz, t, hs)
        who.append((t, found))
        t += MINUTE
    return compress(who, until)


def compress(who: list[tuple[datetime, str | None]], until: datetime) -> list[tuple[datetime, datetime, str]]:
    """Minute samples -> stretches of one person (gaps dropped)."""
    out: list[list] = []
    for t, p in who:
        if p is None:
            continue
        if out and out[-1][2] == p and out[-1][1] == t:
            out[-1][1] = t + MINUTE
        else:
            out.append([t, t + MINUTE, p])
    return [(a, min(b, until), p) for a, b, p in out]


OPSGENIE_STEP = {"hourly": timedelta(hours=1), "daily": timedelta(days=1), "weekly": timedelta(weeks=1)}
OPSGENIE_DAYS = ("monday", "tuesday", "wednesday", "thursday", "friday", "saturday", "sunday")


def _og_inside(tr: dict | None, local: datetime) -> bool:
    """Opsgenie's timeRestriction: time-of-day windows daily; weekday-and-time-of-day
    entries each one continuous interval from startDay start to endDay end."""
    if not tr:
        return True
    items = tr.get("restrictions") or [tr["restriction"]]
    minute = local.hour * 60 + local.minute
    for x in items:
        a, b = x["startHour"] * 60 + x["startMin"], x["endHour"] * 60 + x["endMin"]
        if tr["type"] == "time-of-day":
            if (minute - a) % 1440 < ((b - a) % 1440 or 1440):
                return True
        else:
            a += OPSGENIE_DAYS.index(x["startDay"]) * 1440
            b += OPSGENIE_DAYS.index(x["endDay"]) * 1440
            week = local.weekday() * 1440 + minute
            if (week - a) % 10080 < ((b - a) % 10080 or 10080):
                return True
    return False


def opsgenie_timeline(schedule: dict, overrides: list[dict], since: datetime, until: datetime) -> list[dict]:
    """Opsgenie's finalTimeline rotations for ``schedule``: per rotation, who is on call
    (an override replaces the rotations it names, or all), as periods."""
    tz = ZoneInfo(schedule["timezone"])
    out = []
    for rot in schedule["rotations"]:
        wall = _t(rot["startDate"]).astimezone(tz).replace(tzinfo=None)
        step = OPSGENIE_STEP[rot["type"]] * rot.get("length", 1)
        hand = []
        while not hand or hand[-1] <= until:
            hand.append(_wall_instant(wall, tz))
            wall += step
        end = _t(rot["endDate"]) if rot.get("endDate") else None
        who, t = [], since
        while t < until:
            p = None
            if hand[0] <= t and (end is None or t < end) and _og_inside(rot.get("timeRestriction"), t.astimezone(tz)):
                users = rot["participants"]
                p = users[(bisect_right(hand, t) - 1) % len(users)]["id"]
            for o in overrides:
                scoped = {r["id"] for r in o.get("rotations") or []}
                if p is not None and _t(o["startDate"]) <= t < _t(o["endDate"]) and (not scoped or rot["id"] in scoped):
                    p = o["user"]["id"]
            who.append((t, p))
            t += MINUTE
        out.append({"id": rot["id"], "name": rot["name"], "order": len(out) + 1,
                    "periods": [{"startDate": a.isoformat().replace("+00:00", "Z"),
                                 "endDate": b.isoformat().replace("+00:00", "Z"), "type": "default",
                                 "recipient": {"type": "user", "id": p}} for a, b, p in compress(who, until)]})
    return out


# ---------------------------------------------------------------- Grafana OnCall
# Grafana OnCall (engine/apps/schedules/models/custom_on_call_shift.py, on_call_schedule.py):
# a shift becomes iCalendar events, one RRULE per group of `rolling_users`, expanded on
# the shift's wall clock; the final schedule is overrides first, then the highest
# `level`; every user of the winning level's events is on call (a level does not pick one).

GF_DAYS = ("MO", "TU", "WE", "TH", "FR", "SA", "SU")
GF_FREQ = {"hourly": "HOURLY", "daily": "DAILY", "weekly": "WEEKLY"}


def _gf_rrule(shift: dict, dtstart: datetime, interval: int, horizon: datetime, byday=None):
    from dateutil import rrule

    freq = getattr(rrule, GF_FREQ[shift["frequency"]])
    days = [getattr(rrule, d) for d in (shift.get("by_day") if byday is None else byday) or []] or None
    wkst = getattr(rrule, shift.get("week_start") or "SU")
    return list(rrule.rrule(freq, dtstart=dtstart, interval=interval, byweekday=days, wkst=wkst, until=horizon))


def _gf_next_rotation(shift: dict, r: datetime, rot_start: datetime, horizon: datetime, first: bool) -> datetime:
    """Grafana's get_rotation_date: the start of the turn after ``r`` (or of the turn
    holding ``r`` when ``first``)."""
    interval = shift.get("interval") or 1
    unit = shift["frequency"]
    if unit != "weekly":
        return r if first else r + (timedelta(hours=1) if unit == "hourly" else timedelta(days=1)) * interval
    wkst = GF_DAYS.index(shift.get("week_start") or "SU")
    nxt = r
    if not first:
        days = 7 - r.weekday() + wkst
        nxt = r + timedelta(days=(days % 7 if days > 7 else days) + 7 * (interval - 1))
    diff = (7 + nxt.weekday() - wkst) % 7
    week_end = nxt + timedelta(days=7 - diff - 1)
    for t in _gf_rrule(shift, r, interval, max(week_end, nxt + timedelta(days=31))):
        if nxt <= t <= week_end and t >= rot_start:
            return t
        if t > week_end:
            break
    return nxt


def _gf_occurrences(shift: dict, horizon: datetime) -> list[tuple[datetime, list[str]]]:
    """(wall start, users) of every event of ``shift`` up to ``horizon``."""
    start = datetime.fromisoformat(shift["start"])
    if shift["type"] in ("single_event", "override"):
        return [(start, list(shift["users"]))]
    groups = shift["rolling_users"] if shift["type"] == "rolling_users" else [shift["users"]]
    k = shift.get("start_rotation_from_user_index") or 0
    groups = groups[k:] + groups[:k]
    rot_start = datetime.fromisoformat(shift.get("rotation_start") or shift["start"])
    if shift["type"] == "recurrent_event":
        rot_start = start
    by_day = shift.get("by_day")
    r = start if start == rot_start else _gf_next_rotation(shift, start, rot_start, horizon, True)
    if by_day and GF_DAYS[r.weekday()] not in by_day:
        wkst = GF_DAYS.index(shift.get("week_start") or "SU")
        first = next(d for d in ((wkst + i) % 7 for i in range(7)) if GF_DAYS[d] in by_day)
        r += timedelta(days=(first - r.weekday()) % 7)
    interval = shift.get("interval") or 1
    if shift["frequency"] == "daily" and by_day:
        out, p = [], 0  # every selected day is a turn; a group holds `interval` of them
        while r <= horizon:
            if GF_DAYS[r.weekday()] in by_day:
                out.append((r, groups[(p // interval) % len(groups)]))
                p += 1
            r += timedelta(days=1)
        return out
    out, made = [], 0
    while made < len(groups) and r <= horizon:
        for users in groups:
            if r >= rot_start:
                out += [(t, users) for t in _gf_rrule(shift, r, interval * len(groups), horizon)]
                made += 1
                if made == len(groups):
                    break
            r = _gf_next_rotation(shift, r, rot_start, horizon, False)
    return out


def grafana_final_shifts(schedule: dict, shifts: list[dict], users: dict[str, tuple[str, str]],
                         since: datetime, until: datetime) -> list[dict]:
    """Grafana's ``final_shifts`` results for ``schedule`` in ``[since, until)``; ``users``
    maps a user id to (email, username)."""
    events = []
    for shift in shifts:
        tz = ZoneInfo(shift.get("time_zone") or schedule["time_zone"])
        stop = _t(shift["until"] + "Z") if shift.get("until") else None
        span = timedelta(seconds=shift["duration"])
        horizon = until.astimezone(tz).replace(tzinfo=None) + timedelta(days=8)
        for wall, who in _gf_occurrences(shift, horizon):
            a = _wall_instant(wall, tz)
            if stop is not None and a > stop:
                continue
            rank = (1, 0) if shift["type"] == "override" else (0, shift.get("level") or 0)
            events.append((a, _wall_instant(wall + span, tz), rank, who))
    cuts = sorted({since, until, *(t for a, b, _, _ in events for t in (a, b) if since < t < until)})
    on: dict[str, list[list[datetime]]] = {}
    for a, b in zip(cuts, cuts[1:], strict=False):
        here = [(rank, who) for s, e, rank, who in events if s <= a < e]
        if not here:
            continue
        top = max(rank for rank, _ in here)
        for uid in sorted({u for rank, who in here if rank == top for u in who}):
            spans = on.setdefault(uid, [])
            if spans and spans[-1][1] == a:
                spans[-1][1] = b
            else:
                spans.append([a, b])
    rows = sorted((a, uid, b) for uid, spans in on.items() for a, b in spans)
    return [{"user_pk": uid, "user_email": users[uid][0], "user_username": users[uid][1],
             "shift_start": a.strftime("%Y-%m-%dT%H:%M:%SZ"), "shift_end": b.strftime("%Y-%m-%dT%H:%M:%SZ")}
            for a, uid, b in rows]
