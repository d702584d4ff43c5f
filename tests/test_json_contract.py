"""The machine-readable contract scripts rely on: every ``--json`` shape and the exit codes.

Sources: DESIGN.md "Commands", README "JSON (a stable contract)" and "Exit codes", and
docs/coverage.md, docs/paging.md, docs/editing.md. For every command with ``--json`` this
pins, at fixed instants on the bundled rotations: the exact keys of every object (nested
too) and their types, keys sorted in the raw text, times ISO 8601 with an offset (UTC by
default, the ``--tz`` zone when given: the suite's TZ=America/St_Johns shows any leak),
people and rotations by id, byte-identical output on a second run and under another
machine zone, and the documented exit code of each main outcome.

Every clock a command could read is replaced by a fixed one, so nothing here depends on
today. Paging runs through a recording fake pager (the ``fake_pager`` fixture) with a fake clock,
so a 30-minute escalation takes no real time.
"""

from __future__ import annotations

import importlib
import json
import re
import shutil
from datetime import datetime, timezone
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

import pytest
from conftest import BUNDLED

from oncall.load import load_directory
from oncall.paging import PagerError
from oncall.paging.fake import FakeClock, FakePager, Reaction

T0 = datetime(2027, 1, 5, 12, 0, tzinfo=timezone.utc)  # a Tuesday: Carol covers Alice's week
AT = "2027-01-05T12:00Z"
DIR = str(BUNDLED)
_D = load_directory(BUNDLED)
PEOPLE = frozenset(_D.people)
ROTATIONS = frozenset(_D.rotations)
PHONE = {pid: p.phone for pid, p in _D.people.items()}
del _D

# ------------------------------------------------------------------ the schema checker


class Opt(tuple):
    """One of several specs."""

    def __new__(cls, *specs):
        return super().__new__(cls, specs)


class Enum(frozenset):
    """A string from a fixed set."""


class MapOf(tuple):
    """A dict whose keys match the first spec and values the second (e.g. hours per person)."""

    def __new__(cls, key, value):
        return super().__new__(cls, (key, value))


TIME, PERSON, ROTATION, INT, NUM, SOURCE = "TIME", "PERSON", "ROTATION", "INT", "NUM", "SOURCE"
ISO = re.compile(r"\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}(?:\.\d{1,6})?(?:[+-]\d{2}:\d{2}|Z)?")


def conform(value: Any, spec: Any, zone, path: str = "$") -> None:
    """Assert ``value`` matches ``spec`` exactly: dicts have exactly the spec's keys."""
    if isinstance(spec, Opt):
        errors = []
        for s in spec:
            try:
                conform(value, s, zone, path)
                return
            except AssertionError as e:
                errors.append(str(e))
        raise AssertionError(f"{path}: {value!r} matches none of: " + " | ".join(errors))
    if spec is None:
        assert value is None, f"{path}: expected null, got {value!r}"
    elif isinstance(spec, Enum):
        assert isinstance(value, str) and value in spec, f"{path}: {value!r} not in {sorted(spec)}"
    elif isinstance(spec, MapOf):
        assert isinstance(value, dict), f"{path}: expected an object, got {value!r}"
        for k, v in value.items():
            conform(k, spec[0], zone, f"{path}.<key {k}>")
            conform(v, spec[1], zone, f"{path}.{k}")
    elif isinstance(spec, dict):
        assert isinstance(value, dict), f"{path}: expected an object, got {value!r}"
        assert set(value) == set(spec), f"{path}: keys {sorted(value)} != {sorted(spec)}"
        for k, s in spec.items():
            conform(value[k], s, zone, f"{path}.{k}")
    elif isinstance(spec, list):
        assert isinstance(value, list), f"{path}: expected a list, got {value!r}"
        for i, v in enumerate(value):
            conform(v, spec[0], zone, f"{path}[{i}]")
    elif spec == TIME:
        assert isinstance(value, str) and ISO.fullmatch(value), f"{path}: {value!r} is not ISO 8601"
        t = datetime.fromisoformat(value)
        assert t.tzinfo is not None, f"{path}: {value!r} has no offset"
        assert t.astimezone(zone).isoformat() == value, f"{path}: {value!r} is not written in {zone}"
    elif spec == PERSON:
        assert value in PEOPLE, f"{path}: {value!r} is not a person id"
    elif spec == ROTATION:
        assert value in ROTATIONS, f"{path}: {value!r} is not a rotation id"
    elif spec == SOURCE:
        assert isinstance(value, str) and re.fullmatch(r"override|layer:[a-z0-9-]+", value), f"{path}: {value!r}"
    elif spec == INT:
        assert isinstance(value, int) and not isinstance(value, bool), f"{path}: {value!r} is not an integer"
    elif spec == NUM:
        assert isinstance(value, (int, float)) and not isinstance(value, bool), f"{path}: {value!r} is not a number"
    else:
        assert isinstance(value, spec) and not (spec is not bool and isinstance(value, bool)), \
            f"{path}: {value!r} is not {spec.__name__}"


