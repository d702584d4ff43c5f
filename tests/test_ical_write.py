"""``oncall.ical_write`` escapes and folds exactly as ``icalendar`` does (its own loops are
the slow part of ``export --all``, issue 16): compared on random text, no clock."""

from __future__ import annotations

import random

import pytest
from icalendar.parser import Contentline
from icalendar.prop import vText

from oncall import ical_write

ALPHABET = "ab Z09:;,\\^\"\n\r\tN"


def _texts(seed: int, count: int, alphabet: str = ALPHABET) -> list[str]:
    rng = random.Random(seed)
    return ["".join(rng.choice(alphabet) for _ in range(rng.randint(0, 400))) for _ in range(count)]


def test_text_escapes_as_vtext_does_around_a_literal_backslash_n():
    for value in _texts(1, 2000):
        expected = "\\\\N".join(vText(p).to_ical().decode() for p in value.replace("\t", "").split("\\N"))
        assert ical_write.text(value.replace("\t", "")) == expected, repr(value)


@pytest.mark.parametrize("alphabet", [ALPHABET.replace("\n", "").replace("\r", ""), "\\^x", "éa\\☃ b"],
                         ids=["ascii", "escapes", "non-ascii"])
def test_line_folds_as_contentline_does(alphabet):
    for value in _texts(2, 2000, alphabet):
        expected = (Contentline(value).to_ical() if len(value.encode()) > 75 else value.encode()) + b"\r\n"
        assert ical_write.folded(value).encode() == expected, repr(value)


def test_fold_start_leaves_a_line_folded_as_it_would_be_with_any_ending():
    rng = random.Random(3)
    alphabet = ALPHABET.replace("\n", "").replace("\r", "")
    for content in _texts(4, 1500, alphabet):
        done, rest = ical_write.fold_start(content)
        for _ in range(3):
            more = "".join(rng.choice(alphabet) for _ in range(rng.randint(1, 90)))
            whole = ical_write.folded(content + more)
            if done:
                assert whole == done + ical_write._fold_ascii(rest + more) + "\r\n", repr(content + more)
            else:
                assert rest == content and whole == ical_write.folded(rest + more)


def _icalendar_calendar(name: str, zones) -> bytes:
    """What ``ical_write.calendar`` wrote through ``icalendar``'s components before it wrote
    the calendar's lines itself: the oracle for its bytes."""
    from datetime import timedelta

    from icalendar import Calendar, Timezone, TimezoneDaylight, TimezoneStandard
    from icalendar.prop import vDuration, vInline

    from oncall.sanitize import xml_safe

    cal = Calendar()
    for key, value in (("VERSION", "2.0"), ("PRODID", ical_write.PRODID), ("CALSCALE", "GREGORIAN"),
                       ("METHOD", "PUBLISH")):
        cal.add(key, value)
    for key in ("X-WR-CALNAME", "NAME"):  # TEXT, escaped as vText escapes (test above)
        cal.add(key, vInline(ical_write.text(name)))
    cal.add("REFRESH-INTERVAL", timedelta(hours=1), parameters={"VALUE": "DURATION"})
    cal.add("X-PUBLISHED-TTL", vDuration(timedelta(hours=1)))
    for tzid, obs in zones:
        tz = Timezone()
        tz.add("TZID", tzid)
        for o in obs:
            part = TimezoneDaylight() if o.daylight else TimezoneStandard()
            part.add("DTSTART", o.onset)
            part.add("TZOFFSETFROM", o.offset_from)
            part.add("TZOFFSETTO", o.offset_to)
            if o.name:
                part.add("TZNAME", xml_safe(o.name))
            tz.add_component(part)
        cal.add_component(tz)
    return cal.to_ical(sorted=False)


def test_calendar_and_vtimezones_are_icalendars_bytes_for_every_zone():
    """Every zone's VTIMEZONE (2026 and a year of old rules, 1972, with offsets in seconds
    such as Monrovia's -00:44:30), and calendar names that need escaping and folding."""
    import zoneinfo
    from datetime import datetime, timezone

    from oncall import ical_tz

    windows = [(datetime(2026, 1, 1, tzinfo=timezone.utc), datetime(2027, 1, 1, tzinfo=timezone.utc)),
               (datetime(1972, 1, 1, tzinfo=timezone.utc), datetime(1972, 6, 1, tzinfo=timezone.utc))]
    names = ["On call: Ops", "On call: Zoë, \"night\"; a\\b " + "x" * 80, "é" * 60]
    zones = sorted(zoneinfo.available_timezones())
    assert len(zones) > 300
    for start, end in windows:
        for i, key in enumerate(zones):
            obs = ical_tz.observances(zoneinfo.ZoneInfo(key), start, end)
            name = names[i % len(names)]
            assert ical_write.calendar(name, [(key, obs)], []) == _icalendar_calendar(name, [(key, obs)]), key
    two = [(k, ical_tz.observances(zoneinfo.ZoneInfo(k), *windows[0])) for k in ("Europe/Berlin", "Asia/Kolkata")]
    assert ical_write.calendar("x", two, []) == _icalendar_calendar("x", two)


@pytest.mark.parametrize("key, year", [("America/Cambridge_Bay", 2000), ("Asia/Gaza", 2040),
                                       ("America/Asuncion", 2024), ("Europe/Dublin", 2026),
                                       ("Pacific/Apia", 2011), ("Australia/Lord_Howe", 2026)])
def test_a_zones_changes_are_found_by_a_daily_scan_as_by_an_hourly_one(key, year):
    """``ical_tz.transitions`` probes once a day: the zones whose changes come closest
    together (166 and 167 hours apart), half-hour DST, negative DST and a skipped day."""
    from datetime import datetime, timezone
    from zoneinfo import ZoneInfo

    from oncall import ical_tz

    tz = ZoneInfo(key)
    lo = int(datetime(year, 1, 1, tzinfo=timezone.utc).timestamp())
    hi = int(datetime(year + 1, 1, 1, tzinfo=timezone.utc).timestamp())
    hourly = []
    for t in range(lo, hi, 3600):
        a, b = t, t + 3600
        if ical_tz._state(tz, a) != ical_tz._state(tz, b):
            while b - a > 1:
                mid = (a + b) // 2
                a, b = (mid, b) if ical_tz._state(tz, mid) == ical_tz._state(tz, t) else (a, mid)
            hourly.append((b, ical_tz._state(tz, b - 1), ical_tz._state(tz, b)))
    assert hourly
    for shift in range(0, 8 * 86400, 86400 + 3600):  # a scan's grid starts where it is asked to
        assert list(ical_tz.transitions(tz, lo + shift, hi)) == [c for c in hourly if c[0] > lo + shift]
