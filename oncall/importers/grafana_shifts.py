"""One Grafana OnCall on-call shift -> ``[[layer]]`` (or ``[[override]]``) lines.

Grafana's documented semantics (public API "OnCall shifts", and the engine that renders
them): ``start`` and ``rotation_start`` are wall times on the shift's ``time_zone`` (else
the schedule's); every turn of ``frequency`` × ``interval`` hands the shift to the next
group of ``rolling_users``, and an event of ``duration`` starts at each turn's start (the
part of the turn after it is nobody's, which is what our ``only`` windows say). Turns
that start before ``rotation_start`` are not on call; ``until`` is an instant in UTC,
the last event that starts by then runs to its end. With ``by_day``:
- weekly: a turn is one week, weeks beginning on ``week_start`` (Sunday unless given:
  ``SA``, ``SU`` are two different weeks then), with an event on each listed day;
- daily: every listed day is a turn of its own, a group holds ``interval`` of them in a
  row; written as one weekly layer per listed day with the groups that day cycles through.
What has no faithful translation is refused with its JSON path (monthly turns,
``by_month``/``by_monthday``, events longer than their turn, windows that repeat neither
daily nor weekly); a group of several users is written as its first user, with a note.
"""

from __future__ import annotations

from datetime import datetime, timedelta
from math import gcd
from typing import Any, NamedTuple
from zoneinfo import ZoneInfo

from ..timeline import resolve
from .dump import WEEKDAYS as OURS
from .dump import Doc, duration, grouped, slug, toml_str, unique

DAYS = ("MO", "TU", "WE", "TH", "FR", "SA", "SU")
UNIT = {"hourly": timedelta(hours=1), "daily": timedelta(days=1), "weekly": timedelta(weeks=1)}
WEEK, DAY = timedelta(weeks=1), timedelta(days=1)


class Shape(NamedTuple):
    """A layer: handoffs at ``start + k × every`` (wall), shift k is ``members[k % n]``,
    on call in the ``events`` (offset from the handoff, length); empty: the whole turn."""

    suffix: str
    members: list[str]
    start: datetime
    every: timedelta
    events: list[tuple[timedelta, timedelta]]


class Shift:
    """Typed fields of one shift; ``user`` turns a user id into the file's placeholder."""

    def __init__(self, d: Doc, path: str, s: dict, zone: str, user, notes: list[str], rid: str):
        self.d, self.path, self.s, self.notes, self.rid, self.user = d, path, s, notes, rid, user
        self.schedule_zone = zone
        self.notes_in_file: list[str] = []  # comments for the layer lines
        self.id = d.text(s, path, "id")
        self.kind = d.text(s, path, "type")
        self.zone = d.zone(s, path, "time_zone", optional=True) or zone
        self.tz = ZoneInfo(self.zone)
        self.start = self.wall("start")
        seconds = d.get(s, path, "duration", int, "a number of seconds")
        if seconds < 60 or seconds % 60:
            d.fail(f"{path}.duration", f"{seconds} seconds: our times are whole minutes, at least one")
        self.length = timedelta(seconds=seconds)

    def wall(self, key: str, optional: bool = False) -> datetime | None:
        text = self.d.text(self.s, self.path, key, optional)
        if text is None:
            return None
        try:
            t = datetime.strptime(text, "%Y-%m-%dT%H:%M:%S")
        except ValueError:
            self.d.fail(f"{self.path}.{key}", f"{text!r} is not a wall time yyyy-MM-ddTHH:mm:ss")
        return t

    def one(self, path: str, ids: Any, what: str) -> str:
        """The first user of a group; a note when it has several (on call at once in Grafana)."""
        if not isinstance(ids, list) or not ids:
            self.d.fail(path, f"{what} must be a non-empty list of user ids")
        if len(ids) > 1:
            self.notes.append(f"{self.rid}: Grafana shift {self.id} puts {len(ids)} users on call at once "
                              f"({path.removeprefix('$.')}); one person is on call at a time here: written as the "
                              "first, --verify lists the minutes of the others")
        return self.user(self.d, f"{path}[0]", ids[0])


def translate(sh: Shift, names: set[str]) -> list[str]:
    """The lines for shift ``sh`` (a comment naming it, then its layers or overrides)."""
    d, s, p = sh.d, sh.s, sh.path
    head = f"# Grafana OnCall shift {sh.id} ({sh.kind}, level {d.get(s, p, 'level', int, 'a number', True) or 0})"
    if sh.kind == "override":
        head = f"# Grafana OnCall override {sh.id} (overrides beat every level)"
        who = sh.one(f"{p}.users", s.get("users"), "users")
        end = _at(sh.start + sh.length, sh.tz)
        return ["", head, "[[override]]", f"who = {who}", f"start = {_at(sh.start, sh.tz).isoformat()}",
                f"end = {end.isoformat()}", f"note = {toml_str('Grafana OnCall override ' + sh.id)}"]
    if sh.kind == "single_event":
        shapes = [Shape("", [sh.one(f"{p}.users", s.get("users"), "users")], sh.start, sh.length, [])]
        return _lines(sh, head, shapes, names, last=sh.start)
    if sh.kind not in ("rolling_users", "recurrent_event"):
        d.fail(f"{p}.type", f"unknown shift type {sh.kind!r} (single_event, recurrent_event, rolling_users, override)")
    return _lines(sh, head, _recurring(sh), names)


