"""``ical_feeds.Feeds`` makes each event from strings shared between events (issue 16): the
bytes are those of each event made on its own, and ``Feeds.folder`` gives each feed once,
as soon as it is complete. No clock, no files."""

from __future__ import annotations

import bisect
from datetime import datetime, timedelta, timezone

import pytest

from oncall import ical, ical_write
from oncall.ical_feeds import Feeds
from oncall.model import Directory, Layer, Override, Person, Rotation
from oncall.schedule import OVERRIDE, final_schedule
from oncall.shape import columns

UTC = timezone.utc
NAMES = {"ann": "Ann Plain", "ben": "Ben \x1b[31mRed\x1b[0m, Esq; back\\Nslash", "cat": "Cat Élise 🙂",
         "dan": "Dan\r", "eve": "Eve \x1b]8;;http://x\x07link", "fay": "Fay Nobody", "gus": "Gus Plain"}


def directory() -> Directory:
    t = datetime(2026, 3, 8, 6, 30, tzinfo=UTC)
    desk = Rotation("desk", "Desk, the; first", "America/New_York", (
        Layer("day", ("ann", "dan", "eve"), datetime(2025, 11, 2, 1, 30), timedelta(days=1), "America/New_York"),
        Layer("biz", ("cat", "ben"), datetime(2026, 1, 5, 9), timedelta(days=1), "America/New_York",
              only=None)), (
        Override("ben", t, t + timedelta(hours=20), "swap \x1b]0;title\nsecond line\r"),
        Override("ann", t + timedelta(days=3), t + timedelta(days=3, hours=2), "ends in a backslash \\"),
        Override("eve", t + timedelta(days=5), t + timedelta(days=5, hours=2), "")))
    # Six-week shifts: who is next is further than a week but within LOOK of a window's end.
    long = Rotation("long", "Long", "UTC", (
        Layer("six", ("dan", "ben"), datetime(2026, 1, 5), timedelta(weeks=6), "UTC"),))
    # Thirteen-week shifts: their start and who is next are beyond LOOK.
    slow = Rotation("slow", "Slow 🙂", "Asia/Kolkata", (
        Layer("q", ("ben", "cat"), datetime(2025, 10, 6, 9), timedelta(weeks=13), "Asia/Kolkata"),))
    # Plain people whose override notes cannot be escaped apart from the "Next:" line after them.
    weekly = Layer("w", ("gus",), datetime(2026, 1, 5), timedelta(weeks=1), "UTC")
    notes = Rotation("notes", "Notes", "UTC", (weekly,), (
        Override("ann", t + timedelta(days=2), t + timedelta(days=2, hours=5), "swap \x1b]0;title\nsecond"),
        Override("ann", t + timedelta(days=4), t + timedelta(days=4, hours=5), "ends in a CR\r"),
        Override("ann", t + timedelta(days=6), t + timedelta(days=6, hours=5), "a CR\rinside")))
    people = {pid: Person(pid, name, phone="+14155550111" if pid != "dan" else None) for pid, name in NAMES.items()}
    return Directory(people=people, rotations={"desk": desk, "long": long, "slow": slow,
                                                            "notes": notes})


WINDOWS = [(datetime(2026, 3, 7, tzinfo=UTC), datetime(2026, 3, 21, tzinfo=UTC)),
           (datetime(2026, 2, 20, 13, tzinfo=UTC), datetime(2026, 5, 1, 7, tzinfo=UTC))]
OPTIONS = [ical.Options(), ical.Options(phones=False, remind=timedelta(minutes=15), busy=True)]


def reference(d: Directory, rid: str, start: datetime, end: datetime, options: ical.Options,
              person: str | None = None) -> list[str]:
    """Each segment's VEVENT made on its own, as ``ical`` made them before sharing strings."""
    rot = d.rotations[rid]
    wide = final_schedule(rot, start - ical.LOOK, end + ical.LOOK)
    starts = [s.start for s in wide]
    tz = None if ical_tz_in_utc(rot, start, end) else rot.tz
    out = []
    for s in wide:
        if s.end <= start or s.start >= end or (person and s.person != person):
            continue
        a, b = max(s.start, start), min(s.end, end)
        i = bisect.bisect_right(starts, a) - 1
        true = ical._segment_start(rot, a) if s.start <= start - ical.LOOK else s.start
        notes = [o.note for o in rot.overrides if o.who == s.person and o.start <= a < o.end]
        note = notes[-1] if s.source == OVERRIDE and notes else ("" if s.source == OVERRIDE else None)
        summary = ical._summary(d, s.person, rot)
        stamp = ical._utc(true)
        nxt = ical._next(columns(wide), i, s.person)
        body = ical._vevent_body(stamp, a, b, tz, f"SUMMARY:{ical_write.text(summary)}",
                                 ical._describe(d, rot, s, note, nxt, options.phones),
                                 ical._tail(rid, s.person, s.source, summary, options))
        uid = f"UID:{rid}-{stamp}-{person}@oncall" if person else f"UID:{rid}-{stamp}@oncall"
        out.append(f"BEGIN:VEVENT\r\n{ical_write.folded(uid)}{body}")
    return out


def ical_tz_in_utc(rot: Rotation, start: datetime, end: datetime) -> bool:
    from oncall import ical_tz

    return ical_tz.in_utc(rot.tz, start, end)


def events(feed: bytes) -> list[str]:
    text = feed.decode()
    return ["BEGIN:VEVENT" + e.split("END:VEVENT")[0] + "END:VEVENT\r\n" for e in text.split("BEGIN:VEVENT")[1:]]


