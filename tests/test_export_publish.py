"""``export`` as publishing: what a folder for a web server leaves out, where a feed may be
written, and text that must never reach a feed."""

from __future__ import annotations

import os
import stat
from datetime import datetime, timedelta, timezone

from conftest import BUNDLED, write_folder
from test_export import PEOPLE, parse, props, rotation

from oncall import ical
from oncall.model import Directory, Layer, Override, Person, Rotation

UTC = timezone.utc
RNG = ("--from", "2026-03-01T00:00Z", "--to", "2026-04-01T00:00Z")


def test_published_folder_leaves_phones_out_unless_with_phones(cli, tmp_path):
    r = cli("export", "--all", "-o", str(tmp_path / "site"), *RNG, "--dir", str(BUNDLED))
    assert r.code == 0, r.err
    feeds = list((tmp_path / "site").rglob("*.ics"))
    assert feeds and not [f for f in feeds if b"Phone:" in f.read_bytes() or b"555010" in f.read_bytes()]
    r = cli("export", "--all", "--with-phones", "-o", str(tmp_path / "private"), *RNG, "--dir", str(BUNDLED))
    assert r.code == 0, r.err
    events = parse((tmp_path / "private/rotations/platform.ics").read_bytes()).walk("VEVENT")
    desc = [str(e["DESCRIPTION"]) for e in events]
    assert desc and all("\nPhone: +1" in d for d in desc)


def test_every_feed_leaves_phones_out_unless_with_phones(cli):
    """A one-rotation or one-person feed is imported into shared calendars as often as a
    folder is published: no feed carries phone numbers unless asked."""
    for args in (("platform",), ("--person", "alice")):
        r = cli("export", *args, *RNG, "--dir", str(BUNDLED))
        assert "Phone:" not in r.out and "555010" not in r.out and "SUMMARY:" in r.out
        r = cli("export", *args, "--with-phones", *RNG, "--dir", str(BUNDLED))
        assert "Phone: +14155550101" in r.out.replace("\r\n ", "")  # unfolded


def test_no_gap_events_before_a_rotations_first_handoff(cli, tmp_path):
    root = write_folder(tmp_path / "late", {"people.toml": PEOPLE, "late.toml": rotation(
        "Europe/Berlin", "2026-03-20T08:00:00", extra='only = ["daily 08:00-20:00"]')})
    data = cli("export", "late", "--gaps", *RNG, "--dir", str(root)).out.encode()
    holes = [(e.decoded("DTSTART").astimezone(UTC), e.decoded("DTEND").astimezone(UTC))
             for e in parse(data).walk("VEVENT") if str(e["SUMMARY"]).startswith("NO ONE ON CALL")]
    first = datetime(2026, 3, 20, 7, tzinfo=UTC)  # 08:00 CET
    assert holes and min(a for a, _ in holes) >= first
    assert holes[0][0] == datetime(2026, 3, 20, 19, tzinfo=UTC)  # the first night after the first shift


def test_output_to_a_character_device_is_a_stream_not_replaced(cli, tmp_path):
    before = os.stat("/dev/null")
    r = cli("export", "platform", *RNG, "--dir", str(BUNDLED), "-o", "/dev/null")
    assert r.code == 0, r.err
    after = os.stat("/dev/null")
    assert stat.S_ISCHR(after.st_mode) and after.st_ino == before.st_ino


def test_output_to_a_fifo_is_written_as_a_stream(cli, tmp_path):
    import threading

    fifo = tmp_path / "feed.fifo"
    os.mkfifo(fifo)
    got = []
    reader = threading.Thread(target=lambda: got.append(fifo.read_bytes()), daemon=True)
    reader.start()
    r = cli("export", "platform", *RNG, "--dir", str(BUNDLED), "-o", str(fifo))
    reader.join(timeout=30)
    assert r.code == 0, r.err
    assert stat.S_ISFIFO(os.lstat(fifo).st_mode)
    assert got and got[0].startswith(b"BEGIN:VCALENDAR") and got[0].endswith(b"END:VCALENDAR\r\n")