def _sorted_pairs(pairs):
    keys = [k for k, _ in pairs]
    assert keys == sorted(keys), f"keys not sorted in the raw text: {keys}"
    return dict(pairs)


def parse(text: str, spec: Any, zone=timezone.utc) -> Any:
    """Parse one JSON document, checking key order in the raw text, the shape, and that
    every timestamp anywhere in it (also inside strings, e.g. a suggested command) is
    ISO 8601 with an offset, written in ``zone``."""
    assert text.endswith("\n") and text.strip(), f"not one JSON document: {text!r}"
    data = json.loads(text, object_pairs_hook=_sorted_pairs)
    conform(data, spec, zone)
    for stamp in ISO.findall(text):
        t = datetime.fromisoformat(stamp.replace("Z", "+00:00"))
        assert t.tzinfo is not None and t.astimezone(zone).isoformat() == stamp, f"{stamp!r} not written in {zone}"
    return data


def as_utc(text: str) -> str:
    """``text`` with every timestamp rewritten in UTC: equal to the UTC output iff only the zone differs."""
    return ISO.sub(lambda m: datetime.fromisoformat(m[0]).astimezone(timezone.utc).isoformat(), text)


# ------------------------------------------------------------------ the documented shapes

NOW = [{"rotation": ROTATION, "person": Opt(PERSON, None), "start": Opt(TIME, None), "end": Opt(TIME, None),
        "source": Opt(SOURCE, None), "reachable": bool, "in_coverage": bool,
        "next": {"person": Opt(PERSON, None), "start": Opt(TIME, None)}}]
SHIFTS = [{"rotation": ROTATION, "person": PERSON, "start": TIME, "end": TIME, "source": SOURCE,
           "shift_start": Opt(TIME, None), "shift_end": Opt(TIME, None)}]
PROBLEM = Opt(
    {"rotation": ROTATION, "kind": Enum({"gap"}), "start": TIME, "end": TIME},
    {"rotation": ROTATION, "kind": Enum({"unreachable"}), "start": TIME, "end": TIME, "person": Opt(PERSON, None),
     "reason": Enum({"away", "no-phone", "invalid-phone", "no-step-reachable"})},
)
WARNING = {"rotation": ROTATION, "start": TIME, "end": TIME, "person": Opt(PERSON, None), "message": str,
           "kind": Enum({"overlapping-overrides", "override-outside-members", "layer-never-covers", "no-valid-phone",
                         "long-duty", "short-rest", "escalation-repeats-person", "on-call-twice"})}
SUGGESTION = {"rotation": ROTATION, "kind": Enum({"gap", "unreachable"}), "start": TIME, "end": TIME,
              "person": Opt(PERSON, None), "load_hours": NUM, "command": Opt(str, None), "reason": Opt(str, None),
              "cause": Opt(str, None), "action": Opt(Enum({"override", "layer"}), None),
              "members": Opt([PERSON], None), "covers": INT}
CHECK = {"problems": [PROBLEM], "warnings": [WARNING]}
CHECK_SUGGEST = CHECK | {"suggestions": [SUGGESTION]}
REPORT = {"start": TIME, "end": TIME,
          "people": [{"person": PERSON, "hours": NUM, "night_hours": NUM, "weekend_hours": NUM, "shifts": INT,
                      "longest_hours": NUM}],
          "rotations": [{"rotation": ROTATION, "coverage_percent": NUM, "balance": NUM, "mean_hours": NUM,
                         "overloaded": [PERSON], "hours": MapOf(PERSON, NUM)}]}
OVERRIDES = [{"id": INT, "rotation": ROTATION, "who": PERSON, "start": TIME, "end": TIME, "note": str}]
AWAY = [{"id": INT, "person": PERSON, "start": TIME, "end": TIME, "note": str}]
CHANNEL = Enum({"sms", "voice"})
CONTACT = {"person": PERSON, "name": str, "phone": Opt(str, None), "valid": bool, "type": Opt(str, None),
           "channels": [CHANNEL], "rotations": [ROTATION], "problem": Opt(str, None)}
CONTACTS = [CONTACT]
CONTACTS_LOOKUP = [CONTACT | {"line_type": Opt(str, None)}]
DRY_RUN = {"rotation": ROTATION, "at": TIME, "repeat": INT,
           "steps": [{"step": INT, "who": Opt(ROTATION, PERSON), "kind": Enum({"rotation", "person"}), "wait": INT,
                      "person": Opt(PERSON, None), "channels": [CHANNEL], "unreachable": Opt(str, None)}],
           "exit_code": INT, "error": Opt(str, None)}
