"""``oncall export``: feeds whose instants are exactly ``shifts --json``, across DST, byte-stable."""

from __future__ import annotations

import json
import os
import re
import shutil
import subprocess
import sys
from datetime import datetime, timezone
from pathlib import Path
from zoneinfo import ZoneInfo

import pytest
from conftest import BUNDLED, ROOT, write_folder

UTC = timezone.utc
GOLDEN = Path(__file__).parent / "golden"
ICALCHECK = Path(os.environ.get("ICALCHECK", ROOT.parent / "shared" / "icalcheck" / "icalcheck"))

PEOPLE = """
[people.ann]
name = "Ann Lee"
phone = "+14155550111"
[people.ben]
name = "Ben Cho"
phone = "+14155550112"
"""


def rotation(zone: str, start: str, every: str = "1d", extra: str = "") -> str:
    return f"""
name = "Desk {zone}"
timezone = "{zone}"
[[layer]]
name = "main"
members = ["ann", "ben"]
start = {start}
every = "{every}"
{extra}
"""


# Handoffs at wall times that do not exist or occur twice, in the zones that make it hard:
# New York (1h), Sydney (southern hemisphere) and Lord Howe (a 30-minute change).
DST_CASES = {
    "ny-skipped": rotation("America/New_York", "2026-03-01T02:30:00"),
    "ny-repeated": rotation("America/New_York", "2026-03-01T01:30:00"),
    "sydney-skipped": rotation("Australia/Sydney", "2026-03-01T02:30:00"),
    "sydney-weekly": rotation("Australia/Sydney", "2026-03-02T09:00:00", "1w"),
    "lordhowe-repeated": rotation("Australia/Lord_Howe", "2026-03-01T01:45:00", "12h"),
    "lordhowe-skipped": rotation("Australia/Lord_Howe", "2026-03-01T02:15:00"),
}
DST_FROM, DST_TO = "2026-03-01T00:00Z", "2026-11-15T00:00Z"


@pytest.fixture
def dst_dir(tmp_path) -> Path:
    return write_folder(tmp_path / "dst", {"people.toml": PEOPLE, **{f"{k}.toml": v for k, v in DST_CASES.items()}})


def export(cli, *args: str) -> bytes:
    r = cli("export", *args)
    assert r.code == 0, r.err
    return r.out.encode()


def parse(data: bytes):
    import icalendar

    return icalendar.Calendar.from_ical(data)


def event_rows(data: bytes) -> list[dict]:
    """The feed's events in the shape of ``shifts --json`` rows."""
    rows = []
    for ev in parse(data).walk("VEVENT"):
        rows.append({
            "rotation": str(ev["X-ONCALL-ROTATION"]), "person": str(ev["X-ONCALL-PERSON"]),
            "source": str(ev["X-ONCALL-SOURCE"]),
            "start": ev.decoded("DTSTART").astimezone(UTC).isoformat(),
            "end": ev.decoded("DTEND").astimezone(UTC).isoformat(),
        })
    return sorted(rows, key=lambda r: (r["start"], r["rotation"]))


def shifts(cli, *args: str) -> list[dict]:
    """``shifts --json`` rows as a feed carries them: clipped to the range (a feed has no
    ``shift_start``/``shift_end``, the uncut bounds)."""
    r = cli("shifts", *args, "--json")
    assert r.code == 0, r.err
    return [{k: v for k, v in row.items() if k not in ("shift_start", "shift_end")} for row in json.loads(r.out)]


def props(data: bytes, name: str) -> list[str]:
    """Raw (unfolded) values of property ``name`` in the VEVENTs, with its parameters."""
    events = "".join(re.findall(r"BEGIN:VEVENT.*?END:VEVENT", data.decode().replace("\r\n ", ""), re.S))
    return re.findall(rf"^{name}([;:].*)\r$", events, re.M)


# --- the instants are the schedule's ---------------------------------------------------