def test_feed_over_a_symlink_keeps_the_link_and_is_published_0644(cli, tmp_path):
    target = tmp_path / "real.ics"
    target.write_text("old")
    target.chmod(0o600)
    link = tmp_path / "feed.ics"
    link.symlink_to(target)
    r = cli("export", "platform", *RNG, "--dir", str(BUNDLED), "-o", str(link))
    assert r.code == 0, r.err
    assert link.is_symlink() and target.read_bytes().startswith(b"BEGIN:VCALENDAR")
    assert stat.S_IMODE(target.stat().st_mode) == 0o644


def test_control_characters_and_ansi_never_reach_a_feed():
    layer = Layer("main", ("ann",), datetime(2026, 3, 1, 9), timedelta(days=1), "America/New_York")
    o = Override("ann", datetime(2026, 3, 8, 12, tzinfo=UTC), datetime(2026, 3, 8, 18, tzinfo=UTC),
                 "\x1b[31mCRITICAL\x1b[0m\x00\x0b\x7f\x85 C:\\New")
    rot = Rotation("desk", "Desk\x1b[2J", "America/New_York", (layer,), (o,))
    d = Directory(people={"ann": Person("ann", "Ann\x07 Lee", phone="+14155550111")}, rotations={"desk": rot})
    start, end = datetime(2026, 3, 7, tzinfo=UTC), datetime(2026, 3, 10, tzinfo=UTC)
    for data in (ical.rotation_feed(d, ["desk"], start, end), ical.person_feed(d, "ann", ["desk"], start, end)):
        assert not [b for b in data if b < 32 and b not in b"\r\n"] and b"\x7f" not in data
        assert "\x85" not in data.decode()
    [ev] = [e for e in parse(ical.rotation_feed(d, ["desk"], start, end)).walk("VEVENT")
            if str(e["X-ONCALL-SOURCE"]) == "override"]
    assert str(ev["SUMMARY"]) == "Ann Lee on call (Desk)"
    assert str(ev["DESCRIPTION"]).endswith("\nOverride: CRITICAL C:\\New")  # a backslash-N stays text


def _brute_force_note(rot: Rotation, t: datetime, who: str) -> str | None:
    notes = [o.note for o in rot.overrides if o.start <= t < o.end and o.who == who]
    return notes[-1] if notes else None


def test_override_notes_by_index_equal_the_last_written_matching_override():
    import random

    rng = random.Random(7)
    base = datetime(2026, 3, 1, tzinfo=UTC)
    overrides = []
    for i in range(400):
        a = base + timedelta(hours=rng.randrange(0, 24 * 20))
        overrides.append(Override(rng.choice("ab"), a, a + timedelta(hours=rng.randrange(1, 72)), f"n{i}"))
    layer = Layer("main", ("a", "b"), datetime(2026, 3, 1, 9), timedelta(days=1), "UTC")
    rot = Rotation("r", "R", "UTC", (layer,), tuple(overrides))
    notes = ical._Notes(rot.overrides)
    for k in range(24 * 25):
        t = base + timedelta(hours=k, minutes=30)
        for who in "ab":
            assert notes.note(t, who) == _brute_force_note(rot, t, who), (t, who)


def test_the_all_folder_person_feeds_equal_single_person_exports(cli, tmp_path):
    out = tmp_path / "site"
    assert cli("export", "--all", "--with-phones", "-o", str(out), *RNG, "--dir", str(BUNDLED)).code == 0
    for pid in ("alice", "erin"):
        assert (out / f"people/{pid}.ics").read_bytes() == cli(
            "export", "--person", pid, "--with-phones", *RNG, "--dir", str(BUNDLED)).out.encode()
    assert props((out / "people/alice.ics").read_bytes(), "UID")