ATTEMPT = {"round": INT, "step": INT, "person": Opt(PERSON, None), "channel": Opt(Enum({"sms", "voice", "sms-reply"}),
                                                                                  None),
           "sid": Opt(str, None), "status": str, "error_code": Opt(INT, None), "detail": str, "started": TIME,
           "ended": Opt(TIME, None)}
OUTCOME = Enum({"acknowledged", "sent", "duplicate", "unreached", "failed", "open"})
PAGE = {"id": INT, "rotation": Opt(ROTATION, None), "message": str, "dedup_key": Opt(str, None), "started": TIME,
        "finished": Opt(TIME, None), "outcome": OUTCOME, "acknowledged_by": Opt(PERSON, None), "attempts": [ATTEMPT]}
# What `page` and `contacts test` print: the page, and the exit code with the failure (or null).
PAGE_RESULT = PAGE | {"exit_code": INT, "error": Opt(str, None)}
DUPLICATE = PAGE_RESULT | {"original_outcome": OUTCOME}
FAILURE = {"error": str, "exit_code": INT}  # `page --json` when it stops before paging
PAGES = [PAGE | {"attempts": INT}]

# ------------------------------------------------------------------ fixtures


@pytest.fixture(autouse=True)
def fixed_clock(use_clock):
    """The clock stands still at T0; sleeping advances it."""
    return use_clock(FakeClock(T0))


@pytest.fixture
def fake_pager(monkeypatch, tmp_path) -> Path:
    """A recording fake pager chosen for the command: every send is accepted, SMS
    delivered after 20 s with no reply, calls not answered. Returns the record file."""
    record = tmp_path / "sent.jsonl"
    monkeypatch.setattr(importlib.import_module("oncall.cli.page"), "make_pager",
                        lambda clock: FakePager(clock, record=str(record)))
    return record


@pytest.fixture
def scripted(monkeypatch, fixed_clock) -> FakePager:
    """A fake pager whose reactions a test scripts (an ACK, a Twilio error)."""
    pager = FakePager(fixed_clock)
    monkeypatch.setattr(importlib.import_module("oncall.cli.page"), "make_pager", lambda clock: pager)
    return pager


def copy_of(tmp_path: Path, edit=None) -> Path:
    dest = tmp_path / "rot"
    shutil.copytree(BUNDLED, dest)
    if edit:
        edit(dest)
    return dest


def without_override(root: Path) -> None:
    """Alice's week 2027-01-04 is no longer covered for her: she is on call while away."""
    p = root / "platform.toml"
    text = p.read_text()
    p.write_text(text[:text.index("[[override]]")] + text[text.index("# Page the primary"):])


def broken_phone(root: Path) -> None:
    p = root / "people.toml"
    p.write_text(p.read_text().replace('"+12125550102"', '"555-0102"'))


def no_phone_for_bob(root: Path) -> None:
    p = root / "people.toml"
    p.write_text(p.read_text().replace('phone = "+12125550102"\n', ""))


# ------------------------------------------------------------------ every read command, one table

CASES = {
    "now": (["now", "--at", AT], NOW, 0),
    "now-in-gaps": (["now", "--at", "2025-06-01T00:00Z"], NOW, 0),
    "shifts": (["shifts", "--from", "2027-01-03T00:00Z", "--to", "2027-01-12T00:00Z"], SHIFTS, 0),
    "shifts-person": (["shifts", "--person", "carol", "--from", "2027-01-03T00:00Z", "--days", "30"], SHIFTS, 0),
    "check": (["check", "--from", "2027-01-01T00:00Z", "--days", "14"], CHECK, 0),
    "check-gaps": (["check", "--from", "2025-12-29T00:00Z", "--days", "8"], CHECK, 1),
    "check-suggest": (["check", "--from", "2025-12-29T00:00Z", "--days", "8", "--suggest"], CHECK_SUGGEST, 1),
    "report": (["report", "--from", "2027-01-04T00:00Z", "--to", "2027-01-11T00:00Z"], REPORT, 0),
    "override-list": (["override", "list", "platform"], OVERRIDES, 0),
    "away-list": (["away", "list"], AWAY, 0),
    "page-dry-run": (["page", "platform", "-m", "db down", "--dry-run"], DRY_RUN, 0),
    "contacts": (["contacts"], CONTACTS, 0),
}
WITH_TIMES = [name for name in CASES if name != "contacts"]  # contacts has no times (and no --tz)
ZONES = ["Asia/Kolkata", "America/New_York", "Australia/Lord_Howe"]