def test_bundled_feed_equals_shifts_json(cli):
    rng = ("--from", "2026-01-01T00:00Z", "--to", "2027-03-01T00:00Z", "--dir", str(BUNDLED))
    data = export(cli, *rng)
    expected = shifts(cli, *rng)
    assert len(expected) > 1000
    assert event_rows(data) == expected


@pytest.mark.parametrize("rid", ["platform", "sre", "support"])
def test_each_bundled_rotation_feed_equals_shifts_json(cli, rid):
    rng = (rid, "--from", "2026-10-20T00:00Z", "--to", "2027-01-20T00:00Z", "--dir", str(BUNDLED))
    assert event_rows(export(cli, *rng)) == shifts(cli, *rng)


def test_person_feed_equals_shifts_for_that_person(cli):
    rng = ("--from", "2026-01-01T00:00Z", "--to", "2027-03-01T00:00Z", "--dir", str(BUNDLED))
    data = export(cli, "--person", "carol", *rng)
    expected = shifts(cli, "--person", "carol", *rng)
    assert {r["rotation"] for r in expected} == {"platform"}
    assert event_rows(data) == expected
    [override] = [e for e in parse(data).walk("VEVENT") if e["X-ONCALL-SOURCE"] == "override"]
    assert "Override: covers for alice (new year trip)" in str(override["DESCRIPTION"])


@pytest.mark.parametrize("case", sorted(DST_CASES))
def test_dst_feed_equals_shifts_json(cli, dst_dir, case):
    rng = (case, "--from", DST_FROM, "--to", DST_TO, "--dir", str(dst_dir))
    data = export(cli, *rng)
    expected = shifts(cli, *rng)
    assert event_rows(data) == expected
    zone = ZoneInfo(re.search(r'timezone = "(.*)"', DST_CASES[case])[1])
    # Every TZID time is unambiguous there; the others are written in UTC.
    for value in props(data, "DTSTART") + props(data, "DTEND"):
        if value.startswith(";TZID="):
            wall = datetime.strptime(value.split(":")[-1], "%Y%m%dT%H%M%S")
            assert wall.replace(tzinfo=zone, fold=0).utcoffset() == wall.replace(tzinfo=zone, fold=1).utcoffset()
        else:
            assert value.endswith("Z")


def test_repeated_wall_time_is_written_in_utc(cli, dst_dir):
    data = export(cli, "ny-repeated", "--from", "2026-10-30T00:00Z", "--to", "2026-11-03T00:00Z",
                  "--dir", str(dst_dir))
    # 01:30 on 1 November occurs twice in New York; the handoff is the first one, 05:30 UTC.
    assert ":20261101T053000Z" in props(data, "DTSTART")
    assert ";TZID=America/New_York:20261102T013000" in props(data, "DTSTART")


def test_skipped_wall_time_is_the_instant_of_the_jump(cli, dst_dir):
    data = export(cli, "ny-skipped", "--from", "2026-03-07T00:00Z", "--to", "2026-03-10T00:00Z",
                  "--dir", str(dst_dir))
    # 02:30 on 8 March does not exist: the handoff is at 03:00 EDT.
    assert ";TZID=America/New_York:20260308T030000" in props(data, "DTSTART")


def test_vtimezone_per_zone_with_onsets_before_the_change(cli, dst_dir):
    data = export(cli, "--from", DST_FROM, "--to", DST_TO, "--dir", str(dst_dir))
    text = data.decode()
    assert sorted(re.findall(r"^TZID:(.*)\r$", text, re.M)) == [
        "America/New_York", "Australia/Lord_Howe", "Australia/Sydney"]
    assert "RRULE" not in text and "RDATE" not in text
    # Onsets are the local time before the change (RFC 5545 3.6.5).
    assert "DTSTART:20260308T020000\r\nTZOFFSETFROM:-0500\r\nTZOFFSETTO:-0400\r\n" in text
    assert "DTSTART:20261101T020000\r\nTZOFFSETFROM:-0400\r\nTZOFFSETTO:-0500\r\n" in text
    assert "DTSTART:20260405T030000\r\nTZOFFSETFROM:+1100\r\nTZOFFSETTO:+1000\r\n" in text
    assert "DTSTART:20260405T020000\r\nTZOFFSETFROM:+1100\r\nTZOFFSETTO:+1030\r\n" in text
    assert "DTSTART:20261004T020000\r\nTZOFFSETFROM:+1030\r\nTZOFFSETTO:+1100\r\n" in text


