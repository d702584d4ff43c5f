"""Hypothesis properties of the engine, checked against definitions and brute force.

Times are drawn around real DST changes (and Apia's skipped day) in zones with odd
offsets, because that is where wall-clock arithmetic goes wrong. Every wall time drawn
is on a 15-minute grid, so every boundary the engine produces is on the 15-minute UTC
grid too (all these zones' offsets and changes are multiples of 15 minutes): sampling
each 15-minute cell once is then an exact brute-force check, not an approximation.
"""

from __future__ import annotations

from datetime import datetime, timedelta, timezone
from itertools import pairwise
from zoneinfo import ZoneInfo

from hypothesis import example, given, settings
from hypothesis import strategies as st

from oncall.coverage import check_rotation
from oncall.model import Layer, Override, Person, Rotation, Window
from oncall.schedule import final_schedule, handoff, layer_shifts, on_call
from oncall.timeline import parse_window, resolve, to_wall

UTC = timezone.utc
CELL = timedelta(minutes=15)
ZONES = ["America/New_York", "Australia/Lord_Howe", "Pacific/Apia", "Asia/Kathmandu", "Europe/London",
         "Australia/Sydney", "Asia/Kolkata", "UTC"]
# Instants at which a zone changes its clocks (Apia skips 2011-12-30); times are drawn
# close to them, in that zone most of the time.
CHANGES = [("America/New_York", "2026-03-08T07:00"), ("America/New_York", "2026-11-01T06:00"),
           ("Europe/London", "2026-03-29T01:00"), ("Europe/London", "2026-10-25T01:00"),
           ("Australia/Sydney", "2026-04-04T16:00"), ("Australia/Sydney", "2026-10-03T16:00"),
           ("Australia/Lord_Howe", "2026-04-04T15:00"), ("Australia/Lord_Howe", "2026-10-03T15:30"),
           ("Pacific/Apia", "2011-12-30T10:00"), ("Asia/Kathmandu", "2026-07-15T00:00"),
           ("Asia/Kolkata", "2026-01-05T00:00"), ("UTC", "2026-06-01T00:00")]
FOCUS = [(zone, datetime.fromisoformat(at).replace(tzinfo=UTC)) for zone, at in CHANGES]
EVERY = [timedelta(minutes=m) for m in (30, 45, 60, 90, 480, 720, 1440, 2160, 10080, 20160)]
WINDOWS = ["mon-fri 09:00-17:00", "daily 22:00-06:00", "fri 17:00 - mon 09:00", "sat-sun", "daily 01:30-02:30",
           "daily 02:00-03:00", "mon,wed,fri 00:00-24:00", "sun 01:00 - sun 03:00"]
MEMBERS = ("a", "b", "c")
PEOPLE = {p: Person(p, p.upper(), phone="+14155550101") for p in ("a", "b", "c", "d")}

props = settings(max_examples=60, deadline=None)


def z(text: str) -> datetime:
    return datetime.fromisoformat(text).replace(tzinfo=UTC)


def wall_layer(zone: str, start: str, minutes: int, members=MEMBERS, only: str | None = None) -> Layer:
    windows = parse_window(only) if only else None
    return Layer("l0", members, datetime.fromisoformat(start), timedelta(minutes=minutes), zone, windows)


def near(before_days: int, after_days: int) -> st.SearchStrategy[int]:
    """A number of 15-minute cells from a focus: mostly within two hours of it, else days away."""
    close = st.integers(-8, 8)
    return st.one_of(close, close, st.integers(-before_days * 96, after_days * 96))


@st.composite
def wall_near(draw, focus, before_days: int, after_days: int = 3) -> tuple[str, datetime]:
    """A naive wall time on the 15-minute grid near ``focus`` (zone, instant), in a zone
    (usually the focus zone): ``(zone, wall)``."""
    zone = draw(st.one_of(st.just(focus[0]), st.just(focus[0]), st.sampled_from(ZONES)))
    return zone, to_wall(focus[1], ZoneInfo(zone)) + draw(near(before_days, after_days)) * CELL


