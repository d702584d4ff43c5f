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
        body = ical._vevent_body(stamp, a, b, tz, f"SUMMARY:{ical_write.text(summary)}",
                                 ical._describe(d, rot, s, note, ical._next(wide, i, s.person), options.phones),
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