def test_utc_rotation_is_written_in_utc_without_vtimezone(cli):
    data = export(cli, "sre", "--from", "2026-03-01T00:00Z", "--to", "2026-03-02T00:00Z", "--dir", str(BUNDLED))
    assert b"VTIMEZONE" not in data
    assert all(v.startswith(":") and v.endswith("Z") for v in props(data, "DTSTART"))


# --- stable, reproducible ----------------------------------------------------------------


GOLDEN_PEOPLE = r"""
[people.ann]
name = "Ann O'Hara, MD; \"the\" \\ boss"
phone = "+14155550111"
[people.ben]
name = "Ben Ölçer 🚒"
phone = "+14155550112"
"""
GOLDEN_ROTATION = """
name = "Night desk"
timezone = "America/New_York"
[[layer]]
name = "nights"
members = ["ann", "ben"]
start = 2026-03-01T02:30:00
every = "1d"
only = ["daily 06:00-02:00"]
[[override]]
who = "ben"
start = 2026-03-08T12:00:00
end = 2026-03-08T18:00:00
note = "swap, as agreed; see \\\\wiki\\nline two 🙂 Donaudampfschifffahrtsgesellschaftskapitänsmützenabzeichen"
"""
GOLDEN_ARGS = ("night", "--from", "2026-03-07T00:00Z", "--to", "2026-03-10T00:00Z", "--remind", "15m", "--gaps",
               "--with-phones")


def test_golden_feed_byte_for_byte(cli, tmp_path):
    root = write_folder(tmp_path / "g", {"people.toml": GOLDEN_PEOPLE, "night.toml": GOLDEN_ROTATION})
    out = tmp_path / "night.ics"
    export(cli, *GOLDEN_ARGS, "--dir", str(root), "-o", str(out))
    data = out.read_bytes()
    golden = GOLDEN / "night.ics"
    if os.environ.get("ONCALL_UPDATE_GOLDEN"):
        golden.write_bytes(data)
    assert data == golden.read_bytes(), "feed changed; if on purpose, rerun with ONCALL_UPDATE_GOLDEN=1"
    export(cli, *GOLDEN_ARGS, "--dir", str(root), "-o", str(out))
    assert out.read_bytes() == data
    assert export(cli, *GOLDEN_ARGS, "--dir", str(root)) == data  # stdout gets the same bytes


def test_default_window_is_whole_days_so_exports_within_a_day_match(cli, use_clock):
    outs = []
    for now in ("2026-05-10T00:00:01Z", "2026-05-10T23:59:59.500000Z"):
        use_clock(datetime.fromisoformat(now.replace("Z", "+00:00")))
        outs.append(export(cli, "platform", "--dir", str(BUNDLED)))
    assert outs[0] == outs[1]
    rows = event_rows(outs[0])
    assert rows[0]["start"] == "2026-04-10T00:00:00+00:00"  # 30 days back, clipped
    assert rows[-1]["end"] == "2027-05-11T00:00:00+00:00"  # 365 days ahead, rounded up to a day
    assert rows == shifts(cli, "platform", "--from", "2026-04-10T00:00Z", "--to", "2027-05-11T00:00Z",
                          "--dir", str(BUNDLED))


