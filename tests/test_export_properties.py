"""Any text a manager types survives export and parsing unchanged, and every feed line is
legal: at most 75 octets, whole UTF-8 characters, CRLF."""

from __future__ import annotations

import re
from datetime import datetime, timedelta, timezone

from hypothesis import given, settings
from hypothesis import strategies as st

from oncall import ical
from oncall.model import Directory, Layer, Override, Person, Rotation

UTC = timezone.utc
START = datetime(2026, 3, 7, tzinfo=UTC)
END = datetime(2026, 3, 10, tzinfo=UTC)

_plain = st.characters(blacklist_categories=("Cs", "Cc"))  # surrogates and controls cannot be written
_piece = st.one_of(
    st.sampled_from([",", ";", "\\", "\n", "\\n", "\\,", ":", '"', "\t", " ", "🙂", "👩‍💻", "🚒", "é", "日本"]),
    st.text(_plain, max_size=12),
    st.text(st.sampled_from("abcdefghijklmnopqrstuvwxyzé🙂"), min_size=200, max_size=200),
)
texts = st.lists(_piece, min_size=1, max_size=6).map("".join).filter(lambda s: s.strip() != "")


def directory(person_name: str, rotation_name: str, note: str) -> Directory:
    layer = Layer("main", ("ann",), datetime(2026, 3, 1, 2, 30), timedelta(days=1), "America/New_York")
    override = Override("ann", datetime(2026, 3, 8, 12, tzinfo=UTC), datetime(2026, 3, 8, 18, tzinfo=UTC), note)
    rot = Rotation("desk", rotation_name, "America/New_York", (layer,), (override,))
    return Directory(people={"ann": Person("ann", person_name, phone="+14155550111")}, rotations={"desk": rot})


def unescape(value) -> str:
    """RFC 5545 TEXT unescaping, for properties icalendar leaves raw (X-WR-CALNAME)."""
    return re.sub(r"\\([\\;,nN])", lambda m: "\n" if m[1] in "nN" else m[1], str(value))


def check_lines(data: bytes) -> None:
    assert data.endswith(b"\r\n")
    for line in data[:-2].split(b"\r\n"):
        assert len(line) <= 75 and b"\n" not in line and b"\r" not in line
        line.decode()  # raises if a fold split a character


@settings(max_examples=100, deadline=None)
@given(person_name=texts, rotation_name=texts, note=texts)
def test_names_and_notes_round_trip(person_name, rotation_name, note):
    import icalendar

    d = directory(person_name, rotation_name, note)
    data = ical.rotation_feed(d, ["desk"], START, END, ical.Options(remind=timedelta(minutes=15)))
    check_lines(data)
    cal = icalendar.Calendar.from_ical(data)
    assert unescape(cal["X-WR-CALNAME"]) == f"On call: {rotation_name}"
    events = cal.walk("VEVENT")
    assert {str(e["SUMMARY"]) for e in events} == {f"{person_name} on call ({rotation_name})"}
    [override] = [e for e in events if str(e["X-ONCALL-SOURCE"]) == "override"]
    description = str(override["DESCRIPTION"])
    assert description.startswith(f"{person_name} (ann) is on call for {rotation_name} (desk).\n")
    assert description.endswith(f"\nOverride: {note}")  # one member: nobody is next
    assert str(override.walk("VALARM")[0]["DESCRIPTION"]) == f"{person_name} on call ({rotation_name})"
    person = ical.person_feed(d, "ann", ["desk"], START, END)
    check_lines(person)
    assert unescape(icalendar.Calendar.from_ical(person)["X-WR-CALNAME"]) == f"On call: {person_name}"


def test_carriage_returns_become_newlines_and_controls_are_dropped():
    import icalendar

    d = directory("Ann\r\nLee\x00\x07", "Desk\rA", "a\r\nb\x1bc")
    cal = icalendar.Calendar.from_ical(ical.rotation_feed(d, ["desk"], START, END))
    assert unescape(cal["X-WR-CALNAME"]) == "On call: Desk\nA"
    [override] = [e for e in cal.walk("VEVENT") if str(e["X-ONCALL-SOURCE"]) == "override"]
    assert str(override["SUMMARY"]) == "Ann\nLee on call (Desk\nA)"
    assert str(override["DESCRIPTION"]).endswith("\nOverride: a\nbc")