@st.composite
def layers(draw, focus, windows: bool = True) -> Layer:
    far = draw(st.booleans())
    zone, start = draw(wall_near(focus, 3000 if far else 40, 1))
    every = draw(st.sampled_from(EVERY))
    only = None
    if windows and draw(st.booleans()):
        only = tuple(w for text in draw(st.lists(st.sampled_from(WINDOWS), min_size=1, max_size=2))
                     for w in parse_window(text))
    until = None
    if draw(st.integers(0, 3)) == 0:
        until = focus[1] + draw(near(2, 3)) * CELL
        if until <= resolve(start, ZoneInfo(zone)):
            until = None
    members = MEMBERS[: draw(st.sampled_from([1, 1, 2, 3]))]  # one member: the same person across gaps
    return Layer("l", members, start, every, zone, only, until)


@st.composite
def rotations(draw, focus) -> Rotation:
    zone = draw(st.one_of(st.just(focus[0]), st.sampled_from(ZONES)))
    lays = [draw(layers(focus)) for _ in range(draw(st.integers(1, 3)))]
    lays = [Layer(f"l{i}", x.members, x.start, x.every, x.timezone, x.only, x.until) for i, x in enumerate(lays)]
    overrides = []
    for _ in range(draw(st.integers(0, 2))):
        a = focus[1] + draw(near(2, 2)) * CELL
        overrides.append(Override(draw(st.sampled_from(["a", "d"])), a, a + draw(st.integers(1, 96)) * CELL))
    coverage = None
    if draw(st.booleans()):
        coverage = tuple(w for text in draw(st.lists(st.sampled_from(WINDOWS), min_size=1, max_size=2))
                         for w in parse_window(text))
    return Rotation("r", "R", zone, tuple(lays), tuple(overrides), coverage)


def instant_near(focus):
    return near(3, 3).map(lambda n: focus[1] + n * CELL)


# --- 1. A layer's shifts tile time from its start -----------------------------------------------

@props
@given(st.sampled_from(FOCUS).flatmap(lambda f: st.tuples(layers(f, windows=False), instant_near(f),
                                                          st.integers(1, 5 * 96))))
# Cases random draws rarely hit, always run: a range starting in the second occurrence of
# a repeated hour (the wall-clock estimate of the index is one short), a skipped hour
# (empty shifts), Apia's skipped day, Lord Howe's half hour.
@example((wall_layer("America/New_York", "2026-11-01T00:00", 30), z("2026-11-01T06:15"), 5))
@example((wall_layer("America/New_York", "2026-03-08T00:00", 30), z("2026-03-08T06:00"), 8))
@example((wall_layer("Pacific/Apia", "2011-12-27T00:00", 1440), z("2011-12-29T00:00"), 288))
@example((wall_layer("Australia/Lord_Howe", "2026-04-04T00:00", 30), z("2026-04-04T15:00"), 4))
def test_a_layers_shifts_tile_time_without_overlap_from_start(case):
    layer, q0, cells = case
    q1 = q0 + cells * CELL
    shifts = layer_shifts(layer, q0, q1)
    lo = max(q0, handoff(layer, 0))
    hi = min(q1, layer.until) if layer.until else q1
    if lo >= hi:
        assert shifts == []
        return
    # Contiguous, positive, from the layer's first instant (or the range) to its end.
    assert shifts[0][0] == lo and shifts[-1][1] == hi
    for (a, b, k), (c, _, k2) in pairwise(shifts):
        assert a < b == c and k < k2
        # Indices skipped between two shifts are empty shifts (a skipped wall time).
        assert all(handoff(layer, j) == b for j in range(k + 1, k2 + 1))
    for a, b, k in shifts:
        assert a == max(handoff(layer, k), lo) and b == min(handoff(layer, k + 1), hi)
    # The first index, found arithmetically, is the one a walk from start finds.
    walk_k = 0
    if (q0 - handoff(layer, 0)) / layer.every < 3000:
        while handoff(layer, walk_k + 1) <= lo:
            walk_k += 1
        assert shifts[0][2] == walk_k