def test_uids_are_stable_when_the_window_slides(cli):
    base = ("platform", "--to", "2026-04-01T00:00Z", "--dir", str(BUNDLED))
    early = parse(export(cli, *base, "--from", "2026-03-01T00:00Z")).walk("VEVENT")
    late = parse(export(cli, *base, "--from", "2026-03-04T00:00Z")).walk("VEVENT")
    # The week from 2 March is clipped in the later export but keeps its UID and DTSTAMP.
    assert [str(e["UID"]) for e in early[1:]] == [str(e["UID"]) for e in late]
    assert [e.decoded("DTSTAMP") for e in early[1:]] == [e.decoded("DTSTAMP") for e in late]
    assert late[0].decoded("DTSTART").astimezone(UTC) == datetime(2026, 3, 4, tzinfo=UTC)
    assert str(late[0]["UID"]) == "platform-20260302T140000Z@oncall"


def test_uids_are_unique_and_person_feeds_have_their_own(cli):
    rng = ("--from", "2026-01-01T00:00Z", "--to", "2027-01-01T00:00Z", "--dir", str(BUNDLED))
    uids = [str(e["UID"]) for e in parse(export(cli, *rng, "--gaps")).walk("VEVENT")]
    assert len(uids) == len(set(uids))
    mine = [str(e["UID"]) for e in parse(export(cli, "--person", "bob", *rng)).walk("VEVENT")]
    assert len(mine) == len(set(mine)) > 10
    assert not set(mine) & set(uids)


# --- what the events say --------------------------------------------------------------------


def test_event_fields_free_by_default_busy_on_request(cli):
    rng = ("platform", "--from", "2026-03-01T00:00Z", "--to", "2026-03-20T00:00Z", "--dir", str(BUNDLED),
           "--with-phones")
    cal = parse(export(cli, *rng))
    assert str(cal["METHOD"]) == "PUBLISH"
    assert str(cal["X-WR-CALNAME"]) == "On call: Platform"
    # No X-WR-TIMEZONE: the feed has no floating times, and recurring-ical-events moves UTC
    # times into that zone, misplacing the repeated hour (see test_icalcheck_...).
    assert "X-WR-TIMEZONE" not in cal
    assert str(cal["X-PUBLISHED-TTL"]) == "PT1H"
    assert b"REFRESH-INTERVAL;VALUE=DURATION:PT1H\r\n" in export(cli, *rng)
    ev = cal.walk("VEVENT")[1]
    assert str(ev["SUMMARY"]) == "Alice Moreau on call (Platform)"
    assert str(ev["DESCRIPTION"]).split("\n") == [
        "Alice Moreau (alice) is on call for Platform (platform).", "Phone: +14155550101", "Layer: weekly",
        "Next: Bob Okafor (bob) from Mon 2026-03-09 09:00 EDT"]
    assert (str(ev["TRANSP"]), str(ev["X-MICROSOFT-CDO-BUSYSTATUS"])) == ("TRANSPARENT", "FREE")
    assert not ev.walk("VALARM")
    ev = parse(export(cli, *rng, "--busy")).walk("VEVENT")[1]
    assert (str(ev["TRANSP"]), str(ev["X-MICROSOFT-CDO-BUSYSTATUS"])) == ("OPAQUE", "BUSY")


def test_remind_adds_an_alarm_before_each_shift(cli):
    rng = ("platform", "--from", "2026-03-01T00:00Z", "--to", "2026-03-20T00:00Z", "--dir", str(BUNDLED))
    events = parse(export(cli, *rng, "--remind", "1h30m")).walk("VEVENT")
    assert events
    for ev in events:
        [alarm] = ev.walk("VALARM")
        assert str(alarm["ACTION"]) == "DISPLAY"
        assert alarm.decoded("TRIGGER").total_seconds() == -5400