def _recurring(sh: Shift) -> list[Shape]:
    d, s, p = sh.d, sh.s, sh.path
    freq = d.text(s, p, "frequency")
    if freq not in UNIT:
        d.fail(f"{p}.frequency", f"{freq!r} turns have no translation (ours are hourly, daily or weekly lengths)")
    for key in ("by_month", "by_monthday"):
        if s.get(key):
            d.fail(f"{p}.{key}", "turns limited to some months or days of the month have no translation")
    interval = d.get(s, p, "interval", int, "a number", optional=True) or 1
    if interval < 1:
        d.fail(f"{p}.interval", f"{interval} is not a positive interval")
    if sh.kind == "rolling_users":
        groups = [sh.one(gp, g, "a group") for gp, g in d.items(s, p, "rolling_users")]
        k = (d.get(s, p, "start_rotation_from_user_index", int, "a number", optional=True) or 0) % max(len(groups), 1)
        groups = groups[k:] + groups[:k]
    else:
        groups = [sh.one(f"{p}.users", s.get("users"), "users")]
    if not groups:
        d.fail(f"{p}.rolling_users", "a rotation needs at least one group of users")
    by_day = _days(d, p, s)
    if by_day and freq == "daily":
        return _daily_by_day(sh, groups, by_day, interval)
    turn = UNIT[freq] * interval
    if not by_day:
        if sh.length > turn:
            d.fail(f"{p}.duration", f"events longer than their turn ({duration(int(turn.total_seconds()))}) "
                                    "overlap: several people at once has no translation")
        if sh.length < turn and turn not in (DAY, WEEK):
            d.fail(f"{p}.duration", f"a turn of {duration(int(turn.total_seconds()))} on call for only its first "
                                    f"{duration(int(sh.length.total_seconds()))} has no translation "
                                    "(our restrictions repeat daily or weekly)")
        return [Shape("", groups, sh.start, turn, [] if sh.length == turn else [(timedelta(0), sh.length)])]
    if freq != "weekly" or interval != 1:
        d.fail(f"{p}.by_day", f"by_day with {freq} turns every {interval} has no translation "
                              "(Grafana covers only the first week of such a turn)")
    wkst = DAYS.index(_week_start(d, p, s))
    first = _first_day(sh.start, by_day, wkst)
    week0 = first - timedelta(days=(first.weekday() - wkst) % 7)
    offsets = sorted((DAYS.index(x) - wkst) % 7 for x in by_day)
    handoff = week0 + timedelta(days=offsets[0])
    events = [(timedelta(days=o - offsets[0]), sh.length) for o in offsets]
    _no_overlap(sh, events, WEEK)
    sh.notes_in_file.append(f"# turns are weeks from {OURS[wkst]} (week_start {DAYS[wkst]}"
                            f"{'' if sh.s.get('week_start') else ', Grafana default'})")
    return [Shape("", groups, handoff, WEEK, events)]


def _days(d: Doc, p: str, s: dict) -> list[str]:
    days = d.get(s, p, "by_day", list, "a list of days", optional=True) or []
    for i, x in enumerate(days):
        if x not in DAYS:
            d.fail(f"{p}.by_day[{i}]", f"{x!r} is not a day (MO, TU, WE, TH, FR, SA, SU)")
    return days


def _week_start(d: Doc, p: str, s: dict) -> str:
    w = d.text(s, p, "week_start", optional=True) or "SU"  # Grafana's default, also when the key is absent
    if w not in DAYS:
        d.fail(f"{p}.week_start", f"{w!r} is not a day (MO, TU, WE, TH, FR, SA, SU)")
    return w


def _first_day(start: datetime, by_day: list[str], wkst: int) -> datetime:
    """Grafana moves a start that is not on a listed day to the first listed day, counted
    from ``week_start``, on or after it."""
    if DAYS[start.weekday()] in by_day:
        return start
    first = next(x for x in ((wkst + i) % 7 for i in range(7)) if DAYS[x] in by_day)
    return start + timedelta(days=(first - start.weekday()) % 7)