# --- 2. now agrees with the shifts segment containing t ---------------------------------------

def person_at(rotation: Rotation, t: datetime) -> str | None:
    segs = final_schedule(rotation, t, t + timedelta(seconds=1))
    return segs[0].person if segs else None


@props
@given(st.sampled_from(FOCUS).flatmap(lambda f: st.tuples(rotations(f), instant_near(f))))
# One person in weekday windows: the stretch must stop at the gap, not join Tuesday's.
@example((Rotation("r", "R", "America/New_York", (wall_layer("America/New_York", "2026-01-05T09:00", 1440, ("a",),
                                                                "mon-fri 09:00-17:00"),)), z("2026-01-07T17:00")))
def test_on_call_agrees_with_the_final_schedule_segment_containing_t(case):
    rotation, t = case
    oc = on_call(rotation, t)
    segs = final_schedule(rotation, t, t + timedelta(seconds=1))
    assert oc.person == (segs[0].person if segs else None)
    assert oc.source == (segs[0].source if segs else None)
    # The stretch is the maximal run of that person (or of nobody) around t.
    if oc.start is not None:
        assert oc.start <= t
        assert person_at(rotation, oc.start - timedelta(seconds=1)) != oc.person
    if oc.end is not None:
        assert t < oc.end
        assert person_at(rotation, oc.end) != oc.person
    if oc.start is not None and oc.end is not None:
        inside = final_schedule(rotation, oc.start, oc.end)
        if oc.person is None:
            assert inside == []
        else:
            assert {s.person for s in inside} == {oc.person}
            assert inside[0].start == oc.start and inside[-1].end == oc.end
            assert all(s.end == n.start for s, n in pairwise(inside))
    # Next: whoever is on call first after the stretch; the same person again only after a gap.
    if oc.next_person is not None:
        assert oc.end is not None and oc.next_start >= oc.end
        assert person_at(rotation, oc.next_start) == oc.next_person
        assert final_schedule(rotation, oc.end, oc.next_start) == []
        if oc.next_person == oc.person:
            assert oc.next_start > oc.end


# --- 3. check's gaps are exactly the uncovered coverage-window time ---------------------------

def in_windows(windows: tuple[Window, ...] | None, tz: ZoneInfo, t: datetime) -> bool:
    """Is ``t`` inside a weekly window? Straight from the definition: some week's
    ``[resolve(monday + start), resolve(monday + end))`` contains ``t``."""
    if windows is None:
        return True
    wall = to_wall(t, tz)
    monday = datetime(wall.year, wall.month, wall.day) - timedelta(days=wall.weekday())
    for week in (monday - timedelta(days=14), monday - timedelta(days=7), monday, monday + timedelta(days=7)):
        for w in windows:
            if resolve(week + timedelta(minutes=w.start), tz) <= t < resolve(week + timedelta(minutes=w.end), tz):
                return True
    return False


@props
@given(st.sampled_from(FOCUS).flatmap(lambda f: st.tuples(rotations(f), instant_near(f), st.integers(1, 3 * 96))))
def test_check_gaps_are_exactly_the_coverage_time_no_segment_covers(case):
    rotation, start, cells = case
    end = start + cells * CELL
    report = check_rotation(rotation, PEOPLE, start, end)
    gaps = [(f.start, f.end) for f in report.problems if f.kind == "gap"]
    segs = final_schedule(rotation, start, end)
    for a, b in gaps:
        assert (a - start) % CELL == timedelta(0) and (b - start) % CELL == timedelta(0)
    for n in range(cells):
        t = start + n * CELL
        uncovered = in_windows(rotation.coverage, rotation.tz, t) and not any(s.start <= t < s.end for s in segs)
        reported = any(a <= t < b for a, b in gaps)
        assert reported == uncovered, (t, gaps)
    assert all(b < c for (_, b), (c, _) in pairwise(gaps))  # merged: gaps never touch