def test_gaps_become_no_one_on_call_events_equal_to_check(cli, tmp_path):
    root = write_folder(tmp_path / "holes", {"people.toml": PEOPLE, "holes.toml": rotation(
        "Europe/Berlin", "2026-03-02T08:00:00", extra='only = ["daily 08:00-20:00"]')})
    rng = ("--from", "2026-03-25T00:00Z", "--to", "2026-04-02T00:00Z", "--dir", str(root))
    assert not [s for s in props(export(cli, *rng), "SUMMARY") if "NO ONE ON CALL" in s]
    events = parse(export(cli, *rng, "--gaps")).walk("VEVENT")
    holes = [(e.decoded("DTSTART").astimezone(UTC).isoformat(), e.decoded("DTEND").astimezone(UTC).isoformat())
             for e in events if str(e["SUMMARY"]).startswith("NO ONE ON CALL")]
    r = cli("check", *rng, "--json")
    problems = [(p["start"], p["end"]) for p in json.loads(r.out)["problems"] if p["kind"] == "gap"]
    assert len(holes) == 9 and holes == problems
    assert all("X-ONCALL-PERSON" not in e for e in events if str(e["SUMMARY"]).startswith("NO ONE"))


def test_gaps_follow_the_coverage_windows(cli):
    # Support only needs weekdays 09:00-17:00 covered, and is: no hole events at night.
    data = export(cli, "support", "--gaps", "--from", "2026-03-01T00:00Z", "--to", "2026-04-01T00:00Z",
                  "--dir", str(BUNDLED))
    assert not [s for s in props(data, "SUMMARY") if "NO ONE ON CALL" in s]


def test_text_is_escaped_folded_crlf_utf8(cli, tmp_path):
    root = write_folder(tmp_path / "g", {"people.toml": GOLDEN_PEOPLE, "night.toml": GOLDEN_ROTATION})
    data = export(cli, *GOLDEN_ARGS, "--dir", str(root))
    lines = data.split(b"\r\n")
    assert lines[-1] == b"" and all(b"\n" not in line and b"\r" not in line for line in lines)
    assert max(len(line) for line in lines) <= 75
    assert any(len(line) == 75 for line in lines)
    for line in lines:
        line.decode()  # each physical line is whole UTF-8: no character split by a fold
    desc = props(data, "DESCRIPTION")
    assert any(r"swap\, as agreed\; see \\wiki\nline two 🙂" in d for d in desc)
    events = parse(data).walk("VEVENT")
    assert "Ann O'Hara, MD; \"the\" \\ boss on call (Night desk)" in [str(e["SUMMARY"]) for e in events]
    [override] = [e for e in events if e.get("X-ONCALL-SOURCE") == "override"]
    assert "Override: swap, as agreed; see \\wiki\nline two 🙂 Donau" in str(override["DESCRIPTION"])


# --- the publishable folder ------------------------------------------------------------------


def test_all_writes_a_feed_per_rotation_and_person_and_an_index(cli, tmp_path):
    out = tmp_path / "site"
    rng = ("--from", "2026-03-01T00:00Z", "--to", "2026-04-01T00:00Z", "--dir", str(BUNDLED))
    r = cli("export", "--all", "-o", str(out), *rng)
    assert r.code == 0, r.err
    files = sorted(str(p.relative_to(out)) for p in out.rglob("*") if p.is_file())
    from oncall.load import load_directory

    d = load_directory(BUNDLED)
    assert files == sorted(["index.html"] + [f"rotations/{r}.ics" for r in d.rotations]
                           + [f"people/{p}.ics" for p in d.people])
    assert {"rotations/platform.ics", "people/alice.ics"} <= set(files)
    index = (out / "index.html").read_text()
    links = re.findall(r'class="webcal" href="([^"]+)"', index)
    assert sorted(links) == sorted(f for f in files if f.endswith(".ics"))
    assert "webcal:" in index and "Inès Duarte (ines)" in index
    assert (out / "rotations/platform.ics").read_bytes() == export(cli, "platform", *rng)
    assert event_rows((out / "people/erin.ics").read_bytes()) == shifts(cli, "--person", "erin", *rng)
    assert not list(out.rglob(".*.tmp"))