def run(cli, name: str, *extra: str):
    args, _, _ = CASES[name]
    return cli(*args, "--dir", DIR, "--json", *extra)


@pytest.mark.parametrize("name", CASES)
def test_shape_keys_types_and_utc_times(cli, name):
    _, spec, code = CASES[name]
    r = run(cli, name)
    assert r.code == code, r.err
    data = parse(r.out, spec)
    assert data, f"{name}: the fixed instant was chosen so the output is not empty"


@pytest.mark.parametrize("zone", ZONES)
@pytest.mark.parametrize("name", WITH_TIMES)
def test_tz_writes_the_same_instants_in_that_zone(cli, name, zone):
    _, spec, code = CASES[name]
    utc = run(cli, name)
    r = run(cli, name, "--tz", zone)
    assert r.code == code, r.err
    parse(r.out, spec, ZoneInfo(zone))
    assert as_utc(r.out) == utc.out


@pytest.mark.parametrize("name", CASES)
def test_same_answer_twice_and_from_any_machine_zone(cli, monkeypatch, name):
    first = run(cli, name)
    again = run(cli, name)
    monkeypatch.setenv("TZ", "Pacific/Chatham")  # +12:45/+13:45: nothing local may leak into JSON
    elsewhere = run(cli, name)
    assert first.out == again.out == elsewhere.out
    assert first.code == again.code == elsewhere.code


# ------------------------------------------------------------------ values the contract names


def test_now_is_one_object_per_rotation_with_stretch_source_and_next(cli):
    rows = parse(run(cli, "now").out, NOW)
    assert [r["rotation"] for r in rows] == sorted(ROTATIONS)
    platform = rows[0]
    assert platform == {"rotation": "platform", "person": "carol", "source": "override", "reachable": True,
                        "in_coverage": True, "start": "2027-01-04T14:00:00+00:00", "end": "2027-01-11T14:00:00+00:00",
                        "next": {"person": "bob", "start": "2027-01-11T14:00:00+00:00"}}
    sre = rows[1]
    assert (sre["person"], sre["source"]) == ("farid", "layer:london")


def test_a_wall_time_typed_is_read_in_tz_or_the_local_zone_but_json_stays_utc(cli):
    utc = run(cli, "now").out
    assert cli("now", "--at", "2027-01-05T08:30", "--dir", DIR, "--json").out == utc  # St John's: UTC-3:30
    ny = cli("now", "--at", "2027-01-05T07:00", "--tz", "America/New_York", "--dir", DIR, "--json")
    parse(ny.out, NOW, ZoneInfo("America/New_York"))
    assert as_utc(ny.out) == utc


def test_now_in_a_gap_has_null_person_and_source_and_null_for_far_bounds(cli):
    r = cli("now", "platform", "support", "--at", "2025-06-01T00:00Z", "--dir", DIR, "--json")
    platform, support = parse(r.out, NOW)
    assert (platform["person"], platform["source"], platform["reachable"]) == (None, None, False)
    assert platform["start"] is None  # the gap began before any layer: unbounded
    assert platform["end"] == platform["next"]["start"] == "2026-01-05T14:00:00+00:00"
    assert platform["next"]["person"] == "alice"
    assert (platform["in_coverage"], support["in_coverage"]) == (True, False)


def test_now_outside_coverage_is_not_a_gap_and_nobody_is_unreachable(cli):
    """Support covers weekdays 09:00-17:00 in Berlin: at 21:00 there nobody is needed, so
    ``in_coverage`` is false and ``reachable`` true (nothing to fail to reach); one minute
    into its window with nobody on call would be a gap (``reachable`` false)."""
    r = cli("now", "support", "--at", "2027-01-05T20:00Z", "--dir", DIR, "--json")
    [off] = parse(r.out, NOW)
    assert (off["person"], off["start"], off["end"]) == (None, "2027-01-05T16:00:00+00:00", "2027-01-06T08:00:00+00:00")
    assert (off["in_coverage"], off["reachable"]) == (False, True)
    [on] = parse(cli("now", "support", "--at", "2027-01-06T08:00Z", "--dir", DIR, "--json").out, NOW)
    assert (on["person"], on["in_coverage"], on["reachable"]) == ("kai", True, True)


def test_shifts_are_sorted_by_start_clipped_to_the_range_and_never_gaps(cli):
    rows = parse(run(cli, "shifts").out, SHIFTS)
    starts = [r["start"] for r in rows]
    assert starts == sorted(starts)
    assert min(starts) == "2027-01-03T00:00:00+00:00"
    assert max(r["end"] for r in rows) == "2027-01-12T00:00:00+00:00"
    assert {r["rotation"] for r in rows} == ROTATIONS
    carol = parse(run(cli, "shifts-person").out, SHIFTS)
    assert {r["person"] for r in carol} == {"carol"}
    assert carol[0] == {"rotation": "platform", "person": "carol", "source": "override",
                        "start": "2027-01-04T14:00:00+00:00", "end": "2027-01-11T14:00:00+00:00",
                        "shift_start": "2027-01-04T14:00:00+00:00", "shift_end": "2027-01-11T14:00:00+00:00"}


