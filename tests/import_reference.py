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