@pytest.mark.parametrize("args, code, message", [
    (("--all",), 2, "--all needs -o DIR"),
    (("--all", "platform", "-o", "x"), 2, "do not name any"),
    (("--person", "zed"), 4, "no person 'zed'"),
    (("nope",), 4, "no rotation 'nope'"),
    (("--remind", "soon"), 2, "--remind"),
    (("--person", "bob", "--gaps"), 2, "--gaps"),
    (("--from", "2026-03-02T00:00Z", "--to", "2026-03-01T00:00Z"), 2, "--to must be after --from"),
    (("--from", "yesterday"), 2, "--from"),
])
def test_usage_errors_are_one_line(cli, args, code, message):
    r = cli("export", *args, "--dir", str(BUNDLED))
    assert r.code == code
    assert message in r.err and "Traceback" not in r.err


def test_unwritable_output_is_a_clear_error(cli, tmp_path):
    (tmp_path / "file").write_text("x")
    r = cli("export", "platform", "--dir", str(BUNDLED), "-o", str(tmp_path / "file" / "feed.ics"))
    assert r.code == 2 and "cannot write" in r.err


def test_core_does_not_import_icalendar_typer_or_rich():
    code = ("import sys, oncall.ical, oncall.cli.export; "
            "bad = {'icalendar', 'rich'} & set(sys.modules); assert not bad, bad; "
            "import oncall.ical as i; assert 'typer' not in i.__dict__")
    subprocess.run([sys.executable, "-c", code], check=True, cwd=ROOT)


# --- three independent readers agree (../shared/icalcheck) --------------------------------------


@pytest.fixture(scope="session")
def icalcheck():
    """Runs icalcheck; skips when it cannot run here, except in CI, where it must."""
    def unavailable(reason: str):
        if os.environ.get("CI") == "true":
            pytest.fail(f"icalcheck must run in CI: {reason}")
        pytest.skip(f"icalcheck cannot run here: {reason}")

    if not ICALCHECK.exists():
        unavailable(f"{ICALCHECK} not found")
    for tool in ("node", "npm", "python3"):
        if not shutil.which(tool):
            unavailable(f"{tool} is not installed")
    try:
        # The first run installs ical.js, vobject and (as root) libical.
        setup = subprocess.run([str(ICALCHECK), "--help"], capture_output=True, text=True, timeout=900)
    except (OSError, subprocess.TimeoutExpired) as e:
        unavailable(str(e))
    if setup.returncode != 0:
        unavailable(f"setup failed: {setup.stderr.strip()[-300:]}")

    def run(path: Path, start: str, end: str, save: Path) -> dict:
        p = subprocess.run([str(ICALCHECK), str(path), "--from", start, "--to", end, "--json", "--all-readers",
                            "--save", str(save)],
                           capture_output=True, text=True, timeout=600)
        report = json.loads(p.stdout)
        instances = {}
        for name, tool in report["tools"].items():
            if not tool["skipped"]:
                with open(save / f"{name}.jsonl") as f:
                    instances[name] = sorted((i["start_utc"], i["end_utc"]) for i in map(json.loads, f))
        return {"rc": p.returncode, "report": report, "instances": instances}

    return run


def _z(iso: str) -> str:
    return datetime.fromisoformat(iso).astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%SZ")


READERS = {"ical.js", "vobject", "libical", "recurring-ical-events", "ical"}
# Samoa skipped 30 December 2011 (-10:00 -> +14:00); vobject crashed on it declared as DAYLIGHT.
APIA = {"people.toml": PEOPLE, "apia.toml": rotation("Pacific/Apia", "2011-12-01T09:00:00")}