def test_check_gaps_are_problems_with_exit_1_and_json_still_valid(cli):
    r = run(cli, "check-gaps")
    assert r.code == 1
    data = parse(r.out, CHECK)
    assert {p["kind"] for p in data["problems"]} == {"gap"}
    assert data["problems"][0] == {"rotation": "platform", "kind": "gap", "start": "2025-12-29T00:00:00+00:00",
                                   "end": "2026-01-05T14:00:00+00:00"}


def test_check_unreachable_names_person_and_reason(cli, tmp_path):
    root = copy_of(tmp_path, without_override)
    r = cli("check", "--from", "2027-01-01T00:00Z", "--days", "14", "--dir", str(root), "--json")
    assert r.code == 1, r.err
    data = parse(r.out, CHECK)
    assert data["problems"] == [{"rotation": "platform", "kind": "unreachable", "person": "alice", "reason": "away",
                                 "start": "2027-01-04T14:00:00+00:00", "end": "2027-01-11T08:00:00+00:00"}]


def test_check_warnings_keep_exit_0_and_name_person_or_null(cli, tmp_path):
    def noor_override(root):
        with open(root / "platform.toml", "a") as f:
            f.write('\n[[override]]\nwho = "noor"\nstart = 2027-01-06T09:00:00\nend = 2027-01-06T17:00:00\n')

    root = copy_of(tmp_path, noor_override)
    args = ("check", "--from", "2027-01-04T00:00Z", "--days", "7", "--dir", str(root), "--json")
    r = cli(*args)
    assert r.code == 0, r.err
    data = parse(r.out, CHECK)
    assert data["problems"] == []
    by_kind = {w["kind"]: w for w in data["warnings"]}
    assert set(by_kind) == {"overlapping-overrides", "override-outside-members"}
    assert by_kind["override-outside-members"]["person"] == "noor"
    assert by_kind["overlapping-overrides"]["person"] is None
    assert by_kind["override-outside-members"]["start"] == "2027-01-06T14:00:00+00:00"
    kolkata = cli(*args, "--tz", "Asia/Kolkata")
    parse(kolkata.out, CHECK, ZoneInfo("Asia/Kolkata"))
    assert as_utc(kolkata.out) == r.out


def test_check_no_phone_is_unreachable_and_warns_over_the_whole_range(cli, tmp_path):
    root = copy_of(tmp_path, no_phone_for_bob)
    r = cli("check", "--from", "2027-01-04T00:00Z", "--days", "14", "--dir", str(root), "--json")
    assert r.code == 1, r.err
    data = parse(r.out, CHECK)
    assert data["problems"] == [{"rotation": "platform", "kind": "unreachable", "person": "bob", "reason": "no-phone",
                                 "start": "2027-01-11T14:00:00+00:00", "end": "2027-01-18T00:00:00+00:00"}]
    [w] = [w for w in data["warnings"] if w["kind"] == "no-valid-phone"]
    assert (w["person"], w["start"], w["end"]) == ("bob", "2027-01-04T00:00:00+00:00", "2027-01-18T00:00:00+00:00")


def test_check_suggest_commands_carry_exact_times_in_the_output_zone(cli):
    data = parse(run(cli, "check-suggest").out, CHECK_SUGGEST)
    first = data["suggestions"][0]
    assert (first["rotation"], first["kind"], first["person"], first["reason"]) == ("platform", "gap", "bob", None)
    # The gap before the first handoff is 7.6 days: two covers, so nobody gets more than --max-duty (7d).
    assert first["command"] == (f"oncall override add platform --who bob --from 2025-12-29T00:00:00+00:00 "
                                f"--to 2026-01-05T00:00:00+00:00 --dir {DIR}")
    assert sum(s["covers"] for s in data["suggestions"]) >= len(data["problems"])
    plain = parse(run(cli, "check").out, CHECK)
    assert "suggestions" not in plain  # present only with --suggest


def test_report_range_people_and_rotations(cli):
    data = parse(run(cli, "report").out, REPORT)
    assert (data["start"], data["end"]) == ("2027-01-04T00:00:00+00:00", "2027-01-11T00:00:00+00:00")
    assert [p["person"] for p in data["people"]] == sorted(p["person"] for p in data["people"])
    platform = next(r for r in data["rotations"] if r["rotation"] == "platform")
    assert platform["hours"] == {"alice": 0.0, "bob": 0.0, "carol": 154.0, "dave": 14.0}
    assert (platform["coverage_percent"], platform["overloaded"]) == (100, ["carol"])