def _daily_by_day(sh: Shift, groups: list[str], by_day: list[str], interval: int) -> list[Shape]:
    """Every listed day is one turn; position p (counted over listed days from the start)
    belongs to group ``p // interval``. Day x recurs every week at positions p_x + m·L,
    so its groups repeat every W = lcm(L, n·interval) / L weeks: one weekly layer per day."""
    if interval > len(by_day):
        sh.d.fail(f"{sh.path}.interval", "Grafana requires an interval of at most the number of days in by_day")
    first = _first_day(sh.start, by_day, DAYS.index(_week_start(sh.d, sh.path, sh.s)))
    size, cycle = len(by_day), len(groups) * interval
    weeks = size * cycle // gcd(size, cycle) // size
    dates = [first + timedelta(days=i) for i in range(7) if DAYS[(first.weekday() + i) % 7] in by_day]
    events = [(x - first, sh.length) for x in dates]
    _no_overlap(sh, events, WEEK)
    shapes = []
    for pos, date in enumerate(dates):
        members = [groups[((pos + m * size) // interval) % len(groups)] for m in range(weeks)]
        shapes.append(Shape(OURS[date.weekday()], members, date, WEEK, [(timedelta(0), sh.length)]))
    return shapes


def _no_overlap(sh: Shift, events: list[tuple[timedelta, timedelta]], every: timedelta) -> None:
    starts = sorted(o for o, _ in events)
    for a, b in zip(starts, [*starts[1:], starts[0] + every], strict=True):
        if b - a < sh.length:
            sh.d.fail(f"{sh.path}.duration", "events of this shift overlap one another: several people at once "
                                             "has no translation")


def _lines(sh: Shift, head: str, shapes: list[Shape], names: set[str], last: datetime | None = None) -> list[str]:
    rot = sh.wall("rotation_start", optional=True) if sh.kind == "rolling_users" else None
    if sh.s.get("frequency") == "daily" and sh.s.get("by_day"):
        rot = None  # Grafana lays out daily by_day turns from start alone
    stop = sh.d.instant({"until": sh.s["until"] + "Z"}, sh.path, "until") if sh.s.get("until") else None
    out = ["", head]
    base = slug(sh.d.text(sh.s, sh.path, "name", optional=True) or "", f"shift-{sh.id.lower()}")
    out += sh.notes_in_file
    for shape in shapes:
        name = unique(f"{base}-{shape.suffix}" if shape.suffix else base, names)
        out += ["[[layer]]", f"name = {toml_str(name)}", f"members = [{', '.join(shape.members)}]",
                f"start = {shape.start:%Y-%m-%dT%H:%M:%S}",
                f"every = {toml_str(duration(int(shape.every.total_seconds())))}"]
        if sh.zone != sh.schedule_zone:
            out.append(f"timezone = {toml_str(sh.zone)}")
        begin = max(sh.start, rot) if rot else sh.start
        first = _occurrence(shape, begin, after=True)
        if first is not None and first > shape.start:
            out.append(f"from = {_at(first, sh.tz).isoformat()}  # the first event on or after "
                       f"{'rotation_start' if rot and rot > sh.start else 'start'}")
        if shape.events:
            windows = grouped([_window(shape, o, n) for o, n in shape.events])
            out.append(f"only = [{', '.join(toml_str(w) for w in windows)}]")
        end = _until(sh, shape, stop, last)
        if end is not None:
            out.append(f"until = {end.isoformat()}  # the end of the last event")
    return out


def _occurrence(shape: Shape, t: datetime, after: bool) -> datetime | None:
    """The first event start at or after wall time ``t`` (or the last at or before it)."""
    offsets = sorted(o for o, _ in shape.events) or [timedelta(0)]
    k = max((t - shape.start) // shape.every - 1, 0)
    found = None
    for x in (shape.start + turn * shape.every + o for turn in range(k, k + 3) for o in offsets):
        if after and x >= t:
            return x
        if not after and x <= t:
            found = x
    return found


def _until(sh: Shift, shape: Shape, stop: datetime | None, last: datetime | None) -> datetime | None:
    if last is not None:
        return _at(last + sh.length, sh.tz)
    if stop is None:
        return None
    wall = stop.astimezone(sh.tz).replace(tzinfo=None)
    x = _occurrence(shape, wall, after=False)
    while x is not None and resolve(x, sh.tz) > stop:
        x = _occurrence(shape, x - timedelta(minutes=1), after=False)
    if x is None or x < shape.start:
        sh.d.fail(f"{sh.path}.until", "ends before its first event: the shift covers nothing")
    length = next((n for o, n in shape.events), sh.length) if shape.events else shape.every
    return _at(x + length, sh.tz)


def _at(wall: datetime, tz: ZoneInfo) -> datetime:
    """Wall time ``wall`` as the instant the files' rules give it, shown on ``tz``."""
    return resolve(wall, tz).astimezone(tz)


def _window(shape: Shape, offset: timedelta, length: timedelta) -> str:
    a = shape.start + offset
    b = a + length
    hm = f"{a:%H:%M}"
    if shape.every == DAY:
        return f"daily {hm}-{b:%H:%M}"
    if b.date() == a.date() or (b - a <= DAY and b.hour == b.minute == 0 and b.date() == a.date() + DAY):
        end = f"{b:%H:%M}" if b.date() == a.date() else "24:00"
        return f"{OURS[a.weekday()]} {hm}-{end}"
    return f"{OURS[a.weekday()]} {hm} - {OURS[b.weekday()]} {b:%H:%M}"