@pytest.mark.parametrize("folder", ["bundled", "bundled-ny-repeated-hour", "dst", "apia-2011"])
def test_icalcheck_all_five_readers_agree_with_shifts(cli, icalcheck, dst_dir, tmp_path, folder):
    # The bundled folder across 2026-11-01 put follow-the-sun handoffs in New York's repeated
    # hour; with X-WR-TIMEZONE, recurring-ical-events moved them an hour early.
    root, start, end = {
        "bundled": (BUNDLED, "2026-02-15T00:00Z", "2026-12-01T00:00Z"),
        "bundled-ny-repeated-hour": (BUNDLED, "2026-10-25T00:00Z", "2026-11-08T00:00Z"),
        "dst": (dst_dir, DST_FROM, DST_TO),
        "apia-2011": (write_folder(tmp_path / "apia", APIA), "2011-12-20T00:00Z", "2012-01-10T00:00Z"),
    }[folder]
    feed = tmp_path / "feed.ics"
    export(cli, "--from", start, "--to", end, "--dir", str(root), "-o", str(feed), "--remind", "15m")
    expected = sorted((_z(r["start"]), _z(r["end"])) for r in shifts(cli, "--from", start, "--to", end,
                                                                      "--dir", str(root)))
    (tmp_path / "save").mkdir()
    result = icalcheck(feed, start, end, tmp_path / "save")
    report = result["report"]
    assert result["rc"] == 0, [p for p in report["problems"] if p["severity"] != "info"]
    assert [p["code"] for p in report["problems"] if p["severity"] != "info"] == []
    assert set(result["instances"]) == READERS
    for name, got in result["instances"].items():
        assert got == expected, name


def test_a_mistyped_output_folder_is_an_error_not_a_new_tree(cli, tmp_path):
    target = tmp_path / "no-such-folder" / "platform.ics"
    r = cli("export", "platform", "--dir", str(BUNDLED), "--from", "2026-03-01T00:00Z", "--to", "2026-03-08T00:00Z",
            "-o", str(target))
    assert r.code == 2 and "cannot write" in r.err and "Traceback" not in r.err
    assert not (tmp_path / "no-such-folder").exists()


# --- a shift keeps its UID however long it is -------------------------------------------------



def _uids(cli, folder, start: str, end: str) -> list[str]:
    r = cli("export", "--dir", str(folder), "--from", start, "--to", end)
    assert r.code == 0, r.err
    return re.findall(r"^(?:UID|DTSTAMP):(.*)\r$", r.out, re.M)


@pytest.mark.parametrize("rotation", [
    # A quarterly rotation: the shift began 2026-04-06 09:00 EDT, 75+ days before the windows.
    'timezone = "America/New_York"\n[[layer]]\nmembers = ["ann", "ben"]\nstart = 2026-01-05T09:00:00\nevery = "13w"\n',
    # A 150-day override over a weekly rotation, from 2026-04-06 09:00 EDT.
    'timezone = "America/New_York"\n[[layer]]\nmembers = ["ann"]\nstart = 2026-01-05T09:00:00\nevery = "1w"\n'
    '[[override]]\nwho = "ben"\nstart = 2026-04-06T09:00:00\nend = 2026-09-03T09:00:00\n',
])
def test_a_shift_longer_than_the_look_back_keeps_its_uid_when_the_window_slides(cli, tmp_path, rotation):
    # The true start was looked for only 62 days before the window: beyond that, the UID and
    # DTSTAMP moved with the window, so calendars that import the feed duplicated the event.
    folder = write_folder(tmp_path / "r", {"people.toml": PEOPLE, "mgr.toml": rotation})
    first = _uids(cli, folder, "2026-06-20T00:00Z", "2026-07-03T00:00Z")
    later = _uids(cli, folder, "2026-06-21T00:00Z", "2026-07-03T00:00Z")
    assert first == later == ["mgr-20260406T130000Z@oncall", "20260406T130000Z"]