def test_report_month_is_read_in_tz_and_written_in_it(cli):
    r = cli("report", "--month", "2027-01", "--tz", "America/New_York", "--dir", DIR, "--json")
    assert r.code == 0, r.err
    data = parse(r.out, REPORT, ZoneInfo("America/New_York"))
    assert (data["start"], data["end"]) == ("2027-01-01T00:00:00-05:00", "2027-02-01T00:00:00-05:00")


def test_override_and_away_lists(cli):
    [o] = parse(run(cli, "override-list").out, OVERRIDES)
    assert o == {"id": 1, "rotation": "platform", "who": "carol", "note": "covers for alice (new year trip)",
                 "start": "2027-01-04T14:00:00+00:00", "end": "2027-01-11T14:00:00+00:00"}
    [a] = parse(run(cli, "away-list").out, AWAY)
    # a date is midnight in Alice's own zone (Los Angeles)
    assert a == {"id": 1, "person": "alice", "note": "new year trip",
                 "start": "2027-01-02T08:00:00+00:00", "end": "2027-01-11T08:00:00+00:00"}
    r = cli("away", "list", "bob", "--dir", DIR, "--json")
    assert r.code == 0 and parse(r.out, AWAY) == []


def test_contacts_problem_is_exit_1_with_json_still_valid(cli, tmp_path):
    rows = parse(run(cli, "contacts").out, CONTACTS)
    assert [r["person"] for r in rows] == sorted(PEOPLE)
    noor = next(r for r in rows if r["person"] == "noor")
    assert (noor["channels"], noor["rotations"], noor["valid"], noor["problem"]) == (["voice"], ["platform"], True,
                                                                                      None)
    r = cli("contacts", "--dir", str(copy_of(tmp_path, no_phone_for_bob)), "--json")
    assert r.code == 1
    bob = next(r for r in parse(r.out, CONTACTS) if r["person"] == "bob")
    assert (bob["phone"], bob["valid"], bob["type"], bob["problem"]) == (None, False, None, "no-phone")


def test_contacts_lookup_adds_line_type(cli, fake_pager):
    r = cli("contacts", "--lookup", "--dir", DIR, "--json")
    assert r.code == 0, r.err
    rows = parse(r.out, CONTACTS_LOOKUP)
    assert {row["line_type"] for row in rows} == {"mobile"}  # what the fake pager's lookup answers


def test_page_dry_run_plan_at_the_fixed_instant(cli):
    data = parse(run(cli, "page-dry-run").out, DRY_RUN)
    assert (data["rotation"], data["at"], data["repeat"]) == ("platform", "2027-01-05T12:00:00+00:00", 0)
    assert [(s["step"], s["who"], s["kind"], s["person"], s["wait"]) for s in data["steps"]] == [
        (1, "platform", "rotation", "carol", 300), (2, "sre", "rotation", "farid", 600),
        (3, "noor", "person", "noor", 900)]


# ------------------------------------------------------------------ paging through the fake pager


def page(cli, *extra: str, rotation: str = "platform"):
    return cli("page", rotation, "-m", "db down", "--dir", DIR, "--json", *extra)


def test_page_unreached_is_exit_1_with_the_whole_page_as_json(cli, fake_pager):
    r = page(cli)
    assert r.code == 1, r.err
    data = parse(r.out, PAGE_RESULT)
    assert (data["id"], data["rotation"], data["outcome"], data["acknowledged_by"]) == (1, "platform", "unreached",
                                                                                         None)
    assert data["started"] == "2027-01-05T12:00:00+00:00"
    assert {a["round"] for a in data["attempts"]} == {0}  # rounds count from 0
    # each step's person resolved when the step starts; voice-only Noor is only called
    assert [(a["step"], a["person"], a["channel"]) for a in data["attempts"]] == [
        (1, "carol", "sms"), (1, "carol", "voice"), (2, "farid", "sms"), (2, "farid", "voice"), (3, "noor", "voice")]
    assert len(fake_pager.read_text().splitlines()) == 5


def test_page_sent_and_duplicate_are_exit_0(cli, fake_pager):
    r = page(cli, "--no-wait", "--dedup-key", "db")
    assert r.code == 0, r.err
    sent = parse(r.out, PAGE_RESULT)
    assert (sent["outcome"], sent["dedup_key"]) == ("sent", "db")
    r = page(cli, "--no-wait", "--dedup-key", "db")
    assert r.code == 0, r.err
    dup = parse(r.out, DUPLICATE)
    assert (dup["outcome"], dup["original_outcome"], dup["id"]) == ("duplicate", "sent", sent["id"])
    assert len(fake_pager.read_text().splitlines()) == 1