@pytest.mark.parametrize("window", WINDOWS)
@pytest.mark.parametrize("options", OPTIONS)
def test_each_event_is_what_it_is_made_on_its_own(window, options):
    d = directory()
    feeds = Feeds(d, ["desk", "long", "slow", "notes"], *window, options)
    for rid in d.rotations:
        assert events(feeds.rotation([rid])) == reference(d, rid, *window, options), rid
    for pid in d.people:
        mine = events(feeds.person(pid))
        expected = sorted((e for rid in d.rotations for e in reference(d, rid, *window, options, pid)),
                          key=lambda e: (e[e.index("DTSTART"):], e))
        assert sorted(mine) == sorted(expected) and len(mine) == len(expected), pid


@pytest.mark.parametrize("window", WINDOWS)
def test_segments_are_the_same_with_gaps_whose_schedule_has_margins_both_sides(window):
    d = directory()
    plain = Feeds(d, ["desk", "long", "slow", "notes"], *window, ical.Options())
    gaps = Feeds(d, ["desk", "long", "slow", "notes"], *window, ical.Options(gaps=True))
    for pid in d.people:
        assert plain.person(pid) == gaps.person(pid), pid
    for rid in d.rotations:
        assert set(events(plain.rotation([rid]))) <= set(events(gaps.rotation([rid]))), rid


def test_folder_gives_every_feed_once_each_right_after_its_last_rotation():
    d = directory()
    ids = ["desk", "long", "slow", "notes"]
    given = list(Feeds(d, ids, *WINDOWS[1]).folder())
    each = Feeds(d, ids, *WINDOWS[1])
    assert sorted(k for k, _, _ in given) == ["person"] * len(d.people) + ["rotation"] * 4
    for kind, key, data in given:
        assert data == (each.rotation([key]) if kind == "rotation" else each.person(key)), key
    order = [(k, key) for k, key, _ in given]
    last = {"ann": "notes", "cat": "slow", "dan": "long", "ben": "slow", "eve": "desk", "gus": "notes"}
    for pid, rid in last.items():
        assert order.index(("person", pid)) > order.index(("rotation", rid)), pid
        later = ids[ids.index(rid) + 1:]
        assert all(order.index(("person", pid)) < order.index(("rotation", r)) for r in later), pid
    assert order.index(("person", "fay")) < order.index(("rotation", "desk"))  # in no rotation


ZONES = ["America/New_York", "Europe/Dublin", "Australia/Lord_Howe", "Pacific/Apia", "America/Sao_Paulo",
         "Asia/Kolkata", "Africa/Casablanca", "Antarctica/Troll", "America/St_Johns", "UTC"]


@pytest.mark.parametrize("zone", ZONES)
def test_a_zones_wall_times_are_those_of_ical_wall(zone):
    """``_Zone.wall`` finds repeated wall times from the zone's changes, not by asking
    zoneinfo: the same answer as ``ical._wall`` at each repeat's edges (+-1 s, +-1 h)
    and on a grid, in and around the window (outside it, it is ``_wall`` itself)."""
    from zoneinfo import ZoneInfo

    from oncall import ical_tz
    from oncall.ical_feeds import _Zone

    tz = ZoneInfo(zone)
    for start, end in [(datetime(2026, 1, 1, tzinfo=UTC), datetime(2027, 1, 1, tzinfo=UTC)),
                       (datetime(2011, 3, 1, tzinfo=UTC), datetime(2012, 3, 1, tzinfo=UTC))]:
        z = _Zone(tz, start, end)
        lo, hi = ical_tz._span(tz, start, end)
        probes = set(range(int(start.timestamp()) - 86400 * 40, int(end.timestamp()) + 86400 * 40, 7 * 3600 + 1))
        for ts, old, new in ical_tz.transitions(tz, lo - 366 * 86400, hi):
            d = abs(int((old[0] - new[0]).total_seconds()))
            probes |= {c + e for c in (ts - d, ts, ts + d) for e in (-3600, -1, 0, 1, 3600)}
        for ts in sorted(probes):
            t = datetime.fromtimestamp(ts, UTC)
            assert z.wall(t) == ical._wall(t, tz), t
            assert z.wall(t.astimezone(tz)) == ical._wall(t, tz), t  # an instant in the zone's own time


def test_instants_are_written_as_isoformat_and_strftime_write_them():
    """``ical._basic`` and ``_local`` are lookups into a table of two digits: the same text
    as the isoformat and strftime forms they replaced, microseconds cut, any zone."""
    import random
    import zoneinfo
    from zoneinfo import ZoneInfo

    rng = random.Random(5)
    zones = sorted(zoneinfo.available_timezones())
    lo, hi = int(datetime(1899, 12, 31, tzinfo=UTC).timestamp()), int(datetime(3000, 1, 1, tzinfo=UTC).timestamp())
    for _ in range(20_000):
        t = datetime.fromtimestamp(rng.randint(lo, hi), UTC).replace(microsecond=rng.choice([0, 1, 999_999]))
        tz = ZoneInfo(rng.choice(zones))
        w = t.astimezone(tz)
        for x in (t, w):
            assert ical._basic(x) == x.isoformat(timespec="seconds")[:19].replace("-", "").replace(":", "")
        assert ical._local(t, tz) == f"{ical._DAYS[w.weekday()]} {w:%Y-%m-%d %H:%M} {w.tzname()}"
    assert ical._basic(datetime(999, 2, 3, 4, 5, 6)) == "09990203T040506"