def test_page_acknowledged_is_exit_0(cli, scripted):
    scripted.on(PHONE["carol"], "sms", Reaction(reply="ACK"))
    r = page(cli)
    assert r.code == 0, r.err
    data = parse(r.out, PAGE_RESULT)
    assert (data["outcome"], data["acknowledged_by"]) == ("acknowledged", "carol")
    assert [a["channel"] for a in data["attempts"]] == ["sms", "sms-reply"]


def test_page_refused_credentials_is_exit_5(cli, scripted):
    scripted.on(PHONE["carol"], "sms", Reaction(errors=(PagerError("Twilio 20003: Authenticate", 20003, 401),)))
    r = page(cli)
    assert r.code == 5
    assert "20003" in r.err
    assert parse(r.out, PAGE_RESULT)["outcome"] == "failed"


def test_page_without_credentials_is_exit_5_and_says_so_in_json_too(cli):
    r = page(cli)
    assert r.code == 5
    assert "TWILIO_ACCOUNT_SID" in r.err
    assert "TWILIO_ACCOUNT_SID" in parse(r.out, FAILURE)["error"] and parse(r.out, FAILURE)["exit_code"] == 5


def test_page_in_the_tz_zone_and_byte_identical_on_a_fresh_log(cli, fake_pager, fixed_clock, monkeypatch, tmp_path):
    first = page(cli, "--tz", "Asia/Kolkata")
    parse(first.out, PAGE_RESULT, ZoneInfo("Asia/Kolkata"))
    monkeypatch.setenv("ONCALL_STATE_DIR", str(tmp_path / "other-state"))
    fixed_clock.t = T0
    monkeypatch.setenv("TZ", "Pacific/Chatham")
    again = page(cli, "--tz", "Asia/Kolkata")
    assert (first.code, first.out) == (again.code, again.out) == (1, first.out)


def test_pages_and_pages_show(cli, fake_pager):
    page(cli)
    page(cli, "--no-wait", "--dedup-key", "db")
    r = cli("pages", "--json")
    assert r.code == 0, r.err
    rows = parse(r.out, PAGES)
    assert [(p["id"], p["outcome"], p["attempts"]) for p in rows] == [(1, "unreached", 5), (2, "sent", 1)]
    assert cli("pages", "--json").out == r.out
    assert parse(cli("pages", "--since", "2027-01-05T12:05Z", "--json").out, PAGES)[0]["id"] == 2
    kolkata = cli("pages", "--json", "--tz", "Asia/Kolkata")
    parse(kolkata.out, PAGES, ZoneInfo("Asia/Kolkata"))
    assert as_utc(kolkata.out) == r.out
    show = cli("pages", "show", "1", "--json")
    assert show.code == 0, show.err
    assert len(parse(show.out, PAGE)["attempts"]) == 5
    assert cli("pages", "show", "1", "--json").out == show.out
    parse(cli("pages", "show", "1", "--json", "--tz", "America/New_York").out, PAGE, ZoneInfo("America/New_York"))


def test_page_log_not_writable_is_exit_5_and_sends_nothing(cli, fake_pager, monkeypatch, tmp_path):
    not_a_folder = tmp_path / "state-file"
    not_a_folder.write_text("")
    monkeypatch.setenv("ONCALL_STATE_DIR", str(not_a_folder))
    r = page(cli)
    assert r.code == 5
    assert "page log" in r.err
    assert_failure_on_stdout(["page"], r, 5)
    assert not fake_pager.exists()


def test_a_page_that_never_finished_is_open(cli):
    from oncall.paging.store import open_store

    open_store().open_page("platform", "db down", T0, T0)
    [row] = parse(cli("pages", "--json").out, PAGES)
    assert (row["outcome"], row["finished"], row["attempts"]) == ("open", None, 0)


def test_contacts_test_unreached_is_exit_1(cli, fake_pager):
    r = cli("contacts", "test", "carol", "--wait", "1m", "--dir", DIR, "--json")
    assert r.code == 1, r.err
    data = parse(r.out, PAGE_RESULT)
    assert (data["rotation"], data["outcome"], [a["channel"] for a in data["attempts"]]) == (None, "unreached",
                                                                                              ["sms"])


def test_contacts_test_acknowledged_is_exit_0(cli, scripted):
    scripted.on(PHONE["carol"], "sms", Reaction(reply="ack"))
    r = cli("contacts", "test", "carol", "--dir", DIR, "--json")
    assert r.code == 0, r.err
    data = parse(r.out, PAGE_RESULT)
    assert (data["rotation"], data["outcome"], data["acknowledged_by"]) == (None, "acknowledged", "carol")


# ------------------------------------------------------------------ exit codes


@pytest.mark.parametrize("args", [
    ["now", "--at", "yesterday-ish"],
    ["now", "--at", ""],
    ["now", "--tz", "Mars/Olympus"],
    ["now", "--no-such-option"],
    ["shifts", "--from", "2027-01-05T00:00Z", "--to", "2027-01-04T00:00Z"],
    ["check", "--max-duty", "forever"],
    ["check", "--days", "many"],
    ["report", "--month", "2027-13"],
    ["report", "--month", "2027-01", "--from", "2027-01-01T00:00Z"],
    ["override", "list"],
    ["away", "list", "--no-such-option"],
    ["contacts", "--no-such-option"],
    ["page", "platform", "-m", "  ", "--dry-run"],
    ["page", "platform", "--dry-run"],
    ["page", "platform", "-m", "x", "--rate-limit", "ten", "--dry-run"],
    ["page", "platform", "-m", "x", "--dedup-window", "soon", "--dry-run"],
    ["page", "platform", "-m", "x", "--repeat", "-1", "--dry-run"],
], ids=lambda a: " ".join(a))
def test_wrong_usage_is_exit_2_with_nothing_on_stdout(cli, args):
    r = cli(*args, "--dir", DIR, "--json")
    assert r.code == 2, (r.out, r.err)
    assert r.err.strip()
    assert_failure_on_stdout(args, r, 2)


def assert_failure_on_stdout(args, r, code: int) -> None:
    """Every command but `page` prints nothing on stdout when it fails; `page --json` also
    prints the failure as one JSON object with its exit code (issue 14 item 7), the message
    being stderr's."""
    if args[0] != "page":
        assert r.out == ""
        return
    failure = parse(r.out, FAILURE)
    assert failure["exit_code"] == code
    assert failure["error"].split("\n")[0] in r.err


@pytest.mark.parametrize("args", [["pages", "--since", "not-a-time"], ["pages", "show", "one"]],
                         ids=lambda a: " ".join(a))
def test_page_log_wrong_usage_is_exit_2(cli, args):
    r = cli(*args, "--json")
    assert r.code == 2 and r.out == "" and r.err.strip()


@pytest.mark.parametrize("args", [
    ["now", "--at", AT], ["shifts", "--from", AT], ["check", "--from", AT], ["report", "--month", "2027-01"],
    ["override", "list", "platform"], ["away", "list"], ["contacts"], ["page", "platform", "-m", "x", "--dry-run"],
    ["page", "platform", "-m", "x"],
], ids=lambda a: " ".join(a))
def test_invalid_files_are_exit_3_naming_file_line_and_key(cli, tmp_path, args):
    root = copy_of(tmp_path, broken_phone)
    r = cli(*args, "--dir", str(root), "--json")
    assert r.code == 3, (r.out, r.err)
    assert_failure_on_stdout(args, r, 3)
    assert f"{root}/people.toml:18: people.bob.phone: '555-0102' is not an E.164 number" in r.err
    assert "Traceback" not in r.err


@pytest.mark.parametrize("args", [
    ["now", "nope", "--at", AT], ["shifts", "nope", "--from", AT], ["shifts", "--person", "zed", "--from", AT],
    ["check", "nope", "--from", AT], ["report", "nope", "--month", "2027-01"], ["override", "list", "nope"],
    ["away", "list", "zed"], ["page", "nope", "-m", "x", "--dry-run"], ["page", "nope", "-m", "x"],
    ["contacts", "test", "zed"],
], ids=lambda a: " ".join(a[:3]))
def test_unknown_rotation_or_person_is_exit_4(cli, args):
    r = cli(*args, "--dir", DIR, "--json")
    assert r.code == 4, (r.out, r.err)
    assert "'nope'" in r.err or "'zed'" in r.err
    assert_failure_on_stdout(args, r, 4)


def test_unknown_page_is_exit_4(cli):
    r = cli("pages", "show", "99", "--json")
    assert r.code == 4 and r.out == "" and "99" in r.err


# ------------------------------------------------------------------ where the code and the docs disagree


def test_contacts_takes_tz_like_every_read_command(cli):
    r = cli("contacts", "--dir", DIR, "--json", "--tz", "Asia/Kolkata")
    assert r.code == 0, r.err
    parse(r.out, CONTACTS, ZoneInfo("Asia/Kolkata"))


def test_page_log_commands_read_the_state_dir_not_a_data_folder(cli, fake_pager):
    # README: --dir names the rotation files; `pages` reads the page log (ONCALL_STATE_DIR).
    page(cli)
    r = cli("pages", "--json")
    assert r.code == 0, r.err
    parse(r.out, PAGES)
